/**
 * Anti-aliased discs and thick line segments on RGBA images (internal: used by the overlays).
 *
 * Coverage-based: a pixel, with its centre at integer coordinates `(x, y)`, is covered by
 * `clamp(r + 0.5 - distance, 0, 1)` where `distance` is from its centre to the disc's centre or
 * to the segment, and `r` is the disc radius or half the line width (a one-pixel-wide linear
 * ramp across the edge, the usual approximation of the exact pixel area). The colour is blended
 * over the image with source-over at `alpha * coverage`. Everything is clipped to the image:
 * pixels outside it are never read or written.
 *
 * No argument checks (the public callers check once); non-finite coordinates draw nothing.
 *
 * @packageDocumentation
 */

import { blendPixel } from './rgba.js';

/** The loop bounds of a box clipped to the image, or null when it misses the image. */
function clip(x0: number, x1: number, y0: number, y1: number, width: number, height: number): [number, number, number, number] | null {
  const xa = Math.max(0, Math.ceil(x0));
  const xb = Math.min(width - 1, Math.floor(x1));
  const ya = Math.max(0, Math.ceil(y0));
  const yb = Math.min(height - 1, Math.floor(y1));
  // NaN bounds fail these comparisons too.
  if (!(xa <= xb && ya <= yb)) return null;
  return [xa, xb, ya, yb];
}

/**
 * Fills a disc of radius `radius` centred at pixel coordinates `(cx, cy)`.
 *
 * @param image - RGBA, `width * height * 4`, modified in place
 * @param width - image width
 * @param height - image height
 * @param cx - centre x in pixels
 * @param cy - centre y in pixels
 * @param radius - radius in pixels (`<= 0` draws nothing)
 * @param r - red 0..255
 * @param g - green
 * @param b - blue
 * @param alpha - opacity 0..1
 */
export function fillDisc(
  image: Uint8ClampedArray,
  width: number,
  height: number,
  cx: number,
  cy: number,
  radius: number,
  r: number,
  g: number,
  b: number,
  alpha: number,
): void {
  if (!(radius > 0) || !(alpha > 0)) return;
  const reach = radius + 0.5;
  const box = clip(cx - reach, cx + reach, cy - reach, cy + reach, width, height);
  if (box === null) return;
  const [xa, xb, ya, yb] = box;
  for (let y = ya; y <= yb; y++) {
    const dy = y - cy;
    for (let x = xa; x <= xb; x++) {
      const dx = x - cx;
      const coverage = reach - Math.sqrt(dx * dx + dy * dy);
      if (coverage <= 0) continue;
      blendPixel(image, 4 * (y * width + x), r, g, b, alpha * (coverage < 1 ? coverage : 1));
    }
  }
}

/**
 * Strokes the segment from `(x0, y0)` to `(x1, y1)` with round caps and width `lineWidth`.
 *
 * @param image - RGBA, `width * height * 4`, modified in place
 * @param width - image width
 * @param height - image height
 * @param x0 - start x in pixels
 * @param y0 - start y
 * @param x1 - end x
 * @param y1 - end y
 * @param lineWidth - full width in pixels (`<= 0` draws nothing)
 * @param r - red 0..255
 * @param g - green
 * @param b - blue
 * @param alpha - opacity 0..1
 */
export function strokeSegment(
  image: Uint8ClampedArray,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  lineWidth: number,
  r: number,
  g: number,
  b: number,
  alpha: number,
): void {
  if (!(lineWidth > 0) || !(alpha > 0)) return;
  const reach = lineWidth / 2 + 0.5;
  const box = clip(Math.min(x0, x1) - reach, Math.max(x0, x1) + reach, Math.min(y0, y1) - reach, Math.max(y0, y1) + reach, width, height);
  if (box === null) return;
  const [xa, xb, ya, yb] = box;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const invLen2 = len2 > 0 ? 1 / len2 : 0;
  // On row y the segment's band of half-width `reach` spans x in xc +- halfSpan around the line's
  // crossing xc; looping over that span only (within the box) keeps long diagonal segments cheap.
  const steep = Math.abs(dy) > 1e-6;
  const slope = steep ? dx / dy : 0;
  const halfSpan = steep ? (reach * Math.sqrt(len2)) / Math.abs(dy) + 1 : 0;
  for (let y = ya; y <= yb; y++) {
    const py = y - y0;
    let xStart = xa;
    let xEnd = xb;
    if (steep) {
      const xc = x0 + py * slope;
      xStart = Math.max(xa, Math.ceil(xc - halfSpan));
      xEnd = Math.min(xb, Math.floor(xc + halfSpan));
    }
    for (let x = xStart; x <= xEnd; x++) {
      const px = x - x0;
      // Closest point of the segment: parameter t clamped to [0, 1].
      let t = (px * dx + py * dy) * invLen2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const coverage = reach - Math.sqrt(ex * ex + ey * ey);
      if (coverage <= 0) continue;
      blendPixel(image, 4 * (y * width + x), r, g, b, alpha * (coverage < 1 ? coverage : 1));
    }
  }
}
