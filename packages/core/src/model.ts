/**
 * A loaded D4RT model: the manifest plus an encoder and a decoder session from some backend (and a
 * K/V graph's and a tracker's session when the manifest has them). `encode(video)` runs the encoder
 * (and the K/V graph) once and returns a {@link Scene} that answers queries.
 *
 * @module
 */
import type { BackendSession, Tensor } from './backend.js';
import { NoTrackerError, SceneDisposedError } from './errors.js';
import { selectFrames } from './frame-selection.js';
import { checkSessionIo, type ModelManifest } from './manifest.js';
import { resizeNormalize } from './preprocess.js';
import { checkCallOptions, throwIfAborted, type AbortSignalLike, type ProgressCallback } from './progress.js';
import { Scene } from './scene.js';
import { assertVideoFrames, type VideoFrames } from './video.js';

/** Options of {@link D4rtModel.encode}. */
export interface EncodeOptions {
  /** Progress of the stages `'preprocess'` and `'encode'`. */
  onProgress?: ProgressCallback;
  /** Checked before preprocessing, before the encoder and after it; the call then rejects with `signal.reason`. */
  signal?: AbortSignalLike;
}

/** The encoder's input for one video, as {@link D4rtModel.preprocess} makes it. */
export interface EncoderInput {
  /** Normalised frames `[T][3][H][W]` at the model's resolution. */
  video: Float32Array;
  /** The encoder's `aspect` input: source width / height, or the clip's when the manifest's `clip.aspect` is `'clip'`. */
  aspect: number;
  /** For each model frame, the index of the frame of `video.data` it came from. */
  frameIndices: Int32Array;
  /** For each model frame, the source frame index (through `video.sourceIndices` when set). */
  sourceIndices: Int32Array;
}

/** Where a runtime's `loadModel` got a model from (see {@link D4rtModel.loadedFrom}). */
export interface ModelLoadedFrom {
  /** The manifest's URL (browser) or path (Node). */
  manifest: string;
  /**
   * Where the manifest came from: `'network'` (downloaded by this load), `'cache'` (the copy the
   * last successful load of that URL kept in the Cache API, used because downloading it failed
   * with a network error, e.g. offline), or `'file'` (read from disk).
   */
  manifestFrom: 'network' | 'cache' | 'file';
  /**
   * Whether both graphs' bytes were checked against the manifest's `hashes` (in the browser, when
   * they were downloaded; a cached graph is kept under its hash). `false` when the manifest has
   * none, or the loader does not check them (runtime-node).
   */
  verified: boolean;
}

/** Options of {@link D4rtModel.create}. */
export interface CreateModelOptions {
  /** The checked manifest. */
  manifest: ModelManifest;
  /** Session of the encoder graph. */
  encoder: BackendSession;
  /** Session of the decoder graph. */
  decoder: BackendSession;
  /** Session of the K/V graph: required when the manifest has one (`manifest.kv`), refused otherwise. */
  kv?: BackendSession;
  /** Session of the tracker graph: required when the manifest has one (`manifest.tracker`), refused otherwise. */
  tracker?: BackendSession;
  /** Name of the backend the sessions run on, for messages and benchmarks. */
  backend: string;
  /** Where the loader got the model from (runtimes' `loadModel` set it). */
  loadedFrom?: ModelLoadedFrom;
}

/** A D4RT model ready to encode videos. Create it with {@link D4rtModel.create} (runtimes' `loadModel` do). */
export class D4rtModel {
  /** The model's manifest. */
  readonly manifest: ModelManifest;
  /** Name of the backend the sessions run on. */
  readonly backend: string;
  /** Where the runtime's `loadModel` got the model from; `undefined` for a model created without it. */
  readonly loadedFrom: ModelLoadedFrom | undefined;
  /** @internal */
  readonly encoderSession: BackendSession;
  /** @internal */
  readonly decoderSession: BackendSession;
  /** @internal The K/V graph's session, when the manifest has one. */
  readonly kvSession: BackendSession | undefined;
  /** @internal The tracker graph's session, when the manifest has one. */
  readonly trackerSession: BackendSession | undefined;
  #disposed = false;
  #released: Promise<void> | null = null;

  private constructor(options: CreateModelOptions) {
    this.manifest = options.manifest;
    this.backend = options.backend;
    this.loadedFrom = options.loadedFrom === undefined ? undefined : { ...options.loadedFrom };
    this.encoderSession = options.encoder;
    this.decoderSession = options.decoder;
    this.kvSession = options.kv;
    this.trackerSession = options.tracker;
  }

  /**
   * Wraps loaded sessions after checking them against the manifest.
   * @throws {@link UnsupportedModelError} when a session lacks an input or output the manifest names, or its type or shape differs;
   *   TypeError when `kv` or `tracker` is missing for a manifest with such a graph, or given for one without
   */
  static async create(options: CreateModelOptions): Promise<D4rtModel> {
    const { manifest, kv, tracker } = options;
    for (const [key, session, label] of [['kv', kv, 'K/V graph'], ['tracker', tracker, 'tracker graph']] as const) {
      if (manifest[key] !== undefined && session === undefined) {
        throw new TypeError(`D4rtModel.create: options.${key} (undefined) must be the session of ${manifest.name}'s ${label} '${manifest.files[key]}' (manifest.${key})`);
      }
      if (manifest[key] === undefined && session !== undefined) {
        throw new TypeError(`D4rtModel.create: options.${key} (a session) must be left out: ${manifest.name}'s manifest has no ${label}`);
      }
    }
    checkSessionIo(manifest, 'encoder', options.encoder);
    if (kv !== undefined) checkSessionIo(manifest, 'kv', kv);
    checkSessionIo(manifest, 'decoder', options.decoder);
    if (tracker !== undefined) checkSessionIo(manifest, 'tracker', tracker);
    return new D4rtModel(options);
  }

  /**
   * @internal The tracker's session, or {@link NoTrackerError} naming `fn` and the model.
   */
  requireTracker(fn: string): BackendSession {
    if (this.trackerSession !== undefined) return this.trackerSession;
    throw new NoTrackerError(
      `${fn}: options.decoder ('tracker') needs a tracker graph, and the model '${this.manifest.name}' has none (its manifest has no 'tracker' section); decoder: 'query' (the default) tracks with any model`,
    );
  }

  /** Whether {@link D4rtModel.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  assertAlive(fn: string): void {
    if (this.#disposed) throw new SceneDisposedError(`${fn}: the model was disposed`);
  }

  /** @internal Throws {@link SceneDisposedError} when the model was disposed while `fn` ran (`cause`: what the run threw, if anything). */
  assertAliveAfterRun(fn: string, cause?: unknown): void {
    if (this.#disposed) throw new SceneDisposedError(`${fn}: the model was disposed during the call`, cause === undefined ? undefined : { cause });
  }

  /**
   * Picks the model's T frames from `video` (`selectFrames`, see {@link selectFrames}), resizes
   * and normalises them as the manifest says (`clip.resize`, `normalization`), exactly as training does.
   * @returns new arrays
   * @throws TypeError / {@link InvalidVideoError} for a malformed `video`
   */
  preprocess(video: VideoFrames): EncoderInput {
    assertVideoFrames('D4rtModel.preprocess', video);
    const { frames: T, height: H, width: W } = this.manifest.clip;
    const frameIndices = selectFrames(video.frames, T);
    const out = new Float32Array(T * 3 * H * W);
    resizeNormalize(out, video.data, {
      srcWidth: video.width,
      srcHeight: video.height,
      frameIndices,
      width: W,
      height: H,
      normalization: this.manifest.normalization,
      resize: this.manifest.clip.resize,
    });
    const sourceIndices = video.sourceIndices ? Int32Array.from(frameIndices, (i) => video.sourceIndices![i]!) : frameIndices.slice();
    const aspect = this.manifest.clip.aspect === 'clip' ? W / H : video.width / video.height;
    return { video: out, aspect, frameIndices, sourceIndices };
  }

  /**
   * Runs the encoder once on `video` (and the K/V graph once on its memory, when the manifest has
   * one) and returns the {@link Scene} that answers queries about it. The scene keeps the encoder's
   * `memory`, and its `layers` when the manifest lists that output (the tracker reads them).
   * Videos with more (or fewer) frames than the model's T are mapped to T frames by
   * {@link selectFrames} (evenly spaced, first and last kept); `scene.sourceIndices` says which.
   *
   * Several `encode` calls (and scene queries) of one model may run at once: the backend runs one
   * graph at a time in call order, and each call gets the answer it would get alone.
   *
   * @param video - RGB frames of any size and count
   * @param options - `onProgress` (`'preprocess'`, `'encode'`); `signal`, checked before
   *   preprocessing, before the encoder and after it (the encoder run itself is not interrupted)
   * @returns a new Scene; `dispose()` it when done
   * @throws TypeError / {@link InvalidVideoError} for a malformed `video`; TypeError for options that
   *   are not an object, an `onProgress` that is not a function or a `signal` that is not an
   *   `AbortSignal`; {@link SceneDisposedError} after
   *   `dispose()`, or when the model is disposed while the call runs; `signal.reason` on abort
   */
  async encode(video: VideoFrames, options: EncodeOptions = {}): Promise<Scene> {
    const fn = 'D4rtModel.encode';
    this.assertAlive(fn);
    checkCallOptions(fn, options);
    const { onProgress, signal } = options;
    throwIfAborted(signal, fn);
    onProgress?.({ stage: 'preprocess', done: 0, total: 1 });
    const input = this.preprocess(video);
    onProgress?.({ stage: 'preprocess', done: 1, total: 1 });
    throwIfAborted(signal, fn);
    this.assertAliveAfterRun(fn);
    const { frames: T, height: H, width: W } = this.manifest.clip;
    onProgress?.({ stage: 'encode', done: 0, total: 1 });
    const feeds: Record<string, Tensor> = {
      video: { type: 'float32', data: input.video, dims: [1, T, 3, H, W] },
      aspect: { type: 'float32', data: new Float32Array([input.aspect]), dims: [1] },
    };
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.encoderSession.run(feeds);
    } catch (error) {
      this.assertAliveAfterRun(fn, error);
      throw error;
    }
    this.assertAliveAfterRun(fn);
    throwIfAborted(signal, fn);
    const memory = outputs.memory;
    if (!memory || !(memory.data instanceof Float32Array)) {
      throw new TypeError(`${fn}: the encoder returned no float32 'memory' output`);
    }
    // the encoder's layers (for the tracker), when the manifest lists them
    let layers: Tensor | undefined;
    if (this.manifest.encoder.outputs.layers !== undefined) {
      layers = outputs.layers;
      if (!layers || !(layers.data instanceof Float32Array)) throw new TypeError(`${fn}: the encoder returned no float32 'layers' output (manifest.encoder.outputs.layers)`);
    }
    const kv = this.kvSession === undefined ? undefined : await this.#runKv(fn, memory, signal);
    onProgress?.({ stage: 'encode', done: 1, total: 1 });
    return new Scene(this, { input, memory, video, ...(kv !== undefined && { kv }), ...(layers !== undefined && { layers }) });
  }

  /** The K/V graph on `memory`: its outputs by name (what every decoder run of the scene is fed). */
  async #runKv(fn: string, memory: Tensor, signal: AbortSignalLike | undefined): Promise<Record<string, Tensor>> {
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.kvSession!.run({ memory });
    } catch (error) {
      this.assertAliveAfterRun(fn, error);
      throw error;
    }
    this.assertAliveAfterRun(fn);
    throwIfAborted(signal, fn);
    const kv: Record<string, Tensor> = {};
    for (const name of Object.keys(this.manifest.kv!.outputs)) {
      const t = outputs[name];
      if (!t || !(t.data instanceof Float32Array)) throw new TypeError(`${fn}: the K/V graph returned no float32 '${name}' output`);
      kv[name] = t;
    }
    return kv;
  }

  /**
   * Frees the sessions; scenes of this model stop working. Calls in flight (`encode`, scene
   * queries, `processVideo`) reject with {@link SceneDisposedError} at their next check: the graph
   * run under way finishes first (runtimes cannot stop one) and its result is dropped, and runs
   * still waiting their turn are not started. Later calls reject with {@link SceneDisposedError}.
   * Other models are not affected.
   * @returns a promise that resolves once no run is under way and every session is released; safe to call twice
   */
  async dispose(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      const sessions = [this.encoderSession, this.decoderSession, ...(this.kvSession ? [this.kvSession] : []), ...(this.trackerSession ? [this.trackerSession] : [])];
      this.#released = Promise.all(sessions.map((s) => s.dispose())).then(() => undefined);
    }
    await this.#released;
  }
}
