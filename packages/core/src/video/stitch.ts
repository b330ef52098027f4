/**
 * Stitching consecutive windows of a video into one world and one scale: the frames two windows
 * share are seen by both, so the same pixels queried in each give corresponding 3D points (and
 * the shared cameras corresponding centres). A robust Sim(3) fit (`umeyamaRobust` of
 * `@d4rt/geometry`, trimmed least squares, confidence-weighted) maps the later window's own frame
 * onto the video's world.
 *
 * Matrices are column-major 4x4 `Float64Array`s `[s R | t]` (gl-matrix layout).
 *
 * @module
 */
import { umeyamaRobust } from '@d4rt/geometry';
import { medianInPlace } from '@d4rt/geometry/select';

/** How one window was attached to the video's world. */
export interface StitchReport {
  /** Point correspondences used (shared-frame grid points, plus camera centres). */
  correspondences: number;
  /** Correspondences kept by the trimmed fit. */
  inliers: number;
  /**
   * Median distance between a fitted point and its counterpart, relative to the point's distance
   * from its camera (0 for exact answers).
   */
  residual: number;
  /** Scale of the fitted transform (window units to world units). */
  scale: number;
  /** True when the fit was degenerate and the previous window's transform was reused. */
  failed: boolean;
}

/** Correspondences between a window and the world, over the frames it shares with the window before. */
export interface StitchPairs {
  /** Points in the window's own frame, interleaved xyz. */
  local: Float64Array;
  /** The same points in the world (from the window before), interleaved xyz. */
  world: Float64Array;
  /** Weight of each pair (>= 0), e.g. the product of the two confidences. */
  weights: Float64Array;
  /** Distance of each world point from the camera that saw it (for the relative residual). */
  range: Float64Array;
}

/** Share of the total weight given to the camera centres in {@link fitWindowTransform}. */
export const CENTRE_WEIGHT = 0.1;

/**
 * Fits the Sim(3) mapping a window's own frame onto the world from shared-frame correspondences:
 * grid points (weighted by confidence) and, when given, camera centres, which together carry
 * {@link CENTRE_WEIGHT} of the total weight. Trimmed least squares keeps 80 % of the pairs; the
 * scale is the symmetric estimate (ratio of the spreads), unbiased when both windows are noisy.
 *
 * @param points - point pairs (see {@link StitchPairs})
 * @param centres - camera centre pairs (`local`, `world`, interleaved xyz), or null
 * @param previous - the transform to fall back on when the fit is degenerate
 * @returns the transform (a new `Float64Array(16)`) and a {@link StitchReport}
 */
export function fitWindowTransform(
  points: StitchPairs,
  centres: { local: Float64Array; world: Float64Array } | null,
  previous: Float64Array,
): { matrix: Float64Array; report: StitchReport } {
  const np = points.local.length / 3;
  const nc = centres === null ? 0 : centres.local.length / 3;
  const n = np + nc;
  const src = new Float64Array(3 * n), dst = new Float64Array(3 * n), w = new Float64Array(n);
  src.set(points.local);
  dst.set(points.world);
  w.set(points.weights);
  let total = 0;
  for (let i = 0; i < np; i++) total += points.weights[i]!;
  if (centres !== null && nc > 0) {
    src.set(centres.local, 3 * np);
    dst.set(centres.world, 3 * np);
    const wc = total > 0 ? (CENTRE_WEIGHT / (1 - CENTRE_WEIGHT)) * total / nc : 1;
    w.fill(wc, np);
  }
  // non-finite pairs are left out
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      if (!Number.isFinite(src[3 * i + c]!) || !Number.isFinite(dst[3 * i + c]!)) {
        w[i] = 0;
        src[3 * i + c] = 0;
        dst[3 * i + c] = 0;
      }
    }
  }
  // symmetric scale: both windows' points are noisy, and the least-squares scale's dilution bias
  // (a factor var / (var + sigma^2) per window) would compound from window to window
  const fit = umeyamaRobust(src, dst, { kind: 'similarity', weights: w, method: 'trimmed', inlierFraction: 0.8, scale: 'symmetric' });
  if (fit === null) {
    return { matrix: Float64Array.from(previous), report: { correspondences: n, inliers: 0, residual: Number.NaN, scale: Math.hypot(previous[0]!, previous[1]!, previous[2]!), failed: true } };
  }
  const matrix = new Float64Array(16);
  const { rotation: r, translation: t, scale: s } = fit;
  for (let col = 0; col < 3; col++) for (let row = 0; row < 3; row++) matrix[4 * col + row] = s * r[3 * col + row]!;
  matrix[12] = t[0]!;
  matrix[13] = t[1]!;
  matrix[14] = t[2]!;
  matrix[15] = 1;
  let inliers = 0;
  const rel = new Float64Array(np);
  let m = 0;
  for (let i = 0; i < np; i++) {
    if (fit.weights[i]! > 0 && w[i]! > 0) inliers++;
    if (!(w[i]! > 0)) continue;
    const x = src[3 * i]!, y = src[3 * i + 1]!, z = src[3 * i + 2]!;
    const ex = matrix[0]! * x + matrix[4]! * y + matrix[8]! * z + matrix[12]! - dst[3 * i]!;
    const ey = matrix[1]! * x + matrix[5]! * y + matrix[9]! * z + matrix[13]! - dst[3 * i + 1]!;
    const ez = matrix[2]! * x + matrix[6]! * y + matrix[10]! * z + matrix[14]! - dst[3 * i + 2]!;
    const range = points.range[i]!;
    if (range > 0) rel[m++] = Math.hypot(ex, ey, ez) / range;
  }
  for (let i = np; i < n; i++) if (fit.weights[i]! > 0 && w[i]! > 0) inliers++;
  return { matrix, report: { correspondences: n, inliers, residual: m > 0 ? medianInPlace(rel, m) : Number.NaN, scale: s, failed: false } };
}

/** `out = a * b` for column-major 4x4 float64 matrices (`out` may alias neither). */
export function multiply4(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      out[4 * c + r] = a[r]! * b[4 * c]! + a[4 + r]! * b[4 * c + 1]! + a[8 + r]! * b[4 * c + 2]! + a[12 + r]! * b[4 * c + 3]!;
    }
  }
  return out;
}

/** Applies a column-major 4x4 transform to interleaved xyz points (float64 arithmetic) into `out`; returns `out`. */
export function transformInto<T extends Float32Array | Float64Array>(out: T, m: ArrayLike<number>, points: ArrayLike<number>, count = points.length / 3): T {
  for (let i = 0; i < count; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    out[3 * i] = m[0]! * x + m[4]! * y + m[8]! * z + m[12]!;
    out[3 * i + 1] = m[1]! * x + m[5]! * y + m[9]! * z + m[13]!;
    out[3 * i + 2] = m[2]! * x + m[6]! * y + m[10]! * z + m[14]!;
  }
  return out;
}
