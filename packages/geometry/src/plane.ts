/**
 * Planes in 3D: a weighted least-squares fit and a RANSAC fit that tolerates outliers (points off
 * the plane: furniture on a floor, bad depth).
 *
 * A plane is `n . x + d = 0` with a unit normal `n`; the signed distance of a point is
 * `n . x + d`. Points are interleaved xyz; arithmetic is float64.
 *
 * @packageDocumentation
 */

import { createSvd3, svd3 } from './svd3.js';
import type { NumberArray } from './types.js';
import { assertArray, assertGroups, assertLength, assertNumber } from './validate.js';

/** A plane `normal . x + offset = 0`; `normal` is a unit vector. */
export interface Plane {
  /** Unit normal, float64. */
  normal: Float64Array;
  /** Offset `d`: the signed distance of the origin is `offset`. */
  offset: number;
}

/** Options of {@link fitPlane}. */
export interface FitPlaneOptions {
  /** One finite weight `>= 0` per point; default all 1. Points with weight 0 are ignored. */
  weights?: NumberArray;
}

/** Options of {@link fitPlaneRansac}. */
export interface FitPlaneRansacOptions {
  /** Inlier distance, in the points' units (> 0). */
  threshold: number;
  /** Random 3-point hypotheses (integer >= 1); default 200. */
  iterations?: number;
  /** Seed of the hypothesis sampler (deterministic); default 1. */
  seed?: number;
  /**
   * Only planes for which this returns true are considered (e.g. "roughly horizontal and below
   * the camera"); default all. It receives the candidate before the least-squares refit.
   */
  accept?: (plane: Plane) => boolean;
}

/** Result of {@link fitPlaneRansac}. */
export interface PlaneRansacResult {
  /** The plane refitted by least squares on its inliers. */
  plane: Plane;
  /** 1 for each point within `threshold` of the refitted plane, else 0. */
  inliers: Uint8Array;
  /** Number of inliers. */
  inlierCount: number;
}

const svd = createSvd3();
const scatter = new Float64Array(9);

/**
 * Fits the plane that minimises the weighted sum of squared point-to-plane distances (total least
 * squares): it passes through the weighted centroid, and its normal is the direction of least
 * scatter (the last right singular vector of the 3x3 scatter matrix, float64 SVD).
 *
 * @param points - interleaved xyz, at least 3 points
 * @param options - `weights`
 * @returns a new {@link Plane}, or `null` when fewer than 3 points have weight or they are
 *   collinear (the normal is then undetermined)
 * @throws TypeError for a non-array argument; RangeError for a length that is not a multiple of 3,
 *   weights of the wrong length or negative / non-finite weights
 */
export function fitPlane(points: NumberArray, options: FitPlaneOptions = {}): Plane | null {
  const fn = 'fitPlane';
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3);
  const n = points.length / 3;
  const w = options.weights;
  if (w !== undefined) {
    assertArray(fn, 'options.weights', w);
    assertLength(fn, 'options.weights', w, n, 'points.length / 3');
    for (let i = 0; i < n; i++) {
      if (!(w[i]! >= 0 && w[i]! < Infinity)) throw new RangeError(`${fn}: options.weights[${i}] (${w[i]}) must be a finite number >= 0`);
    }
  }
  return fitPlaneUnchecked(points, n, w ?? null);
}

/** {@link fitPlane} without argument checks. @internal */
export function fitPlaneUnchecked(points: NumberArray, n: number, weights: NumberArray | Uint8Array | null): Plane | null {
  let sw = 0;
  let count = 0;
  let mx = 0, my = 0, mz = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights === null ? 1 : weights[i]!;
    if (!(wi > 0)) continue;
    count++;
    sw += wi;
    mx += wi * points[3 * i]!;
    my += wi * points[3 * i + 1]!;
    mz += wi * points[3 * i + 2]!;
  }
  if (count < 3 || !(sw > 0)) return null;
  mx /= sw; my /= sw; mz /= sw;
  let s00 = 0, s01 = 0, s02 = 0, s11 = 0, s12 = 0, s22 = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights === null ? 1 : weights[i]!;
    if (!(wi > 0)) continue;
    const x = points[3 * i]! - mx, y = points[3 * i + 1]! - my, z = points[3 * i + 2]! - mz;
    s00 += wi * x * x; s01 += wi * x * y; s02 += wi * x * z;
    s11 += wi * y * y; s12 += wi * y * z; s22 += wi * z * z;
  }
  scatter[0] = s00; scatter[1] = s01; scatter[2] = s02;
  scatter[3] = s01; scatter[4] = s11; scatter[5] = s12;
  scatter[6] = s02; scatter[7] = s12; scatter[8] = s22;
  if (!Number.isFinite(s00 + s01 + s02 + s11 + s12 + s22)) return null;
  svd3(svd, scatter);
  // collinear (or coincident) points: the two smallest directions are both undetermined
  if (!(svd.s[1]! > 1e-12 * svd.s[0]!)) return null;
  const len = Math.hypot(svd.v[6]!, svd.v[7]!, svd.v[8]!);
  const normal = Float64Array.from([svd.v[6]! / len, svd.v[7]! / len, svd.v[8]! / len]);
  return { normal, offset: -(normal[0]! * mx + normal[1]! * my + normal[2]! * mz) };
}

/** mulberry32: a small deterministic generator in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fits a plane to points with outliers (RANSAC, Fischler & Bolles 1981): `iterations` planes
 * through 3 random points (deterministic by `seed`), keeping the accepted one with the most points
 * within `threshold`; then a least-squares refit ({@link fitPlane}) on those inliers, whose inliers
 * are recounted.
 *
 * @param points - interleaved xyz (non-finite points are never inliers)
 * @param options - `threshold` (required), `iterations`, `seed`, `accept`
 * @returns a new {@link PlaneRansacResult}, or `null` when no accepted plane has 3 inliers
 * @throws TypeError for a non-array argument or a non-function `accept`; RangeError for a length
 *   that is not a multiple of 3 or bad numbers
 */
export function fitPlaneRansac(points: NumberArray, options: FitPlaneRansacOptions): PlaneRansacResult | null {
  const fn = 'fitPlaneRansac';
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3, true);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${String(options)}) must be an object { threshold, iterations?, seed?, accept? }`);
  const { threshold, iterations = 200, seed = 1, accept } = options;
  assertNumber(fn, 'options.threshold', threshold, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'options.iterations', iterations, { integer: true, min: 1 });
  assertNumber(fn, 'options.seed', seed, { integer: true });
  if (accept !== undefined && typeof accept !== 'function') throw new TypeError(`${fn}: options.accept must be a function (plane) => boolean`);
  const n = points.length / 3;
  const finite: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!, y = points[3 * i + 1]!, z = points[3 * i + 2]!;
    if (x - x === 0 && y - y === 0 && z - z === 0) finite.push(i);
  }
  if (finite.length < 3) return null;
  const random = rng(seed);
  const candidate: Plane = { normal: new Float64Array(3), offset: 0 };
  let best = -1;
  const bestPlane: Plane = { normal: new Float64Array(3), offset: 0 };
  const count = (plane: Plane): number => {
    let c = 0;
    const [nx, ny, nz] = plane.normal as unknown as [number, number, number];
    for (const i of finite) {
      const d = nx * points[3 * i]! + ny * points[3 * i + 1]! + nz * points[3 * i + 2]! + plane.offset;
      if (Math.abs(d) <= threshold) c++;
    }
    return c;
  };
  for (let it = 0; it < iterations; it++) {
    const a = finite[Math.floor(random() * finite.length)]!;
    const b = finite[Math.floor(random() * finite.length)]!;
    const c = finite[Math.floor(random() * finite.length)]!;
    if (a === b || b === c || a === c) continue;
    const ax = points[3 * a]!, ay = points[3 * a + 1]!, az = points[3 * a + 2]!;
    const ux = points[3 * b]! - ax, uy = points[3 * b + 1]! - ay, uz = points[3 * b + 2]! - az;
    const vx = points[3 * c]! - ax, vy = points[3 * c + 1]! - ay, vz = points[3 * c + 2]! - az;
    let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz);
    if (!(len > 0)) continue;
    nx /= len; ny /= len; nz /= len;
    candidate.normal[0] = nx; candidate.normal[1] = ny; candidate.normal[2] = nz;
    candidate.offset = -(nx * ax + ny * ay + nz * az);
    if (accept && !accept(candidate)) continue;
    const k = count(candidate);
    if (k > best) {
      best = k;
      bestPlane.normal.set(candidate.normal);
      bestPlane.offset = candidate.offset;
    }
  }
  if (best < 3) return null;
  const mark = (plane: Plane, out: Uint8Array): number => {
    out.fill(0);
    let k = 0;
    const [nx, ny, nz] = plane.normal as unknown as [number, number, number];
    for (const i of finite) {
      const d = nx * points[3 * i]! + ny * points[3 * i + 1]! + nz * points[3 * i + 2]! + plane.offset;
      if (Math.abs(d) <= threshold) {
        out[i] = 1;
        k++;
      }
    }
    return k;
  };
  const inliers = new Uint8Array(n);
  mark(bestPlane, inliers);
  const refit = fitPlaneUnchecked(points, n, inliers);
  let plane: Plane = { normal: Float64Array.from(bestPlane.normal), offset: bestPlane.offset };
  if (refit !== null) {
    // keep the candidate's orientation (accept() may depend on the side the normal points to)
    if (refit.normal[0]! * plane.normal[0]! + refit.normal[1]! * plane.normal[1]! + refit.normal[2]! * plane.normal[2]! < 0) {
      refit.normal[0] = -refit.normal[0]!; refit.normal[1] = -refit.normal[1]!; refit.normal[2] = -refit.normal[2]!;
      refit.offset = -refit.offset;
    }
    plane = refit;
  }
  const inlierCount = mark(plane, inliers);
  return { plane, inliers, inlierCount };
}
