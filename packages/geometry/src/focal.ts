/**
 * Focal length from a camera-frame point map (how D4RT recovers intrinsics from its depth queries).
 *
 * With the principal point at the image centre `cx = (W - 1) / 2`, `cy = (H - 1) / 2` (pixel
 * centres at integers, see `camera.ts`), a point `(X, Y, Z)` seen at pixel `(x, y)` gives
 * `fx = Z (x - cx) / X` and `fy = Z (y - cy) / Y`. The estimate is the median over valid points,
 * which ignores the minority of bad predictions. Points near the central column (row) are skipped
 * for `fx` (`fy`): there `X` (`Y`) is tiny and the ratio is noise.
 *
 * Axes as OpenCV (x right, y down, z forward); points interleaved xyz; focal lengths in pixels.
 *
 * @packageDocumentation
 */

import type { Intrinsics } from './camera.js';
import { medianInPlace } from './select.js';
import type { NumberArray } from './types.js';
import { assertArray, assertGroups, assertLength, assertNumber } from './validate.js';

/** Options of {@link estimateFocal}. */
export interface EstimateFocalOptions {
  /** Image width, pixels (integer >= 2). */
  width: number;
  /** Image height, pixels (integer >= 2). */
  height: number;
  /**
   * Interleaved pixel `(x, y)` of each point. Omit when `points` is a dense map of
   * `width * height` points in row-major pixel order.
   */
  pixels?: NumberArray;
  /**
   * Skip a point for `fx` when `|x - cx| < minOffset` (and for `fy` when `|y - cy| < minOffset`),
   * pixels. Default `0.05 * min(width, height)`.
   */
  minOffset?: number;
  /** Estimate one focal length for both axes from the pooled ratios (square pixels). Default false. */
  shared?: boolean;
}

/**
 * Estimates pinhole intrinsics from camera-frame points and the pixels they were seen at:
 * principal point at the image centre, `fx = median Z (x - cx) / X`, `fy = median Z (y - cy) / Y`
 * over valid points (finite, `Z > 0`, at least `minOffset` pixels from the centre line, and a
 * finite positive ratio; a negative ratio means the point is on the wrong side and is dropped).
 *
 * @param points - interleaved camera-frame xyz (any unit: the ratio is unitless)
 * @param options - image size, optional `pixels`, `minOffset`, `shared`
 * @returns new {@link Intrinsics} in pixels, or `null` when no valid point constrains `fx` or `fy`
 * @throws TypeError for non-array arguments; RangeError when `points.length` is not a positive
 *   multiple of 3, `points` (dense) or `pixels` do not match the point count, the size is not
 *   an integer >= 2 or `minOffset` is negative
 */
export function estimateFocal(points: NumberArray, options: EstimateFocalOptions): Intrinsics | null {
  const fn = 'estimateFocal';
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3);
  const { width, height } = options;
  assertNumber(fn, 'options.width', width, { integer: true, min: 2 });
  assertNumber(fn, 'options.height', height, { integer: true, min: 2 });
  const n = points.length / 3;
  const pixels = options.pixels;
  if (pixels !== undefined) {
    assertArray(fn, 'options.pixels', pixels);
    assertLength(fn, 'options.pixels', pixels, 2 * n, 'points.length / 3 * 2');
  } else {
    assertLength(fn, 'points', points, 3 * width * height, '3 * width * height (a dense map; pass options.pixels otherwise)');
  }
  const minOffset = options.minOffset ?? 0.05 * Math.min(width, height);
  assertNumber(fn, 'options.minOffset', minOffset, { min: 0 });

  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < n; i++) {
    const X = points[3 * i]!;
    const Y = points[3 * i + 1]!;
    const Z = points[3 * i + 2]!;
    if (!(Z > 0 && Z < Infinity)) continue;
    let px: number;
    let py: number;
    if (pixels !== undefined) {
      px = pixels[2 * i]!;
      py = pixels[2 * i + 1]!;
    } else {
      px = i % width;
      py = (i - px) / width;
    }
    const dx = px - cx;
    const dy = py - cy;
    if (Math.abs(dx) >= minOffset && X !== 0) {
      const f = (Z * dx) / X;
      if (f > 0 && f < Infinity) rx[nx++] = f;
    }
    if (Math.abs(dy) >= minOffset && Y !== 0) {
      const f = (Z * dy) / Y;
      if (f > 0 && f < Infinity) ry[ny++] = f;
    }
  }
  if (nx === 0 || ny === 0) return null;
  let fx: number;
  let fy: number;
  if (options.shared) {
    const pooled = new Float64Array(nx + ny);
    pooled.set(rx.subarray(0, nx), 0);
    pooled.set(ry.subarray(0, ny), nx);
    fx = fy = medianInPlace(pooled, nx + ny);
  } else {
    fx = medianInPlace(rx, nx);
    fy = medianInPlace(ry, ny);
  }
  return { fx, fy, cx, cy };
}
