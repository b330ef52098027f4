/**
 * Metric scale from one fact the user knows about the scene, measured with queries against an
 * encoded clip; `@d4rt/geometry` does the math ({@link scaleFromDistance}, {@link scaleFromDepth},
 * {@link scaleFromCameraHeight}).
 *
 * @module
 */
import { scaleFromCameraHeight, scaleFromDepth, scaleFromDistance } from '@d4rt/geometry';
import { ScaleReferenceError, describeValue } from '../errors.js';
import { gridQueries } from '../queries.js';
import type { QueryOptions, Scene } from '../scene.js';

/** A pixel `[x, y]` in pixels of the source video (`0 .. width-1`, `0 .. height-1`; fractions allowed). */
export type Pixel = readonly [number, number];

/**
 * One known fact that fixes the scale:
 * - `distance`: the distance in metres between the surface points seen at two pixels;
 * - `depth`: the metric depth (camera z) of the surface point seen at a pixel;
 * - `height`: the camera's height above the floor in metres (the floor is found as the dominant
 *   plane below the camera).
 *
 * `frame` is the source frame the pixels (or the camera) refer to; default the first frame processed.
 */
export type ScaleReference =
  | { kind: 'distance'; from: Pixel; to: Pixel; metres: number; frame?: number }
  | { kind: 'depth'; at: Pixel; metres: number; frame?: number }
  | { kind: 'height'; metres: number; frame?: number };

/** What {@link measureScaleReference} found. */
export interface ScaleMeasurement {
  /** Multiply the clip's 3D outputs (depth, xyz, translations) by this to get metres. */
  scale: number;
  /** The known quantity as the clip measures it, in the clip's units. */
  measured: number;
  /** Model frame the reference was measured in. */
  modelFrame: number;
}

/** Grid side used to find the floor for a `height` reference. */
const FLOOR_GRID = 48;

/**
 * Checks a {@link ScaleReference} against a video of `width x height` pixels.
 * @param fn - caller name for messages
 * @param name - the argument's name for messages
 * @returns the reference (unchanged)
 * @throws TypeError for a non-object or a wrong type; RangeError for an unknown kind, pixels
 *   outside the image, a `metres` that is not a finite number > 0, or a bad frame
 */
export function checkScaleReference(fn: string, name: string, reference: unknown, width: number, height: number): ScaleReference {
  if (typeof reference !== 'object' || reference === null) {
    throw new TypeError(`${fn}: ${name} (${describeValue(reference)}) must be an object { kind: 'distance' | 'depth' | 'height', ... }`);
  }
  const r = reference as Record<string, unknown>;
  const kinds = ['distance', 'depth', 'height'];
  if (!kinds.includes(r.kind as string)) {
    throw new RangeError(`${fn}: ${name}.kind (${describeValue(r.kind)}) must be one of 'distance', 'depth', 'height'`);
  }
  const metres = r.metres;
  if (typeof metres !== 'number' || !Number.isFinite(metres) || metres <= 0) {
    throw new RangeError(`${fn}: ${name}.metres (${describeValue(metres)}) must be a finite number > 0`);
  }
  if (r.frame !== undefined && (typeof r.frame !== 'number' || !Number.isInteger(r.frame) || r.frame < 0)) {
    throw new RangeError(`${fn}: ${name}.frame (${describeValue(r.frame)}) must be a source frame index (an integer >= 0)`);
  }
  const pixel = (key: string): void => {
    const p = r[key] as unknown;
    if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new TypeError(`${fn}: ${name}.${key} (${describeValue(p)}) must be a pixel [x, y] of two finite numbers`);
    }
    if (!(p[0] >= 0 && p[0] <= width - 1 && p[1] >= 0 && p[1] <= height - 1)) {
      throw new RangeError(`${fn}: ${name}.${key} ([${p[0]}, ${p[1]}]) must lie in the ${width}x${height} image: x in [0, ${width - 1}], y in [0, ${height - 1}]`);
    }
  };
  if (r.kind === 'distance') {
    pixel('from');
    pixel('to');
  } else if (r.kind === 'depth') pixel('at');
  return reference as ScaleReference;
}

/**
 * Measures a scale reference in an encoded clip and returns the factor to metres.
 *
 * @param scene - the encoded clip
 * @param reference - the known fact (checked); its `frame` is ignored: `options.modelFrame` says where to measure
 * @param options - `modelFrame` (default the model frame of `reference.frame`, else 0), chunking, progress, abort
 * @returns a new {@link ScaleMeasurement}
 * @throws TypeError / RangeError for a bad reference; {@link ScaleReferenceError} when the clip gives no
 *   usable measurement (coincident points, a depth that is not > 0, no floor below the camera)
 */
export async function measureScaleReference(
  scene: Scene,
  reference: ScaleReference,
  options: QueryOptions & { modelFrame?: number } = {},
): Promise<ScaleMeasurement> {
  const fn = 'measureScaleReference';
  checkScaleReference(fn, 'reference', reference, scene.width, scene.height);
  const f = options.modelFrame ?? (reference.frame !== undefined ? scene.frameOfSource(reference.frame) : 0);
  if (!Number.isInteger(f) || f < 0 || f >= scene.frames) {
    throw new RangeError(`${fn}: options.modelFrame (${describeValue(f)}) must be a model frame in [0, ${scene.frames - 1}]`);
  }
  const { chunkSize, onProgress, signal } = options;
  const q = { ...(chunkSize !== undefined && { chunkSize }), ...(onProgress && { onProgress }), ...(signal && { signal }) };
  const W = scene.width, H = scene.height;
  const norm = (p: Pixel): [number, number] => [W > 1 ? p[0] / (W - 1) : 0, H > 1 ? p[1] / (H - 1) : 0];
  const where = `source frame ${scene.sourceIndices[f]} (model frame ${f})`;
  if (reference.kind === 'height') {
    const r = await scene.query(gridQueries({ frames: [f], width: FLOOR_GRID, height: FLOOR_GRID, camera: 'own' }), q);
    const fit = scaleFromCameraHeight(r.xyz, reference.metres);
    if (fit === null) {
      throw new ScaleReferenceError(`${fn}: no floor found below the camera in ${where}: the camera height cannot be measured (pick a frame that shows the floor, or use a 'distance' or 'depth' reference)`);
    }
    return { scale: fit.scale, measured: fit.height, modelFrame: f };
  }
  const pts = reference.kind === 'distance' ? [reference.from, reference.to] : [reference.at];
  const uv = pts.map(norm);
  const r = await scene.query({ u: uv.map((p) => p[0]), v: uv.map((p) => p[1]), tSrc: uv.map(() => f), tTgt: uv.map(() => f), tCam: uv.map(() => f) }, q);
  if (reference.kind === 'depth') {
    const z = r.xyz[2]!;
    const scale = scaleFromDepth(z, reference.metres);
    if (scale === null) throw new ScaleReferenceError(`${fn}: the depth at pixel [${reference.at.join(', ')}] of ${where} is ${z}, not a positive distance`);
    return { scale, measured: z, modelFrame: f };
  }
  const a = r.xyz.subarray(0, 3), b = r.xyz.subarray(3, 6);
  const scale = scaleFromDistance(a, b, reference.metres);
  if (scale === null) {
    throw new ScaleReferenceError(`${fn}: pixels [${reference.from.join(', ')}] and [${reference.to.join(', ')}] of ${where} reach the same 3D point; pick two pixels on different surface points`);
  }
  return { scale, measured: reference.metres / scale, modelFrame: f };
}
