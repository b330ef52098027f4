/**
 * Camera frustums as line segments, for drawing camera poses next to a point cloud.
 *
 * Conventions as everywhere in d4rt-js: poses are camera-to-world `mat4`s (column-major,
 * post-multiplied), camera axes are OpenCV's (x right, y down, z forward), intrinsics
 * `{ fx, fy, cx, cy }` are in pixels with pixel centres at integers, so the image covers
 * `[-0.5, W - 0.5] x [-0.5, H - 0.5]`.
 *
 * @packageDocumentation
 */

import { validateIntrinsics, type Intrinsics } from '@d4rt/geometry';
import { boundsUnchecked } from './robust-bounds.js';
import { assertArray, assertLength, assertNumber, assertObject, describe } from './validate.js';

/** Options of {@link frustumLines}. */
export interface FrustumLinesOptions {
  /** Camera-to-world per camera (`mat4`, column-major, 16 numbers each). */
  cameraToWorld: readonly ArrayLike<number>[];
  /** Intrinsics per camera, in pixels of a `width x height` image (same count as `cameraToWorld`). */
  intrinsics: readonly Intrinsics[];
  /** Image width in pixels (> 0). */
  width: number;
  /** Image height in pixels (> 0). */
  height: number;
  /** Display scale: the depth (camera z) of the far rectangle, world units (> 0); default 1. */
  scale?: number;
  /** Add a triangle above the image's top edge, so the camera's up is visible; default true. */
  up?: boolean;
}

/** Vertices per camera: 8 segments (4 from the apex to the far corners, 4 far edges), plus 3 for the up triangle. */
const BASE_VERTICES = 16;
const UP_VERTICES = 6;

/**
 * Line-segment vertices of camera frustums (draw them as `gl.LINES`: vertices `2k, 2k + 1` are
 * segment `k`).
 *
 * Per camera, in this order: the 4 segments from the camera centre (the apex, the translation of
 * `cameraToWorld`) to the far corners, then the 4 edges of the far rectangle; the far corners are
 * the image corners `(-0.5, -0.5)`, `(W - 0.5, -0.5)`, `(W - 0.5, H - 0.5)`, `(-0.5, H - 0.5)`
 * (top-left, top-right, bottom-right, bottom-left) unprojected to depth `scale`, so they project
 * back onto the image corners. With `up` (default), 3 more segments: a triangle standing on the
 * middle 40 % of the top edge, `0.2 W` pixels high, pointing to the camera's up (`-y`), at the same
 * depth. So each camera has 22 vertices (16 without `up`), at `camera * 22 * 3` in the result.
 *
 * A pose with non-finite entries (cameras whose fit failed are NaN-filled) gives non-finite
 * vertices in its slots: the layout does not depend on the values. Drop those segments before
 * computing bounds.
 *
 * Returns a **new** `Float32Array(cameras * 22 * 3)` (or `* 16 * 3`): interleaved xyz pairs, world
 * coordinates.
 *
 * @param options - poses, intrinsics, image size, scale, up marker
 * @returns the vertices
 * @throws TypeError for arguments of the wrong type; RangeError when the counts differ, a pose is
 *   not 16 numbers, intrinsics are invalid or a size or the scale is not > 0
 */
export function frustumLines(options: FrustumLinesOptions): Float32Array {
  return frustumLinesFor('frustumLines', 'options', options);
}

/**
 * {@link frustumLines} with the caller's names in the error messages (internal).
 *
 * @param fn - name of the public function
 * @param prefix - name of the options argument, e.g. `'cameras'`
 * @param options - as {@link frustumLines}
 * @returns the vertices
 */
export function frustumLinesFor(fn: string, prefix: string, options: FrustumLinesOptions): Float32Array {
  const opts: unknown = options;
  assertObject(fn, prefix, opts);
  const { cameraToWorld, intrinsics, width, height, scale = 1, up = true } = options;
  if (!Array.isArray(cameraToWorld)) throw new TypeError(`${fn}: ${prefix}.cameraToWorld (${describe(cameraToWorld)}) must be an array of 4x4 matrices`);
  if (!Array.isArray(intrinsics)) throw new TypeError(`${fn}: ${prefix}.intrinsics (${describe(intrinsics)}) must be an array of { fx, fy, cx, cy }`);
  if (intrinsics.length !== cameraToWorld.length) {
    throw new RangeError(`${fn}: ${prefix}.intrinsics.length (${intrinsics.length}) must equal ${prefix}.cameraToWorld.length (${cameraToWorld.length})`);
  }
  assertNumber(fn, `${prefix}.width`, width, { min: 0, exclusiveMin: true });
  assertNumber(fn, `${prefix}.height`, height, { min: 0, exclusiveMin: true });
  assertNumber(fn, `${prefix}.scale`, scale, { min: 0, exclusiveMin: true });
  if (typeof up !== 'boolean') throw new TypeError(`${fn}: ${prefix}.up (${describe(up)}) must be a boolean`);
  for (let c = 0; c < cameraToWorld.length; c++) {
    assertArray(fn, `${prefix}.cameraToWorld[${c}]`, cameraToWorld[c]);
    assertLength(fn, `${prefix}.cameraToWorld[${c}]`, cameraToWorld[c]!, 16, '16 (a 4x4 matrix)');
    validateIntrinsics(intrinsics[c], fn, `${prefix}.intrinsics[${c}]`);
  }

  const per = BASE_VERTICES + (up ? UP_VERTICES : 0);
  const out = new Float32Array(cameraToWorld.length * per * 3);
  const x0 = -0.5, x1 = width - 0.5, y0 = -0.5, y1 = height - 0.5;
  // Pixel corners: top-left, top-right, bottom-right, bottom-left; then the up triangle.
  const pixels = [x0, y0, x1, y0, x1, y1, x0, y1, x0 + 0.3 * width, y0, x0 + 0.7 * width, y0, x0 + 0.5 * width, y0 - 0.2 * width];
  const corners = new Float64Array(pixels.length / 2 * 3);
  const apex = new Float64Array(3);
  for (let c = 0; c < cameraToWorld.length; c++) {
    const m = cameraToWorld[c]!;
    const { fx, fy, cx, cy } = intrinsics[c]!;
    apex[0] = m[12]!;
    apex[1] = m[13]!;
    apex[2] = m[14]!;
    for (let k = 0; k < pixels.length / 2; k++) {
      // Unproject at depth `scale`, then camera -> world.
      const X = ((pixels[2 * k]! - cx) / fx) * scale;
      const Y = ((pixels[2 * k + 1]! - cy) / fy) * scale;
      const Z = scale;
      corners[3 * k] = m[0]! * X + m[4]! * Y + m[8]! * Z + m[12]!;
      corners[3 * k + 1] = m[1]! * X + m[5]! * Y + m[9]! * Z + m[13]!;
      corners[3 * k + 2] = m[2]! * X + m[6]! * Y + m[10]! * Z + m[14]!;
    }
    let o = c * per * 3;
    const put = (src: Float64Array, k: number): void => {
      out[o++] = src[3 * k]!;
      out[o++] = src[3 * k + 1]!;
      out[o++] = src[3 * k + 2]!;
    };
    for (let k = 0; k < 4; k++) {
      put(apex, 0);
      put(corners, k);
    }
    for (let k = 0; k < 4; k++) {
      put(corners, k);
      put(corners, (k + 1) % 4);
    }
    if (up) {
      for (const [a, b] of [[4, 6], [6, 5], [5, 4]] as const) {
        put(corners, a);
        put(corners, b);
      }
    }
  }
  return out;
}

/**
 * The frustum depth used when none is given (internal; shared by the renderer and the glTF exporter): a tenth of
 * the point cloud's robust radius ({@link robustBounds}, 2nd to 98th percentiles); without a
 * cloud, a quarter of the radius of the camera centres' bounding box; else 0.1.
 *
 * @param positions - the cloud's interleaved xyz, or null
 * @param cameraToWorld - the poses
 * @returns the scale (> 0)
 */
export function defaultFrustumScale(positions: ArrayLike<number> | null, cameraToWorld: readonly ArrayLike<number>[]): number {
  if (positions !== null && positions.length > 0) {
    const bounds = boundsUnchecked(positions, [2, 98]);
    if (bounds !== null && bounds.radius > 0) return 0.1 * bounds.radius;
  }
  if (cameraToWorld.length > 1) {
    const centres = new Float64Array(cameraToWorld.length * 3);
    cameraToWorld.forEach((m, i) => centres.set([m[12]!, m[13]!, m[14]!], 3 * i));
    const bounds = boundsUnchecked(centres, [0, 100]);
    if (bounds !== null && bounds.radius > 1e-6) return 0.25 * bounds.radius;
  }
  return 0.1;
}
