/**
 * Messages between {@link loadModelInWorker}'s proxy (page) and the worker entry (`./worker.js`),
 * and how errors cross the boundary with their class, code and details intact.
 *
 * @module
 * @internal
 */
import {
  BackendUnavailableError,
  D4rtError,
  InvalidQueryError,
  InvalidVideoError,
  ModelIntegrityError,
  ModelLoadError,
  ModelTooLargeError,
  NoTrackerError,
  SceneDisposedError,
  UnsupportedModelError,
  type BackendFailure,
  type InvalidVideoReason,
  type ModelFileDigest,
  type ModelLoadedFrom,
  type ModelManifest,
  type Progress,
} from '@d4rt/core';
import type { WebDevice } from './web-backend.js';

/** Serializable options of a worker load (no callbacks, no `fetch`). */
export interface WorkerLoadOptions {
  device?: WebDevice;
  wasmPaths?: string;
  threads?: number;
  cache?: string | false;
}

/** The Scene methods that run queries. */
export type SceneMethod = 'query' | 'depth' | 'track' | 'cameras' | 'pointCloud';

/** Page -> worker. */
export type WorkerRequest =
  | { id: number; op: 'load'; url: string; options: WorkerLoadOptions }
  | { id: number; op: 'encode'; video: unknown; options: { progress: boolean } }
  | { id: number; op: 'call'; scene: number; method: SceneMethod; args: unknown[]; options: Record<string, unknown> & { progress: boolean } }
  | { id: number; op: 'dispose-scene'; scene: number }
  | { id: number; op: 'dispose-model' }
  | { id: number; op: 'abort'; target: number };

/** A request without its id (what the proxy fills in). */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** What `encode` answers with. */
export interface EncodedSceneInfo {
  scene: number;
  frames: number;
  width: number;
  height: number;
  sourceIndices: Int32Array;
}

/** Worker -> page. */
export type WorkerResponse =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; error: SerializedError };

/** What a load answers with. */
export interface LoadedModelInfo {
  manifest: ModelManifest;
  backend: string;
  loadedFrom: ModelLoadedFrom | undefined;
}

/** An error as it crosses `postMessage`. */
export interface SerializedError {
  name: string;
  message: string;
  /** The worker's `error.stack`, when it had one. */
  stack?: string;
  /** The worker's `error.cause`, serialized the same way (up to 4 levels). */
  cause?: SerializedError;
  code?: string;
  reason?: InvalidVideoReason;
  failures?: { backend: string; error: SerializedError }[];
  /** {@link ModelIntegrityError}'s details. */
  integrity?: { file: string; expected: ModelFileDigest; actual: ModelFileDigest };
  /** {@link ModelTooLargeError}'s details. */
  tooLarge?: { bytes: number; limit: number };
  aborted?: boolean;
}

/** Flattens an error for `postMessage`: class name, message, `stack`, `cause` (up to 4 levels) and the SDK fields (`code`, `reason`, `failures`, the integrity and size details). */
export function serializeError(error: unknown, aborted = false, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), aborted };
  const out: SerializedError = { name: error.name, message: error.message, aborted };
  if (typeof error.stack === 'string') out.stack = error.stack;
  if (error instanceof D4rtError) out.code = error.code;
  if (error instanceof InvalidVideoError) out.reason = error.reason;
  if (error instanceof ModelIntegrityError) out.integrity = { file: error.file, expected: error.expected, actual: error.actual };
  if (error instanceof ModelTooLargeError) out.tooLarge = { bytes: error.bytes, limit: error.limit };
  if (error instanceof BackendUnavailableError) {
    out.failures = error.failures.map((f) => ({ backend: f.backend, error: serializeError(f.error, false, depth + 1) }));
  } else if (error.cause !== undefined && depth < 4) {
    out.cause = serializeError(error.cause, false, depth + 1);
  }
  return out;
}

/**
 * Rebuilds an error of the same class: SDK errors keep their `code`, `reason`, `failures`,
 * integrity details (`file`, `expected`, `actual`) and size details (`bytes`, `limit`);
 * every error keeps the worker's `stack` and its `cause`.
 */
export function deserializeError(e: SerializedError): Error {
  const error = rebuild(e);
  if (e.stack !== undefined) error.stack = e.stack;
  return error;
}

function rebuild(e: SerializedError): Error {
  const options = e.cause !== undefined ? { cause: deserializeError(e.cause) } : undefined;
  switch (e.name) {
    case 'ModelLoadError':
      return new ModelLoadError(e.message, options);
    case 'ModelIntegrityError':
      return new ModelIntegrityError(e.message, e.integrity ?? { file: '', expected: { sha256: '', bytes: 0 }, actual: { sha256: '', bytes: 0 } }, options);
    case 'ModelTooLargeError':
      return new ModelTooLargeError(e.message, e.tooLarge ?? { bytes: 0, limit: 0 }, options);
    case 'UnsupportedModelError':
      return new UnsupportedModelError(e.message, options);
    case 'InvalidQueryError':
      return new InvalidQueryError(e.message, options);
    case 'NoTrackerError':
      return new NoTrackerError(e.message, options);
    case 'InvalidVideoError':
      return new InvalidVideoError(e.reason ?? 'bad-frames', e.message, options);
    case 'SceneDisposedError':
      return new SceneDisposedError(e.message, options);
    case 'BackendUnavailableError': {
      const failures: BackendFailure[] = (e.failures ?? []).map((f) => ({ backend: f.backend, error: deserializeError(f.error) }));
      return new BackendUnavailableError(e.message, failures);
    }
    case 'TypeError':
      return new TypeError(e.message, options);
    case 'RangeError':
      return new RangeError(e.message, options);
    default: {
      const error = new Error(e.message, options);
      error.name = e.name;
      return error;
    }
  }
}

/** The distinct `ArrayBuffer`s under a result (typed arrays, arrays and plain objects, two levels deep). */
export function transferables(value: unknown, depth = 0, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (depth < 3 && value !== null && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) transferables(v, depth + 1, out);
  }
  return [...out];
}
