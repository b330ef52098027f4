/**
 * 3D point-tracking metrics of TAPVid-3D (Koppula et al., "TAPVid-3D: A Benchmark for Tracking Any
 * Point in 3D", NeurIPS 2024 Datasets & Benchmarks), following the reference implementation
 * `tapnet/tapvid3d/evaluation/metrics.py` (`compute_tapvid3d_metrics`, default `scaling='median'`),
 * every one of its options included.
 *
 * Protocol, for one video:
 * 1. Scaling of the prediction (`scaling`; tapnet's names with `-` for `_`):
 *    - `'median'` (default, the benchmark's): one global scale
 *      `s = median |X_gt| / median |X_pred|`, the medians over the points visible in both the
 *      ground truth and the prediction (norms clamped below at 1e-6 as in the reference). When no
 *      point is visible in both, `s` is NaN as in the reference (the NaN median of an empty set):
 *      no point is within any threshold, so APD3D and AJ are 0 (a prediction that calls every
 *      point occluded does not score perfectly). `'mean'` uses means instead of medians.
 *    - `'median-on-queries'`: as `'median'`, but over each track's query frame only (tracks
 *      visible in both there).
 *    - `'per-trajectory'`: one scale per track, `s_n = z_gt / z_pred` at the track's query frame
 *      (each depth clamped below at 1e-12), applied to the whole track.
 *    - `'local-neighborhood'`: the scales of `'per-trajectory'`, and every track `c` is replaced by
 *      its neighbourhood: every point (of any track, at any frame) whose ground truth lies within
 *      `localNeighborhoodRadius` of track `c`'s ground truth at the same frame, evaluated with the
 *      scale of `c`. Neighbourhood `c` counts with the weight
 *      `(gt-visible frames of c) / max(1, gt-visible points of the neighbourhood)`, so the video's
 *      gt-visible points keep their total weight. Costs `points^2 * frames` distance tests.
 *      (tapnet computes this mode's per-threshold video values but raises on averaging them when
 *      `get_trackwise_metrics` is off; here APD3D and AJ are their means, as in every other mode.)
 *    - `'reproduce-2d'`: every point scaled by its own `z_gt / z_pred`, so its depth matches and
 *      its projection is unchanged: the 3D thresholds then reproduce 2D pixel thresholds (without
 *      the query-frame handling of TAP-Vid).
 *    - `'none'`: the prediction as it is.
 * 2. Thresholds: for a pixel threshold `delta` in {1, 2, 4, 8, 16}, a point is "within" when
 *    `|s X_pred - X_gt| < delta * z_gt / sqrt(fx fy)` (the 3D distance that projects to `delta`
 *    pixels at the ground-truth depth); with `fixedMetricThreshold`, when `|s X_pred - X_gt| <
 *    0.01 delta^2` in ground-truth units (tapnet's table 1 -> 0.01, 2 -> 0.04, 4 -> 0.16,
 *    8 -> 0.64, 16 -> 2.56 metres, extended to other thresholds by the same rule).
 * 3. Per delta: APD = within & gt visible / gt visible (ignores predicted visibility);
 *    Jaccard = TP / (TP + FP + FN) with TP = gt visible & pred visible & within,
 *    FP = pred visible & (gt occluded | not within), FN = gt visible & (pred occluded | not within)
 *    (TP + FN = gt visible, so the denominator is gt visible + FP, as in the reference).
 * 4. APD3D (`averagePtsWithin`) and AJ (`averageJaccard`) average over the deltas; OA
 *    (`occlusionAccuracy`) = fraction of points whose predicted visibility equals the ground truth.
 * All counts pool every point of every frame of the video (query frames included, as in the
 * reference); with `trackwise`, `perTrack` also gives the same metrics per track (per
 * neighbourhood with `'local-neighborhood'`). A 0 / 0 ratio is NaN (as NumPy).
 *
 * Layout: frame-major. `xyz` has `frames * points * 3` values, the point `n` at frame `t` at
 * `3 * (t * points + n)`; `visible` has `frames * points` values at `t * points + n`, visible where
 * the value is `> 0.5` (so 0/1 masks and probabilities both work). Points are in the camera frame
 * of each frame (OpenCV axes), so `z` is the depth.
 *
 * @packageDocumentation
 */

import type { Intrinsics } from '../camera.js';
import { medianInPlace } from '../select.js';
import { TapCounts, type TapSummary } from './tap-counts.js';
import type { NumberArray } from '../types.js';
import { assertAllFinite, assertArray, assertLength, assertNumber, assertOneOf, describe } from '../validate.js';

/** Tracks of one video: positions and visibility, frame-major (see the module notes). */
export interface Tracks3d {
  /** `frames * points * 3` camera-frame coordinates. */
  xyz: NumberArray;
  /** `frames * points` visibility values; visible where `> 0.5`. */
  visible: NumberArray;
}

/**
 * How {@link tapVid3dMetrics} rescales the prediction (tapnet's `scaling`, `_` written `-`; see the
 * module notes). `'median-on-queries'`, `'per-trajectory'` and `'local-neighborhood'` need
 * `queryFrames`.
 */
export type TapVid3dScaling =
  | 'median'
  | 'mean'
  | 'none'
  | 'median-on-queries'
  | 'per-trajectory'
  | 'local-neighborhood'
  | 'reproduce-2d';

const SCALINGS: readonly TapVid3dScaling[] = [
  'median',
  'mean',
  'none',
  'median-on-queries',
  'per-trajectory',
  'local-neighborhood',
  'reproduce-2d',
];

/** Options of {@link tapVid3dMetrics}. */
export interface TapVid3dOptions {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of tracked points (integer >= 1). */
  points: number;
  /** Intrinsics of the video; only `fx` and `fy` (pixels) are used. */
  intrinsics: Pick<Intrinsics, 'fx' | 'fy'>;
  /** Rescaling of the prediction; default `'median'` (the benchmark's). */
  scaling?: TapVid3dScaling;
  /**
   * Query frame of each track (`points` numbers, rounded half to even like NumPy's `round`).
   * Required by `'median-on-queries'`, `'per-trajectory'` and `'local-neighborhood'`; checked but
   * not used otherwise (every frame is evaluated, as in the reference).
   */
  queryFrames?: NumberArray;
  /**
   * Fixed metric thresholds `0.01 delta^2` (ground-truth units, metres in TAPVid-3D) instead of
   * the depth-adaptive ones (tapnet's `use_fixed_metric_threshold`); default `false`.
   */
  fixedMetricThreshold?: boolean;
  /**
   * Radius of the neighbourhoods of `'local-neighborhood'`, ground-truth units (tapnet's
   * `local_neighborhood_thresh`); default 0.05.
   */
  localNeighborhoodRadius?: number;
  /** Also compute the metrics of each track, in `perTrack` (tapnet's `get_trackwise_metrics`); default `false`. */
  trackwise?: boolean;
  /** Pixel thresholds; default `[1, 2, 4, 8, 16]`. */
  thresholds?: readonly number[];
}

/** Metrics of each track ({@link TapVid3dMetrics.perTrack}); every array has `points` entries. */
export interface TapVid3dTrackMetrics {
  /** APD3D of each track. */
  averagePtsWithin: Float64Array;
  /** AJ of each track. */
  averageJaccard: Float64Array;
  /** OA of each track. */
  occlusionAccuracy: Float64Array;
  /** `ptsWithin[k][n]`: fraction of track `n`'s gt-visible points within threshold `k`. */
  ptsWithin: Float64Array[];
  /** `jaccard[k][n]`: Jaccard index of track `n` at threshold `k`. */
  jaccard: Float64Array[];
}

/** Result of {@link tapVid3dMetrics}; fractions in [0, 1]. */
export interface TapVid3dMetrics {
  /** APD3D: mean over thresholds of the fraction of gt-visible points within the threshold. */
  averagePtsWithin: number;
  /** AJ: mean over thresholds of the Jaccard index. */
  averageJaccard: number;
  /** OA: fraction of points whose predicted visibility equals the ground truth. */
  occlusionAccuracy: number;
  /** The fraction within each threshold, in `thresholds` order. */
  ptsWithin: number[];
  /** The Jaccard index at each threshold. */
  jaccard: number[];
  /** The pixel thresholds used. */
  thresholds: number[];
  /**
   * The global scale applied to the prediction: 1 for `'none'`; NaN when no point is visible in
   * both (`'median'`, `'mean'`, `'median-on-queries'`) and for the modes without a global scale
   * (`'per-trajectory'`, `'local-neighborhood'`, `'reproduce-2d'`).
   */
  scale: number;
  /** The scale of each track (`points` values) with `'per-trajectory'` and `'local-neighborhood'`. */
  trackScales?: Float64Array;
  /** The metrics of each track (of each neighbourhood with `'local-neighborhood'`), with `trackwise: true`. */
  perTrack?: TapVid3dTrackMetrics;
}

const DEFAULT_THRESHOLDS = [1, 2, 4, 8, 16] as const;
const NEEDS_QUERIES: readonly TapVid3dScaling[] = ['median-on-queries', 'per-trajectory', 'local-neighborhood'];

/** @internal Checks a thresholds option; returns a copy. */
export function checkThresholds(fn: string, thresholds: unknown): number[] {
  if (!Array.isArray(thresholds) || thresholds.length === 0) {
    throw new TypeError(`${fn}: options.thresholds (${describe(thresholds)}) must be a non-empty array of positive numbers`);
  }
  thresholds.forEach((t, i) => assertNumber(fn, `options.thresholds[${i}]`, t, { min: 0, exclusiveMin: true }));
  return thresholds.slice() as number[];
}

/** @internal Rounds half to even, as NumPy's `round` (2.5 -> 2, 3.5 -> 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * @internal Checks a `queryFrames` option (`points` finite numbers that round, half to even, to a
 * frame index) and returns the frame indices (a new array).
 */
export function checkQueryFrames(fn: string, queryFrames: unknown, points: number, frames: number): Int32Array {
  assertArray(fn, 'options.queryFrames', queryFrames);
  assertLength(fn, 'options.queryFrames', queryFrames, points, 'options.points');
  const out = new Int32Array(points);
  for (let n = 0; n < points; n++) {
    const q = roundHalfEven(queryFrames[n]!);
    if (!(q >= 0 && q < frames)) {
      throw new RangeError(`${fn}: options.queryFrames[${n}] (${describe(queryFrames[n])}) must be a frame index in [0, ${frames - 1}]`);
    }
    out[n] = q;
  }
  return out;
}

function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a boolean`);
  return value;
}

/**
 * Computes the TAPVid-3D metrics (APD3D, AJ, OA) of predicted 3D tracks against ground truth for
 * one video, with any of the reference's scaling modes and options (see the module notes for the
 * protocol and layout).
 *
 * @param pred - predicted tracks (`xyz`, `visible`)
 * @param gt - ground-truth tracks, same layout
 * @param options - `frames`, `points`, `intrinsics` (`fx`, `fy`), `scaling`, `queryFrames`,
 *   `fixedMetricThreshold`, `localNeighborhoodRadius`, `trackwise`, `thresholds`
 * @returns a new {@link TapVid3dMetrics} (with `trackScales` and `perTrack` where they apply)
 * @throws TypeError for non-array arguments, a missing `queryFrames` where the scaling needs it,
 *   or a non-boolean flag; RangeError when a length does not match `frames * points (* 3)`, a
 *   coordinate is NaN / infinite, the focal lengths are not finite and positive, a query frame is
 *   not a frame index, or an option is invalid
 */
export function tapVid3dMetrics(pred: Tracks3d, gt: Tracks3d, options: TapVid3dOptions): TapVid3dMetrics {
  const fn = 'tapVid3dMetrics';
  const { frames, points } = options;
  assertNumber(fn, 'options.frames', frames, { integer: true, min: 1 });
  assertNumber(fn, 'options.points', points, { integer: true, min: 1 });
  const total = frames * points;
  for (const [label, tracks] of [['pred', pred], ['gt', gt]] as const) {
    if (typeof tracks !== 'object' || tracks === null) throw new TypeError(`${fn}: ${label} (${describe(tracks)}) must be { xyz, visible }`);
    assertArray(fn, `${label}.xyz`, tracks.xyz);
    assertArray(fn, `${label}.visible`, tracks.visible);
    assertLength(fn, `${label}.xyz`, tracks.xyz, 3 * total, '3 * frames * points');
    assertLength(fn, `${label}.visible`, tracks.visible, total, 'frames * points');
    assertAllFinite(fn, `${label}.xyz`, tracks.xyz);
  }
  const intrinsics = options.intrinsics;
  if (typeof intrinsics !== 'object' || intrinsics === null) {
    throw new TypeError(`${fn}: options.intrinsics (${describe(intrinsics)}) must be { fx, fy } in pixels`);
  }
  assertNumber(fn, 'options.intrinsics.fx', intrinsics.fx, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'options.intrinsics.fy', intrinsics.fy, { min: 0, exclusiveMin: true });
  const scaling = options.scaling ?? 'median';
  assertOneOf(fn, 'options.scaling', scaling, SCALINGS);
  let queryFrames: Int32Array | undefined;
  if (options.queryFrames !== undefined) {
    queryFrames = checkQueryFrames(fn, options.queryFrames, points, frames);
  } else if (NEEDS_QUERIES.includes(scaling)) {
    throw new TypeError(`${fn}: options.queryFrames (undefined) must give each track's query frame when options.scaling is '${scaling}'`);
  }
  const fixed = checkBoolean(fn, 'options.fixedMetricThreshold', options.fixedMetricThreshold);
  const trackwise = checkBoolean(fn, 'options.trackwise', options.trackwise);
  const radius = options.localNeighborhoodRadius ?? 0.05;
  assertNumber(fn, 'options.localNeighborhoodRadius', radius, { min: 0, exclusiveMin: true });
  const thresholds = checkThresholds(fn, options.thresholds ?? DEFAULT_THRESHOLDS);

  const px = pred.xyz;
  const gx = gt.xyz;
  const pv = pred.visible;
  const gv = gt.visible;
  const norm = (a: NumberArray, j: number): number => Math.sqrt(Math.max(1e-12, a[j]! * a[j]! + a[j + 1]! * a[j + 1]! + a[j + 2]! * a[j + 2]!));

  // 1. Scaling: a global scale, one per track, or (reproduce-2d) one per point.
  let scale = Number.NaN;
  let trackScales: Float64Array | undefined;
  if (scaling === 'none') {
    scale = 1;
  } else if (scaling === 'median' || scaling === 'mean' || scaling === 'median-on-queries') {
    // Norms of the points visible in both (at the query frames only for median-on-queries). When
    // there is no such point, the reference's nanmedian / nanmean is NaN: every scaled prediction
    // is NaN and no point is within any threshold.
    const onQueries = scaling === 'median-on-queries';
    const gn = new Float64Array(onQueries ? points : total);
    const pn = new Float64Array(gn.length);
    let m = 0;
    for (let k = 0; k < gn.length; k++) {
      const i = onQueries ? queryFrames![k]! * points + k : k;
      if (!(gv[i]! > 0.5 && pv[i]! > 0.5)) continue;
      gn[m] = norm(gx, 3 * i);
      pn[m] = norm(px, 3 * i);
      m++;
    }
    if (m > 0) {
      if (scaling === 'mean') {
        let sg = 0;
        let sp = 0;
        for (let k = 0; k < m; k++) {
          sg += gn[k]!;
          sp += pn[k]!;
        }
        scale = sg / m / (sp / m);
      } else {
        scale = medianInPlace(gn, m) / medianInPlace(pn, m);
      }
    }
  } else if (scaling === 'per-trajectory' || scaling === 'local-neighborhood') {
    trackScales = new Float64Array(points);
    for (let n = 0; n < points; n++) {
      const j = 3 * (queryFrames![n]! * points + n) + 2;
      trackScales[n] = Math.max(gx[j]!, 1e-12) / Math.max(px[j]!, 1e-12);
    }
  }

  // 2-4. Counts per threshold.
  const nt = thresholds.length;
  const focal = Math.sqrt(intrinsics.fx * intrinsics.fy);
  const tau2 = new Float64Array(nt);
  if (fixed) {
    for (let k = 0; k < nt; k++) {
      const tau = 0.01 * thresholds[k]! * thresholds[k]!;
      tau2[k] = tau * tau;
    }
  }
  /** Adds the point `i` (frame-major index) scaled by `s` to `counts`. */
  const addPoint = (counts: TapCounts, i: number, s: number): void => {
    const j = 3 * i;
    const ex = s * px[j]! - gx[j]!;
    const ey = s * px[j + 1]! - gx[j + 1]!;
    const ez = s * px[j + 2]! - gx[j + 2]!;
    if (!fixed) {
      const mult = gx[j + 2]! / focal;
      for (let k = 0; k < nt; k++) {
        const tau = thresholds[k]! * mult;
        tau2[k] = tau * tau;
      }
    }
    counts.add(ex * ex + ey * ey + ez * ez, tau2, gv[i]! > 0.5, pv[i]! > 0.5);
  };

  const counts = new TapCounts(nt);
  const perTrack = trackwise ? Array.from({ length: points }, () => new TapCounts(nt)) : undefined;
  if (scaling === 'local-neighborhood') {
    const r2 = radius * radius;
    const hood = new TapCounts(nt);
    for (let c = 0; c < points; c++) {
      hood.reset();
      let visibleOfC = 0;
      for (let t = 0; t < frames; t++) {
        const jc = 3 * (t * points + c);
        if (gv[t * points + c]! > 0.5) visibleOfC++;
        for (let n = 0; n < points; n++) {
          const i = t * points + n;
          const dx = gx[3 * i]! - gx[jc]!;
          const dy = gx[3 * i + 1]! - gx[jc + 1]!;
          const dz = gx[3 * i + 2]! - gx[jc + 2]!;
          if (dx * dx + dy * dy + dz * dz < r2) addPoint(hood, i, trackScales![c]!);
        }
      }
      const weight = visibleOfC / Math.max(1, hood.visibleCount);
      counts.addWeighted(hood, weight);
      perTrack?.[c]!.addWeighted(hood, weight);
    }
  } else {
    for (let t = 0; t < frames; t++) {
      for (let n = 0; n < points; n++) {
        const i = t * points + n;
        let s = scale;
        if (trackScales !== undefined) s = trackScales[n]!;
        else if (scaling === 'reproduce-2d') s = gx[3 * i + 2]! / px[3 * i + 2]!;
        addPoint(counts, i, s);
        if (perTrack !== undefined) addPoint(perTrack[n]!, i, s);
      }
    }
  }

  const result: TapVid3dMetrics = { ...counts.summary(), thresholds, scale };
  if (trackScales !== undefined) result.trackScales = trackScales;
  if (perTrack !== undefined) result.perTrack = trackMetrics(perTrack.map((c) => c.summary()), nt);
  return result;
}

/** Gathers per-track summaries into arrays indexed by track. */
function trackMetrics(summaries: TapSummary[], nt: number): TapVid3dTrackMetrics {
  const pick = (f: (s: TapSummary) => number): Float64Array => Float64Array.from(summaries, f);
  return {
    averagePtsWithin: pick((s) => s.averagePtsWithin),
    averageJaccard: pick((s) => s.averageJaccard),
    occlusionAccuracy: pick((s) => s.occlusionAccuracy),
    ptsWithin: Array.from({ length: nt }, (_, k) => pick((s) => s.ptsWithin[k]!)),
    jaccard: Array.from({ length: nt }, (_, k) => pick((s) => s.jaccard[k]!)),
  };
}
