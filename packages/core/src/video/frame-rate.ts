/**
 * Which source frames a whole-video run processes: every frame, or the frames kept at a chosen
 * rate.
 *
 * @module
 */
import { describeValue } from '../errors.js';

/**
 * The source frames kept when a video is processed at `fps` frames per second: time is cut into
 * slots of `1 / fps` seconds from the first frame's timestamp, and the first frame of each slot is
 * kept (`slot = floor((t - t0) fps + 1e-6)`). A rate at or above the source's keeps every frame;
 * variable frame rates are followed through the timestamps.
 *
 * @param timestamps - presentation time of each source frame in seconds, non-decreasing
 * @param fps - frames per second to keep (> 0)
 * @returns a new increasing `Int32Array` of source frame indices (the first frame is always kept)
 * @throws TypeError for a non-array `timestamps`; RangeError for an empty or decreasing one, a
 *   non-finite time or an `fps` that is not a finite number > 0
 */
export function selectFramesAtRate(timestamps: ArrayLike<number>, fps: number): Int32Array {
  const fn = 'selectFramesAtRate';
  if (typeof timestamps !== 'object' || timestamps === null || typeof timestamps.length !== 'number') {
    throw new TypeError(`${fn}: timestamps (${describeValue(timestamps)}) must be an array of seconds`);
  }
  if (timestamps.length === 0) throw new RangeError(`${fn}: timestamps (empty) must hold at least one frame`);
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0) {
    throw new RangeError(`${fn}: fps (${describeValue(fps)}) must be a finite number > 0`);
  }
  const out: number[] = [];
  const t0 = timestamps[0]!;
  let last = -1;
  let prev = -Infinity;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (!Number.isFinite(t)) throw new RangeError(`${fn}: timestamps[${i}] (${t}) must be a finite number of seconds`);
    if (t < prev) throw new RangeError(`${fn}: timestamps[${i}] (${t}) must not be before timestamps[${i - 1}] (${prev})`);
    prev = t;
    const slot = Math.floor((t - t0) * fps + 1e-6);
    if (slot > last) {
      out.push(i);
      last = slot;
    }
  }
  return Int32Array.from(out);
}

/**
 * Nominal timestamps of `frames` frames at a constant `fps`: `i / fps` seconds (or `i` when the
 * rate is unknown).
 * @returns a new `Float64Array(frames)`
 */
export function nominalTimestamps(frames: number, fps: number | undefined): Float64Array {
  const out = new Float64Array(frames);
  for (let i = 0; i < frames; i++) out[i] = fps !== undefined && fps > 0 ? i / fps : i;
  return out;
}
