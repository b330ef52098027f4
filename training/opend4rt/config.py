"""OpenD4RT's ``model.yaml``, read and checked.

OpenD4RT (github.com/0Zhengying0/Open-d4rt, Apache-2.0) describes a model by the ``model`` section
of a YAML file (``checkpoints/<name>/model.yaml``). Its builder fills missing keys from defaults (a
ViT variant table, decoder width = encoder width, ...); :func:`read_config` resolves them the same
way, so a YAML that builds upstream builds here, and refuses anything it does not understand with an
error that names the key: a converter that guessed would write a model that silently answers wrong.

Only the ``model`` section is read for the architecture; ``experiment.name`` names the model and
``geometry_decoding`` gives the camera grid. Other top-level sections (training, data) are ignored.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml


class ConfigError(ValueError):
    """A ``model.yaml`` this converter does not understand; the message names the key."""


# ViT variants: width, heads, layers, MLP ratio (upstream's defaults when a key is left out; an
# unknown variant name falls back to the last row, as upstream's builder does)
VARIANTS = {
    'vit-b': (768, 12, 12, 4.0),
    'vit-l': (1024, 16, 24, 4.0),
    'vit-g': (1408, 16, 40, 6144.0 / 1408.0),
}
OTHER_VARIANT = (512, 8, 8, 4.0)

# spellings of the encoder's attention pattern that upstream accepts
INTERLEAVED = {'interleaved_local_global', 'interleaved_local_framewise_and_global',
               'interleaved_local_framewise_global', 'interleaved_local_and_global'}
GLOBAL = {'global', 'full_global'}

HEADS = {'output_dim_total': 13, 'xyz_3d': 3, 'uv_2d': 2, 'visibility': 1, 'displacement': 3, 'normal': 3,
         'confidence': 1}
QUERY_FIELDS = ['u', 'v', 't_src', 't_tgt', 't_cam']

KNOWN = {
    'model': {'name', 'input', 'encoder', 'decoder', 'query_embedding', 'heads'},
    'model.input': {'clip_frames', 'image_size', 'channels', 'use_aspect_ratio_token'},
    'model.encoder': {'type', 'variant', 'num_layers', 'patch_size_t_h_w', 'attention_pattern', 'hidden_dim',
                      'num_heads', 'mlp_ratio', 'max_tokens', 'pretrained'},
    'model.decoder': {'type', 'num_layers', 'query_self_attention', 'hidden_dim', 'num_heads', 'mlp_ratio',
                      'cross_attention_to_global_scene_representation'},
    'model.query_embedding': {'fields', 'uv_encoding', 'timestep_encoding', 'uv_num_bands', 'local_rgb_patch'},
    'model.query_embedding.uv_encoding': {'type', 'num_bands'},
    'model.query_embedding.timestep_encoding': {'type'},
    'model.query_embedding.local_rgb_patch': {'enabled', 'patch_size'},
    'model.heads': set(HEADS),
}


@dataclass(frozen=True)
class OpenD4rtConfig:
    """The resolved architecture (every default filled in)."""
    name: str
    clip_frames: int          # T: frames per clip, and the size of the three time-embedding tables
    height: int               # encoder input size H x W
    width: int
    aspect_token: bool        # an extra token from the aspect ratio joins the global blocks
    enc_width: int
    enc_heads: int
    enc_layers: int
    enc_mlp_ratio: float
    tubelet: tuple            # (t, h, w)
    attention: str            # 'interleaved' (even blocks frame-local, odd blocks global) or 'global'
    max_tokens: int
    dec_width: int
    dec_heads: int
    dec_layers: int
    dec_mlp_ratio: float
    uv_bands: int
    patch_size: int           # p: the p x p RGB patch of each query
    camera_grid: tuple = (32, 32)   # geometry_decoding's query grid for intrinsics and poses

    @property
    def enc_ff(self) -> int:
        return int(math.ceil(self.enc_width * self.enc_mlp_ratio))

    @property
    def dec_ff(self) -> int:
        return int(math.ceil(self.dec_width * self.dec_mlp_ratio))

    @property
    def grid(self) -> tuple:
        """Tubelet grid (T', H', W')."""
        return (self.clip_frames // self.tubelet[0], self.height // self.tubelet[1], self.width // self.tubelet[2])

    @property
    def video_tokens(self) -> int:
        t, h, w = self.grid
        return t * h * w

    @property
    def memory_tokens(self) -> int:
        """Rows of the memory: the tubelet tokens, then the aspect-ratio token."""
        return self.video_tokens + (1 if self.aspect_token else 0)

    def block_modes(self) -> list:
        return [('local' if i % 2 == 0 else 'global') if self.attention == 'interleaved' else 'global'
                for i in range(self.enc_layers)]

    def to_json(self) -> dict:
        d = asdict(self)
        d['tubelet'] = list(self.tubelet)
        d['camera_grid'] = list(self.camera_grid)
        return d


def _section(parent: dict, path: str, key: str, required: bool = False) -> dict:
    full = f'{path}.{key}' if path else key
    v = parent.get(key)
    if v is None:
        if required:
            raise ConfigError(f'model.yaml: {full} is missing')
        return {}
    if not isinstance(v, dict):
        raise ConfigError(f'model.yaml: {full} ({v!r}) must be a mapping')
    unknown = sorted(set(v) - KNOWN[full]) if full in KNOWN else []
    if unknown:
        raise ConfigError(f'model.yaml: {full}.{unknown[0]} is not a key this converter understands '
                          f'(known under {full}: {", ".join(sorted(KNOWN[full]))})')
    return v


def _int(section: dict, path: str, key: str, default=None, minimum: int = 1) -> int:
    v = section.get(key, default)
    if v is None:
        raise ConfigError(f'model.yaml: {path}.{key} is missing')
    if isinstance(v, bool) or not isinstance(v, (int, str)) or not str(v).strip().lstrip('-').isdigit():
        raise ConfigError(f'model.yaml: {path}.{key} ({v!r}) must be an integer')
    v = int(v)
    if v < minimum:
        raise ConfigError(f'model.yaml: {path}.{key} ({v}) must be >= {minimum}')
    return v


def _float(section: dict, path: str, key: str, default: float) -> float:
    v = section.get(key, default)
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ConfigError(f'model.yaml: {path}.{key} ({v!r}) must be a number') from None
    if not (v > 0 and math.isfinite(v)):
        raise ConfigError(f'model.yaml: {path}.{key} ({v}) must be a finite number > 0')
    return v


def _bool(section: dict, path: str, key: str, default: bool) -> bool:
    v = section.get(key, default)
    if not isinstance(v, bool):
        raise ConfigError(f'model.yaml: {path}.{key} ({v!r}) must be true or false')
    return v


def _expect(section: dict, path: str, key: str, allowed: list, default=None):
    v = section.get(key, default)
    if v not in allowed:
        raise ConfigError(f'model.yaml: {path}.{key} ({v!r}) must be {" or ".join(repr(a) for a in allowed)} '
                          f'(the only architecture this converter knows)')
    return v


def parse_config(doc: dict, source: str = 'model.yaml') -> OpenD4rtConfig:
    """Resolves and checks a parsed ``model.yaml`` (see the module notes)."""
    if not isinstance(doc, dict):
        raise ConfigError(f'{source}: the root must be a mapping')
    m = _section(doc, '', 'model', required=True)
    _expect(m, 'model', 'name', ['d4rt'], 'd4rt')
    inp = _section(m, 'model', 'input', required=True)
    enc = _section(m, 'model', 'encoder', required=True)
    dec = _section(m, 'model', 'decoder')
    qe = _section(m, 'model', 'query_embedding')
    heads = _section(m, 'model', 'heads')

    T = _int(inp, 'model.input', 'clip_frames', 48)
    size = inp.get('image_size')
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and s >= 2 for s in size)):
        raise ConfigError(f'model.yaml: model.input.image_size ({size!r}) must be [height, width], integers >= 2')
    H, W = size
    if _int(inp, 'model.input', 'channels', 3) != 3:
        raise ConfigError(f'model.yaml: model.input.channels ({inp["channels"]}) must be 3 (RGB)')
    aspect = _bool(inp, 'model.input', 'use_aspect_ratio_token', False)

    _expect(enc, 'model.encoder', 'type', ['vit_video'], 'vit_video')
    variant = str(enc.get('variant', 'vit-b')).strip().lower().replace('_', '-')
    dw, dh, dl, dm = VARIANTS.get(variant, OTHER_VARIANT)
    ew = _int(enc, 'model.encoder', 'hidden_dim', dw)
    eh = _int(enc, 'model.encoder', 'num_heads', dh)
    el = _int(enc, 'model.encoder', 'num_layers', dl)
    em = _float(enc, 'model.encoder', 'mlp_ratio', dm)
    tub = enc.get('patch_size_t_h_w', [2, 16, 16])
    if not (isinstance(tub, list) and len(tub) == 3 and all(isinstance(s, int) and s >= 1 for s in tub)):
        raise ConfigError(f'model.yaml: model.encoder.patch_size_t_h_w ({tub!r}) must be [t, h, w], integers >= 1')
    pattern = str(enc.get('attention_pattern') or 'global').strip().lower()
    if pattern in INTERLEAVED:
        attention = 'interleaved'
    elif pattern in GLOBAL:
        attention = 'global'
    else:
        raise ConfigError(f'model.yaml: model.encoder.attention_pattern ({pattern!r}) must be one of '
                          f'{", ".join(sorted(INTERLEAVED | GLOBAL))}')
    max_tokens = _int(enc, 'model.encoder', 'max_tokens', 4096)
    if ew % eh:
        raise ConfigError(f'model.yaml: model.encoder.hidden_dim ({ew}) must be a multiple of num_heads ({eh})')
    if ew % 2:
        raise ConfigError(f'model.yaml: model.encoder.hidden_dim ({ew}) must be even (sinusoidal positions)')
    if T % tub[0] or H % tub[1] or W % tub[2]:
        raise ConfigError(f'model.yaml: model.input clip_frames x image_size ({T} x {H} x {W}) must be multiples of '
                          f'model.encoder.patch_size_t_h_w ({tub}): upstream\'s tubelet convolution would drop the rest')

    _expect(dec, 'model.decoder', 'type', ['transformer_cross_attention'], 'transformer_cross_attention')
    _expect(dec, 'model.decoder', 'query_self_attention', [False], False)
    _expect(dec, 'model.decoder', 'cross_attention_to_global_scene_representation', [True], True)
    xw = _int(dec, 'model.decoder', 'hidden_dim', ew)
    xh = _int(dec, 'model.decoder', 'num_heads', max(1, min(16, xw // 64)))
    xl = _int(dec, 'model.decoder', 'num_layers', 8)
    xm = _float(dec, 'model.decoder', 'mlp_ratio', 4.0)
    if xw % xh:
        raise ConfigError(f'model.yaml: model.decoder.hidden_dim ({xw}) must be a multiple of num_heads ({xh})')

    fields = qe.get('fields', QUERY_FIELDS)
    if fields != QUERY_FIELDS:
        raise ConfigError(f'model.yaml: model.query_embedding.fields ({fields!r}) must be {QUERY_FIELDS}')
    uve = _section(qe, 'model.query_embedding', 'uv_encoding')
    _expect(uve, 'model.query_embedding.uv_encoding', 'type', ['fourier_features'], 'fourier_features')
    tse = _section(qe, 'model.query_embedding', 'timestep_encoding')
    _expect(tse, 'model.query_embedding.timestep_encoding', 'type', ['learned_discrete_embedding'],
            'learned_discrete_embedding')
    bands = _int(qe, 'model.query_embedding', 'uv_num_bands', 8)
    if 'num_bands' in uve and _int(uve, 'model.query_embedding.uv_encoding', 'num_bands') != bands:
        # upstream's builder reads only uv_num_bands; a file where the two disagree is ambiguous
        raise ConfigError(f'model.yaml: model.query_embedding.uv_encoding.num_bands ({uve["num_bands"]}) differs from '
                          f'model.query_embedding.uv_num_bands ({bands}), the value upstream builds with')
    lp = _section(qe, 'model.query_embedding', 'local_rgb_patch')
    if not _bool(lp, 'model.query_embedding.local_rgb_patch', 'enabled', True):
        raise ConfigError('model.yaml: model.query_embedding.local_rgb_patch.enabled (false) is not supported: '
                          'the d4rt-model/1 decoder always takes a patch per query')
    p = _int(lp, 'model.query_embedding.local_rgb_patch', 'patch_size', 9)

    for k, v in heads.items():
        if v != HEADS[k]:
            raise ConfigError(f'model.yaml: model.heads.{k} ({v!r}) must be {HEADS[k]} (upstream\'s heads are fixed)')

    grid = (32, 32)
    gd = doc.get('geometry_decoding')
    if isinstance(gd, dict) and isinstance(gd.get('extrinsics_from_queries'), dict):
        g = gd['extrinsics_from_queries'].get('source_grid_hw', list(grid))
        if not (isinstance(g, list) and len(g) == 2 and g[0] == g[1] and isinstance(g[0], int) and g[0] >= 2):
            raise ConfigError(f'model.yaml: geometry_decoding.extrinsics_from_queries.source_grid_hw ({g!r}) must be '
                              '[n, n], a square grid of n >= 2')
        grid = tuple(g)
    name = 'opend4rt'
    exp = doc.get('experiment')
    if isinstance(exp, dict) and isinstance(exp.get('name'), str) and exp['name']:
        name = exp['name']

    cfg = OpenD4rtConfig(name=name, clip_frames=T, height=H, width=W, aspect_token=aspect, enc_width=ew,
                         enc_heads=eh, enc_layers=el, enc_mlp_ratio=em, tubelet=tuple(tub), attention=attention,
                         max_tokens=max_tokens, dec_width=xw, dec_heads=xh, dec_layers=xl, dec_mlp_ratio=xm,
                         uv_bands=bands, patch_size=p, camera_grid=grid)
    if cfg.video_tokens > max_tokens:
        # upstream then average-pools the token grid down to max_tokens: not exported (no released
        # model does it: 48 x 256 x 256 with 2 x 16 x 16 tubelets is exactly 6144)
        raise ConfigError(f'model.yaml: model.encoder.max_tokens ({max_tokens}) is below the {cfg.video_tokens} '
                          f'tubelet tokens of {T} x {H} x {W}; token pooling is not supported')
    return cfg


def read_config(path: Path) -> OpenD4rtConfig:
    """Reads and checks ``model.yaml`` (safe YAML: plain data only)."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding='utf-8'))
    except yaml.YAMLError as e:
        raise ConfigError(f'{path}: not valid YAML ({e})') from None
    return parse_config(doc, str(path))
