import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySimilarity, gaussian, maxAbsDiff, mulberry32, randomPoints, randomRotation } from './test-utils.js';
import { umeyama, umeyamaRobust } from './umeyama.js';

function det(m: ArrayLike<number>): number {
  return m[0]! * (m[4]! * m[8]! - m[7]! * m[5]!) - m[3]! * (m[1]! * m[8]! - m[7]! * m[2]!) + m[6]! * (m[1]! * m[5]! - m[4]! * m[2]!);
}

function addNoise(points: Float64Array, rng: () => number, sigma: number): Float64Array {
  for (let i = 0; i < points.length; i++) points[i] = points[i]! + sigma * gaussian(rng);
  return points;
}

const seedArb = fc.integer();
const scaleArb = fc.double({ min: 0.05, max: 20, noNaN: true });
const nArb = fc.integer({ min: 3, max: 200 });

describe('umeyama', () => {
  it('recovers a random rigid transform exactly (noise-free)', () => {
    fc.assert(
      fc.property(seedArb, nArb, (seed, n) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        const t = [10 * gaussian(rng), 10 * gaussian(rng), 10 * gaussian(rng)];
        const src = randomPoints(rng, n, 2, [5, -3, 8]);
        const dst = applySimilarity(src, r, 1, t);
        const fit = umeyama(src, dst, { kind: 'rigid' });
        expect(fit).not.toBeNull();
        expect(maxAbsDiff(fit!.rotation, r)).toBeLessThan(1e-9);
        expect(maxAbsDiff(fit!.translation, t)).toBeLessThan(1e-8);
        expect(fit!.scale).toBe(1);
        expect(det(fit!.rotation)).toBeCloseTo(1, 12);
      }),
      { numRuns: 300 },
    );
  });

  it('recovers a random similarity transform (noise-free and with noise)', () => {
    fc.assert(
      fc.property(seedArb, scaleArb, nArb, (seed, s, n) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        const t = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const src = randomPoints(rng, n, 1);
        const dst = applySimilarity(src, r, s, t);
        const fit = umeyama(src, dst, { kind: 'similarity' })!;
        expect(Math.abs(fit.scale - s)).toBeLessThan(1e-9 * s);
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(1e-9);
        expect(maxAbsDiff(fit.translation, t)).toBeLessThan(1e-8 * Math.max(1, s));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(seedArb, scaleArb, (seed, s) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        const t = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const n = 2000;
        const src = randomPoints(rng, n, 1);
        // Noise: 1 % of the point spread in dst.
        const dst = addNoise(applySimilarity(src, r, s, t), rng, 0.01 * s);
        const fit = umeyama(src, dst, { kind: 'similarity' })!;
        expect(Math.abs(fit.scale / s - 1)).toBeLessThan(5e-3);
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(5e-3);
        expect(maxAbsDiff(fit.translation, t)).toBeLessThan(5e-3 * s + 1e-3);
      }),
      { numRuns: 60 },
    );
  });

  it('never returns a reflection, even when the best orthogonal map is one', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = mulberry32(seed);
        const src = randomPoints(rng, 20, 1);
        // dst = mirror image of src: the unconstrained optimum is a reflection.
        const dst = Float64Array.from(src);
        for (let i = 0; i < dst.length; i += 3) dst[i] = -dst[i]!;
        const fit = umeyama(src, dst, { kind: 'similarity' })!;
        expect(det(fit.rotation)).toBeCloseTo(1, 10);
        expect(fit.scale).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('honours weights: zero-weight points are ignored', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        const t = [1, 2, 3];
        const src = randomPoints(rng, 50, 1);
        const dst = applySimilarity(src, r, 2, t);
        const weights = new Float64Array(50).fill(1);
        for (let i = 40; i < 50; i++) {
          weights[i] = 0;
          dst[3 * i] = 1e3 * rng(); // garbage where the weight is 0
        }
        for (let i = 0; i < 40; i++) weights[i] = 0.1 + rng();
        const fit = umeyama(src, dst, { kind: 'similarity', weights })!;
        expect(fit.scale).toBeCloseTo(2, 9);
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('returns matrix = [s R | t] as a column-major Float32Array(16)', () => {
    const rng = mulberry32(3);
    const r = randomRotation(rng);
    const src = randomPoints(rng, 10, 1);
    const dst = applySimilarity(src, r, 3, [4, 5, 6]);
    const fit = umeyama(src, dst, { kind: 'similarity' })!;
    expect(fit.matrix).toBeInstanceOf(Float32Array);
    expect(fit.matrix[0]).toBeCloseTo(3 * r[0]!, 5);
    expect(fit.matrix[9]).toBeCloseTo(3 * r[7]!, 5);
    expect(Array.from(fit.matrix.slice(12))).toEqual([4, 5, 6, 1].map((x) => expect.closeTo(x, 5)));
    expect([fit.matrix[3], fit.matrix[7], fit.matrix[11]]).toEqual([0, 0, 0]);
  });

  it('is accurate far from the origin (two-pass float64 sums)', () => {
    const rng = mulberry32(11);
    const r = randomRotation(rng);
    const src = randomPoints(rng, 1000, 1, [1e5, -2e5, 3e5]);
    const dst = applySimilarity(src, r, 1.5, [1e5, 1e5, 1e5]);
    const fit = umeyama(src, dst, { kind: 'similarity' })!;
    expect(Math.abs(fit.scale - 1.5)).toBeLessThan(1e-9);
    expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(1e-9);
  });

  it('handles 65,536 points', () => {
    const rng = mulberry32(5);
    const r = randomRotation(rng);
    const src = Float32Array.from(randomPoints(rng, 65536, 3));
    const dst = Float32Array.from(applySimilarity(src, r, 0.7, [1, 2, 3]));
    const fit = umeyama(src, dst, { kind: 'similarity' })!;
    expect(Math.abs(fit.scale - 0.7)).toBeLessThan(1e-6);
    expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(1e-6);
  });

  describe('degenerate input gives null', () => {
    it('fewer than 3 points (or fewer than 3 with positive weight)', () => {
      expect(umeyama([0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 0, 0])).toBeNull();
      const src = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
      expect(umeyama(src, src, { weights: [1, 1, 0, 0] })).toBeNull();
      expect(umeyama(src, src, { weights: [1, 1, 1, 0] })).not.toBeNull();
    });

    it('coincident points', () => {
      const p = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
      expect(umeyama(p, p)).toBeNull();
      expect(umeyama(p, p, { kind: 'similarity' })).toBeNull();
    });

    it('collinear points (also after float32 rounding)', () => {
      fc.assert(
        fc.property(seedArb, fc.integer({ min: 3, max: 100 }), (seed, n) => {
          const rng = mulberry32(seed);
          const a = [gaussian(rng) * 5, gaussian(rng) * 5, gaussian(rng) * 5];
          const d = [gaussian(rng), gaussian(rng), gaussian(rng)];
          const src = new Float32Array(3 * n);
          for (let i = 0; i < n; i++) {
            const s = 3 * gaussian(rng);
            for (let k = 0; k < 3; k++) src[3 * i + k] = a[k]! + s * d[k]!;
          }
          const dst = applySimilarity(src, randomRotation(rng), 2, [1, 1, 1]);
          expect(umeyama(src, dst, { kind: 'similarity' })).toBeNull();
          expect(umeyama(src, dst, { kind: 'rigid' })).toBeNull();
        }),
        { numRuns: 200 },
      );
    });

    it('all dst points coincide', () => {
      const src = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
      expect(umeyama(src, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5])).toBeNull();
    });

    it('a thin but non-collinear set still fits', () => {
      const src = [0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 1e-3, 0];
      expect(umeyama(src, src)).not.toBeNull();
    });
  });

  describe('bad input throws TypeError / RangeError naming the argument', () => {
    const ok = [0, 0, 0, 1, 0, 0, 0, 1, 0];
    it('mismatched lengths', () => {
      expect(() => umeyama(ok, [0, 0, 0, 1, 0, 0])).toThrow(new RangeError('umeyama: dst.length (6) must equal src.length (9)'));
      expect(() => umeyama([0, 0, 0, 1], ok)).toThrow(new RangeError('umeyama: src.length (4) must be a multiple of 3'));
      expect(() => umeyama(ok, ok, { weights: [1, 1] })).toThrow(
        new RangeError('umeyama: options.weights.length (2) must equal src.length / 3 (3)'),
      );
    });
    it('empty arrays', () => {
      expect(() => umeyama([], [])).toThrow(new RangeError('umeyama: src.length (0) must be a positive multiple of 3; the array is empty'));
    });
    it('NaN and infinite values', () => {
      expect(() => umeyama([0, 0, 0, 1, Number.NaN, 0, 0, 1, 0], ok)).toThrow(new RangeError('umeyama: src[4] (NaN) must be finite'));
      expect(() => umeyama(ok, [0, 0, 0, 1, 0, 0, 0, 1, Infinity])).toThrow(new RangeError('umeyama: dst[8] (Infinity) must be finite'));
      expect(() => umeyama(ok, ok, { weights: [1, Number.NaN, 1] })).toThrow(
        new RangeError('umeyama: options.weights[1] (NaN) must be a finite number >= 0'),
      );
      expect(() => umeyama(ok, ok, { weights: [1, -1, 1] })).toThrow(RangeError);
    });
    it('wrong types', () => {
      expect(() => umeyama('abc' as unknown as number[], ok)).toThrow(
        new TypeError('umeyama: src (string "abc") must be a typed array or an array of numbers'),
      );
      expect(() => umeyama(ok, ok, { kind: 'affine' as 'rigid' })).toThrow(
        new RangeError("umeyama: options.kind ('affine') must be one of 'rigid', 'similarity'"),
      );
    });
  });

  it('does not modify its inputs', () => {
    const rng = mulberry32(9);
    const src = randomPoints(rng, 10, 1);
    const dst = randomPoints(rng, 10, 1);
    const weights = new Float64Array(10).fill(0.5);
    const copies = [Float64Array.from(src), Float64Array.from(dst), Float64Array.from(weights)];
    umeyama(src, dst, { kind: 'similarity', weights });
    umeyamaRobust(src, dst, { kind: 'similarity', weights });
    expect([src, dst, weights]).toEqual(copies);
  });
});

describe('umeyamaRobust', () => {
  /** Random Sim3 data with a fraction of gross outliers in dst. */
  function withOutliers(seed: number, n: number, s: number, outlierFraction: number, noise = 0) {
    const rng = mulberry32(seed);
    const r = randomRotation(rng);
    const t = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const src = randomPoints(rng, n, 1);
    const dst = applySimilarity(src, r, s, t);
    if (noise > 0) addNoise(dst, rng, noise * s);
    const outliers = Math.round(outlierFraction * n);
    for (let i = 0; i < outliers; i++) {
      const j = Math.floor(rng() * n);
      for (let k = 0; k < 3; k++) dst[3 * j + k] = t[k]! + 3 * s * (2 * rng() - 1);
    }
    return { src, dst, r, t };
  }

  it('trimmed: recovers a similarity with 20 % gross outliers', () => {
    fc.assert(
      fc.property(seedArb, scaleArb, (seed, s) => {
        const { src, dst, r, t } = withOutliers(seed, 500, s, 0.2, 0.001);
        const fit = umeyamaRobust(src, dst, { kind: 'similarity', method: 'trimmed', inlierFraction: 0.7 })!;
        expect(Math.abs(fit.scale / s - 1)).toBeLessThan(2e-3);
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(2e-3);
        expect(maxAbsDiff(fit.translation, t)).toBeLessThan(2e-3 * s);
        // The plain fit is visibly worse.
        const plain = umeyama(src, dst, { kind: 'similarity' })!;
        expect(Math.abs(plain.scale / s - 1)).toBeGreaterThan(Math.abs(fit.scale / s - 1));
      }),
      { numRuns: 100 },
    );
  });

  it('trimmed: recovers a rigid transform with 20 % outliers, noise-free exactly', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const { src, dst, r, t } = withOutliers(seed, 300, 1, 0.2);
        const fit = umeyamaRobust(src, dst, { kind: 'rigid', inlierFraction: 0.75 })!;
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(1e-8);
        expect(maxAbsDiff(fit.translation, t)).toBeLessThan(1e-8);
        expect(fit.weights.reduce((a, b) => a + b, 0)).toBe(225);
      }),
      { numRuns: 100 },
    );
  });

  it('cauchy IRLS: recovers a similarity with 20 % gross outliers', () => {
    fc.assert(
      fc.property(seedArb, scaleArb, (seed, s) => {
        const { src, dst, r, t } = withOutliers(seed, 500, s, 0.2, 0.001);
        const fit = umeyamaRobust(src, dst, { kind: 'similarity', method: 'cauchy' })!;
        expect(Math.abs(fit.scale / s - 1)).toBeLessThan(5e-3);
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(5e-3);
        expect(maxAbsDiff(fit.translation, t)).toBeLessThan(5e-3 * s);
      }),
      { numRuns: 100 },
    );
  });

  it('huber IRLS: improves on the plain fit with 20 % outliers', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const { src, dst, r } = withOutliers(seed, 500, 1, 0.2, 0.001);
        const fit = umeyamaRobust(src, dst, { kind: 'similarity', method: 'huber' })!;
        const plain = umeyama(src, dst, { kind: 'similarity' })!;
        expect(Math.abs(fit.scale - 1)).toBeLessThan(Math.abs(plain.scale - 1));
        expect(maxAbsDiff(fit.rotation, r)).toBeLessThan(0.05);
        expect(Math.abs(fit.scale - 1)).toBeLessThan(0.05);
      }),
      { numRuns: 100 },
    );
  });

  it('with a fixed threshold, outliers get weight ~0 (cauchy) and inliers ~1', () => {
    const { src, dst } = withOutliers(4, 200, 1, 0);
    dst[0] = dst[0]! + 10;
    const fit = umeyamaRobust(src, dst, { kind: 'rigid', method: 'cauchy', threshold: 0.01 })!;
    expect(fit.weights[0]).toBeLessThan(1e-5);
    expect(fit.weights[1]).toBeCloseTo(1, 6);
    expect(fit.iterations).toBeGreaterThan(0);
  });

  it('returns null for degenerate input and validates options', () => {
    expect(umeyamaRobust([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 1, 2, 2, 2])).toBeNull();
    const ok = [0, 0, 0, 1, 0, 0, 0, 1, 0];
    expect(() => umeyamaRobust(ok, ok, { inlierFraction: 0 })).toThrow(
      new RangeError('umeyamaRobust: options.inlierFraction (0) must be > 0'),
    );
    expect(() => umeyamaRobust(ok, ok, { method: 'ransac' as 'trimmed' })).toThrow(
      new RangeError("umeyamaRobust: options.method ('ransac') must be one of 'trimmed', 'huber', 'cauchy'"),
    );
    expect(() => umeyamaRobust(ok, ok, { maxIterations: 0.5 })).toThrow(
      new RangeError('umeyamaRobust: options.maxIterations (0.5) must be an integer'),
    );
  });
});

describe('symmetric scale', () => {
  it('equals the least-squares scale without noise', () => {
    fc.assert(
      fc.property(seedArb, scaleArb, nArb, (seed, s, n) => {
        const rng = mulberry32(seed);
        const r = randomRotation(rng);
        const t = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const src = randomPoints(rng, n, 1);
        const dst = applySimilarity(src, r, s, t);
        const a = umeyama(src, dst, { kind: 'similarity', scale: 'symmetric' })!;
        expect(Math.abs(a.scale / s - 1)).toBeLessThan(1e-9);
        expect(maxAbsDiff(a.rotation, r)).toBeLessThan(1e-9);
        const b = umeyamaRobust(src, dst, { kind: 'similarity', scale: 'symmetric' })!;
        expect(Math.abs(b.scale / s - 1)).toBeLessThan(1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it('is unbiased when both sets carry noise in proportion to their scale; least squares is biased low', () => {
    const rng = mulberry32(11);
    const n = 20000, s = 3, sigma = 0.3;
    const r = randomRotation(rng);
    const clean = randomPoints(rng, n, 1);
    const src = addNoise(Float64Array.from(clean), rng, sigma);
    const dst = applySimilarity(clean, r, s, [1, 2, 3]);
    for (let i = 0; i < dst.length; i++) dst[i] = dst[i]! + s * sigma * gaussian(rng);
    const lsq = umeyama(src, dst, { kind: 'similarity' })!;
    const sym = umeyama(src, dst, { kind: 'similarity', scale: 'symmetric' })!;
    // variance of a uniform cube of half-size 1 is 1/3 per axis: the dilution factor is (1/3) / (1/3 + sigma^2)
    expect(lsq.scale / s).toBeCloseTo(1 / 3 / (1 / 3 + sigma * sigma), 1);
    expect(Math.abs(sym.scale / s - 1)).toBeLessThan(0.01);
    expect(() => umeyama(src, dst, { kind: 'similarity', scale: 'median' as never })).toThrow(/umeyama: options\.scale \('median'\) must be one of 'umeyama', 'symmetric'/);
  });
});
