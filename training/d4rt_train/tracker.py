"""The trajectory decoder ("tracker") of "Fast Spatial Tracking with a Visual Geometry Transformer",
at D4RT-tiny scale, on top of the D4RT-tiny encoder.

Where the D4RT query decoder answers one (u, v, tSrc, tTgt, tCam) tuple per query, independently,
the tracker decodes a whole trajectory per query point (u, v, tSrc) at once: its 2D position,
its 3D point in the camera of every frame t = 0 .. T-1, its visibility and a confidence.

Inputs (one clip): ``memory`` [B, N_mem, C] (the encoder's memory: the dense depth head and the
stride-4 correlation features are read from it), ``layers`` [B, L, 1 + tubelets, C] (the token
sequences after L encoder blocks, :meth:`Encoder.forward` with ``layers``), ``coords`` [B, N, 2]
((u, v) in [0, 1] in the source frame), ``frames`` int64 [B, N] (the source frame tSrc).

Per query i (the paper's notation):

* **global embedding** g_i = FFN(concat over layers l of the bilinear sample of layer l's tokens at
  (u, v) in the tubelet slice of tSrc) + embeddings of (u, v) (Fourier), tSrc and the source pixel's
  dense log-depth;
* **frame embeddings** h_{i,t} = g_i + embeddings of t and t - tSrc, plus (our addition, the
  encoder's own track cues, as the query decoder uses them) the correlation 2D estimate in frame t
  (the source pixel's stride-4 feature against frame t's map, softmax, expected position), the final
  memory sampled there and the dense depth there relative to the source's;
* per **stage** (``stages``):
  - global branch: g += MLCA(g, every token of every layer), then self-attention across the N
    trajectories, then an MLP;
  - frame branch: h_{., t} += MLCA(h_{., t}, the tokens of frame t's tubelet slice of every layer),
    then self-attention across the N trajectories within frame t, then an MLP;
  - interaction: h_{i,t} += FFN_g2f(concat(g_i, h_{i,t})); g_i += CA_f2g(g_i, {h_{i,t}}_t).
  MLCA (multi-layer cross-attention): one cross-attention per feature layer, mixed by softmax
  weights from an FFN of the query: sum_l w_l CA_l(q, f^l), w = softmax(FFN(q)).
* **tracking head** on each h_{i,t}: uv logits over ``uv_bins`` bins per axis (truncated
  soft-argmax, with a gated Gaussian bump at the correlation estimate as in the query decoder),
  raw (x', y', z') decoded as log-depth (z' = the source pixel's dense log-depth + a residual + a
  gated step to the dense log-depth at the correlation estimate; x' = kx (u_t - 0.5) + a residual
  with u_t the expected 2D position of the uv head and kx > 0 a per-trajectory scale from g, likewise
  y'), visibility and confidence logits.

Queries interact (self-attention across trajectories in both branches), so a query's answer depends
on the other queries of the same call. Semantics: **one call = one set of tracks**; the answers of a
query are a function of the set (not of its order: the tracker is permutation-equivariant in N).
Splitting a set into chunks changes the answers slightly (each chunk is its own set); the SDK should
pass all of a scene's track queries in one call where it can (trained on sets of 64-256 points) and,
if it must chunk, chunk into sets of >= 64 points. ``tests/test_tracker.py`` checks equivariance.

``TrackerConfig.use_global / use_frame / use_interaction`` drop the global branch, the frame
branch or the interaction module (the ablation). Without the interaction module the frame
embeddings see the global embedding only at their initialisation (before the global branch runs),
so the global branch reaches the outputs only through the per-trajectory scales (kx, ky) of x', y'.

Every op exports to ONNX opset 17 (plain MatMul / Softmax attention, gathers for bilinear sampling).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig
from .model import CrossAttention, Mlp, SelfAttention, bilinear_gather, sample_memory, scalar_fourier, SCALAR_FREQS


@dataclass(frozen=True)
class TrackerConfig:
    width: int = 128                 # embedding width (= the encoder width: the memory is read as is)
    heads: int = 4
    stages: int = 2                  # decoding stages (global branch, frame branch, interaction)
    layers: tuple = (2, 4, 6)        # encoder blocks whose outputs are the feature layers (1-based;
                                     # block ``depth`` = the final LayerNorm-ed memory)
    mlp_ratio: float = 2.0
    use_global: bool = True          # ablation: the global branch (MLCA over all frames + SA)
    use_frame: bool = True           # ablation: the frame branch (MLCA within the frame + SA)
    use_interaction: bool = True     # ablation: the interaction module (g2f FFN, f2g cross-attention)


def tracker_config_from_dict(d: dict) -> TrackerConfig:
    d = dict(d)
    if 'layers' in d:
        d['layers'] = tuple(d['layers'])
    return TrackerConfig(**d)


def tracker_to_dict(t: TrackerConfig) -> dict:
    return asdict(t)


class MLCA(nn.Module):
    """Multi-layer cross-attention: sum_l softmax(FFN(q))_l CA_l(q, mems[l])."""

    def __init__(self, dim: int, heads: int, n_layers: int):
        super().__init__()
        self.nq = nn.LayerNorm(dim)
        self.attn = nn.ModuleList([CrossAttention(dim, heads) for _ in range(n_layers)])
        self.weights = Mlp(dim, 0.5, out=n_layers)

    def forward(self, x, mems):
        """x [B', Q, D], mems: per layer [B', M, D] (already LayerNorm-ed) -> [B', Q, D]."""
        q = self.nq(x)
        w = torch.softmax(self.weights(q), dim=-1)                           # [B', Q, L]
        out = None
        for i, (attn, mem) in enumerate(zip(self.attn, mems)):
            y = w[..., i:i + 1] * attn(q, mem)
            out = y if out is None else out + y
        return out


class Branch(nn.Module):
    """MLCA, then self-attention across the trajectories, then an MLP (pre-norm residuals)."""

    def __init__(self, dim: int, heads: int, n_layers: int, ratio: float):
        super().__init__()
        self.mlca = MLCA(dim, heads, n_layers)
        self.n1 = nn.LayerNorm(dim)
        self.sa = SelfAttention(dim, heads)
        self.n2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, ratio)

    def forward(self, x, mems):
        """x [B', N, D] (the set of trajectories attends to itself)."""
        x = x + self.mlca(x, mems)
        x = x + self.sa(self.n1(x))
        return x + self.mlp(self.n2(x))


class Interaction(nn.Module):
    """Global -> frame: h += FFN(concat(g, h)); frame -> global: g += CA(g, {h_t}_t)."""

    def __init__(self, dim: int, heads: int, ratio: float):
        super().__init__()
        self.ng = nn.LayerNorm(dim)
        self.nh = nn.LayerNorm(dim)
        self.g2f = nn.Sequential(nn.Linear(2 * dim, int(ratio * dim)), nn.GELU(), nn.Linear(int(ratio * dim), dim))
        self.nq = nn.LayerNorm(dim)
        self.nk = nn.LayerNorm(dim)
        self.f2g = CrossAttention(dim, heads)

    def forward(self, g, h):
        """g [B, N, D], h [B, T, N, D] -> (g, h)."""
        b, T, n, d = h.shape
        gn = self.ng(g)[:, None].expand(b, T, n, d)
        h = h + self.g2f(torch.cat([gn, self.nh(h)], dim=-1))
        hk = self.nk(h).permute(0, 2, 1, 3).reshape(b * n, T, d)              # per trajectory: its T frames
        g = g + self.f2g(self.nq(g).reshape(b * n, 1, d), hk).reshape(b, n, d)
        return g, h


class Stage(nn.Module):
    def __init__(self, dim: int, heads: int, n_layers: int, ratio: float, tcfg: TrackerConfig):
        super().__init__()
        self.glob = Branch(dim, heads, n_layers, ratio) if tcfg.use_global else None
        self.frame = Branch(dim, heads, n_layers, ratio) if tcfg.use_frame else None
        self.inter = Interaction(dim, heads, ratio) if tcfg.use_interaction else None


class Tracker(nn.Module):
    """memory [B, N_mem, C], layers [B, L, 1 + tubelets, C], coords [B, N, 2], frames int64 [B, N]
    -> xyz [B, T, N, 3] (raw x', y', z'), uv [B, T, N, 2, bins] (logits), visibility [B, T, N],
    confidence [B, T, N] (logits); see the module notes."""

    def __init__(self, cfg: ModelConfig, tcfg: TrackerConfig = TrackerConfig()):
        super().__init__()
        if not (cfg.corr_track and cfg.depth_skip and cfg.depth_decoder == ''):
            raise ValueError('Tracker: needs an encoder with corr_track and depth_skip (the linear dense depth head)')
        if tcfg.width != cfg.width:
            raise ValueError(f'Tracker: width {tcfg.width} must equal the encoder width {cfg.width}')
        if not tcfg.layers or list(tcfg.layers) != sorted(set(tcfg.layers)) or tcfg.layers[-1] > cfg.depth:
            raise ValueError(f'Tracker: layers {tcfg.layers} must be ascending block numbers in 1 .. {cfg.depth}')
        self.cfg, self.tcfg = cfg, tcfg
        d, L, T = tcfg.width, len(tcfg.layers), cfg.T
        self.layer_norms = nn.ModuleList([nn.LayerNorm(cfg.width) for _ in range(L)])
        # query initialisation
        self.register_buffer('freqs', (2.0 ** torch.arange(cfg.fourier_bands).float()) * math.pi, persistent=False)
        self.init_ffn = Mlp(L * cfg.width, 2.0, out=d)
        self.coord_embed = nn.Linear(2 + 4 * cfg.fourier_bands, d)
        self.t_src = nn.Embedding(T, d)
        self.src_depth_embed = nn.Linear(1 + 2 * len(SCALAR_FREQS), d)
        self.t_frame = nn.Embedding(T, d)
        self.t_rel = nn.Embedding(2 * T - 1, d)
        # the encoder's track cues (copied from the query decoder by :meth:`init_from_decoder`, frozen)
        self.depth_head = nn.Linear(cfg.width, cfg.tubelet_t * cfg.patch * cfg.patch)
        self.corr_logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        for p in (*self.depth_head.parameters(), self.corr_logit_scale):
            p.requires_grad_(False)
        h4, w4 = cfg.H // 4, cfg.W // 4
        ys, xs = torch.meshgrid(torch.arange(h4).float(), torch.arange(w4).float(), indexing='ij')
        pos = torch.stack([(4 * xs + 1.5) / (cfg.W - 1), (4 * ys + 1.5) / (cfg.H - 1)], -1).reshape(-1, 2)
        self.register_buffer('corr_uv', pos, persistent=False)                                    # [P, 2]
        self.register_buffer('frame_ids', torch.arange(T), persistent=False)
        self.register_buffer('bin_centres', torch.linspace(0, 1, cfg.uv_bins), persistent=False)
        self.corr_embed = nn.Linear(2 + 4 * cfg.fourier_bands + 2, d)
        self.tgt_norm = nn.LayerNorm(cfg.width)
        self.tgt_feat = nn.Linear(cfg.width, d)
        self.tgt_depth_embed = nn.Linear(1 + 2 * len(SCALAR_FREQS), d)
        # decoding stages
        self.stages = nn.ModuleList([Stage(d, tcfg.heads, L, tcfg.mlp_ratio, tcfg) for _ in range(tcfg.stages)])
        # tracking head
        self.norm = nn.LayerNorm(d)
        self.gnorm = nn.LayerNorm(d)
        self.head_uv = nn.Linear(d, 2 * cfg.uv_bins)
        self.head_xyz = nn.Linear(d, 3)
        self.head_vis = nn.Linear(d, 1)
        self.head_conf = nn.Linear(d, 1)
        self.uv_skip = nn.Linear(d, 1)
        self.head_gate = nn.Linear(d, 1)
        self.head_k = nn.Linear(d, 2)
        for lin in (self.uv_skip, self.head_gate, self.head_k, self.head_xyz):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        nn.init.constant_(self.uv_skip.bias, 1.0)
        nn.init.constant_(self.head_gate.bias, 0.0)
        nn.init.constant_(self.head_k.bias, math.log(2 * math.tan(math.radians(30))))
        for emb in (self.t_src, self.t_frame, self.t_rel):
            nn.init.normal_(emb.weight, std=0.02)

    @torch.no_grad()
    def init_from_decoder(self, decoder) -> 'Tracker':
        """Copies the query decoder's dense depth head and correlation temperature (the encoder's
        track cues, read from the memory exactly as the decoder reads them)."""
        self.depth_head.load_state_dict(decoder.depth_head.state_dict())
        self.corr_logit_scale.copy_(decoder.corr_logit_scale)
        return self

    def trainable_parameters(self):
        return [p for p in self.parameters() if p.requires_grad]

    # -- the encoder's cues -------------------------------------------------------------------
    def fourier(self, c):
        ang = c[..., None] * self.freqs
        lead = c.shape[:-1]
        return torch.cat([c, torch.sin(ang).reshape(*lead, -1), torch.cos(ang).reshape(*lead, -1)], -1)

    def depth_map(self, memory):
        """The dense log-depth (over the clip's mean) of every pixel, flat [B T H W, 1]."""
        cfg = self.cfg
        b = memory.shape[0]
        tt, p = cfg.tubelet_t, cfg.patch
        gh, gw = cfg.H // p, cfg.W // p
        dmap = self.depth_head(memory[:, 1:1 + cfg.tubelets])
        dmap = dmap.reshape(b, cfg.T // tt, gh, gw, tt, p, p).permute(0, 1, 4, 2, 5, 3, 6)
        return dmap.reshape(b * cfg.T * cfg.H * cfg.W, 1)

    def depth_at(self, dmap, coords, t):
        cfg = self.cfg
        b = coords.shape[0]
        base = (torch.arange(b, device=coords.device)[:, None] * cfg.T + t) * (cfg.H * cfg.W)
        return bilinear_gather(dmap, base, coords[..., 0] * (cfg.W - 1), coords[..., 1] * (cfg.H - 1),
                               cfg.H, cfg.W)[..., 0]

    def correlate(self, memory, coords, frames):
        """The source pixel's stride-4 feature against every frame's map: uv [B, T, N, 2] (expected
        position) and the peak probability [B, T, N]."""
        cfg = self.cfg
        b, n, _ = coords.shape
        P, cf = cfg.corr_positions, cfg.corr_channels
        h4, w4 = cfg.H // 4, cfg.W // 4
        off = 1 + cfg.tubelets
        feats = memory[:, off:off + cfg.corr_tokens].reshape(b, cfg.T * P, cf)
        gx = (coords[..., 0] * (cfg.W - 1) - 1.5) / 4
        gy = (coords[..., 1] * (cfg.H - 1) - 1.5) / 4
        base = (torch.arange(b, device=coords.device)[:, None] * cfg.T + frames) * P
        fs = bilinear_gather(feats.reshape(b * cfg.T * P, cf), base, gx, gy, h4, w4)            # [B, N, Cf]
        fs = fs * (torch.exp(self.corr_logit_scale) / math.sqrt(cf))
        logits = torch.matmul(feats.reshape(b, cfg.T, P, cf), fs.transpose(1, 2)[:, None])    # [B, T, P, N]
        p = torch.softmax(logits, dim=2)
        uv = torch.matmul(p.transpose(2, 3), self.corr_uv)                                     # [B, T, N, 2]
        return uv, p.max(dim=2)[0]

    # -- forward ------------------------------------------------------------------------------
    def forward(self, memory, layers, coords, frames):
        cfg, tcfg = self.cfg, self.tcfg
        b, n, _ = coords.shape
        T, S = cfg.T, cfg.T // cfg.tubelet_t
        d = tcfg.width
        nl = len(tcfg.layers)
        feats = [self.layer_norms[i](layers[:, i]) for i in range(nl)]                      # [B, 1 + n_tok, C]
        # global embedding
        samples = [sample_memory(f[:, 1:], coords, frames, cfg) for f in feats]
        dmap = self.depth_map(memory)
        src_depth = self.depth_at(dmap, coords, frames)                                      # [B, N]
        g = (self.init_ffn(torch.cat(samples, dim=-1)) + self.coord_embed(self.fourier(coords))
             + self.t_src(frames) + self.src_depth_embed(scalar_fourier(src_depth)))
        # frame embeddings [B, T, N, D]
        uv_c, peak = self.correlate(memory, coords, frames)                                   # [B, T, N, 2], [B, T, N]
        tq = self.frame_ids[None, :, None].expand(b, T, n)                                    # [B, T, N]
        flat_uv = uv_c.reshape(b, T * n, 2)
        flat_t = tq.reshape(b, T * n)
        tgt_depth = self.depth_at(dmap, flat_uv, flat_t).reshape(b, T, n)
        gap = tgt_depth - src_depth[:, None]
        tgt = sample_memory(self.tgt_norm(memory[:, 1:1 + cfg.tubelets]), flat_uv, flat_t, cfg).reshape(b, T, n, -1)
        cue = torch.cat([self.fourier(uv_c - coords[:, None]), peak[..., None],
                         torch.log(peak.clamp(min=1e-6))[..., None]], -1)
        rel = self.frame_ids[None, :, None] - frames[:, None, :] + (T - 1)                   # [B, T, N]
        h = (g[:, None] + self.t_frame(tq) + self.t_rel(rel) + self.corr_embed(cue) + self.tgt_feat(tgt)
             + self.tgt_depth_embed(scalar_fourier(gap)))
        # the frame branch's keys: each tubelet slice's tokens, per layer [B S, gh gw, C]
        slice_feats = [f[:, 1:].reshape(b * S, cfg.tubelets // S, cfg.width) for f in feats]
        for st in self.stages:
            if st.glob is not None:
                g = st.glob(g, feats)
            if st.frame is not None:
                # frames 2s, 2s + 1 (their trajectories) attend to slice s: [B S, tt N, D]
                hs = h.reshape(b * S, cfg.tubelet_t * n, d)
                hs = hs + st.frame.mlca(hs, slice_feats)
                hf = hs.reshape(b * T, n, d)                                                  # per frame: SA over N
                hf = hf + st.frame.sa(st.frame.n1(hf))
                hf = hf + st.frame.mlp(st.frame.n2(hf))
                h = hf.reshape(b, T, n, d)
            if st.inter is not None:
                g, h = st.inter(g, h)
        # tracking head
        x = self.norm(h)
        uv = self.head_uv(x).reshape(b, T, n, 2, cfg.uv_bins)
        k = F.softplus(self.uv_skip(x))[..., None]                                            # [B, T, N, 1, 1]
        dist = (self.bin_centres - uv_c[..., None]) * (cfg.uv_bins - 1)
        uv = uv - k * 0.5 * dist ** 2
        uv_exp = (torch.softmax(uv, dim=-1) * self.bin_centres).sum(-1).detach()              # [B, T, N, 2]
        kxy = torch.exp(self.head_k(self.gnorm(g)))[:, None]                                  # [B, 1, N, 2]
        r = self.head_xyz(x)
        xy = r[..., :2] + kxy * (uv_exp - 0.5)
        z = r[..., 2] + src_depth[:, None] + torch.sigmoid(self.head_gate(x)[..., 0]) * gap
        xyz = torch.cat([xy, z[..., None]], dim=-1)
        return xyz, uv, self.head_vis(x)[..., 0], self.head_conf(x)[..., 0]


def count_trainable(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters() if p.requires_grad)
