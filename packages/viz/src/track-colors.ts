/**
 * One colour per track, taken from a colormap so that neighbouring track indices differ strongly.
 *
 * @packageDocumentation
 */

import { assertColormap, colormapLut, type ColormapName } from './colormap.js';
import { assertNumber, assertObject } from './validate.js';

/** Options of {@link trackColors}. */
export interface TrackColorsOptions {
  /** The colormap the colours are taken from; default `'turbo'`. */
  colormap?: ColormapName;
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
