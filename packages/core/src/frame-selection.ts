/**
 * Which source frames fill a model's `T` input frames.
 *
 * @module
 */
import { describeValue } from './errors.js';

/**
 * Indices of the source frames that fill the model's `T` frames: `floor(k (n - 1) / (T - 1) + 0.5)`
 * for `k = 0 .. T-1` (round-half-up of an even spacing, `'round-linspace'` in the manifest). Long
 * videos are subsampled evenly, short ones repeat frames; the first and last frames are always
 * kept. Bit for bit the training code's `select_frames`.
 *
 * @param n - number of source frames (integer >= 1)
 * @param T - number of model frames (integer >= 1)
 * @returns a new `Int32Array(T)` of source indices, non-decreasing
 * @throws RangeError when `n` or `T` is not an integer >= 1
 */
export function selectFrames(n: number, T: number): Int32Array {
  for (const [name, value] of [['n', n], ['T', T]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`selectFrames: ${name} (${value}) must be an integer >= 1`);
    }
  }
  const out = new Int32Array(T);
  if (n === 1 || T === 1) return out;
  for (let k = 0; k < T; k++) out[k] = Math.floor((k * (n - 1)) / (T - 1) + 0.5);
  return out;
}

/**
 * The first model frame that shows source frame `source` (`Scene.frameOfSource`).
 * @param sourceIndices - the source frame of each model frame (`scene.sourceIndices`)
 * @param source - a source frame index
 * @param fn - caller name for the message (default `'modelFrameOfSource'`)
 * @returns an index into `sourceIndices`
 * @throws RangeError when no model frame came from `source` (the message names the nearest one)
 */
export function modelFrameOfSource(sourceIndices: ArrayLike<number>, source: number, fn = 'modelFrameOfSource'): number {
  let best = 0;
  for (let i = 0; i < sourceIndices.length; i++) {
    if (sourceIndices[i] === source) return i;
    if (Math.abs(sourceIndices[i]! - source) < Math.abs(sourceIndices[best]! - source)) best = i;
  }
  throw new RangeError(`${fn}: source frame ${describeValue(source)} is not one of the model's frames; the nearest is source frame ${sourceIndices[best]} (model frame ${best})`);
}

/** Which source frames land in which output slots when a reader keeps at most T frames ({@link planFrameSelection}). */
export interface SelectionPlan {
  /** Frames kept (`T`, or the source count without selection). */
  kept: number;
  /** The selection (`selectFrames(n, T)`), or undefined for every frame in order. */
  indices?: Int32Array;
  /** Per source frame: the first output slot that holds it, or -1 when it is not kept. */
  first: Int32Array;
  /** Per source frame: one past the last output slot that holds it (slots are consecutive). */
  end: Int32Array;
}

/**
 * Plans which of `n` source frames a video reader keeps: `selectFrames(n, keep)` when `keep < n`,
 * else every frame once (also when `keep` is undefined). Both runtimes' `readVideo` use it, so they
 * keep the same frames.
 * @returns a new plan
 */
export function planFrameSelection(n: number, keep: number | undefined): SelectionPlan {
  const first = new Int32Array(n).fill(-1);
  const end = new Int32Array(n);
  if (keep === undefined) {
    for (let i = 0; i < n; i++) {
      first[i] = i;
      end[i] = i + 1;
    }
    return { kept: n, first, end };
  }
  if (keep >= n) {
    // A short source is kept whole, each frame once (see ReadVideoOptions.frames).
    for (let i = 0; i < n; i++) {
      first[i] = i;
      end[i] = i + 1;
    }
    return { kept: n, indices: Int32Array.from({ length: n }, (_, i) => i), first, end };
  }
  const indices = selectFrames(n, keep);
  for (let k = 0; k < keep; k++) {
    const s = indices[k]!;
    if (first[s] === -1) first[s] = k;
    end[s] = k + 1;
  }
  return { kept: keep, indices, first, end };
}
