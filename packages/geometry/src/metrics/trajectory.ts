/**
 * Camera trajectory metrics: absolute trajectory error (ATE) and relative pose error (RPE).
 *
 * Definitions follow Sturm et al., "A Benchmark for the Evaluation of RGB-D SLAM Systems" (IROS
 * 2012), as computed by the `evo` package (Grupp 2017) in the video-geometry evaluations of
 * MonST3R (Zhang et al. 2024) and its successors: `main_ape.ape(..., translation_part, align=True,
 * correct_scale=True)` for ATE and `main_rpe.rpe(..., delta=1, all_pairs=True, align=True,
 * correct_scale=True)` for RPE, each reported as the RMSE.
 *
 * - Alignment (`alignment`, default `'sim3'`): Umeyama of the predicted camera centres onto the
 *   ground-truth centres, giving `s, R_a, t_a`; every predicted pose becomes
 *   `[R_a R_i | s R_a c_i + t_a]` (orientation rotated, centre moved; the scale is not put into the
 *   rotation). `'se3'` fixes `s = 1`; `'none'` uses the poses as they are. Camera centres that lie
 *   on a line (pure forward motion) are fine: any minimiser of the alignment is used, and the ATE
 *   does not depend on which.
 * - ATE = sqrt(mean_i |c'_i - c_gt,i|^2), in ground-truth units.
 * - RPE over the pairs `(i, i + delta)` (`delta = 1`: consecutive frames): with relative motions
 *   `Q = G_i^-1 G_j` (ground truth) and `P = P'_i^-1 P'_j` (aligned prediction), the error is
 *   `E = Q^-1 P`; RPE translation = RMSE of `|t(E)| = |t(P) - t(Q)|` (ground-truth units; the
 *   predicted relative translation includes the Sim(3) scale `s`), RPE rotation = RMSE of the
 *   rotation angle of `E` in degrees (unaffected by the alignment).
 *
 * Poses are camera-to-world column-major mat4 (`Float32Array(16)` in the SDK); all arithmetic here
 * is float64.
 *
 * @packageDocumentation
 */

import type { ReadonlyMat4 } from 'gl-matrix';
import { umeyamaLenient } from '../umeyama.js';
import { assertAllFinite, assertArray, assertLength, assertNumber, assertOneOf, describe } from '../validate.js';

/** Alignment of the predicted trajectory before the errors are measured. */
export type TrajectoryAlignment = 'sim3' | 'se3' | 'none';

/** Options of the trajectory metrics. */
export interface TrajectoryMetricsOptions {
  /** Default `'sim3'` (scale, rotation, translation: the usual choice for monocular methods). */
  alignment?: TrajectoryAlignment;
  /** RPE frame offset (integer >= 1); default 1 (consecutive frames). */
  delta?: number;
}

/** Result of {@link trajectoryMetrics}. */
export interface TrajectoryMetrics {
  /** Absolute trajectory error: RMSE of camera centres after alignment, ground-truth units. */
  ate: number;
  /** RPE translation: RMSE over frame pairs, ground-truth units (NaN with fewer than `delta + 1` poses). */
  rpeTranslation: number;
  /** RPE rotation: RMSE over frame pairs, degrees (NaN with fewer than `delta + 1` poses). */
  rpeRotation: number;
  /** Sim(3) scale of the alignment (1 for `'se3'` and `'none'`). */
  scale: number;
  /**
   * The alignment as a column-major 4x4 `[s R_a | t_a]` (float64) mapping predicted centres onto
   * the ground truth; use it with `transformPose` to draw the aligned trajectory.
   */
  alignmentMatrix: Float64Array;
  /** Number of poses. */
  count: number;
  /** Number of RPE pairs. */
  pairs: number;
}

const ALIGNMENTS: readonly TrajectoryAlignment[] = ['sim3', 'se3', 'none'];

function checkTrajectories(fn: string, pred: unknown, gt: unknown): asserts pred is readonly ReadonlyMat4[] {
  if (!Array.isArray(pred)) throw new TypeError(`${fn}: pred (${describe(pred)}) must be an array of camera-to-world mat4`);
  if (!Array.isArray(gt)) throw new TypeError(`${fn}: gt (${describe(gt)}) must be an array of camera-to-world mat4`);
  if (gt.length === 0) throw new RangeError(`${fn}: gt.length (0) must be positive; the trajectory is empty`);
  if (pred.length !== gt.length) throw new RangeError(`${fn}: pred.length (${pred.length}) must equal gt.length (${gt.length})`);
  for (const [label, list] of [['pred', pred], ['gt', gt]] as const) {
    for (let i = 0; i < list.length; i++) {
      const m: unknown = list[i];
      assertArray(fn, `${label}[${i}]`, m);
      assertLength(fn, `${label}[${i}]`, m, 16, '16 (a 4x4 matrix)');
      assertAllFinite(fn, `${label}[${i}]`, m);
    }
  }
}

/** Rotation angle (radians) of R_a^T R_b for the rotation blocks of two mat4 (float64, accurate near 0). */
function relativeAngle(ra: ArrayLike<number>, rb: ArrayLike<number>): number {
  // M = A^T B with A, B column-major 3x3 given as 9 values; M[r][c] = col_r(A) . col_c(B).
  const m = (r: number, c: number): number => ra[3 * r]! * rb[3 * c]! + ra[3 * r + 1]! * rb[3 * c + 1]! + ra[3 * r + 2]! * rb[3 * c + 2]!;
  const m00 = m(0, 0), m11 = m(1, 1), m22 = m(2, 2);
  const vx = m(2, 1) - m(1, 2);
  const vy = m(0, 2) - m(2, 0);
  const vz = m(1, 0) - m(0, 1);
  // |v| = 2 sin(theta), tr - 1 = 2 cos(theta): atan2 keeps precision for small angles.
  return Math.atan2(Math.hypot(vx, vy, vz), m00 + m11 + m22 - 1);
}

/**
 * Computes ATE and RPE (translation and rotation) of a predicted camera trajectory against the
 * ground truth, after one alignment shared by both (see the module notes for the definitions and
 * the protocol they follow).
 *
 * @param pred - predicted camera-to-world poses
 * @param gt - ground-truth camera-to-world poses, same length, same frames
 * @param options - `alignment` (default `'sim3'`), `delta` (default 1)
 * @returns a new {@link TrajectoryMetrics}
 * @throws TypeError for non-array arguments; RangeError for empty or different-length
 *   trajectories, a pose that is not 16 finite numbers, a bad option, or a `'sim3'` alignment
 *   whose predicted camera centres all coincide (the scale is then undefined)
 */
export function trajectoryMetrics(
  pred: readonly ReadonlyMat4[],
  gt: readonly ReadonlyMat4[],
  options: TrajectoryMetricsOptions = {},
): TrajectoryMetrics {
  const fn = 'trajectoryMetrics';
  checkTrajectories(fn, pred, gt);
  const alignment = options.alignment ?? 'sim3';
  assertOneOf(fn, 'options.alignment', alignment, ALIGNMENTS);
  const delta = options.delta ?? 1;
  assertNumber(fn, 'options.delta', delta, { integer: true, min: 1 });
  return compute(fn, pred, gt, alignment, delta);
}

/**
 * Absolute trajectory error: RMSE of the camera centres after aligning the prediction (Sim(3) by
 * default). Same protocol as {@link trajectoryMetrics}.
 *
 * @param pred - predicted camera-to-world poses
 * @param gt - ground-truth camera-to-world poses, same length
 * @param options - `alignment` (default `'sim3'`)
 * @returns the ATE in ground-truth units
 * @throws the errors of {@link trajectoryMetrics}
 */
export function absoluteTrajectoryError(
  pred: readonly ReadonlyMat4[],
  gt: readonly ReadonlyMat4[],
  options: Pick<TrajectoryMetricsOptions, 'alignment'> = {},
): number {
  return trajectoryMetrics(pred, gt, options).ate;
}

/**
 * Relative pose error over the frame pairs `(i, i + delta)`: RMSE of the relative translation
 * error (ground-truth units, after the Sim(3) scale) and of the relative rotation angle (degrees).
 * Same protocol as {@link trajectoryMetrics}.
 *
 * @param pred - predicted camera-to-world poses
 * @param gt - ground-truth camera-to-world poses, same length
 * @param options - `alignment` (default `'sim3'`), `delta` (default 1)
 * @returns a new `{ translation, rotation, pairs }` (NaN errors when there is no pair)
 * @throws the errors of {@link trajectoryMetrics}
 */
export function relativePoseError(
  pred: readonly ReadonlyMat4[],
  gt: readonly ReadonlyMat4[],
  options: TrajectoryMetricsOptions = {},
): { translation: number; rotation: number; pairs: number } {
  const r = trajectoryMetrics(pred, gt, options);
  return { translation: r.rpeTranslation, rotation: r.rpeRotation, pairs: r.pairs };
}

/**
 * Length of a camera trajectory: the sum of the distances between consecutive camera centres
 * (the translation columns of the camera-to-world poses), float64. Used to express ATE as a
 * fraction of the path travelled.
 *
 * @param poses - camera-to-world poses in order (any number, 0 or 1 give 0)
 * @returns the path length in the poses' units
 * @throws TypeError for a non-array argument; RangeError for a pose that is not 16 finite numbers
 */
export function trajectoryLength(poses: readonly ReadonlyMat4[]): number {
  const fn = 'trajectoryLength';
  if (!Array.isArray(poses)) throw new TypeError(`${fn}: poses (${describe(poses)}) must be an array of camera-to-world mat4`);
  for (let i = 0; i < poses.length; i++) {
    const m: unknown = poses[i];
    assertArray(fn, `poses[${i}]`, m);
    assertLength(fn, `poses[${i}]`, m, 16, '16 (a 4x4 matrix)');
    assertAllFinite(fn, `poses[${i}]`, m);
  }
  let length = 0;
  for (let i = 1; i < poses.length; i++) {
    const a = poses[i - 1]!, b = poses[i]!;
    length += Math.hypot(b[12]! - a[12]!, b[13]! - a[13]!, b[14]! - a[14]!);
  }
  return length;
}

function compute(
  fn: string,
  pred: readonly ReadonlyMat4[],
  gt: readonly ReadonlyMat4[],
  alignment: TrajectoryAlignment,
  delta: number,
): TrajectoryMetrics {
  const n = gt.length;
  const pc = new Float64Array(3 * n);
  const gc = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      pc[3 * i + k] = pred[i]![12 + k]!;
      gc[3 * i + k] = gt[i]![12 + k]!;
    }
  }
  // fit = [R (9, column-major), t (3), s]
  const fit = new Float64Array(13);
  fit[0] = fit[4] = fit[8] = 1;
  fit[12] = 1;
  if (alignment !== 'none') {
    const ok = umeyamaLenient(fit, pc, gc, n, alignment === 'sim3');
    if (!ok) {
      throw new RangeError(`${fn}: the predicted camera centres all coincide; a 'sim3' alignment has no defined scale (use alignment 'se3' or 'none')`);
    }
  }
  const s = fit[12]!;
  const r = fit.subarray(0, 9);

  // ATE.
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = pc[3 * i]!, y = pc[3 * i + 1]!, z = pc[3 * i + 2]!;
    const ex = s * (r[0]! * x + r[3]! * y + r[6]! * z) + fit[9]! - gc[3 * i]!;
    const ey = s * (r[1]! * x + r[4]! * y + r[7]! * z) + fit[10]! - gc[3 * i + 1]!;
    const ez = s * (r[2]! * x + r[5]! * y + r[8]! * z) + fit[11]! - gc[3 * i + 2]!;
    sum += ex * ex + ey * ey + ez * ez;
  }
  const ate = Math.sqrt(sum / n);

  // RPE. Aligned relative motion of the prediction: rotation R_i^T R_j, translation s R_i^T (c_j - c_i).
  const ra = new Float64Array(9);
  const rb = new Float64Array(9);
  let sumT = 0;
  let sumR = 0;
  let pairs = 0;
  const rot = (m: ReadonlyMat4, out: Float64Array): void => {
    out[0] = m[0]!; out[1] = m[1]!; out[2] = m[2]!;
    out[3] = m[4]!; out[4] = m[5]!; out[5] = m[6]!;
    out[6] = m[8]!; out[7] = m[9]!; out[8] = m[10]!;
  };
  // Relative translation R_a^T (c_b - c_a) for column-major rotation ra.
  const relT = (rA: Float64Array, a: ReadonlyMat4, b: ReadonlyMat4, k: number): number => {
    const dx = b[12]! - a[12]!, dy = b[13]! - a[13]!, dz = b[14]! - a[14]!;
    return rA[3 * k]! * dx + rA[3 * k + 1]! * dy + rA[3 * k + 2]! * dz;
  };
  const qa = new Float64Array(9);
  const qb = new Float64Array(9);
  const pr = new Float64Array(9);
  const qr = new Float64Array(9);
  for (let i = 0; i + delta < n; i++) {
    const j = i + delta;
    const Pi = pred[i]!, Pj = pred[j]!, Gi = gt[i]!, Gj = gt[j]!;
    rot(Pi, ra);
    rot(Pj, rb);
    rot(Gi, qa);
    rot(Gj, qb);
    let e2 = 0;
    for (let k = 0; k < 3; k++) {
      const e = s * relT(ra, Pi, Pj, k) - relT(qa, Gi, Gj, k);
      e2 += e * e;
    }
    sumT += e2;
    // Relative rotations P = Ra^T Rb and Q = Qa^T Qb; the error angle is that of Q^T P.
    mulAtB(pr, ra, rb);
    mulAtB(qr, qa, qb);
    const angle = relativeAngle(qr, pr);
    sumR += angle * angle;
    pairs++;
  }
  const alignmentMatrix = new Float64Array(16);
  for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) alignmentMatrix[4 * c + k] = s * r[3 * c + k]!;
  alignmentMatrix[12] = fit[9]!;
  alignmentMatrix[13] = fit[10]!;
  alignmentMatrix[14] = fit[11]!;
  alignmentMatrix[15] = 1;
  return {
    ate,
    rpeTranslation: pairs > 0 ? Math.sqrt(sumT / pairs) : Number.NaN,
    rpeRotation: pairs > 0 ? (Math.sqrt(sumR / pairs) * 180) / Math.PI : Number.NaN,
    scale: s,
    alignmentMatrix,
    count: n,
    pairs,
  };
}

/** out = A^T B for column-major 3x3 (9 values each). */
function mulAtB(out: Float64Array, a: Float64Array, b: Float64Array): void {
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) {
      out[3 * c + r] = a[3 * r]! * b[3 * c]! + a[3 * r + 1]! * b[3 * c + 1]! + a[3 * r + 2]! * b[3 * c + 2]!;
    }
  }
}
