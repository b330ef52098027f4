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

Fixture clips (``d4rt-fixture-eval/1``): one protocol, for the ``d4rt-clip/1`` folders in
``packages/models/fixtures`` (CLIP_FORMAT.md), that the TypeScript SDK reproduces (within 1 %)::

    /usr/bin/python3 -m d4rt_train.evaluate --ckpt checkpoints/d4rt-tiny.pt \
        --fixtures ../packages/models/fixtures/heldout-0 ../packages/models/fixtures/heldout-1 \
                   ../packages/models/fixtures/heldout-2 --json ../packages/models/d4rt-tiny/eval-fixtures.json

Per clip (:func:`eval_fixture`), with n source frames of Hs x Ws and N tracks:

* Input: ``frames`` uint8 [n, Hs, Ws, 3] / 255 as float32 (the source video) -> the predictor
  (frame selection ``sel = select_frames(n, T)``, resize, normalise, encoder; ``Predictor.encode``).
  Model frame k (0 .. T-1) shows source frame ``sel[k]``; ``k(s)`` = the first k with sel[k] = s.
* Depth: for every model frame k, the full source grid of Hs x Ws queries, row-major
  (u = x / (Ws - 1), v = y / (Hs - 1); ``Predictor.grid(Hs, Ws)``) with tSrc = tTgt = tCam = k; the
  prediction is the decoded z; gt = ``depth[sel[k]]``; ``depth_metrics`` of pred [T, Hs Ws] vs gt
  [T, Hs Ws] (one median scale for the clip, pred clipped to >= 1e-3, AbsRel and delta1 per frame,
  mean over the T frames).
* Tracks: track i = ``tracksQuery[i]`` = (u, v, s) with s a source frame; query (u, v, tSrc = k(s),
  tTgt = k, tCam = k) for k = 0 .. T-1 (frame-major [T, N]); pred xyz = decoded xyz, pred visible =
  sigmoid(visibility) > 0.5; gt xyz = ``tracksXyzCamera[sel[k]]``, gt visible =
  ``tracksVisible[sel[k]]``; ``tapvid3d_metrics`` with fx, fy = ``intrinsics[sel[0]]`` -> apd3d,
  aj, oa.
* Poses: ``Predictor.poses_model(0 .. T-1)`` (per model frame k: a 16 x 16 grid (u, v) queried with
  tSrc = tTgt = tCam = k and with tSrc = tTgt = k, tCam = 0; weighted rigid Umeyama fit of the first
  to the second, weights = product of the two confidences) vs gt ``inv(cameraToWorld[sel[0]]) @
  cameraToWorld[sel[k]]``; ``pose_metrics`` (Sim3 ATE, RPE translation and rotation in degrees).
* Focal: ``Predictor.focal(sel[0])`` (model frame 0; 24 x 24 grid, tSrc = tTgt = tCam = 0,
  fx = median of z (x_px - cx) / x over |x_px - cx| > 0.1 Ws, likewise fy with y and Hs, principal
  point at the image centre) vs ``intrinsics[sel[0]]``: focalErr = mean(|fx - fx_gt| / fx_gt,
  |fy - fy_gt| / fy_gt).
* Baselines (as on the synthetic clips): depth = 1 everywhere (same depth_metrics); points that never
  move: every frame k repeats the track's gt position in camera s, ``tracksXyzCamera[s, i]``, always
  visible; identity poses; a 60 degree horizontal FOV: fx = fy = Ws / 2 / tan(30 deg).
* Result: ``{'name': folder name, 'frames': n, 'model': {...}, 'baseline': {...}}`` with the keys
  absRel, delta1, apd3d, aj, oa, ate, rpeTrans, rpeRot, focalErr. The JSON file holds
  ``{"protocol": "d4rt-fixture-eval/1", "checkpoint", "clips": [per clip], "mean": {"model",
  "baseline"}}`` (mean over clips of each key).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from .clip_io import read_clip
from .export import load_checkpoint
from .metrics import depth_metrics, pose_metrics, tapvid3d_metrics
from .predictor import Predictor
from .synth import SceneConfig, make_scene

HELDOUT_SEED = 1_000_100
FIXTURE_PROTOCOL = 'd4rt-fixture-eval/1'
KEYS = ('absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr')
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


def fixture_depth_grid(pred: Predictor, Hs: int, Ws: int):
    """The depth protocol's query grid of a fixture clip: every source pixel centre, row-major."""
    return pred.grid(Hs, Ws)


def eval_fixture(pred: Predictor, folder: Path, log=None) -> dict:
    """Evaluates a ``d4rt-clip/1`` folder by the ``d4rt-fixture-eval/1`` protocol (module docstring)."""
    folder = Path(folder)
    d = read_clip(folder)
    n, Hs, Ws, _ = d['frames'].shape
    frames = torch.from_numpy(d['frames'].astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    depth = d['depth']
    K = d['intrinsics']
    c2w = d['cameraToWorld']
    pred.encode(frames)
    sel = np.asarray(pred.sel, dtype=np.int64)
    T = len(sel)
    # depth: the full source grid of every model frame
    u, v = fixture_depth_grid(pred, Hs, Ws)
    dp = np.stack([pred.query(u, v, k, k, k)['xyz'][:, 2] for k in range(T)])
    dg = depth[sel].reshape(T, Hs * Ws)
    dm = depth_metrics(dp, dg)
    const = depth_metrics(np.ones_like(dg), dg)
    # camera-frame tracks, frame-major [T, N]
    q = d['tracksQuery']
    N = len(q)
    src = q[:, 2].astype(np.int64)
    ks = np.array([pred.k(s) for s in src], dtype=np.int64)
    tt = np.repeat(np.arange(T, dtype=np.int64), N)
    out = pred.query(np.tile(q[:, 0], T), np.tile(q[:, 1], T), np.tile(ks, T), tt, tt)
    gxyz = d['tracksXyzCamera'][sel].astype(np.float64)
    gvis = d['tracksVisible'][sel].astype(bool)
    fx, fy = float(K[sel[0], 0]), float(K[sel[0], 1])
    tm = tapvid3d_metrics(out['xyz'].reshape(T, N, 3).astype(np.float64), gxyz,
                          out['visibility'].reshape(T, N) > 0.5, gvis, fx, fy)
    q0 = d['tracksXyzCamera'][src, np.arange(N)].astype(np.float64)
    static = tapvid3d_metrics(np.broadcast_to(q0, gxyz.shape), gxyz, np.ones_like(gvis), gvis, fx, fy)
    # poses of the model frames, gt relative to frame sel[0]
    rel = np.linalg.inv(c2w[sel[0]])[None] @ c2w[sel]
    pm = pose_metrics(pred.poses_model(range(T)), rel)
    ident = pose_metrics(np.repeat(np.eye(4)[None], T, 0), rel)
    # focal of model frame 0
    f = pred.focal(int(sel[0]))
    model = {**dm, **{k: tm[k] for k in ('apd3d', 'aj', 'oa')}, **pm, 'focalErr': _focal_err(f, (fx, fy))}
    base = {**const, **{k: static[k] for k in ('apd3d', 'aj', 'oa')}, **ident,
            'focalErr': _focal_err((_baseline_focal(Ws),) * 2, (fx, fy))}
    res = {'name': folder.name, 'frames': int(n),
           'model': {k: float(model[k]) for k in KEYS}, 'baseline': {k: float(base[k]) for k in KEYS}}
    if log:
        log(f'  {folder.name}: ' + ' '.join(f'{k} {res["model"][k]:.4f}' for k in KEYS))
    return res


def evaluate_fixtures(model, folders, checkpoint: str = '', log=print, chunk: int = 2048) -> dict:
    """``d4rt-fixture-eval/1`` over fixture folders: per-clip results and their mean. ``chunk``
    (queries per decoder call) does not change the answers (queries never attend to each other);
    2048 is simply faster on a CPU than larger chunks."""
    pred = Predictor(model, chunk=chunk)
    clips = [eval_fixture(pred, Path(f), log=log) for f in folders]
    mean = {who: {k: float(np.mean([c[who][k] for c in clips])) for k in KEYS} for who in ('model', 'baseline')}
    return {'protocol': FIXTURE_PROTOCOL, 'checkpoint': checkpoint, 'clips': clips, 'mean': mean}


def write_json_atomic(path: Path, obj) -> None:
    """Writes JSON to a temporary file beside ``path`` and renames it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'w') as fh:
            fh.write(json.dumps(obj, indent=2) + '\n')
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
    keys = KEYS
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
    ap.add_argument('--fixtures', type=Path, nargs='+',
                    help='d4rt-clip/1 folders: evaluate only these, by the d4rt-fixture-eval/1 protocol')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, cfg, st = load_checkpoint(args.ckpt)
    if args.fixtures:
        t0 = time.perf_counter()
        res = evaluate_fixtures(model, args.fixtures, checkpoint=_ckpt_name(args.ckpt))
        table = {c['name']: c for c in res['clips']}
        table['mean'] = res['mean']
        print(format_table(table))
        print(f'{len(res["clips"])} clips in {time.perf_counter() - t0:.1f} s')
        if args.json:
            write_json_atomic(args.json, res)
        print(json.dumps(res['mean']['model']))
        return res
    res = evaluate(model, args.clips)
    print(format_table(res))
    if args.json:
        write_json_atomic(args.json, res)
    print(json.dumps({k: v['model'] for k, v in res.items()}))
    return res


def _ckpt_name(path: Path) -> str:
    """The checkpoint path relative to training/ when it lies inside it (a stable name), else as given."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(__file__).resolve().parents[1])).as_posix()
    except ValueError:
        return str(path)


if __name__ == '__main__':
    main()
