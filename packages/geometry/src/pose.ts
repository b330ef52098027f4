/**
 * Camera poses: composition, inversion, relative poses, point transforms, row-major conversion
 * and the TUM trajectory text format.
 *
 * Conventions (stated once for the module):
 * - A pose is a camera-to-world 4x4 matrix, a gl-matrix `mat4`: column-major (`m[12], m[13], m[14]`
 *   is the translation, which is also the camera centre in world coordinates) and post-multiplied
 *   (`p_world = M p_camera`). The SDK stores poses as `Float32Array(16)`; every function here also
 *   accepts `Float64Array` or `number[]`, and `parseTum` returns `Float64Array` poses (evaluation
 *   keeps the file's precision).
 * - Camera axes as OpenCV: x right, y down, z forward.
 * - Rigid poses have an orthonormal rotation block; functions that say so also accept similarity
 *   transforms (`s R`, uniform scale).
 * - Quaternions are gl-matrix `quat` order `[x, y, z, w]`, like TUM's `qx qy qz qw`.
 *
 * @packageDocumentation
 */

import { mat4, quat } from 'gl-matrix';
import type { mat3, ReadonlyMat4, vec3 } from 'gl-matrix';
import type { FloatArray, NumberArray } from './types.js';
import {
  assertArray,
  assertFloatArray,
  assertGroups,
  assertLength,
  assertMat4,
  assertMinLength,
  describe,
} from './validate.js';

const scratch = new Float64Array(16);

/**
 * Composes two transforms: `out = a * b` (apply `b` first, then `a`). If `b` is the pose of camera
 * 2 in camera 1's frame and `a` is camera 1's camera-to-world pose, `out` is camera 2's
 * camera-to-world pose.
 *
 * Works when `out` is `a` or `b`.
 *
 * @param out - receives the product
 * @param a - left transform
 * @param b - right transform
 * @returns `out`
 */
export function composePoses(out: mat4, a: ReadonlyMat4, b: ReadonlyMat4): mat4 {
  return mat4.multiply(out, a, b);
}

/**
 * Inverts a rigid or similarity transform in closed form: for `M = [A | t]` with `A = s R`,
 * `M^-1 = [A^T / s^2 | -A^T t / s^2]` (exact for orthonormal `R`, no general 4x4 inversion).
 * For a general affine matrix use gl-matrix `mat4.invert`.
 *
 * Works when `out` is `pose`.
 *
 * @param out - receives the inverse
 * @param pose - rigid (or uniformly scaled) transform, e.g. camera-to-world
 * @returns `out` (world-to-camera when `pose` is camera-to-world)
 */
export function invertPose(out: mat4, pose: ReadonlyMat4): mat4 {
  const a00 = pose[0]!, a01 = pose[1]!, a02 = pose[2]!;
  const a10 = pose[4]!, a11 = pose[5]!, a12 = pose[6]!;
  const a20 = pose[8]!, a21 = pose[9]!, a22 = pose[10]!;
  const tx = pose[12]!, ty = pose[13]!, tz = pose[14]!;
  const s2 = a00 * a00 + a01 * a01 + a02 * a02;
  const k = s2 > 0 ? 1 / s2 : 1;
  // Transposed (and divided by s^2) rotation block: column j of the inverse is row j of A.
  const b00 = a00 * k, b01 = a10 * k, b02 = a20 * k;
  const b10 = a01 * k, b11 = a11 * k, b12 = a21 * k;
  const b20 = a02 * k, b21 = a12 * k, b22 = a22 * k;
  out[0] = b00; out[1] = b01; out[2] = b02; out[3] = 0;
  out[4] = b10; out[5] = b11; out[6] = b12; out[7] = 0;
  out[8] = b20; out[9] = b21; out[10] = b22; out[11] = 0;
  out[12] = -(b00 * tx + b10 * ty + b20 * tz);
  out[13] = -(b01 * tx + b11 * ty + b21 * tz);
  out[14] = -(b02 * tx + b12 * ty + b22 * tz);
  out[15] = 1;
  return out;
}

/**
 * Relative pose of `b` in `a`'s frame: `out = a^-1 * b`. With camera-to-world poses, `out` maps
 * points from camera `b` into camera `a` (it is camera `b`'s pose seen from camera `a`).
 *
 * Works when `out` is `a` or `b`. `a` must be rigid or a similarity (see {@link invertPose}).
 *
 * @param out - receives the relative pose
 * @param a - reference pose
 * @param b - pose to express in `a`'s frame
 * @returns `out`
 */
export function relativePose(out: mat4, a: ReadonlyMat4, b: ReadonlyMat4): mat4 {
  invertPose(scratch, a);
  return mat4.multiply(out, scratch, b);
}

/**
 * Applies a similarity transform of the world, `T = [s R_T | t_T]`, to a camera-to-world pose:
 * the camera centre moves to `T(c)` and the orientation becomes `R_T R` (the scale is removed
 * from the rotation, so a rigid pose stays rigid). This is how an aligned trajectory is drawn
 * after a Sim(3) fit (and what evo does with `correct_scale`).
 *
 * Works when `out` is `pose` or `transform`.
 *
 * @param out - receives the moved pose
 * @param transform - similarity `s R_T` / `t_T` as a mat4 (e.g. `umeyama(...).matrix`)
 * @param pose - rigid camera-to-world pose
 * @returns `out`
 */
export function transformPose(out: mat4, transform: ReadonlyMat4, pose: ReadonlyMat4): mat4 {
  const s = Math.hypot(transform[0]!, transform[1]!, transform[2]!);
  const k = s > 0 ? 1 / s : 1;
  const t00 = transform[0]!, t01 = transform[1]!, t02 = transform[2]!;
  const t10 = transform[4]!, t11 = transform[5]!, t12 = transform[6]!;
  const t20 = transform[8]!, t21 = transform[9]!, t22 = transform[10]!;
  const tx = transform[12]!, ty = transform[13]!, tz = transform[14]!;
  const px = pose[12]!, py = pose[13]!, pz = pose[14]!;
  for (let c = 0; c < 3; c++) {
    const r0 = pose[4 * c]!, r1 = pose[4 * c + 1]!, r2 = pose[4 * c + 2]!;
    scratch[4 * c] = (t00 * r0 + t10 * r1 + t20 * r2) * k;
    scratch[4 * c + 1] = (t01 * r0 + t11 * r1 + t21 * r2) * k;
    scratch[4 * c + 2] = (t02 * r0 + t12 * r1 + t22 * r2) * k;
  }
  scratch[12] = t00 * px + t10 * py + t20 * pz + tx;
  scratch[13] = t01 * px + t11 * py + t21 * pz + ty;
  scratch[14] = t02 * px + t12 * py + t22 * pz + tz;
  for (let i = 0; i < 15; i++) if ((i & 3) !== 3) out[i] = scratch[i]!;
  out[3] = 0;
  out[7] = 0;
  out[11] = 0;
  out[15] = 1;
  return out;
}

/**
 * Camera centre of a camera-to-world pose (its translation column), in world coordinates.
 *
 * @param out - receives `(x, y, z)`
 * @param pose - camera-to-world pose
 * @returns `out`
 */
export function cameraCenter(out: vec3, pose: ReadonlyMat4): vec3 {
  out[0] = pose[12]!;
  out[1] = pose[13]!;
  out[2] = pose[14]!;
  return out;
}

/**
 * Rotation block of a pose as a gl-matrix `mat3` (column-major), copied as is (a similarity keeps
 * its scale).
 *
 * @param out - receives the 3x3 block
 * @param pose - 4x4 transform
 * @returns `out`
 */
export function poseRotation(out: mat3, pose: ReadonlyMat4): mat3 {
  out[0] = pose[0]!; out[1] = pose[1]!; out[2] = pose[2]!;
  out[3] = pose[4]!; out[4] = pose[5]!; out[5] = pose[6]!;
  out[6] = pose[8]!; out[7] = pose[9]!; out[8] = pose[10]!;
  return out;
}

/**
 * Transforms interleaved xyz points by an affine 4x4 matrix (`p' = A p + t`; the last row is
 * ignored). With a camera-to-world pose this moves camera-frame points into the world.
 *
 * Works in place (`out` may be `points`).
 *
 * @param out - receives `points.length` values; length at least `points.length`
 * @param pose - the transform (rigid, similarity or affine)
 * @param points - interleaved xyz
 * @returns `out`
 * @throws TypeError for non-array arguments; RangeError when `points.length` is not a multiple
 *   of 3, `out` is too short or `pose` is not 16 finite numbers
 */
export function transformPoints<T extends FloatArray>(out: T, pose: ReadonlyMat4, points: NumberArray): T {
  const fn = 'transformPoints';
  assertFloatArray(fn, 'out', out);
  assertMat4(fn, 'pose', pose);
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3, true);
  assertMinLength(fn, 'out', out, points.length, 'points.length');
  const m0 = pose[0]!, m1 = pose[1]!, m2 = pose[2]!;
  const m4 = pose[4]!, m5 = pose[5]!, m6 = pose[6]!;
  const m8 = pose[8]!, m9 = pose[9]!, m10 = pose[10]!;
  const m12 = pose[12]!, m13 = pose[13]!, m14 = pose[14]!;
  const n = points.length;
  for (let i = 0; i < n; i += 3) {
    const x = points[i]!;
    const y = points[i + 1]!;
    const z = points[i + 2]!;
    out[i] = m0 * x + m4 * y + m8 * z + m12;
    out[i + 1] = m1 * x + m5 * y + m9 * z + m13;
    out[i + 2] = m2 * x + m6 * y + m10 * z + m14;
  }
  return out;
}

/**
 * Reads a row-major 4x4 matrix (as in JSON and text files: `rows[r][c]`, or 16 numbers row by row)
 * into a column-major gl-matrix `mat4`.
 *
 * @param out - receives the matrix
 * @param rows - nested `4 x 4` array, or a flat array of 16 numbers in row-major order
 * @returns `out`
 * @throws TypeError when `rows` is not an array; RangeError when its shape is not 4x4 / 16 or an
 *   entry is not finite
 */
export function poseFromRowMajor(out: mat4, rows: ReadonlyArray<ArrayLike<number>> | NumberArray): mat4 {
  const fn = 'poseFromRowMajor';
  if (!Array.isArray(rows) && !ArrayBuffer.isView(rows)) {
    throw new TypeError(`${fn}: rows (${describe(rows)}) must be a 4x4 nested array or 16 numbers in row-major order`);
  }
  const first = (rows as ArrayLike<unknown>)[0];
  if (Array.isArray(rows) && (Array.isArray(first) || ArrayBuffer.isView(first))) {
    const nested = rows as ReadonlyArray<ArrayLike<number>>;
    if (nested.length !== 4) throw new RangeError(`${fn}: rows.length (${nested.length}) must equal 4 (a 4x4 matrix)`);
    for (let r = 0; r < 4; r++) {
      const row = nested[r];
      assertArray(fn, `rows[${r}]`, row);
      assertLength(fn, `rows[${r}]`, row, 4, '4 (columns)');
      for (let c = 0; c < 4; c++) {
        const v = row[c]!;
        if (!Number.isFinite(v)) throw new RangeError(`${fn}: rows[${r}][${c}] (${describe(v)}) must be finite`);
        scratch[4 * c + r] = v;
      }
    }
  } else {
    const flat = rows as NumberArray;
    assertArray(fn, 'rows', flat);
    assertLength(fn, 'rows', flat, 16, '16 (a flat row-major 4x4 matrix)');
    for (let i = 0; i < 16; i++) {
      const v = flat[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`${fn}: rows[${i}] (${describe(v)}) must be finite`);
      scratch[4 * (i % 4) + (i >> 2)] = v;
    }
  }
  for (let i = 0; i < 16; i++) out[i] = scratch[i]!;
  return out;
}

/**
 * Writes a column-major `mat4` as a new row-major nested array `rows[r][c]` (for JSON).
 *
 * @param pose - the matrix
 * @returns a new `number[][]` (a copy)
 */
export function poseToRowMajor(pose: ReadonlyMat4): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < 4; r++) rows.push([pose[r]!, pose[4 + r]!, pose[8 + r]!, pose[12 + r]!]);
  return rows;
}

/**
 * Writes a column-major `mat4` as 16 numbers in row-major order (its transpose). Works when `out`
 * is `pose`.
 *
 * @param out - receives 16 numbers
 * @param pose - the matrix
 * @returns `out`
 */
export function poseToRowMajorFlat<T extends FloatArray | number[]>(out: T, pose: ReadonlyMat4): T {
  for (let i = 0; i < 16; i++) scratch[i] = pose[i]!;
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) out[4 * r + c] = scratch[4 * c + r]!;
  return out;
}

/** A camera trajectory: one timestamp and one camera-to-world pose per frame. */
export interface Trajectory {
  /** One timestamp per pose (seconds in TUM files; any unit). */
  timestamps: Float64Array;
  /**
   * Camera-to-world poses, column-major `Float64Array(16)` each: float64 rather than the SDK's
   * `Float32Array` storage, so that a trajectory read for evaluation keeps the file's precision
   * (float32 moves metre-scale positions by ~1e-7 m, and metrics by ~1e-6 relative).
   */
  poses: Float64Array[];
}

/**
 * Parses a trajectory in the TUM RGB-D text format: one pose per line,
 * `timestamp tx ty tz qx qy qz qw` (camera-to-world translation and unit quaternion), separated
 * by spaces or tabs. Blank lines and lines starting with `#` are skipped. Quaternions are
 * normalised. Poses are float64 (`Float64Array(16)`), so evaluation sees the values as written.
 *
 * @param text - the file content
 * @returns a new {@link Trajectory} (copies; float64 poses)
 * @throws TypeError when `text` is not a string; RangeError naming the line when a line does not
 *   have 8 numbers, a value is not finite or a quaternion has zero norm
 */
export function parseTum(text: string): Trajectory {
  const fn = 'parseTum';
  if (typeof text !== 'string') throw new TypeError(`${fn}: text (${describe(text)}) must be a string`);
  const timestamps: number[] = [];
  const poses: Float64Array[] = [];
  const q = new Float64Array(4);
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/[\s,]+/);
    if (parts.length !== 8) {
      throw new RangeError(
        `${fn}: line ${l + 1} has ${parts.length} values ("${line.slice(0, 60)}"); expected 8: timestamp tx ty tz qx qy qz qw`,
      );
    }
    const v = parts.map(Number);
    for (let i = 0; i < 8; i++) {
      if (!Number.isFinite(v[i]!)) throw new RangeError(`${fn}: line ${l + 1} value ${i + 1} ("${parts[i]}") must be a finite number`);
    }
    const norm = Math.hypot(v[4]!, v[5]!, v[6]!, v[7]!);
    if (!(norm > 0)) throw new RangeError(`${fn}: line ${l + 1} quaternion (0, 0, 0, 0) must have a non-zero norm`);
    q[0] = v[4]! / norm;
    q[1] = v[5]! / norm;
    q[2] = v[6]! / norm;
    q[3] = v[7]! / norm;
    const pose = new Float64Array(16);
    mat4.fromRotationTranslation(pose, q, [v[1]!, v[2]!, v[3]!]);
    timestamps.push(v[0]!);
    poses.push(pose);
  }
  return { timestamps: Float64Array.from(timestamps), poses };
}

function formatNumber(x: number): string {
  // 9 significant digits round-trip float32 exactly; Number() drops trailing zeros.
  return String(Number(x.toPrecision(9)));
}

/**
 * Formats a trajectory in the TUM RGB-D text format, one line `timestamp tx ty tz qx qy qz qw` per
 * pose (quaternion with `qw >= 0`; values with 9 significant digits, which round-trips float32).
 *
 * @param trajectory - `timestamps` and camera-to-world `poses` of the same length (rigid poses)
 * @returns the text, each line ending with `\n`
 * @throws TypeError / RangeError when the lengths differ or a pose is not 16 finite numbers
 */
export function formatTum(trajectory: { timestamps: NumberArray; poses: readonly ReadonlyMat4[] }): string {
  const fn = 'formatTum';
  const { timestamps, poses } = trajectory;
  assertArray(fn, 'trajectory.timestamps', timestamps);
  if (!Array.isArray(poses)) throw new TypeError(`${fn}: trajectory.poses (${describe(poses)}) must be an array of mat4`);
  if (poses.length !== timestamps.length) {
    throw new RangeError(`${fn}: trajectory.poses.length (${poses.length}) must equal trajectory.timestamps.length (${timestamps.length})`);
  }
  const r = new Float64Array(9);
  const q = new Float64Array(4);
  let text = '';
  for (let i = 0; i < poses.length; i++) {
    const pose = poses[i]!;
    assertMat4(fn, `trajectory.poses[${i}]`, pose);
    poseRotation(r, pose);
    quat.fromMat3(q, r);
    quat.normalize(q, q);
    if (q[3]! < 0) for (let k = 0; k < 4; k++) q[k] = -q[k]!;
    const values = [pose[12]!, pose[13]!, pose[14]!, q[0]!, q[1]!, q[2]!, q[3]!].map(formatNumber);
    text += `${String(timestamps[i]!)} ${values.join(' ')}\n`;
  }
  return text;
}

/**
 * Camera centres of a list of camera-to-world poses, interleaved xyz (world coordinates).
 *
 * @param out - receives `3 * poses.length` values
 * @param poses - camera-to-world poses
 * @returns `out`
 * @throws TypeError / RangeError when `out` is too short or a pose is not 16 finite numbers
 */
export function cameraCenters<T extends FloatArray>(out: T, poses: readonly ReadonlyMat4[]): T {
  const fn = 'cameraCenters';
  assertFloatArray(fn, 'out', out);
  if (!Array.isArray(poses)) throw new TypeError(`${fn}: poses (${describe(poses)}) must be an array of mat4`);
  assertMinLength(fn, 'out', out, 3 * poses.length, '3 * poses.length');
  for (let i = 0; i < poses.length; i++) {
    const p = poses[i]!;
    assertMat4(fn, `poses[${i}]`, p);
    out[3 * i] = p[12]!;
    out[3 * i + 1] = p[13]!;
    out[3 * i + 2] = p[14]!;
  }
  return out;
}
