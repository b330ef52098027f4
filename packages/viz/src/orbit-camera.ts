/**
 * An orbit camera for 3D views of D4RT results: pure math, no DOM, no GPU.
 *
 * The camera orbits a `target` at `distance`, turned by `yaw` (about the world's vertical axis) and
 * `pitch` (up / down), with a vertical field of view `fov`. Conventions:
 *
 * - The world is OpenCV's, as everywhere in d4rt-js: x right, y down, z forward, world = the camera
 *   of frame 0. So "up" is `-y`. At `yaw = pitch = 0` the camera looks along `+z` with `+x` to the
 *   right of the screen and `+y` down it: the view of the first camera. The default camera
 *   (target `(0, 0, 1)`, distance 1) *is* the first camera (eye at the origin).
 * - `yaw > 0` turns the viewing direction from `+z` towards `+x`; `pitch > 0` raises the eye above the
 *   target (towards `-y`), looking down. Viewing direction `f = (sin yaw cos pitch, sin pitch,
 *   cos yaw cos pitch)`, eye `= target - distance f`.
 * - Matrices are gl-matrix `mat4`s: column-major, post-multiplied (`p' = M p`). `viewMatrix` maps
 *   the world to OpenGL eye coordinates (x right, y up, z backwards) and `projectionMatrix` is the
 *   OpenGL perspective (clip z in `[-w, w]`), so `projection * view` is what a WebGL vertex shader
 *   wants.
 * - Angles are radians.
 *
 * @packageDocumentation
 */

import { assertPercentiles, boundsUnchecked } from './robust-bounds.js';
import { assertArray, assertGroups, assertLength, assertNumber, assertObject, describe } from './validate.js';

/** A 4x4 matrix or 3-vector to write into (gl-matrix compatible). */
export type MatrixOut = Float32Array | Float64Array | number[];

/** Options of the {@link OrbitCamera} constructor. */
export interface OrbitCameraOptions {
  /** The point orbited, world coordinates; default `[0, 0, 1]` (so the default eye is the origin). */
  target?: ArrayLike<number>;
  /** Distance from the eye to the target (> 0); default 1. */
  distance?: number;
  /** Turn about the vertical axis, radians; default 0 (looking along `+z`). */
  yaw?: number;
  /** Elevation, radians, clamped to `[-maxPitch, maxPitch]`; default 0. */
  pitch?: number;
  /** Vertical field of view, radians, in (0, pi); default 50 degrees. */
  fov?: number;
  /** Largest `|pitch|`, radians, in [0, pi / 2); default `pi / 2 - 0.01`. */
  maxPitch?: number;
  /** Size of the scene (> 0), used for the clip planes and zoom limits; default 1. {@link OrbitCamera.frameBounds} sets it. */
  radius?: number;
}

/** Options of {@link OrbitCamera.frameBounds}. */
export interface FrameBoundsOptions {
  /** Lower and upper percentile (0..100) of each coordinate that bound the framed box; default `[2, 98]`. */
  percentiles?: readonly [number, number];
  /** Width / height of the viewport the view must fit (> 0); default 1. */
  aspect?: number;
  /** Extra room around the box (>= 1: 1 = the box just fits); default 1.1. */
  margin?: number;
}

const DEFAULT_FOV = (50 * Math.PI) / 180;
const DEFAULT_MAX_PITCH = Math.PI / 2 - 0.01;
/** At most this many points are looked at by `frameBounds` (an even stride through the cloud). */
const FRAME_SAMPLE = 1 << 17;

/**
 * An orbit camera (target, distance, yaw, pitch, field of view) producing view and projection
 * matrices for the OpenCV-convention world of d4rt-js (see the module notes).
 *
 * Fields can be set directly; `pitch` is clamped on every write, `distance` must stay > 0.
 * The methods that change the camera return `this`.
 */
export class OrbitCamera {
  /** The point orbited, world coordinates. A live view: write into it to move the target. */
  readonly target: Float64Array;
  /** Distance from the eye to the target (> 0). */
  distance: number;
  /** Turn about the vertical axis, radians. */
  yaw: number;
  /** Vertical field of view, radians. */
  fov: number;
  /** Largest `|pitch|`, radians. */
  maxPitch: number;
  /** Size of the scene, for the clip planes and zoom limits. */
  radius: number;
  #pitch = 0;

  /**
   * @param options - the initial pose and lens; every field optional
   * @throws TypeError for options of the wrong type; RangeError for values out of range
   */
  constructor(options: OrbitCameraOptions = {}) {
    const fn = 'OrbitCamera';
    assertObject(fn, 'options', options);
    const { target = [0, 0, 1], distance = 1, yaw = 0, pitch = 0, fov = DEFAULT_FOV, maxPitch = DEFAULT_MAX_PITCH, radius = 1 } = options;
    assertArray(fn, 'options.target', target);
    assertLength(fn, 'options.target', target, 3, '3 (x, y, z)');
    for (let i = 0; i < 3; i++) assertNumber(fn, `options.target[${i}]`, target[i]);
    assertNumber(fn, 'options.distance', distance, { min: 0, exclusiveMin: true });
    assertNumber(fn, 'options.yaw', yaw);
    assertNumber(fn, 'options.pitch', pitch);
    assertNumber(fn, 'options.fov', fov, { min: 0, exclusiveMin: true, max: Math.PI - 1e-6 });
    assertNumber(fn, 'options.maxPitch', maxPitch, { min: 0, max: Math.PI / 2 - 1e-6 });
    assertNumber(fn, 'options.radius', radius, { min: 0, exclusiveMin: true });
    this.target = Float64Array.from(target);
    this.distance = distance;
    this.yaw = yaw;
    this.fov = fov;
    this.maxPitch = maxPitch;
    this.radius = radius;
    this.pitch = pitch;
  }

  /** Elevation, radians; writes are clamped to `[-maxPitch, maxPitch]`. */
  get pitch(): number {
    return this.#pitch;
  }

  set pitch(value: number) {
    this.#pitch = Math.max(-this.maxPitch, Math.min(this.maxPitch, value));
  }

  /** Near clip distance: `distance / 100`. */
  get near(): number {
    return this.distance / 100;
  }

  /** Far clip distance: `max(100 distance, distance + 10 radius)`. */
  get far(): number {
    return Math.max(100 * this.distance, this.distance + 10 * this.radius);
  }

  /**
   * The viewing direction (unit), world coordinates: `(sin yaw cos pitch, sin pitch, cos yaw cos pitch)`.
   *
   * @param out - receives the direction (length >= 3)
   * @returns `out`
   */
  forward<T extends MatrixOut>(out: T): T {
    const cp = Math.cos(this.#pitch);
    out[0] = Math.sin(this.yaw) * cp;
    out[1] = Math.sin(this.#pitch);
    out[2] = Math.cos(this.yaw) * cp;
    return out;
  }

  /**
   * The eye position, world coordinates: `target - distance * forward`.
   *
   * @param out - receives the position (length >= 3)
   * @returns `out`
   */
  eye<T extends MatrixOut>(out: T): T {
    this.forward(out);
    for (let i = 0; i < 3; i++) out[i] = this.target[i]! - this.distance * out[i]!;
    return out;
  }

  /**
   * The world-to-eye matrix (OpenGL eye axes: x right, y up, z backwards; column-major).
   * Its rows are the screen-right axis `r = (cos yaw, 0, -sin yaw)`, the screen-up axis `-d` with
   * `d = f x r` (screen-down, OpenCV's y) and `-f`, and it maps the eye to the origin.
   *
   * @param out - receives the matrix (length 16); written, not read
   * @returns `out`
   * @throws TypeError / RangeError when `out` is not an array of length 16
   */
  viewMatrix<T extends MatrixOut>(out: T): T {
    checkOut('OrbitCamera.viewMatrix', out);
    const cy = Math.cos(this.yaw);
    const sy = Math.sin(this.yaw);
    const cp = Math.cos(this.#pitch);
    const sp = Math.sin(this.#pitch);
    // forward f, right r, down d = f x r
    const f0 = sy * cp, f1 = sp, f2 = cy * cp;
    const r0 = cy, r1 = 0, r2 = -sy;
    const d0 = f1 * r2 - f2 * r1, d1 = f2 * r0 - f0 * r2, d2 = f0 * r1 - f1 * r0;
    const t = this.target;
    const e0 = t[0]! - this.distance * f0, e1 = t[1]! - this.distance * f1, e2 = t[2]! - this.distance * f2;
    out[0] = r0; out[4] = r1; out[8] = r2; out[12] = -(r0 * e0 + r1 * e1 + r2 * e2);
    out[1] = -d0; out[5] = -d1; out[9] = -d2; out[13] = d0 * e0 + d1 * e1 + d2 * e2;
    out[2] = -f0; out[6] = -f1; out[10] = -f2; out[14] = f0 * e0 + f1 * e1 + f2 * e2;
    out[3] = 0; out[7] = 0; out[11] = 0; out[15] = 1;
    return out;
  }

  /**
   * The OpenGL perspective projection (column-major) for this `fov` and the {@link near} and
   * {@link far} planes; as gl-matrix `mat4.perspective`.
   *
   * @param out - receives the matrix (length 16); written, not read
   * @param aspect - viewport width / height (> 0)
   * @returns `out`
   * @throws TypeError / RangeError when `out` is not an array of length 16 or `aspect` is not > 0
   */
  projectionMatrix<T extends MatrixOut>(out: T, aspect: number): T {
    const fn = 'OrbitCamera.projectionMatrix';
    checkOut(fn, out);
    assertNumber(fn, 'aspect', aspect, { min: 0, exclusiveMin: true });
    const f = 1 / Math.tan(this.fov / 2);
    const near = this.near;
    const far = this.far;
    const nf = 1 / (near - far);
    out.fill(0);
    out[0] = f / aspect;
    out[5] = f;
    out[10] = (far + near) * nf;
    out[11] = -1;
    out[14] = 2 * far * near * nf;
    return out;
  }

  /**
   * Turns the camera about the target: `yaw += dYaw`, `pitch += dPitch` (then clamped).
   *
   * @param dYaw - radians; > 0 turns the view towards `+x` (the eye moves left)
   * @param dPitch - radians; > 0 raises the eye (looks down more)
   * @returns `this`
   * @throws TypeError / RangeError when an angle is not a finite number
   */
  rotate(dYaw: number, dPitch: number): this {
    const fn = 'OrbitCamera.rotate';
    assertNumber(fn, 'dYaw', dYaw);
    assertNumber(fn, 'dPitch', dPitch);
    this.yaw += dYaw;
    this.pitch = this.#pitch + dPitch;
    return this;
  }

  /**
   * Moves the eye towards (factor < 1) or away from (factor > 1) the target: `distance *= factor`,
   * clamped to `[radius / 1000, radius * 1000]`.
   *
   * @param factor - > 0
   * @returns `this`
   * @throws TypeError / RangeError when `factor` is not a finite number > 0
   */
  zoom(factor: number): this {
    assertNumber('OrbitCamera.zoom', 'factor', factor, { min: 0, exclusiveMin: true });
    this.distance = Math.max(this.radius / 1000, Math.min(this.radius * 1000, this.distance * factor));
    return this;
  }

  /**
   * Slides the target (and the eye with it) in the view plane: by `dx` along the screen's right and
   * `dy` along the screen's down direction, both in units of the view's height at the target
   * (`2 distance tan(fov / 2)`). A drag of `(px, py)` pixels on a viewport `h` pixels high that
   * should move the scene with the pointer is `pan(-px / h, -py / h)`.
   *
   * @param dx - fraction of the view height, to the right
   * @param dy - fraction of the view height, downwards
   * @returns `this`
   * @throws TypeError / RangeError when an argument is not a finite number
   */
  pan(dx: number, dy: number): this {
    const fn = 'OrbitCamera.pan';
    assertNumber(fn, 'dx', dx);
    assertNumber(fn, 'dy', dy);
    const h = 2 * this.distance * Math.tan(this.fov / 2);
    const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw), cp = Math.cos(this.#pitch), sp = Math.sin(this.#pitch);
    // r = (cy, 0, -sy); d = f x r with f = (sy cp, sp, cy cp)
    const d0 = -sp * sy, d1 = cp, d2 = -sp * cy;
    this.target[0] = this.target[0]! + h * (dx * cy + dy * d0);
    this.target[1] = this.target[1]! + h * dy * d1;
    this.target[2] = this.target[2]! + h * (-dx * sy + dy * d2);
    return this;
  }

  /**
   * Fits the view to a point cloud, keeping the current yaw and pitch: the target becomes the
   * centre of the box spanned by the `percentiles` of each coordinate (default the 2nd and 98th,
   * so a few far outliers do not blow the view up; see {@link robustBounds}), and `distance` the
   * smallest at which that box, grown by `margin` about its centre, lies wholly in front of the eye
   * and inside the field of view for the given `aspect` (a tight fit for the current orientation).
   * `radius` becomes the grown box's half-diagonal (clip planes, zoom limits). Non-finite points
   * are ignored and a cloud of more than 131072 points is sampled with an even stride. With no
   * finite point the camera is left as it is; a flat or single-point box gets half extents of at
   * least `1e-3 max(1, |centre|)`.
   *
   * Allocates three `Float64Array`s of the sampled size (scratch for the percentiles).
   *
   * @param positions - interleaved xyz (`count * 3`)
   * @param options - percentiles, viewport aspect, margin
   * @returns `this`
   * @throws TypeError for arguments of the wrong type; RangeError when `positions.length` is not a
   *   multiple of 3 or an option is out of range
   */
  frameBounds(positions: ArrayLike<number>, options: FrameBoundsOptions = {}): this {
    const fn = 'OrbitCamera.frameBounds';
    assertArray(fn, 'positions', positions);
    assertGroups(fn, 'positions', positions, 3);
    assertObject(fn, 'options', options);
    const { percentiles = [2, 98], aspect = 1, margin = 1.1 } = options;
    assertPercentiles(fn, 'options.percentiles', percentiles);
    assertNumber(fn, 'options.aspect', aspect, { min: 0, exclusiveMin: true });
    assertNumber(fn, 'options.margin', margin, { min: 1 });

    const bounds = boundsUnchecked(positions, percentiles, FRAME_SAMPLE);
    if (bounds === null) return this;
    const { center, min, max } = bounds;
    this.target[0] = center[0];
    this.target[1] = center[1];
    this.target[2] = center[2];
    const floor = 1e-3 * Math.max(1, Math.hypot(center[0], center[1], center[2]));
    this.radius = Math.max(margin * bounds.radius, floor);
    // Half extents of the box grown by `margin` about its centre (at least `floor`, so that a
    // flat or single-point cloud still gets a view).
    const hx = Math.max(margin * (max[0] - min[0]) / 2, floor);
    const hy = Math.max(margin * (max[1] - min[1]) / 2, floor);
    const hz = Math.max(margin * (max[2] - min[2]) / 2, floor);
    // The smallest distance at which all 8 corners are in front of the eye and inside the view:
    // for a corner c (relative to the target), |c.r| <= tanX (d + c.f) and |c.down| <= tanY (d + c.f).
    const tanY = Math.tan(this.fov / 2);
    const tanX = aspect * tanY;
    const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw), cp = Math.cos(this.#pitch), sp = Math.sin(this.#pitch);
    const f = [sy * cp, sp, cy * cp];
    const r = [cy, 0, -sy];
    const d = [-sp * sy, cp, -sp * cy];
    let distance = 0;
    for (let corner = 0; corner < 8; corner++) {
      const c0 = corner & 1 ? hx : -hx;
      const c1 = corner & 2 ? hy : -hy;
      const c2 = corner & 4 ? hz : -hz;
      const cf = c0 * f[0]! + c1 * f[1]! + c2 * f[2]!;
      const cr = c0 * r[0]! + c1 * r[1]! + c2 * r[2]!;
      const cd = c0 * d[0]! + c1 * d[1]! + c2 * d[2]!;
      distance = Math.max(distance, Math.abs(cr) / tanX - cf, Math.abs(cd) / tanY - cf);
    }
    this.distance = Math.max(distance, floor);
    return this;
  }
}

function checkOut(fn: string, out: unknown): void {
  if (!(out instanceof Float32Array || out instanceof Float64Array || Array.isArray(out))) {
    throw new TypeError(`${fn}: out (${describe(out)}) must be a Float32Array, Float64Array or number[]`);
  }
  assertLength(fn, 'out', out as ArrayLike<number>, 16, '16 (a 4x4 matrix)');
}
