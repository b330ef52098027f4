/**
 * Singular value decomposition of a 3x3 matrix, in float64.
 *
 * Method: one-sided Jacobi (Hestenes 1958; Demmel & Veselic 1992). Plane rotations applied from
 * the right make the columns of `A V` mutually orthogonal; their norms are the singular values and
 * the normalised columns are `U`. Why this method:
 * - it works on `A` itself, so it does not square the condition number as the eigen-decomposition
 *   of `A^T A` does: small singular values (nearly collinear point sets in Umeyama) keep full
 *   absolute accuracy `~ 1e-16 * sigma_max`;
 * - it is short, branch-light and needs no allocation, and for 3x3 it converges quadratically in a
 *   handful of sweeps (each sweep is 3 rotations);
 * - McAdams et al. (2011) target float32 SIMD/GPU with a fixed number of approximate Jacobi
 *   steps; here float64 accuracy matters more than a fixed instruction count;
 * - neither gl-matrix nor a well-kept small JS library offers a 3x3 SVD.
 * `U` is completed from cross products when `A` is rank deficient, so `U` and `V` are always
 * orthonormal to rounding.
 *
 * Matrices are gl-matrix `mat3`: column-major (`m[3 * col + row]`). Pass `Float64Array(9)` outputs
 * to keep full precision ({@link createSvd3} does).
 *
 * @packageDocumentation
 */

import type { mat3, ReadonlyMat3, vec3 } from 'gl-matrix';

/** Result buffers of {@link svd3}: `A = U diag(s) V^T`. */
export interface Svd3 {
  /** Left singular vectors, column-major 3x3, orthonormal (`det = +1` or `-1`). */
  u: mat3;
  /** Singular values, descending, `>= 0`. */
  s: vec3;
  /** Right singular vectors, column-major 3x3, orthonormal (`det = +1` or `-1`). */
  v: mat3;
}

/**
 * Allocates float64 result buffers for {@link svd3}.
 *
 * @returns a new `{ u: Float64Array(9), s: Float64Array(3), v: Float64Array(9) }`
 */
export function createSvd3(): { u: Float64Array; s: Float64Array; v: Float64Array } {
  return { u: new Float64Array(9), s: new Float64Array(3), v: new Float64Array(9) };
}

const MAX_SWEEPS = 30;
const EPS = 1e-15;
// Working columns of A V (w) and the accumulated rotations (q), column-major.
const w = new Float64Array(9);
const q = new Float64Array(9);
const order = new Int32Array(3);
const sig = new Float64Array(3);

function rotate(m: Float64Array, p: number, r: number, c: number, s: number): void {
  const op = 3 * p;
  const or = 3 * r;
  for (let i = 0; i < 3; i++) {
    const mp = m[op + i]!;
    const mr = m[or + i]!;
    m[op + i] = c * mp - s * mr;
    m[or + i] = s * mp + c * mr;
  }
}

function jacobiPair(p: number, r: number): boolean {
  const op = 3 * p;
  const or = 3 * r;
  const ap0 = w[op]!, ap1 = w[op + 1]!, ap2 = w[op + 2]!;
  const ar0 = w[or]!, ar1 = w[or + 1]!, ar2 = w[or + 2]!;
  const alpha = ap0 * ap0 + ap1 * ap1 + ap2 * ap2;
  const beta = ar0 * ar0 + ar1 * ar1 + ar2 * ar2;
  const gamma = ap0 * ar0 + ap1 * ar1 + ap2 * ar2;
  if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) return false;
  // Rotation angle that makes columns p and r orthogonal (smaller root of t^2 + 2 zeta t - 1 = 0).
  const zeta = (beta - alpha) / (2 * gamma);
  const az = Math.abs(zeta);
  const t = az > 1e150 ? 1 / (2 * zeta) : (zeta >= 0 ? 1 : -1) / (az + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = c * t;
  rotate(w, p, r, c, s);
  rotate(q, p, r, c, s);
  return true;
}

/**
 * Computes the SVD `A = U diag(s) V^T` of a 3x3 matrix (one-sided Jacobi in float64; see the
 * module notes for why). Singular values are sorted in descending order and are non-negative;
 * `U` and `V` are orthonormal but may be reflections (`det = -1`): callers that need rotations
 * (Umeyama) apply the sign correction themselves.
 *
 * Rank-deficient input is handled: the columns of `U` that belong to (numerically) zero singular
 * values are completed by cross products, so `U` is always orthonormal. No allocation.
 *
 * @param out - receives `u`, `s`, `v` (use {@link createSvd3} for float64 buffers)
 * @param a - column-major 3x3 matrix; entries must be finite (not checked: this is a building block)
 * @returns `out`
 */
export function svd3<T extends Svd3>(out: T, a: ReadonlyMat3): T {
  for (let i = 0; i < 9; i++) {
    w[i] = a[i]!;
    q[i] = i % 4 === 0 ? 1 : 0;
  }
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    const r01 = jacobiPair(0, 1);
    const r02 = jacobiPair(0, 2);
    const r12 = jacobiPair(1, 2);
    if (!r01 && !r02 && !r12) break;
  }
  for (let j = 0; j < 3; j++) sig[j] = Math.hypot(w[3 * j]!, w[3 * j + 1]!, w[3 * j + 2]!);
  // Sort the three columns by singular value, descending.
  order[0] = 0;
  order[1] = 1;
  order[2] = 2;
  for (let i = 1; i < 3; i++) {
    for (let j = i; j > 0 && sig[order[j]!]! > sig[order[j - 1]!]!; j--) {
      const tmp = order[j]!;
      order[j] = order[j - 1]!;
      order[j - 1] = tmp;
    }
  }
  const c0 = order[0]!, c1 = order[1]!, c2 = order[2]!;
  const s0 = sig[c0]!, s1 = sig[c1]!, s2 = sig[c2]!;
  const { u, s, v } = out;
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  for (let j = 0; j < 3; j++) {
    const src = 3 * order[j]!;
    v[3 * j] = q[src]!;
    v[3 * j + 1] = q[src + 1]!;
    v[3 * j + 2] = q[src + 2]!;
  }
  // Singular values below tol are treated as zero when completing U.
  const tol = s0 * 1e-13;
  if (!(s0 > 0)) {
    for (let i = 0; i < 9; i++) u[i] = i % 4 === 0 ? 1 : 0;
    for (let i = 0; i < 9; i++) v[i] = i % 4 === 0 ? 1 : 0;
    return out;
  }
  // u0: normalised first column.
  let x0 = w[3 * c0]! / s0, y0 = w[3 * c0 + 1]! / s0, z0 = w[3 * c0 + 2]! / s0;
  let n = Math.hypot(x0, y0, z0);
  x0 /= n; y0 /= n; z0 /= n;
  // u1: second column, re-orthogonalised against u0; or any unit vector orthogonal to u0.
  let x1: number, y1: number, z1: number;
  if (s1 > tol) {
    x1 = w[3 * c1]!; y1 = w[3 * c1 + 1]!; z1 = w[3 * c1 + 2]!;
    const d = x0 * x1 + y0 * y1 + z0 * z1;
    x1 -= d * x0; y1 -= d * y0; z1 -= d * z0;
  } else {
    // Cross u0 with the coordinate axis it is least aligned with.
    const ax = Math.abs(x0), ay = Math.abs(y0), az = Math.abs(z0);
    if (ax <= ay && ax <= az) { x1 = 0; y1 = -z0; z1 = y0; }
    else if (ay <= az) { x1 = z0; y1 = 0; z1 = -x0; }
    else { x1 = -y0; y1 = x0; z1 = 0; }
  }
  n = Math.hypot(x1, y1, z1);
  x1 /= n; y1 /= n; z1 /= n;
  // u2 = +-(u0 x u1), the sign taken from the third column when it is not negligible.
  let x2 = y0 * z1 - z0 * y1;
  let y2 = z0 * x1 - x0 * z1;
  let z2 = x0 * y1 - y0 * x1;
  if (s2 > tol && x2 * w[3 * c2]! + y2 * w[3 * c2 + 1]! + z2 * w[3 * c2 + 2]! < 0) {
    x2 = -x2; y2 = -y2; z2 = -z2;
  }
  u[0] = x0; u[1] = y0; u[2] = z0;
  u[3] = x1; u[4] = y1; u[5] = z1;
  u[6] = x2; u[7] = y2; u[8] = z2;
  return out;
}
