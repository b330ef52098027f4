import { describe, expect, it } from 'vitest';
import { METRIC_PNG_SCALE, depthPngScale, depthPreview, maxValidDepth, previewSize, resizeDepth } from './depth-preview.js';

describe('depthPngScale', () => {
  it('stores the largest relative depth near 65535, with 3 significant digits', () => {
    expect(depthPngScale(1.37, false)).toBe(47800);
    expect(Math.round(1.37 * depthPngScale(1.37, false))).toBeLessThanOrEqual(65535);
    expect(Math.round(1.37 * depthPngScale(1.37, false))).toBeGreaterThan(65000);
    expect(depthPngScale(250, false)).toBe(262);
    expect(depthPngScale(3.2, true)).toBe(METRIC_PNG_SCALE);
    expect(depthPngScale(0, false)).toBe(METRIC_PNG_SCALE);
    expect(maxValidDepth(Float32Array.of(NaN, Infinity, -3, 0.5, 2, 0))).toBe(2);
  });
});

describe('previewSize / resizeDepth', () => {
  it('keeps the source size up to a longer side of 1280', () => {
    expect(previewSize({ width: 640, height: 360 })).toEqual({ width: 640, height: 360 });
    expect(previewSize({ width: 3840, height: 2160 })).toEqual({ width: 1280, height: 720 });
  });
  it('interpolates corners exactly and takes the nearest value next to an invalid depth', () => {
    const up = resizeDepth(Float32Array.of(1, 2, 3, 4), 2, 2, 3, 3);
    expect(Array.from(up)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    const holes = resizeDepth(Float32Array.of(1, 0, 3, 4), 2, 2, 3, 1);
    expect(Array.from(holes)).toEqual([1, 0, 0]);
  });
});

describe('depthPreview', () => {
  it('adds a legend strip: the colour bar runs from near (red) on the left to far (blue) on the right, labelled', () => {
    const map = Float32Array.from({ length: 4 * 3 }, (_, i) => 1 + i);
    const p = depthPreview(map, { width: 4, height: 3 }, { width: 320, height: 180 }, [1, 12], 'relative');
    expect(p.width).toBe(320);
    expect(p.height).toBeGreaterThan(180 + 20);
    const px = (x: number, y: number): number[] => Array.from(p.rgba.subarray(4 * (y * 320 + x), 4 * (y * 320 + x) + 3));
    const barY = 180 + 3 + 2;
    const [nr, , nb] = px(4, barY);
    const [fr, , fb] = px(315, barY);
    expect(nr).toBeGreaterThan(nb!); // near: red end
    expect(fb).toBeGreaterThan(fr!); // far: blue end
    // label ink (dark) under the bar on both sides
    const inkIn = (x0: number, x1: number): boolean => {
      for (let y = barY + 6; y < p.height; y++) for (let x = x0; x < x1; x++) if (px(x, y)[0]! < 100) return true;
      return false;
    };
    expect(inkIn(0, 60)).toBe(true);
    expect(inkIn(260, 320)).toBe(true);
  });
});
