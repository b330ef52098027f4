/**
 * The one `BackendSession` both runtimes use around an onnxruntime `InferenceSession`
 * (onnxruntime-node or onnxruntime-web: they share onnxruntime-common's API). Core imports no
 * runtime: the session and its tensors are described structurally, and the runtime passes its own
 * `Tensor` constructor.
 *
 * @module
 */
import type { BackendSession, RunStats, Tensor } from './backend.js';
import { SceneDisposedError } from './errors.js';
import type { TensorMetadata } from './manifest.js';
import { RunQueue } from './run-queue.js';

/** An onnxruntime output value as the adapter reads it (`ort.Tensor`). */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** An input or output description of onnxruntime's `InferenceSession` (`ValueMetadata`). */
export type OrtValueMetadataLike = { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: readonly (number | string)[] } | { readonly name: string; readonly isTensor: false };

/** The part of onnxruntime's `InferenceSession` the adapter uses. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtValueMetadataLike[];
  readonly outputMetadata: readonly OrtValueMetadataLike[];
  run(feeds: Record<string, never>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

/** Makes the runtime's tensor from an SDK {@link Tensor} (e.g. `(t) => new ort.Tensor(t.type, t.data, t.dims)`). */
export type OrtTensorFactory = (t: Tensor) => unknown;

function metadata(list: readonly OrtValueMetadataLike[]): TensorMetadata[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name }));
}

function now(): number {
  return (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();
}

/** Options of the {@link OrtSession} constructor. */
export interface OrtSessionOptions {
  /**
   * The queue the session's runs wait in (default: a queue of its own). Give every session of one
   * onnxruntime instance the same queue: onnxruntime-web's sessions share one WebAssembly stack,
   * so a run must not start while a run of any of them is under way.
   */
  queue?: RunQueue;
}

/**
 * A {@link BackendSession} around an onnxruntime session: converts tensors both ways (float32 and
 * int64 only), times `run` into {@link OrtSession.stats}, runs one graph at a time (see
 * {@link RunQueue}) and refuses `run` after `dispose`.
 *
 * Concurrency: `run` may be called again before an earlier call settles (several scenes of one
 * model, several queries of one scene); the calls wait in the queue and run in call order, so each
 * gets the answer it would get alone. `dispose()` refuses new and queued runs at once
 * ({@link SceneDisposedError}), waits for the run under way to finish, then releases the runtime
 * session: a session is never released under a running graph.
 */
export class OrtSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  readonly stats: RunStats = { runs: 0, totalMs: 0 };
  readonly #backend: string;
  readonly #makeTensor: OrtTensorFactory;
  readonly #queue: RunQueue;
  #session: OrtSessionLike | null;
  /** The runtime call under way, if any (settles, never rejects). */
  #running: Promise<void> | null = null;
  #released: Promise<void> | null = null;

  /**
   * @param backend - the backend's name, for messages (e.g. `'onnxruntime-web:wasm'`)
   * @param session - the loaded onnxruntime session (owned: `dispose` releases it)
   * @param makeTensor - builds the runtime's tensor from an SDK tensor
   * @param options - `queue`: the {@link RunQueue} shared with the other sessions of the same runtime instance
   */
  constructor(backend: string, session: OrtSessionLike, makeTensor: OrtTensorFactory, options: OrtSessionOptions = {}) {
    this.#backend = backend;
    this.#session = session;
    this.#makeTensor = makeTensor;
    this.#queue = options.queue ?? new RunQueue();
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.inputMetadata = metadata(session.inputMetadata);
    this.outputMetadata = metadata(session.outputMetadata);
  }

  /** Whether {@link OrtSession.dispose} was called. */
  get disposed(): boolean {
    return this.#session === null;
  }

  /**
   * Runs the graph once every run queued before it (on this session's queue) has settled; see
   * {@link BackendSession.run}.
   * @returns new tensors by output name
   * @throws {@link SceneDisposedError} when `dispose()` was called before the run started (it is then not run);
   *   TypeError for an output that is not float32 or int64; the runtime's error when the graph fails
   */
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.#session === null) throw this.#disposedError('run() after dispose()');
    return this.#queue.run(async () => {
      const session = this.#session;
      if (session === null) throw this.#disposedError('dispose() was called while the run waited for its turn; it did not run');
      const input: Record<string, unknown> = {};
      for (const [k, t] of Object.entries(feeds)) input[k] = this.#makeTensor(t);
      const t0 = now();
      const call = session.run(input as Record<string, never>);
      this.#running = call.then(
        () => undefined,
        () => undefined,
      );
      let out: Record<string, unknown>;
      try {
        out = await call;
      } finally {
        this.#running = null;
      }
      this.stats.totalMs += now() - t0;
      this.stats.runs++;
      const result: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(out)) {
        const t = v as OrtTensorLike;
        if (t.type !== 'float32' && t.type !== 'int64') {
          throw new TypeError(`${this.#backend} backend: output '${k}' has type ${t.type}; only float32 and int64 are supported`);
        }
        result[k] = { type: t.type, data: t.data as Float32Array | BigInt64Array, dims: t.dims };
      }
      return result;
    });
  }

  #disposedError(what: string): SceneDisposedError {
    return new SceneDisposedError(`${this.#backend} backend: ${what}`);
  }

  /**
   * Refuses new and queued runs at once, waits for the run under way (if any) to finish, then
   * releases the runtime session. Safe to call twice; every call resolves once the session is released.
   */
  dispose(): Promise<void> {
    const s = this.#session;
    if (s !== null) {
      this.#session = null;
      const running = this.#running;
      this.#released = (async () => {
        if (running !== null) await running;
        await s.release();
      })();
    }
    return this.#released ?? Promise.resolve();
  }
}
