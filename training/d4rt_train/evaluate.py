"""Evaluates a D4RT checkpoint on held-out synthetic clips and the shared real data, beside trivial
baselines on the same clips.

    /usr/bin/python3 -m d4rt_train.evaluate --ckpt runs/cpu/last.pt [--clips 16] [--json out.json]

Protocols (see metrics.py): depth AbsRel and delta < 1.25 after a per-clip median scale, on a grid of
(u, v) in every frame (synthetic: 32 x 48 per frame with exact ground truth at the same (u, v); real:
the model's H x W grid per frame, ground truth at the nearest pixel); 3D tracks by TAPVid-3D
(camera-frame tracks of 256 points, all frames); poses ATE / RPE after Sim3; focal error
|f - f_gt| / f_gt (mean of x and y, median over frames). Metrics a protocol cannot measure (tracks
on the real data) are NaN (null in JSON).

Baselines, scored on the same frames by the same metric code as the model:

* ``constant``: depth = 1 everywhere (absRel, delta1).
* ``ramp``: depth(u, v) = exp(-RAMP_K v), v the normalised row of each depth query (the v the model
  is queried with), RAMP_K = 0.716 fitted on training clips by ``tools/fit_ramp.py`` (absRel,
  delta1). The input-free depth layout of a synthetic room: a model that beats ``constant`` but
  not ``ramp`` has learnt the mean layout, not the picture.
* ``prior``: the model itself on a blank video of the same frames, width and height (every RGB byte
  128, i.e. 128 / 255 as float frames), asked the same queries, every metric: what the model
  answers without seeing the input.
* ``static``: points that never move (every frame repeats the query point's position in camera tSrc,
  always visible) (apd3d, aj, oa).
* ``identity``: identity poses (ate, rpeTrans, rpeRot).
* ``fov60``: a 60 degree horizontal field of view, fx = fy = Ws / 2 / tan(30 deg) (focalErr).

``baseline`` is the combined row constant + static + identity + fov60, as before ``baselines``.

``inputDependence`` (per sequence): the Pearson correlation between log(model depth) - log(prior
depth) and log(gt depth), pooled over the sequence's evaluated depth samples (those of absRel) where
gt > 0 and both predictions are finite and > 0; 0 when either side has no variance (a model that
ignores its input answers the prior exactly), NaN with fewer than 2 samples. Near 0: what the model
adds to its prior does not follow the scene's depth.

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
* Baselines (as above): constant: depth = 1 on the depth grid; ramp: depth = exp(-RAMP_K v) with the
  depth grid's v = y / (Hs - 1), the same [T, Hs Ws] layout; prior: all of the above (depth, tracks,
  poses, focal, same queries, same gt) with the input frames replaced by a blank [n, Hs, Ws, 3] video
  of 128 / 255; static: every frame k repeats the track's gt position in camera s,
  ``tracksXyzCamera[s, i]``, always visible; identity poses; fov60: fx = fy = Ws / 2 / tan(30 deg).
  inputDependence over the T x Hs Ws depth samples.
* Result: ``{'name': folder name, 'frames': n, 'model': {...}, 'baseline': {...}, 'baselines':
  {'constant': {absRel, delta1}, 'ramp': {absRel, delta1}, 'prior': {...}, 'static': {apd3d, aj,
  oa}, 'identity': {ate, rpeTrans, rpeRot}, 'fov60': {focalErr}}, 'inputDependence': r}`` where
  model, baseline and prior have the keys absRel, delta1, apd3d, aj, oa, ate, rpeTrans, rpeRot,
  focalErr. The JSON file holds ``{"protocol": "d4rt-fixture-eval/1", "checkpoint", "clips": [per
  clip], "mean": {"model", "baseline", "baselines", "inputDependence"}}`` (mean over clips of each
  number, NaN ignored).
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
DEPTH_KEYS = ('absRel', 'delta1')
TRACK_KEYS = ('apd3d', 'aj', 'oa')
POSE_KEYS = ('ate', 'rpeTrans', 'rpeRot')
#: Keys of each entry of ``baselines`` (the SDK's ``EvalResult.baselines`` has the same).
BASELINE_KEYS = {'constant': DEPTH_KEYS, 'ramp': DEPTH_KEYS, 'prior': KEYS, 'static': TRACK_KEYS,
                 'identity': POSE_KEYS, 'fov60': ('focalErr',)}
#: Slope of the ramp baseline, depth(u, v) = exp(-RAMP_K v): the least-squares slope of the mean
#: row profile of log depth over training clips, fitted by ``training/tools/fit_ramp.py`` (-0.716).
#: ``packages/cli/src/evaluate.ts`` has the same constant.
RAMP_K = 0.716
#: The blank video of the prior baseline: every RGB byte 128 (128 / 255 in float frames).
BLANK_BYTE = 128
DATA = Path(__file__).resolve().parents[2].parent / 'shared' / 'data'
NAN = float('nan')


def _mean(rows, key):
    vals = [r[key] for r in rows if key in r and np.isfinite(r[key])]
    return float(np.mean(vals)) if vals else NAN


def _focal_err(pred, gt):
    return float(np.mean([abs(pred[0] - gt[0]) / gt[0], abs(pred[1] - gt[1]) / gt[1]]))


def _baseline_focal(W):
    return W / 2 / math.tan(math.radians(30))


def ramp_depth(v) -> np.ndarray:
    """The ramp baseline's depth at normalised rows ``v`` (any shape): exp(-RAMP_K v), float64."""
    return np.exp(-RAMP_K * np.asarray(v, dtype=np.float64))


def blank_like(frames: torch.Tensor) -> torch.Tensor:
    """The prior baseline's input: a video shaped like ``frames`` (float [n, 3, H, W] in [0, 1])
    with every value 128 / 255."""
    return torch.full_like(frames, BLANK_BYTE / 255.0)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two equal-length samples (float64, two-pass); 0 when either has no
    variance, NaN with fewer than 2 samples."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.size < 2:
        return NAN
    x = x - x.mean()
    y = y - y.mean()
    sxx, syy = float(x @ x), float(y @ y)
    if sxx == 0 or syy == 0:
        return 0.0
    return float((x @ y) / math.sqrt(sxx * syy))


def input_dependence(pred_model: np.ndarray, pred_prior: np.ndarray, gt: np.ndarray) -> float:
    """Pearson correlation between log(pred_model) - log(pred_prior) and log(gt) over the samples
    where gt > 0 and both predictions are finite and > 0 (arrays of the same size, pooled)."""
    pm = np.asarray(pred_model, dtype=np.float64).reshape(-1)
    pp = np.asarray(pred_prior, dtype=np.float64).reshape(-1)
    g = np.asarray(gt, dtype=np.float64).reshape(-1)
    m = (g > 0) & np.isfinite(pm) & np.isfinite(pp) & (pm > 0) & (pp > 0)
    return pearson(np.log(pm[m]) - np.log(pp[m]), np.log(g[m]))


def _metrics(dm=None, tm=None, pm=None, focal_err=NAN) -> dict:
    """A full key set (NaN where a part was not measured)."""
    out = {k: NAN for k in KEYS}
    for part in (dm, tm, pm):
        if part:
            out.update({k: float(part[k]) for k in KEYS if k in part})
    out['focalErr'] = float(focal_err)
    return out


def _baselines(const, ramp, prior, static, ident, fov60) -> dict:
    parts = {'constant': const, 'ramp': ramp, 'prior': prior, 'static': static or {}, 'identity': ident,
             'fov60': {'focalErr': fov60}}
    return {name: {k: float(parts[name].get(k, NAN)) for k in keys} for name, keys in BASELINE_KEYS.items()}


def _combined_baseline(b: dict) -> dict:
    """The ``baseline`` row: constant + static + identity + fov60."""
    return {k: b[name][k] for name in ('constant', 'static', 'identity', 'fov60') for k in BASELINE_KEYS[name]}


def mean_results(rows: list[dict]) -> dict:
    """Mean over per-sequence results of model, baseline, each baselines entry and inputDependence
    (NaN ignored; NaN where no sequence has a finite value)."""
    out = {who: {k: _mean([r[who] for r in rows], k) for k in KEYS} for who in ('model', 'baseline')}
    out['baselines'] = {name: {k: _mean([r['baselines'][name] for r in rows], k) for k in keys}
                        for name, keys in BASELINE_KEYS.items()}
    out['inputDependence'] = _mean(rows, 'inputDependence')
    return out


def eval_synthetic(pred: Predictor, n_clips: int, H=80, W=120, n_tracks=256, log=print) -> dict:
    """Held-out synthetic clips (seeds HELDOUT_SEED + i) with exact ground truth: the mean over clips
    of model, baseline, baselines and inputDependence, and ``clips``."""
    cfg = pred.cfg
    T = cfg.T
    u, v = pred.grid(32, 48)
    rows = []
    for i in range(n_clips):
        seed = HELDOUT_SEED + i
        scene = make_scene(seed, SceneConfig(aspect=(W / H, W / H)))
        clip = scene.render(T, H, W)
        g = torch.Generator().manual_seed(seed)
        # depth on a 32 x 48 grid of every frame, exact ground truth at the same (u, v)
        dg = np.stack([clip.query(torch.from_numpy(u), torch.from_numpy(v), *(torch.full((u.size,), t),) * 3)
                       ['xyz'][:, 2].numpy() for t in range(T)])
        # camera-frame tracks
        tu = torch.rand(n_tracks, generator=g)
        tv = torch.rand(n_tracks, generator=g)
        ts = torch.randint(0, T, (n_tracks,), generator=g)
        tt = torch.arange(T).repeat_interleave(n_tracks)
        gt = clip.query(tu.repeat(T), tv.repeat(T), ts.repeat(T), tt, tt)
        gxyz = gt['xyz'].reshape(T, n_tracks, 3).numpy()
        gvis = gt['visible'].reshape(T, n_tracks).numpy()
        fx, fy = float(clip.K[0, 0, 0]), float(clip.K[0, 1, 1])
        c2w_gt = clip.c2w.numpy().astype(np.float64)
        c2w_gt = np.linalg.inv(c2w_gt[0]) @ c2w_gt

        def run(frames):
            pred.encode(frames)
            dp = np.stack([pred.query(u, v, t, t, t)['xyz'][:, 2] for t in range(T)])
            out = pred.query(tu.repeat(T), tv.repeat(T), ts.repeat(T), tt, tt)
            tm = tapvid3d_metrics(out['xyz'].reshape(T, n_tracks, 3), gxyz,
                                  out['visibility'].reshape(T, n_tracks) > 0.5, gvis, fx, fy)
            pm = pose_metrics(pred.poses(range(T)), c2w_gt)
            return _metrics(depth_metrics(dp, dg), tm, pm, _focal_err(pred.focal(0), (fx, fy))), dp

        model, dp = run(clip.frames)
        prior, pp = run(blank_like(clip.frames))
        const = depth_metrics(np.ones_like(dg), dg)
        ramp = depth_metrics(np.broadcast_to(ramp_depth(v), dg.shape), dg)
        q0 = clip.query(tu, tv, ts, ts, ts)['xyz'].numpy()
        static = tapvid3d_metrics(np.broadcast_to(q0, gxyz.shape), gxyz, np.ones_like(gvis), gvis, fx, fy)
        ident = pose_metrics(np.repeat(np.eye(4)[None], T, 0), c2w_gt)
        b = _baselines(const, ramp, prior, static, ident, _focal_err((_baseline_focal(W),) * 2, (fx, fy)))
        rows.append({'model': model, 'baseline': _combined_baseline(b), 'baselines': b,
                     'inputDependence': input_dependence(dp, pp, dg)})
        log(f'  clip {seed}: absRel {model["absRel"]:.3f} (ramp {ramp["absRel"]:.3f}, prior {prior["absRel"]:.3f}) '
            f'apd3d {model["apd3d"]:.3f} ate {model["ate"]:.3f} inputDependence {rows[-1]["inputDependence"]:.3f}')
    return {**mean_results(rows), 'clips': n_clips}


def fixture_depth_grid(pred: Predictor, Hs: int, Ws: int):
    """The depth protocol's query grid of a fixture clip: every source pixel centre, row-major."""
    return pred.grid(Hs, Ws)


def _fixture_run(pred: Predictor, frames: torch.Tensor, d: dict) -> tuple[dict, np.ndarray]:
    """Encodes ``frames`` (float [n, 3, Hs, Ws]) and scores the outputs against the clip ``d`` by the
    fixture protocol: (every metric, the depth predictions [T, Hs Ws])."""
    n, Hs, Ws, _ = d['frames'].shape
    pred.encode(frames)
    sel = np.asarray(pred.sel, dtype=np.int64)
    T = len(sel)
    # depth: the full source grid of every model frame
    u, v = fixture_depth_grid(pred, Hs, Ws)
    dp = np.stack([pred.query(u, v, k, k, k)['xyz'][:, 2] for k in range(T)])
    dm = depth_metrics(dp, d['depth'][sel].reshape(T, Hs * Ws))
    # camera-frame tracks, frame-major [T, N]
    q = d['tracksQuery']
    N = len(q)
    ks = np.array([pred.k(s) for s in q[:, 2].astype(np.int64)], dtype=np.int64)
    tt = np.repeat(np.arange(T, dtype=np.int64), N)
    out = pred.query(np.tile(q[:, 0], T), np.tile(q[:, 1], T), np.tile(ks, T), tt, tt)
    gxyz = d['tracksXyzCamera'][sel].astype(np.float64)
    gvis = d['tracksVisible'][sel].astype(bool)
    K = d['intrinsics']
    fx, fy = float(K[sel[0], 0]), float(K[sel[0], 1])
    tm = tapvid3d_metrics(out['xyz'].reshape(T, N, 3).astype(np.float64), gxyz,
                          out['visibility'].reshape(T, N) > 0.5, gvis, fx, fy)
    # poses of the model frames, gt relative to frame sel[0]
    c2w = d['cameraToWorld']
    rel = np.linalg.inv(c2w[sel[0]])[None] @ c2w[sel]
    pm = pose_metrics(pred.poses_model(range(T)), rel)
    # focal of model frame 0
    fe = _focal_err(pred.focal(int(sel[0])), (fx, fy))
    return _metrics(dm, tm, pm, fe), dp


def eval_fixture(pred: Predictor, folder: Path, log=None) -> dict:
    """Evaluates a ``d4rt-clip/1`` folder by the ``d4rt-fixture-eval/1`` protocol (module docstring)."""
    folder = Path(folder)
    d = read_clip(folder)
    n, Hs, Ws, _ = d['frames'].shape
    frames = torch.from_numpy(d['frames'].astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    model, dp = _fixture_run(pred, frames, d)
    prior, pp = _fixture_run(pred, blank_like(frames), d)
    sel = np.asarray(pred.sel, dtype=np.int64)
    T = len(sel)
    dg = d['depth'][sel].reshape(T, Hs * Ws)
    _, v = fixture_depth_grid(pred, Hs, Ws)
    const = depth_metrics(np.ones_like(dg), dg)
    ramp = depth_metrics(np.broadcast_to(ramp_depth(v), dg.shape), dg)
    # points that never move: the gt position in the query's own camera, every frame
    q = d['tracksQuery']
    N = len(q)
    src = q[:, 2].astype(np.int64)
    gxyz = d['tracksXyzCamera'][sel].astype(np.float64)
    gvis = d['tracksVisible'][sel].astype(bool)
    K = d['intrinsics']
    fx, fy = float(K[sel[0], 0]), float(K[sel[0], 1])
    q0 = d['tracksXyzCamera'][src, np.arange(N)].astype(np.float64)
    static = tapvid3d_metrics(np.broadcast_to(q0, gxyz.shape), gxyz, np.ones_like(gvis), gvis, fx, fy)
    c2w = d['cameraToWorld']
    rel = np.linalg.inv(c2w[sel[0]])[None] @ c2w[sel]
    ident = pose_metrics(np.repeat(np.eye(4)[None], T, 0), rel)
    b = _baselines(const, ramp, prior, static, ident, _focal_err((_baseline_focal(Ws),) * 2, (fx, fy)))
    res = {'name': folder.name, 'frames': int(n), 'model': model, 'baseline': _combined_baseline(b),
           'baselines': b, 'inputDependence': input_dependence(dp, pp, dg)}
    if log:
        log(f'  {folder.name}: ' + ' '.join(f'{k} {res["model"][k]:.4f}' for k in KEYS)
            + f' inputDependence {res["inputDependence"]:.4f}')
    return res


def evaluate_fixtures(model, folders, checkpoint: str = '', log=print, chunk: int = 2048) -> dict:
    """``d4rt-fixture-eval/1`` over fixture folders: per-clip results and their mean. ``chunk``
    (queries per decoder call) does not change the answers (queries never attend to each other);
    2048 is simply faster on a CPU than larger chunks."""
    pred = Predictor(model, chunk=chunk)
    clips = [eval_fixture(pred, Path(f), log=log) for f in folders]
    return {'protocol': FIXTURE_PROTOCOL, 'checkpoint': checkpoint, 'clips': clips, 'mean': mean_results(clips)}


def write_json_atomic(path: Path, obj) -> None:
    """Writes JSON (non-finite floats as null) to a temporary file beside ``path`` and renames it
    into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(fd, 'w') as fh:
            fh.write(json.dumps(json_safe(obj), indent=2, allow_nan=False) + '\n')
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
    """A real sequence (frames float [n, Hs, Ws, 3] in [0, 1], depth [n, Hs, Ws], 0 = none, K
    [n, 3, 3], c2w [n, 4, 4]): depth on the model's H x W grid of every frame against the nearest
    gt pixel, poses, focal error (median over frames); no tracks (NaN)."""
    n, Hs, Ws = depth.shape
    gh, gw = pred.cfg.H, pred.cfg.W
    u, v = pred.grid(gh, gw)
    xi = np.rint(u * (Ws - 1)).astype(int)
    yi = np.rint(v * (Hs - 1)).astype(int)
    dg = depth[:, yi, xi].reshape(n, gh * gw)
    rel = np.linalg.inv(c2w[0]) @ c2w
    Kf = [(K[i, 0, 0], K[i, 1, 1]) for i in range(n)]

    def run(video):
        pred.encode(video)
        dp = np.stack([pred.depth(i, gh, gw).reshape(-1) for i in range(n)])
        pm = pose_metrics(pred.poses(range(n)), rel)
        fe = float(np.median([_focal_err(pred.focal(i), Kf[i]) for i in range(n)]))
        return _metrics(depth_metrics(dp, dg), None, pm, fe), dp

    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
    model, dp = run(video)
    prior, pp = run(blank_like(video))
    const = depth_metrics(np.ones_like(dg), dg)
    ramp = depth_metrics(np.broadcast_to(ramp_depth(v), dg.shape), dg)
    ident = pose_metrics(np.repeat(np.eye(4)[None], n, 0), rel)
    f_base = float(np.median([_focal_err((_baseline_focal(Ws),) * 2, Kf[i]) for i in range(n)]))
    b = _baselines(const, ramp, prior, None, ident, f_base)
    res = {'model': model, 'baseline': _combined_baseline(b), 'baselines': b,
           'inputDependence': input_dependence(dp, pp, dg), 'frames': n}
    log(f'  {name}: ' + ' '.join(f'{k} {x:.4f}' for k, x in model.items() if np.isfinite(x))
        + f' inputDependence {res["inputDependence"]:.4f}')
    return res


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
    """Markdown rows per set: model, baseline (combined), ramp, prior; then one inputDependence line."""
    keys = KEYS
    fmt = lambda x: f'{x:.4f}' if x is not None and np.isfinite(x) else '-'
    lines = ['| set | what | ' + ' | '.join(keys) + ' |', '|---|---|' + '---|' * len(keys)]
    for name, r in res.items():
        rows = {'model': r['model'], 'baseline': r['baseline']}
        if 'baselines' in r:
            rows.update(ramp=r['baselines']['ramp'], prior=r['baselines']['prior'])
        for who, m in rows.items():
            lines.append(f'| {name} | {who} | ' + ' | '.join(fmt(m.get(k)) for k in keys) + ' |')
    dep = [f'{name} {fmt(r["inputDependence"])}' for name, r in res.items() if 'inputDependence' in r]
    if dep:
        lines += ['', 'inputDependence (corr. of log model/prior depth with log gt; ~0 = ignores the input): '
                  + ', '.join(dep)]
    return '\n'.join(lines)


def last_line(mean: dict) -> dict:
    """The summary the SDK's ``d4rt eval`` prints last: the mean model metrics, ``baselines`` and
    ``inputDependence`` (NaN as null once written)."""
    return {**mean['model'], 'baselines': mean['baselines'], 'inputDependence': mean['inputDependence']}


def json_safe(obj):
    """``obj`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


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
        print(json.dumps(json_safe(last_line(res['mean']))))
        return res
    res = evaluate(model, args.clips)
    print(format_table(res))
    if args.json:
        write_json_atomic(args.json, res)
    print(json.dumps(json_safe({k: v['model'] for k, v in res.items()})))
    return res


def _ckpt_name(path: Path) -> str:
    """The checkpoint path relative to training/ when it lies inside it (a stable name), else as given."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(__file__).resolve().parents[1])).as_posix()
    except ValueError:
        return str(path)


if __name__ == '__main__':
    main()
