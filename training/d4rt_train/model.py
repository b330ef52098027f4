"""D4RT-tiny: a video encoder that runs once and a cross-attention decoder for query tuples.

Encoder (D4RT): tubelet patches (tubelet_t x p x p) -> linear embedding + fixed sinusoidal
space-time positions, an aspect-ratio token, blocks alternating frame-local self-attention (tokens
of one tubelet slice) and global self-attention (all tokens). Output: the memory [B, N, C].

Decoder (D4RT): one token per query = Fourier features of (u, v) + learned embeddings of tSrc, tTgt,
tCam + an embedding of the p x p RGB patch around (u, v) in frame tSrc; with ``local_sample`` also
the memory tokens bilinearly sampled at (u, v) in the tubelet slices of tSrc and tTgt (the query
initialisation of the second seed paper, which samples backbone features at the query point; it
gives each query its local context at once and made depth learn much faster). Blocks of cross-attention
from the queries to the memory and an MLP; queries never attend to each other, so any split of a
batch of queries gives the same answers.

Heads (the tracking-head math of "Fast Spatial Tracking with Visual Geometry Transformer"):
``xyz`` raw (x', y', z') decoded as z = exp(z'), x = x' z, y = y' z in camera tCam; ``uv`` per-axis
logits over ``uv_bins`` bin centres in [0, 1], decoded by truncated soft-argmax; ``visibility`` and
``confidence`` logits, decoded by sigmoid. The decoding lives outside the graph (in the SDK's core
and in :func:`decode_outputs` here) so both sides share one definition.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig
from .preprocess import bilinear_gather


def _attention(q, k, v):
    """softmax(q k^T / sqrt(d)) v on [B, heads, L, d]; plain ops so it exports to ONNX opset 17."""
    w = torch.matmul(q * (q.shape[-1] ** -0.5), k.transpose(-1, -2))   # scale the small side
    return torch.matmul(torch.softmax(w, dim=-1), v)


class FusedAttention(torch.autograd.Function):
    """Multi-head attention of projected q [B, Q, C], k, v [B, N, C] -> [B, Q, C] (heads split
    inside): in PyTorch the plain ops of :func:`_attention`; exported as one
    ``com.microsoft::MultiHeadAttention`` node, which onnxruntime (CPU, wasm and WebGPU) runs as a
    fused kernel instead of MatMul, Softmax, MatMul and the transposes between them."""

    @staticmethod
    def forward(ctx, q, k, v, heads: int):
        b, s, c = q.shape
        n = k.shape[1]
        split = lambda t, m: t.reshape(b, m, heads, c // heads).transpose(1, 2)
        return _attention(split(q, s), split(k, n), split(v, n)).transpose(1, 2).reshape(b, s, c)

    @staticmethod
    def symbolic(g, q, k, v, heads: int):
        out = g.op('com.microsoft::MultiHeadAttention', q, k, v, num_heads_i=heads)
        out.setType(q.type())   # [B, Q, C] like q, for the exporter's shape inference
        return out


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = _attention(qkv[0], qkv[1], qkv[2])
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class CrossAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    fused = False   # set by the export: one fused multi-head attention op (see FusedAttention)

    def forward(self, x, mem, bias=None):
        b, q, c = x.shape
        n = mem.shape[1]
        h = self.heads
        if self.fused and bias is None:
            kv = self.kv(mem)
            return self.proj(FusedAttention.apply(self.q(x), kv[..., :c], kv[..., c:], h))
        qh = self.q(x).reshape(b, q, h, c // h).transpose(1, 2)
        kv = self.kv(mem).reshape(b, n, 2, h, c // h).permute(2, 0, 3, 1, 4)
        if bias is None:
            y = _attention(qh, kv[0], kv[1])
        else:  # bias [B, Q, N]: 0 where a query may look, -1e4 elsewhere
            w = torch.matmul(qh * (qh.shape[-1] ** -0.5), kv[0].transpose(-1, -2)) + bias[:, None]
            y = torch.matmul(torch.softmax(w, dim=-1), kv[1])
        return self.proj(y.transpose(1, 2).reshape(b, q, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, ratio: float, out: int | None = None):
        super().__init__()
        hidden = int(dim * ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, out or dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class EncoderBlock(nn.Module):
    """Pre-norm transformer block; ``local`` blocks attend within one tubelet slice only."""

    def __init__(self, dim: int, heads: int, ratio: float, local: bool):
        super().__init__()
        self.local = local
        self.n1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, ratio)

    def forward(self, x, slices: int):
        b, n, c = x.shape
        if self.local:
            # token 0 is the aspect token: it joins global attention only.
            head, body = x[:, :1], x[:, 1:]
            y = self.attn(self.n1(body).reshape(b * slices, (n - 1) // slices, c)).reshape(b, n - 1, c)
            x = torch.cat([head, body + y], dim=1)
        else:
            x = x + self.attn(self.n1(x))
        return x + self.mlp(self.n2(x))


def sincos_3d(t: int, h: int, w: int, dim: int) -> torch.Tensor:
    """Fixed sinusoidal space-time positions [t*h*w, dim]: dim split over (t, y, x)."""
    d_t = (dim // 3) // 2 * 2
    d_y = (dim // 3) // 2 * 2
    d_x = dim - d_t - d_y

    def axis(n, d):
        pos = torch.arange(n, dtype=torch.float64)[:, None]
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float64) / d)[None]
        e = torch.zeros(n, d, dtype=torch.float64)
        e[:, 0::2] = torch.sin(pos * freq)
        e[:, 1::2] = torch.cos(pos * freq)[:, : d // 2]
        return e

    et, ey, ex = axis(t, d_t), axis(h, d_y), axis(w, d_x)
    grid = torch.cat([
        et[:, None, None].expand(t, h, w, d_t),
        ey[None, :, None].expand(t, h, w, d_y),
        ex[None, None, :].expand(t, h, w, d_x),
    ], dim=-1)
    return grid.reshape(t * h * w, dim).float()


class ConvStem(nn.Module):
    """Per-frame convolutional stem: per stage a stride-2 3x3 conv and a 3x3 conv (GELU after each);
    three stages give stride 8. Early convolutions make small ViTs far more sample-efficient."""

    def __init__(self, chans):
        super().__init__()
        layers, cin = [], 3
        for c in chans:
            layers += [nn.Conv2d(cin, c, 3, 2, 1), nn.GELU(), nn.Conv2d(c, c, 3, 1, 1), nn.GELU()]
            cin = c
        self.net = nn.Sequential(*layers)

    def forward(self, x, all_stages: bool = False):
        """The last stage's features, or with ``all_stages`` those of each stage (1/2, 1/4, ...)."""
        feats = []
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i % 4 == 3:
                feats.append(x)
        return feats if all_stages else x


def _conv_gelu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.GELU())


class DepthUNet(nn.Module):
    """Per-pixel log-depth of every frame from the transformer tokens (of the frame's tubelet
    slice) and the conv stem's per-frame features at 1/8, 1/4 and 1/2 resolution and the pixels."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c1, c2, c3 = cfg.stem_channels
        self.cfg = cfg
        self.b3 = _conv_gelu(cfg.width + c3, 64)
        self.b2 = _conv_gelu(64 + c2, 32)
        self.b1 = _conv_gelu(32 + c1, 16)
        self.b0 = _conv_gelu(16 + 3, 8)
        self.out = nn.Conv2d(8, 1, 3, 1, 1)

    def forward(self, tokens, feats, frames):
        """tokens [B, S gh gw, C], feats [f1, f2, f3] of [B T, c, ., .], frames [B T, 3, H, W]
        -> log-depth [B T, H, W]."""
        cfg = self.cfg
        b = tokens.shape[0]
        s, tt = cfg.T // cfg.tubelet_t, cfg.tubelet_t
        gh, gw = cfg.H // cfg.patch, cfg.W // cfg.patch
        x = tokens.reshape(b, s, 1, gh, gw, cfg.width).expand(b, s, tt, gh, gw, cfg.width)
        x = x.reshape(b * cfg.T, gh, gw, cfg.width).permute(0, 3, 1, 2)
        x = self.b3(torch.cat([x, feats[2]], 1))
        up = lambda t: F.interpolate(t, scale_factor=2.0, mode='bilinear', align_corners=False)
        x = self.b2(torch.cat([up(x), feats[1]], 1))
        x = self.b1(torch.cat([up(x), feats[0]], 1))
        x = self.b0(torch.cat([up(x), frames], 1))
        return self.out(x)[:, 0]


def depth_to_tokens(d: torch.Tensor, cfg: ModelConfig) -> torch.Tensor:
    """Per-pixel maps [B T, H, W] -> one token per tubelet [B, S gh gw, tt p p], laid out (tt, p, p)
    (the layout of the dense depth targets)."""
    tt, p = cfg.tubelet_t, cfg.patch
    gh, gw = cfg.H // p, cfg.W // p
    b = d.shape[0] // cfg.T
    d = d.reshape(b, cfg.T // tt, tt, gh, p, gw, p).permute(0, 1, 3, 5, 2, 4, 6)
    return d.reshape(b, (cfg.T // tt) * gh * gw, tt * p * p)


class Encoder(nn.Module):
    """video [B, T, 3, H, W] (normalised), aspect [B] (source width / height) -> memory [B, N, C]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.width
        if cfg.depth_decoder not in ('', 'unet'):
            raise ValueError(f"depth_decoder: {cfg.depth_decoder!r} is not one of '', 'unet'")
        if cfg.depth_decoder == 'unet':
            if cfg.stem != 'conv' or not cfg.depth_skip or len(cfg.stem_channels) != 3:
                raise ValueError("depth_decoder 'unet': needs stem 'conv' with 3 stages and depth_skip")
            if cfg.tubelet_t * cfg.patch ** 2 > cfg.width:
                raise ValueError(f'depth_decoder unet: a tubelet has {cfg.tubelet_t * cfg.patch ** 2} pixels, '
                                 f'more than the memory width {cfg.width}')
            self.depth_unet = DepthUNet(cfg)
        if cfg.corr_track:
            if cfg.stem != 'conv' or len(cfg.stem_channels) != 3:
                raise ValueError("corr_track: needs stem 'conv' with 3 stages")
            if (cfg.corr_positions * cfg.corr_channels) % cfg.width:
                raise ValueError(f'corr_track: a frame\'s {cfg.corr_positions} x {cfg.corr_channels} features '
                                 f'do not fill whole memory tokens of width {cfg.width}')
            self.corr_head = nn.Sequential(nn.Conv2d(cfg.stem_channels[1], 64, 3, 1, 1), nn.GELU(),
                                           nn.Conv2d(64, cfg.corr_channels, 1))
        if cfg.stem == 'conv':
            if cfg.patch != 2 ** len(cfg.stem_channels):
                raise ValueError(f'stem conv: patch {cfg.patch} must be 2 ** len(stem_channels) = '
                                 f'{2 ** len(cfg.stem_channels)}')
            self.stem = ConvStem(cfg.stem_channels)
            self.embed = nn.Linear(cfg.tubelet_t * cfg.stem_channels[-1], c)
        elif cfg.stem == 'linear':
            self.embed = nn.Linear(3 * cfg.tubelet_t * cfg.patch * cfg.patch, c)
        else:
            raise ValueError(f"stem: {cfg.stem!r} is not one of 'linear', 'conv'")
        self.slices = cfg.T // cfg.tubelet_t
        self.gh, self.gw = cfg.H // cfg.patch, cfg.W // cfg.patch
        self.register_buffer('pos', sincos_3d(self.slices, self.gh, self.gw, c), persistent=False)
        self.aspect_token = nn.Parameter(torch.zeros(1, 1, c))
        self.aspect_embed = nn.Linear(1, c)
        self.blocks = nn.ModuleList(
            [EncoderBlock(c, cfg.heads, cfg.mlp_ratio, local=(i % 2 == 0)) for i in range(cfg.depth)])
        self.norm = nn.LayerNorm(c)
        nn.init.normal_(self.aspect_token, std=0.02)

    def forward(self, video, aspect, layers: tuple = ()):
        """The memory [B, N, C]; with ``layers`` (1-based block numbers, ascending, e.g. (2, 4, 6))
        also the token sequences (aspect token + tubelet tokens, the first 1 + tubelets rows) after
        those blocks, stacked [B, L, 1 + tubelets, C]; block ``depth`` gives the final LayerNorm-ed
        tokens (the memory's first rows). The memory is the same either way."""
        cfg = self.cfg
        b = video.shape[0]
        tt, p = cfg.tubelet_t, cfg.patch
        if layers and (list(layers) != sorted(set(layers)) or not 1 <= layers[0] or layers[-1] > cfg.depth):
            raise ValueError(f'layers: {tuple(layers)} must be ascending block numbers in 1 .. {cfg.depth}')
        if cfg.stem == 'conv':
            frames = video.reshape(b * cfg.T, 3, cfg.H, cfg.W)
            feats = self.stem(frames, all_stages=True)
            f = feats[-1]                                                    # [B T, C, H/p, W/p]
            ch = f.shape[1]
            x = f.reshape(b, self.slices, tt, ch, self.gh, self.gw).permute(0, 1, 4, 5, 2, 3)
            x = x.reshape(b, self.slices * self.gh * self.gw, tt * ch)
        else:
            # [B, T, 3, H, W] -> [B, T/tt, H/p, W/p, tt*3*p*p] (tubelets)
            x = video.reshape(b, self.slices, tt, 3, self.gh, p, self.gw, p)
            x = x.permute(0, 1, 4, 6, 2, 3, 5, 7).reshape(b, self.slices * self.gh * self.gw, tt * 3 * p * p)
        x = self.embed(x) + self.pos
        a = self.aspect_token + self.aspect_embed(torch.log(aspect).reshape(b, 1, 1))
        x = torch.cat([a, x], dim=1)
        kept = []
        for i, blk in enumerate(self.blocks):
            x = blk(x, self.slices)
            if i + 1 in layers and i + 1 < cfg.depth:
                kept.append(x)
        x = self.norm(x)
        if cfg.depth in layers:
            kept.append(x)
        if cfg.depth_decoder == 'unet':
            d = depth_to_tokens(self.depth_unet(x[:, 1:], feats, frames), cfg)
            if d.shape[-1] < cfg.width:
                d = F.pad(d, (0, cfg.width - d.shape[-1]))
            x = torch.cat([x, d], dim=1)
        if cfg.corr_track:   # [B T, Cf, H/4, W/4] -> rows of width C, frame-major then (y, x, channel)
            cf = self.corr_head(feats[1]).permute(0, 2, 3, 1)
            x = torch.cat([x, cf.reshape(b, cfg.corr_tokens, cfg.width)], dim=1)
        if layers:
            return x, torch.stack([k[:, : 1 + cfg.tubelets] for k in kept], dim=1)
        return x


class DecoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, ratio: float):
        super().__init__()
        self.nq = nn.LayerNorm(dim)
        self.nm = nn.LayerNorm(dim)
        self.attn = CrossAttention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, ratio)

    def forward(self, x, mem, bias=None):
        x = x + self.attn(self.nq(x), self.nm(mem), bias)
        return x + self.mlp(self.n2(x))


class Decoder(nn.Module):
    """memory [B, N, C], coords [B, Q, 2], times int64 [B, Q, 3], patches [B, Q, 3 p p] -> heads."""

    legacy_correlation = False   # the first export's correlation (for speed comparisons only)

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.dec_width
        self.register_buffer('freqs', (2.0 ** torch.arange(cfg.fourier_bands).float()) * math.pi,
                             persistent=False)
        self.coord_embed = nn.Linear(2 + 4 * cfg.fourier_bands, d)
        self.t_src = nn.Embedding(cfg.T, d)
        self.t_tgt = nn.Embedding(cfg.T, d)
        self.t_cam = nn.Embedding(cfg.T, d)
        self.patch_embed = Mlp(3 * cfg.query_patch ** 2, 2.0, out=d)
        self.mem_proj = nn.Linear(cfg.width, d) if cfg.width != d else nn.Identity()
        self.blocks = nn.ModuleList([DecoderBlock(d, cfg.dec_heads, 4.0) for _ in range(cfg.dec_depth)])
        self.attn_kinds = (cfg.dec_attn or 'g' * cfg.dec_depth)
        if len(self.attn_kinds) != cfg.dec_depth or set(self.attn_kinds) - set('gts'):
            raise ValueError(f"dec_attn: {cfg.dec_attn!r} must have one of 'g', 't', 's' per decoder "
                             f'block ({cfg.dec_depth})')
        if set(self.attn_kinds) - {'g'}:
            per = (cfg.H // cfg.patch) * (cfg.W // cfg.patch)
            sl = torch.cat([torch.tensor([-1]), torch.arange(cfg.tubelets) // per])
            self.register_buffer('token_slice', sl, persistent=False)
        if cfg.depth_skip:
            if cfg.depth_decoder != 'unet':
                self.depth_head = nn.Linear(cfg.width, cfg.tubelet_t * cfg.patch * cfg.patch)
            self.depth_embed = nn.Linear(1, d)
        if cfg.track_refine:
            if not (cfg.depth_skip and cfg.local_sample):
                raise ValueError('track_refine: needs depth_skip and local_sample')
            if not 1 <= cfg.refine_after < cfg.dec_depth:
                raise ValueError(f'refine_after: {cfg.refine_after} must be in [1, dec_depth - 1 = {cfg.dec_depth - 1}]')
            self.refine_norm = nn.LayerNorm(d)
            self.refine_uv = nn.Linear(d, 2 * cfg.uv_bins)
            self.refine_feat = nn.Linear(cfg.width, d)
            self.refine_depth = nn.Linear(1 + 2 * len(SCALAR_FREQS), d)
            self.head_gate = nn.Linear(d, 1)
            for lin in (self.refine_feat, self.refine_depth, self.head_gate):  # a no-op until trained
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
            nn.init.constant_(self.head_gate.bias, -4.0)
            self.register_buffer('bin_centres', torch.linspace(0, 1, cfg.uv_bins), persistent=False)
        if cfg.corr_track:
            if not cfg.track_refine:
                raise ValueError('corr_track: needs track_refine (the lookup at the 2D estimate)')
            h4, w4 = cfg.H // 4, cfg.W // 4
            ys, xs = torch.meshgrid(torch.arange(h4).float(), torch.arange(w4).float(), indexing='ij')
            # feature (i, j) sees the pixels centred at 4 j + 1.5, 4 i + 1.5
            pos = torch.stack([(4 * xs + 1.5) / (cfg.W - 1), (4 * ys + 1.5) / (cfg.H - 1)], -1).reshape(-1, 2)
            self.register_buffer('corr_uv', pos.repeat(cfg.T, 1), persistent=False)                 # [T P, 2]
            self.register_buffer('corr_frame', torch.arange(cfg.T).repeat_interleave(h4 * w4), persistent=False)
            self.corr_logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))
            self.corr_embed = nn.Linear(2 + 4 * cfg.fourier_bands + 2, d)
            self.uv_skip = nn.Linear(d, 1)
            for lin in (self.corr_embed, self.uv_skip):
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
            nn.init.constant_(self.uv_skip.bias, -4.0)
        if cfg.query_norm:
            n_sum = 5 + (2 if cfg.local_sample else 0) + (1 if cfg.depth_skip else 0)
            self.qnorms = nn.ModuleList([nn.LayerNorm(d) for _ in range(n_sum)])
        if cfg.local_sample:
            self.local_norm = nn.LayerNorm(cfg.width)
            self.local_src = nn.Linear(cfg.width, d)
            self.local_tgt = nn.Linear(cfg.width, d)
            for lin in (self.local_src, self.local_tgt):  # zero-init: a no-op until trained
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)
        self.norm = nn.LayerNorm(d)
        self.head_xyz = nn.Linear(d, 3)
        self.head_uv = nn.Linear(d, 2 * cfg.uv_bins)
        self.head_vis = nn.Linear(d, 1)
        self.head_conf = nn.Linear(d, 1)
        for emb in (self.t_src, self.t_tgt, self.t_cam):
            nn.init.normal_(emb.weight, std=0.02)
        nn.init.zeros_(self.head_xyz.bias)

    def part_names(self) -> tuple:
        names = ['fourier', 'tSrc', 'tTgt', 'tCam', 'patch']
        if self.cfg.local_sample:
            names += ['localSrc', 'localTgt']
        if self.cfg.depth_skip:
            names.append('depthSrc')
        return tuple(names)

    def fourier(self, c):
        """[..., 2] -> [..., 2 + 4 bands]: c, sin and cos of c at the bands' frequencies."""
        ang = c[..., None] * self.freqs
        lead = c.shape[:-1]
        return torch.cat([c, torch.sin(ang).reshape(*lead, -1), torch.cos(ang).reshape(*lead, -1)], -1)

    def correlate(self, memory, coords, times):
        """The correlation 2D estimate: the source pixel's stride-4 feature (bilinear at (u, v) in
        frame tSrc) against every position of frame tTgt's map, softmax, expected position.
        Returns uv [B, Q, 2] and the peak probability [B, Q, 1]."""
        cfg = self.cfg
        b, q, _ = coords.shape
        P, cf = cfg.corr_positions, cfg.corr_channels
        h4, w4 = cfg.H // 4, cfg.W // 4
        off = 1 + cfg.tubelets * (2 if cfg.depth_decoder == 'unet' else 1)
        feats = memory[:, off:].reshape(b, cfg.T * P, cf)
        gx = (coords[..., 0] * (cfg.W - 1) - 1.5) / 4
        gy = (coords[..., 1] * (cfg.H - 1) - 1.5) / 4
        base = (torch.arange(b, device=coords.device)[:, None] * cfg.T + times[..., 0]) * P
        fs = bilinear_gather(feats.reshape(b * cfg.T * P, cf), base, gx, gy, h4, w4)           # [B, Q, Cf]
        fs = fs * (torch.exp(self.corr_logit_scale) / math.sqrt(cf))
        if self.legacy_correlation:   # the first export: a softmax over every frame, -1e4 off the target
            logits = torch.matmul(fs, feats.transpose(1, 2))
            other = (self.corr_frame[None, None, :] != times[..., 1:2]).float() * -1e4        # [B, Q, T P]
            p = torch.softmax(logits + other, dim=-1)
            return torch.matmul(p, self.corr_uv), p.max(dim=-1, keepdim=True)[0]
        # the target frame's P logits only (the same answer: exp(-1e4) is 0 in float32), so the
        # softmax and the expected position see P values instead of T P
        if b == 1:
            # one clip (inference): each query's logits against its own target frame only. Queries
            # are grouped by target frame into a [U, G] padded batch (U frames targeted, G queries
            # in the largest group), so the matrix product computes about Q P logits instead of
            # Q T P, and a chunk of dense queries (one or two target frames) is one product.
            u, inv, counts = torch.unique(times[0, :, 1], sorted=True, return_inverse=True, return_counts=True)
            n_groups, g = u.shape[0], counts.max()
            order = torch.argsort(inv)                                            # grouped by frame
            first = torch.cumsum(counts, 0) - counts
            grp = inv[order]
            slot_sorted = grp * g + (torch.arange(q, device=coords.device) - first[grp])
            slot = torch.zeros_like(slot_sorted).scatter(0, order, slot_sorted)   # each query's row
            padded = torch.zeros(n_groups * g, cf, dtype=fs.dtype, device=fs.device).index_copy(0, slot, fs[0])
            fu = feats[0].reshape(cfg.T, P, cf)[u]                                # [U, P, Cf]
            lg = torch.matmul(padded.reshape(n_groups, g, cf), fu.transpose(1, 2))  # [U, G, P]
            logits = lg.reshape(-1, P)[slot][None]                                # [1, Q, P]
        else:
            logits = torch.matmul(fs, feats.transpose(1, 2))
            idx = times[..., 1][..., None, None].expand(b, q, 1, P)
            logits = torch.gather(logits.reshape(b, q, cfg.T, P), 2, idx).reshape(b, q, P)
        p = torch.softmax(logits, dim=-1)
        return torch.matmul(p, self.corr_uv[:P]), p.max(dim=-1, keepdim=True)[0]

    def depth_map(self, memory):
        """The dense depth head's log-depth maps, flat [B T H W, 1] (per pixel of every frame)."""
        cfg = self.cfg
        b = memory.shape[0]
        tt, p = cfg.tubelet_t, cfg.patch
        gh, gw = cfg.H // p, cfg.W // p
        n = cfg.tubelets
        if cfg.depth_decoder == 'unet':  # the encoder's per-pixel depth tokens
            dmap = memory[:, 1 + n:1 + 2 * n, : tt * p * p]
        else:
            dmap = self.depth_head(memory[:, 1:1 + n])                 # [B, S gh gw, tt p p]
        dmap = dmap.reshape(b, cfg.T // tt, gh, gw, tt, p, p).permute(0, 1, 4, 2, 5, 3, 6)
        return dmap.reshape(b * cfg.T * cfg.H * cfg.W, 1)

    def depth_at(self, dmap, coords, t):
        """Bilinear samples [B, Q] of :meth:`depth_map` at (u, v) = ``coords`` [B, Q, 2] in frames t [B, Q]."""
        cfg = self.cfg
        b = coords.shape[0]
        base = (torch.arange(b, device=coords.device)[:, None] * cfg.T + t) * (cfg.H * cfg.W)
        return bilinear_gather(dmap, base, coords[..., 0] * (cfg.W - 1), coords[..., 1] * (cfg.H - 1),
                               cfg.H, cfg.W)[..., 0]

    def source_depth(self, memory, coords, times):
        """The dense depth head's log-depth at (u, v) in frame tSrc [B, Q] (bilinear, per pixel)."""
        return self.depth_at(self.depth_map(memory), coords, times[..., 0])

    def query_parts(self, memory, coords, times, patches, src_depth=None) -> list:
        """The summands of the query token [B, Q, D] in the order of :meth:`part_names` (after
        their LayerNorms with ``query_norm``)."""
        b, q, _ = coords.shape
        ang = coords[..., None] * self.freqs                        # [B, Q, 2, F]
        four = torch.cat([coords, torch.sin(ang).reshape(b, q, -1), torch.cos(ang).reshape(b, q, -1)], -1)
        parts = [self.coord_embed(four), self.t_src(times[..., 0]), self.t_tgt(times[..., 1]),
                 self.t_cam(times[..., 2]), self.patch_embed(patches)]
        if self.cfg.local_sample:
            grid = self.local_norm(memory[:, 1:1 + self.cfg.tubelets])
            parts.append(self.local_src(sample_memory(grid, coords, times[..., 0], self.cfg)))
            parts.append(self.local_tgt(sample_memory(grid, coords, times[..., 1], self.cfg)))
        if self.cfg.depth_skip:
            if src_depth is None:
                src_depth = self.source_depth(memory, coords, times)
            parts.append(self.depth_embed(src_depth[..., None]))
        if self.cfg.query_norm:
            parts = [n(p) for n, p in zip(self.qnorms, parts)]
        return parts

    def forward(self, memory, coords, times, patches, extra: bool = False):
        """Heads (xyz, uv, visibility, confidence); with ``extra`` also a dict of intermediate
        outputs for deep supervision (``uv1``: the refinement's first 2D logits)."""
        cfg = self.cfg
        b, q, _ = coords.shape
        dmap = self.depth_map(memory) if cfg.depth_skip else None
        src_depth = self.depth_at(dmap, coords, times[..., 0]) if cfg.depth_skip else None
        parts = self.query_parts(memory, coords, times, patches, src_depth)
        x = parts[0]
        for p in parts[1:]:
            x = x + p
        mem = self.mem_proj(memory[:, : 1 + cfg.tubelets])     # attention reads the tubelet tokens
        biases = {}
        for kind in set(self.attn_kinds) - {'g'}:
            sl = times[..., 1 if kind == 't' else 0] // cfg.tubelet_t          # [B, Q]
            ok = (self.token_slice[None, None, :] == sl[..., None]) | (self.token_slice < 0)[None, None, :]
            biases[kind] = (~ok).float() * -1e4
        inter = {}
        tgt_gap = None
        uv_corr = None
        if cfg.corr_track:
            uv_corr, peak = self.correlate(memory, coords, times)
            inter['uvCorr'] = uv_corr
            four = self.fourier(uv_corr - coords)
            x = x + self.corr_embed(torch.cat([four, peak, torch.log(peak.clamp(min=1e-6))], -1))
        for i, (kind, blk) in enumerate(zip(self.attn_kinds, self.blocks)):
            x = blk(x, mem, biases.get(kind))
            if cfg.track_refine and i + 1 == cfg.refine_after:
                logits1 = self.refine_uv(self.refine_norm(x)).reshape(b, q, 2, cfg.uv_bins)
                inter['uv1'] = logits1
                uv1 = (torch.softmax(logits1, dim=-1) * self.bin_centres).sum(-1).detach()   # [B, Q, 2]
                if uv_corr is not None:   # the correlation's estimate is the lookup point
                    uv1 = uv_corr.detach()
                grid = self.local_norm(memory[:, 1:1 + cfg.tubelets])
                x = x + self.refine_feat(sample_memory(grid, uv1, times[..., 1], cfg))
                tgt_gap = self.depth_at(dmap, uv1, times[..., 1]) - src_depth   # log-depth there - here
                x = x + self.refine_depth(scalar_fourier(tgt_gap))
        x = self.norm(x)
        xyz = self.head_xyz(x)
        if src_depth is not None:   # z' = the source pixel's dense log-depth + a learned residual
            z = xyz[..., 2] + src_depth
            if tgt_gap is not None:  # + a gated step to the dense depth at the first 2D estimate
                z = z + torch.sigmoid(self.head_gate(x)[..., 0]) * tgt_gap
            xyz = torch.cat([xyz[..., :2], z[..., None]], dim=-1)
        uv = self.head_uv(x).reshape(b, q, 2, cfg.uv_bins)
        if uv_corr is not None:   # a gated Gaussian bump (sigma 1 bin) at the correlation's estimate
            k = F.softplus(self.uv_skip(x))[..., None]                                   # [B, Q, 1, 1]
            dist = (self.bin_centres - uv_corr[..., None]) * (cfg.uv_bins - 1)
            uv = uv - k * 0.5 * dist ** 2
        out = (xyz, uv, self.head_vis(x)[..., 0], self.head_conf(x)[..., 0])
        return (out, inter) if extra else out


SCALAR_FREQS = (1.0, 2.0, 4.0, 8.0)


def scalar_fourier(s: torch.Tensor) -> torch.Tensor:
    """s [...] -> [..., 1 + 2 len(SCALAR_FREQS)]: s, sin(f s), cos(f s) (a scalar embedding whose
    magnitude survives a LayerNorm downstream)."""
    f = torch.tensor(SCALAR_FREQS, dtype=s.dtype, device=s.device)
    a = s[..., None] * f
    return torch.cat([s[..., None], torch.sin(a), torch.cos(a)], dim=-1)


def sample_memory(grid: torch.Tensor, coords: torch.Tensor, t: torch.Tensor, cfg: ModelConfig) -> torch.Tensor:
    """Bilinear sample of the tubelet tokens at (u, v) in the slice of frame t (border-clamped).

    grid [B, S*gh*gw, C] (the memory without the aspect token), coords [B, Q, 2], t int64 [B, Q]
    -> [B, Q, C]. Token (i, j) sits at the centre of its p x p pixel block. Plain gathers, so it
    exports to ONNX and its answer for one query does not depend on the others.
    """
    b, n, c = grid.shape
    p = cfg.patch
    gh, gw = cfg.H // p, cfg.W // p
    gx = (coords[..., 0] * (cfg.W - 1) - (p - 1) / 2) / p
    gy = (coords[..., 1] * (cfg.H - 1) - (p - 1) / 2) / p
    base = torch.arange(b, device=grid.device)[:, None] * n + (t // cfg.tubelet_t) * (gh * gw)
    return bilinear_gather(grid.reshape(b * n, c), base, gx, gy, gh, gw)


class D4RT(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        # training-only dense depth head (not exported): each memory token predicts the log-depth
        # (over the clip's mean depth) of every pixel of its tubelet.
        # with ``depth_skip`` it is the decoder's own depth head; with ``depth_decoder='unet'`` the
        # memory holds the dense depth itself (see :meth:`dense_depth`).
        if cfg.depth_decoder != 'unet':
            self.aux_depth = (self.decoder.depth_head if cfg.depth_skip
                              else nn.Linear(cfg.width, cfg.tubelet_t * cfg.patch * cfg.patch))

    def dense_depth(self, mem):
        """The dense log-depth (over the clip's mean) per tubelet token [B, S gh gw, tt p p]."""
        cfg = self.cfg
        n = cfg.tubelets
        if cfg.depth_decoder == 'unet':
            return mem[:, 1 + n:1 + 2 * n, : cfg.tubelet_t * cfg.patch ** 2]
        return self.aux_depth(mem[:, 1:1 + n])

    def forward(self, video, aspect, coords, times, patches, aux: bool = False):
        """The decoder's heads; with ``aux`` a dict {'out': heads, 'aux_depth': the dense depth
        head's output per memory token, and the decoder's intermediate outputs (e.g. 'uv1')}."""
        mem = self.encoder(video, aspect)
        if not aux:
            return self.decoder(mem, coords, times, patches)
        out, inter = self.decoder(mem, coords, times, patches, extra=True)
        return {'out': out, 'aux_depth': self.dense_depth(mem), **inter}


# ---------------------------------------------------------------------------------------------
# Head decoding: the same math as @d4rt/core (keep the two in step).

def decode_xyz(raw: torch.Tensor) -> torch.Tensor:
    """(x', y', z') -> (x, y, z): z = exp(z'), x = x' z, y = y' z."""
    z = torch.exp(raw[..., 2])
    return torch.stack([raw[..., 0] * z, raw[..., 1] * z, z], dim=-1)


def encode_xyz(xyz: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`decode_xyz` (z must be > 0)."""
    z = xyz[..., 2]
    return torch.stack([xyz[..., 0] / z, xyz[..., 1] / z, torch.log(z)], dim=-1)


def truncated_soft_argmax(logits: torch.Tensor, window: int) -> torch.Tensor:
    """logits [..., bins] over centres linspace(0, 1, bins) -> [...] position in [0, 1].

    Softmax restricted to the bins within ``window`` of the argmax (inclusive, clipped at the ends),
    then the probability-weighted mean of those bin centres. Differentiable almost everywhere.
    """
    bins = logits.shape[-1]
    centres = torch.linspace(0, 1, bins, device=logits.device, dtype=logits.dtype)
    idx = torch.arange(bins, device=logits.device)
    arg = logits.argmax(dim=-1, keepdim=True)
    keep = (idx - arg).abs() <= window
    masked = logits.masked_fill(~keep, float('-inf'))
    p = torch.softmax(masked, dim=-1)
    return (p * centres).sum(-1)


def decode_outputs(xyz_raw, uv_logits, vis_logit, conf_logit, window: int) -> dict:
    return {
        'xyz': decode_xyz(xyz_raw),
        'uv': truncated_soft_argmax(uv_logits, window),
        'visibility': torch.sigmoid(vis_logit),
        'confidence': torch.sigmoid(conf_logit),
    }


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
