/**
 * A `Scene` is one encoded video: the encoder's memory plus what the decoder needs (for a model
 * with a K/V graph, that graph's outputs, computed once at `encode`). Every output is a batch of
 * queries against that memory, answered in chunks (queries never attend to each other, so the
 * chunk size changes an answer by float32 rounding at most).
 *
 * Frames are the model's T frames, `0 .. frames-1`; `sourceIndices[k]` is the source frame behind
 * model frame `k`. Intrinsics are in pixels of the source video; poses are camera-to-world
 * `mat4` (column-major `Float32Array(16)`) with the world = the camera of model frame 0; 3D
 * outputs are up to one scale per clip.
 *
 * Concurrency: calls on several scenes of one model, or several calls on one scene, may run at
 * once; the backend runs one decoder chunk at a time in call order (chunks of concurrent calls
 * interleave), and every call gets the answer it would get alone. Disposal and `signal` are checked
 * before the first chunk and after each one.
 *
 * @module
 */
import { umeyama, type Intrinsics } from '@d4rt/geometry';
import { medianInPlace } from '@d4rt/geometry/select';
import type { Tensor } from './backend.js';
import { InvalidQueryError, SceneDisposedError, describeValue } from './errors.js';
import { DEFAULT_TRACKER_MAX_POINTS, runTracker, tracksToReferenceCamera } from './tracker.js';
import { RESULT_OUTPUTS, createQueryResult, decodeChunk, rawWidth, type QueryResult, type ResultOutput } from './heads.js';
import type { D4rtModel, EncoderInput } from './model.js';
import { createDecoderInputs, fillDecoderInputs, type DecoderInputBuffers } from './decoder-inputs.js';
import { checkCallOptions, throwIfAborted, type AbortSignalLike, type ProgressCallback } from './progress.js';
import { assertFrameIndices, assertQueryCount, concatQueries, gridQueries, gridUv, toQueryBatch, trackQueries, type QueryBatch, type QueryInput, type TrackPoints } from './queries.js';
import type { VideoFrames } from './video.js';
import { modelFrameOfSource } from './frame-selection.js';
import { DEFAULT_UPSAMPLE, UPSAMPLE_MODES, resizeRgb, upsampleDepthMaps, type UpsampleMode } from './upsample.js';

/** Default number of queries per decoder run. */
export const DEFAULT_CHUNK_SIZE = 4096;

/** Options shared by every query-running method. */
export interface QueryOptions {
  /** Queries per decoder run (integer >= 1; default {@link DEFAULT_CHUNK_SIZE}). Answers do not depend on it beyond float32 rounding. */
  chunkSize?: number;
  /** Progress (`stage: 'query'`, in queries). */
  onProgress?: ProgressCallback;
  /** Checked before the first chunk and after every chunk; the call then rejects with `signal.reason`. */
  signal?: AbortSignalLike;
}

/** Options of {@link Scene.depth}. */
export interface DepthOptions extends QueryOptions {
  /** Model frames to compute (default all, `0 .. frames-1`). */
  frames?: ArrayLike<number>;
  /** Output width in pixels (default the model's input width). Any size works (see `upsample`). */
  width?: number;
  /** Output height in pixels (default the model's input height). */
  height?: number;
  /**
   * How maps larger than the model's input are made; used only when `width` > {@link Scene.modelWidth}
   * or `height` > {@link Scene.modelHeight} (at or below the model's size every pixel is a query):
   * - `'joint-bilateral'` (default): each frame is queried on a grid of
   *   `min(width, modelWidth) x min(height, modelHeight)`, and the grid's log depth is upsampled by
   *   joint-bilateral upsampling guided by the frame's source RGB resized to `width x height`
   *   (`upsampleJointBilateral`): depth edges follow the colour edges of the output size;
   * - `'bilinear'`: the same grid, upsampled bilinearly in log depth;
   * - `'none'`: one query per output pixel (`frames x width x height` queries).
   *
   * Confidence is upsampled with the same mode (in linear space). On the embedded d4rt-tiny
   * (96 x 64), the demo clip's 16 maps of 192 x 128 take 4x fewer queries with the grid (98 304
   * instead of 393 216; the call was 4.1x faster, the joint-bilateral pass about 0.1 s of it), at
   * AbsRel 0.2036 against 0.2039 with `'none'` (bilinear 0.2040); on the held-out fixtures
   * (120 x 80) the mean AbsRel was 0.3289 against 0.3288. The model's own error dominates both:
   * upsampling the exact depth at the grid's points gives AbsRel 0.003 (demo) / 0.004 (fixtures)
   * with `'joint-bilateral'`, 0.008 / 0.012 bilinear. See the benchmarks page.
   */
  upsample?: UpsampleMode;
}

/** Depth maps: `data[(i * height + y) * width + x]` is the depth of pixel (x, y) of frame `frameIndices[i]`. */
export interface DepthMaps {
  /** Depths along the optical axis (z), up to the clip's scale; `frames * height * width`, row-major. */
  data: Float32Array;
  /** The model's confidence per pixel, same layout. */
  confidence: Float32Array;
  /** Number of maps. */
  frames: number;
  width: number;
  height: number;
  /** Model frame of each map. */
  frameIndices: Int32Array;
}

/** Options of {@link Scene.track}. */
export interface TrackOptions extends QueryOptions {
  /**
   * `'camera'` (default): each frame's position in that frame's camera (`tCam = tTgt`).
   * `'world'`: all frames in the camera of `referenceFrame` (`tCam` fixed; with the tracker, each
   * frame's answer moved there by the scene's cameras, see `decoder`).
   */
  frame?: 'camera' | 'world';
  /** Model frame whose camera is the world for `frame: 'world'` (default 0). */
  referenceFrame?: number;
  /**
   * Which decoder tracks:
   * - `'query'` (default): D4RT's query decoder, one independent query `(u, v, tSrc, t, tCam)` per
   *   point and frame (`points x T` queries in chunks of `chunkSize`); a point's answer does not
   *   depend on the other points.
   * - `'tracker'`: the model's tracking decoder (`manifest.tracker`), a whole trajectory per point
   *   at once, in each frame's camera. Its points attend to each other, so **a point's answer
   *   depends on the other points of the same run** (not on their order). All points of the call
   *   are one run when there are at most `maxPoints`; else they are split into `ceil(N / maxPoints)`
   *   runs of consecutive points of equal size (within one), each a set of its own. For
   *   `frame: 'world'` the scene's cameras ({@link Scene.cameras}, estimated with the query
   *   decoder, `chunkSize` applying to them) move each frame's answer into the camera of
   *   `referenceFrame` (NaN for a frame whose pose fit failed). A model without a tracker graph
   *   throws {@link NoTrackerError}.
   */
  decoder?: 'query' | 'tracker';
  /**
   * `decoder: 'tracker'`: most points per tracker run (integer >= 1; default
   * {@link DEFAULT_TRACKER_MAX_POINTS}, 1024). Ignored by the query decoder.
   */
  maxPoints?: number;
}

/** Tracks of `points` points over `frames` frames, frame-major: entry `t * points + i` is point `i` at frame `t`. */
export interface Tracks {
  frames: number;
  points: number;
  /** Which camera `xyz` is in. */
  frame: 'camera' | 'world';
  /** 2D position `(u, v)` in [0, 1] in each frame, interleaved (`frames * points * 2`). */
  uv: Float32Array;
  /** 3D position, interleaved (`frames * points * 3`). */
  xyz: Float32Array;
  /** Visibility probability (`frames * points`). */
  visibility: Float32Array;
  /** 1 where `visibility > 0.5` (`frames * points`). */
  visible: Uint8Array;
  /** Confidence of the 3D answer (`frames * points`). */
  confidence: Float32Array;
}

/** Options of {@link Scene.cameras}. */
export interface CamerasOptions extends QueryOptions {
  /**
   * How cameras are estimated: `'default'` (the SDK's method, see {@link Scene.cameras}) or
   * `'opend4rt'` (OpenD4RT's post-processing). Default: the manifest's `cameras.recipe` when it
   * names one, else `'default'`.
   */
  recipe?: 'default' | 'opend4rt';
  /** Side of the query grid per frame for the pose fit (default 16, as training's evaluation; `'opend4rt'`: its one grid, default the manifest's `cameras.grid`, else 32). */
  poseGrid?: number;
  /** Side of the query grid per frame for the focal length (default 24). */
  focalGrid?: number;
}

/** Cameras of the model frames. */
export interface Cameras {
  frames: number;
  /** Per frame, in pixels of the source video; the principal point is the image centre. */
  intrinsics: Intrinsics[];
  /** Per frame, camera-to-world (`mat4`, column-major); the world is the camera of frame 0. NaN-filled where the fit was degenerate. */
  cameraToWorld: Float32Array[];
  /** Source video size the intrinsics refer to. */
  width: number;
  height: number;
}

/** Options of {@link Scene.pointCloud}. */
export interface PointCloudOptions extends QueryOptions {
  /** Model frames to include (default all). */
  frames?: ArrayLike<number>;
  /** Grid width per frame (default the model's input width). */
  width?: number;
  /** Grid height per frame (default the model's input height). */
  height?: number;
  /** Drop points whose confidence is below this (default 0: keep all). */
  minConfidence?: number;
}

/** A world-frame point cloud (world = camera of model frame 0). */
export interface PointCloud {
  count: number;
  /** Interleaved xyz (`count * 3`). */
  positions: Float32Array;
  /** RGB bytes from the source frames at each point's pixel (`count * 3`). */
  colors: Uint8Array;
  /** Confidence per point. */
  confidence: Float32Array;
  /** Model frame each point was seen in. */
  frameIndex: Uint16Array;
}

function checkSize(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 16384) {
    throw new RangeError(`${fn}: options.${name} (${describeValue(value)}) must be an integer in [1, 16384]`);
  }
  return value;
}

/** An encoded video. Made by {@link D4rtModel.encode}; `dispose()` it when done. */
export class Scene {
  /** Number of model frames (T). */
  readonly frames: number;
  /** Source video width in pixels (intrinsics refer to it). */
  readonly width: number;
  /** Source video height in pixels. */
  readonly height: number;
  /** Source frame index of each model frame (a copy owned by the scene). */
  readonly sourceIndices: Int32Array;
  /** The model's input width (`manifest.clip.width`): the default grid width of the dense outputs. */
  readonly modelWidth: number;
  /** The model's input height (`manifest.clip.height`). */
  readonly modelHeight: number;
  readonly #model: D4rtModel;
  readonly #input: EncoderInput;
  #memory: Tensor | null;
  /** The decoder's inputs that are the same for every chunk: `memory` if it takes it, and the K/V graph's outputs. */
  #sceneFeeds: Record<string, Tensor> | null;
  /** The encoder's `layers` output, when the manifest lists it (the tracker's input). */
  #layers: Tensor | null;
  readonly #video: VideoFrames;

  /** @internal Use {@link D4rtModel.encode}. */
  constructor(model: D4rtModel, state: { input: EncoderInput; memory: Tensor; video: VideoFrames; kv?: Record<string, Tensor>; layers?: Tensor }) {
    this.#model = model;
    this.#input = state.input;
    this.#memory = state.memory;
    this.#layers = state.layers ?? null;
    const takesMemory = model.manifest.decoder.inputs.memory !== undefined;
    this.#sceneFeeds = { ...(takesMemory && { memory: state.memory }), ...state.kv };
    this.#video = state.video;
    this.frames = model.manifest.clip.frames;
    this.width = state.video.width;
    this.height = state.video.height;
    this.sourceIndices = state.input.sourceIndices;
    this.modelWidth = model.manifest.clip.width;
    this.modelHeight = model.manifest.clip.height;
  }

  /** The encoder's memory (`[1, tokens, channels]`), a view; for custom decoders and tests. */
  get memory(): Tensor {
    return this.#alive('memory');
  }

  /**
   * The encoder's `layers` output (`[1, L, 1 + tubelets, channels]`, what the tracker reads), a
   * view; `undefined` for a model whose manifest does not list it.
   * @throws {@link SceneDisposedError} after `dispose()`
   */
  get layers(): Tensor | undefined {
    this.#alive('layers');
    return this.#layers ?? undefined;
  }

  #alive(fn: string): Tensor {
    if (this.#memory === null) throw new SceneDisposedError(`Scene.${fn}: the scene was disposed`);
    this.#model.assertAlive(`Scene.${fn}`);
    return this.#memory;
  }

  /** Inside a call: {@link SceneDisposedError} when the scene or its model was disposed since the call started. */
  #aliveDuringCall(fn: string, cause?: unknown): void {
    const options = cause === undefined ? undefined : { cause };
    if (this.#memory === null) throw new SceneDisposedError(`Scene.${fn}: the scene was disposed during the call`, options);
    this.#model.assertAliveAfterRun(`Scene.${fn}`, cause);
  }

  /**
   * The first model frame showing source frame `source`.
   * @throws RangeError when no model frame came from it (the message names the nearest ones)
   */
  frameOfSource(source: number): number {
    return modelFrameOfSource(this.sourceIndices, source, 'Scene.frameOfSource');
  }

  /**
   * Answers raw query tuples `(u, v, tSrc, tTgt, tCam)`.
   * @param queries - struct-of-arrays queries (typed arrays are used without copying when their types match)
   * @param options - `chunkSize`, `onProgress`, `signal` (checked before the first chunk and after each)
   * @returns a new {@link QueryResult}
   * @throws {@link InvalidQueryError} for out-of-range queries, or more than {@link MAX_QUERIES} (nothing
   *   is run); TypeError for options that are not an object, an `onProgress` that is not a function or
   *   a `signal` that is not an `AbortSignal`; {@link SceneDisposedError} after `dispose()` of the
   *   scene or its model, or when either is disposed while the call runs; `signal.reason` on abort
   */
  async query(queries: QueryInput, options: QueryOptions = {}): Promise<QueryResult> {
    const memory = this.#alive('query');
    checkCallOptions('Scene.query', options);
    const q = toQueryBatch(queries, this.frames, 'Scene.query');
    return this.#run('query', memory, q, options);
  }

  /**
   * Runs `q` chunk by chunk. `signal` and disposal are checked before the first chunk and after
   * every one: the decoder run under way when the scene or model is disposed (or the signal aborts)
   * finishes, its answer is dropped, and the call rejects.
   */
  async #run(fn: string, memory: Tensor, q: QueryBatch, options: QueryOptions): Promise<QueryResult> {
    const chunk = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunk) || chunk < 1) {
      throw new RangeError(`Scene.${fn}: options.chunkSize (${describeValue(chunk)}) must be an integer >= 1`);
    }
    const manifest = this.#model.manifest;
    const heads = manifest.decoder.outputs;
    const present = (Object.keys(RESULT_OUTPUTS) as ResultOutput[]).filter((k) => heads[k] !== undefined);
    const n = q.u.length;
    const out = createQueryResult(n, { normal: heads.normal !== undefined, displacement: heads.displacement !== undefined });
    const { onProgress, signal } = options;
    throwIfAborted(signal, `Scene.${fn}`);
    onProgress?.({ stage: 'query', done: 0, total: n });
    const video = this.#input.video;
    const session = this.#model.decoderSession;
    // Two sets of input buffers: chunk i + 1 is prepared (patches, coordinates) while the runtime
    // runs chunk i, and chunk i is decoded after; the runtime never sees a buffer being written.
    const buffers = [0, 1].map(() => createDecoderInputs(Math.min(chunk, n), manifest.patch.size));
    const sceneFeeds = this.#sceneFeeds!;
    const prepare = (start: number, b: DecoderInputBuffers): Record<string, Tensor> => {
      const { coords, times, patches } = fillDecoderInputs(b, { queries: q, start, count: Math.min(chunk, n - start), video, manifest, memory });
      return { ...sceneFeeds, coords: coords!, times: times!, patches: patches! };
    };
    let feeds = n > 0 ? prepare(0, buffers[0]!) : null;
    for (let start = 0, k = 0; start < n; start += chunk, k++) {
      throwIfAborted(signal, `Scene.${fn}`);
      this.#aliveDuringCall(fn);
      const c = Math.min(chunk, n - start);
      const running = session.run(feeds!);
      // prepare the next chunk while this one runs (errors surface after the run settles)
      let next: Record<string, Tensor> | null = null;
      let prepError: unknown = null;
      if (start + chunk < n) {
        try {
          next = prepare(start + chunk, buffers[(k + 1) % 2]!);
        } catch (error) {
          prepError = error;
        }
      }
      let raw: Record<string, Tensor>;
      try {
        raw = await running;
      } catch (error) {
        this.#aliveDuringCall(fn, error);
        throw error;
      }
      this.#aliveDuringCall(fn);
      throwIfAborted(signal, `Scene.${fn}`);
      if (prepError !== null) throw prepError;
      const rawChunk: Partial<Record<ResultOutput, Float32Array>> = {};
      for (const k of present) rawChunk[k] = (raw[k]!.data as Float32Array).subarray(0, c * rawWidth(heads[k]!));
      decodeChunk(out, start, rawChunk as Parameters<typeof decodeChunk>[2], heads);
      onProgress?.({ stage: 'query', done: start + c, total: n });
      feeds = next;
    }
    return out;
  }

  #frames(fn: string, frames: ArrayLike<number> | undefined): Int32Array {
    if (frames === undefined) return Int32Array.from({ length: this.frames }, (_, i) => i);
    if (typeof frames !== 'object' || frames === null || typeof frames.length !== 'number') {
      throw new TypeError(`${fn}: options.frames (${describeValue(frames)}) must be an array of model frame indices`);
    }
    assertFrameIndices(fn, 'options.frames', frames, this.frames);
    return Int32Array.from(frames);
  }

  /**
   * Depth maps: for each frame, a pixel grid of queries with `tSrc = tTgt = tCam` (keeps `z`); above
   * the model's input size, a grid of the model's size upsampled to `width x height` (`upsample`).
   * @param options - `frames` (default all), `width` x `height` (default the model's input size; any size), `upsample`, chunking, progress (in queries), `signal`
   * @returns new {@link DepthMaps}
   * @throws {@link InvalidQueryError} when frames x width x height is over {@link MAX_QUERIES};
   *   RangeError for an unknown `upsample`; options, {@link SceneDisposedError} and `signal.reason` as {@link Scene.query}
   */
  async depth(options: DepthOptions = {}): Promise<DepthMaps> {
    const memory = this.#alive('depth');
    checkCallOptions('Scene.depth', options);
    const frames = this.#frames('Scene.depth', options.frames);
    const width = options.width === undefined ? this.#model.manifest.clip.width : checkSize('Scene.depth', 'width', options.width);
    const height = options.height === undefined ? this.#model.manifest.clip.height : checkSize('Scene.depth', 'height', options.height);
    const mode = options.upsample ?? DEFAULT_UPSAMPLE;
    if (!UPSAMPLE_MODES.includes(mode)) {
      throw new RangeError(`Scene.depth: options.upsample (${describeValue(mode)}) must be one of ${UPSAMPLE_MODES.map((m) => `'${m}'`).join(', ')}`);
    }
    assertQueryCount('Scene.depth', frames.length * width * height, `${frames.length} frames x ${width} x ${height}`);
    // the query grid: the output size, or no larger than the model's input when upsampling
    const gw = mode === 'none' ? width : Math.min(width, this.modelWidth);
    const gh = mode === 'none' ? height : Math.min(height, this.modelHeight);
    const q = gridQueries({ frames, width: gw, height: gh, camera: 'own' });
    const r = await this.#run('depth', memory, q, options);
    const data = new Float32Array(r.count);
    for (let i = 0; i < r.count; i++) data[i] = r.xyz[3 * i + 2]!;
    const maps: DepthMaps = { data, confidence: r.confidence, frames: frames.length, width: gw, height: gh, frameIndices: frames };
    if (gw === width && gh === height) return maps;
    const { data: rgb, width: Ws, height: Hs } = this.#video;
    const guide = mode === 'joint-bilateral'
      ? resizeRgb(new Uint8Array(frames.length * width * height * 3), rgb, { srcWidth: Ws, srcHeight: Hs, frameIndices: Array.from(frames, (k) => this.#input.frameIndices[k]!), width, height })
      : undefined;
    return upsampleDepthMaps(maps, { width, height, mode, ...(guide && { guide }) });
  }

  /**
   * Tracks points through every model frame, with the query decoder (default) or the model's
   * tracking decoder (`decoder: 'tracker'`; see {@link TrackOptions.decoder} for how its points
   * interact and are grouped). Both return the same {@link Tracks}.
   * @param points - `u`, `v` in [0, 1] and the model `frame` each point is seen in
   * @param options - `frame: 'camera' | 'world'`, `referenceFrame`, `decoder`, `maxPoints`, chunking,
   *   progress (`'query'`, in points x frames; with the tracker and `frame: 'world'`, the cameras'
   *   queries first), `signal` (checked before the first run and after each)
   * @returns new {@link Tracks}
   * @throws {@link InvalidQueryError} for points out of range, or points x frames over {@link MAX_QUERIES};
   *   {@link NoTrackerError} for `decoder: 'tracker'` on a model without a tracker graph (nothing is run);
   *   RangeError for an unknown `frame` or `decoder`, or a `maxPoints` that is not an integer >= 1;
   *   options, {@link SceneDisposedError} and `signal.reason` as {@link Scene.query}
   */
  async track(points: TrackPoints, options: TrackOptions = {}): Promise<Tracks> {
    const memory = this.#alive('track');
    checkCallOptions('Scene.track', options);
    if (typeof points !== 'object' || points === null) {
      throw new TypeError(`Scene.track: points (${describeValue(points)}) must be an object { u, v, frame } of arrays`);
    }
    const mode = options.frame ?? 'camera';
    if (mode !== 'camera' && mode !== 'world') {
      throw new RangeError(`Scene.track: options.frame (${describeValue(mode)}) must be 'camera' or 'world'`);
    }
    const decoder = options.decoder ?? 'query';
    if (decoder !== 'query' && decoder !== 'tracker') {
      throw new RangeError(`Scene.track: options.decoder (${describeValue(decoder)}) must be 'query' or 'tracker'`);
    }
    const maxPoints = options.maxPoints ?? DEFAULT_TRACKER_MAX_POINTS;
    if (!Number.isInteger(maxPoints) || maxPoints < 1) {
      throw new RangeError(`Scene.track: options.maxPoints (${describeValue(maxPoints)}) must be an integer >= 1`);
    }
    const tracker = decoder === 'tracker' ? this.#model.requireTracker('Scene.track') : undefined;
    const ref = options.referenceFrame ?? 0;
    if (!Number.isInteger(ref) || ref < 0 || ref >= this.frames) {
      throw new InvalidQueryError(`Scene.track: options.referenceFrame (${describeValue(ref)}) must be an integer frame index in [0, ${this.frames - 1}]`);
    }
    // check the points once (as a batch with tTgt = tCam = their own frame), then expand
    const checked = toQueryBatch({ u: points.u, v: points.v, tSrc: points.frame, tTgt: points.frame, tCam: points.frame }, this.frames, 'Scene.track');
    assertQueryCount('Scene.track', points.u.length * this.frames, `${points.u.length} points x ${this.frames} frames`);
    if (tracker !== undefined) {
      const chunk = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
      if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`Scene.track: options.chunkSize (${describeValue(chunk)}) must be an integer >= 1`);
      const { onProgress, signal } = options;
      const N = checked.u.length;
      // with 'world', the cameras' queries come first: progress counts them, then the point-frames
      let camerasTotal = 0;
      const cameras = mode === 'world'
        ? await this.cameras({
            chunkSize: chunk,
            ...(signal !== undefined && { signal }),
            ...(onProgress !== undefined && {
              onProgress: (p) => {
                camerasTotal = p.total;
                onProgress({ stage: 'query', done: p.done, total: p.total + N * this.frames });
              },
            }),
          })
        : undefined;
      const r = await runTracker({
        session: tracker,
        manifest: this.#model.manifest,
        memory,
        layers: this.#layers!,
        u: checked.u,
        v: checked.v,
        frame: checked.tSrc,
        maxPoints,
        onProgress: onProgress && ((p) => onProgress({ stage: 'query', done: camerasTotal + p.done, total: camerasTotal + p.total })),
        signal,
        fn: 'Scene.track',
        alive: (cause) => this.#aliveDuringCall('track', cause),
      });
      if (cameras !== undefined) tracksToReferenceCamera(r.xyz, { frames: this.frames, points: N, cameraToWorld: cameras.cameraToWorld, referenceFrame: ref });
      return this.#tracks(r, N, mode);
    }
    const q = trackQueries(points, { frames: this.frames, camera: mode === 'camera' ? 'own' : ref });
    const r = await this.#run('track', memory, q, options);
    return this.#tracks(r, points.u.length, mode);
  }

  /** Frame-major answers (`T x points`) as {@link Tracks}. */
  #tracks(r: QueryResult, points: number, frame: 'camera' | 'world'): Tracks {
    const visible = new Uint8Array(r.count);
    for (let i = 0; i < r.count; i++) visible[i] = r.visibility[i]! > 0.5 ? 1 : 0;
    return { frames: this.frames, points, frame, uv: r.uv, xyz: r.xyz, visibility: r.visibility, visible, confidence: r.confidence };
  }

  /**
   * Cameras of every model frame. Focal length of frame `k`: the median over a grid of
   * `z (x_px - cx) / x` (and likewise for y) of depth queries `(k, k, k)`, using grid points more
   * than 10 % of the image size from the centre; the principal point is the image centre. Pose of
   * frame `k`: the confidence-weighted rigid Umeyama fit mapping a grid seen in camera `k`
   * (`tCam = k`) onto the same grid seen in camera 0 (`tCam = 0`), which is camera-to-world.
   * A model whose manifest names a `cameras.recipe` (or `options.recipe`) is read by that recipe instead.
   * @param options - `recipe`, `poseGrid`, `focalGrid`, chunking, progress, `signal`
   * @returns new {@link Cameras}
   * @throws {@link InvalidQueryError} when the grids ask over {@link MAX_QUERIES} queries;
   *   options, {@link SceneDisposedError} and `signal.reason` as {@link Scene.query}
   */
  async cameras(options: CamerasOptions = {}): Promise<Cameras> {
    const memory = this.#alive('cameras');
    checkCallOptions('Scene.cameras', options);
    const recipe = options.recipe ?? this.#model.manifest.cameras?.recipe ?? 'default';
    if (recipe !== 'default' && recipe !== 'opend4rt') {
      throw new RangeError(`Scene.cameras: options.recipe (${describeValue(recipe)}) must be 'default' or 'opend4rt'`);
    }
    if (recipe === 'opend4rt') return this.#camerasOpenD4rt(memory, options);
    const pg = options.poseGrid === undefined ? 16 : checkSize('Scene.cameras', 'poseGrid', options.poseGrid);
    const fg = options.focalGrid === undefined ? 24 : checkSize('Scene.cameras', 'focalGrid', options.focalGrid);
    const T = this.frames;
    assertQueryCount('Scene.cameras', T * (fg * fg + 2 * pg * pg), `${T} frames x (${fg} x ${fg} + 2 x ${pg} x ${pg})`);
    const all = Int32Array.from({ length: T }, (_, i) => i);
    const batch = concatQueries([
      gridQueries({ frames: all, width: fg, height: fg, camera: 'own' }),
      gridQueries({ frames: all, width: pg, height: pg, camera: 'own' }),
      gridQueries({ frames: all, width: pg, height: pg, camera: 0 }),
    ]);
    const r = await this.#run('cameras', memory, batch, options);
    const Ws = this.width, Hs = this.height;
    const cx = (Ws - 1) / 2, cy = (Hs - 1) / 2;
    const fgrid = gridUv(fg, fg);
    const nf = fg * fg, np = pg * pg;
    const intrinsics: Intrinsics[] = [];
    const cameraToWorld: Float32Array[] = [];
    const src = new Float64Array(np * 3), dst = new Float64Array(np * 3), w = new Float64Array(np);
    const fxs = new Float64Array(nf), fys = new Float64Array(nf);
    for (let k = 0; k < T; k++) {
      let nx = 0, ny = 0;
      for (let i = 0; i < nf; i++) {
        const j = k * nf + i;
        const x = r.xyz[3 * j]!, y = r.xyz[3 * j + 1]!, z = r.xyz[3 * j + 2]!;
        const xp = fgrid.u[i]! * (Ws - 1) - cx;
        const yp = fgrid.v[i]! * (Hs - 1) - cy;
        if (Math.abs(xp) > 0.1 * Ws) fxs[nx++] = (z * xp) / x;
        if (Math.abs(yp) > 0.1 * Hs) fys[ny++] = (z * yp) / y;
      }
      intrinsics.push({ fx: medianInPlace(fxs, nx), fy: medianInPlace(fys, ny), cx, cy });
      const a0 = T * nf + k * np;
      const b0 = T * nf + T * np + k * np;
      for (let i = 0; i < np; i++) {
        for (let c = 0; c < 3; c++) {
          src[3 * i + c] = r.xyz[3 * (a0 + i) + c]!;
          dst[3 * i + c] = r.xyz[3 * (b0 + i) + c]!;
        }
        w[i] = r.confidence[a0 + i]! * r.confidence[b0 + i]!;
      }
      const fit = umeyama(src, dst, { kind: 'rigid', weights: w });
      cameraToWorld.push(fit ? fit.matrix : new Float32Array(16).fill(Number.NaN));
    }
    return { frames: T, intrinsics, cameraToWorld, width: Ws, height: Hs };
  }

  /**
   * OpenD4RT's camera post-processing (its `_predict_camera_branches` on one clip), on a `g x g`
   * grid of `u, v` in [0, 1]:
   * - focal length of frame `k`: queries `(u, v, k, k, 0)` (frame `k`'s grid answered in camera 0,
   *   as OpenD4RT does), `f_x` = median over the grid of `z |x_px - cx| / max(|x|, 1e-6)` (finite
   *   values > 1e-6; `x_px = u (W - 1)`), `f_y` likewise, then both set to the median of the two
   *   (their mean); principal point at the image centre `((W - 1) / 2, (H - 1) / 2)`;
   * - camera-to-world of frame `j > 0`: the unweighted rigid Umeyama fit mapping frame 0's grid seen
   *   in camera `j` (`(u, v, 0, 0, j)`) onto it seen in camera 0 (`(u, v, 0, 0, 0)`), from at least
   *   16 finite pairs, else NaN-filled. OpenD4RT fits the other direction and inverts it: the same
   *   transform, as the rigid least-squares fit is symmetric. Frame 0 is the identity.
   */
  async #camerasOpenD4rt(memory: Tensor, options: CamerasOptions): Promise<Cameras> {
    const g = options.poseGrid === undefined ? (this.#model.manifest.cameras?.grid ?? 32) : checkSize('Scene.cameras', 'poseGrid', options.poseGrid);
    const T = this.frames;
    const n = g * g;
    const all = Int32Array.from({ length: T }, (_, i) => i);
    const batches = [gridQueries({ frames: all, width: g, height: g, camera: 0 })];
    for (let j = 1; j < T; j++) batches.push(gridQueries({ frames: [0], width: g, height: g, camera: j }));
    const r = await this.#run('cameras', memory, concatQueries(batches), options);
    const Ws = this.width, Hs = this.height;
    const sx = Math.max(Ws - 1, 1), sy = Math.max(Hs - 1, 1);
    const cx = 0.5 * sx, cy = 0.5 * sy;
    const grid = gridUv(g, g);
    const fxs = new Float64Array(n), fys = new Float64Array(n);
    const intrinsics: Intrinsics[] = [];
    for (let k = 0; k < T; k++) {
      let nx = 0, ny = 0;
      for (let i = 0; i < n; i++) {
        const j = k * n + i;
        const x = r.xyz[3 * j]!, y = r.xyz[3 * j + 1]!, z = r.xyz[3 * j + 2]!;
        const fx = (z * Math.abs(grid.u[i]! * sx - cx)) / Math.max(Math.abs(x), 1e-6);
        const fy = (z * Math.abs(grid.v[i]! * sy - cy)) / Math.max(Math.abs(y), 1e-6);
        if (Number.isFinite(fx) && fx > 1e-6) fxs[nx++] = fx;
        if (Number.isFinite(fy) && fy > 1e-6) fys[ny++] = fy;
      }
      const focals = [nx > 0 ? medianInPlace(fxs, nx) : Math.max(Ws, 1), ny > 0 ? medianInPlace(fys, ny) : Math.max(Hs, 1)];
      const valid = focals.filter((f) => Number.isFinite(f) && f > 1e-6);
      const f = valid.length === 0 ? 1 : valid.reduce((a, b) => a + b, 0) / valid.length;
      intrinsics.push({ fx: f, fy: f, cx, cy });
    }
    const cameraToWorld: Float32Array[] = [new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])];
    const src = new Float64Array(n * 3), dst = new Float64Array(n * 3);
    const finite = (i: number): boolean => Number.isFinite(r.xyz[i]!) && Number.isFinite(r.xyz[i + 1]!) && Number.isFinite(r.xyz[i + 2]!);
    for (let j = 1; j < T; j++) {
      const b0 = T * n + (j - 1) * n;
      let m = 0;
      for (let i = 0; i < n; i++) {
        const a = 3 * i, b = 3 * (b0 + i);
        if (!finite(a) || !finite(b)) continue;
        for (let c = 0; c < 3; c++) {
          src[3 * m + c] = r.xyz[b + c]!;
          dst[3 * m + c] = r.xyz[a + c]!;
        }
        m++;
      }
      const fit = m >= 16 ? umeyama(src.subarray(0, 3 * m), dst.subarray(0, 3 * m), { kind: 'rigid' }) : null;
      cameraToWorld.push(fit ? fit.matrix : new Float32Array(16).fill(Number.NaN));
    }
    return { frames: T, intrinsics, cameraToWorld, width: Ws, height: Hs };
  }

  /**
   * A world-frame point cloud: pixel grids of the frames with `tTgt = tSrc` and `tCam = 0`,
   * coloured from the source frames (nearest pixel).
   * @param options - `frames`, `width` x `height`, `minConfidence`, chunking, progress, `signal`
   * @returns a new {@link PointCloud}
   * @throws {@link InvalidQueryError} when frames x width x height is over {@link MAX_QUERIES};
   *   options, {@link SceneDisposedError} and `signal.reason` as {@link Scene.query}
   */
  async pointCloud(options: PointCloudOptions = {}): Promise<PointCloud> {
    const memory = this.#alive('pointCloud');
    checkCallOptions('Scene.pointCloud', options);
    const frames = this.#frames('Scene.pointCloud', options.frames);
    const width = options.width === undefined ? this.#model.manifest.clip.width : checkSize('Scene.pointCloud', 'width', options.width);
    const height = options.height === undefined ? this.#model.manifest.clip.height : checkSize('Scene.pointCloud', 'height', options.height);
    assertQueryCount('Scene.pointCloud', frames.length * width * height, `${frames.length} frames x ${width} x ${height}`);
    const minConfidence = options.minConfidence ?? 0;
    if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 1)) {
      throw new RangeError(`Scene.pointCloud: options.minConfidence (${describeValue(minConfidence)}) must be a number in [0, 1]`);
    }
    const q = gridQueries({ frames, width, height, camera: 0 });
    const r = await this.#run('pointCloud', memory, q, options);
    let count = 0;
    for (let i = 0; i < r.count; i++) if (r.confidence[i]! >= minConfidence) count++;
    const positions = new Float32Array(count * 3);
    const colors = new Uint8Array(count * 3);
    const confidence = new Float32Array(count);
    const frameIndex = new Uint16Array(count);
    const { width: Ws, height: Hs, data } = this.#video;
    const held = this.#input.frameIndices;
    const n = width * height;
    let o = 0;
    for (let i = 0; i < r.count; i++) {
      if (r.confidence[i]! < minConfidence) continue;
      const k = frames[Math.floor(i / n)]!;
      const x = Math.round(q.u[i]! * (Ws - 1));
      const y = Math.round(q.v[i]! * (Hs - 1));
      const px = ((held[k]! * Hs + y) * Ws + x) * 3;
      positions[3 * o] = r.xyz[3 * i]!;
      positions[3 * o + 1] = r.xyz[3 * i + 1]!;
      positions[3 * o + 2] = r.xyz[3 * i + 2]!;
      colors[3 * o] = data[px]!;
      colors[3 * o + 1] = data[px + 1]!;
      colors[3 * o + 2] = data[px + 2]!;
      confidence[o] = r.confidence[i]!;
      frameIndex[o] = k;
      o++;
    }
    return { count, positions, colors, confidence, frameIndex };
  }

  /** Whether {@link Scene.dispose} was called. */
  get disposed(): boolean {
    return this.#memory === null;
  }

  /**
   * Releases the memory tensor (and the K/V graph's outputs and the encoder's layers); later calls throw {@link SceneDisposedError}. A call of this scene
   * in flight rejects with {@link SceneDisposedError} once its decoder run under way finishes (its
   * answer is dropped); other scenes of the model, and their calls in flight, are not affected.
   * Safe to call twice, and while a call runs.
   */
  dispose(): void {
    this.#memory = null;
    this.#sceneFeeds = null;
    this.#layers = null;
  }
}
