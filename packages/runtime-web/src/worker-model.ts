/**
 * Worker mode: the model runs in a Web Worker behind the same API as `D4rtModel` / `Scene`, so the
 * page's main thread only posts messages and receives results (typed arrays are transferred, not
 * copied).
 *
 * @module
 */
import {
  ModelLoadError,
  SceneDisposedError,
  assertVideoFrames,
  modelFrameOfSource,
  type Cameras,
  type CamerasOptions,
  type DepthMaps,
  type DepthOptions,
  type EncodeOptions,
  type ModelLoadedFrom,
  type ModelManifest,
  type PointCloud,
  type PointCloudOptions,
  type ProgressCallback,
  type QueryInput,
  type QueryOptions,
  type QueryResult,
  type Scene,
  type TrackOptions,
  type TrackPoints,
  type Tracks,
  type VideoFrames,
} from '@d4rt/core';
import { resolveModelUrl, type LoadModelOptions } from './load-model.js';
import {
  deserializeError,
  type EncodedSceneInfo,
  type LoadedModelInfo,
  type SceneMethod,
  type WorkerLoadOptions,
  type WorkerRequest,
  type WorkerRequestBody,
  type WorkerResponse,
} from './worker-protocol.js';

/** The part of `Scene` both a page-thread `Scene` and a {@link WorkerScene} have. */
export type SceneLike = Pick<Scene, 'frames' | 'width' | 'height' | 'sourceIndices' | 'disposed' | 'frameOfSource' | 'query' | 'depth' | 'track' | 'cameras' | 'pointCloud' | 'dispose'>;

/** The part of `D4rtModel` both a page-thread model and a {@link WorkerModel} have. */
export interface ModelLike {
  readonly manifest: ModelManifest;
  readonly backend: string;
  readonly loadedFrom: ModelLoadedFrom | undefined;
  readonly disposed: boolean;
  encode(video: VideoFrames, options?: EncodeOptions): Promise<SceneLike>;
  dispose(): Promise<void>;
}

/** Options of {@link loadModelInWorker}: those of `loadModel` (without `fetch`) plus the worker to use. */
export interface LoadModelInWorkerOptions extends Omit<LoadModelOptions, 'fetch'> {
  /**
   * The worker: a `Worker` running `@d4rt/runtime-web/worker`, or that script's URL. Default: the
   * package's own `worker.js`, started with `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`.
   *
   * Who starts the worker ends it: a worker started from a URL (or the default) is terminated by
   * `dispose()` (and when loading fails); a `Worker` you pass in is not: `dispose()` frees the model
   * in it and stops listening to it, and it stays yours to reuse or `terminate()`.
   */
  worker?: Worker | string | URL;
}

/** Options of {@link WorkerModel.encode}. */
export interface WorkerEncodeOptions extends EncodeOptions {
  /**
   * Move `video.data`'s buffer to the worker instead of copying it (the caller's array becomes
   * empty). Saves a copy of the frames on the page's thread. Default false.
   */
  transfer?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress: ProgressCallback | undefined;
  signal: AbortSignal | undefined;
}

type AnySignal = { aborted: boolean; reason?: unknown; addEventListener?: (t: 'abort', f: () => void, o?: { once: boolean }) => void; removeEventListener?: (t: 'abort', f: () => void) => void };

/** The page's end of one worker: request ids, progress and abort forwarding. */
class WorkerChannel {
  readonly #worker: Worker;
  /** Whether this package started the worker (and so terminates it). */
  readonly #owned: boolean;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | null = null;
  readonly #onMessageEvent = (event: MessageEvent<WorkerResponse>): void => this.#onMessage(event.data);
  readonly #onError = (event: ErrorEvent): void => {
    event.preventDefault();
    this.#fail(new ModelLoadError(`loadModelInWorker: the worker failed (${event.message || 'its script could not be loaded or threw on start'}); the model is unusable, load it again`));
  };
  readonly #onMessageError = (): void => this.#fail(new Error('loadModelInWorker: a message from the worker could not be read'));

  constructor(worker: Worker, owned: boolean) {
    this.#worker = worker;
    this.#owned = owned;
    worker.addEventListener('message', this.#onMessageEvent);
    worker.addEventListener('error', this.#onError);
    worker.addEventListener('messageerror', this.#onMessageError);
  }

  /** The error that ended the channel (a worker crash, or the model's disposal), or null while it works. */
  get failure(): Error | null {
    return this.#failure;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #onMessage(msg: WorkerResponse): void {
    const p = this.#pending.get(msg.id);
    if (p === undefined) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.progress);
      return;
    }
    this.#pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.result);
    else if (msg.error.aborted && p.signal?.aborted) p.reject(p.signal.reason ?? deserializeError(msg.error));
    else p.reject(deserializeError(msg.error));
  }

  /** Sends a request; resolves with the worker's result. */
  request<T>(req: WorkerRequestBody, opts: { onProgress?: ProgressCallback | undefined; signal?: AnySignal | undefined; transfer?: Transferable[] } = {}): Promise<T> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const signal = opts.signal as AbortSignal | undefined;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => this.#worker.postMessage({ id: this.#nextId++, op: 'abort', target: id } satisfies WorkerRequest);
      signal?.addEventListener?.('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener?.('abort', onAbort);
      this.#pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v as T);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress: opts.onProgress,
        signal,
      });
      this.#worker.postMessage({ ...req, id } as WorkerRequest, opts.transfer ?? []);
    });
  }

  /** Ends the channel: stops listening, terminates the worker when this package started it, rejects what is pending. */
  close(): void {
    this.#worker.removeEventListener('message', this.#onMessageEvent);
    this.#worker.removeEventListener('error', this.#onError);
    this.#worker.removeEventListener('messageerror', this.#onMessageError);
    if (this.#owned) this.#worker.terminate();
    this.#fail(new SceneDisposedError('WorkerModel: the model was disposed'));
  }
}

function splitOptions<O extends QueryOptions>(options: O | undefined): { rest: Record<string, unknown>; onProgress: ProgressCallback | undefined; signal: AnySignal | undefined } {
  const { onProgress, signal, ...rest } = (options ?? {}) as QueryOptions & Record<string, unknown>;
  return { rest, onProgress, signal: signal as AnySignal | undefined };
}

/** A `Scene` whose queries run in the model's worker. Same methods and results as `Scene`. */
export class WorkerScene implements SceneLike {
  readonly frames: number;
  readonly width: number;
  readonly height: number;
  readonly sourceIndices: Int32Array;
  readonly #channel: WorkerChannel;
  readonly #handle: number;
  readonly #model: WorkerModel;
  #disposed = false;

  /** @internal Made by {@link WorkerModel.encode}. */
  constructor(channel: WorkerChannel, model: WorkerModel, info: EncodedSceneInfo) {
    this.#channel = channel;
    this.#model = model;
    this.#handle = info.scene;
    this.frames = info.frames;
    this.width = info.width;
    this.height = info.height;
    this.sourceIndices = info.sourceIndices;
  }

  /** Whether {@link WorkerScene.dispose} (or the model's) was called. */
  get disposed(): boolean {
    return this.#disposed || this.#model.disposed;
  }

  /** See `Scene.frameOfSource`. */
  frameOfSource(source: number): number {
    return modelFrameOfSource(this.sourceIndices, source, 'Scene.frameOfSource');
  }

  #call<T>(method: SceneMethod, args: unknown[], options: QueryOptions | undefined): Promise<T> {
    if (!this.#disposed && this.#channel.failure !== null) return Promise.reject(this.#channel.failure);
    if (this.disposed) return Promise.reject(new SceneDisposedError(`Scene.${method}: the scene was disposed`));
    const { rest, onProgress, signal } = splitOptions(options);
    return this.#channel.request<T>(
      { op: 'call', scene: this.#handle, method, args, options: { ...rest, progress: onProgress !== undefined } },
      { onProgress, signal },
    );
  }

  /** See `Scene.query`. */
  query(queries: QueryInput, options?: QueryOptions): Promise<QueryResult> {
    return this.#call('query', [queries], options);
  }

  /** See `Scene.depth`. */
  depth(options?: DepthOptions): Promise<DepthMaps> {
    return this.#call('depth', [], options);
  }

  /** See `Scene.track`. */
  track(points: TrackPoints, options?: TrackOptions): Promise<Tracks> {
    return this.#call('track', [points], options);
  }

  /** See `Scene.cameras`. */
  cameras(options?: CamerasOptions): Promise<Cameras> {
    return this.#call('cameras', [], options);
  }

  /** See `Scene.pointCloud`. */
  pointCloud(options?: PointCloudOptions): Promise<PointCloud> {
    return this.#call('pointCloud', [], options);
  }

  /** Frees the scene in the worker; later calls reject with `SceneDisposedError`. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!this.#model.disposed) void this.#channel.request({ op: 'dispose-scene', scene: this.#handle }).catch(() => {});
  }
}

/** A model running in a Web Worker; made by {@link loadModelInWorker}. Same API as `D4rtModel`'s `encode` / `dispose`. */
export class WorkerModel implements ModelLike {
  readonly manifest: ModelManifest;
  readonly backend: string;
  /** Where the worker's `loadModel` got the model from (see `D4rtModel.loadedFrom`). */
  readonly loadedFrom: ModelLoadedFrom | undefined;
  readonly #channel: WorkerChannel;
  #disposed = false;

  /** @internal */
  constructor(channel: WorkerChannel, info: LoadedModelInfo) {
    this.#channel = channel;
    this.manifest = info.manifest;
    this.backend = info.backend;
    this.loadedFrom = info.loadedFrom;
  }

  /**
   * Whether the model can no longer be used: {@link WorkerModel.dispose} was called, or the worker
   * failed (an uncaught error in it, or a message that could not be read), after which every call
   * rejects with that failure.
   */
  get disposed(): boolean {
    return this.#disposed || this.#channel.failure !== null;
  }

  /**
   * Sends the frames to the worker, which preprocesses and encodes them (see `D4rtModel.encode`).
   * @param video - RGB frames
   * @param options - `onProgress`, `signal`, `transfer`
   * @returns a {@link WorkerScene}
   * @throws TypeError / InvalidVideoError for a malformed `video` (checked on the page, before sending); `SceneDisposedError` after `dispose()`;
   *   the worker's failure (a `ModelLoadError`) after it crashed
   */
  async encode(video: VideoFrames, options: WorkerEncodeOptions = {}): Promise<WorkerScene> {
    if (!this.#disposed && this.#channel.failure !== null) throw this.#channel.failure;
    if (this.#disposed) throw new SceneDisposedError('D4rtModel.encode: the model was disposed');
    assertVideoFrames('D4rtModel.encode', video);
    const { onProgress, signal, transfer } = options;
    const plain: VideoFrames = {
      data: video.data,
      frames: video.frames,
      width: video.width,
      height: video.height,
      ...(video.fps !== undefined && { fps: video.fps }),
      ...(video.sourceIndices !== undefined && { sourceIndices: video.sourceIndices }),
      ...(video.sourceFrames !== undefined && { sourceFrames: video.sourceFrames }),
    };
    const info = await this.#channel.request<EncodedSceneInfo>(
      { op: 'encode', video: plain, options: { progress: onProgress !== undefined } },
      { onProgress, signal: signal as AnySignal | undefined, ...(transfer === true && { transfer: [video.data.buffer as ArrayBuffer] }) },
    );
    return new WorkerScene(this.#channel, this, info);
  }

  /**
   * Frees the model and its scenes, then terminates the worker if this package started it (a
   * `Worker` passed as `options.worker` is left running, yours to reuse or terminate). Safe to
   * call twice, and after a worker failure.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#channel.failure === null) await this.#channel.request({ op: 'dispose-model' }).catch(() => {});
    this.#channel.close();
  }
}

function absolute(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return new URL(url, base).href;
}

function startWorker(worker: LoadModelInWorkerOptions['worker']): { worker: Worker; owned: boolean } {
  if (worker === undefined) return { worker: new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), owned: true };
  if (typeof Worker !== 'undefined' && worker instanceof Worker) return { worker, owned: false };
  if (typeof worker === 'string' || worker instanceof URL) return { worker: new Worker(worker, { type: 'module' }), owned: true };
  throw new TypeError(`loadModelInWorker: options.worker (${typeof worker}) must be a Worker, or the URL string or URL of @d4rt/runtime-web's worker.js`);
}

/**
 * Loads the model served at `url` in a Web Worker (a new one, or the one given) and returns a
 * proxy with the same API as `D4rtModel`: `encode(video)` resolves to a {@link WorkerScene} whose
 * `depth`, `track`, `cameras`, `pointCloud` and `query` run in the worker. Progress and abort
 * signals are forwarded; errors keep their class, code, `stack` (the worker's) and `cause`. After
 * the worker fails (an uncaught error in it) the proxy's `disposed` is true and every call rejects
 * with that failure.
 *
 * @param url - URL of the model folder (or its `manifest.json`), relative to the page
 * @param options - those of `loadModel` (`device`, `wasmPaths`, `threads`, `cache`, `onProgress`, `signal`) and `worker`
 * @returns the proxy; `dispose()` it to free the model (and end the worker, unless you passed it in)
 * @throws the same errors as `loadModel`; {@link ModelLoadError} when the worker script cannot start
 */
export async function loadModelInWorker(url: string | URL, options: LoadModelInWorkerOptions = {}): Promise<WorkerModel> {
  const folder = resolveModelUrl(url);
  if ((options as { fetch?: unknown }).fetch !== undefined) {
    throw new TypeError('loadModelInWorker: options.fetch cannot cross into a worker; use loadModel for a custom fetch');
  }
  const load: WorkerLoadOptions = {
    ...(options.device !== undefined && { device: options.device }),
    ...(options.wasmPaths !== undefined && { wasmPaths: absolute(options.wasmPaths) }),
    ...(options.threads !== undefined && { threads: options.threads }),
    ...(options.cache !== undefined && { cache: options.cache }),
  };
  const { worker, owned } = startWorker(options.worker);
  const channel = new WorkerChannel(worker, owned);
  try {
    const info = await channel.request<LoadedModelInfo>({ op: 'load', url: folder, options: load }, { onProgress: options.onProgress, signal: options.signal });
    return new WorkerModel(channel, info);
  } catch (error) {
    channel.close();
    throw error;
  }
}
