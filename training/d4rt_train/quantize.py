"""int8 decoder: calibration of its activation ranges, for ``export --int8``.

The decoder's weight matrix products are quantised per output column (int8) and their inputs to
uint8 with a fixed scale per product (:func:`opend4rt.graph.to_int8_static`). The scales come from
the ranges the float32 decoder's inputs take on freshly rendered synthetic clips (seeds apart from
the training, validation and fixture seeds) for the training query mix plus dense depth and
point-cloud grids. Fixed scales keep D4RT's queries independent: with onnxruntime's dynamic
quantisation, one scale per input tensor, a query's answer would move with the other queries of its
chunk.

Quantised (:data:`QUANTISED`): the query path's projections and MLPs, where the time goes. Kept
float32: the memory's K/V projections and dense depth head (per chunk, not per query, and they set
every query's depth), and the heads.
"""
from __future__ import annotations

import json
import re
import types
from pathlib import Path

import torch
import torch.nn as nn

from .config import ModelConfig
from .preprocess import extract_patches
from .queries import sample_queries

QUANTISED = re.compile(r'^/decoder/(blocks\.\d+/(mlp/fc[12]|attn/(q|proj))|patch_embed/fc[12]|coord_embed|'
                       r'local_(src|tgt)|depth_embed|corr_embed|refine_(feat|depth))/MatMul$')
CALIBRATION_SEED = 700_000
MARGIN = 0.05   # each range is widened by this fraction of its span on both sides


def node_name(module_path: str) -> str:
    """The exported MatMul node of the decoder's ``nn.Linear`` at ``module_path``: ``blocks.0.mlp.fc1``
    -> ``/decoder/blocks.0/mlp/fc1/MatMul`` (the exporter's scope names keep a list index's dot)."""
    return '/decoder/' + re.sub(r'\.(?!\d)', '/', module_path) + '/MatMul'


@torch.no_grad()
def calibration_ranges(model, cfg: ModelConfig, clips: int = 6, queries: int = 4096,
                       seed: int = CALIBRATION_SEED) -> dict:
    """{MatMul node name: (min, max)} of each quantised product's input over ``clips`` rendered
    clips: per clip ``queries`` queries of the training mix, the dense depth grid of 4 frames
    (tSrc = tTgt = tCam) and their point-cloud grid (tCam = 0), at the model's input size."""
    from .train import render_training_clip   # train imports this module's users; keep it lazy
    model = model.eval()
    seen: dict = {}
    hooks = []
    for path, mod in model.decoder.named_modules():
        node = node_name(path)
        if isinstance(mod, nn.Linear) and QUANTISED.match(node):
            def record(_m, inp, _out, node=node):
                x = inp[0]
                lo, hi = float(x.min()), float(x.max())
                a, b = seen.get(node, (lo, hi))
                seen[node] = (min(a, lo), max(b, hi))
            hooks.append(mod.register_forward_hook(record))
    try:
        holder = types.SimpleNamespace(model=cfg)
        g = torch.Generator().manual_seed(seed)
        for i in range(clips):
            clip, frames = render_training_clip(seed + i, holder)
            mem = model.encoder(frames[None], torch.tensor([clip.aspect], dtype=torch.float32))
            q = sample_queries(clip, frames, queries, cfg.query_patch, g)
            sets = [(q.coords, q.times, q.patches)]
            ys, xs = torch.meshgrid(torch.linspace(0, 1, cfg.H), torch.linspace(0, 1, cfg.W), indexing='ij')
            u, v = xs.reshape(-1), ys.reshape(-1)
            for t in torch.randperm(cfg.T, generator=g)[:4].tolist():
                tt = torch.full_like(u, t, dtype=torch.long)
                patches = extract_patches(frames, u, v, tt, cfg.query_patch)
                for cam in (tt, torch.zeros_like(tt)):
                    sets.append((torch.stack([u, v], -1), torch.stack([tt, tt, cam], -1), patches))
            for coords, times, patches in sets:
                model.decoder(mem, coords[None], times[None], patches[None])
    finally:
        for h in hooks:
            h.remove()
    out = {}
    for node, (lo, hi) in sorted(seen.items()):
        pad = MARGIN * (hi - lo)
        out[node] = (lo - pad, hi + pad)
    return out


def save_ranges(ranges: dict, path: Path) -> None:
    Path(path).write_text(json.dumps({k: [float(a), float(b)] for k, (a, b) in ranges.items()}, indent=1) + '\n')


def load_ranges(path: Path) -> dict:
    return {k: (a, b) for k, (a, b) in json.loads(Path(path).read_text()).items()}
