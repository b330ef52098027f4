/**
 * Progress reporting shared by every long operation: `onProgress({ stage, done, total })`, called
 * with `done` non-decreasing within a stage and a last call with `done === total`.
 *
 * @module
 */
import { describeValue } from './errors.js';

/** Stages reported by the SDK's long operations. */
export type ProgressStage = 'read' | 'decode-video' | 'preprocess' | 'encode' | 'query' | 'write' | 'window';

/** One progress event. */
export interface Progress {
  /** What is running. */
  stage: ProgressStage;
  /** Units done so far (frames, queries, files); never goes backwards within a stage. */
  done: number;
  /** Units in all; the last event of a stage has `done === total`. */
  total: number;
}

/** A progress callback. */
export type ProgressCallback = (progress: Progress) => void;

/** The part of `AbortSignal` the SDK reads (core has no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/** Throws the signal's reason (or an `Error`) when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignalLike | undefined, fn: string): void {
  if (signal?.aborted) {
    throw signal.reason ?? new Error(`${fn}: aborted`);
  }
}

/**
 * Checks the options object of a long call: an object (or undefined), with `onProgress` a function
 * and `signal` an `AbortSignal` (anything with a boolean `aborted`) when given.
 * @param fn - caller name for messages
 * @param options - the call's options
 * @throws TypeError naming the option, its value and what is allowed
 */
export function checkCallOptions(fn: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object`);
  }
  const { onProgress, signal } = options as { onProgress?: unknown; signal?: unknown };
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`${fn}: options.onProgress (${describeValue(onProgress)}) must be a function ({ stage, done, total }) => void`);
  }
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof (signal as AbortSignalLike).aborted !== 'boolean')) {
    throw new TypeError(`${fn}: options.signal (${describeValue(signal)}) must be an AbortSignal`);
  }
}
