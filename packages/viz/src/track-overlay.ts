/**
 * 2D point tracks drawn over a video frame held in an RGBA array: a fading tail of recent
 * positions and a disc at the current one, per point.
 *
 * Tracks are frame-major, as the SDK returns them: point `p` at frame `f` is at
 * `uv[2 (f * points + p)]`, `uv[2 (f * points + p) + 1]` and is visible where
 * `visible[f * points + p] > 0.5`. Image coordinates are normalised: `x = u (W - 1)`,
 * `y = v (H - 1)`, pixel centres at integers. What is drawn (which segments, which discs, their
 * weights) is shared with the canvas overlay, {@link drawTracksOnCanvas} (`track-tail.ts`).
 *
 * @packageDocumentation
 */

import { fillDisc, strokeSegment } from './raster.js';
import { checkTrackStyle, forEachHead, forEachTailSegment, type TrackStyleOptions } from './track-tail.js';
import { assertClampedArray, assertLength, assertNumber, assertObject } from './validate.js';

export { trackColors } from './track-colors.js';
export type { TrackColorsOptions } from './track-colors.js';
export type { Tracks2dInput } from './track-tail.js';

/** Options of {@link drawTracks}. */
export interface DrawTracksOptions extends TrackStyleOptions {
  /** Image width in pixels (integer >= 1). */
  width: number;
  /** Image height in pixels (integer >= 1). */
  height: number;
}

/**
 * Draws 2D tracks at one frame over an RGBA image, in place.
 *
 * For each point visible at `frame`: first, over all points, the trail — the segments between the
 * positions of consecutive frames `f - 1, f` for the last `tail` frames up to `frame`, each drawn
 * only when the point is visible at both ends, fading linearly with age (the newest at `alpha`,
 * the oldest at `alpha / tail`); then the discs at the current positions, on top of every trail.
 * A point hidden at `frame` (or with a non-finite position) draws nothing, not even its trail.
 * Drawing is anti-aliased (coverage-based), alpha-blended (source-over) and clipped to the image:
 * points at or beyond the border are drawn partly or not at all, and nothing outside the image
 * is read or written.
 *
 * Modifies `image` and returns it (no copy). Allocates only the default colours
 * (`trackColors(points)`) when `colors` is not given.
 *
 * @param image - RGBA `width * height * 4`, modified in place
 * @param options - size, frame, tracks and style
 * @returns `image`
 * @throws TypeError for arguments of the wrong type; RangeError for a bad size, a `frame` outside
 *   the tracks, arrays of the wrong length, or style values out of range
 */
export function drawTracks(image: Uint8ClampedArray, options: DrawTracksOptions): Uint8ClampedArray {
  const fn = 'drawTracks';
  assertClampedArray(fn, 'image', image);
  assertObject(fn, 'options', options);
  const { width, height } = options;
  assertNumber(fn, 'options.width', width, { integer: true, min: 1 });
  assertNumber(fn, 'options.height', height, { integer: true, min: 1 });
  assertLength(fn, 'image', image, 4 * width * height, 'options.width * options.height * 4');
  const { frame, tracks, tail, radius, lineWidth, alpha, colors } = checkTrackStyle(fn, options);

  const sx = width - 1;
  const sy = height - 1;
  // Trails first, so that every disc lies on top of every trail.
  if (lineWidth > 0 && alpha > 0) {
    forEachTailSegment(tracks, frame, tail, (p, u0, v0, u1, v1, weight) => {
      strokeSegment(image, width, height, u0 * sx, v0 * sy, u1 * sx, v1 * sy, lineWidth, colors[3 * p]!, colors[3 * p + 1]!, colors[3 * p + 2]!, alpha * weight);
    });
  }
  if (radius > 0 && alpha > 0) {
    forEachHead(tracks, frame, (p, u, v) => {
      fillDisc(image, width, height, u * sx, v * sy, radius, colors[3 * p]!, colors[3 * p + 1]!, colors[3 * p + 2]!, alpha);
    });
  }
  return image;
}
