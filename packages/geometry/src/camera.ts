/**
 * Pinhole camera: intrinsics, projection, unprojection of points and depth maps, and the
 * pixel <-> normalised image coordinate conventions of d4rt-js.
 *
 * Conventions (stated once for the module):
 * - Camera axes as OpenCV: x right, y down, z forward; depth is the z coordinate (not the ray length).
 * - Pixel coordinates `(x, y)` are column and row, with pixel centres at integer coordinates:
 *   pixel `(0, 0)` is the centre of the top-left pixel, `(W - 1, H - 1)` of the bottom-right one.
 * - Normalised coordinates: `u = x / (W - 1)`, `v = y / (H - 1)`, so `u, v` are in [0, 1] with the
 *   outermost pixel centres at 0 and 1.
 * - Intrinsics `{ fx, fy, cx, cy }` are in pixels; `x = fx X / Z + cx`, `y = fy Y / Z + cy`.
 * - Matrices are gl-matrix `mat3`/`mat4`: column-major, post-multiplied (`p' = M p`).
 * - Point arrays are interleaved xyz (`[x0, y0, z0, x1, ...]`), pixel arrays interleaved xy.
 *
 * @packageDocumentation
 */

import type { mat3, ReadonlyMat3, ReadonlyVec2, ReadonlyVec3, vec2, vec3 } from 'gl-matrix';
import type { FloatArray, NumberArray } from './types.js';
import {
  assertArray,
  assertFloatArray,
  assertGroups,
  assertLength,
  assertMinLength,
  assertNumber,
  describe,
} from './validate.js';

/**
 * Pinhole intrinsics in pixels (no skew, no distortion).
 *
 * `fx`, `fy` are the focal lengths and `cx`, `cy` the principal point, all in pixels of the image
 * the camera describes, with pixel centres at integer coordinates (see the module conventions).
 */
export interface Intrinsics {
  /** Focal length along x, pixels. */
  fx: number;
  /** Focal length along y, pixels. */
  fy: number;
  /** Principal point x (column), pixels. */
  cx: number;
  /** Principal point y (row), pixels. */
  cy: number;
}

/**
 * Checks intrinsics: an object with finite numbers `fx`, `fy`, `cx`, `cy` and `fx, fy > 0`.
 *
 * @param intrinsics - the value to check
 * @param fn - function name used in the message (default `'validateIntrinsics'`)
 * @param name - argument name used in the message (default `'intrinsics'`)
 * @throws TypeError when `intrinsics` is not an object or a field is not a number
 * @throws RangeError when a field is NaN or infinite, or a focal length is not positive
 */
export function validateIntrinsics(intrinsics: unknown, fn = 'validateIntrinsics', name = 'intrinsics'): asserts intrinsics is Intrinsics {
  if (typeof intrinsics !== 'object' || intrinsics === null) {
    throw new TypeError(`${fn}: ${name} (${describe(intrinsics)}) must be an object { fx, fy, cx, cy } in pixels`);
  }
  const k = intrinsics as Record<string, unknown>;
  assertNumber(fn, `${name}.fx`, k['fx'], { min: 0, exclusiveMin: true });
  assertNumber(fn, `${name}.fy`, k['fy'], { min: 0, exclusiveMin: true });
  assertNumber(fn, `${name}.cx`, k['cx']);
  assertNumber(fn, `${name}.cy`, k['cy']);
}

/**
 * Reads intrinsics from a row-major 3x3 matrix `[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]` as found
 * in JSON files (e.g. `cameras.json` of the test data). Skew and the last row are ignored.
 *
 * @param matrix - row-major 3x3 nested array, pixels
 * @returns a new `Intrinsics` object (a copy)
 * @throws TypeError when `matrix` is not a nested array; RangeError when a row is missing or
 *   the intrinsics are not finite / have non-positive focal lengths
 */
export function intrinsicsFromMatrix(matrix: ReadonlyArray<ArrayLike<number>>): Intrinsics {
  const fn = 'intrinsicsFromMatrix';
  if (!Array.isArray(matrix)) throw new TypeError(`${fn}: matrix (${describe(matrix)}) must be a row-major 3x3 nested array`);
  if (matrix.length !== 3) throw new RangeError(`${fn}: matrix.length (${matrix.length}) must equal 3 (rows)`);
  for (let r = 0; r < 3; r++) {
    assertArray(fn, `matrix[${r}]`, matrix[r]);
    assertLength(fn, `matrix[${r}]`, matrix[r]!, 3, '3 (columns)');
  }
  const k = { fx: matrix[0]![0]!, fy: matrix[1]![1]!, cx: matrix[0]![2]!, cy: matrix[1]![2]! };
  validateIntrinsics(k, fn, 'matrix');
  return k;
}

/**
 * Reads intrinsics from a gl-matrix `mat3` (column-major K: `m[0] = fx`, `m[4] = fy`,
 * `m[6] = cx`, `m[7] = cy`).
 *
 * @param m - column-major 3x3 camera matrix, pixels
 * @returns a new `Intrinsics` object (a copy)
 * @throws RangeError when the result is not finite or has non-positive focal lengths
 */
export function intrinsicsFromMat3(m: ReadonlyMat3): Intrinsics {
  const k = { fx: m[0]!, fy: m[4]!, cx: m[6]!, cy: m[7]! };
  validateIntrinsics(k, 'intrinsicsFromMat3', 'm');
  return k;
}

/**
 * Writes the camera matrix K of `intrinsics` into a gl-matrix `mat3` (column-major).
 *
 * @param out - receives K
 * @param intrinsics - pixels
 * @returns `out`
 */
export function intrinsicsToMat3(out: mat3, intrinsics: Intrinsics): mat3 {
  out[0] = intrinsics.fx;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out[4] = intrinsics.fy;
  out[5] = 0;
  out[6] = intrinsics.cx;
  out[7] = intrinsics.cy;
  out[8] = 1;
  return out;
}

/**
 * Intrinsics of the same camera after the image is resized from `from` to `to` pixels, under the
 * d4rt-js convention that the outermost pixel centres stay at the image borders (`u = x / (W - 1)`,
 * i.e. "align corners"): `x' = x (W' - 1) / (W - 1)`.
 *
 * @param intrinsics - intrinsics of the `from` image, pixels
 * @param from - original size `{ width, height }`, each at least 2
 * @param to - new size `{ width, height }`, each at least 2
 * @returns new `Intrinsics` (a copy), pixels of the `to` image
 * @throws RangeError when a size is not an integer >= 2 or the intrinsics are invalid
 */
export function resizeIntrinsics(
  intrinsics: Intrinsics,
  from: { width: number; height: number },
  to: { width: number; height: number },
): Intrinsics {
  const fn = 'resizeIntrinsics';
  validateIntrinsics(intrinsics, fn);
  assertNumber(fn, 'from.width', from.width, { integer: true, min: 2 });
  assertNumber(fn, 'from.height', from.height, { integer: true, min: 2 });
  assertNumber(fn, 'to.width', to.width, { integer: true, min: 2 });
  assertNumber(fn, 'to.height', to.height, { integer: true, min: 2 });
  const sx = (to.width - 1) / (from.width - 1);
  const sy = (to.height - 1) / (from.height - 1);
  return { fx: intrinsics.fx * sx, fy: intrinsics.fy * sy, cx: intrinsics.cx * sx, cy: intrinsics.cy * sy };
}

/**
 * Projects one camera-frame point to pixel coordinates: `x = fx X / Z + cx`, `y = fy Y / Z + cy`.
 *
 * No checks (a building block for loops): `Z` must be positive for a point in front of the
 * camera; `Z = 0` gives infinities or NaN, `Z < 0` a mirrored pixel.
 *
 * @param out - receives the pixel `(x, y)`
 * @param point - camera-frame point `(X, Y, Z)`, any length unit
 * @param intrinsics - pixels
 * @returns `out`
 */
export function projectPoint(out: vec2, point: ReadonlyVec3, intrinsics: Intrinsics): vec2 {
  const z = point[2]!;
  const px = (intrinsics.fx * point[0]!) / z + intrinsics.cx;
  const py = (intrinsics.fy * point[1]!) / z + intrinsics.cy;
  out[0] = px;
  out[1] = py;
  return out;
}

/**
 * Unprojects one pixel with its depth to a camera-frame point:
 * `X = (x - cx) Z / fx`, `Y = (y - cy) Z / fy`, `Z = depth`.
 *
 * No checks (a building block for loops).
 *
 * @param out - receives the point `(X, Y, Z)` in the unit of `depth`
 * @param pixel - pixel `(x, y)`
 * @param depth - z coordinate of the point (not the distance along the ray)
 * @param intrinsics - pixels
 * @returns `out`
 */
export function unprojectPoint(out: vec3, pixel: ReadonlyVec2, depth: number, intrinsics: Intrinsics): vec3 {
  const x = ((pixel[0]! - intrinsics.cx) * depth) / intrinsics.fx;
  const y = ((pixel[1]! - intrinsics.cy) * depth) / intrinsics.fy;
  out[0] = x;
  out[1] = y;
  out[2] = depth;
  return out;
}

/**
 * Projects interleaved camera-frame points to interleaved pixel coordinates, as
 * {@link projectPoint} for each point. Points with `Z <= 0` (or non-finite) get `NaN, NaN`.
 *
 * @param out - receives `n * 2` values (x, y per point); its length must be at least `n * 2`
 * @param points - `n * 3` values, camera frame
 * @param intrinsics - pixels
 * @returns `out`
 * @throws TypeError / RangeError for non-array arguments, a `points` length that is not a
 *   multiple of 3, a short `out`, or invalid intrinsics
 */
export function projectPoints<T extends FloatArray>(out: T, points: NumberArray, intrinsics: Intrinsics): T {
  const fn = 'projectPoints';
  assertFloatArray(fn, 'out', out);
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3, true);
  validateIntrinsics(intrinsics, fn);
  const n = points.length / 3;
  assertMinLength(fn, 'out', out, n * 2, 'points.length / 3 * 2');
  const { fx, fy, cx, cy } = intrinsics;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const z = points[j + 2]!;
    if (z > 0 && z < Infinity) {
      const inv = 1 / z;
      out[2 * i] = fx * points[j]! * inv + cx;
      out[2 * i + 1] = fy * points[j + 1]! * inv + cy;
    } else {
      out[2 * i] = Number.NaN;
      out[2 * i + 1] = Number.NaN;
    }
  }
  return out;
}

/** Options of {@link unprojectDepth}. */
export interface UnprojectDepthOptions {
  /** Take every `stride`-th column and row, starting at 0 (integer >= 1; default 1). */
  stride?: number;
  /** `width * height` values; pixels where it is 0 are skipped. */
  mask?: NumberArray;
  /**
   * Receives, for each point written, the index `y * width + x` of its pixel. Its length must be
   * at least the number of sampled pixels.
   */
  indices?: Uint32Array | Int32Array;
}

/**
 * Number of pixels {@link unprojectDepth} samples for an image size and stride:
 * `ceil(width / stride) * ceil(height / stride)`. Use it to size `out` (`3 *` this) and `indices`.
 *
 * @param width - image width, pixels
 * @param height - image height, pixels
 * @param stride - sampling stride (default 1)
 * @returns the number of sampled pixels
 */
export function sampledPixelCount(width: number, height: number, stride = 1): number {
  return Math.ceil(width / stride) * Math.ceil(height / stride);
}

/**
 * Unprojects a dense depth map (row-major `height x width`, depth = z in any unit) into
 * interleaved camera-frame xyz points, in row-major pixel order.
 *
 * Pixels whose depth is not finite or `<= 0` (the "no value" convention), or where `mask` is 0,
 * are skipped; the points written are packed at the start of `out`. The function returns how many
 * points it wrote; `out.subarray(0, 3 * count)` is the point cloud (a view).
 *
 * @param out - receives the points; length at least `3 * sampledPixelCount(width, height, stride)`
 * @param depth - `width * height` depth values
 * @param width - image width, pixels (integer >= 1)
 * @param height - image height, pixels (integer >= 1)
 * @param intrinsics - pixels of this image
 * @param options - `stride`, `mask`, `indices` (see {@link UnprojectDepthOptions})
 * @returns the number of points written
 * @throws TypeError for non-array arguments; RangeError when `depth.length !== width * height`,
 *   `out` or `indices` is too short, `mask` has the wrong length, the stride is not an integer
 *   >= 1 or the intrinsics are invalid
 */
export function unprojectDepth(
  out: FloatArray,
  depth: NumberArray,
  width: number,
  height: number,
  intrinsics: Intrinsics,
  options: UnprojectDepthOptions = {},
): number {
  const fn = 'unprojectDepth';
  assertFloatArray(fn, 'out', out);
  assertArray(fn, 'depth', depth);
  assertNumber(fn, 'width', width, { integer: true, min: 1 });
  assertNumber(fn, 'height', height, { integer: true, min: 1 });
  assertLength(fn, 'depth', depth, width * height, 'width * height');
  validateIntrinsics(intrinsics, fn);
  const stride = options.stride ?? 1;
  assertNumber(fn, 'options.stride', stride, { integer: true, min: 1 });
  const maxPoints = sampledPixelCount(width, height, stride);
  assertMinLength(fn, 'out', out, 3 * maxPoints, '3 * ceil(width / stride) * ceil(height / stride)');
  const mask = options.mask;
  if (mask !== undefined) {
    assertArray(fn, 'options.mask', mask);
    assertLength(fn, 'options.mask', mask, width * height, 'width * height');
  }
  const indices = options.indices;
  if (indices !== undefined) {
    if (!(indices instanceof Uint32Array || indices instanceof Int32Array)) {
      throw new TypeError(`${fn}: options.indices (${describe(indices)}) must be a Uint32Array or Int32Array`);
    }
    assertMinLength(fn, 'options.indices', indices, maxPoints, 'ceil(width / stride) * ceil(height / stride)');
  }

  const { fx, fy, cx, cy } = intrinsics;
  // Per-column factors (x - cx) / fx, computed once: the inner loop is two multiplies per point.
  const cols = Math.ceil(width / stride);
  const colFactor = new Float64Array(cols);
  for (let c = 0; c < cols; c++) colFactor[c] = (c * stride - cx) / fx;

  let count = 0;
  if (mask === undefined && indices === undefined && stride === 1) {
    // Common case (dense map, no mask): the tightest loop.
    let j = 0;
    for (let y = 0; y < height; y++) {
      const rowFactor = (y - cy) / fy;
      const rowStart = y * width;
      for (let x = 0; x < width; x++) {
        const z = depth[rowStart + x]!;
        if (!(z > 0 && z < Infinity)) continue;
        out[j] = colFactor[x]! * z;
        out[j + 1] = rowFactor * z;
        out[j + 2] = z;
        j += 3;
      }
    }
    return j / 3;
  }
  for (let y = 0; y < height; y += stride) {
    const rowFactor = (y - cy) / fy;
    const rowStart = y * width;
    for (let c = 0, x = 0; c < cols; c++, x += stride) {
      const p = rowStart + x;
      const z = depth[p]!;
      if (!(z > 0 && z < Infinity)) continue;
      if (mask !== undefined && mask[p] === 0) continue;
      const j = 3 * count;
      out[j] = colFactor[c]! * z;
      out[j + 1] = rowFactor * z;
      out[j + 2] = z;
      if (indices !== undefined) indices[count] = p;
      count++;
    }
  }
  return count;
}

/**
 * Converts a pixel `(x, y)` to normalised coordinates `u = x / (W - 1)`, `v = y / (H - 1)`.
 *
 * No checks (a building block for loops); `width` and `height` must be at least 2.
 *
 * @param out - receives `(u, v)`
 * @param pixel - `(x, y)`, pixels
 * @param width - image width, pixels
 * @param height - image height, pixels
 * @returns `out`
 */
export function pixelToNormalized(out: vec2, pixel: ReadonlyVec2, width: number, height: number): vec2 {
  const u = pixel[0]! / (width - 1);
  const v = pixel[1]! / (height - 1);
  out[0] = u;
  out[1] = v;
  return out;
}

/**
 * Converts normalised coordinates `(u, v)` to a pixel: `x = u (W - 1)`, `y = v (H - 1)`.
 *
 * No checks (a building block for loops).
 *
 * @param out - receives `(x, y)`, pixels
 * @param uv - `(u, v)`, in [0, 1] inside the image
 * @param width - image width, pixels
 * @param height - image height, pixels
 * @returns `out`
 */
export function normalizedToPixel(out: vec2, uv: ReadonlyVec2, width: number, height: number): vec2 {
  const x = uv[0]! * (width - 1);
  const y = uv[1]! * (height - 1);
  out[0] = x;
  out[1] = y;
  return out;
}

function checkBatch(fn: string, out: unknown, input: unknown, width: unknown, height: unknown): void {
  assertFloatArray(fn, 'out', out);
  assertArray(fn, 'input', input);
  assertGroups(fn, 'input', input, 2, true);
  assertMinLength(fn, 'out', out, input.length, 'input.length');
  assertNumber(fn, 'width', width, { integer: true, min: 2 });
  assertNumber(fn, 'height', height, { integer: true, min: 2 });
}

/**
 * Batch {@link pixelToNormalized} on interleaved `(x, y)` pairs; `out` may be `input`.
 *
 * @param out - receives interleaved `(u, v)`; length at least `input.length`
 * @param input - interleaved pixels
 * @param width - image width, pixels (integer >= 2)
 * @param height - image height, pixels (integer >= 2)
 * @returns `out`
 * @throws TypeError / RangeError for non-arrays, an odd `input` length, a short `out`, or sizes < 2
 */
export function pixelsToNormalized<T extends FloatArray>(out: T, input: NumberArray, width: number, height: number): T {
  checkBatch('pixelsToNormalized', out, input, width, height);
  const sx = 1 / (width - 1);
  const sy = 1 / (height - 1);
  for (let i = 0; i < input.length; i += 2) {
    out[i] = input[i]! * sx;
    out[i + 1] = input[i + 1]! * sy;
  }
  return out;
}

/**
 * Batch {@link normalizedToPixel} on interleaved `(u, v)` pairs; `out` may be `input`.
 *
 * @param out - receives interleaved pixels; length at least `input.length`
 * @param input - interleaved `(u, v)`
 * @param width - image width, pixels (integer >= 2)
 * @param height - image height, pixels (integer >= 2)
 * @returns `out`
 * @throws TypeError / RangeError for non-arrays, an odd `input` length, a short `out`, or sizes < 2
 */
export function normalizedToPixels<T extends FloatArray>(out: T, input: NumberArray, width: number, height: number): T {
  checkBatch('normalizedToPixels', out, input, width, height);
  const sx = width - 1;
  const sy = height - 1;
  for (let i = 0; i < input.length; i += 2) {
    out[i] = input[i]! * sx;
    out[i + 1] = input[i + 1]! * sy;
  }
  return out;
}
