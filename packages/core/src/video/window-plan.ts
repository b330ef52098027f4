/**
 * The window plan of a whole video: overlapping windows of the model's `T` frames over the
 * processed frames (every frame, or the frames kept at a chosen rate), each frame reported by
 * exactly one window.
 *
 * Frames here are positions `0 .. frames-1` in the list of processed frames (not source frame
 * numbers). Window `k` starts at `k * stride` (`stride = T - overlap`); the last window is moved
 * back to end at the last frame, so every window holds `T` frames (a video shorter than `T` is one
 * window of all its frames, which the model then repeats). Consecutive windows share at least
 * `overlap` frames; a shared range is split in the middle: the earlier window reports its first
 * half, the later window the rest. So the reported ("own") ranges partition `[0, frames)`.
 *
 * @module
 */
import { describeValue } from '../errors.js';

/** One window of a {@link WindowPlan}. All ranges are half-open, in processed frames. */
export interface VideoWindow {
  /** Position of the window in the plan, 0-based. */
  index: number;
  /** First processed frame the window encodes. */
  start: number;
  /** One past the last processed frame it encodes (`end - start = min(T, frames)`). */
  end: number;
  /** First processed frame the window reports. */
  ownStart: number;
  /** One past the last processed frame it reports. */
  ownEnd: number;
}

/** The windows covering a video; see the module notes. */
export interface WindowPlan {
  /** Processed frames in all. */
  frames: number;
  /** Frames per window: the model's T. */
  windowFrames: number;
  /** Frames shared by consecutive windows (at least; the last window may share more). */
  overlap: number;
  /** Frames between the starts of consecutive windows (`windowFrames - overlap`). */
  stride: number;
  /** The windows, in order. */
  windows: VideoWindow[];
}

/** Options of {@link planWindows}. */
export interface PlanWindowsOptions {
  /** Number of processed frames (integer >= 1). */
  frames: number;
  /** Frames per window, the model's T (integer >= 1; >= 2 when `frames > windowFrames`). */
  windowFrames: number;
  /** Frames shared by consecutive windows, in `[1, windowFrames - 1]`; default {@link defaultOverlap}. */
  overlap?: number;
  /** Frames between window starts, in `[1, windowFrames - 1]`; `windowFrames - overlap`. Give `overlap` or `stride` (or both, agreeing). */
  stride?: number;
}

/** Default overlap of {@link planWindows}: a quarter of the window, at least 1 (4 frames for T = 16). */
export function defaultOverlap(windowFrames: number): number {
  return Math.max(1, Math.round(windowFrames / 4));
}

function checkInt(fn: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: ${name} (${describeValue(value)}) must be a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${fn}: ${name} (${value}) must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/**
 * Plans the windows of a video (see the module notes).
 *
 * @param options - `frames`, `windowFrames`, and `overlap` or `stride`
 * @returns a new plan whose own ranges partition `[0, frames)`
 * @throws TypeError for non-number options; RangeError for values out of range, an `overlap` and a
 *   `stride` that do not add up to `windowFrames`, or `windowFrames` 1 with more than one frame
 *   (windows could not share a frame)
 */
export function planWindows(options: PlanWindowsOptions): WindowPlan {
  const fn = 'planWindows';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { frames, windowFrames, overlap?, stride? }`);
  }
  const frames = checkInt(fn, 'options.frames', options.frames, 1, 2 ** 31 - 1);
  const T = checkInt(fn, 'options.windowFrames', options.windowFrames, 1, 2 ** 31 - 1);
  if (frames <= T) {
    // one window of every frame; overlap and stride are still checked when T allows them
    if (T >= 2) resolveOverlap(fn, T, options);
    return { frames, windowFrames: T, overlap: 0, stride: T, windows: [{ index: 0, start: 0, end: frames, ownStart: 0, ownEnd: frames }] };
  }
  if (T < 2) {
    throw new RangeError(`${fn}: options.windowFrames (${T}) must be >= 2 for a video of ${frames} frames: consecutive windows must share a frame`);
  }
  const overlap = resolveOverlap(fn, T, options);
  const stride = T - overlap;
  const count = 1 + Math.ceil((frames - T) / stride);
  const windows: VideoWindow[] = [];
  for (let k = 0; k < count; k++) {
    const start = k === count - 1 ? frames - T : k * stride;
    windows.push({ index: k, start, end: start + T, ownStart: 0, ownEnd: 0 });
  }
  for (let k = 0; k < count; k++) {
    const w = windows[k]!;
    const prev = windows[k - 1];
    const next = windows[k + 1];
    w.ownStart = prev === undefined ? 0 : splitPoint(prev, w);
    w.ownEnd = next === undefined ? frames : splitPoint(w, next);
  }
  return { frames, windowFrames: T, overlap, stride, windows };
}

/** The first frame the later of two consecutive windows reports: the middle of their shared range. */
function splitPoint(a: VideoWindow, b: VideoWindow): number {
  return b.start + Math.floor((a.end - b.start) / 2);
}

function resolveOverlap(fn: string, T: number, options: PlanWindowsOptions): number {
  const { overlap, stride } = options;
  if (overlap !== undefined) checkInt(fn, 'options.overlap', overlap, 1, T - 1);
  if (stride !== undefined) checkInt(fn, 'options.stride', stride, 1, T - 1);
  if (overlap !== undefined && stride !== undefined && overlap + stride !== T) {
    throw new RangeError(`${fn}: options.overlap (${overlap}) and options.stride (${stride}) must add up to options.windowFrames (${T}); give one of them`);
  }
  return overlap ?? (stride !== undefined ? T - stride : defaultOverlap(T));
}
