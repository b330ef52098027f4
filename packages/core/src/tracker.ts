/**
 * Running the tracking decoder ("tracker", `manifest.tracker`): a whole trajectory per query point
 * `(u, v, tSrc)` at once, for all `T` frames, in each frame's camera. Unlike the query decoder,
 * the points of one run attend to each other (self-attention across trajectories), so a point's
 * answer depends on the other points run with it. The trained tracker is permutation-equivariant:
 * the order of the points does not matter, the set does.
 *
 * Grouping: the points of one call are run as one set when there are at most `maxPoints` of them
 * (default {@link DEFAULT_TRACKER_MAX_POINTS}); otherwise they are split into
 * `ceil(N / maxPoints)` groups of consecutive points whose sizes differ by at most one (so no group
 * is much smaller than the others), each its own set. `Scene.track` with `decoder: 'tracker'` runs
 * this; the raw outputs are decoded with the same head table as the decoder's ({@link trackerRowHeads}).
 *
 * @module
 */
import { relativePose } from '@d4rt/geometry';
import type { BackendSession, Tensor } from './backend.js';
import { createQueryResult, decodeChunk, rawWidth, trackerRowHeads, type QueryResult, type ResultOutput } from './heads.js';
import type { ModelManifest } from './manifest.js';
import { throwIfAborted, type AbortSignalLike, type ProgressCallback } from './progress.js';

/**
 * Default most points of one tracker run (`TrackOptions.maxPoints`). The trained tracker saw sets
 * of 64 to 256 points; 1024 keeps a grid of 32 x 32 points one set while its attention across
 * points (`T x heads x N^2` scores per frame-branch layer, 268 MB of float32 at N = 1024 and
 * T = 16) stays small enough for the wasm backend.
 */
export const DEFAULT_TRACKER_MAX_POINTS = 1024;

/**
 * The group sizes `maxPoints` makes of `n` points: one group of `n` when `n <= maxPoints`, else
 * `ceil(n / maxPoints)` groups of consecutive points whose sizes differ by at most one (the larger
 * ones first). `trackerGroups(0, k)` is `[]`.
 * @param n - number of points (integer >= 0)
 * @param maxPoints - most points per group (integer >= 1)
 * @returns a new array of sizes summing to `n`
 * @throws RangeError for a negative or non-integer `n`, or a `maxPoints` that is not an integer >= 1
 */
export function trackerGroups(n: number, maxPoints: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`trackerGroups: n (${n}) must be an integer >= 0`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`trackerGroups: maxPoints (${maxPoints}) must be an integer >= 1`);
  if (n === 0) return [];
  const groups = Math.ceil(n / maxPoints);
  const base = Math.floor(n / groups);
  const larger = n - base * groups;
  return Array.from({ length: groups }, (_, i) => base + (i < larger ? 1 : 0));
}

/** What {@link runTracker} needs. */
export interface TrackerRun {
  /** The tracker graph's session. */
  session: BackendSession;
  /** The model's manifest (with a `tracker` section). */
  manifest: ModelManifest;
  /** The scene's feeds: the encoder's `memory` and `layers`. */
  memory: Tensor;
  layers: Tensor;
  /** The points, already checked: `u`, `v` in [0, 1] and `frame` a model frame. */
  u: Float32Array;
  v: Float32Array;
  frame: Int32Array;
  /** Most points per run (integer >= 1). */
  maxPoints: number;
  /** Progress `stage: 'query'` in point-frames (`points x T`), after each group. */
  onProgress?: ProgressCallback | undefined;
  /** Checked before the first group and after every one. */
  signal?: AbortSignalLike | undefined;
  /** Caller name for messages, e.g. `'Scene.track'`. */
  fn: string;
  /**
   * Called before each run and after it (with what the run threw, if it did): throws when the
   * scene or model was disposed meanwhile.
   */
  alive(cause?: unknown): void;
}

/**
 * Runs the tracker on the points, group by group (see the module notes), and decodes every frame.
 * @returns a new {@link QueryResult} of `T x N` entries, frame-major (entry `t * N + i` is point `i`
 *   at frame `t`), `xyz` in the camera of frame `t`
 * @throws TypeError when the graph leaves out an output or returns one of the wrong size;
 *   what `alive` throws; `signal.reason` on abort
 */
export async function runTracker(run: TrackerRun): Promise<QueryResult> {
  const { session, manifest, memory, layers, u, v, frame, onProgress, signal, fn } = run;
  const T = manifest.clip.frames;
  const N = u.length;
  const heads = trackerRowHeads(manifest.tracker!.outputs);
  const out = createQueryResult(T * N);
  onProgress?.({ stage: 'query', done: 0, total: T * N });
  let start = 0;
  for (const n of trackerGroups(N, run.maxPoints)) {
    throwIfAborted(signal, fn);
    run.alive();
    const coords = new Float32Array(2 * n);
    const frames = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      coords[2 * i] = u[start + i]!;
      coords[2 * i + 1] = v[start + i]!;
      frames[i] = BigInt(frame[start + i]!);
    }
    let raw: Record<string, Tensor>;
    try {
      raw = await session.run({
        memory,
        layers,
        coords: { type: 'float32', data: coords, dims: [1, n, 2] },
        frames: { type: 'int64', data: frames, dims: [1, n] },
      });
    } catch (error) {
      run.alive(error);
      throw error;
    }
    run.alive();
    throwIfAborted(signal, fn);
    const values: Partial<Record<ResultOutput, Float32Array>> = {};
    for (const key of ['xyz', 'uv', 'visibility', 'confidence'] as const) {
      const t = raw[key];
      const want = T * n * rawWidth(heads[key]);
      if (!t || !(t.data instanceof Float32Array) || t.data.length !== want) {
        throw new TypeError(`${fn}: the tracker graph returned ${t ? `${t.type} '${key}' of ${t.data.length} values` : `no '${key}' output`}; expected float32 [1, ${T}, ${n}${heads[key].shape.slice(2).map((d) => `, ${d}`).join('')}] (${want} values)`);
      }
      values[key] = t.data;
    }
    // frame t of the group: rows t * n .. (t + 1) * n of each output -> entries t * N + start ..
    for (let t = 0; t < T; t++) {
      const slice = (key: 'xyz' | 'uv' | 'visibility' | 'confidence'): Float32Array => {
        const w = rawWidth(heads[key]);
        return values[key]!.subarray(t * n * w, (t + 1) * n * w);
      };
      decodeChunk(out, t * N + start, { xyz: slice('xyz'), uv: slice('uv'), visibility: slice('visibility'), confidence: slice('confidence') }, heads);
    }
    start += n;
    onProgress?.({ stage: 'query', done: start * T, total: T * N });
  }
  return out;
}

/**
 * Moves frame-major camera-frame points (`xyz[(t * points + i) * 3 ..]` in camera `t`) into the
 * camera of `referenceFrame`, in place: `p_ref = inverse(C_ref) C_t p` with `C` camera-to-world
 * poses (e.g. `scene.cameras().cameraToWorld`). A frame whose pose (or the reference's) is not
 * finite (a degenerate fit) gets NaN points.
 * @param xyz - `frames * points * 3` values; overwritten
 * @param options - `frames`, `points`, `cameraToWorld` (one `mat4` per frame), `referenceFrame`
 * @returns `xyz`
 */
export function tracksToReferenceCamera(
  xyz: Float32Array,
  options: { frames: number; points: number; cameraToWorld: readonly Float32Array[]; referenceFrame: number },
): Float32Array {
  const { frames: T, points: N, cameraToWorld, referenceFrame } = options;
  const m = new Float32Array(16);
  for (let t = 0; t < T; t++) {
    relativePose(m, cameraToWorld[referenceFrame]!, cameraToWorld[t]!);
    const ok = m.every(Number.isFinite);
    for (let i = t * N * 3; i < (t + 1) * N * 3; i += 3) {
      const x = xyz[i]!, y = xyz[i + 1]!, z = xyz[i + 2]!;
      xyz[i] = ok ? m[0]! * x + m[4]! * y + m[8]! * z + m[12]! : Number.NaN;
      xyz[i + 1] = ok ? m[1]! * x + m[5]! * y + m[9]! * z + m[13]! : Number.NaN;
      xyz[i + 2] = ok ? m[2]! * x + m[6]! * y + m[10]! * z + m[14]! : Number.NaN;
    }
  }
  return xyz;
}
