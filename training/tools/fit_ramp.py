"""Fits RAMP_K, the slope of the "ramp" depth baseline of the evaluations
(``d4rt_train/evaluate.py`` and ``packages/cli/src/evaluate.ts``): depth(u, v) = exp(-RAMP_K v).

    cd training && PYTHONPATH=. /usr/bin/python3 tools/fit_ramp.py      # ~30 s; prints -0.716

The fit uses training clips only (never the held-out seeds): for seeds 0, 2, 4, ..., 398 it renders
``d4rt_train.train.render_training_clip(seed, preset('cpu'))``, takes log(clip.depth) [T, 64, 96],
subtracts each frame's mean (a per-sequence scale is free: the metrics align one median scale per
sequence), averages over frames, clips and columns to a row profile, and fits a least-squares line
to it against v = linspace(0, 1, 64). The slope (-0.716 with the presets of the shipped model) is
-RAMP_K: rooms seen from eye height are farther at the top of the image than at the bottom.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from d4rt_train.config import preset
from d4rt_train.train import render_training_clip


def row_profile(seeds, cfg) -> np.ndarray:
    """Mean over clips, frames and columns of log depth minus its per-frame mean: [H]."""
    acc = None
    for seed in seeds:
        clip, _ = render_training_clip(seed, cfg)
        logd = torch.log(clip.depth.double()).numpy()                  # [T, H, W]
        logd = logd - logd.mean(axis=(1, 2), keepdims=True)
        prof = logd.mean(axis=(0, 2))                                   # [H]
        acc = prof if acc is None else acc + prof
    return acc / len(seeds)


def fit_slope(profile: np.ndarray) -> float:
    """Least-squares slope of ``profile`` against v = linspace(0, 1, len(profile))."""
    v = np.linspace(0, 1, len(profile))
    slope, _ = np.polyfit(v, profile, 1)
    return float(slope)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clips', type=int, default=200, help='training seeds 0, 2, ..., 2 (clips - 1)')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = preset('cpu')
    t0 = time.perf_counter()
    prof = row_profile(range(0, 2 * args.clips, 2), cfg)
    slope = fit_slope(prof)
    print(f'{args.clips} clips of {cfg.model.T} x {cfg.model.H} x {cfg.model.W} in {time.perf_counter() - t0:.1f} s')
    print(f'slope {slope:.4f} -> RAMP_K = {-slope:.3f}')
    return slope


if __name__ == '__main__':
    main()
