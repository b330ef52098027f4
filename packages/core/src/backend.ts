/**
 * The contract a runtime implements to run the model's graphs (after onnxruntime's
 * `SessionHandler`): create a session from the graph's bytes or path, run it, dispose it.
 * `@d4rt/runtime-node` and `@d4rt/runtime-web` provide backends; core never imports a runtime.
 *
 * @module
 */
import { BackendUnavailableError, type BackendFailure } from './errors.js';
import type { SessionIo } from './manifest.js';
import type { OrtSession } from './ort-session.js';
import type { RunQueue } from './run-queue.js';
import { throwIfAborted, type AbortSignalLike } from './progress.js';

/** A dense tensor handed to or returned by a backend; `data` is row-major. */
export interface Tensor {
  /** Element type. */
  readonly type: 'float32' | 'int64';
  /** Elements, row-major; length = product of `dims`. */
  readonly data: Float32Array | BigInt64Array;
  /** Shape. */
  readonly dims: readonly number[];
}

/** Cumulative time spent inside the runtime's `run` (for benchmarks). */
export interface RunStats {
  /** Number of `run` calls. */
  runs: number;
  /** Wall-clock milliseconds inside the runtime's `run`, summed. */
  totalMs: number;
}

/**
 * One loaded graph.
 *
 * `run` is called again before an earlier call settles whenever several scenes of a model, or
 * several queries of a scene, run at once; a session must then give each call the answer it would
 * give alone (onnxruntime's are not re-entrant: {@link OrtSession} queues their runs, see
 * {@link RunQueue}). `dispose` may be called while a run is under way and must not free what that
 * run uses.
 */
export interface BackendSession extends SessionIo {
  /** Runs the graph on `feeds` (by input name); resolves to the outputs by name. Safe to call while another run is under way. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  /** Frees the session's native resources once no run uses them; later `run` calls reject. */
  dispose(): Promise<void>;
  /** Time spent inside the runtime's `run`, when the backend measures it. */
  readonly stats?: RunStats;
}

/** A runtime that can load graphs, e.g. onnxruntime-node on the CPU. */
export interface Backend {
  /** Stable name for messages, e.g. `'onnxruntime-node:cpu'`. */
  readonly name: string;
  /**
   * Loads one graph.
   * @param model - the ONNX bytes, or a path/URL the runtime can read itself
   */
  createSession(model: Uint8Array | string): Promise<BackendSession>;
}

/**
 * Loads `graphs` with the first backend (in the given order) that loads all of them; backends
 * that fail are skipped, and if none works one {@link BackendUnavailableError} lists every
 * backend's cause. Sessions of a backend that failed halfway are disposed.
 *
 * `signal` is checked before each graph is loaded and once all are: on abort the sessions made so
 * far are disposed and the call rejects with `signal.reason` (a graph being loaded finishes first;
 * runtimes cannot stop one).
 *
 * @param backends - backends to try, in order of preference (at least one)
 * @param graphs - the graphs to load (bytes or paths), all with the same backend
 * @param options - `signal`
 * @returns the backend used and one session per graph, in order
 * @throws RangeError for an empty `backends`; {@link BackendUnavailableError} when none works; `signal.reason` on abort
 */
export async function createSessionsWithFallback(
  backends: readonly Backend[],
  graphs: readonly (Uint8Array | string)[],
  options: { signal?: AbortSignalLike } = {},
): Promise<{ backend: Backend; sessions: BackendSession[] }> {
  const fn = 'createSessionsWithFallback';
  if (!Array.isArray(backends) || backends.length === 0) {
    throw new RangeError(`${fn}: backends (empty) must list at least one backend`);
  }
  const { signal } = options;
  const failures: BackendFailure[] = [];
  for (const backend of backends) {
    throwIfAborted(signal, fn);
    const sessions: BackendSession[] = [];
    try {
      for (const g of graphs) {
        throwIfAborted(signal, fn);
        sessions.push(await backend.createSession(g));
      }
      throwIfAborted(signal, fn);
      return { backend, sessions };
    } catch (error) {
      await Promise.allSettled(sessions.map((s) => s.dispose()));
      if (signal?.aborted) throwIfAborted(signal, fn);
      failures.push({ backend: backend.name, error });
    }
  }
  const detail = failures.map((f) => `  - ${f.backend}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('\n');
  throw new BackendUnavailableError(`${fn}: no backend could load the model; tried ${failures.length}:\n${detail}`, failures);
}
