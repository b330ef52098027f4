/**
 * The errors of d4rt-js. Every error the SDK raises on purpose is a {@link D4rtError} with a stable
 * `code`, except argument type/range mistakes, which are `TypeError` / `RangeError` as in the
 * platform. Messages start with the function or class that raised them and name the argument, its
 * value and what is allowed.
 *
 * @module
 */
import type { ModelFileDigest } from './manifest.js';

/** Stable machine-readable codes of {@link D4rtError}. */
export type D4rtErrorCode =
  | 'ERR_MODEL_LOAD'
  | 'ERR_MODEL_INTEGRITY'
  | 'ERR_MODEL_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MODEL'
  | 'ERR_INVALID_QUERY'
  | 'ERR_NO_TRACKER'
  | 'ERR_INVALID_VIDEO'
  | 'ERR_SCENE_DISPOSED'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_SCALE_REFERENCE';

/** The class name behind each code, spelled out so that minified bundles keep readable `name`s. */
const ERROR_NAMES: Record<D4rtErrorCode, string> = {
  ERR_MODEL_LOAD: 'ModelLoadError',
  ERR_MODEL_INTEGRITY: 'ModelIntegrityError',
  ERR_MODEL_TOO_LARGE: 'ModelTooLargeError',
  ERR_UNSUPPORTED_MODEL: 'UnsupportedModelError',
  ERR_INVALID_QUERY: 'InvalidQueryError',
  ERR_NO_TRACKER: 'NoTrackerError',
  ERR_INVALID_VIDEO: 'InvalidVideoError',
  ERR_SCENE_DISPOSED: 'SceneDisposedError',
  ERR_BACKEND_UNAVAILABLE: 'BackendUnavailableError',
  ERR_SCALE_REFERENCE: 'ScaleReferenceError',
};

/**
 * Base class of the SDK's errors; `code` is stable across releases, the message is for people.
 * `name` is the subclass's name (from the code, so it survives minification).
 */
export class D4rtError extends Error {
  /** Stable machine-readable code. */
  readonly code: D4rtErrorCode;

  constructor(code: D4rtErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = ERROR_NAMES[code] ?? 'D4rtError';
  }
}

/** A model could not be read: missing folder or file, unreadable manifest, a session that failed to load. */
export class ModelLoadError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_LOAD', message, options);
  }
}

/**
 * A model file's bytes are not the ones its manifest's `hashes` name: a corrupted or cut download,
 * or a file replaced on the server (or on disk) without its manifest. The bytes are not used and,
 * in the browser, not cached.
 */
export class ModelIntegrityError extends D4rtError {
  /** The file's URL (browser) or path (Node). */
  readonly file: string;
  /** What the manifest says. */
  readonly expected: ModelFileDigest;
  /** What was received. */
  readonly actual: ModelFileDigest;

  constructor(message: string, details: { file: string; expected: ModelFileDigest; actual: ModelFileDigest }, options?: { cause?: unknown }) {
    super('ERR_MODEL_INTEGRITY', message, options);
    this.file = details.file;
    this.expected = { sha256: details.expected.sha256, bytes: details.expected.bytes };
    this.actual = { sha256: details.actual.sha256, bytes: details.actual.bytes };
  }
}

/**
 * A model too large for the runtime that would load it, found from its manifest (or the files'
 * `Content-Length`) before the files are downloaded: e.g. more memory than a wasm32 WebAssembly
 * instance can address. The message gives the size, the limit and what would work (another device,
 * a smaller dtype).
 */
export class ModelTooLargeError extends D4rtError {
  /** The size that is too large, in bytes (an estimate of the memory needed, or one file's size). */
  readonly bytes: number;
  /** The limit it passes, in bytes. */
  readonly limit: number;

  constructor(message: string, details: { bytes: number; limit: number }, options?: { cause?: unknown }) {
    super('ERR_MODEL_TOO_LARGE', message, options);
    this.bytes = details.bytes;
    this.limit = details.limit;
  }
}

/** A model was read but does not follow a format this SDK supports (version, tensor names, shapes). */
export class UnsupportedModelError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNSUPPORTED_MODEL', message, options);
  }
}

/** A query is out of range (frame outside the clip, u/v outside [0, 1], NaN) or malformed. */
export class InvalidQueryError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_QUERY', message, options);
  }
}

/**
 * Tracking with the tracker decoder (`scene.track(points, { decoder: 'tracker' })`, the CLI's
 * `--decoder tracker`) was asked of a model whose manifest has no tracker graph
 * (`manifest.tracker`). Nothing is run; `decoder: 'query'` (the default) tracks with any model.
 */
export class NoTrackerError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NO_TRACKER', message, options);
  }
}

/** Why a video could not be used; see {@link InvalidVideoError.reason}. */
export type InvalidVideoReason =
  | 'not-found'
  | 'not-a-video'
  | 'undecodable'
  | 'no-frames'
  | 'too-large'
  | 'decoder-missing'
  | 'bad-frames';

/** A video (or image sequence) could not be read or is not usable as model input. */
export class InvalidVideoError extends D4rtError {
  /** What went wrong, for programs. */
  readonly reason: InvalidVideoReason;

  constructor(reason: InvalidVideoReason, message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_VIDEO', message, options);
    this.reason = reason;
  }
}

/**
 * A method was called on a `Scene` (or model) after `dispose()`, or the scene or model was disposed
 * while the call ran (the call then rejects at its next check, see `Scene` and `D4rtModel.dispose`).
 */
export class SceneDisposedError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SCENE_DISPOSED', message, options);
  }
}

/** One backend's failure, as collected by {@link BackendUnavailableError}. */
export interface BackendFailure {
  /** The backend's name, e.g. `'onnxruntime-node:cpu'`. */
  backend: string;
  /** What it threw. */
  error: unknown;
}

/** No backend in the requested list could run the model; `failures` holds every backend's cause. */
export class BackendUnavailableError extends D4rtError {
  /** Each backend tried, in order, with its error. */
  readonly failures: readonly BackendFailure[];

  constructor(message: string, failures: readonly BackendFailure[]) {
    super('ERR_BACKEND_UNAVAILABLE', message, { cause: failures[failures.length - 1]?.error });
    this.failures = failures;
  }
}

/**
 * A metric scale reference could not be measured in the reconstruction: the two points coincide,
 * the depth at the pixel is not positive, or no floor was found below the camera.
 */
export class ScaleReferenceError extends D4rtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SCALE_REFERENCE', message, options);
  }
}

/** Short description of a value for error messages (`'abc'`, `NaN`, `Float32Array(3)`, `undefined`). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'function') return 'a function';
  return Object.prototype.toString.call(value).slice(8, -1);
}
