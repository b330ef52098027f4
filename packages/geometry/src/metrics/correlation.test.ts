import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../test-utils.js';
import { pearsonCorrelation } from './correlation.js';

describe('pearsonCorrelation', () => {
  it('matches a hand-computed case', () => {
    // x = [1, 2, 3, 4], y = [2, 1, 4, 3]: means 2.5, 2.5; dx = [-1.5, -0.5, 0.5, 1.5],
    // dy = [-0.5, -1.5, 1.5, 0.5]; sxy = 0.75 + 0.75 + 0.75 + 0.75 = 3, sxx = syy = 5 -> r = 0.6
    expect(pearsonCorrelation([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 14);
    expect(pearsonCorrelation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
  });

  it('is invariant to affine maps of either side and flips sign with a negative factor (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 1e-2, max: 1e2, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), (seed, a, b) => {
        const rng = mulberry32(seed);
        const x = Float64Array.from({ length: 50 }, () => rng());
        const y = x.map((v) => v + 0.5 * rng());
        const r = pearsonCorrelation(x, y);
        expect(r).toBeGreaterThan(0);
        expect(r).toBeLessThanOrEqual(1);
        expect(pearsonCorrelation(x.map((v) => a * v + b), y)).toBeCloseTo(r, 9);
        expect(pearsonCorrelation(x, y.map((v) => -a * v + b))).toBeCloseTo(-r, 9);
        expect(pearsonCorrelation(y, x)).toBeCloseTo(r, 14);
        expect(pearsonCorrelation(x, x.map((v) => a * v + b))).toBeCloseTo(1, 9);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves out pairs with a non-finite value or a zero mask entry', () => {
    const x = [1, 2, 3, 4, 100, Number.NaN, 5];
    const y = [2, 1, 4, 3, -100, 7, Number.POSITIVE_INFINITY];
    const mask = [1, 1, 1, 1, 0, 1, 1];
    expect(pearsonCorrelation(x, y, { mask })).toBeCloseTo(0.6, 14);
    expect(pearsonCorrelation(x, y)).not.toBeCloseTo(0.6, 2);
  });

  it('is 0 without variance and NaN with fewer than two pairs', () => {
    expect(pearsonCorrelation([3, 3, 3], [1, 2, 3])).toBe(0);
    expect(pearsonCorrelation([1, 2, 3], [0, 0, 0])).toBe(0);
    expect(pearsonCorrelation([1], [2])).toBeNaN();
    expect(pearsonCorrelation([1, Number.NaN], [2, 3])).toBeNaN();
    expect(pearsonCorrelation([], [])).toBeNaN();
  });

  it('does not modify its inputs', () => {
    const x = Float32Array.of(1, 2, 3);
    const y = Float64Array.of(3, 1, 2);
    const mask = Uint8Array.of(1, 1, 1);
    pearsonCorrelation(x, y, { mask });
    expect(Array.from(x)).toEqual([1, 2, 3]);
    expect(Array.from(y)).toEqual([3, 1, 2]);
    expect(Array.from(mask)).toEqual([1, 1, 1]);
  });

  it('rejects bad input', () => {
    expect(() => pearsonCorrelation([1, 2], [1])).toThrow(new RangeError('pearsonCorrelation: y.length (1) must equal x.length (2)'));
    expect(() => pearsonCorrelation([1, 2], [1, 2], { mask: [1] })).toThrow(new RangeError('pearsonCorrelation: options.mask.length (1) must equal x.length (2)'));
    expect(() => pearsonCorrelation({} as unknown as number[], [1])).toThrow(
      new TypeError('pearsonCorrelation: x (Object) must be a typed array or an array of numbers'),
    );
  });
});
