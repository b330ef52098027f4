/**
 * Metric scale from one known fact. A monocular reconstruction is right up to one unknown scale;
 * one measurement the user knows fixes it:
 *
 * - the distance between two surface points (e.g. two picked pixels): {@link scaleFromDistance};
 * - the metric depth of one surface point: {@link scaleFromDepth};
 * - the height of the camera above the floor: {@link scaleFromCameraHeight}, which finds the floor
 *   as the dominant plane below the camera ({@link floorPlane}, RANSAC).
 *
 * Each returns the factor `s` such that `s * reconstruction` is in metres (or whatever unit the
 * known value is in). Points are interleaved xyz in the reconstruction's units; for the camera
 * height they are in the camera's frame (OpenCV axes: y points down), or pass the camera's `up`.
 *
 * @packageDocumentation
 */

import { fitPlaneRansac, fitPlaneUnchecked, type Plane, type PlaneRansacResult } from './plane.js';
import { medianInPlace } from './select.js';
import type { NumberArray } from './types.js';
import { assertArray, assertGroups, assertLength, assertNumber } from './validate.js';

function checkKnown(fn: string, name: string, value: unknown): asserts value is number {
  assertNumber(fn, name, value, { min: 0, exclusiveMin: true });
}

/**
 * Scale factor from a known distance between two points: `metres / |a - b|`.
 *
 * @param a - first point (x, y, z) in reconstruction units
 * @param b - second point
 * @param metres - the true distance (> 0)
 * @returns the factor, or `null` when the points coincide or are not finite
 * @throws TypeError for non-array points or a non-number distance; RangeError for points that are
 *   not 3 numbers or a distance that is not a finite number > 0
 */
export function scaleFromDistance(a: NumberArray, b: NumberArray, metres: number): number | null {
  const fn = 'scaleFromDistance';
  assertArray(fn, 'a', a);
  assertArray(fn, 'b', b);
  assertLength(fn, 'a', a, 3, '3 (x, y, z)');
  assertLength(fn, 'b', b, 3, '3 (x, y, z)');
  checkKnown(fn, 'metres', metres);
  const d = Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
  return d > 0 && Number.isFinite(d) ? metres / d : null;
}

/**
 * Scale factor from the known depth of one point: `metres / depth`.
 *
 * @param depth - the reconstruction's depth (camera z) of the point
 * @param metres - its true depth (> 0)
 * @returns the factor, or `null` when `depth` is not a finite number > 0
 * @throws TypeError / RangeError for a `metres` that is not a finite number > 0
 */
export function scaleFromDepth(depth: number, metres: number): number | null {
  checkKnown('scaleFromDepth', 'metres', metres);
  return typeof depth === 'number' && depth > 0 && Number.isFinite(depth) ? metres / depth : null;
}

/** Options of {@link floorPlane} and {@link scaleFromCameraHeight}. */
export interface FloorPlaneOptions {
  /** The camera's up direction in the points' frame; default `[0, -1, 0]` (OpenCV camera frame). */
  up?: NumberArray;
  /** Largest angle between the floor's normal and `up`, degrees in (0, 90); default 35. */
  maxTiltDeg?: number;
  /**
   * Inlier distance as a fraction of the median distance of the points from the origin (the
   * camera), in (0, 1); default 0.01.
   */
  threshold?: number;
  /** RANSAC hypotheses (integer >= 1); default 300. */
  iterations?: number;
  /** RANSAC seed; default 1. */
  seed?: number;
}

/** The floor found by {@link floorPlane}. */
export interface FloorPlane extends PlaneRansacResult {
  /** Height of the origin (the camera centre) above the floor, in the points' units (> 0). */
  height: number;
}

/**
 * The floor under a camera: the plane with the most points (RANSAC, then a least-squares refit on
 * its inliers) among the planes whose normal is within `maxTiltDeg` of `up` and that lie below the
 * origin, refined by up to three refits on the points within 4 robust sigmas of the previous fit
 * (so the foot of a wall does not tilt it). The returned normal points up (towards the camera).
 *
 * @param points - interleaved xyz in the camera's frame (the camera centre is the origin)
 * @param options - see {@link FloorPlaneOptions}
 * @returns a new {@link FloorPlane}, or `null` when no such plane has enough support (at least 5 %
 *   of the finite points and 3 points)
 * @throws TypeError / RangeError for bad arguments
 */
export function floorPlane(points: NumberArray, options: FloorPlaneOptions = {}): FloorPlane | null {
  const fn = 'floorPlane';
  assertArray(fn, 'points', points);
  assertGroups(fn, 'points', points, 3);
  const up = options.up ?? [0, -1, 0];
  assertArray(fn, 'options.up', up);
  assertLength(fn, 'options.up', up, 3, '3 (x, y, z)');
  const upLen = Math.hypot(up[0]!, up[1]!, up[2]!);
  if (!(upLen > 0) || !Number.isFinite(upLen)) throw new RangeError(`${fn}: options.up ([${Array.from(up).join(', ')}]) must be a finite non-zero vector`);
  const ux = up[0]! / upLen, uy = up[1]! / upLen, uz = up[2]! / upLen;
  const maxTilt = options.maxTiltDeg ?? 35;
  assertNumber(fn, 'options.maxTiltDeg', maxTilt, { min: 0, exclusiveMin: true, max: 89.999 });
  const rel = options.threshold ?? 0.01;
  assertNumber(fn, 'options.threshold', rel, { min: 0, exclusiveMin: true, max: 1 });
  const n = points.length / 3;
  const dist = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.hypot(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!);
    if (Number.isFinite(d)) dist[m++] = d;
  }
  if (m < 3) return null;
  const scale = medianInPlace(dist, m);
  if (!(scale > 0)) return null;
  const cosMax = Math.cos((maxTilt * Math.PI) / 180);
  // Orient each candidate's normal up; accept it when it is tilted less than maxTilt and the
  // origin is above it (positive signed distance along the upward normal).
  const accept = (plane: Plane): boolean => {
    const nn = plane.normal;
    let c = nn[0]! * ux + nn[1]! * uy + nn[2]! * uz;
    if (c < 0) {
      nn[0] = -nn[0]!; nn[1] = -nn[1]!; nn[2] = -nn[2]!;
      plane.offset = -plane.offset;
      c = -c;
    }
    return c >= cosMax && plane.offset > 0;
  };
  const fit = fitPlaneRansac(points, { threshold: rel * scale, iterations: options.iterations ?? 300, seed: options.seed ?? 1, accept });
  if (fit === null || fit.inlierCount < Math.max(3, 0.05 * m)) return null;
  // Tighten: points just above the floor (the foot of a wall) are within the RANSAC threshold
  // and tilt the least-squares plane. Refit on the points within 4 robust sigmas of the current
  // fit (sigma = 1.4826 MAD of the inliers' distances), a few times.
  let threshold = rel * scale;
  const resid = new Float64Array(n);
  for (let round = 0; round < 3; round++) {
    const [nx, ny, nz] = fit.plane.normal as unknown as [number, number, number];
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (fit.inliers[i] === 1) resid[k++] = Math.abs(nx * points[3 * i]! + ny * points[3 * i + 1]! + nz * points[3 * i + 2]! + fit.plane.offset);
    }
    const next = Math.max(Math.min(threshold, 4 * 1.4826 * medianInPlace(resid, k)), 1e-12 * scale);
    if (!(next < threshold)) break;
    threshold = next;
    const weights = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(nx * points[3 * i]! + ny * points[3 * i + 1]! + nz * points[3 * i + 2]! + fit.plane.offset);
      if (d <= threshold) {
        weights[i] = 1;
        count++;
      }
    }
    const refit = count >= 3 ? fitPlaneUnchecked(points, n, weights) : null;
    if (refit === null) break;
    if (refit.normal[0]! * nx + refit.normal[1]! * ny + refit.normal[2]! * nz < 0) {
      refit.normal[0] = -refit.normal[0]!; refit.normal[1] = -refit.normal[1]!; refit.normal[2] = -refit.normal[2]!;
      refit.offset = -refit.offset;
    }
    fit.plane = refit;
    fit.inliers = weights;
    fit.inlierCount = count;
  }
  const nn = fit.plane.normal;
  if (nn[0]! * ux + nn[1]! * uy + nn[2]! * uz < 0) {
    nn[0] = -nn[0]!; nn[1] = -nn[1]!; nn[2] = -nn[2]!;
    fit.plane.offset = -fit.plane.offset;
  }
  if (!(fit.plane.offset > 0)) return null;
  return { ...fit, height: fit.plane.offset };
}

/** Result of {@link scaleFromCameraHeight}. */
export interface CameraHeightScale {
  /** The factor: `metres / height`. */
  scale: number;
  /** The camera's height above the floor in reconstruction units. */
  height: number;
  /** The floor that was found. */
  floor: FloorPlane;
}

/**
 * Scale factor from the camera's known height above the floor: finds the floor below the camera
 * ({@link floorPlane}) and returns `metres / height`.
 *
 * @param points - interleaved xyz in the camera's frame, e.g. a depth grid of one frame
 * @param metres - the camera's true height (> 0)
 * @param options - see {@link FloorPlaneOptions}
 * @returns a new {@link CameraHeightScale}, or `null` when no floor is found
 * @throws TypeError / RangeError for bad arguments
 */
export function scaleFromCameraHeight(points: NumberArray, metres: number, options: FloorPlaneOptions = {}): CameraHeightScale | null {
  checkKnown('scaleFromCameraHeight', 'metres', metres);
  const floor = floorPlane(points, options);
  if (floor === null) return null;
  return { scale: metres / floor.height, height: floor.height, floor };
}
