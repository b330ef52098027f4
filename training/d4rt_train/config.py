"""Model and training presets for D4RT-tiny.

Every number that the SDK must know to drive the exported model (clip length, input size,
normalisation, patch size, bins) lives in :class:`ModelConfig` and is written to the model's
``manifest.json`` by :mod:`d4rt_train.export`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class ModelConfig:
    # clip and input
    T: int = 16                      # frames per clip
    H: int = 64                      # model input height (pixels)
    W: int = 96                      # model input width (pixels)
    tubelet_t: int = 2               # tubelet: frames per patch
    patch: int = 8                   # tubelet: pixels per patch side
    mean: tuple = (0.45, 0.45, 0.45)  # pixel normalisation: (rgb/255 - mean) / std
    std: tuple = (0.225, 0.225, 0.225)
    # encoder
    width: int = 128
    depth: int = 6                   # blocks, alternating frame-local and global attention
    heads: int = 4
    mlp_ratio: float = 4.0
    # decoder
    dec_width: int = 128
    dec_depth: int = 3               # cross-attention blocks (queries never attend to each other)
    dec_heads: int = 4
    fourier_bands: int = 10          # Fourier features of (u, v)
    query_patch: int = 9             # RGB patch side around (u, v) in frame tSrc
    uv_bins: int = 64                # classification bins per image axis, centres linspace(0, 1, bins)
    uv_window: int = 3               # truncated soft-argmax: bins on each side of the argmax
    local_sample: bool = True        # add the memory tokens bilinearly sampled at (u, v) in the
                                     # tubelet slices of tSrc and tTgt to the query token
    # v2 options (defaults = v1 behaviour, so older checkpoints load unchanged)
    stem: str = 'linear'             # 'linear' tubelet embedding or 'conv': a per-frame convolutional
                                     # stem (3 stride-2 stages) whose features are fused per tubelet
    stem_channels: tuple = (32, 64, 128)
    query_norm: bool = False         # LayerNorm each summand of the query token before adding
    depth_skip: bool = False         # the dense depth head (log-depth over the clip's mean, per pixel
                                     # of each tubelet) is part of the decoder: its value at (u, v)
                                     # in frame tSrc is added to the query token and to the z' output
    depth_decoder: str = ''          # 'unet': the encoder predicts per-pixel log-depth with a U-Net
                                     # head (transformer tokens upsampled with the conv stem's skips)
                                     # and appends it to the memory, one token per tubelet holding its
                                     # tt x p x p values (needs stem='conv', depth_skip, and
                                     # tubelet_t p^2 <= width); '' = a linear per-token head
    track_refine: bool = False       # after decoder block ``refine_after``: a first 2D estimate (soft-
                                     # argmax of its own uv head, deeply supervised), the memory and the
                                     # dense depth sampled there in frame tTgt (a correlation-style
                                     # lookup); z' gets a gated skip to that depth (needs depth_skip)
    refine_after: int = 1
    corr_track: bool = False         # per-frame stride-4 features (from the conv stem) packed into the
                                     # memory; each query correlates its source feature with frame
                                     # tTgt's map (soft-argmax: a 2D estimate, supervised directly), which
                                     # the refinement looks up and the uv head gets as a Gaussian skip
    corr_channels: int = 32
    dec_attn: str = ''               # per decoder block: 'g' global cross-attention, 't' restricted to
                                     # the tTgt slice, 's' to the tSrc slice; '' = all global

    @property
    def tubelets(self) -> int:
        return (self.T // self.tubelet_t) * (self.H // self.patch) * (self.W // self.patch)

    @property
    def corr_positions(self) -> int:
        """Positions of one frame's correlation feature map (stride 4)."""
        return (self.H // 4) * (self.W // 4)

    @property
    def corr_tokens(self) -> int:
        """Memory tokens holding the correlation features of all frames (``corr_track``)."""
        return self.T * self.corr_positions * self.corr_channels // self.width if self.corr_track else 0

    @property
    def tokens(self) -> int:
        """Memory tokens: the aspect token plus one per tubelet (plus one per tubelet holding the
        dense depth of its pixels with ``depth_decoder='unet'``, plus the correlation features with
        ``corr_track``)."""
        return 1 + self.tubelets * (2 if self.depth_decoder == 'unet' else 1) + self.corr_tokens


# The shipped d4rt-tiny v2: conv stem, dense depth head (and its decoder skip), normalised query
# summands, the correlation track estimate and one refinement after the first decoder block.
V2_OPTIONS = {'stem': 'conv', 'query_norm': True, 'depth_skip': True, 'track_refine': True, 'corr_track': True}


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    batch: int = 2                   # clips per step
    queries: int = 1536              # queries per clip
    steps: int = 6000
    lr: float = 5e-4
    min_lr: float = 2e-5
    warmup: int = 300
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    pool: int = 48                   # clips kept in memory; `refresh` of them re-rendered every step
    refresh: int = 1
    conf_alpha: float = 0.2          # 3D loss: c * l - alpha * log c
    w3d: float = 1.0
    w2d: float = 0.5
    wvis: float = 0.2
    waux: float = 0.0                # dense auxiliary depth loss on the encoder (every pixel of every
                                     # frame, through a training-only per-token head); 0 = off
    val_clips: int = 16
    val_every: int = 250
    ckpt_every: int = 250
    max_minutes: float = 1e9         # stop (and checkpoint) after this wall time; the LR schedule follows it
    threads: int = 2
    render_workers: int = 0          # processes rendering clips ahead of use (0: inline, deterministic)
    seed: int = 0
    device: str = 'cpu'


def preset(name: str) -> TrainConfig:
    """Named presets: ``tiny`` (tests, seconds), ``cpu`` (the shipped d4rt-tiny v2: conv stem, dense
    depth head with its decoder skip, normalised query summands, correlation track estimate and
    one refinement), ``gpu`` (the same model with
    8x the clips per step, for a lent GPU; it warm-starts from the committed checkpoint), ``v1``
    (the first d4rt-tiny: linear tubelet embedding, no dense depth loss)."""
    if name == 'tiny':
        m = ModelConfig(T=4, H=32, W=48, width=32, depth=2, heads=2, dec_width=32, dec_depth=2,
                        dec_heads=2, fourier_bands=4, uv_bins=16, **V2_OPTIONS, stem_channels=(8, 16, 16))
        return TrainConfig(model=m, batch=2, queries=256, steps=60, lr=2e-3, warmup=5, pool=4,
                           refresh=1, val_clips=2, val_every=1000, ckpt_every=1000, waux=1.0)
    if name == 'cpu':
        return TrainConfig(model=ModelConfig(**V2_OPTIONS), waux=1.0)
    if name == 'gpu':
        return TrainConfig(model=ModelConfig(**V2_OPTIONS), waux=1.0, batch=16, queries=2048, steps=100000,
                           lr=8e-4, warmup=200, pool=512, refresh=16, render_workers=12, device='cuda',
                           threads=4, val_every=500, ckpt_every=500)
    if name == 'v1':
        return TrainConfig()
    raise ValueError(f"preset: name {name!r} is not one of 'tiny', 'cpu', 'gpu', 'v1'")


def to_dict(cfg) -> dict:
    return asdict(cfg)


def model_from_dict(d: dict) -> ModelConfig:
    d = dict(d)
    d.setdefault('local_sample', False)  # configs saved before the option existed had none
    for k in ('mean', 'std', 'stem_channels'):
        if k in d:
            d[k] = tuple(d[k])
    return ModelConfig(**d)


__all__ = ['ModelConfig', 'TrainConfig', 'preset', 'to_dict', 'model_from_dict', 'replace']
