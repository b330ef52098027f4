"""Can an encoder learn depth from pixels at this budget? Trains only the encoder and the dense depth
head (no decoder, no queries) on training clips, and reports the held-out dense L1 of log-depth
(each clip's mean removed) beside the position prior's, and the position R^2.

    cd training
    PYTHONPATH=. /usr/bin/python3 tools/encoder_depth.py --minutes 10 --set model.stem=conv [--out runs/enc-a]

A fast check of an encoder design before a full run: the full model's depth cannot beat what its
encoder can learn.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d4rt_train.config import preset  # noqa: E402
from d4rt_train.model import D4RT  # noqa: E402
from d4rt_train.train import VAL_SEED, ClipSource, apply_overrides, dense_depth_target, position_r2, render_training_clip  # noqa: E402


def shift_free(x: torch.Tensor) -> torch.Tensor:
    """[B, N, K] log-depth -> the same with each clip's mean removed."""
    return x - x.mean(dim=(1, 2), keepdim=True)


@torch.no_grad()
def evaluate(model, val, prior):
    model.eval()
    l1, l1p, preds, gts = [], [], [], []
    for fn, aspect, tgt in val:
        mem = model.encoder(fn[None], torch.tensor([aspect]))
        p = shift_free(model.dense_depth(mem))[0]
        t = shift_free(tgt[None])[0]
        l1.append(float((p - t).abs().mean()))
        l1p.append(float((prior - t).abs().mean()))
        preds.append(p.reshape(-1).numpy())
        gts.append(t.reshape(-1).numpy())
    model.train()
    P, G = np.stack(preds), np.stack(gts)
    resid_p = P - P.mean(0, keepdims=True)
    resid_g = G - G.mean(0, keepdims=True)
    return {'l1': float(np.mean(l1)), 'l1Prior': float(np.mean(l1p)), 'posR2': position_r2(P),
            'gtPosR2': position_r2(G), 'residualCorr': float(np.corrcoef(resid_p.reshape(-1), resid_g.reshape(-1))[0, 1])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--minutes', type=float, default=10)
    ap.add_argument('--set', action='append', default=[])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--val-clips', type=int, default=16)
    ap.add_argument('--every', type=int, default=200)
    ap.add_argument('--out', type=Path)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = apply_overrides(preset('cpu'), args.set)
    m = cfg.model
    torch.manual_seed(0)
    model = D4RT(m)
    params = list(model.encoder.parameters()) + (list(model.aux_depth.parameters()) if hasattr(model, 'aux_depth') else [])
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    val = []
    for i in range(args.val_clips):
        clip, fn = render_training_clip(VAL_SEED + i, cfg)
        val.append((fn, clip.aspect, dense_depth_target(clip.depth, m)))
    # the position prior: per-position mean of 64 training clips (shift-free)
    source = ClipSource(cfg, 0)
    prior = torch.stack([shift_free(dense_depth_target(c.depth, m)[None])[0] for c, _ in
                         (render_training_clip(s, cfg) for s in range(10_000_000, 10_000_064))]).mean(0)
    pool = [source.take() for _ in range(cfg.pool)]
    g = torch.Generator().manual_seed(1)
    t0, step, hist = time.time(), 0, []
    while (time.time() - t0) / 60 < args.minutes:
        frac = min(1.0, (time.time() - t0) / 60 / args.minutes)
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * (0.5 * (1 + np.cos(np.pi * frac)) * 0.96 + 0.04)
        for grp in opt.param_groups:
            grp['lr'] = lr
        idx = torch.randperm(len(pool), generator=g)[: cfg.batch].tolist()
        video = torch.stack([pool[i][1] for i in idx])
        aspect = torch.tensor([pool[i][0].aspect for i in idx])
        tgt = torch.stack([dense_depth_target(pool[i][0].depth, m) for i in idx])
        mem = model.encoder(video, aspect)
        loss = (model.dense_depth(mem) - tgt).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        step += 1
        for _ in range(cfg.refresh):
            pool[int(torch.randint(0, len(pool), (1,), generator=g))] = source.take()
        if step % args.every == 0:
            r = {'step': step, 'min': (time.time() - t0) / 60, 'loss': float(loss), **evaluate(model, val, prior)}
            hist.append(r)
            print(json.dumps(r), flush=True)
    r = {'step': step, 'min': (time.time() - t0) / 60, **evaluate(model, val, prior)}
    hist.append(r)
    print(json.dumps(r), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / 'encoder-depth.json').write_text(json.dumps({'set': args.set, 'history': hist}, indent=2))


if __name__ == '__main__':
    main()
