/**
 * Progress reporting shared by every long operation: `onProgress({ stage, done, total })`, called
 * with `done` non-decreasing within a stage and a last call with `done === total`.
 *
 * @module
 */

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
