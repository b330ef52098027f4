/**
 * Dense all-pixel tracking with an occupancy grid (D4RT, Algorithm 1): every pixel of every frame
 * belongs to a track, and each surface point is tracked once.
 *
 * The grid has one cell per pixel of a `width x height` raster for every covered frame. Frames are
 * visited in order; the cells of a frame that no track occupies yet become seeds, whose tracks are
 * queried at every target frame; wherever a track is visible it occupies the cell it lands in.
 * Later frames then only seed what earlier tracks did not reach (newly revealed surfaces, pixels
 * that spread apart). Tracks handed in as `seeds` (e.g. continued from a previous window) are
 * queried first and occupy cells like any other. The query count is `tracks * targets`, against
 * `frames * width * height * T` for tracking every pixel of every frame through every frame.
 *
 * @module
 */
import { describeValue } from '../errors.js';
import { assertFrameIndices, createQueryBatch, type QueryBatch, type TrackPoints } from '../queries.js';
import type { QueryOptions, Scene } from '../scene.js';
import { throwIfAborted } from '../progress.js';

/** Options of {@link denseTrack}. */
export interface DenseTrackOptions extends QueryOptions {
  /** Grid width in cells (default the model's input width). */
  width?: number;
  /** Grid height in cells (default the model's input height). */
  height?: number;
  /** Model frames whose pixels must all be covered (default all). */
  frames?: ArrayLike<number>;
  /** Model frames each track is answered at (default all); must include every frame of `frames`. */
  targets?: ArrayLike<number>;
  /** `'world'` (default): `xyz` in the camera of model frame 0; `'camera'`: in each target frame's camera. */
  camera?: 'world' | 'camera';
  /** Tracks to continue before seeding (their `frame` is a model frame); they come first in the result. */
  seeds?: TrackPoints;
}

/** Dense tracks of one clip; per-target arrays are target-major (entry `j * count + i` is track `i` at `targets[j]`). */
export interface DenseTracks {
  /** Number of tracks. */
  count: number;
  /** The model frames the tracks are answered at. */
  targets: Int32Array;
  /** The covered model frames. */
  frames: Int32Array;
  /** Grid size. */
  width: number;
  height: number;
  /** `(u, v)` per target and track, interleaved (`targets.length * count * 2`). */
  uv: Float32Array;
  /** 3D position per target and track (`targets.length * count * 3`), see {@link DenseTrackOptions.camera}. */
  xyz: Float32Array;
  /** Visibility probability per target and track. */
  visibility: Float32Array;
  /** Confidence per target and track. */
  confidence: Float32Array;
  /** Where each track was started: `u`, `v` and model frame. */
  seedU: Float32Array;
  seedV: Float32Array;
  seedFrame: Int32Array;
  /** The first `chained` tracks are `options.seeds`; the rest were seeded here. */
  chained: number;
  /** Queries run (`count * targets.length`). */
  queries: number;
  /** Queries of the naive way: `frames.length * width * height * T`. */
  naive: number;
  /** Grid cells (`frames.length * width * height`). */
  cells: number;
  /** Cells occupied at the end (every cell is: seeds occupy their own cell). */
  occupied: number;
}

function checkSize(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 2 || value > 4096) {
    throw new RangeError(`${fn}: options.${name} (${describeValue(value)}) must be an integer in [2, 4096]`);
  }
  return value;
}

/** Builds queries of `points` at every frame of `targets`, target-major. */
function queriesAt(u: ArrayLike<number>, v: ArrayLike<number>, frame: ArrayLike<number>, targets: Int32Array, camera: 'world' | 'camera'): QueryBatch {
  const n = u.length;
  const q = createQueryBatch(n * targets.length);
  for (let j = 0; j < targets.length; j++) {
    const t = targets[j]!;
    const cam = camera === 'world' ? 0 : t;
    const o = j * n;
    for (let i = 0; i < n; i++) {
      q.u[o + i] = u[i]!;
      q.v[o + i] = v[i]!;
      q.tSrc[o + i] = frame[i]!;
      q.tTgt[o + i] = t;
      q.tCam[o + i] = cam;
    }
  }
  return q;
}

/**
 * Tracks every pixel of a clip's frames with an occupancy grid (see the module notes).
 *
 * @param scene - the encoded clip
 * @param options - grid size, covered and target frames, camera, chained seeds, chunking, progress (`'query'`, per batch), abort
 * @returns new {@link DenseTracks}
 * @throws RangeError for a bad grid size or `camera`; {@link InvalidQueryError} for frames outside the clip or seeds out of range
 */
export async function denseTrack(scene: Scene, options: DenseTrackOptions = {}): Promise<DenseTracks> {
  const fn = 'denseTrack';
  const T = scene.frames;
  const W = options.width === undefined ? scene.modelWidth : checkSize(fn, 'width', options.width);
  const H = options.height === undefined ? scene.modelHeight : checkSize(fn, 'height', options.height);
  const camera = options.camera ?? 'world';
  if (camera !== 'world' && camera !== 'camera') throw new RangeError(`${fn}: options.camera (${describeValue(camera)}) must be 'world' or 'camera'`);
  const all = Int32Array.from({ length: T }, (_, i) => i);
  const frames = options.frames === undefined ? all : Int32Array.from(options.frames);
  const targets = options.targets === undefined ? all : Int32Array.from(options.targets);
  assertFrameIndices(fn, 'options.frames', frames, T);
  assertFrameIndices(fn, 'options.targets', targets, T);
  const slot = new Int32Array(T).fill(-1);
  frames.forEach((f, i) => {
    if (slot[f] !== -1) throw new RangeError(`${fn}: options.frames[${i}] (${f}) is listed twice`);
    slot[f] = i;
  });
  for (let i = 0; i < frames.length; i++) {
    if (!targets.includes(frames[i]!)) throw new RangeError(`${fn}: options.targets must include every covered frame; frame ${frames[i]} is missing`);
  }
  const plane = W * H;
  const occ = new Uint8Array(frames.length * plane);
  let occupied = 0;
  const nt = targets.length;
  // growing result, in batches
  const parts: { count: number; uv: Float32Array; xyz: Float32Array; visibility: Float32Array; confidence: Float32Array; u: Float32Array; v: Float32Array; f: Int32Array }[] = [];
  const { chunkSize, onProgress, signal } = options;
  const q = { ...(chunkSize !== undefined && { chunkSize }), ...(onProgress && { onProgress }), ...(signal && { signal }) };

  const mark = (x: number, y: number, s: number): void => {
    const c = s * plane + y * W + x;
    if (occ[c] === 0) {
      occ[c] = 1;
      occupied++;
    }
  };
  const run = async (u: Float32Array, v: Float32Array, f: Int32Array): Promise<void> => {
    const n = u.length;
    if (n === 0) return;
    const r = await scene.query(queriesAt(u, v, f, targets, camera), q);
    for (let j = 0; j < nt; j++) {
      const s = slot[targets[j]!]!;
      if (s < 0) continue;
      for (let i = 0; i < n; i++) {
        const k = j * n + i;
        if (!(r.visibility[k]! > 0.5)) continue;
        const x = Math.round(r.uv[2 * k]! * (W - 1));
        const y = Math.round(r.uv[2 * k + 1]! * (H - 1));
        if (x >= 0 && x < W && y >= 0 && y < H) mark(x, y, s);
      }
    }
    parts.push({ count: n, uv: r.uv, xyz: r.xyz, visibility: r.visibility, confidence: r.confidence, u, v, f });
  };

  let chained = 0;
  if (options.seeds !== undefined) {
    const s = options.seeds;
    if (typeof s !== 'object' || s === null) throw new TypeError(`${fn}: options.seeds (${describeValue(s)}) must be an object { u, v, frame } of arrays`);
    if (s.v.length !== s.u.length || s.frame.length !== s.u.length) {
      throw new RangeError(`${fn}: options.seeds.u, .v and .frame must have one length (${s.u.length}, ${s.v.length}, ${s.frame.length})`);
    }
    assertFrameIndices(fn, 'options.seeds.frame', s.frame, T);
    chained = s.u.length;
    await run(Float32Array.from(s.u), Float32Array.from(s.v), Int32Array.from(s.frame));
  }
  for (let si = 0; si < frames.length; si++) {
    throwIfAborted(signal, fn);
    const f = frames[si]!;
    const u: number[] = [], v: number[] = [];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (occ[si * plane + y * W + x] !== 0) continue;
        u.push(x / (W - 1));
        v.push(y / (H - 1));
        mark(x, y, si);
      }
    }
    await run(Float32Array.from(u), Float32Array.from(v), new Int32Array(u.length).fill(f));
  }

  const count = parts.reduce((a, p) => a + p.count, 0);
  const out = {
    uv: new Float32Array(nt * count * 2),
    xyz: new Float32Array(nt * count * 3),
    visibility: new Float32Array(nt * count),
    confidence: new Float32Array(nt * count),
    seedU: new Float32Array(count),
    seedV: new Float32Array(count),
    seedFrame: new Int32Array(count),
  };
  let o = 0;
  for (const p of parts) {
    out.seedU.set(p.u, o);
    out.seedV.set(p.v, o);
    out.seedFrame.set(p.f, o);
    for (let j = 0; j < nt; j++) {
      const src = j * p.count, dst = j * count + o;
      out.uv.set(p.uv.subarray(2 * src, 2 * (src + p.count)), 2 * dst);
      out.xyz.set(p.xyz.subarray(3 * src, 3 * (src + p.count)), 3 * dst);
      out.visibility.set(p.visibility.subarray(src, src + p.count), dst);
      out.confidence.set(p.confidence.subarray(src, src + p.count), dst);
    }
    o += p.count;
  }
  return {
    count,
    targets,
    frames,
    width: W,
    height: H,
    ...out,
    chained,
    queries: count * nt,
    naive: frames.length * plane * T,
    cells: frames.length * plane,
    occupied,
  };
}
