/**
 * Depth outputs a person can read: the scale of the 16-bit PNGs (the 16-bit range used, the scale
 * recorded so values stay recoverable) and the colour images (at a viewable size, with a colour
 * bar labelled near and far under the picture).
 *
 * @module
 */
import { depthLegend, depthToRgba } from '@d4rt/viz';
import { GLYPH_HEIGHT, drawText, textWidth } from './bitmap-font.js';

/** Stored units per metre in the 16-bit PNGs of metric depth (`--scale-from`): millimetres, as TUM RGB-D and Open3D. */
export const METRIC_PNG_SCALE = 1000;

/** Longest side of the colour images; smaller sources keep their size. */
export const PREVIEW_MAX_SIDE = 1280;

/** The colour convention of the colour images, written into depth.json. */
export const COLOR_KEY = {
  colormap: 'turbo',
  coloredBy: 'inverse depth (1 / depth) between the limits',
  near: 'red (the high end of turbo)',
  far: 'dark blue (the low end of turbo)',
  legend: 'a colour bar under each image: near on the left, far on the right, with their depths',
} as const;

/**
 * The scale of the 16-bit depth PNGs (`stored = round(depth * scale)`): millimetres for metric
 * depth; for relative depth `65535 / maxDepth` rounded down to 3 significant digits, so that the
 * largest depth is stored near 65535 and the images use the 16-bit range (depth * 1000 of a depth
 * near 1 is 1000 of 65535: black in any viewer).
 * @param maxDepth - the largest valid depth to store (relative units); ignored when `metric`
 * @returns the scale; 1000 when there is no valid depth
 */
export function depthPngScale(maxDepth: number, metric: boolean): number {
  if (metric || !(maxDepth > 0 && Number.isFinite(maxDepth))) return METRIC_PNG_SCALE;
  const s = 65535 / maxDepth;
  const unit = 10 ** (Math.floor(Math.log10(s)) - 2);
  return Math.floor(s / unit) * unit;
}

/** The largest finite depth > 0 of `data` (0 when none). */
export function maxValidDepth(data: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const d = data[i]!;
    if (d > max && d !== Infinity) max = d;
  }
  return max;
}

/** Size of the colour images for a source of `source` size: the source's, the longer side at most {@link PREVIEW_MAX_SIDE}. */
export function previewSize(source: { width: number; height: number }): { width: number; height: number } {
  const s = Math.min(1, PREVIEW_MAX_SIDE / Math.max(source.width, source.height));
  return { width: Math.max(1, Math.round(source.width * s)), height: Math.max(1, Math.round(source.height * s)) };
}

/** Bilinear resize of a depth map; a sample next to an invalid depth (not finite or <= 0) takes the nearest one. @returns a new array */
export function resizeDepth(map: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number): Float32Array {
  const out = new Float32Array(outWidth * outHeight);
  const valid = (d: number): boolean => d > 0 && d !== Infinity;
  for (let y = 0; y < outHeight; y++) {
    // align corners: the first and last rows and columns of both grids coincide
    const fy = outHeight === 1 ? 0 : (y * (height - 1)) / (outHeight - 1);
    const y0 = Math.floor(fy), y1 = Math.min(height - 1, y0 + 1), ty = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = outWidth === 1 ? 0 : (x * (width - 1)) / (outWidth - 1);
      const x0 = Math.floor(fx), x1 = Math.min(width - 1, x0 + 1), tx = fx - x0;
      const a = map[y0 * width + x0]!, b = map[y0 * width + x1]!, c = map[y1 * width + x0]!, d = map[y1 * width + x1]!;
      out[y * outWidth + x] = valid(a) && valid(b) && valid(c) && valid(d)
        ? (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
        : map[(ty < 0.5 ? y0 : y1) * width + (tx < 0.5 ? x0 : x1)]!;
    }
  }
  return out;
}

/** A number for a label: 3 significant digits, no exponent for ordinary depths. */
const label = (x: number): string => (x >= 1000 || x < 0.01 ? x.toPrecision(3) : Number(x.toPrecision(3)).toString());

/**
 * A colour image of one depth map at `size`, with a legend strip under it: the colour bar (near on
 * the left) and the labels `NEAR <depth>` and `FAR <depth>` (and the units) in the bitmap font.
 * @param map - the depth map, `width * height`, row-major
 * @param limits - colour limits `[near, far]` (depths); without valid limits the image is transparent and the labels say so
 * @param units - `'relative'` or `'m'`, printed on the legend
 * @returns RGBA of `size.width x (size.height + legend height)`, a new array
 */
export function depthPreview(
  map: ArrayLike<number>,
  mapSize: { width: number; height: number },
  size: { width: number; height: number },
  limits: readonly [number, number] | null,
  units: 'relative' | 'm',
): { rgba: Uint8ClampedArray; width: number; height: number } {
  const { width: W, height: H } = size;
  const depth = W === mapSize.width && H === mapSize.height ? map : resizeDepth(map, mapSize.width, mapSize.height, W, H);
  const ok = limits !== null && limits[0] > 0 && Number.isFinite(limits[1]) && limits[1] >= limits[0];
  const picture = ok ? depthToRgba(depth, { width: W, height: H, limits }) : depthToRgba(depth, { width: W, height: H });
  const scale = Math.max(1, Math.floor(W / 320));
  const pad = 3 * scale;
  const barHeight = 6 * scale;
  const stripHeight = pad + barHeight + pad + GLYPH_HEIGHT * scale + pad;
  const height = H + stripHeight;
  const rgba = new Uint8ClampedArray(W * height * 4).fill(255);
  rgba.set(picture.rgba, 0);
  const barWidth = Math.max(1, W - 2 * pad);
  if (ok) {
    const bar = depthLegend({ min: limits[0], max: limits[1], width: barWidth, height: barHeight, ticks: 0 });
    for (let y = 0; y < barHeight; y++) rgba.set(bar.rgba.subarray(4 * barWidth * y, 4 * barWidth * (y + 1)), 4 * ((H + pad + y) * W + Math.min(pad, W - barWidth)));
  }
  const textY = H + pad + barHeight + pad;
  const near = ok ? `NEAR ${label(limits[0])}` : 'NO DEPTH';
  const far = ok ? `FAR ${label(limits[1])}` : '';
  const middle = units === 'm' ? 'METRES' : 'RELATIVE DEPTH';
  drawText(rgba, W, height, near, { x: pad, y: textY, scale });
  drawText(rgba, W, height, far, { x: W - pad - textWidth(far, scale), y: textY, scale });
  const mw = textWidth(middle, scale);
  // the units between the labels, when they fit
  if (mw + 2 * scale * 6 < W - 2 * pad - textWidth(near, scale) - textWidth(far, scale)) drawText(rgba, W, height, middle, { x: (W - mw) >> 1, y: textY, scale, color: [110, 110, 110] });
  return { rgba, width: W, height };
}
