/**
 * Least-squares rigid (SE(3)) and similarity (Sim(3)) alignment of two point sets (Umeyama 1991),
 * plain and robust.
 *
 * Problem: given points `src_i`, `dst_i` and weights `w_i >= 0`, find a rotation `R`, translation
 * `t` and scale `s` (fixed to 1 for `'rigid'`) minimising `sum_i w_i |s R src_i + t - dst_i|^2`.
 *
 * Solution (Umeyama, "Least-squares estimation of transformation parameters between two point
 * patterns", IEEE TPAMI 13(4), 1991): with weighted means `mu_s`, `mu_d`, source variance
 * `var_s = sum w |src - mu_s|^2 / W` and cross-covariance `C = sum w (dst - mu_d)(src - mu_s)^T / W`
 * with SVD `C = U D V^T`: `S = diag(1, 1, sign(det U det V))` (the reflection fix), `R = U S V^T`,
 * `s = tr(D S) / var_s`, `t = mu_d - s R mu_s`.
 *
 * Numerics: sums are accumulated in float64 in two passes (means, then centred moments), so far
 * from the origin clouds lose no precision; the 3x3 SVD is {@link svd3} (one-sided Jacobi, float64).
 * Cost: two linear passes, no allocation except the small result; 65,536 points take well under
 * a millisecond on a laptop core.
 *
 * Matrices are gl-matrix: column-major, post-multiplied (`dst ~ M src`). Point arrays are
 * interleaved xyz.
 *
 * @packageDocumentation
 */

import { createSvd3, svd3 } from './svd3.js';
import { medianInPlace, quickselect } from './select.js';
import type { NumberArray } from './types.js';
import { assertAllFinite, assertArray, assertGroups, assertLength, assertNumber, assertOneOf } from './validate.js';

/** Which transform to fit: `'rigid'` (rotation + translation) or `'similarity'` (plus a uniform scale). */
export type TransformKind = 'rigid' | 'similarity';

/** Options of {@link umeyama}. */
export interface UmeyamaOptions {
  /** `'rigid'` (SE(3), scale fixed to 1; default) or `'similarity'` (Sim(3)). */
  kind?: TransformKind;
  /** One finite weight `>= 0` per point (e.g. a confidence); default all 1. Points with weight 0 are ignored. */
  weights?: NumberArray;
  /**
   * How a similarity's scale is estimated. `'umeyama'` (default): least squares of `dst` on `src`,
   * `s = tr(D S) / var_s`; noise in `src` inflates `var_s` and biases `s` low (regression dilution,
   * a factor `var / (var + sigma^2)`). `'symmetric'` (Horn 1987): `s = sqrt(var_d / var_s)`, the
   * ratio of the weighted spreads, unbiased when both sets carry noise in proportion to their scale
   * (e.g. two reconstructions of the same points); rotation and translation as before
   * (`t = mu_d - s R mu_s`). Chained fits (stitching many windows) need it: the bias compounds.
   */
  scale?: ScaleEstimator;
}

/** How {@link umeyama} estimates a similarity's scale; see {@link UmeyamaOptions.scale}. */
export type ScaleEstimator = 'umeyama' | 'symmetric';

const SCALE_ESTIMATORS: readonly ScaleEstimator[] = ['umeyama', 'symmetric'];

/** A fitted transform `dst ~ scale * rotation * src + translation`. */
export interface UmeyamaResult {
  /** Rotation, column-major 3x3, proper (`det = +1`), float64. */
  rotation: Float64Array;
  /** Translation, in the unit of `dst`, float64. */
  translation: Float64Array;
  /** Uniform scale (1 for `'rigid'`). */
  scale: number;
  /** The whole transform as a column-major 4x4 `[scale * rotation | translation]`, float32 like every SDK pose. */
  matrix: Float32Array;
}

const KINDS: readonly TransformKind[] = ['rigid', 'similarity'];

// Relative rank tolerance: a second singular value below 1e-10 of the first is treated as zero.
// For the source scatter (variances) that is a thickness below 1e-5 of the extent: numerically collinear.
const RANK_TOL = 1e-10;

type FitStatus = 'ok' | 'degenerate' | 'nonfinite';

/** Module-level float64 state of the last fit (no allocation per call). */
const fitR = new Float64Array(9);
const fitT = new Float64Array(3);
let fitS = 1;
/** Scale estimator of the current call (set by the public functions around fitCore). */
let symmetric = false;
const cross = new Float64Array(9);
const scatter = new Float64Array(9);
const svdC = createSvd3();
const svdS = createSvd3();

/**
 * Fits into the module state (`fitR`, `fitT`, `fitS`). `strict` applies the documented degeneracy
 * rules (>= 3 weighted points, non-collinear source, cross-covariance of rank >= 2); otherwise only
 * a scale that cannot be determined (all source points coincide) is degenerate.
 */
function fitCore(src: NumberArray, dst: NumberArray, weights: NumberArray | null, n: number, similarity: boolean, strict: boolean): FitStatus {
  // Pass 1: weighted sums for the means.
  let sw = 0;
  let count = 0;
  let msx = 0, msy = 0, msz = 0, mdx = 0, mdy = 0, mdz = 0;
  if (weights === null) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      msx += src[j]!; msy += src[j + 1]!; msz += src[j + 2]!;
      mdx += dst[j]!; mdy += dst[j + 1]!; mdz += dst[j + 2]!;
    }
    sw = n;
    count = n;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const wi = weights[i]!;
      if (!(wi > 0)) continue;
      count++;
      sw += wi;
      msx += wi * src[j]!; msy += wi * src[j + 1]!; msz += wi * src[j + 2]!;
      mdx += wi * dst[j]!; mdy += wi * dst[j + 1]!; mdz += wi * dst[j + 2]!;
    }
  }
  if (!Number.isFinite(msx + msy + msz + mdx + mdy + mdz + sw)) return 'nonfinite';
  if (count < (strict ? 3 : 1) || !(sw > 0)) return 'degenerate';
  const inv = 1 / sw;
  msx *= inv; msy *= inv; msz *= inv;
  mdx *= inv; mdy *= inv; mdz *= inv;

  // Pass 2: centred cross-covariance (dst x src^T), source scatter and variance.
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0, c20 = 0, c21 = 0, c22 = 0;
  let s00 = 0, s01 = 0, s02 = 0, s11 = 0, s12 = 0, s22 = 0;
  let dvar = 0;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    let wi = 1;
    if (weights !== null) {
      wi = weights[i]!;
      if (!(wi > 0)) continue;
    }
    const sx = src[j]! - msx, sy = src[j + 1]! - msy, sz = src[j + 2]! - msz;
    const ex = dst[j]! - mdx, ey = dst[j + 1]! - mdy, ez = dst[j + 2]! - mdz;
    dvar += wi * (ex * ex + ey * ey + ez * ez);
    const dx = ex * wi, dy = ey * wi, dz = ez * wi;
    c00 += dx * sx; c01 += dx * sy; c02 += dx * sz;
    c10 += dy * sx; c11 += dy * sy; c12 += dy * sz;
    c20 += dz * sx; c21 += dz * sy; c22 += dz * sz;
    const wsx = wi * sx, wsy = wi * sy;
    s00 += wsx * sx; s01 += wsx * sy; s02 += wsx * sz;
    s11 += wsy * sy; s12 += wsy * sz; s22 += wi * sz * sz;
  }
  // Column-major: cross[3 * col + row] = C[row][col].
  cross[0] = c00 * inv; cross[1] = c10 * inv; cross[2] = c20 * inv;
  cross[3] = c01 * inv; cross[4] = c11 * inv; cross[5] = c21 * inv;
  cross[6] = c02 * inv; cross[7] = c12 * inv; cross[8] = c22 * inv;
  const varS = (s00 + s11 + s22) * inv;
  if (!Number.isFinite(varS) || !Number.isFinite(cross[0]! + cross[1]! + cross[2]! + cross[3]! + cross[4]! + cross[5]! + cross[6]! + cross[7]! + cross[8]!)) {
    return 'nonfinite';
  }
  if (similarity && !(varS > 0)) return 'degenerate';
  if (strict) {
    if (!(varS > 0)) return 'degenerate';
    scatter[0] = s00; scatter[1] = s01; scatter[2] = s02;
    scatter[3] = s01; scatter[4] = s11; scatter[5] = s12;
    scatter[6] = s02; scatter[7] = s12; scatter[8] = s22;
    svd3(svdS, scatter);
    if (!(svdS.s[1]! > RANK_TOL * svdS.s[0]!)) return 'degenerate';
  }
  svd3(svdC, cross);
  const d = svdC.s;
  if (strict && !(d[1]! > RANK_TOL * d[0]!)) return 'degenerate';
  const u = svdC.u;
  const v = svdC.v;
  const detU = det3(u);
  const detV = det3(v);
  const sign = detU * detV < 0 ? -1 : 1;
  // R = U diag(1, 1, sign) V^T; R[row][col] = sum_k U[row][k] S_k V[col][k].
  for (let col = 0; col < 3; col++) {
    for (let row = 0; row < 3; row++) {
      fitR[3 * col + row] = u[row]! * v[col]! + u[3 + row]! * v[3 + col]! + sign * u[6 + row]! * v[6 + col]!;
    }
  }
  fitS = !similarity ? 1 : symmetric ? Math.sqrt((dvar * inv) / varS) : (d[0]! + d[1]! + sign * d[2]!) / varS;
  fitT[0] = mdx - fitS * (fitR[0]! * msx + fitR[3]! * msy + fitR[6]! * msz);
  fitT[1] = mdy - fitS * (fitR[1]! * msx + fitR[4]! * msy + fitR[7]! * msz);
  fitT[2] = mdz - fitS * (fitR[2]! * msx + fitR[5]! * msy + fitR[8]! * msz);
  return 'ok';
}

function det3(m: ArrayLike<number>): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[7]! * m[5]!) -
    m[3]! * (m[1]! * m[8]! - m[7]! * m[2]!) +
    m[6]! * (m[1]! * m[5]! - m[4]! * m[2]!)
  );
}

function resultFromFit(): UmeyamaResult {
  const rotation = Float64Array.from(fitR);
  const translation = Float64Array.from(fitT);
  const matrix = new Float32Array(16);
  for (let col = 0; col < 3; col++) {
    for (let row = 0; row < 3; row++) matrix[4 * col + row] = fitS * fitR[3 * col + row]!;
  }
  matrix[12] = fitT[0]!;
  matrix[13] = fitT[1]!;
  matrix[14] = fitT[2]!;
  matrix[15] = 1;
  return { rotation, translation, scale: fitS, matrix };
}

interface Checked {
  n: number;
  similarity: boolean;
  weights: NumberArray | null;
  symmetric: boolean;
}

function checkInputs(fn: string, src: unknown, dst: unknown, options: UmeyamaOptions): Checked {
  assertArray(fn, 'src', src);
  assertArray(fn, 'dst', dst);
  assertGroups(fn, 'src', src, 3);
  assertGroups(fn, 'dst', dst, 3);
  if (dst.length !== src.length) {
    throw new RangeError(`${fn}: dst.length (${dst.length}) must equal src.length (${src.length})`);
  }
  const kind = options.kind ?? 'rigid';
  assertOneOf(fn, 'options.kind', kind, KINDS);
  const n = src.length / 3;
  let weights: NumberArray | null = null;
  if (options.weights !== undefined) {
    weights = options.weights;
    assertArray(fn, 'options.weights', weights);
    assertLength(fn, 'options.weights', weights, n, 'src.length / 3');
    for (let i = 0; i < n; i++) {
      const wi = weights[i]!;
      if (!(wi >= 0 && wi < Infinity)) {
        throw new RangeError(`${fn}: options.weights[${i}] (${wi}) must be a finite number >= 0`);
      }
    }
  }
  const scale = options.scale ?? 'umeyama';
  assertOneOf(fn, 'options.scale', scale, SCALE_ESTIMATORS);
  return { n, similarity: kind === 'similarity', weights, symmetric: scale === 'symmetric' };
}

function throwNonFinite(fn: string, src: NumberArray, dst: NumberArray): never {
  assertAllFinite(fn, 'src', src);
  assertAllFinite(fn, 'dst', dst);
  throw new RangeError(`${fn}: sums over src and dst overflowed; coordinates must be finite and below ~1e150`);
}

/**
 * Fits the rigid (`kind: 'rigid'`, default) or similarity (`kind: 'similarity'`) transform that
 * maps `src` onto `dst` in the weighted least-squares sense (Umeyama 1991, with the reflection
 * fix, float64 accumulation; see the module notes).
 *
 * Returns `null` (a documented failure value, not an error) when the fit is degenerate:
 * - fewer than 3 points with positive weight;
 * - the weighted source points coincide or are collinear (second eigenvalue of their scatter
 *   `<= 1e-10 *` the first, i.e. a thickness below ~1e-5 of their extent): the rotation about the
 *   line is then undetermined;
 * - the cross-covariance has rank < 2 (e.g. all weighted `dst` points coincide).
 *
 * @param src - interleaved xyz, `n * 3` values (`n >= 1`)
 * @param dst - interleaved xyz, same length as `src`
 * @param options - `kind`, `weights` (see {@link UmeyamaOptions})
 * @returns a new {@link UmeyamaResult} (copies), or `null` when degenerate
 * @throws TypeError for non-array arguments or a non-string `kind`; RangeError for empty arrays,
 *   lengths that are not multiples of 3 or differ, a bad `kind`, weights of the wrong length or
 *   with negative / non-finite values, or a NaN / infinite coordinate (the message names the
 *   first one)
 */
export function umeyama(src: NumberArray, dst: NumberArray, options: UmeyamaOptions = {}): UmeyamaResult | null {
  const fn = 'umeyama';
  const { n, similarity, weights, symmetric: sym } = checkInputs(fn, src, dst, options);
  symmetric = sym;
  try {
    const status = fitCore(src, dst, weights, n, similarity, true);
    if (status === 'nonfinite') throwNonFinite(fn, src, dst);
    if (status === 'degenerate') return null;
    return resultFromFit();
  } finally {
    symmetric = false;
  }
}

/**
 * @internal A float64 fit that accepts collinear / rank-1 configurations (any minimiser is
 * returned), used by trajectory metrics where camera centres are often on a line. Writes
 * `out = [r(9), t(3), s]`.
 *
 * @returns `true` on success, `false` when the transform is undetermined (no positive weight, or
 *   a similarity with all source points coincident)
 */
export function umeyamaLenient(out: Float64Array, src: NumberArray, dst: NumberArray, n: number, similarity: boolean, weights: NumberArray | null = null): boolean {
  const status = fitCore(src, dst, weights, n, similarity, false);
  if (status === 'nonfinite') throwNonFinite('umeyama', src, dst);
  if (status === 'degenerate') return false;
  out.set(fitR, 0);
  out.set(fitT, 9);
  out[12] = fitS;
  return true;
}

/** Robust estimator of {@link umeyamaRobust}. */
export type RobustMethod = 'trimmed' | 'huber' | 'cauchy';

/** Options of {@link umeyamaRobust}. */
export interface UmeyamaRobustOptions extends UmeyamaOptions {
  /**
   * `'trimmed'` (default): trimmed least squares; `'huber'` / `'cauchy'`: iteratively reweighted
   * least squares (IRLS) with that M-estimator.
   */
  method?: RobustMethod;
  /** `'trimmed'`: fraction of the weighted points kept as inliers, in (0, 1]; default 0.8. */
  inlierFraction?: number;
  /**
   * `'huber'` / `'cauchy'`: the tuning distance `k` in `dst` units. Default: re-estimated at each
   * iteration as `c * sigma`, `sigma = median(r_i) / 1.5382` (the median of a 3D isotropic
   * Gaussian residual norm is 1.5382 sigma), `c = 1.345` (Huber) or `2.3849` (Cauchy), the usual
   * 95 %-efficiency constants.
   */
  threshold?: number;
  /** Maximum refits after the initial one (integer >= 1); default 20 (trimmed) or 50 (IRLS). */
  maxIterations?: number;
}

/** Result of {@link umeyamaRobust}: the fit plus the final robust weights. */
export interface UmeyamaRobustResult extends UmeyamaResult {
  /**
   * Final robust weight of each point in [0, 1], not including `options.weights`: 0/1 inlier
   * flags for `'trimmed'`, the M-estimator weights for IRLS.
   */
  weights: Float64Array;
  /** Refits performed after the initial least-squares fit. */
  iterations: number;
}

const ROBUST_METHODS: readonly RobustMethod[] = ['trimmed', 'huber', 'cauchy'];

function residualNorms(out: Float64Array, src: NumberArray, dst: NumberArray, n: number): void {
  const r0 = fitS * fitR[0]!, r1 = fitS * fitR[1]!, r2 = fitS * fitR[2]!;
  const r3 = fitS * fitR[3]!, r4 = fitS * fitR[4]!, r5 = fitS * fitR[5]!;
  const r6 = fitS * fitR[6]!, r7 = fitS * fitR[7]!, r8 = fitS * fitR[8]!;
  const tx = fitT[0]!, ty = fitT[1]!, tz = fitT[2]!;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const x = src[j]!, y = src[j + 1]!, z = src[j + 2]!;
    const ex = r0 * x + r3 * y + r6 * z + tx - dst[j]!;
    const ey = r1 * x + r4 * y + r7 * z + ty - dst[j + 1]!;
    const ez = r2 * x + r5 * y + r8 * z + tz - dst[j + 2]!;
    out[i] = Math.sqrt(ex * ex + ey * ey + ez * ez);
  }
}

const saved = new Float64Array(13);
function saveFit(): void {
  saved.set(fitR, 0);
  saved.set(fitT, 9);
  saved[12] = fitS;
}
function restoreFit(): void {
  fitR.set(saved.subarray(0, 9));
  fitT.set(saved.subarray(9, 12));
  fitS = saved[12]!;
}
function fitChange(): number {
  let change = 0;
  let size = 1;
  for (let i = 0; i < 9; i++) {
    change = Math.max(change, Math.abs(fitS * fitR[i]! - saved[12]! * saved[i]!));
    size = Math.max(size, Math.abs(fitS * fitR[i]!));
  }
  for (let i = 0; i < 3; i++) {
    change = Math.max(change, Math.abs(fitT[i]! - saved[9 + i]!));
    size = Math.max(size, Math.abs(fitT[i]!));
  }
  return change / size;
}

/**
 * Robust version of {@link umeyama} for point sets with outliers (wrong matches, bad depth).
 *
 * Both methods start from the plain weighted least-squares fit, then:
 * - `'trimmed'` (default; trimmed least squares with "concentration steps", Rousseeuw & Van
 *   Driessen 2006): keep the `inlierFraction` of the points with the smallest residuals
 *   `|s R src + t - dst|`, refit on them, repeat until the inlier set no longer changes (each step
 *   cannot increase the trimmed cost) or `maxIterations`. Handles a known outlier rate well
 *   (e.g. 20 % outliers with the default 0.8).
 * - `'huber'` / `'cauchy'`: IRLS; each refit uses weights `w_i * psi(r_i) / r_i` (Huber:
 *   `min(1, k / r)`; Cauchy: `1 / (1 + (r / k)^2)`), until the transform changes by less than
 *   1e-12 (relative) or `maxIterations`. Cauchy down-weights gross outliers almost to 0; Huber
 *   keeps a linear influence and is the safer choice for mild, heavy-tailed noise.
 *
 * If a refit becomes degenerate (e.g. the kept points are collinear), the previous fit is returned.
 *
 * @param src - interleaved xyz, `n * 3` values
 * @param dst - interleaved xyz, same length
 * @param options - see {@link UmeyamaRobustOptions}
 * @returns a new {@link UmeyamaRobustResult}, or `null` when the initial fit is degenerate (same
 *   rules as {@link umeyama})
 * @throws the errors of {@link umeyama}; RangeError for a bad `method`, `inlierFraction` outside
 *   (0, 1], a non-positive `threshold` or a `maxIterations` that is not an integer >= 1
 */
export function umeyamaRobust(src: NumberArray, dst: NumberArray, options: UmeyamaRobustOptions = {}): UmeyamaRobustResult | null {
  const fn = 'umeyamaRobust';
  const checked = checkInputs(fn, src, dst, options);
  symmetric = checked.symmetric;
  try {
    return robustFit(fn, src, dst, checked, options);
  } finally {
    symmetric = false;
  }
}

function robustFit(fn: string, src: NumberArray, dst: NumberArray, checked: Checked, options: UmeyamaRobustOptions): UmeyamaRobustResult | null {
  const { n, similarity, weights } = checked;
  const method = options.method ?? 'trimmed';
  assertOneOf(fn, 'options.method', method, ROBUST_METHODS);
  const fraction = options.inlierFraction ?? 0.8;
  assertNumber(fn, 'options.inlierFraction', fraction, { min: 0, exclusiveMin: true, max: 1 });
  if (options.threshold !== undefined) assertNumber(fn, 'options.threshold', options.threshold, { min: 0, exclusiveMin: true });
  const maxIterations = options.maxIterations ?? (method === 'trimmed' ? 20 : 50);
  assertNumber(fn, 'options.maxIterations', maxIterations, { integer: true, min: 1 });

  const status = fitCore(src, dst, weights, n, similarity, true);
  if (status === 'nonfinite') throwNonFinite(fn, src, dst);
  if (status === 'degenerate') return null;

  const residuals = new Float64Array(n);
  const robust = new Float64Array(n).fill(1);
  const combined = new Float64Array(n);
  const selection = new Float64Array(n);
  let positive = 0;
  for (let i = 0; i < n; i++) if (weights === null || weights[i]! > 0) positive++;

  let iterations = 0;
  /** One reweighted fit with `combined`; keeps the previous fit and returns false when it is degenerate. */
  const refit = (): boolean => {
    saveFit();
    iterations++;
    if (fitCore(src, dst, combined, n, similarity, true) === 'ok') return true;
    restoreFit();
    return false;
  };
  if (method === 'trimmed') {
    const keep = Math.min(positive, Math.max(3, Math.ceil(fraction * positive)));
    for (let it = 0; it < maxIterations; it++) {
      residualNorms(residuals, src, dst, n);
      let m = 0;
      for (let i = 0; i < n; i++) if (weights === null || weights[i]! > 0) selection[m++] = residuals[i]!;
      const cutoff = quickselect(selection, keep - 1, 0, m - 1);
      let changed = false;
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const wi = weights === null ? 1 : weights[i]!;
        // Keep at most `keep` points: ties at the cutoff are taken in index order.
        const inlier = wi > 0 && residuals[i]! <= cutoff && kept < keep ? 1 : 0;
        kept += inlier;
        if (inlier !== robust[i]) changed = true;
        robust[i] = inlier;
        combined[i] = inlier * wi;
      }
      if (!changed) break;
      if (!refit()) break;
    }
  } else {
    const c = method === 'huber' ? 1.345 : 2.3849;
    for (let it = 0; it < maxIterations; it++) {
      residualNorms(residuals, src, dst, n);
      let k = options.threshold ?? 0;
      if (options.threshold === undefined) {
        let m = 0;
        for (let i = 0; i < n; i++) if (weights === null || weights[i]! > 0) selection[m++] = residuals[i]!;
        k = (c * medianInPlace(selection, m)) / 1.5382;
        if (!(k > 0)) k = Number.MIN_VALUE;
      }
      for (let i = 0; i < n; i++) {
        const r = residuals[i]!;
        const rw = method === 'huber' ? (r <= k ? 1 : k / r) : 1 / (1 + (r / k) * (r / k));
        robust[i] = rw;
        combined[i] = (weights === null ? 1 : weights[i]!) * rw;
      }
      if (!refit()) break;
      if (fitChange() < 1e-12) break;
    }
  }
  return { ...resultFromFit(), weights: robust, iterations };
}
