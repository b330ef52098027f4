"""OpenD4RT's architecture, written for export: the same function as upstream's model, in plain ops.

Encoder: tubelets (t x h x w) of the normalised video -> a linear embedding (upstream's Conv3d, whose
stride equals its kernel, as a matmul over flattened tubelets) + a 1D sinusoidal position table over
the flattened (t', h', w') token order; an aspect-ratio token (Linear-GELU-Linear of width / height)
that joins only the global blocks and is appended last; pre-norm transformer blocks, alternately
frame-local (the tokens of one tubelet slice attend to each other) and global; a final LayerNorm; a
linear projection from the encoder's width to the decoder's. The memory is that projection's output:
``[1, T' H' W' + 1, decoder width]``.

Decoder: a query token = Linear(Fourier features of (u, v): the coordinate, then sin and cos of it
times pi 2^k, k < bands) + embeddings of tSrc, tTgt, tCam (indices clamped to [0, T - 1]) +
Linear-GELU-Linear of the p x p RGB patch, then a LayerNorm; blocks of cross-attention from the
query to the LayerNorm-ed memory and an MLP (queries never attend to each other; the keys and values
of the memory depend on the memory alone, so :meth:`OpenD4rt.memory_kv` can compute them once per
scene); a LayerNorm; six linear heads: ``xyz`` (3, the point in camera tCam, up to the clip's
scale), ``uv`` (2, the position in frame tTgt in [0, 1]), ``visibility`` (logit), ``confidence``
(logit), ``normal`` (3, not normalised) and ``displacement`` (3). Dropout is not modelled (inference only).

Parameter names follow upstream's checkpoint keys (``encoder.blocks.0.attn.in_proj_weight``, ...), so
loading is a checked one-to-one copy (:func:`load_state`).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import OpenD4rtConfig


class ConversionError(ValueError):
    """A checkpoint that does not fit the architecture ``model.yaml`` describes; names the key."""


def sinusoid_table(length: int, dim: int) -> torch.Tensor:
    """``[length, dim]``: even columns sin(pos w_i), odd columns cos(pos w_i), w_i = 10000^(-2i/dim).
    Computed in float32 step by step, as the checkpoint's training computed it (the float32 product
    pos w_i differs from the exact one by up to ~1e-3 rad at pos ~ 6000, so a float64 table would not
    be the table the weights learnt with)."""
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    w = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, dtype=torch.float32)
    table[:, 0::2] = torch.sin(pos * w)
    table[:, 1::2] = torch.cos(pos * w)
    return table


class Attention(nn.Module):
    """Multi-head attention with a packed q/k/v projection (``in_proj_weight`` [3C, C])."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads, self.width = heads, width
        self.scale = float((width // heads) ** -0.5)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, context=None):
        c = self.width
        w, b = self.in_proj_weight, self.in_proj_bias
        if context is not None:
            return self.attend(x, *self.keys_values(context))
        q, k, v = F.linear(x, w, b).split(c, dim=-1)
        h, d = self.heads, c // self.heads
        k = k.reshape(k.shape[0], -1, h, d).permute(0, 2, 3, 1)
        v = v.reshape(v.shape[0], -1, h, d).transpose(1, 2)
        return self.attend(x, k, v, q)

    def keys_values(self, context):
        """What attention reads of ``context`` [B, N, C]: keys transposed ``[B, h, d, N]`` and values
        ``[B, h, N, d]`` (computed once per memory, see :meth:`OpenD4rt.memory_kv`)."""
        c = self.width
        w, b = self.in_proj_weight, self.in_proj_bias
        h, d = self.heads, c // self.heads
        k = F.linear(context, w[c:2 * c], b[c:2 * c]).reshape(context.shape[0], -1, h, d).permute(0, 2, 3, 1)
        v = F.linear(context, w[2 * c:], b[2 * c:]).reshape(context.shape[0], -1, h, d).transpose(1, 2)
        return k, v

    def attend(self, x, kt, v, q=None):
        """Queries of ``x`` [B, L, C] (or the given projection ``q``) against keys ``kt`` [B, h, d, N]
        and values ``v`` [B, h, N, d]."""
        c = self.width
        if q is None:
            q = F.linear(x, self.in_proj_weight[:c], self.in_proj_bias[:c])
        h, d = self.heads, c // self.heads
        q = q.reshape(q.shape[0], -1, h, d).transpose(1, 2)
        a = torch.softmax(torch.matmul(q * self.scale, kt), dim=-1)
        y = torch.matmul(a, v).transpose(1, 2)
        return self.out_proj(y.reshape(y.shape[0], -1, c))


def _mlp(width: int, hidden: int) -> nn.Sequential:
    # indices 0 and 3 as upstream's (Linear, GELU, Dropout, Linear, Dropout)
    return nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Identity(), nn.Linear(hidden, width))


class SelfBlock(nn.Module):
    def __init__(self, width: int, heads: int, hidden: int):
        super().__init__()
        self.norm_attn = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.norm_ff = nn.LayerNorm(width)
        self.ff = _mlp(width, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm_attn(x))
        return x + self.ff(self.norm_ff(x))


class CrossBlock(nn.Module):
    def __init__(self, width: int, heads: int, hidden: int):
        super().__init__()
        self.norm_q = nn.LayerNorm(width)
        self.norm_kv = nn.LayerNorm(width)
        self.cross_attn = Attention(width, heads)
        self.norm_ff = nn.LayerNorm(width)
        self.ff = _mlp(width, hidden)

    def forward(self, x, memory):
        return self.forward_kv(x, *self.memory_kv(memory))

    def memory_kv(self, memory):
        """The keys (transposed) and values this block reads of ``memory``."""
        return self.cross_attn.keys_values(self.norm_kv(memory))

    def forward_kv(self, x, kt, v):
        x = x + self.cross_attn.attend(self.norm_q(x), kt, v)
        return x + self.ff(self.norm_ff(x))


class Encoder(nn.Module):
    """Normalised video ``[1, T, 3, H, W]`` and aspect ``[1]`` -> the transformer's tokens ``[1, N, C_enc]``."""

    def __init__(self, cfg: OpenD4rtConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.enc_width
        self.patch_embed = nn.Conv3d(3, c, kernel_size=cfg.tubelet, stride=cfg.tubelet)
        self.blocks = nn.ModuleList([SelfBlock(c, cfg.enc_heads, cfg.enc_ff) for _ in range(cfg.enc_layers)])
        self.final_norm = nn.LayerNorm(c)
        self.modes = cfg.block_modes()
        self.register_buffer('pos', sinusoid_table(cfg.video_tokens, c), persistent=False)

    def forward(self, video, extra=None):
        cfg = self.cfg
        b = video.shape[0]
        (kt, kh, kw), (t, h, w) = cfg.tubelet, cfg.grid
        c = cfg.enc_width
        # tubelets flattened as the convolution's weight is: (channel, t, y, x)
        x = video.reshape(b, t, kt, 3, h, kh, w, kw).permute(0, 1, 4, 6, 3, 2, 5, 7).reshape(b, t * h * w, -1)
        x = F.linear(x, self.patch_embed.weight.reshape(c, -1), self.patch_embed.bias) + self.pos
        n = t * h * w
        for mode, blk in zip(self.modes, self.blocks):
            if mode == 'local':
                x = blk(x.reshape(b * t, h * w, c)).reshape(b, n, c)
            elif extra is None:
                x = blk(x)
            else:
                y = blk(torch.cat([x, extra], dim=1))
                x, extra = y[:, :n], y[:, n:]
        return self.final_norm(x if extra is None else torch.cat([x, extra], dim=1))


class Fourier(nn.Module):
    """(u, v) -> per coordinate [x, sin(x f_0..), cos(x f_0..)], f_k = pi 2^k, coordinate-major."""

    def __init__(self, bands: int):
        super().__init__()
        self.register_buffer('freq', 2.0 ** torch.arange(bands, dtype=torch.float32) * torch.pi, persistent=False)

    def forward(self, uv):
        x = uv.unsqueeze(-1) * self.freq
        return torch.cat([uv.unsqueeze(-1), torch.sin(x), torch.cos(x)], dim=-1).flatten(2)


class QueryEmbedder(nn.Module):
    def __init__(self, cfg: OpenD4rtConfig):
        super().__init__()
        c, T, p = cfg.dec_width, cfg.clip_frames, cfg.patch_size
        self.frames = T
        self.uv_encoder = Fourier(cfg.uv_bands)
        self.uv_proj = nn.Linear(2 * (1 + 2 * cfg.uv_bands), c)
        self.t_src_embed = nn.Embedding(T, c)
        self.t_tgt_embed = nn.Embedding(T, c)
        self.t_cam_embed = nn.Embedding(T, c)
        self.patch_proj = nn.Sequential(nn.Linear(3 * p * p, c), nn.GELU(), nn.Linear(c, c))
        self.out_norm = nn.LayerNorm(c)

    def forward(self, coords, times, patches):
        t = torch.clamp(times, 0, self.frames - 1)
        token = self.uv_proj(self.uv_encoder(coords))
        token = token + (self.t_src_embed(t[..., 0]) + self.t_tgt_embed(t[..., 1]) + self.t_cam_embed(t[..., 2]))
        token = token + self.patch_proj(patches)
        return self.out_norm(token)


class Heads(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.xyz_head = nn.Linear(c, 3)
        self.uv_head = nn.Linear(c, 2)
        self.visibility_head = nn.Linear(c, 1)
        self.displacement_head = nn.Linear(c, 3)
        self.normal_head = nn.Linear(c, 3)
        self.confidence_head = nn.Linear(c, 1)


class Decoder(nn.Module):
    def __init__(self, cfg: OpenD4rtConfig):
        super().__init__()
        c = cfg.dec_width
        self.blocks = nn.ModuleList([CrossBlock(c, cfg.dec_heads, cfg.dec_ff) for _ in range(cfg.dec_layers)])
        self.out_norm = nn.LayerNorm(c)


# decoder outputs in graph order (the SDK's names), with upstream's head for each
OUTPUTS = (('xyz', 'xyz_head'), ('uv', 'uv_head'), ('visibility', 'visibility_head'),
           ('confidence', 'confidence_head'), ('normal', 'normal_head'), ('displacement', 'displacement_head'))


class OpenD4rt(nn.Module):
    """The whole model; :meth:`encode` and :meth:`decode` are the two exported graphs, or
    :meth:`encode`, :meth:`memory_kv` and :meth:`decode_kv` the three of a K/V model."""

    def __init__(self, cfg: OpenD4rtConfig):
        super().__init__()
        self.cfg = cfg
        ce, cd = cfg.enc_width, cfg.dec_width
        self.encoder = Encoder(cfg)
        self.aspect_ratio_proj = (nn.Sequential(nn.Linear(1, ce), nn.GELU(), nn.Linear(ce, ce))
                                  if cfg.aspect_token else None)
        self.memory_proj = nn.Identity() if cd == ce else nn.Linear(ce, cd)
        self.query_embedder = QueryEmbedder(cfg)
        self.decoder = Decoder(cfg)
        self.heads = Heads(cd)

    def encode(self, video, aspect):
        """``video`` [1, T, 3, H, W] normalised (rgb / 255), ``aspect`` [1] -> memory [1, N, C_dec]."""
        extra = None
        if self.aspect_ratio_proj is not None:
            extra = self.aspect_ratio_proj(aspect.reshape(-1, 1)).unsqueeze(1)
        return self.memory_proj(self.encoder(video, extra))

    def decode(self, memory, coords, times, patches):
        """memory [1, N, C], coords [1, Q, 2], times int64 [1, Q, 3], patches [1, Q, 3 p p] -> the six
        outputs of :data:`OUTPUTS`, in that order (``visibility`` and ``confidence`` [1, Q])."""
        return self.decode_kv(coords, times, patches, self.memory_kv(memory))

    def memory_kv(self, memory):
        """What the decoder reads of the memory, once per scene: per block ``i`` its LayerNorm-ed
        memory's keys, transposed, ``k_i`` [1, h, d, N] and values ``v_i`` [1, h, N, d]; a list
        ``[k_0, v_0, k_1, v_1, ...]``. The decoder's blocks need nothing else of the memory."""
        out = []
        for blk in self.decoder.blocks:
            out.extend(blk.memory_kv(memory))
        return out

    def decode_kv(self, coords, times, patches, kv):
        """:meth:`decode` from :meth:`memory_kv`'s list instead of the memory."""
        x = self.query_embedder(coords, times, patches)
        for i, blk in enumerate(self.decoder.blocks):
            x = blk.forward_kv(x, kv[2 * i], kv[2 * i + 1])
        x = self.decoder.out_norm(x)
        h = self.heads
        return (h.xyz_head(x), h.uv_head(x), h.visibility_head(x).squeeze(-1), h.confidence_head(x).squeeze(-1),
                h.normal_head(x), h.displacement_head(x))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def load_state(model: OpenD4rt, state: dict, source: str = 'checkpoint') -> None:
    """Copies ``state`` into ``model`` after checking that the names and shapes are exactly the
    model's: a missing, unexpected or misshapen tensor raises :class:`ConversionError` naming it."""
    want = model.state_dict()
    state = dict(state)
    freq = state.pop('query_embedder.uv_encoder.frequencies', None)
    if freq is not None and not torch.allclose(freq.float(), model.query_embedder.uv_encoder.freq, rtol=1e-6, atol=0):
        # older checkpoints may hold the Fourier frequencies; they must be the ones computed here
        raise ConversionError(f'{source}: query_embedder.uv_encoder.frequencies {freq.tolist()} are not pi 2^k')
    for k, v in want.items():
        if k not in state:
            raise ConversionError(f'{source}: has no tensor {k!r} (the architecture of model.yaml needs one of shape '
                                  f'{list(v.shape)}); is model.yaml the one this checkpoint was trained with?')
    for k, v in state.items():
        if k not in want:
            raise ConversionError(f'{source}: tensor {k!r} {list(v.shape)} is not part of the architecture model.yaml '
                                  'describes (a different model version or config?)')
        if tuple(v.shape) != tuple(want[k].shape):
            raise ConversionError(f'{source}: tensor {k!r} has shape {list(v.shape)}; the architecture of model.yaml '
                                  f'needs {list(want[k].shape)}')
        if not v.is_floating_point():
            raise ConversionError(f'{source}: tensor {k!r} is {v.dtype}; weights must be floating point')
    # the checkpoint's tensors become the parameters (no second copy of a full-size model)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for k, v in state.items():
            params[k].data = v.float().contiguous()
