"""Both ways of tracking on the same frozen encoder, side by side: the D4RT query decoder
(independent (u, v, tSrc, tTgt = tCam = k) queries) and the tracker (one trajectory per query point,
all frames at once), beside points that never move.

    cd training
    /usr/bin/python3 tools/tracker_table.py --tracker checkpoints/d4rt-tiny-tracker.pt [--synthetic 16] [--json out.json]
    /usr/bin/python3 tools/tracker_table.py --ablation runs/trk-short="full" runs/abl-noglobal="- global branch" ...

Clips: the held-out fixtures ``packages/models/fixtures/heldout-0..2`` (16 frames of 80 x 120, 256
tracks each, exact ground truth) and, with ``--synthetic K``, K more held-out scenes rendered the
same way in memory (seeds 1_000_200 + i, never used in training; tracks by the fixtures' sampler).
Protocol of the tracks part of ``d4rt-fixture-eval/1`` (see ``d4rt_train/evaluate.py``): frames
``sel = select_frames(n, T)``, track i = (u, v, s) queried in every model frame k with
tSrc = k(s), tTgt = tCam = k (frame-major [T, N]); ``tapvid3d_metrics`` (one global median scale per
clip, thresholds delta z / sqrt(fx fy)) -> APD3D, AJ, OA; the depth error |log(s z / z_gt)| (one
median scale s per clip) over gt-visible (frame, point) pairs and at the query points' source
frames only (what a trajectory starts from); and the 2D ``< delta^x_avg`` of TAP-Vid
(every frame, gt-visible points, thresholds 1, 2, 4, 8, 16 px in the 256 x 256 raster), from the
decoded (truncated soft-argmax) uv against ``tracksUv``. The tracker answers all N tracks of a clip
in one call (one set). ``static``: every frame repeats the track's ground-truth position in camera s
(and its 2D query position), always visible (an oracle for depth: it starts from the true 3D
point); ``static (own depth)``: the same with the query decoder's own answer at the source frame
(tTgt = tCam = k(s)) instead of the ground truth. Numbers are means over clips; the JSON line last
holds every number.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d4rt_train.clip_io import read_clip, sample_tracks  # noqa: E402
from d4rt_train.export import load_checkpoint  # noqa: E402
from d4rt_train.metrics import tapvid3d_metrics  # noqa: E402
from d4rt_train.model import decode_outputs  # noqa: E402
from d4rt_train.predictor import Predictor  # noqa: E402
from d4rt_train.synth import SceneConfig, make_scene  # noqa: E402
from d4rt_train.train_tracker import delta_avg_2d, load_tracker  # noqa: E402

TRAINING = Path(__file__).resolve().parents[1]
FIXTURES = TRAINING.parent / 'packages' / 'models' / 'fixtures'
SYNTH_SEED = 1_000_200
KEYS = ('aj', 'apd3d', 'oa', 'delta2d', 'logZ', 'srcLogZ')


def synthetic_clip(seed: int, T=16, H=80, W=120, tracks=256) -> dict:
    """A held-out scene rendered like a fixture (aspect W / H), as :func:`read_clip` returns it."""
    clip = make_scene(seed, replace(SceneConfig(), aspect=(W / H, W / H))).render(T, H, W)
    tr = sample_tracks(clip, tracks, seed)
    K = clip.K.numpy()
    return {'name': f'synthetic-{seed}',
            'frames': np.round(clip.frames.permute(0, 2, 3, 1).numpy() * 255).clip(0, 255).astype(np.uint8),
            'tracksQuery': tr['query'], 'tracksUv': tr['uv'], 'tracksXyzCamera': tr['xyz_camera'],
            'tracksVisible': tr['visible'].astype(np.uint8),
            'intrinsics': np.stack([K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2]], -1)}


def load_clips(n_synth: int) -> list:
    clips = []
    for i in range(3):
        d = read_clip(FIXTURES / f'heldout-{i}')
        d['name'] = f'heldout-{i}'
        clips.append(d)
    clips += [synthetic_clip(SYNTH_SEED + i) for i in range(n_synth)]
    return clips


def _score(xyz, vis, uv, d, sel, W, H, ks) -> dict:
    gxyz = d['tracksXyzCamera'][sel].astype(np.float64)
    gvis = d['tracksVisible'][sel].astype(bool)
    K = d['intrinsics']
    fx, fy = float(K[sel[0], 0]), float(K[sel[0], 1])
    tm = tapvid3d_metrics(np.asarray(xyz, np.float64), gxyz, np.asarray(vis, bool), gvis, fx, fy)
    # depth error: |log(s z / z_gt)| with one median scale s per clip, over gt-visible (frame, point)
    # pairs and over the query points' own source frames only
    z, zg = np.asarray(xyz, np.float64)[..., 2], gxyz[..., 2]
    ok = gvis & (z > 0)
    s = np.median(zg[ok]) / np.median(z[ok])
    lz = np.abs(np.log(np.maximum(s * z, 1e-9) / zg))
    return {'aj': tm['aj'], 'apd3d': tm['apd3d'], 'oa': tm['oa'],
            'delta2d': delta_avg_2d(uv, d['tracksUv'][sel], gvis, W, H),
            'logZ': float(lz[ok].mean()), 'srcLogZ': float(lz[ks, np.arange(len(ks))].mean())}


@torch.no_grad()
def eval_clip(pred: Predictor, trackers: dict, d: dict) -> dict:
    """{'query': metrics, 'static': metrics, <tracker label>: metrics} of one clip."""
    n, Hs, Ws, _ = d['frames'].shape
    frames = torch.from_numpy(d['frames'].astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    pred.encode(frames)
    sel = np.asarray(pred.sel, dtype=np.int64)
    T = len(sel)
    q = d['tracksQuery']
    N = len(q)
    ks = np.array([pred.k(s) for s in q[:, 2].astype(np.int64)], dtype=np.int64)
    res = {}
    # the query decoder: T x N independent queries
    tt = np.repeat(np.arange(T, dtype=np.int64), N)
    out = pred.query(np.tile(q[:, 0], T), np.tile(q[:, 1], T), np.tile(ks, T), tt, tt)
    res['query'] = _score(out['xyz'].reshape(T, N, 3), out['visibility'].reshape(T, N) > 0.5,
                          out['uv'].reshape(T, N, 2), d, sel, Ws, Hs, ks)
    # points that never move
    src = q[:, 2].astype(np.int64)
    q0 = d['tracksXyzCamera'][src, np.arange(N)].astype(np.float64)
    res['static'] = _score(np.broadcast_to(q0, (T, N, 3)), np.ones((T, N), bool),
                           np.broadcast_to(q[:, :2], (T, N, 2)), d, sel, Ws, Hs, ks)
    # points that never move, at the query decoder's own source point (no ground truth used)
    own = out['xyz'].reshape(T, N, 3)[ks, np.arange(N)].astype(np.float64)
    res['static (own depth)'] = _score(np.broadcast_to(own, (T, N, 3)), np.ones((T, N), bool),
                                       np.broadcast_to(q[:, :2], (T, N, 2)), d, sel, Ws, Hs, ks)
    # trackers: one call per clip with all N tracks
    layers_cache = {}
    for label, tr in trackers.items():
        lays = tr.tcfg.layers
        if lays not in layers_cache:
            layers_cache[lays] = pred.model.encoder(pred.video[None], torch.tensor([pred.aspect], dtype=torch.float32),
                                                    layers=lays)
        mem, layers = layers_cache[lays]
        coords = torch.from_numpy(q[:, :2].astype(np.float32))[None]
        raw = tr(mem, layers, coords, torch.from_numpy(ks)[None])
        dec = decode_outputs(*[r[0] for r in raw], window=pred.cfg.uv_window)
        res[label] = _score(dec['xyz'].numpy(), dec['visibility'].numpy() > 0.5, dec['uv'].numpy(), d, sel, Ws, Hs, ks)
    return res


def mean_rows(per_clip: list, subset=None) -> dict:
    rows = [r for r in per_clip if subset is None or subset(r['name'])]
    whos = [k for k in rows[0] if k != 'name']
    return {w: {k: float(np.nanmean([r[w][k] for r in rows])) for k in KEYS} for w in whos}


def table(means: dict, title: str) -> str:
    lines = [f'| {title} | AJ | APD3D | OA | 2D <δ_avg | \\|log z err\\| | at tSrc |', '|---|---|---|---|---|---|---|']
    for who, m in means.items():
        lines.append(f'| {who} | ' + ' | '.join(f'{m[k]:.4f}' for k in KEYS) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--encoder', type=Path, default=TRAINING / 'checkpoints' / 'd4rt-tiny.pt')
    ap.add_argument('--tracker', type=Path, action='append', default=[], help='a tracker checkpoint (repeatable)')
    ap.add_argument('--ablation', nargs='+', default=[], metavar='RUN=LABEL',
                    help='run folders (their last.pt) with a label each')
    ap.add_argument('--synthetic', type=int, default=16, help='held-out synthetic clips besides the 3 fixtures')
    ap.add_argument('--json', type=Path)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, cfg, _ = load_checkpoint(args.encoder)
    trackers = {}
    for p in args.tracker:
        trackers[f'tracker ({p.name})' if len(args.tracker) > 1 else 'tracker'] = load_tracker(p, cfg)[0]
    for item in args.ablation:
        run, _, label = item.partition('=')
        trackers[label or Path(run).name] = load_tracker(Path(run) / 'last.pt', cfg)[0]
    pred = Predictor(model, chunk=2048)
    clips = load_clips(args.synthetic)
    per_clip = []
    for d in clips:
        r = eval_clip(pred, trackers, d)
        per_clip.append({'name': d['name'], **r})
        print(f"  {d['name']}: " + '; '.join(f"{w} AJ {m['aj']:.3f} APD3D {m['apd3d']:.3f}" for w, m in r.items()),
              file=sys.stderr, flush=True)
    res = {'fixtures': mean_rows(per_clip, lambda n: n.startswith('heldout-'))}
    if args.synthetic:
        res['synthetic'] = mean_rows(per_clip, lambda n: n.startswith('synthetic-'))
        res['all'] = mean_rows(per_clip)
    for name, means in res.items():
        n = sum(1 for r in per_clip if name == 'all' or r['name'].startswith('heldout-' if name == 'fixtures' else 'synthetic-'))
        print(table(means, f'{name} ({n} clips x 256 tracks)'))
        print()
    out = {'encoder': str(args.encoder), 'trackers': [str(p) for p in args.tracker] + args.ablation,
           'means': res, 'clips': per_clip}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps({'means': res}))


if __name__ == '__main__':
    main()
