import fc from 'fast-check';
import { mat3 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import { createSvd3, svd3 } from './svd3.js';
import { gaussian, mulberry32, randomRotation } from './test-utils.js';

/** U diag(s) V^T, column-major. */
function reconstruct(u: ArrayLike<number>, s: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
  const a = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) {
      let x = 0;
      for (let k = 0; k < 3; k++) x += u[3 * k + r]! * s[k]! * v[3 * k + c]!;
      a[3 * c + r] = x;
    }
  }
  return a;
}

/** max |M^T M - I|. */
function orthoError(m: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const d = m[3 * i]! * m[3 * j]! + m[3 * i + 1]! * m[3 * j + 1]! + m[3 * i + 2]! * m[3 * j + 2]!;
      e = Math.max(e, Math.abs(d - (i === j ? 1 : 0)));
    }
  }
  return e;
}

function det(m: ArrayLike<number>): number {
  return m[0]! * (m[4]! * m[8]! - m[7]! * m[5]!) - m[3]! * (m[1]! * m[8]! - m[7]! * m[2]!) + m[6]! * (m[1]! * m[5]! - m[4]! * m[2]!);
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** R1 diag(s) R2^T with random rotations. */
function withSingularValues(seed: number, s: readonly number[]): Float64Array {
  const rng = mulberry32(seed);
  return reconstruct(randomRotation(rng), s, randomRotation(rng));
}

function checkDecomposition(a: Float64Array, tol = 1e-12): ReturnType<typeof createSvd3> {
  const out = createSvd3();
  svd3(out, a);
  const scale = Math.max(norm(a), 1e-300);
  const back = reconstruct(out.u, out.s, out.v);
  for (let i = 0; i < 9; i++) expect(Math.abs(back[i]! - a[i]!)).toBeLessThanOrEqual(tol * scale);
  expect(orthoError(out.u)).toBeLessThan(1e-13);
  expect(orthoError(out.v)).toBeLessThan(1e-13);
  expect(out.s[0]!).toBeGreaterThanOrEqual(out.s[1]!);
  expect(out.s[1]!).toBeGreaterThanOrEqual(out.s[2]!);
  expect(out.s[2]!).toBeGreaterThanOrEqual(0);
  return out;
}

describe('svd3', () => {
  it('decomposes random matrices: A = U S V^T, U and V orthonormal, S sorted and >= 0', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: -6, max: 6, noNaN: true }), (seed, logScale) => {
        const rng = mulberry32(seed);
        const a = new Float64Array(9);
        const k = 10 ** logScale;
        for (let i = 0; i < 9; i++) a[i] = gaussian(rng) * k;
        checkDecomposition(a);
      }),
      { numRuns: 500 },
    );
  });

  it('recovers known singular values, including repeated ones', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (seed, values) => {
          const s = [...values].sort((x, y) => y - x);
          const out = checkDecomposition(withSingularValues(seed, s));
          for (let i = 0; i < 3; i++) expect(Math.abs(out.s[i]! - s[i]!)).toBeLessThan(1e-12 * s[0]!);
        },
      ),
      { numRuns: 300 },
    );
    const out = checkDecomposition(withSingularValues(7, [2, 2, 2]));
    expect(Array.from(out.s).map((x) => x.toFixed(12))).toEqual(['2.000000000000', '2.000000000000', '2.000000000000']);
  });

  it('handles rank-deficient matrices (rank 2, rank 1, zero) with orthonormal U', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rank2 = checkDecomposition(withSingularValues(seed, [3, 1.5, 0]));
        expect(rank2.s[2]!).toBeLessThan(1e-14);
        const rank1 = checkDecomposition(withSingularValues(seed, [5, 0, 0]));
        expect(rank1.s[1]!).toBeLessThan(1e-14);
        // Tiny singular value relative to the others: absolute accuracy ~1e-16 * s0.
        const tiny = checkDecomposition(withSingularValues(seed, [1, 1e-9, 1e-12]));
        expect(Math.abs(tiny.s[1]! - 1e-9)).toBeLessThan(1e-15);
        expect(Math.abs(tiny.s[2]! - 1e-12)).toBeLessThan(1e-15);
      }),
      { numRuns: 200 },
    );
    // Outer product u v^T: rank 1, sigma = |u| |v|.
    const a = new Float64Array(9);
    const u = [1, 2, 2];
    const v = [0, 3, 4];
    for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) a[3 * c + r] = u[r]! * v[c]!;
    const out = checkDecomposition(a);
    expect(out.s[0]).toBeCloseTo(15, 12);
    const zero = checkDecomposition(new Float64Array(9));
    expect(Array.from(zero.s)).toEqual([0, 0, 0]);
  });

  it('handles reflections (det < 0): singular values stay >= 0 and det(U) det(V) = sign(det A)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        // A reflection: a rotation with one column negated.
        const refl = Float64Array.from(r);
        for (let i = 6; i < 9; i++) refl[i] = -refl[i]!;
        const out = checkDecomposition(refl);
        for (let i = 0; i < 3; i++) expect(out.s[i]).toBeCloseTo(1, 12);
        expect(det(out.u) * det(out.v)).toBeCloseTo(-1, 12);
        const general = withSingularValues(seed, [4, 2, 1]);
        for (let i = 0; i < 3; i++) general[i] = -general[i]!;
        const g = checkDecomposition(general);
        expect(Math.sign(det(g.u) * det(g.v))).toBe(Math.sign(det(general)));
      }),
      { numRuns: 200 },
    );
  });

  it('handles diagonal, permutation and nearly-diagonal matrices', () => {
    checkDecomposition(Float64Array.of(1, 0, 0, 0, 2, 0, 0, 0, 3));
    checkDecomposition(Float64Array.of(0, 1, 0, 0, 0, 1, 1, 0, 0));
    checkDecomposition(Float64Array.of(1, 1e-17, 0, 1e-17, 1, 0, 0, 0, 1));
    checkDecomposition(Float64Array.of(-1, 0, 0, 0, -1, 0, 0, 0, -1));
  });

  it('gl-matrix style: writes into out, returns out, does not modify the input', () => {
    const a = mat3.fromValues(2, 1, 0, 1, 3, 1, 0, 1, 4);
    const copy = mat3.clone(a);
    const out = { u: mat3.create(), s: new Float32Array(3), v: mat3.create() };
    expect(svd3(out, a)).toBe(out);
    expect(out.s[0]).toBeGreaterThan(0);
    expect(Array.from(a)).toEqual(Array.from(copy));
  });
});
