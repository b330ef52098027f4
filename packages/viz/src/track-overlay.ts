/**
 * 2D point tracks drawn over a video frame: a fading tail of recent positions and a disc at the
 * current one, per point.
 *
 * Tracks are frame-major, as the SDK returns them: point `p` at frame `f` is at
 * `uv[2 (f * points + p)]`, `uv[2 (f * points + p) + 1]` and is visible where
 * `visible[f * points + p] > 0.5`. Image coordinates are normalised: `x = u (W - 1)`,
 * `y = v (H - 1)`, pixel centres at integers.
 *
 * @packageDocumentation
 */

import { assertColormap, colormapLut, type ColormapName } from './colormap.js';
import { fillDisc, strokeSegment } from './raster.js';
import { assertArray, assertClampedArray, assertLength, assertMinLength, assertNumber, assertObject, describe } from './validate.js';

/** Options of {@link trackColors}. */
export interface TrackColorsOptions {
  /** The colormap the colours are taken from; default `'turbo'`. */
  colormap?: ColormapName;
}

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

/** Options of {@link drawTracks}. */
export interface DrawTracksOptions {
  /** Image width in pixels (integer >= 1). */
  width: number;
  /** Image height in pixels (integer >= 1). */
  height: number;
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

// 1 / golden ratio: the fractional parts of i / phi are spread evenly for every prefix.
const INV_PHI = (Math.sqrt(5) - 1) / 2;

/**
 * Colours for `count` tracks, taken from a colormap so that neighbouring indices differ strongly.
 *
 * Track `i` gets colormap parameter `t = 0.1 + 0.8 frac(i / phi)` (phi the golden ratio): a
 * low-discrepancy sequence, so any first `k` tracks spread over the map, and the colour of track
 * `i` does not depend on `count` (adding tracks keeps the existing colours). The ends of the
 * colormap (10 % each) are left out: they are too dark (or, for `inferno`, too pale) to stand out.
 * Deterministic.
 *
 * Returns a **new** `Uint8Array(count * 3)` (RGB per track).
 *
 * @param count - number of tracks (integer >= 0)
 * @param options - the colormap; default `'turbo'`
 * @returns the colours, `count * 3`
 * @throws TypeError for arguments of the wrong type; RangeError when `count` is not an integer >= 0
 *   or the colormap is unknown
 */
export function trackColors(count: number, options: TrackColorsOptions = {}): Uint8Array {
  const fn = 'trackColors';
  assertNumber(fn, 'count', count, { integer: true, min: 0 });
  assertObject(fn, 'options', options);
  const { colormap = 'turbo' } = options;
  assertColormap(fn, 'options.colormap', colormap);
  const lut = colormapLut(colormap);
  const out = new Uint8Array(3 * count);
  for (let i = 0; i < count; i++) {
    const f = (i * INV_PHI) % 1;
    const e = 3 * Math.round(255 * (0.1 + 0.8 * f));
    out[3 * i] = lut[e]!;
    out[3 * i + 1] = lut[e + 1]!;
    out[3 * i + 2] = lut[e + 2]!;
  }
  return out;
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
  const { width, height, frame, tracks, tail = 8, radius = 2.5, lineWidth = 1.5, alpha = 1 } = options;
  assertNumber(fn, 'options.width', width, { integer: true, min: 1 });
  assertNumber(fn, 'options.height', height, { integer: true, min: 1 });
  assertLength(fn, 'image', image, 4 * width * height, 'options.width * options.height * 4');
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

  const sx = width - 1;
  const sy = height - 1;
  const first = Math.max(1, frame - tail + 1);
  const isVisible = (f: number, p: number): boolean => {
    const i = f * points + p;
    const u = uv[2 * i]!;
    const v = uv[2 * i + 1]!;
    // visible > 0.5 and a finite position (x - x is NaN for NaN and +-Infinity).
    return visible[i]! > 0.5 && u - u === 0 && v - v === 0;
  };

  // Trails first, so that every disc lies on top of every trail.
  if (tail > 0 && lineWidth > 0 && alpha > 0) {
    for (let p = 0; p < points; p++) {
      if (!isVisible(frame, p)) continue;
      const r = colors[3 * p]!;
      const g = colors[3 * p + 1]!;
      const b = colors[3 * p + 2]!;
      for (let f = first; f <= frame; f++) {
        if (!isVisible(f - 1, p) || !isVisible(f, p)) continue;
        const a = 2 * ((f - 1) * points + p);
        const c = 2 * (f * points + p);
        const fade = alpha * (1 - (frame - f) / tail);
        strokeSegment(image, width, height, uv[a]! * sx, uv[a + 1]! * sy, uv[c]! * sx, uv[c + 1]! * sy, lineWidth, r, g, b, fade);
      }
    }
  }
  if (radius > 0 && alpha > 0) {
    for (let p = 0; p < points; p++) {
      if (!isVisible(frame, p)) continue;
      const c = 2 * (frame * points + p);
      fillDisc(image, width, height, uv[c]! * sx, uv[c + 1]! * sy, radius, colors[3 * p]!, colors[3 * p + 1]!, colors[3 * p + 2]!, alpha);
    }
  }
  return image;
}
