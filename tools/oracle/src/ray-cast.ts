/**
 * The analytic ray caster of training's generator (`d4rt_train/synth.py`), in float64: a closed
 * axis-aligned box room and rigid objects (boxes, ellipsoids, capped cylinders) given by their
 * half extents and per-frame poses. It answers exact D4RT queries the way `Clip.query` does: the
 * ray of `(u, v)` in frame `tSrc` hits a surface, the hit is attached to its object and moved with
 * it to frame `tTgt`, then expressed in camera `tCam`; visibility is a second ray cast through the
 * projection in frame `tTgt` (occluded when something lies more than 0.1 % of the depth in front).
 *
 * World = the generator's scene world (metres, y down). Cameras: OpenCV axes, camera-to-scene
 * poses; pinhole intrinsics with `u = x / (W - 1)`, `v = y / (H - 1)`.
 *
 * @module
 */

/** Object primitive of the generator. */
export type PrimitiveType = 'box' | 'ellipsoid' | 'cylinder';

/** Everything the caster needs about one scene and its frames. */
export interface CastScene {
  width: number;
  height: number;
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  room: { lo: readonly [number, number, number]; hi: readonly [number, number, number] };
  objects: { type: PrimitiveType; half: readonly [number, number, number] }[];
  /** Camera-to-scene per frame, row-major 4x4 (16 per frame). */
  cameraToScene: Float64Array;
  /** Object-to-scene rotation per frame and object, row-major 3x3 (`frames * M * 9`). */
  objectRotation: Float64Array;
  /** Object centre per frame and object (`frames * M * 3`). */
  objectCentre: Float64Array;
}

/** An exact answer to one query. */
export interface ExactAnswer {
  /** The point at tTgt in camera tCam (metres). */
  x: number;
  y: number;
  z: number;
  /** Its projection in frame tTgt, normalised (may lie outside [0, 1]). */
  u: number;
  v: number;
  /** Depth (camera z) of the point in camera tTgt. */
  depth: number;
  visible: boolean;
  /** 0 = room, 1 + m = object m. */
  object: number;
}

const EPS_T = 1e-5;
const VIS_REL_TOL = 1e-3;
const INSIDE_SLACK_PX = 1e-3;

const safe = (d: number): number => (Math.abs(d) < 1e-12 ? 1e-12 : d);

function hitBox(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  let tn = -Infinity, tf = Infinity;
  const o = [ox, oy, oz], d = [dx, dy, dz];
  for (let i = 0; i < 3; i++) {
    const inv = 1 / safe(d[i]!);
    const t1 = (-1 - o[i]!) * inv, t2 = (1 - o[i]!) * inv;
    tn = Math.max(tn, Math.min(t1, t2));
    tf = Math.min(tf, Math.max(t1, t2));
  }
  return tf >= tn && tn > EPS_T ? tn : Infinity;
}

function hitSphere(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  const a = dx * dx + dy * dy + dz * dz;
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - 1;
  const disc = b * b - a * c;
  const t = c / (Math.sqrt(Math.max(disc, 0)) - b);
  return disc >= 0 && b < 0 && c > 0 && t > EPS_T ? t : Infinity;
}

function hitCylinder(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  const a = dx * dx + dz * dz;
  const b = ox * dx + oz * dz;
  const c = ox * ox + oz * oz - 1;
  const disc = b * b - a * c;
  const ts = c / (Math.sqrt(Math.max(disc, 0)) - b);
  const ys = oy + ts * dy;
  const okS = disc >= 0 && b < 0 && c > 0 && ts > EPS_T && Math.abs(ys) <= 1;
  const dys = safe(dy);
  const tc = (-Math.sign(dys) - oy) / dys;
  const xc = ox + tc * dx, zc = oz + tc * dz;
  const okC = tc > EPS_T && xc * xc + zc * zc <= 1;
  return Math.min(okS ? ts : Infinity, okC ? tc : Infinity);
}

const HIT = { box: hitBox, ellipsoid: hitSphere, cylinder: hitCylinder };

/** A ray hit: parameter (= camera depth for camera rays), object (0 room, 1 + m), world point. */
interface Hit {
  t: number;
  object: number;
  px: number;
  py: number;
  pz: number;
}

/** Exact query answering over a {@link CastScene}. */
export class RayCaster {
  readonly scene: CastScene;
  readonly #m: number;

  constructor(scene: CastScene) {
    this.scene = scene;
    this.#m = scene.objects.length;
  }

  /** Number of frames. */
  get frames(): number {
    return this.scene.cameraToScene.length / 16;
  }

  /** Nearest hit of the ray `o + t d` at frame `f`'s object poses. */
  cast(f: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, out: Hit): Hit {
    const { lo, hi } = this.scene.room;
    // room: exit of a ray from inside the box
    let tRoom = Infinity;
    const o = [ox, oy, oz], d = [dx, dy, dz];
    for (let i = 0; i < 3; i++) {
      const di = safe(d[i]!);
      const ti = ((di > 0 ? hi[i]! : lo[i]!) - o[i]!) / di;
      if (ti < tRoom) tRoom = ti;
    }
    let t = tRoom, object = 0;
    const M = this.#m;
    const R = this.scene.objectRotation, C = this.scene.objectCentre;
    for (let m = 0; m < M; m++) {
      const ob = this.scene.objects[m]!;
      const r = (f * M + m) * 9, c = (f * M + m) * 3;
      const qx = ox - C[c]!, qy = oy - C[c + 1]!, qz = oz - C[c + 2]!;
      // unit frame: R^T (x - C) / half (row-major R: column i = R[i], R[3 + i], R[6 + i])
      const h = ob.half;
      const uox = (R[r]! * qx + R[r + 3]! * qy + R[r + 6]! * qz) / h[0];
      const uoy = (R[r + 1]! * qx + R[r + 4]! * qy + R[r + 7]! * qz) / h[1];
      const uoz = (R[r + 2]! * qx + R[r + 5]! * qy + R[r + 8]! * qz) / h[2];
      const udx = (R[r]! * dx + R[r + 3]! * dy + R[r + 6]! * dz) / h[0];
      const udy = (R[r + 1]! * dx + R[r + 4]! * dy + R[r + 7]! * dz) / h[1];
      const udz = (R[r + 2]! * dx + R[r + 5]! * dy + R[r + 8]! * dz) / h[2];
      const tm = HIT[ob.type](uox, uoy, uoz, udx, udy, udz);
      if (tm < t) {
        t = tm;
        object = m + 1;
      }
    }
    out.t = t;
    out.object = object;
    out.px = ox + t * dx;
    out.py = oy + t * dy;
    out.pz = oz + t * dz;
    return out;
  }

  /** The camera ray of pixel `(px, py)` (pixel coordinates) in frame `f`: origin and direction with camera z = 1. */
  #ray(f: number, px: number, py: number): [number, number, number, number, number, number] {
    const { fx, fy, cx, cy } = this.scene.intrinsics;
    const P = this.scene.cameraToScene;
    const b = 16 * f;
    const dcx = (px - cx) / fx, dcy = (py - cy) / fy;
    // row-major: d = R [dcx, dcy, 1]
    const dx = P[b]! * dcx + P[b + 1]! * dcy + P[b + 2]!;
    const dy = P[b + 4]! * dcx + P[b + 5]! * dcy + P[b + 6]!;
    const dz = P[b + 8]! * dcx + P[b + 9]! * dcy + P[b + 10]!;
    return [P[b + 3]!, P[b + 7]!, P[b + 11]!, dx, dy, dz];
  }

  /** Camera z of the surface seen at `(u, v)` in frame `f`. */
  depthAt(u: number, v: number, f: number): number {
    const { width: W, height: H } = this.scene;
    const r = this.#ray(f, u * (W - 1), v * (H - 1));
    return this.cast(f, ...r, HIT_SCRATCH).t;
  }

  /** Scene point -> camera `f` coordinates (into `out`). */
  #toCamera(f: number, x: number, y: number, z: number, out: number[]): void {
    const P = this.scene.cameraToScene;
    const b = 16 * f;
    const qx = x - P[b + 3]!, qy = y - P[b + 7]!, qz = z - P[b + 11]!;
    out[0] = P[b]! * qx + P[b + 4]! * qy + P[b + 8]! * qz;
    out[1] = P[b + 1]! * qx + P[b + 5]! * qy + P[b + 9]! * qz;
    out[2] = P[b + 2]! * qx + P[b + 6]! * qy + P[b + 10]! * qz;
  }

  /** The exact answer to `(u, v, tSrc, tTgt, tCam)` (frames of this scene). */
  query(u: number, v: number, tSrc: number, tTgt: number, tCam: number, out: ExactAnswer = emptyAnswer()): ExactAnswer {
    const { width: W, height: H } = this.scene;
    const { fx, fy, cx, cy } = this.scene.intrinsics;
    const hit = this.cast(tSrc, ...this.#ray(tSrc, u * (W - 1), v * (H - 1)), HIT_SCRATCH);
    let X = hit.px, Y = hit.py, Z = hit.pz;
    if (hit.object > 0) {
      const M = this.#m, m = hit.object - 1;
      const R = this.scene.objectRotation, C = this.scene.objectCentre;
      const rs = (tSrc * M + m) * 9, cs = (tSrc * M + m) * 3;
      const qx = X - C[cs]!, qy = Y - C[cs + 1]!, qz = Z - C[cs + 2]!;
      const lx = R[rs]! * qx + R[rs + 3]! * qy + R[rs + 6]! * qz;
      const ly = R[rs + 1]! * qx + R[rs + 4]! * qy + R[rs + 7]! * qz;
      const lz = R[rs + 2]! * qx + R[rs + 5]! * qy + R[rs + 8]! * qz;
      const rt = (tTgt * M + m) * 9, ct = (tTgt * M + m) * 3;
      X = R[rt]! * lx + R[rt + 1]! * ly + R[rt + 2]! * lz + C[ct]!;
      Y = R[rt + 3]! * lx + R[rt + 4]! * ly + R[rt + 5]! * lz + C[ct + 1]!;
      Z = R[rt + 6]! * lx + R[rt + 7]! * ly + R[rt + 8]! * lz + C[ct + 2]!;
    }
    const pt = CAM_SCRATCH;
    this.#toCamera(tTgt, X, Y, Z, pt);
    const xt = pt[0]!, yt = pt[1]!, z = pt[2]!;
    this.#toCamera(tCam, X, Y, Z, pt);
    out.x = pt[0]!;
    out.y = pt[1]!;
    out.z = pt[2]!;
    const front = z > 1e-6;
    const zs = front ? z : 1;
    const px = (fx * xt) / zs + cx, py = (fy * yt) / zs + cy;
    out.u = px / (W - 1);
    out.v = py / (H - 1);
    out.depth = z;
    out.object = hit.object;
    const e = INSIDE_SLACK_PX;
    const inside = front && px >= -e && px <= W - 1 + e && py >= -e && py <= H - 1 + e;
    if (!inside) {
      out.visible = false;
      return out;
    }
    const zHit = this.cast(tTgt, ...this.#ray(tTgt, px, py), HIT_SCRATCH).t;
    out.visible = zHit >= z * (1 - VIS_REL_TOL);
    return out;
  }
}

const HIT_SCRATCH: Hit = { t: 0, object: 0, px: 0, py: 0, pz: 0 };
const CAM_SCRATCH = [0, 0, 0];

/** A zeroed answer to reuse with {@link RayCaster.query}. */
export function emptyAnswer(): ExactAnswer {
  return { x: 0, y: 0, z: 0, u: 0, v: 0, depth: 0, visible: false, object: 0 };
}
