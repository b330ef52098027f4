/**
 * The one `BackendSession` both runtimes use around an onnxruntime `InferenceSession`
 * (onnxruntime-node or onnxruntime-web: they share onnxruntime-common's API). Core imports no
 * runtime: the session and its tensors are described structurally, and the runtime passes its own
 * `Tensor` constructor.
 *
 * @module
 */
import type { BackendSession, RunStats, Tensor } from './backend.js';
import type { TensorMetadata } from './manifest.js';

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

/**
 * A {@link BackendSession} around an onnxruntime session: converts tensors both ways (float32 and
 * int64 only), times `run` into {@link OrtSession.stats}, and refuses `run` after `dispose`.
 */
export class OrtSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  readonly stats: RunStats = { runs: 0, totalMs: 0 };
  readonly #backend: string;
  readonly #makeTensor: OrtTensorFactory;
  #session: OrtSessionLike | null;

  /**
   * @param backend - the backend's name, for messages (e.g. `'onnxruntime-web:wasm'`)
   * @param session - the loaded onnxruntime session (owned: `dispose` releases it)
   * @param makeTensor - builds the runtime's tensor from an SDK tensor
   */
  constructor(backend: string, session: OrtSessionLike, makeTensor: OrtTensorFactory) {
    this.#backend = backend;
    this.#session = session;
    this.#makeTensor = makeTensor;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.inputMetadata = metadata(session.inputMetadata);
    this.outputMetadata = metadata(session.outputMetadata);
  }

  /** Runs the graph; see {@link BackendSession.run}. @throws Error after `dispose()`; TypeError for an output that is not float32 or int64 */
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const session = this.#session;
    if (session === null) throw new Error(`${this.#backend} backend: run() after dispose()`);
    const input: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(feeds)) input[k] = this.#makeTensor(t);
    const t0 = now();
    const out = await session.run(input as Record<string, never>);
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
  }

  /** Releases the runtime session; later `run` calls reject. Safe to call twice. */
  async dispose(): Promise<void> {
    const s = this.#session;
    this.#session = null;
    await s?.release();
  }
}
