/**
 * Query tuples `(u, v, tSrc, tTgt, tCam)` as struct-of-arrays typed arrays, builders for the
 * common tasks, and range checks.
 *
 * A query asks: where, at time `tTgt`, is the surface point seen at `(u, v)` in frame `tSrc`,
 * expressed in the camera of frame `tCam`? `u = x / (W - 1)`, `v = y / (H - 1)` in [0, 1]; frames
 * are 0-based indices into the encoded clip (the model's `T` frames).
 *
 * @module
 */
import { InvalidQueryError, describeValue } from './errors.js';

/** A batch of queries, struct-of-arrays; all five arrays have the same length. */
export interface QueryBatch {
  /** Horizontal image coordinate in [0, 1] (`x / (W - 1)`). */
  u: Float32Array;
  /** Vertical image coordinate in [0, 1] (`y / (H - 1)`). */
  v: Float32Array;
  /** Frame the point is seen in. */
  tSrc: Int32Array;
  /** Frame at which its position is asked. */
  tTgt: Int32Array;
  /** Frame whose camera the 3D answer is expressed in. */
  tCam: Int32Array;
}

/** Any array-likes accepted by {@link toQueryBatch} (numbers, typed arrays). */
export interface QueryInput {
  u: ArrayLike<number>;
  v: ArrayLike<number>;
  tSrc: ArrayLike<number>;
  tTgt: ArrayLike<number>;
  tCam: ArrayLike<number>;
}

/**
 * The most queries one call answers (2^25 = 33,554,432: 16 frames of 1920 x 1080 pixels, about
 * 1.6 GB of queries and answers). A call that would ask more is refused before anything is
 * allocated: split it (fewer frames, a smaller grid, fewer points per call).
 */
export const MAX_QUERIES = 2 ** 25;

/**
 * Checks that a call asks at most {@link MAX_QUERIES} queries.
 * @param fn - caller name for messages
 * @param count - queries the call would ask
 * @param what - how the count comes about, for the message (e.g. `'16 frames x 4096 x 4096'`)
 * @throws {@link InvalidQueryError} when `count` is over the limit
 */
export function assertQueryCount(fn: string, count: number, what: string): void {
  if (count > MAX_QUERIES) {
    throw new InvalidQueryError(
      `${fn}: ${what} = ${count} queries is more than one call answers (${MAX_QUERIES}, about ${Math.round((MAX_QUERIES * 48) / 1e9 * 10) / 10} GB of queries and answers); ask for fewer frames, a smaller grid or fewer points, or split the call`,
    );
  }
}

/** Allocates an empty batch of `count` queries. */
export function createQueryBatch(count: number): QueryBatch {
  return { u: new Float32Array(count), v: new Float32Array(count), tSrc: new Int32Array(count), tTgt: new Int32Array(count), tCam: new Int32Array(count) };
}

/** Number of queries in a batch. */
export function queryCount(q: QueryInput): number {
  return q.u.length;
}

/**
 * Checks `input` against a clip of `frames` frames and returns it as a {@link QueryBatch}
 * (the same arrays when they already have the right types, else copies).
 *
 * @param input - the queries
 * @param frames - frames of the encoded clip (T)
 * @param fn - caller name for messages
 * @throws TypeError when a field is missing or not array-like; {@link InvalidQueryError} for
 *   different lengths, more than {@link MAX_QUERIES} queries, `u`/`v` that are not numbers in [0, 1]
 *   (NaN, a string, a bigint), a frame that is not an integer in `[0, frames - 1]`
 */
export function toQueryBatch(input: QueryInput, frames: number, fn = 'query'): QueryBatch {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`${fn}: queries (${describeValue(input)}) must be an object { u, v, tSrc, tTgt, tCam } of arrays`);
  }
  const keys = ['u', 'v', 'tSrc', 'tTgt', 'tCam'] as const;
  for (const k of keys) {
    const a = (input as unknown as Record<string, unknown>)[k];
    const length = (a as ArrayLike<number> | null)?.length;
    if (a === null || typeof a !== 'object' || typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new TypeError(`${fn}: queries.${k} (${describeValue(a)}) must be an array or typed array`);
    }
  }
  const n = input.u.length;
  for (const k of keys) {
    if (input[k].length !== n) {
      throw new InvalidQueryError(`${fn}: queries.${k}.length (${input[k].length}) must equal queries.u.length (${n})`);
    }
  }
  assertQueryCount(fn, n, 'queries.u.length');
  const coordinates = (name: 'u' | 'v'): Float32Array => {
    const a = input[name];
    // a Float32Array is used as it is; other arrays are copied, each element checked to be a number first
    // (Float32Array.from would turn a string into a number, and throw a TypeError at a bigint or symbol)
    const out = a instanceof Float32Array ? a : new Float32Array(n);
    const bad = (i: number, value: string, allowed: string): InvalidQueryError =>
      new InvalidQueryError(`${fn}: queries.${name}[${i}] (${value}) must be ${allowed} [0, 1] (${name} = ${name === 'u' ? 'x / (width - 1)' : 'y / (height - 1)'})`);
    for (let i = 0; i < n; i++) {
      const x = a[i] as unknown;
      if (typeof x !== 'number') throw bad(i, describeValue(x), 'a number in');
      const f = Math.fround(x);
      if (!(f >= 0 && f <= 1)) throw bad(i, String(f), 'in');
      if (out !== a) out[i] = x;
    }
    return out;
  };
  const u = coordinates('u');
  const v = coordinates('v');
  const times = keys.slice(2).map((k) => {
    const src = input[k];
    assertFrameIndices(fn, `queries.${k}`, src, frames);
    return src instanceof Int32Array ? src : Int32Array.from(src);
  }) as [Int32Array, Int32Array, Int32Array];
  return { u, v, tSrc: times[0], tTgt: times[1], tCam: times[2] };
}

/**
 * Checks that every value is an integer frame index of a clip of `frames` frames.
 * @param fn - caller name for messages
 * @param name - the argument's name for messages, e.g. `'queries.tSrc'`
 * @throws {@link InvalidQueryError} naming the first bad index, its value and the allowed range
 */
export function assertFrameIndices(fn: string, name: string, values: ArrayLike<number>, frames: number): void {
  for (let i = 0; i < values.length; i++) {
    const t = values[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= frames) {
      throw new InvalidQueryError(`${fn}: ${name}[${i}] (${describeValue(t)}) must be an integer frame index in [0, ${frames - 1}] (the clip has ${frames} frames)`);
    }
  }
}

/**
 * The `(u, v)` of a `width x height` pixel grid, row-major, pixel centres at the ends
 * (`u = x / (width - 1)`; a size of 1 gives 0).
 * @returns new `u`, `v` arrays of `width * height`
 */
export function gridUv(width: number, height: number): { u: Float32Array; v: Float32Array } {
  const u = new Float32Array(width * height);
  const v = new Float32Array(width * height);
  const sx = Math.max(width - 1, 1);
  const sy = Math.max(height - 1, 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      u[y * width + x] = x / sx;
      v[y * width + x] = y / sy;
    }
  }
  return { u, v };
}

/**
 * Grid queries: for each `frames[i]`, a `width x height` grid with `tSrc = tTgt = frames[i]` and
 * `tCam = frames[i]` (`camera: 'own'`) or a fixed camera frame.
 * @returns a new batch of `frames.length * width * height` queries, frame-major then row-major
 */
export function gridQueries(options: { frames: ArrayLike<number>; width: number; height: number; camera?: 'own' | number }): QueryBatch {
  const { frames, width, height } = options;
  // no frames, no queries: and no width x height grid (16384 x 16384 is 2 GB of coordinates)
  if (frames.length === 0) return createQueryBatch(0);
  const { u, v } = gridUv(width, height);
  const n = width * height;
  const q = createQueryBatch(frames.length * n);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const cam = options.camera === undefined || options.camera === 'own' ? f : options.camera;
    q.u.set(u, i * n);
    q.v.set(v, i * n);
    q.tSrc.fill(f, i * n, (i + 1) * n);
    q.tTgt.fill(f, i * n, (i + 1) * n);
    q.tCam.fill(cam, i * n, (i + 1) * n);
  }
  return q;
}

/** Points to track: `u`, `v` in [0, 1] seen in frame `frame` (model frame index), one entry per point. */
export interface TrackPoints {
  u: ArrayLike<number>;
  v: ArrayLike<number>;
  frame: ArrayLike<number>;
}

/**
 * Track queries: every point at every frame `0 .. frames-1`, frame-major (`index = t * points + i`),
 * with `tCam = t` (`'camera'`) or a fixed reference frame (`'world'`).
 * @returns a new batch of `frames * points` queries
 */
export function trackQueries(points: TrackPoints, options: { frames: number; camera: 'own' | number }): QueryBatch {
  const n = points.u.length;
  const T = options.frames;
  const q = createQueryBatch(T * n);
  for (let t = 0; t < T; t++) {
    const cam = options.camera === 'own' ? t : options.camera;
    for (let i = 0; i < n; i++) {
      const j = t * n + i;
      q.u[j] = points.u[i]!;
      q.v[j] = points.v[i]!;
      q.tSrc[j] = points.frame[i]!;
      q.tTgt[j] = t;
      q.tCam[j] = cam;
    }
  }
  return q;
}

/** Concatenates batches into one new batch. */
export function concatQueries(batches: readonly QueryBatch[]): QueryBatch {
  const n = batches.reduce((s, b) => s + b.u.length, 0);
  const out = createQueryBatch(n);
  let o = 0;
  for (const b of batches) {
    out.u.set(b.u, o);
    out.v.set(b.v, o);
    out.tSrc.set(b.tSrc, o);
    out.tTgt.set(b.tTgt, o);
    out.tCam.set(b.tCam, o);
    o += b.u.length;
  }
  return out;
}

/**
 * Uniformly random queries (deterministic by `seed`): `u`, `v` in [0, 1) and one random frame per
 * query used as `tSrc`, `tTgt` and `tCam` alike. For benchmarks and tests.
 * @returns a new batch of `count` queries
 */
export function randomQueries(options: { count: number; frames: number; seed?: number }): QueryBatch {
  const { count, frames } = options;
  let a = (options.seed ?? 1) >>> 0;
  // mulberry32
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const q = createQueryBatch(count);
  for (let i = 0; i < count; i++) {
    q.u[i] = rnd();
    q.v[i] = rnd();
    const t = Math.min(frames - 1, Math.floor(rnd() * frames));
    q.tSrc[i] = t;
    q.tTgt[i] = t;
    q.tCam[i] = t;
  }
  return q;
}
