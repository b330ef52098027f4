/**
 * Cameras as JSON, schema `d4rt-cameras/1`: the `cameras.json` the `d4rt` CLI writes, with a
 * `schema` field added.
 *
 * ```json
 * {
 *   "schema": "d4rt-cameras/1",
 *   "frames": 2, "width": 640, "height": 480,
 *   "sourceFrames": [0, 3],
 *   "conventions": "OpenCV camera axes (x right, y down, z forward); ...",
 *   "intrinsics": [{ "fx": 500, "fy": 500, "cx": 319.5, "cy": 239.5 }, ...],
 *   "cameraToWorld": [[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], ...]
 * }
 * ```
 *
 * - `intrinsics[i]`: `{ fx, fy, cx, cy }` in pixels of the `width x height` source video.
 * - `cameraToWorld[i]`: the 4x4 camera-to-world matrix as **4 rows of 4 numbers** (row-major nested
 *   arrays, as the CLI and the `pi3-room` dataset files write it and as `numpy.array` reads it);
 *   in memory it is the usual column-major `mat4` (`m[4 * col + row]`). Non-finite entries (a
 *   failed pose fit) are written as `null` and read back as NaN.
 * - `sourceFrames` (optional): the source video frame behind each model frame.
 * - `conventions` (optional): a sentence for people reading the file.
 *
 * Float32 values are written with the fewest digits that read back exactly.
 *
 * @packageDocumentation
 */

import type { Intrinsics } from '@d4rt/geometry';
import { checkSchema, jsonNumbers, parseJsonObject, readNumbers, readOptionalNumberList } from './json-fields.js';
import { assertArray, assertLength, assertNumber, assertObject, describe } from './validate.js';

/** The schema name written in the `schema` field. */
export const CAMERAS_JSON_SCHEMA = 'd4rt-cameras/1';

/** The `conventions` sentence written by default (the CLI's). */
export const CAMERAS_JSON_CONVENTIONS =
  'OpenCV camera axes (x right, y down, z forward); intrinsics in pixels of the source video; cameraToWorld row-major 4x4; world = camera of the first frame; translations up to one scale per clip';

/** Cameras to encode (core's `Cameras` fits). */
export interface CamerasJsonInput {
  /** Number of cameras; default `cameraToWorld.length` (must equal it when given). */
  frames?: number;
  /** Source video width in pixels (> 0). */
  width: number;
  /** Source video height in pixels (> 0). */
  height: number;
  /** Per camera, in pixels. */
  intrinsics: readonly Intrinsics[];
  /** Per camera, camera-to-world `mat4` (column-major, 16 numbers). */
  cameraToWorld: readonly ArrayLike<number>[];
}

/** Options of {@link encodeCamerasJson}. */
export interface EncodeCamerasJsonOptions {
  /** Source frame per camera (written as `sourceFrames`); default none. */
  sourceFrames?: ArrayLike<number>;
  /** The `conventions` sentence; default {@link CAMERAS_JSON_CONVENTIONS}; `''` leaves it out. */
  conventions?: string;
  /** Spaces of indentation (integer 0..10; 0 = one line); default 2, as the CLI. */
  indent?: number;
}

/** What {@link decodeCamerasJson} returns. */
export interface DecodedCameras {
  schema: typeof CAMERAS_JSON_SCHEMA;
  frames: number;
  width: number;
  height: number;
  /** Per camera, new objects. */
  intrinsics: Intrinsics[];
  /** Per camera, new column-major `Float32Array(16)`s; NaN where the file has `null`. */
  cameraToWorld: Float32Array[];
  sourceFrames?: number[];
  conventions?: string;
}

/**
 * Encodes cameras as `d4rt-cameras/1` JSON (see the module notes for the layout).
 *
 * Returns a **new** string ending with a newline.
 *
 * @param cameras - `{ width, height, intrinsics, cameraToWorld, frames? }`
 * @param options - source frames, conventions, indentation
 * @returns the JSON text
 * @throws TypeError for arguments of the wrong type; RangeError when the counts differ, a matrix is
 *   not 16 numbers or a size is not > 0
 */
export function encodeCamerasJson(cameras: CamerasJsonInput, options: EncodeCamerasJsonOptions = {}): string {
  const fn = 'encodeCamerasJson';
  assertObject(fn, 'cameras', cameras);
  const { width, height, intrinsics, cameraToWorld } = cameras;
  if (!Array.isArray(cameraToWorld)) throw new TypeError(`${fn}: cameras.cameraToWorld (${describe(cameraToWorld)}) must be an array of 4x4 matrices`);
  if (!Array.isArray(intrinsics)) throw new TypeError(`${fn}: cameras.intrinsics (${describe(intrinsics)}) must be an array of { fx, fy, cx, cy }`);
  const n = cameraToWorld.length;
  const frames = cameras.frames ?? n;
  assertNumber(fn, 'cameras.frames', frames, { integer: true, min: 0 });
  if (frames !== n) throw new RangeError(`${fn}: cameras.frames (${frames}) must equal cameras.cameraToWorld.length (${n})`);
  if (intrinsics.length !== n) throw new RangeError(`${fn}: cameras.intrinsics.length (${intrinsics.length}) must equal cameras.cameraToWorld.length (${n})`);
  assertNumber(fn, 'cameras.width', width, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'cameras.height', height, { min: 0, exclusiveMin: true });
  assertObject(fn, 'options', options);
  const { sourceFrames, conventions = CAMERAS_JSON_CONVENTIONS, indent = 2 } = options;
  if (sourceFrames !== undefined) {
    assertArray(fn, 'options.sourceFrames', sourceFrames);
    assertLength(fn, 'options.sourceFrames', sourceFrames, n, 'cameras.cameraToWorld.length');
  }
  if (typeof conventions !== 'string') throw new TypeError(`${fn}: options.conventions (${describe(conventions)}) must be a string`);
  assertNumber(fn, 'options.indent', indent, { integer: true, min: 0, max: 10 });

  const intrinsicsOut = intrinsics.map((k, i) => {
    if (typeof k !== 'object' || k === null) throw new TypeError(`${fn}: cameras.intrinsics[${i}] (${describe(k)}) must be an object { fx, fy, cx, cy }`);
    const out: Record<string, number | null> = {};
    for (const key of ['fx', 'fy', 'cx', 'cy'] as const) {
      const v = k[key];
      if (typeof v !== 'number') throw new TypeError(`${fn}: cameras.intrinsics[${i}].${key} (${describe(v)}) must be a number`);
      out[key] = Number.isFinite(v) ? v : null;
    }
    return out;
  });
  const posesOut = cameraToWorld.map((m, i) => {
    assertArray(fn, `cameras.cameraToWorld[${i}]`, m);
    assertLength(fn, `cameras.cameraToWorld[${i}]`, m, 16, '16 (a 4x4 matrix)');
    const rows: (number | null)[][] = [];
    for (let r = 0; r < 4; r++) {
      const row = [m[r]!, m[4 + r]!, m[8 + r]!, m[12 + r]!];
      rows.push(jsonNumbers(row, 0, 4, m instanceof Float32Array));
    }
    return rows;
  });
  const doc: Record<string, unknown> = { schema: CAMERAS_JSON_SCHEMA, frames: n, width, height };
  if (sourceFrames !== undefined) doc['sourceFrames'] = Array.from(sourceFrames);
  if (conventions !== '') doc['conventions'] = conventions;
  doc['intrinsics'] = intrinsicsOut;
  doc['cameraToWorld'] = posesOut;
  return `${JSON.stringify(doc, null, indent)}\n`;
}

/**
 * Decodes `d4rt-cameras/1` JSON (and the CLI's `cameras.json` written before the `schema` field).
 *
 * Returns **new** objects and arrays.
 *
 * @param text - the JSON text
 * @returns the cameras, with `cameraToWorld` as column-major `Float32Array(16)`s
 * @throws TypeError when `text` is not a string or a field has the wrong type; RangeError when it is
 *   not JSON, names another schema, or the counts or matrix shapes are wrong
 */
export function decodeCamerasJson(text: string): DecodedCameras {
  const fn = 'decodeCamerasJson';
  const json = parseJsonObject(fn, text);
  checkSchema(fn, json, CAMERAS_JSON_SCHEMA);
  const { frames, width, height, intrinsics, cameraToWorld, conventions } = json;
  assertNumber(fn, 'frames', frames, { integer: true, min: 0 });
  assertNumber(fn, 'width', width, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'height', height, { min: 0, exclusiveMin: true });
  if (!Array.isArray(intrinsics)) throw new TypeError(`${fn}: intrinsics (${describe(intrinsics)}) must be an array of { fx, fy, cx, cy }`);
  if (!Array.isArray(cameraToWorld)) throw new TypeError(`${fn}: cameraToWorld (${describe(cameraToWorld)}) must be an array of 4x4 row-major nested arrays`);
  if (intrinsics.length !== frames) throw new RangeError(`${fn}: intrinsics.length (${intrinsics.length}) must equal frames (${frames})`);
  if (cameraToWorld.length !== frames) throw new RangeError(`${fn}: cameraToWorld.length (${cameraToWorld.length}) must equal frames (${frames})`);
  const sourceFrames = readOptionalNumberList(fn, 'sourceFrames', json['sourceFrames']);
  if (sourceFrames !== undefined && sourceFrames.length !== frames) {
    throw new RangeError(`${fn}: sourceFrames.length (${sourceFrames.length}) must equal frames (${frames})`);
  }
  if (conventions !== undefined && typeof conventions !== 'string') throw new TypeError(`${fn}: conventions (${describe(conventions)}) must be a string`);

  const intrinsicsOut = intrinsics.map((k: unknown, i): Intrinsics => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw new TypeError(`${fn}: intrinsics[${i}] (${describe(k)}) must be an object { fx, fy, cx, cy }`);
    const record = k as Record<string, unknown>;
    const read = (key: keyof Intrinsics): number => {
      const v = record[key];
      if (v === null) return Number.NaN;
      if (typeof v !== 'number') throw new TypeError(`${fn}: intrinsics[${i}].${key} (${describe(v)}) must be a number`);
      return v;
    };
    return { fx: read('fx'), fy: read('fy'), cx: read('cx'), cy: read('cy') };
  });
  const posesOut = cameraToWorld.map((rows: unknown, i) => {
    const name = `cameraToWorld[${i}]`;
    if (!Array.isArray(rows)) throw new TypeError(`${fn}: ${name} (${describe(rows)}) must be 4 rows of 4 numbers (row-major)`);
    if (rows.length !== 4) throw new RangeError(`${fn}: ${name}.length (${rows.length}) must equal 4 (rows of a row-major 4x4 matrix)`);
    const row = new Float64Array(4);
    const m = new Float32Array(16);
    for (let r = 0; r < 4; r++) {
      readNumbers(fn, `${name}[${r}]`, rows[r], 4, row, 0);
      for (let c = 0; c < 4; c++) m[4 * c + r] = row[c]!;
    }
    return m;
  });
  const out: DecodedCameras = { schema: CAMERAS_JSON_SCHEMA, frames, width, height, intrinsics: intrinsicsOut, cameraToWorld: posesOut };
  if (sourceFrames !== undefined) out.sourceFrames = sourceFrames;
  if (conventions !== undefined) out.conventions = conventions;
  return out;
}
