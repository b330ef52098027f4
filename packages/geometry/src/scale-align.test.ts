import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignScale, applyScaleAlignment, type ScaleAlignMethod } from './scale-align.js';
import { gaussian, mulberry32 } from './test-utils.js';

function randomDepth(seed: number, n: number, min = 0.5, max = 20): Float64Array {
  const rng = mulberry32(seed);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = min + (max - min) * rng();
  return d;
}

describe('alignScale', () => {
  const methods: ScaleAlignMethod[] = ['median', 'l1', 'lsq-scale', 'lsq-scale-shift'];

  it('every method recovers a known scale in depth and disparity space (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (seed, s) => {
        const gt = randomDepth(seed, 200);
        const pred = gt.map((g) => g / s); // gt = s * pred exactly
        for (const method of methods) {
          const depth = alignScale(pred, gt, { method, space: 'depth' })!;
          expect(Math.abs(depth.scale / s - 1)).toBeLessThan(1e-9);
          expect(Math.abs(depth.shift)).toBeLessThan(1e-9 * Math.max(1, s));
          // In disparity space 1/gt = (1/s) * (1/pred).
          const disp = alignScale(pred, gt, { method, space: 'disparity' })!;
          expect(Math.abs(disp.scale * s - 1)).toBeLessThan(1e-9);
          expect(Math.abs(disp.shift)).toBeLessThan(1e-9);
          expect(depth.count).toBe(200);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('lsq-scale-shift recovers scale and shift in depth and in disparity space (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), (seed, s, t) => {
        const gt = randomDepth(seed, 300, 1, 10);
        // depth: gt = s * pred + t
        const predD = gt.map((g) => (g - t) / s);
        const d = alignScale(predD, gt, { method: 'lsq-scale-shift', space: 'depth' })!;
        expect(d.scale).toBeCloseTo(s, 9);
        expect(d.shift).toBeCloseTo(t, 9);
        // disparity: 1/gt = s / pred + t * 0.1 (keep pred > 0)
        const tt = 0.1 * t * 0.1;
        const predI = gt.map((g) => s / (1 / g - tt));
        const v = alignScale(predI, gt, { method: 'lsq-scale-shift', space: 'disparity' })!;
        expect(v.scale).toBeCloseTo(s, 8);
        expect(v.shift).toBeCloseTo(tt, 10);
        // apply reproduces gt
        const out = applyScaleAlignment(new Float64Array(gt.length), predI, v);
        for (let i = 0; i < gt.length; i++) expect(out[i]).toBeCloseTo(gt[i]!, 8);
      }),
      { numRuns: 100 },
    );
  });

  it('robust methods ignore outliers that break least squares', () => {
    const gt = randomDepth(4, 1001);
    const pred = gt.map((g) => g / 3);
    const rng = mulberry32(5);
    for (let i = 0; i < 100; i++) pred[i * 10] = pred[i * 10]! * (0.1 + 0.5 * rng()); // 10 % far too close
    // Ratio of medians: the outliers only shift the median of pred by a few percentiles.
    expect(Math.abs(alignScale(pred, gt, { method: 'median' })!.scale - 3)).toBeLessThan(0.3);
    // L1: the exact fit of the 90 % inliers wins (their |p| weight dominates).
    expect(alignScale(pred, gt, { method: 'l1' })!.scale).toBeCloseTo(3, 9);
    expect(Math.abs(alignScale(pred, gt, { method: 'lsq-scale' })!.scale - 3)).toBeGreaterThan(0.05);
  });

  it('l1 matches the exact L1 optimum (weighted median of g / p with weights |p|) (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 60 }), (seed, n) => {
        const rng = mulberry32(seed);
        const gt = randomDepth(seed, n);
        const pred = gt.map((g) => (g / 2) * Math.exp(0.3 * gaussian(rng)));
        const cost = (s: number): number => gt.reduce((acc, g, i) => acc + Math.abs(g - s * pred[i]!), 0);
        // Exact: the minimiser is one of the ratios; take the best.
        let best = Infinity;
        for (let i = 0; i < n; i++) best = Math.min(best, cost(gt[i]! / pred[i]!));
        const s = alignScale(pred, gt, { method: 'l1' })!.scale;
        expect(cost(s)).toBeLessThanOrEqual(best * (1 + 1e-6) + 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('hand-computed values', () => {
    // median: gt = [1, 2, 3], pred = [2, 2, 4] -> median(gt) / median(pred) = 2 / 2 = 1.
    expect(alignScale([2, 2, 4], [1, 2, 3], { method: 'median' })!.scale).toBe(1);
    // lsq-scale: sum(g p) / sum(p^2) = (1*1 + 2*1 + 3*2) / (1 + 1 + 4) = 9 / 6 = 1.5.
    expect(alignScale([1, 1, 2], [1, 2, 3], { method: 'lsq-scale' })!.scale).toBeCloseTo(1.5, 14);
    // l1: minimise |1 - s| + |2 - s| + |3 - 2 s| = weighted median of g/p = {1, 2, 1.5} with
    // weights |p| = {1, 1, 2} -> s = 1.5 (cost 0.5 + 0.5 + 0 = 1).
    expect(alignScale([1, 1, 2], [1, 2, 3], { method: 'l1' })!.scale).toBeCloseTo(1.5, 6);
    // lsq-scale-shift: pred = [0, 1, 2], gt = [1, 3, 5] -> s = 2, t = 1.
    const a = alignScale([0, 1, 2], [1, 3, 5], { method: 'lsq-scale-shift', minDepth: 0 })!;
    expect(a.scale).toBeCloseTo(2, 14);
    expect(a.shift).toBeCloseTo(1, 14);
  });

  it('uses only valid pixels: gt > minDepth, gt < maxDepth, finite pred, mask', () => {
    const gt = [0, 2, 4, Number.NaN, 100, 8];
    const pred = [5, 1, 2, 1, 1, Number.NaN];
    // valid: indices 1, 2 (4 excluded by maxDepth 50) -> ratio 2.
    const a = alignScale(pred, gt, { method: 'lsq-scale', maxDepth: 50 })!;
    expect(a.count).toBe(2);
    expect(a.scale).toBeCloseTo(2, 14);
    const b = alignScale(pred, gt, { method: 'lsq-scale', mask: [1, 1, 0, 1, 0, 1] })!;
    expect(b.count).toBe(1);
    expect(alignScale([1, 1], [0, 0])).toBeNull();
    expect(alignScale([1, 1, 1], [1, 2, 3], { method: 'lsq-scale-shift' })).toBeNull();
    expect(alignScale([1], [1], { method: 'lsq-scale-shift' })).toBeNull();
  });

  it('rejects bad input with messages naming the argument', () => {
    expect(() => alignScale([1, 2], [1, 2, 3])).toThrow(new RangeError('alignScale: pred.length (2) must equal gt.length (3)'));
    expect(() => alignScale([], [])).toThrow(new RangeError('alignScale: gt.length (0) must be positive; the array is empty'));
    expect(() => alignScale([1], [1], { method: 'mean' as 'median' })).toThrow(
      new RangeError("alignScale: options.method ('mean') must be one of 'median', 'l1', 'lsq-scale', 'lsq-scale-shift'"),
    );
    expect(() => alignScale([1], [1], { space: 'log' as 'depth' })).toThrow(RangeError);
    expect(() => alignScale([1], [1], { mask: [1, 1] })).toThrow(new RangeError('alignScale: options.mask.length (2) must equal gt.length (1)'));
    expect(() => alignScale([1], [1], { minDepth: Number.NaN })).toThrow(new RangeError('alignScale: options.minDepth (NaN) must be a finite number'));
    expect(() => alignScale([1], [1], { minDepth: 2, maxDepth: 1 })).toThrow(
      new RangeError('alignScale: options.maxDepth (1) must be > options.minDepth (2)'),
    );
    expect(() => alignScale(null as unknown as number[], [1])).toThrow(new TypeError('alignScale: pred (null) must be a typed array or an array of numbers'));
  });
});

describe('applyScaleAlignment', () => {
  it('depth space: out = s * pred + t; disparity space: out = 1 / (s / pred + t) clamped by maxDepth', () => {
    const pred = Float32Array.of(1, 2, 4);
    const out = new Float32Array(3);
    expect(applyScaleAlignment(out, pred, { method: 'lsq-scale-shift', space: 'depth', scale: 2, shift: 1, count: 3 })).toBe(out);
    expect(Array.from(out)).toEqual([3, 5, 9]);
    expect(Array.from(pred)).toEqual([1, 2, 4]);
    // disparity: 1 / (2/1 + 0) = 0.5, 1 / (2/2) = 1, 1 / (2/4) = 2
    applyScaleAlignment(out, pred, { method: 'lsq-scale', space: 'disparity', scale: 2, shift: 0, count: 3 });
    expect(Array.from(out)).toEqual([0.5, 1, 2]);
    // negative aligned disparity is clamped to 1 / maxDepth
    applyScaleAlignment(out, pred, { method: 'lsq-scale-shift', space: 'disparity', scale: 1, shift: -0.75, count: 3 }, { maxDepth: 80 });
    expect(Array.from(out)).toEqual([4, 80, 80]);
  });

  it('works in place and fits + applies to recover gt (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.01, max: 100, noNaN: true }), (seed, s) => {
        const gt = randomDepth(seed, 50);
        const rng = mulberry32(seed);
        const pred = Float64Array.from(gt, (g) => (g / s) * (1 + 1e-3 * gaussian(rng)));
        for (const method of ['median', 'l1', 'lsq-scale', 'lsq-scale-shift'] as const) {
          const a = alignScale(pred, gt, { method })!;
          const out = applyScaleAlignment(Float64Array.from(pred), Float64Array.from(pred), a);
          let err = 0;
          for (let i = 0; i < gt.length; i++) err = Math.max(err, Math.abs(out[i]! / gt[i]! - 1));
          expect(err).toBeLessThan(0.02);
        }
        const inPlace = Float64Array.from(pred);
        const a = alignScale(pred, gt)!;
        expect(applyScaleAlignment(inPlace, inPlace, a)).toBe(inPlace);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects bad input', () => {
    expect(() => applyScaleAlignment(new Float32Array(1), [1, 2], { method: 'median', space: 'depth', scale: 1, shift: 0, count: 1 })).toThrow(
      new RangeError('applyScaleAlignment: out.length (1) must be at least pred.length (2)'),
    );
    expect(() =>
      applyScaleAlignment(new Float32Array(1), [1], { method: 'median', space: 'depth', scale: Number.NaN, shift: 0, count: 1 }),
    ).toThrow(new RangeError('applyScaleAlignment: alignment.scale (NaN) must be a finite number'));
  });
});
