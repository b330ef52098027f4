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
  ModelLoadError,
  SceneDisposedError,
  UnsupportedModelError,
  type BackendFailure,
  type InvalidVideoReason,
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
}

/** An error as it crosses `postMessage`. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  reason?: InvalidVideoReason;
  failures?: { backend: string; message: string }[];
  aborted?: boolean;
}

/** Flattens an error for `postMessage`. */
export function serializeError(error: unknown, aborted = false): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), aborted };
  const out: SerializedError = { name: error.name, message: error.message, aborted };
  if (error instanceof D4rtError) out.code = error.code;
  if (error instanceof InvalidVideoError) out.reason = error.reason;
  if (error instanceof BackendUnavailableError) {
    out.failures = error.failures.map((f) => ({ backend: f.backend, message: f.error instanceof Error ? f.error.message : String(f.error) }));
  }
  return out;
}

/** Rebuilds an error of the same class (SDK errors keep their `code`, `reason` and `failures`). */
export function deserializeError(e: SerializedError): Error {
  switch (e.name) {
    case 'ModelLoadError':
      return new ModelLoadError(e.message);
    case 'UnsupportedModelError':
      return new UnsupportedModelError(e.message);
    case 'InvalidQueryError':
      return new InvalidQueryError(e.message);
    case 'InvalidVideoError':
      return new InvalidVideoError(e.reason ?? 'bad-frames', e.message);
    case 'SceneDisposedError':
      return new SceneDisposedError(e.message);
    case 'BackendUnavailableError': {
      const failures: BackendFailure[] = (e.failures ?? []).map((f) => ({ backend: f.backend, error: new Error(f.message) }));
      return new BackendUnavailableError(e.message, failures);
    }
    case 'TypeError':
      return new TypeError(e.message);
    case 'RangeError':
      return new RangeError(e.message);
    default: {
      const error = new Error(e.message);
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
