import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../test-utils.js';
import { depthMetrics } from './depth.js';

describe('depthMetrics', () => {
  it('matches hand-computed values (no alignment)', () => {
    // pred = [2, 4, 9], gt = [2, 5, 10]; errors p - g = [0, -1, -1].
    // AbsRel = (0 + 1/5 + 1/10) / 3 = 0.1; SqRel = (0 + 1/5 + 1/10) / 3 = 0.1;
    // RMSE = sqrt(2 / 3); log-RMSE = sqrt((ln(4/5)^2 + ln(9/10)^2) / 3);
    // ratios max(p/g, g/p) = [1, 1.25, 1.111]: delta1 = 2/3 (1.25 is not < 1.25), delta2 = delta3 = 1.
    const m = depthMetrics([2, 4, 9], [2, 5, 10]);
    expect(m.absRel).toBeCloseTo(0.1, 14);
    expect(m.sqRel).toBeCloseTo(0.1, 14);
    expect(m.rmse).toBeCloseTo(Math.sqrt(2 / 3), 14);
    expect(m.logRmse).toBeCloseTo(Math.sqrt((Math.log(0.8) ** 2 + Math.log(0.9) ** 2) / 3), 14);
    expect(m.delta1).toBeCloseTo(2 / 3, 14);
    expect(m.delta2).toBe(1);
    expect(m.delta3).toBe(1);
    expect(m.count).toBe(3);
    expect(m.alignment).toBeNull();
  });

  it('averages per-frame metrics over frames with valid pixels (video protocol, hand-computed)', () => {
    // frame 0: pred [2, 4], gt [2, 5] -> AbsRel (0 + 0.2) / 2 = 0.1, RMSE sqrt(1/2)
    // frame 1: pred [9, 9], gt [10, 0] -> only pixel 0 valid: AbsRel 0.1, RMSE 1
    // frame 2: gt all 0 -> skipped
    const m = depthMetrics([2, 4, 9, 9, 1, 1], [2, 5, 10, 0, 0, 0], { frames: 3 });
    expect(m.frames).toBe(2);
    expect(m.count).toBe(3);
    expect(m.absRel).toBeCloseTo(0.1, 14);
    expect(m.rmse).toBeCloseTo((Math.sqrt(0.5) + 1) / 2, 14);
    // delta1: frame 0 -> 1/2 (1.25 not < 1.25), frame 1 -> 1 (1.11) => 0.75
    expect(m.delta1).toBeCloseTo(0.75, 14);
  });

  it('clips predictions to [minDepth, maxDepth] and ignores gt outside (minDepth, maxDepth)', () => {
    // gt 100 is excluded (>= maxDepth 50); pred 200 for gt 20 is clipped to 50 -> AbsRel (50 - 20) / 20 = 1.5
    const m = depthMetrics([200, 1], [20, 100], { maxDepth: 50 });
    expect(m.count).toBe(1);
    expect(m.absRel).toBeCloseTo(1.5, 14);
    // pred <= 0 is clipped to minDepth = 1e-3: AbsRel = |1e-3 - 1| / 1
    expect(depthMetrics([-5], [1]).absRel).toBeCloseTo(0.999, 14);
    // NaN prediction: pixel invalid
    expect(depthMetrics([Number.NaN, 1], [1, 1]).count).toBe(1);
    // mask
    expect(depthMetrics([1, 2], [1, 1], { mask: [1, 0] }).absRel).toBe(0);
  });

  it('every alignment makes a scaled prediction perfect (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 1e-2, max: 1e2, noNaN: true }), (seed, s) => {
        const rng = mulberry32(seed);
        const gt = Float32Array.from({ length: 64 }, () => 0.5 + 30 * rng());
        const pred = gt.map((g) => g / s);
        for (const alignment of ['median', 'l1', 'lsq-scale', 'lsq-scale-shift'] as const) {
          for (const space of ['depth', 'disparity'] as const) {
            const m = depthMetrics(pred, gt, { alignment, space, frames: 4 });
            expect(m.absRel).toBeLessThan(1e-5);
            expect(m.delta1).toBe(1);
            expect(m.alignment!.method).toBe(alignment);
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it('lsq-scale-shift in disparity space fixes an affine-invariant disparity (DepthCrafter protocol)', () => {
    const rng = mulberry32(2);
    const gt = Float64Array.from({ length: 500 }, () => 1 + 60 * rng());
    // pred = 1 / (0.5 / gt + 0.01): disparity is affine in the true disparity.
    const pred = gt.map((g) => 1 / (0.5 / g + 0.01));
    const none = depthMetrics(pred, gt, { maxDepth: 70 });
    const aligned = depthMetrics(pred, gt, { alignment: 'lsq-scale-shift', space: 'disparity', maxDepth: 70 });
    expect(none.absRel).toBeGreaterThan(0.1);
    expect(aligned.absRel).toBeLessThan(1e-9);
    expect(aligned.alignment!.scale).toBeCloseTo(2, 9); // 1/gt = 2 * (1/pred) - 0.02
    expect(aligned.alignment!.shift).toBeCloseTo(-0.02, 9);
  });

  it('does not modify its inputs', () => {
    const pred = Float32Array.of(1, 2, 3);
    const gt = Float32Array.of(2, 2, 2);
    depthMetrics(pred, gt, { alignment: 'lsq-scale-shift' });
    expect(Array.from(pred)).toEqual([1, 2, 3]);
    expect(Array.from(gt)).toEqual([2, 2, 2]);
  });

  it('rejects bad input', () => {
    expect(() => depthMetrics([1, 2], [1])).toThrow(new RangeError('depthMetrics: pred.length (2) must equal gt.length (1)'));
    expect(() => depthMetrics([], [])).toThrow(new RangeError('depthMetrics: gt.length (0) must be positive; the array is empty'));
    expect(() => depthMetrics([1, 1, 1], [1, 1, 1], { frames: 2 })).toThrow(
      new RangeError('depthMetrics: gt.length (3) must be a multiple of options.frames (2)'),
    );
    expect(() => depthMetrics([1], [0])).toThrow(new RangeError('depthMetrics: no valid pixel (need finite pred and 0.001 < gt < Infinity)'));
    expect(() => depthMetrics([1, 1], [1, 2], { alignment: 'lsq-scale-shift' })).toThrow(
      new RangeError("depthMetrics: the 'lsq-scale-shift' alignment in depth space cannot be fitted (no valid pixel, or a constant prediction)"),
    );
    expect(() => depthMetrics([1], [1], { alignment: 'ransac' as 'none' })).toThrow(RangeError);
    expect(() => depthMetrics({} as unknown as number[], [1])).toThrow(TypeError);
  });
});
