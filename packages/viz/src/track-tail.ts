/**
 * What a 2D track overlay draws at one frame, independent of the surface it is drawn on (internal:
 * shared by {@link drawTracks} on RGBA arrays and {@link drawTracksOnCanvas} on a canvas).
 *
 * At frame `frame`, a point is drawn only when it is visible there (`visible > 0.5` and a finite
 * position). Its tail is the segments between the positions of consecutive frames `f - 1, f` for
 * the last `tail` frames up to `frame` (`max(1, frame - tail + 1) <= f <= frame`), each kept only
 * when the point is visible at both ends, with weight `1 - (frame - f) / tail` (1 for the newest,
 * `1 / tail` for the oldest). Its head is its position at `frame`.
 *
 * Tracks are frame-major: point `p` at frame `f` is at `uv[2 (f * points + p)]`,
 * `uv[2 (f * points + p) + 1]`.
 *
 * @module
 * @internal
 */

import { trackColors } from './track-colors.js';
import { assertArray, assertLength, assertMinLength, assertNumber, assertObject, describe } from './validate.js';

/** 2D tracks of `points` points over `frames` frames, frame-major. */
export interface Tracks2dInput {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of points (integer >= 0). */
  points: number;
  /** Normalised positions, `frames * points * 2` (u, v in [0, 1] inside the image). */
  uv: ArrayLike<number>;
  /** Visibility, `frames * points`; visible where `> 0.5` (a flag or a probability). */
  visible: ArrayLike<number>;
}

/** The style options shared by the track overlays (everything but the drawing surface). */
export interface TrackStyleOptions {
  /** The frame to draw (integer, `0 <= frame < tracks.frames`). */
  frame: number;
  /** The tracks. */
  tracks: Tracks2dInput;
  /** Frames of trail behind the current position (integer >= 0; 0 = no trail); default 8. */
  tail?: number;
  /** Disc radius in pixels (>= 0; 0 = no disc); default 2.5. */
  radius?: number;
  /** Trail width in pixels (>= 0; 0 = no trail); default 1.5. */
  lineWidth?: number;
  /** RGB per point, at least `points * 3`; default `trackColors(points)`. */
  colors?: Uint8Array | Uint8ClampedArray;
  /** Overall opacity in [0, 1]; default 1. */
  alpha?: number;
}

/** Checked style options with their defaults filled in. */
export interface TrackStyle {
  frame: number;
  tracks: Tracks2dInput;
  tail: number;
  radius: number;
  lineWidth: number;
  alpha: number;
  colors: Uint8Array | Uint8ClampedArray;
}

/**
 * Checks the shared options of a track overlay and fills in the defaults. Allocates only the
 * default colours (`trackColors(points)`) when `colors` is not given.
 *
 * @param fn - name of the public function, for the messages
 * @param options - the options object, already known to be an object
 * @returns the checked style
 * @throws TypeError for values of the wrong type; RangeError for a `frame` outside the tracks,
 *   arrays of the wrong length or style values out of range
 */
export function checkTrackStyle(fn: string, options: TrackStyleOptions): TrackStyle {
  const { frame, tracks, tail = 8, radius = 2.5, lineWidth = 1.5, alpha = 1 } = options;
  assertObject(fn, 'options.tracks', tracks);
  const { frames, points, uv, visible } = tracks;
  assertNumber(fn, 'options.tracks.frames', frames, { integer: true, min: 1 });
  assertNumber(fn, 'options.tracks.points', points, { integer: true, min: 0 });
  assertArray(fn, 'options.tracks.uv', uv);
  assertArray(fn, 'options.tracks.visible', visible);
  assertLength(fn, 'options.tracks.uv', uv, frames * points * 2, 'tracks.frames * tracks.points * 2');
  assertLength(fn, 'options.tracks.visible', visible, frames * points, 'tracks.frames * tracks.points');
  assertNumber(fn, 'options.frame', frame, { integer: true, min: 0, max: frames - 1 });
  assertNumber(fn, 'options.tail', tail, { integer: true, min: 0 });
  assertNumber(fn, 'options.radius', radius, { min: 0 });
  assertNumber(fn, 'options.lineWidth', lineWidth, { min: 0 });
  assertNumber(fn, 'options.alpha', alpha, { min: 0, max: 1 });
  let colors = options.colors;
  if (colors === undefined) {
    colors = trackColors(points);
  } else {
    if (!(colors instanceof Uint8Array || colors instanceof Uint8ClampedArray)) {
      throw new TypeError(`${fn}: options.colors (${describe(colors)}) must be a Uint8Array or Uint8ClampedArray`);
    }
    assertMinLength(fn, 'options.colors', colors, 3 * points, 'tracks.points * 3');
  }
  return { frame, tracks, tail, radius, lineWidth, alpha, colors };
}

/** Whether point `p` is visible at frame `f`: `visible > 0.5` and a finite position. */
function isVisible(tracks: Tracks2dInput, f: number, p: number): boolean {
  const i = f * tracks.points + p;
  const u = tracks.uv[2 * i]!;
  const v = tracks.uv[2 * i + 1]!;
  // x - x is NaN for NaN and +-Infinity.
  return tracks.visible[i]! > 0.5 && u - u === 0 && v - v === 0;
}

/**
 * Calls `visit` for every tail segment drawn at `frame`, point by point and oldest first, with the
 * normalised end positions and the segment's weight in (0, 1] (multiply by the overall alpha).
 * Nothing is visited when `tail` is 0. No checks, no allocation.
 *
 * @param tracks - the tracks (checked)
 * @param frame - the frame drawn
 * @param tail - frames of trail
 * @param visit - `(p, u0, v0, u1, v1, weight)`: point index, older end, newer end, weight
 */
export function forEachTailSegment(
  tracks: Tracks2dInput,
  frame: number,
  tail: number,
  visit: (p: number, u0: number, v0: number, u1: number, v1: number, weight: number) => void,
): void {
  if (tail <= 0) return;
  const { points, uv } = tracks;
  const first = Math.max(1, frame - tail + 1);
  for (let p = 0; p < points; p++) {
    if (!isVisible(tracks, frame, p)) continue;
    for (let f = first; f <= frame; f++) {
      if (!isVisible(tracks, f - 1, p) || !isVisible(tracks, f, p)) continue;
      const a = 2 * ((f - 1) * points + p);
      const c = 2 * (f * points + p);
      visit(p, uv[a]!, uv[a + 1]!, uv[c]!, uv[c + 1]!, 1 - (frame - f) / tail);
    }
  }
}

/**
 * Calls `visit` for every point visible at `frame` with its normalised position. No checks, no
 * allocation.
 *
 * @param tracks - the tracks (checked)
 * @param frame - the frame drawn
 * @param visit - `(p, u, v)`: point index and position
 */
export function forEachHead(tracks: Tracks2dInput, frame: number, visit: (p: number, u: number, v: number) => void): void {
  const { points, uv } = tracks;
  for (let p = 0; p < points; p++) {
    if (!isVisible(tracks, frame, p)) continue;
    const c = 2 * (frame * points + p);
    visit(p, uv[c]!, uv[c + 1]!);
  }
}
