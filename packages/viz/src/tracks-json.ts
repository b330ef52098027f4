/**
 * Point tracks as JSON, schema `d4rt-tracks/1`: the `tracks.json` the `d4rt` CLI writes, with a
 * `schema` field added (and `confidence` when given).
 *
 * ```json
 * {
 *   "schema": "d4rt-tracks/1",
 *   "frames": 24, "points": 256, "frame": "world",
 *   "sourceFrames": [0, 1, ...],
 *   "conventions": "u = x / (width - 1), v = y / (height - 1); ...",
 *   "query": [[0.5, 0.5, 0], ...],
 *   "uv": [[u0, v0, u1, v1, ...], ...],
 *   "xyz": [[x0, y0, z0, x1, ...], ...],
 *   "visibility": [[p0, p1, ...], ...],
 *   "confidence": [[c0, c1, ...], ...]
 * }
 * ```
 *
 * `uv`, `xyz`, `visibility` and `confidence` hold one array per frame (frame `t`: the interleaved
 * values of points `0 .. points-1`), which is the frame-major memory layout of core's `Tracks`
 * (`t * points + i`) cut at frame boundaries. `query[i]` is `[u, v, frame]` of the point the track
 * started from. `frame` is `'camera'` (xyz in each frame's camera) or `'world'` (in the camera of
 * the reference frame). `sourceFrames`, `conventions`, `query`, `xyz` and `confidence` are
 * optional. Non-finite values are written as `null` and read back as NaN; float32 values with the
 * fewest digits that read back exactly.
 *
 * @packageDocumentation
 */

import { checkSchema, jsonNumbers, parseJsonObject, readNumbers, readOptionalNumberList } from './json-fields.js';
import { assertArray, assertLength, assertNumber, assertObject, assertOneOf, describe } from './validate.js';

/** The schema name written in the `schema` field. */
export const TRACKS_JSON_SCHEMA = 'd4rt-tracks/1';

/** The `conventions` sentence written by default (the CLI's). */
export const TRACKS_JSON_CONVENTIONS =
  'u = x / (width - 1), v = y / (height - 1); xyz in the camera of each frame (frame "camera") or of the first frame ("world"), up to scale; arrays per frame';

/** Tracks to encode (core's `Tracks` fits). */
export interface TracksJsonInput {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of points (integer >= 0). */
  points: number;
  /** The camera `xyz` is in; default `'camera'`. */
  frame?: 'camera' | 'world';
  /** 2D positions, `frames * points * 2`. */
  uv: ArrayLike<number>;
  /** 3D positions, `frames * points * 3`; optional. */
  xyz?: ArrayLike<number>;
  /** Visibility probability (or flag), `frames * points`. */
  visibility: ArrayLike<number>;
  /** Confidence, `frames * points`; optional. */
  confidence?: ArrayLike<number>;
}

/** The query points the tracks started from, struct of arrays (as the CLI's `--points`). */
export interface TracksJsonQuery {
  u: ArrayLike<number>;
  v: ArrayLike<number>;
  frame: ArrayLike<number>;
}

/** Options of {@link encodeTracksJson}. */
export interface EncodeTracksJsonOptions {
  /** The query point of each track (`points` long), written as `query: [[u, v, frame], ...]`. */
  query?: TracksJsonQuery;
  /** Source frame per model frame (`frames` long). */
  sourceFrames?: ArrayLike<number>;
  /** The `conventions` sentence; default {@link TRACKS_JSON_CONVENTIONS}; `''` leaves it out. */
  conventions?: string;
  /** Spaces of indentation (integer 0..10; 0 = one line); default 2, as the CLI. */
  indent?: number;
}

/** What {@link decodeTracksJson} returns: core's `Tracks` layout (new arrays). */
export interface DecodedTracks {
  schema: typeof TRACKS_JSON_SCHEMA;
  frames: number;
  points: number;
  frame: 'camera' | 'world';
  /** `frames * points * 2`. */
  uv: Float32Array;
  /** `frames * points * 3`, when the file has `xyz`. */
  xyz?: Float32Array;
  /** `frames * points`. */
  visibility: Float32Array;
  /** 1 where `visibility > 0.5`, `frames * points`. */
  visible: Uint8Array;
  /** `frames * points`, when the file has `confidence`. */
  confidence?: Float32Array;
  /** The query points, when the file has `query`. */
  query?: { u: Float32Array; v: Float32Array; frame: Int32Array };
  sourceFrames?: number[];
  conventions?: string;
}

const FRAMES = ['camera', 'world'] as const;

/**
 * Encodes tracks as `d4rt-tracks/1` JSON (see the module notes for the layout).
 *
 * Returns a **new** string ending with a newline.
 *
 * @param tracks - `{ frames, points, frame?, uv, xyz?, visibility, confidence? }`, frame-major
 * @param options - query points, source frames, conventions, indentation
 * @returns the JSON text
 * @throws TypeError for arguments of the wrong type; RangeError for wrong lengths or counts
 */
export function encodeTracksJson(tracks: TracksJsonInput, options: EncodeTracksJsonOptions = {}): string {
  const fn = 'encodeTracksJson';
  assertObject(fn, 'tracks', tracks);
  const { frames, points, frame = 'camera', uv, xyz, visibility, confidence } = tracks;
  assertNumber(fn, 'tracks.frames', frames, { integer: true, min: 1 });
  assertNumber(fn, 'tracks.points', points, { integer: true, min: 0 });
  assertOneOf(fn, 'tracks.frame', frame, FRAMES);
  const n = frames * points;
  assertArray(fn, 'tracks.uv', uv);
  assertLength(fn, 'tracks.uv', uv, 2 * n, 'tracks.frames * tracks.points * 2');
  if (xyz !== undefined) {
    assertArray(fn, 'tracks.xyz', xyz);
    assertLength(fn, 'tracks.xyz', xyz, 3 * n, 'tracks.frames * tracks.points * 3');
  }
  assertArray(fn, 'tracks.visibility', visibility);
  assertLength(fn, 'tracks.visibility', visibility, n, 'tracks.frames * tracks.points');
  if (confidence !== undefined) {
    assertArray(fn, 'tracks.confidence', confidence);
    assertLength(fn, 'tracks.confidence', confidence, n, 'tracks.frames * tracks.points');
  }
  const opts: unknown = options;
  assertObject(fn, 'options', opts);
  const { query, sourceFrames, conventions = TRACKS_JSON_CONVENTIONS, indent = 2 } = options;
  if (query !== undefined) {
    if (typeof query !== 'object' || query === null) throw new TypeError(`${fn}: options.query (${describe(query)}) must be an object { u, v, frame }`);
    for (const key of ['u', 'v', 'frame'] as const) {
      const values = query[key];
      assertArray(fn, `options.query.${key}`, values);
      assertLength(fn, `options.query.${key}`, values, points, 'tracks.points');
    }
  }
  if (sourceFrames !== undefined) {
    assertArray(fn, 'options.sourceFrames', sourceFrames);
    assertLength(fn, 'options.sourceFrames', sourceFrames, frames, 'tracks.frames');
  }
  if (typeof conventions !== 'string') throw new TypeError(`${fn}: options.conventions (${describe(conventions)}) must be a string`);
  assertNumber(fn, 'options.indent', indent, { integer: true, min: 0, max: 10 });

  const perFrame = (values: ArrayLike<number>, k: number): (number | null)[][] =>
    Array.from({ length: frames }, (_, t) => jsonNumbers(values, t * points * k, (t + 1) * points * k, values instanceof Float32Array));
  const doc: Record<string, unknown> = { schema: TRACKS_JSON_SCHEMA, frames, points, frame };
  if (sourceFrames !== undefined) doc['sourceFrames'] = Array.from(sourceFrames);
  if (conventions !== '') doc['conventions'] = conventions;
  if (query !== undefined) {
    const f32 = (a: ArrayLike<number>, i: number): number | null => jsonNumbers(a, i, i + 1, a instanceof Float32Array)[0]!;
    doc['query'] = Array.from({ length: points }, (_, i) => [f32(query.u, i), f32(query.v, i), query.frame[i]!]);
  }
  doc['uv'] = perFrame(uv, 2);
  if (xyz !== undefined) doc['xyz'] = perFrame(xyz, 3);
  doc['visibility'] = perFrame(visibility, 1);
  if (confidence !== undefined) doc['confidence'] = perFrame(confidence, 1);
  return `${JSON.stringify(doc, null, indent)}\n`;
}

/**
 * Decodes `d4rt-tracks/1` JSON (and the CLI's `tracks.json` written before the `schema` field)
 * into core's frame-major `Tracks` layout.
 *
 * Returns **new** arrays.
 *
 * @param text - the JSON text
 * @returns the tracks
 * @throws TypeError when `text` is not a string or a field has the wrong type; RangeError when it is
 *   not JSON, names another schema, or the counts or lengths are wrong
 */
export function decodeTracksJson(text: string): DecodedTracks {
  const fn = 'decodeTracksJson';
  const json = parseJsonObject(fn, text);
  checkSchema(fn, json, TRACKS_JSON_SCHEMA);
  const { frames, points, frame = 'camera', conventions } = json;
  assertNumber(fn, 'frames', frames, { integer: true, min: 1 });
  assertNumber(fn, 'points', points, { integer: true, min: 0 });
  assertOneOf(fn, 'frame', frame, FRAMES);
  if (conventions !== undefined && typeof conventions !== 'string') throw new TypeError(`${fn}: conventions (${describe(conventions)}) must be a string`);
  const sourceFrames = readOptionalNumberList(fn, 'sourceFrames', json['sourceFrames']);
  if (sourceFrames !== undefined && sourceFrames.length !== frames) {
    throw new RangeError(`${fn}: sourceFrames.length (${sourceFrames.length}) must equal frames (${frames})`);
  }

  const perFrame = (name: string, k: number, required: boolean): Float32Array | undefined => {
    const value = json[name];
    if (value === undefined && !required) return undefined;
    if (!Array.isArray(value)) throw new TypeError(`${fn}: ${name} (${describe(value)}) must be an array with one array per frame`);
    if (value.length !== frames) throw new RangeError(`${fn}: ${name}.length (${value.length}) must equal frames (${frames})`);
    const out = new Float32Array(frames * points * k);
    for (let t = 0; t < frames; t++) readNumbers(fn, `${name}[${t}]`, value[t], points * k, out, t * points * k);
    return out;
  };
  const uv = perFrame('uv', 2, true)!;
  const xyz = perFrame('xyz', 3, false);
  const visibility = perFrame('visibility', 1, true)!;
  const confidence = perFrame('confidence', 1, false);
  const visible = new Uint8Array(visibility.length);
  for (let i = 0; i < visible.length; i++) visible[i] = visibility[i]! > 0.5 ? 1 : 0;

  const out: DecodedTracks = { schema: TRACKS_JSON_SCHEMA, frames, points, frame, uv, visibility, visible };
  if (xyz !== undefined) out.xyz = xyz;
  if (confidence !== undefined) out.confidence = confidence;
  const query = json['query'];
  if (query !== undefined) {
    if (!Array.isArray(query)) throw new TypeError(`${fn}: query (${describe(query)}) must be an array of [u, v, frame]`);
    if (query.length !== points) throw new RangeError(`${fn}: query.length (${query.length}) must equal points (${points})`);
    const q = { u: new Float32Array(points), v: new Float32Array(points), frame: new Int32Array(points) };
    const triple = new Float64Array(3);
    for (let i = 0; i < points; i++) {
      readNumbers(fn, `query[${i}]`, query[i], 3, triple, 0);
      q.u[i] = triple[0]!;
      q.v[i] = triple[1]!;
      q.frame[i] = triple[2]!;
    }
    out.query = q;
  }
  if (sourceFrames !== undefined) out.sourceFrames = sourceFrames;
  if (conventions !== undefined) out.conventions = conventions;
  return out;
}
