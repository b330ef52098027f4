"""Evaluates a D4RT checkpoint on held-out synthetic clips and the shared real data, beside trivial
baselines on the same clips.

    /usr/bin/python3 -m d4rt_train.evaluate --ckpt runs/cpu/last.pt [--clips 16] [--json out.json]

Protocols (see metrics.py): depth AbsRel and delta < 1.25 after a per-clip median scale, on a grid of
(u, v) in every frame (synthetic: 32 x 48 per frame with exact ground truth at the same (u, v); real:
64 x 96 per frame, ground truth at the nearest pixel); 3D tracks by TAPVid-3D (camera-frame tracks
of 256 points, all frames); poses ATE / RPE after Sim3; focal error |f - f_gt| / f_gt (mean of x
and y, median over frames).
Baselines: constant depth; points that never move (every frame repeats the query point's position
in camera tSrc, always visible); identity poses; a 60 degree horizontal field of view.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch

from .export import load_checkpoint
from .metrics import depth_metrics, pose_metrics, tapvid3d_metrics
from .predictor import Predictor
from .synth import SceneConfig, make_scene

HELDOUT_SEED = 1_000_100
DATA = Path(__file__).resolve().parents[2].parent / 'shared' / 'data'


def _mean(rows, key):
    vals = [r[key] for r in rows if key in r and np.isfinite(r[key])]
    return float(np.mean(vals)) if vals else float('nan')


def _focal_err(pred, gt):
    return float(np.mean([abs(pred[0] - gt[0]) / gt[0], abs(pred[1] - gt[1]) / gt[1]]))


def _baseline_focal(W):
    return W / 2 / math.tan(math.radians(30))


def eval_synthetic(pred: Predictor, n_clips: int, H=80, W=120, n_tracks=256, log=print) -> dict:
    cfg = pred.cfg
    rows, base = [], []
    for i in range(n_clips):
        seed = HELDOUT_SEED + i
        scene = make_scene(seed, SceneConfig(aspect=(W / H, W / H)))
        clip = scene.render(cfg.T, H, W)
        pred.encode(clip.frames)
        T = cfg.T
        g = torch.Generator().manual_seed(seed)
        # depth on a 32 x 48 grid of every frame, exact ground truth at the same (u, v)
        u, v = pred.grid(32, 48)
        dp, dg = [], []
        for t in range(T):
            dp.append(pred.query(u, v, t, t, t)['xyz'][:, 2])
            gt = clip.query(torch.from_numpy(u), torch.from_numpy(v), *(torch.full((u.size,), t),) * 3)
            dg.append(gt['xyz'][:, 2].numpy())
        dp, dg = np.stack(dp), np.stack(dg)
        dm = depth_metrics(dp, dg)
        const = depth_metrics(np.ones_like(dg), dg)
        # camera-frame tracks
        tu = torch.rand(n_tracks, generator=g)
        tv = torch.rand(n_tracks, generator=g)
        ts = torch.randint(0, T, (n_tracks,), generator=g)
        tt = torch.arange(T).repeat_interleave(n_tracks)
        gt = clip.query(tu.repeat(T), tv.repeat(T), ts.repeat(T), tt, tt)
        gxyz = gt['xyz'].reshape(T, n_tracks, 3).numpy()
        gvis = gt['visible'].reshape(T, n_tracks).numpy()
        out = pred.query(tu.repeat(T), tv.repeat(T), ts.repeat(T), tt, tt)
        fx, fy = float(clip.K[0, 0, 0]), float(clip.K[0, 1, 1])
        tm = tapvid3d_metrics(out['xyz'].reshape(T, n_tracks, 3), gxyz,
                              out['visibility'].reshape(T, n_tracks) > 0.5, gvis, fx, fy)
        q0 = clip.query(tu, tv, ts, ts, ts)['xyz'].numpy()
        static = tapvid3d_metrics(np.broadcast_to(q0, gxyz.shape), gxyz, np.ones_like(gvis), gvis, fx, fy)
        # poses and focal
        c2w_gt = clip.c2w.numpy().astype(np.float64)
        c2w_gt = np.linalg.inv(c2w_gt[0]) @ c2w_gt
        pm = pose_metrics(pred.poses(range(T)), c2w_gt)
        ident = pose_metrics(np.repeat(np.eye(4)[None], T, 0), c2w_gt)
        f = pred.focal(0)
        rows.append({**dm, **{k: tm[k] for k in ('apd3d', 'aj', 'oa')}, **pm, 'focalErr': _focal_err(f, (fx, fy))})
        base.append({**const, **{k: static[k] for k in ('apd3d', 'aj', 'oa')}, **ident,
                     'focalErr': _focal_err((_baseline_focal(W),) * 2, (fx, fy))})
        log(f'  clip {seed}: absRel {dm["absRel"]:.3f} apd3d {tm["apd3d"]:.3f} ate {pm["ate"]:.3f}')
    keys = ('absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr')
    return {'model': {k: _mean(rows, k) for k in keys}, 'baseline': {k: _mean(base, k) for k in keys},
            'clips': n_clips}


def _load_rgb(path: Path) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path).convert('RGB'), dtype=np.float32) / 255.0


def load_pi3_room(root: Path):
    cams = json.loads((root / 'cameras.json').read_text())
    n = cams['frames'] if isinstance(cams['frames'], int) else len(cams['intrinsics'])
    H, W = cams['height'], cams['width']
    frames = np.stack([_load_rgb(root / 'rgb' / f'{i}.png') for i in range(n)])
    depth = np.stack([np.fromfile(root / 'depth' / f'{i}.f32', dtype='<f4').reshape(H, W) for i in range(n)])
    K = np.array(cams['intrinsics'], dtype=np.float64)
    c2w = np.array(cams['cameraToWorld'], dtype=np.float64)
    return frames, depth, K, c2w


def load_open3d(root: Path):
    from PIL import Image
    pairs = [l.split() for l in (root / 'rgbd.match').read_text().splitlines() if l.strip()]
    frames = np.stack([_load_rgb(root / c) for _, c in pairs])
    depth = np.stack([np.asarray(Image.open(root / d), dtype=np.float32) / 1000.0 for d, _ in pairs])
    lines = [l for l in (root / 'trajectory.log').read_text().splitlines() if l.strip()]
    c2w = np.stack([np.array([[float(x) for x in lines[i * 5 + r].split()] for r in range(1, 5)])
                    for i in range(len(lines) // 5)])[: len(pairs)]
    n = len(pairs)
    K = np.repeat(np.array([[[525.0, 0, 319.5], [0, 525.0, 239.5], [0, 0, 1]]]), n, 0)
    return frames, depth, K, c2w


def eval_real(pred: Predictor, frames, depth, K, c2w, name: str, log=print) -> dict:
    n, Hs, Ws = depth.shape
    pred.encode(torch.from_numpy(frames).permute(0, 3, 1, 2))
    gh, gw = pred.cfg.H, pred.cfg.W
    u, v = pred.grid(gh, gw)
    xi = np.rint(u * (Ws - 1)).astype(int)
    yi = np.rint(v * (Hs - 1)).astype(int)
    dp = np.stack([pred.depth(i, gh, gw) for i in range(n)])
    dg = depth[:, yi, xi].reshape(n, gh, gw)
    dm = depth_metrics(dp, dg)
    const = depth_metrics(np.ones_like(dg), dg)
    rel = np.linalg.inv(c2w[0]) @ c2w
    pm = pose_metrics(pred.poses(range(n)), rel)
    ident = pose_metrics(np.repeat(np.eye(4)[None], n, 0), rel)
    f_err = float(np.median([_focal_err(pred.focal(i), (K[i, 0, 0], K[i, 1, 1])) for i in range(n)]))
    f_base = float(np.median([_focal_err((_baseline_focal(Ws),) * 2, (K[i, 0, 0], K[i, 1, 1])) for i in range(n)]))
    model = {**dm, **pm, 'focalErr': f_err}
    base = {**const, **ident, 'focalErr': f_base}
    log(f'  {name}: ' + ' '.join(f'{k} {v:.4f}' for k, v in model.items()))
    return {'model': model, 'baseline': base, 'frames': n}


def evaluate(model, clips: int = 16, log=print) -> dict:
    pred = Predictor(model)
    res = {'synthetic': eval_synthetic(pred, clips, log=log)}
    for name, loader in (('pi3-room', load_pi3_room), ('open3d-rgbd', load_open3d)):
        root = DATA / name
        if not root.exists():
            log(f'  {name}: not found at {root}, skipped')
            continue
        res[name] = eval_real(pred, *loader(root), name=name, log=log)
    return res


def format_table(res: dict) -> str:
    keys = ('absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr')
    lines = ['| set | what | ' + ' | '.join(keys) + ' |', '|---|---|' + '---|' * len(keys)]
    for name, r in res.items():
        for who in ('model', 'baseline'):
            vals = [f"{r[who][k]:.4f}" if k in r[who] else '-' for k in keys]
            lines.append(f'| {name} | {who} | ' + ' | '.join(vals) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', required=True, type=Path)
    ap.add_argument('--clips', type=int, default=16)
    ap.add_argument('--json', type=Path)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, cfg, st = load_checkpoint(args.ckpt)
    res = evaluate(model, args.clips)
    print(format_table(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + '\n')
    print(json.dumps({k: v['model'] for k, v in res.items()}))


if __name__ == '__main__':
    main()
