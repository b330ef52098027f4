import { describe, expect, it } from 'vitest';
import { robustBounds } from './robust-bounds.js';

describe('robustBounds', () => {
  it('takes nearest-rank percentiles per axis and ignores non-finite points', () => {
    // x = 0..100, y = -x, z = 5; plus a NaN point
    const n = 101;
    const p = new Float32Array((n + 1) * 3);
    for (let i = 0; i < n; i++) p.set([i, -i, 5], 3 * i);
    p.set([Number.NaN, 1, 1], 3 * n);
    const b = robustBounds(p, { percentiles: [10, 90] })!;
    expect(b.count).toBe(101);
    expect(b.min).toEqual([10, -90, 5]);
    expect(b.max).toEqual([90, -10, 5]);
    expect(b.center).toEqual([50, -50, 5]);
    expect(b.radius).toBeCloseTo(Math.hypot(40, 40));
    expect(robustBounds(p, { percentiles: [0, 100] })!.max[0]).toBe(100);
  });

  it('samples big clouds with an even stride, returns null without finite points, keeps its input', () => {
    const p = new Float32Array(3000).map((_, i) => i % 3);
    const before = Array.from(p);
    expect(robustBounds(p, { maxSamples: 10 })!.count).toBe(10);
    expect(Array.from(p)).toEqual(before);
    expect(robustBounds(new Float32Array([Number.NaN, 0, 0]))).toBeNull();
    expect(robustBounds([])).toBeNull();
  });

  it('throws RangeError for bad percentiles and lengths', () => {
    expect(() => robustBounds([1, 2])).toThrow(new RangeError('robustBounds: positions.length (2) must be a multiple of 3'));
    expect(() => robustBounds([], { percentiles: [0, 101] })).toThrow(new RangeError('robustBounds: options.percentiles[1] (101) must be <= 100'));
    expect(() => robustBounds('abc' as unknown as number[])).toThrow(TypeError);
  });
});
