#!/usr/bin/python3
"""Expected TAPVid-3D metrics for src/metrics/tracks-3d-reference.test.ts.

An independent NumPy statement of the definitions of `compute_tapvid3d_metrics` in
google-deepmind/tapnet (`tapnet/tapvid3d/evaluation/metrics.py`), one video at a time: every
scaling mode ('median', 'mean', 'none', 'median_on_queries', 'per_trajectory',
'local_neighborhood', 'reproduce_2d'), `use_fixed_metric_threshold` and the track-wise metrics.
It is written as a list of weighted evaluation entries (a track's point at a frame, the scale it
gets, the group it counts for and its weight), not as tapnet's padded tensors, so that it checks
the TypeScript code against the definitions rather than against a port of it.

Writes seeded random cases (and a few edge cases) with their inputs in d4rt's frame-major layout
and the expected values as JSON (NaN as null) to stdout:

  /usr/bin/python3 packages/geometry/test/reference/tapvid3d-reference.py \
    > packages/geometry/test/reference/tapvid3d-cases.json

Needs only NumPy.
"""

import json
import sys

import numpy as np

DELTAS = (1, 2, 4, 8, 16)
# tapnet's PIXEL_TO_FIXED_METRIC_THRESH: metres for each pixel threshold.
FIXED_METRIC = {1: 0.01, 2: 0.04, 4: 0.16, 8: 0.64, 16: 2.56}


def entries(gt_vis, gt, pred_vis, pred, query, scaling, radius):
  """Evaluation entries: (track, frame, scale, group, weight) arrays, and the scales reported.

  Arrays are in tapnet's 'n t' order: gt_vis [n, t] bool, gt [n, t, 3], query [n] int.
  """
  n, t = gt_vis.shape
  track = np.repeat(np.arange(n), t)
  frame = np.tile(np.arange(t), n)
  weight = np.ones(n * t)
  group = track.copy()
  global_scale = np.nan
  track_scales = None
  with np.errstate(divide='ignore', invalid='ignore'):
    if scaling in ('median', 'mean', 'median_on_queries', 'none'):
      if scaling == 'none':
        global_scale = 1.0
      else:
        sel_t, sel_f = (np.arange(n), query) if scaling == 'median_on_queries' else (track, frame)
        both = gt_vis[sel_t, sel_f] & pred_vis[sel_t, sel_f]
        norm_g = np.sqrt(np.maximum(1e-12, np.sum(gt[sel_t, sel_f] ** 2, axis=-1)))[both]
        norm_p = np.sqrt(np.maximum(1e-12, np.sum(pred[sel_t, sel_f] ** 2, axis=-1)))[both]
        if both.any():
          stat = np.mean if scaling == 'mean' else np.median
          global_scale = stat(norm_g) / stat(norm_p)
      scale = np.full(n * t, global_scale)
    elif scaling == 'reproduce_2d':
      scale = gt[track, frame, 2] / pred[track, frame, 2]
    elif scaling in ('per_trajectory', 'local_neighborhood'):
      idx = np.arange(n)
      track_scales = np.maximum(gt[idx, query, 2], 1e-12) / np.maximum(pred[idx, query, 2], 1e-12)
      scale = track_scales[track]
      if scaling == 'local_neighborhood':
        # Every track c becomes all (track, frame) whose gt lies within `radius` of c's gt at the
        # same frame, scaled by c's scale and weighted so that c keeps its gt-visible count.
        parts = []
        for c in range(n):
          close = np.sum((gt - gt[c][np.newaxis]) ** 2, axis=-1) < radius * radius
          tt, ff = np.nonzero(close)
          w = gt_vis[c].sum() / max(1.0, float(gt_vis[tt, ff].sum()))
          parts.append((tt, ff, np.full(len(tt), track_scales[c]), np.full(len(tt), c), np.full(len(tt), w)))
        track, frame, scale, group, weight = (np.concatenate(p) for p in zip(*parts))
    else:
      raise ValueError(scaling)
  return track, frame, scale, group, weight, global_scale, track_scales


def metrics(gt_vis, gt, pred_vis, pred, fx, fy, query, scaling, fixed, radius):
  n = gt_vis.shape[0]
  track, frame, scale, group, weight, global_scale, track_scales = entries(
      gt_vis, gt, pred_vis, pred, query, scaling, radius)
  g = gt[track, frame]
  with np.errstate(invalid='ignore', over='ignore'):
    p = pred[track, frame] * scale[:, np.newaxis]
    d2 = np.sum((p - g) ** 2, axis=-1)
  vis_g = gt_vis[track, frame]
  vis_p = pred_vis[track, frame]
  focal = np.sqrt(fx * fy)

  def ratio(num, den):
    """Video-level and per-group weighted ratios (0 / 0 is NaN)."""
    with np.errstate(invalid='ignore', divide='ignore'):
      video = np.sum(num * weight) / np.sum(den * weight)
      per = (np.bincount(group, num * weight, minlength=n) /
             np.bincount(group, den * weight, minlength=n))
    return video, per

  out = {'scale': global_scale}
  if track_scales is not None:
    out['trackScales'] = track_scales
  out['occlusionAccuracy'], occ_per = ratio((vis_g == vis_p).astype(float), np.ones(len(d2)))
  within_v, jac_v, within_t, jac_t = [], [], [], []
  for delta in DELTAS:
    tau = FIXED_METRIC[delta] if fixed else delta * (g[:, 2] / focal)
    within = d2 < tau ** 2
    a, at = ratio((within & vis_g).astype(float), vis_g.astype(float))
    fp = vis_p & (~vis_g | ~within)
    j, jt = ratio((within & vis_g & vis_p).astype(float), vis_g.astype(float) + fp)
    within_v.append(a)
    jac_v.append(j)
    within_t.append(at)
    jac_t.append(jt)
  out['ptsWithin'] = within_v
  out['jaccard'] = jac_v
  out['averagePtsWithin'] = np.mean(within_v)
  out['averageJaccard'] = np.mean(jac_v)
  out['perTrack'] = {
      'averagePtsWithin': np.mean(within_t, axis=0),
      'averageJaccard': np.mean(jac_t, axis=0),
      'occlusionAccuracy': occ_per,
      'ptsWithin': within_t,
      'jaccard': jac_t,
  }
  return out


def random_case(rng, scaling, fixed):
  n = int(rng.integers(3, 10))
  t = int(rng.integers(3, 9))
  # Tracks in clusters of nearby points (so that local neighbourhoods hold several tracks) that
  # drift from frame to frame; metres, camera frame, z in front of the camera.
  clusters = int(rng.integers(1, n + 1))
  centre = np.stack([rng.uniform(-1, 1, clusters), rng.uniform(-1, 1, clusters), rng.uniform(0.8, 4, clusters)], -1)
  member = rng.integers(0, clusters, n)
  start = centre[member] + rng.normal(0, 0.03, (n, 3))
  drift = np.cumsum(rng.normal(0, 0.02, (n, t, 3)), axis=1)
  gt = start[:, np.newaxis] + drift
  gt[..., 2] = np.maximum(gt[..., 2], 0.3)
  # An unknown global scale, except for 'none', which would then score 0 everywhere.
  true_scale = 1.0 if scaling == 'none' else float(np.exp(rng.uniform(-1.5, 1.5)))
  noise = np.exp(rng.uniform(np.log(1e-4), np.log(0.3), (n, t, 1))) * rng.normal(0, 1, (n, t, 3))
  pred = gt / true_scale + noise
  pred[..., 2] = np.maximum(pred[..., 2], 0.05)
  gt_vis = rng.uniform(size=(n, t)) < 0.75
  pred_vis = gt_vis ^ (rng.uniform(size=(n, t)) < 0.2)
  query = rng.integers(0, t, n).astype(float)
  return {
      'gt': np.round(gt, 6), 'pred': np.round(pred, 6), 'gt_vis': gt_vis, 'pred_vis': pred_vis,
      'fx': float(np.round(rng.uniform(100, 600), 3)), 'fy': float(np.round(rng.uniform(100, 600), 3)),
      'query': query, 'scaling': scaling, 'fixed': fixed, 'radius': 0.05,
  }


def cases():
  rng = np.random.default_rng(20250115)
  modes = ('median', 'mean', 'none', 'median_on_queries', 'per_trajectory', 'local_neighborhood', 'reproduce_2d')
  out = []
  for scaling in modes:
    for fixed in (False, True):
      for k in range(2):
        c = random_case(rng, scaling, fixed)
        c['name'] = f'{scaling}{" fixed" if fixed else ""} #{k}'
        out.append(c)
  # Edge cases.
  c = random_case(rng, 'median', False)
  c['pred_vis'][:] = False
  c['name'] = 'median, nothing visible in both: NaN scale'
  out.append(c)
  c = random_case(rng, 'median_on_queries', False)
  c['pred_vis'][np.arange(len(c['query'])), c['query'].astype(int)] = False
  c['name'] = 'median_on_queries, every query occluded in the prediction: NaN scale'
  out.append(c)
  c = random_case(rng, 'per_trajectory', False)
  c['pred'][0, int(c['query'][0]), 2] = -0.5
  c['query'][1 % len(c['query'])] = 0.5 if c['gt'].shape[1] > 1 else 0.0
  c['query'][2 % len(c['query'])] = 1.5
  c['name'] = 'per_trajectory, a negative predicted depth at a query (clamped), half-integer query frames (half to even)'
  out.append(c)
  c = random_case(rng, 'local_neighborhood', False)
  c['gt_vis'][0] = False
  c['radius'] = 0.2
  c['name'] = 'local_neighborhood, radius 0.2, track 0 never visible (weight 0: NaN track metrics)'
  out.append(c)
  c = random_case(rng, 'reproduce_2d', False)
  c['pred'][0, 0, :] = 0.0
  c['pred'][1, 0, 2] = 0.0
  c['name'] = 'reproduce_2d, zero predicted depths (infinite / NaN scales)'
  out.append(c)
  return out


def plain(x):
  """JSON-ready: arrays to lists, NaN to None, floats kept at full precision."""
  if isinstance(x, dict):
    return {k: plain(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [plain(v) for v in x]
  if isinstance(x, np.ndarray):
    return plain(x.tolist())
  if isinstance(x, str):
    return x
  if isinstance(x, (bool, np.bool_)):
    return bool(x)
  if isinstance(x, (int, np.integer)):
    return int(x)
  x = float(x)
  return None if np.isnan(x) else x


def main():
  fixture = []
  for c in cases():
    n, t = c['gt_vis'].shape
    query = np.round(c['query']).astype(int)  # half to even, as tapnet's np.round
    expected = metrics(c['gt_vis'], c['gt'], c['pred_vis'], c['pred'], c['fx'], c['fy'], query,
                       c['scaling'], c['fixed'], c['radius'])
    frame_major = lambda a: np.swapaxes(a, 0, 1).reshape(-1)  # [n, t, ...] -> t-major flat
    fixture.append({
        'name': c['name'],
        'frames': t,
        'points': n,
        'intrinsics': {'fx': c['fx'], 'fy': c['fy']},
        'scaling': c['scaling'].replace('_', '-'),
        'fixedMetricThreshold': c['fixed'],
        'localNeighborhoodRadius': c['radius'],
        'queryFrames': c['query'],
        'gt': {'xyz': frame_major(c['gt']), 'visible': frame_major(c['gt_vis']).astype(int)},
        'pred': {'xyz': frame_major(c['pred']), 'visible': frame_major(c['pred_vis']).astype(int)},
        'expected': expected,
    })
  json.dump(plain({
      'source': 'packages/geometry/test/reference/tapvid3d-reference.py (tapnet compute_tapvid3d_metrics definitions)',
      'cases': fixture,
  }), sys.stdout, allow_nan=False, separators=(',', ':'))
  sys.stdout.write('\n')


if __name__ == '__main__':
  main()
