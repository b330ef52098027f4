/**
 * 2D point-tracking metrics of TAP-Vid (Doersch et al., "TAP-Vid: A Benchmark for Tracking Any
 * Point in a Video", NeurIPS 2022 Datasets & Benchmarks), following the reference implementation
 * `compute_tapvid_metrics` in `google-deepmind/tapnet` (`tapnet/tapvid/evaluation_datasets.py`).
 *
 * Protocol, for one video:
 * - Coordinates are compared in a 256 x 256 raster, as the benchmark resizes videos to 256 x 256:
 *   pixel coordinates of a `width x height` image are multiplied by `256 / width` and
 *   `256 / height` (a constant offset between pixel conventions cancels in the differences).
 * - Evaluated points: with `queryFrames` and `queryMode: 'first'`, the frames after each track's
 *   query frame; with `'strided'`, every frame except the query frame; without `queryFrames`,
 *   every frame.
 * - For each pixel threshold delta in {1, 2, 4, 8, 16}: within = |pred - gt| < delta (256 raster);
 *   `< delta^x` (ptsWithin) = within & gt visible / gt visible; Jaccard = TP / (gt visible + FP),
 *   TP = within & gt visible & pred visible, FP = pred visible & (gt occluded | not within).
 * - `< delta^x_avg` (`averagePtsWithin`) and AJ (`averageJaccard`) average over thresholds; OA
 *   (`occlusionAccuracy`) is the fraction of evaluated points whose predicted visibility equals
 *   the ground truth. Counts pool all tracks and frames; 0 / 0 gives NaN (as NumPy).
 *
 * Layout: frame-major. `xy` has `frames * points * 2` pixel coordinates (x right, y down), point
 * `n` at frame `t` at `2 * (t * points + n)`; `visible` has `frames * points` values, visible where
 * `> 0.5`.
 *
 * @packageDocumentation
 */

import type { NumberArray } from '../types.js';
import { TapCounts } from './tap-counts.js';
import { assertAllFinite, assertArray, assertLength, assertNumber, assertOneOf, describe } from '../validate.js';
import { checkQueryFrames, checkThresholds } from './tracks-3d.js';

/** 2D tracks of one video, frame-major (see the module notes). */
export interface Tracks2d {
  /** `frames * points * 2` pixel coordinates. */
  xy: NumberArray;
  /** `frames * points` visibility values; visible where `> 0.5`. */
  visible: NumberArray;
}

/** Options of {@link tapVidMetrics}. */
export interface TapVidOptions {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of tracks (integer >= 1). */
  points: number;
  /** Width of the image the coordinates refer to, pixels (256 for coordinates already in the benchmark raster). */
  width: number;
  /** Height of the image the coordinates refer to, pixels. */
  height: number;
  /**
   * Query frame of each track (`points` numbers, rounded half to even like NumPy's `round` in the
   * reference); when omitted every frame is evaluated.
   */
  queryFrames?: NumberArray;
  /** `'first'` (default; evaluate frames after the query) or `'strided'` (all but the query frame). */
  queryMode?: 'first' | 'strided';
  /** Pixel thresholds in the 256 x 256 raster; default `[1, 2, 4, 8, 16]`. */
  thresholds?: readonly number[];
}

/** Result of {@link tapVidMetrics}; fractions in [0, 1]. */
export interface TapVidMetrics {
  /** `< delta^x_avg`: mean over thresholds of the fraction of visible points within the threshold. */
  averagePtsWithin: number;
  /** AJ: mean over thresholds of the Jaccard index. */
  averageJaccard: number;
  /** OA: occlusion accuracy over the evaluated points. */
  occlusionAccuracy: number;
  /** The fraction within each threshold. */
  ptsWithin: number[];
  /** The Jaccard index at each threshold. */
  jaccard: number[];
  /** The thresholds used (256 x 256 raster pixels). */
  thresholds: number[];
  /** Number of evaluated (track, frame) pairs. */
  evaluated: number;
}

/**
 * Computes the TAP-Vid metrics (`< delta^x_avg`, AJ, OA) of predicted 2D tracks against ground
 * truth for one video (see the module notes for the protocol and layout).
 *
 * @param pred - predicted tracks (`xy`, `visible`)
 * @param gt - ground-truth tracks, same layout
 * @param options - `frames`, `points`, `width`, `height`, `queryFrames`, `queryMode`, `thresholds`
 * @returns a new {@link TapVidMetrics}
 * @throws TypeError for non-array arguments; RangeError when a length does not match, a
 *   coordinate is not finite, a query frame is not an integer in [0, frames), or an option is
 *   invalid
 */
export function tapVidMetrics(pred: Tracks2d, gt: Tracks2d, options: TapVidOptions): TapVidMetrics {
  const fn = 'tapVidMetrics';
  const { frames, points, width, height } = options;
  assertNumber(fn, 'options.frames', frames, { integer: true, min: 1 });
  assertNumber(fn, 'options.points', points, { integer: true, min: 1 });
  assertNumber(fn, 'options.width', width, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'options.height', height, { min: 0, exclusiveMin: true });
  const total = frames * points;
  for (const [label, tracks] of [['pred', pred], ['gt', gt]] as const) {
    if (typeof tracks !== 'object' || tracks === null) throw new TypeError(`${fn}: ${label} (${describe(tracks)}) must be { xy, visible }`);
    assertArray(fn, `${label}.xy`, tracks.xy);
    assertArray(fn, `${label}.visible`, tracks.visible);
    assertLength(fn, `${label}.xy`, tracks.xy, 2 * total, '2 * frames * points');
    assertLength(fn, `${label}.visible`, tracks.visible, total, 'frames * points');
    assertAllFinite(fn, `${label}.xy`, tracks.xy);
  }
  const queryMode = options.queryMode ?? 'first';
  assertOneOf(fn, 'options.queryMode', queryMode, ['first', 'strided'] as const);
  const queryFrames = options.queryFrames === undefined ? undefined : checkQueryFrames(fn, options.queryFrames, points, frames);
  const thresholds = checkThresholds(fn, options.thresholds ?? [1, 2, 4, 8, 16]);

  const sx = 256 / width;
  const sy = 256 / height;
  const sq = thresholds.map((t) => t * t);
  const counts = new TapCounts(thresholds.length);
  const pxy = pred.xy;
  const gxy = gt.xy;
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < points; n++) {
      if (queryFrames !== undefined) {
        const q = queryFrames[n]!;
        if (queryMode === 'first' ? t <= q : t === q) continue;
      }
      const i = t * points + n;
      const ex = (pxy[2 * i]! - gxy[2 * i]!) * sx;
      const ey = (pxy[2 * i + 1]! - gxy[2 * i + 1]!) * sy;
      counts.add(ex * ex + ey * ey, sq, gt.visible[i]! > 0.5, pred.visible[i]! > 0.5);
    }
  }
  return {
    ...counts.summary(),
    thresholds,
    evaluated: counts.count,
  };
}
