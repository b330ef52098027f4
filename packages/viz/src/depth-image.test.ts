import { describe, expect, it } from 'vitest';
import { colormapLut } from './colormap.js';
import { depthLegend, depthToRgba } from './depth-image.js';

const pixel = (rgba: Uint8ClampedArray, i: number): number[] => Array.from(rgba.subarray(4 * i, 4 * i + 4));
const lutColor = (name: 'turbo' | 'grey', k: number): number[] => [...colormapLut(name).subarray(3 * k, 3 * k + 3), 255];

describe('depthToRgba', () => {
  it('takes robust limits from the percentiles of the valid depths, ignoring 1 % of huge outliers', () => {
    const width = 100;
    const height = 100;
    const depth = new Float32Array(width * height);
    for (let i = 0; i < depth.length; i++) depth[i] = 1 + (i % 97) / 96; // 1..2
    for (let i = 0; i < depth.length; i += 100) depth[i] = 1e6; // 1 % far outliers
    const { rgba, min, max } = depthToRgba(depth, { width, height });
    expect(rgba.length).toBe(4 * width * height);
    expect(min).toBeGreaterThanOrEqual(1);
    expect(min).toBeLessThan(1.05);
    expect(max).toBeGreaterThan(1.95);
    expect(max).toBeLessThanOrEqual(2);
    // Without percentiles the outliers would be the far limit.
    expect(depthToRgba(depth, { width, height, percentiles: [0, 100] }).max).toBe(1e6);
  });

  it('computes percentiles with linear interpolation (numpy default)', () => {
    const depth = [1, 2, 3, 4, 5];
    const { min, max } = depthToRgba(depth, { width: 5, height: 1, percentiles: [25, 90] });
    expect(min).toBeCloseTo(2, 12);
    expect(max).toBeCloseTo(4.6, 12);
  });

  it('gives invalid pixels (0, negative, NaN, +-Infinity) the invalid colour and excludes them from the limits', () => {
    const depth = [0, -1, Number.NaN, Infinity, -Infinity, 2, 4];
    const { rgba, min, max } = depthToRgba(depth, { width: 7, height: 1, percentiles: [0, 100], invalidColor: [9, 8, 7, 6] });
    expect([min, max]).toEqual([2, 4]);
    for (let i = 0; i < 5; i++) expect(pixel(rgba, i)).toEqual([9, 8, 7, 6]);
    expect(pixel(rgba, 5)[3]).toBe(255);
    // Default invalid colour: transparent black.
    expect(pixel(depthToRgba(depth, { width: 7, height: 1 }).rgba, 0)).toEqual([0, 0, 0, 0]);
  });

  it('colours by inverse depth by default (near = high end) and inverse: false flips the order', () => {
    const depth = [1, 4, 2];
    const limits = [1, 4] as const;
    const inv = depthToRgba(depth, { width: 3, height: 1, colormap: 'grey', limits });
    expect(pixel(inv.rgba, 0)).toEqual(lutColor('grey', 255));
    expect(pixel(inv.rgba, 1)).toEqual(lutColor('grey', 0));
    // 1/2 is (1/2 - 1/4) / (1 - 1/4) = 1/3 of the way in inverse depth.
    expect(pixel(inv.rgba, 2)).toEqual(lutColor('grey', Math.round(255 / 3)));
    const lin = depthToRgba(depth, { width: 3, height: 1, colormap: 'grey', limits, inverse: false });
    expect(pixel(lin.rgba, 0)).toEqual(lutColor('grey', 0));
    expect(pixel(lin.rgba, 1)).toEqual(lutColor('grey', 255));
    expect(pixel(lin.rgba, 2)).toEqual(lutColor('grey', Math.round(255 / 3)));
    expect([inv.min, inv.max, lin.min, lin.max]).toEqual([1, 4, 1, 4]);
  });

  it('uses turbo by default and clamps depths outside explicit limits', () => {
    const { rgba } = depthToRgba([0.5, 10], { width: 2, height: 1, limits: [1, 4] });
    expect(pixel(rgba, 0)).toEqual(lutColor('turbo', 255));
    expect(pixel(rgba, 1)).toEqual(lutColor('turbo', 0));
  });

  it('returns NaN limits and an all-invalid image when no pixel is valid', () => {
    const r = depthToRgba(new Float32Array(4), { width: 2, height: 2, invalidColor: [1, 1, 1, 1] });
    expect(r.min).toBeNaN();
    expect(r.max).toBeNaN();
    expect(Array.from(r.rgba)).toEqual(new Array(16).fill(1));
  });

  it('returns a copy and does not modify the depth', () => {
    const depth = new Float32Array([1, 2]);
    const r = depthToRgba(depth, { width: 2, height: 1 });
    expect(Array.from(depth)).toEqual([1, 2]);
    expect(r.rgba.buffer).not.toBe(depth.buffer);
    expect([r.width, r.height]).toEqual([2, 1]);
  });

  it('checks its arguments', () => {
    const depth = new Float32Array(6);
    expect(() => depthToRgba(depth, { width: 4, height: 2 })).toThrow(
      new RangeError('depthToRgba: depth.length (6) must equal options.width * options.height (8)'),
    );
    expect(() => depthToRgba(depth, { width: Number.NaN, height: 2 })).toThrow(new RangeError('depthToRgba: options.width (NaN) must be a finite number'));
    expect(() => depthToRgba(depth, { width: 1.5, height: 4 })).toThrow(new RangeError('depthToRgba: options.width (1.5) must be an integer'));
    expect(() => depthToRgba(depth, { width: '3' as unknown as number, height: 2 })).toThrow(TypeError);
    expect(() => depthToRgba({} as unknown as number[], { width: 3, height: 2 })).toThrow(
      new TypeError('depthToRgba: depth (Object) must be a typed array or an array of numbers'),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, limits: [0, 1] })).toThrow(new RangeError('depthToRgba: options.limits[0] (0) must be > 0'));
    expect(() => depthToRgba(depth, { width: 3, height: 2, limits: [2, 1] })).toThrow(
      new RangeError('depthToRgba: options.limits[1] (1) must be >= options.limits[0] (2)'),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, limits: 'robust' as 'auto' })).toThrow(
      new RangeError("depthToRgba: options.limits ('robust') must be one of 'auto'"),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, limits: 5 as unknown as 'auto' })).toThrow(
      new TypeError("depthToRgba: options.limits (5) must be 'auto' or [near, far]"),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, percentiles: [2, 101] })).toThrow(
      new RangeError('depthToRgba: options.percentiles[1] (101) must be <= 100'),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, percentiles: [50, 10] })).toThrow(
      new RangeError('depthToRgba: options.percentiles[1] (10) must be >= options.percentiles[0] (50)'),
    );
    expect(() => depthToRgba(depth, { width: 3, height: 2, colormap: 'jet' as 'turbo' })).toThrow(RangeError);
    expect(() => depthToRgba(depth, { width: 3, height: 2, inverse: 1 as unknown as boolean })).toThrow(
      new TypeError('depthToRgba: options.inverse (1) must be a boolean'),
    );
  });
});

describe('depthLegend', () => {
  it('draws a horizontal bar, near end left, with ticks evenly spaced and increasing', () => {
    const legend = depthLegend({ min: 1, max: 3, colormap: 'grey', ticks: 3 });
    expect([legend.width, legend.height, legend.rgba.length]).toEqual([256, 16, 256 * 16 * 4]);
    // inverse (default): near = bright, far = dark, on every row.
    for (const y of [0, 15]) {
      expect(pixel(legend.rgba, y * 256)).toEqual(lutColor('grey', 255));
      expect(pixel(legend.rgba, y * 256 + 255)).toEqual(lutColor('grey', 0));
    }
    expect(legend.ticks.map((t) => t.position)).toEqual([0, 127.5, 255]);
    expect(legend.ticks[0]!.value).toBe(1);
    expect(legend.ticks[1]!.value).toBeCloseTo(1.5, 12); // harmonic mean of 1 and 3
    expect(legend.ticks[2]!.value).toBe(3);
  });

  it('puts ticks where depthToRgba gives the same colour', () => {
    const min = 0.5;
    const max = 20;
    for (const inverse of [true, false]) {
      const legend = depthLegend({ min, max, inverse, ticks: 7, width: 256, height: 1 });
      const values = legend.ticks.map((t) => t.value);
      const image = depthToRgba(values, { width: values.length, height: 1, limits: [min, max], inverse });
      legend.ticks.forEach((t, i) => {
        const x = Math.round(t.position);
        // The nearest bar pixel is within half a pixel of the tick: at most one table entry away.
        const bar = pixel(legend.rgba, x);
        const exact = pixel(image.rgba, i);
        const lut = colormapLut('turbo');
        const k = (c: number[]): number => {
          for (let e = 0; e < 256; e++) if (lut[3 * e] === c[0] && lut[3 * e + 1] === c[1] && lut[3 * e + 2] === c[2]) return e;
          return -1;
        };
        expect(Math.abs(k(bar) - k(exact))).toBeLessThanOrEqual(1);
      });
    }
  });

  it('vertical: near end at the bottom, positions decrease as values increase', () => {
    const legend = depthLegend({ min: 1, max: 10, orientation: 'vertical', colormap: 'grey', inverse: false, ticks: 4 });
    expect([legend.width, legend.height]).toEqual([16, 256]);
    expect(pixel(legend.rgba, 255 * 16)).toEqual(lutColor('grey', 0)); // bottom-left: near, low end
    expect(pixel(legend.rgba, 15)).toEqual(lutColor('grey', 255)); // top-right: far, high end
    const positions = legend.ticks.map((t) => t.position);
    const values = legend.ticks.map((t) => t.value);
    expect(positions).toEqual([255, 170, 85, 0]);
    expect(values[0]).toBe(1);
    expect(values[1]).toBeCloseTo(4, 12);
    expect(values[3]).toBe(10);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
  });

  it('monotone tick positions and values for many ticks, and ticks: 0 or 1', () => {
    const legend = depthLegend({ min: 0.3, max: 50, ticks: 11, width: 300 });
    for (let i = 1; i < legend.ticks.length; i++) {
      expect(legend.ticks[i]!.position).toBeGreaterThan(legend.ticks[i - 1]!.position);
      expect(legend.ticks[i]!.value).toBeGreaterThan(legend.ticks[i - 1]!.value);
    }
    expect(depthLegend({ min: 1, max: 2, ticks: 0 }).ticks).toEqual([]);
    expect(depthLegend({ min: 1, max: 3, ticks: 1, inverse: false }).ticks).toEqual([{ value: 2, position: 127.5 }]);
  });

  it('checks its options', () => {
    expect(() => depthLegend({ min: 0, max: 1 })).toThrow(new RangeError('depthLegend: options.min (0) must be > 0'));
    expect(() => depthLegend({ min: 0, max: 1, inverse: false })).not.toThrow();
    expect(() => depthLegend({ min: 2, max: 1 })).toThrow(new RangeError('depthLegend: options.max (1) must be >= options.min (2)'));
    expect(() => depthLegend({ min: Number.NaN, max: 1 })).toThrow(new RangeError('depthLegend: options.min (NaN) must be a finite number'));
    expect(() => depthLegend({ min: 1, max: 2, width: 0 })).toThrow(new RangeError('depthLegend: options.width (0) must be >= 1'));
    expect(() => depthLegend({ min: 1, max: 2, ticks: -1 })).toThrow(new RangeError('depthLegend: options.ticks (-1) must be >= 0'));
    expect(() => depthLegend({ min: 1, max: 2, orientation: 'diagonal' as 'vertical' })).toThrow(
      new RangeError("depthLegend: options.orientation ('diagonal') must be one of 'horizontal', 'vertical'"),
    );
  });
});
