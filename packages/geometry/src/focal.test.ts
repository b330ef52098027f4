import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unprojectDepth } from './camera.js';
import { estimateFocal } from './focal.js';
import { mulberry32 } from './test-utils.js';

function pointMap(width: number, height: number, fx: number, fy: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const depth = new Float32Array(width * height);
  for (let i = 0; i < depth.length; i++) depth[i] = 1 + 9 * rng();
  const points = new Float32Array(3 * width * height);
  unprojectDepth(points, depth, width, height, { fx, fy, cx: (width - 1) / 2, cy: (height - 1) / 2 });
  return points;
}

describe('estimateFocal', () => {
  it('recovers fx and fy from a dense point map (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 64 }),
        fc.integer({ min: 8, max: 64 }),
        fc.double({ min: 20, max: 2000, noNaN: true }),
        fc.double({ min: 20, max: 2000, noNaN: true }),
        fc.integer(),
        (w, h, fx, fy, seed) => {
          const k = estimateFocal(pointMap(w, h, fx, fy, seed), { width: w, height: h })!;
          expect(Math.abs(k.fx / fx - 1)).toBeLessThan(1e-5);
          expect(Math.abs(k.fy / fy - 1)).toBeLessThan(1e-5);
          expect(k.cx).toBe((w - 1) / 2);
          expect(k.cy).toBe((h - 1) / 2);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is robust to a minority of bad points and skips invalid ones', () => {
    const w = 40;
    const h = 30;
    const pts = pointMap(w, h, 300, 300, 1);
    const rng = mulberry32(2);
    for (let i = 0; i < w * h; i += 5) {
      pts[3 * i] = pts[3 * i]! * (0.2 + rng()); // 20 % corrupted x
    }
    pts[5] = Number.NaN; // invalid z
    pts[8] = -1; // z <= 0
    const k = estimateFocal(pts, { width: w, height: h, shared: true })!;
    expect(Math.abs(k.fx / 300 - 1)).toBeLessThan(0.01);
    expect(k.fx).toBe(k.fy);
  });

  it('accepts sparse points with their pixels (hand-computed)', () => {
    // W = H = 101, centre (50, 50). Point (1, 0.5, 2) at pixel (150, 100): fx = 2 * 100 / 1 = 200, fy = 2 * 50 / 0.5 = 200.
    // Point (-2, 1, 4) at pixel (-50, 100): fx = 4 * -100 / -2 = 200, fy = 4 * 50 / 1 = 200.
    // Point (1, 1, 1) at pixel (350, 50): fx = 300; y is on the centre row, skipped for fy.
    const k = estimateFocal([1, 0.5, 2, -2, 1, 4, 1, 1, 1], { width: 101, height: 101, pixels: [150, 100, -50, 100, 350, 50] })!;
    expect(k.fx).toBe(200); // median of {200, 200, 300}
    expect(k.fy).toBe(200); // median of {200, 200}
  });

  it('returns null when no point constrains a focal length', () => {
    expect(estimateFocal([0, 0, 1], { width: 3, height: 3, pixels: [1, 1] })).toBeNull();
    expect(estimateFocal(new Float32Array(27), { width: 3, height: 3 })).toBeNull();
  });

  it('does not modify its input and rejects bad input', () => {
    const pts = pointMap(8, 8, 100, 100, 3);
    const copy = Float32Array.from(pts);
    estimateFocal(pts, { width: 8, height: 8 });
    expect(Array.from(pts)).toEqual(Array.from(copy));
    expect(() => estimateFocal(pts, { width: 8, height: 9 })).toThrow(
      new RangeError('estimateFocal: points.length (192) must equal 3 * width * height (a dense map; pass options.pixels otherwise) (216)'),
    );
    expect(() => estimateFocal([], { width: 8, height: 8 })).toThrow(
      new RangeError('estimateFocal: points.length (0) must be a positive multiple of 3; the array is empty'),
    );
    expect(() => estimateFocal([1, 2, 3], { width: 8, height: 8, pixels: [1] })).toThrow(
      new RangeError('estimateFocal: options.pixels.length (1) must equal points.length / 3 * 2 (2)'),
    );
    expect(() => estimateFocal([1, 2, 3], { width: Number.NaN, height: 8, pixels: [1, 1] })).toThrow(
      new RangeError('estimateFocal: options.width (NaN) must be a finite number'),
    );
  });
});
