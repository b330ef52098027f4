/**
 * 3D point-tracking metrics of TAPVid-3D (Koppula et al., "TAPVid-3D: A Benchmark for Tracking Any
 * Point in 3D", NeurIPS 2024 Datasets & Benchmarks), following the reference implementation
 * `tapnet/tapvid3d/evaluation/metrics.py` (`compute_tapvid3d_metrics`, default `scaling='median'`).
 *
 * Protocol, for one video:
 * 1. Global scale: `s = median |X_gt| / median |X_pred|`, the medians over the points visible in
 *    both the ground truth and the prediction (norms clamped below at 1e-6 as in the reference);
 *    the prediction is multiplied by `s`. (`scaling: 'none'` skips this; `'mean'` uses means.)
 *    When no point is visible in both, `s` is NaN as in the reference (NaN median of an empty
 *    set): no point is within any threshold, so APD3D and AJ are 0 (a prediction that calls every
 *    point occluded does not score perfectly).
 * 2. Depth-adaptive thresholds: for a pixel threshold `delta` in {1, 2, 4, 8, 16}, a point is
 *    "within" when `|s X_pred - X_gt| < delta * z_gt / sqrt(fx fy)` (the 3D distance that
 *    projects to `delta` pixels at the ground-truth depth).
 * 3. Per delta: APD = within & gt visible / gt visible (ignores predicted visibility);
 *    Jaccard = TP / (TP + FP + FN) with TP = gt visible & pred visible & within,
 *    FP = pred visible & (gt occluded | not within), FN = gt visible & (pred occluded | not within)
 *    (TP + FN = gt visible, so the denominator is gt visible + FP, as in the reference).
 * 4. APD3D (`averagePtsWithin`) and AJ (`averageJaccard`) average over the deltas; OA
 *    (`occlusionAccuracy`) = fraction of points whose predicted visibility equals the ground truth.
 * All counts pool every point of every frame of the video; a 0 / 0 ratio is NaN (as NumPy).
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
import { TapCounts } from './tap-counts.js';
import type { NumberArray } from '../types.js';
import { assertAllFinite, assertArray, assertLength, assertNumber, assertOneOf, describe } from '../validate.js';

/** Tracks of one video: positions and visibility, frame-major (see the module notes). */
export interface Tracks3d {
  /** `frames * points * 3` camera-frame coordinates. */
  xyz: NumberArray;
  /** `frames * points` visibility values; visible where `> 0.5`. */
  visible: NumberArray;
}

/** Options of {@link tapVid3dMetrics}. */
export interface TapVid3dOptions {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of tracked points (integer >= 1). */
  points: number;
  /** Intrinsics of the video; only `fx` and `fy` (pixels) are used. */
  intrinsics: Pick<Intrinsics, 'fx' | 'fy'>;
  /** Global rescaling of the prediction; default `'median'` (the benchmark's). */
  scaling?: 'median' | 'mean' | 'none';
  /** Pixel thresholds; default `[1, 2, 4, 8, 16]`. */
  thresholds?: readonly number[];
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
  /** The global scale applied to the prediction (1 when `scaling: 'none'`; NaN when no point is visible in both). */
  scale: number;
}

const DEFAULT_THRESHOLDS = [1, 2, 4, 8, 16] as const;

/** @internal Checks a thresholds option; returns a copy. */
export function checkThresholds(fn: string, thresholds: unknown): number[] {
  if (!Array.isArray(thresholds) || thresholds.length === 0) {
    throw new TypeError(`${fn}: options.thresholds (${describe(thresholds)}) must be a non-empty array of positive numbers`);
  }
  thresholds.forEach((t, i) => assertNumber(fn, `options.thresholds[${i}]`, t, { min: 0, exclusiveMin: true }));
  return thresholds.slice() as number[];
}

/**
 * Computes the TAPVid-3D metrics (APD3D, AJ, OA) of predicted 3D tracks against ground truth for
 * one video (see the module notes for the protocol and layout).
 *
 * @param pred - predicted tracks (`xyz`, `visible`)
 * @param gt - ground-truth tracks, same layout
 * @param options - `frames`, `points`, `intrinsics` (`fx`, `fy`), `scaling`, `thresholds`
 * @returns a new {@link TapVid3dMetrics}
 * @throws TypeError for non-array arguments; RangeError when a length does not match
 *   `frames * points (* 3)`, a coordinate is NaN / infinite, the focal lengths are not finite and
 *   positive, or an option is invalid
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
  assertOneOf(fn, 'options.scaling', scaling, ['median', 'mean', 'none'] as const);
  const thresholds = checkThresholds(fn, options.thresholds ?? DEFAULT_THRESHOLDS);

  const px = pred.xyz;
  const gx = gt.xyz;
  const pv = pred.visible;
  const gv = gt.visible;

  // 1. Global scale over points visible in both. With none, the reference's nanmedian / nanmean
  // is NaN: every scaled prediction is NaN and no point is within any threshold.
  let scale = 1;
  if (scaling !== 'none') {
    const gn = new Float64Array(total);
    const pn = new Float64Array(total);
    let m = 0;
    for (let i = 0; i < total; i++) {
      if (!(gv[i]! > 0.5 && pv[i]! > 0.5)) continue;
      const j = 3 * i;
      gn[m] = Math.sqrt(Math.max(1e-12, gx[j]! * gx[j]! + gx[j + 1]! * gx[j + 1]! + gx[j + 2]! * gx[j + 2]!));
      pn[m] = Math.sqrt(Math.max(1e-12, px[j]! * px[j]! + px[j + 1]! * px[j + 1]! + px[j + 2]! * px[j + 2]!));
      m++;
    }
    if (m === 0) {
      scale = Number.NaN;
    } else {
      if (scaling === 'median') {
        scale = medianInPlace(gn, m) / medianInPlace(pn, m);
      } else {
        let sg = 0;
        let sp = 0;
        for (let k = 0; k < m; k++) {
          sg += gn[k]!;
          sp += pn[k]!;
        }
        scale = sg / sp;
      }
    }
  }

  // 2-4. Counts per threshold.
  const nt = thresholds.length;
  const counts = new TapCounts(nt);
  const tau2 = new Float64Array(nt);
  const invFocal = 1 / Math.sqrt(intrinsics.fx * intrinsics.fy);
  for (let i = 0; i < total; i++) {
    const j = 3 * i;
    const ex = scale * px[j]! - gx[j]!;
    const ey = scale * px[j + 1]! - gx[j + 1]!;
    const ez = scale * px[j + 2]! - gx[j + 2]!;
    const mult = gx[j + 2]! * invFocal;
    for (let k = 0; k < nt; k++) {
      const tau = thresholds[k]! * mult;
      tau2[k] = tau * tau;
    }
    counts.add(ex * ex + ey * ey + ez * ez, tau2, gv[i]! > 0.5, pv[i]! > 0.5);
  }
  return {
    ...counts.summary(),
    thresholds,
    scale,
  };
}
