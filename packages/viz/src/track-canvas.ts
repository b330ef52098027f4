/**
 * 2D point tracks drawn on a canvas (`CanvasRenderingContext2D` or
 * `OffscreenCanvasRenderingContext2D`): the same tails, discs, visibility rules and colours as
 * {@link drawTracks} on RGBA arrays (both use `track-tail.ts`), drawn with the canvas' own
 * anti-aliased paths.
 *
 * Coordinates: a track at `(u, v)` is drawn at canvas coordinates `(u (W - 1) + 0.5, v (H - 1) + 0.5)`
 * where `W x H` is the drawn area (default the canvas' size): the centre of the pixel that
 * {@link drawTracks} puts it on (canvas pixel `i` spans `[i, i + 1]`). The context's current
 * transform applies, so with `ctx.scale(dpr, dpr)` pass the CSS size as `width`, `height`.
 *
 * @packageDocumentation
 */

import { checkTrackStyle, forEachHead, forEachTailSegment, type TrackStyleOptions } from './track-tail.js';
import { assertNumber, assertObject, describe } from './validate.js';

/** The 2D contexts {@link drawTracksOnCanvas} draws on. */
export type Canvas2dContext = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Options of {@link drawTracksOnCanvas}. */
export interface DrawTracksOnCanvasOptions extends TrackStyleOptions {
  /** Width of the drawn area in canvas units (> 0); default `ctx.canvas.width`. */
  width?: number;
  /** Height of the drawn area in canvas units (> 0); default `ctx.canvas.height`. */
  height?: number;
}

/**
 * Draws 2D tracks at one frame on a canvas, over what the canvas already shows.
 *
 * Semantics as {@link drawTracks}: for each point visible at `frame`, its trail (segments between
 * consecutive frames of the last `tail` frames, only between visible ends, fading linearly from
 * `alpha` for the newest to `alpha / tail` for the oldest, round caps) and then, on top of every
 * trail, a disc of `radius` at its current position; points hidden at `frame` draw nothing. The
 * positions are scaled to `width x height` (default the canvas size). Colours are `colors` (RGB
 * per track), default `trackColors(points)`.
 *
 * Draws on `ctx` and returns it; saves and restores the context state around the drawing (fill,
 * stroke, alpha, line width and caps are left as they were). Allocates only the default colours
 * and one colour string per drawn path.
 *
 * @param ctx - the 2D context to draw on
 * @param options - frame, tracks, style and optional size
 * @returns `ctx`
 * @throws TypeError when `ctx` is not a 2D context or an argument has the wrong type; RangeError for
 *   a bad size, a `frame` outside the tracks, arrays of the wrong length, or style values out of range
 */
export function drawTracksOnCanvas<C extends Canvas2dContext>(ctx: C, options: DrawTracksOnCanvasOptions): C {
  const fn = 'drawTracksOnCanvas';
  if (typeof ctx !== 'object' || ctx === null || typeof (ctx as { beginPath?: unknown }).beginPath !== 'function' || typeof (ctx as { arc?: unknown }).arc !== 'function') {
    throw new TypeError(`${fn}: ctx (${describe(ctx)}) must be a CanvasRenderingContext2D or OffscreenCanvasRenderingContext2D`);
  }
  assertObject(fn, 'options', options);
  const { width = ctx.canvas?.width, height = ctx.canvas?.height } = options;
  assertNumber(fn, 'options.width', width, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'options.height', height, { min: 0, exclusiveMin: true });
  const { frame, tracks, tail, radius, lineWidth, alpha, colors } = checkTrackStyle(fn, options);

  const sx = width - 1;
  const sy = height - 1;
  const rgb = (p: number): string => `rgb(${colors[3 * p]}, ${colors[3 * p + 1]}, ${colors[3 * p + 2]})`;
  ctx.save();
  try {
    if (lineWidth > 0 && alpha > 0) {
      ctx.lineWidth = lineWidth;
      ctx.lineCap = 'round';
      forEachTailSegment(tracks, frame, tail, (p, u0, v0, u1, v1, weight) => {
        ctx.globalAlpha = alpha * weight;
        ctx.strokeStyle = rgb(p);
        ctx.beginPath();
        ctx.moveTo(u0 * sx + 0.5, v0 * sy + 0.5);
        ctx.lineTo(u1 * sx + 0.5, v1 * sy + 0.5);
        ctx.stroke();
      });
    }
    if (radius > 0 && alpha > 0) {
      ctx.globalAlpha = alpha;
      forEachHead(tracks, frame, (p, u, v) => {
        ctx.fillStyle = rgb(p);
        ctx.beginPath();
        ctx.arc(u * sx + 0.5, v * sy + 0.5, radius, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
  } finally {
    ctx.restore();
  }
  return ctx;
}
