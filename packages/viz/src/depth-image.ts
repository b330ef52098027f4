/**
 * Depth maps as colour images, with robust colour limits, and the matching colour bar (legend).
 *
 * A depth is valid when it is finite and `> 0`; everything else (0 = no value, negative, NaN,
 * +-Infinity) is drawn in the invalid colour. Colour limits `[min, max]` are depths (`min` =
 * near, `max` = far). With `inverse` (the default) the colour parameter is linear in inverse
 * depth (disparity), `t = (1/d - 1/max) / (1/min - 1/max)`, so near surfaces take the high,
 * bright end of the colormap and the resolution goes to the foreground; without it `t` is linear
 * in depth, `t = (d - min) / (max - min)`, near = low end.
 *
 * @packageDocumentation
 */

import { assertColormap, colormapLut, TRANSPARENT, writeLutColor, type ColormapName, type Rgba } from './colormap.js';
import { assertArray, assertLength, assertNumber, assertObject, assertOneOf, assertRgba, describe } from './validate.js';

/** Options of {@link depthToRgba}. */
export interface DepthToRgbaOptions {
  /** Image width in pixels (integer >= 1). */
  width: number;
  /** Image height in pixels (integer >= 1). */
  height: number;
  /** The colormap; default `'turbo'`. */
  colormap?: ColormapName;
  /**
   * Colour limits `[near, far]` in depth units, or `'auto'` (default): the `percentiles` of the
   * valid depths, so that a few outliers (sky, flying pixels) do not flatten the image.
   */
  limits?: 'auto' | readonly [number, number];
  /** Lower and upper percentile (0..100) for `limits: 'auto'`; default `[2, 98]`. */
  percentiles?: readonly [number, number];
  /** Colour by inverse depth (near = high, bright end); default `true`. */
  inverse?: boolean;
  /** Colour of invalid pixels; default transparent black `[0, 0, 0, 0]`. */
  invalidColor?: Rgba | ArrayLike<number>;
}

/** The result of {@link depthToRgba}. */
export interface DepthImage {
  /** Row-major RGBA, `width * height * 4`, a new array. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** The near colour limit used (a depth); NaN when `limits` is `'auto'` and no pixel is valid. */
  min: number;
  /** The far colour limit used (a depth); NaN when `limits` is `'auto'` and no pixel is valid. */
  max: number;
}

/** Options of {@link depthLegend}. */
export interface DepthLegendOptions {
  /** The near colour limit (a depth), e.g. `depthToRgba(...).min`. */
  min: number;
  /** The far colour limit (a depth, `>= min`). */
  max: number;
  /** The colormap; default `'turbo'`. */
  colormap?: ColormapName;
  /** Bar width in pixels; default 256 (horizontal) or 16 (vertical). */
  width?: number;
  /** Bar height in pixels; default 16 (horizontal) or 256 (vertical). */
  height?: number;
  /** `'horizontal'` (default): depth grows left to right; `'vertical'`: depth grows bottom to top. */
  orientation?: 'horizontal' | 'vertical';
  /** Colour by inverse depth, as in {@link depthToRgba}; default `true`. */
  inverse?: boolean;
  /** Number of ticks, evenly spaced along the bar, both ends included (integer >= 0); default 5. */
  ticks?: number;
}

/** A tick of a {@link DepthLegend}. */
export interface LegendTick {
  /** The depth at the tick. */
  value: number;
  /** Where it falls along the bar, in pixel coordinates of the legend image: x when horizontal, y when vertical (pixel centres at integers). */
  position: number;
}

/** The result of {@link depthLegend}. */
export interface DepthLegend {
  /** Row-major RGBA, `width * height * 4`, a new array. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** Ticks by increasing depth (positions increase when horizontal, decrease when vertical). */
  ticks: LegendTick[];
}

/**
 * Percentile of a sorted array with linear interpolation between closest ranks (numpy's default).
 */
function percentileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const f = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * f;
}

/** Checks colour limits: finite, ordered, and `> 0` when colouring by inverse depth. */
function checkLimits(fn: string, loName: string, hiName: string, lo: unknown, hi: unknown, inverse: boolean): void {
  assertNumber(fn, loName, lo, inverse ? { min: 0, exclusiveMin: true } : {});
  assertNumber(fn, hiName, hi);
  if (hi < lo) throw new RangeError(`${fn}: ${hiName} (${hi}) must be >= ${loName} (${lo})`);
}

function checkBoolean(fn: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a boolean`);
}

/**
 * Computes the colour parameter `t` of a depth for limits `[min, max]` (see the module comment).
 * Returns a function so that the mode and constants are fixed outside the pixel loop.
 */
function depthToT(min: number, max: number, inverse: boolean): (d: number) => number {
  if (inverse) {
    const a = 1 / max;
    const range = 1 / min - a;
    if (range > 0) return (d) => (1 / d - a) / range;
    return (d) => (d < min ? 1 : d > min ? 0 : 0.5);
  }
  const range = max - min;
  if (range > 0) return (d) => (d - min) / range;
  return (d) => (d < min ? 0 : d > min ? 1 : 0.5);
}

/**
 * Colours a depth map: each valid depth (finite, `> 0`) through the colormap between the colour
 * limits, each invalid one in `invalidColor`.
 *
 * Returns a **copy**: allocates the RGBA image (`Uint8ClampedArray(width * height * 4)`) and, for
 * `limits: 'auto'`, a `Float64Array` of the valid depths (sorted to find the percentiles).
 *
 * @param depth - row-major depths, `width * height` (one frame; use `subarray` for a frame of a clip)
 * @param options - size, colormap, limits, percentiles, inverse, invalid colour
 * @returns the image, its size and the limits used (pass them to {@link depthLegend})
 * @throws TypeError for arguments of the wrong type; RangeError for a bad size, a `depth` of the
 *   wrong length, limits that are not finite or not ordered (or not `> 0` with `inverse`),
 *   percentiles outside [0, 100] or not ordered, or an invalid colour outside [0, 255]
 */
export function depthToRgba(depth: ArrayLike<number>, options: DepthToRgbaOptions): DepthImage {
  const fn = 'depthToRgba';
  assertArray(fn, 'depth', depth);
  assertObject(fn, 'options', options);
  const { width, height, colormap = 'turbo', limits = 'auto', percentiles = [2, 98], inverse = true, invalidColor = TRANSPARENT } = options;
  assertNumber(fn, 'options.width', width, { integer: true, min: 1 });
  assertNumber(fn, 'options.height', height, { integer: true, min: 1 });
  assertLength(fn, 'depth', depth, width * height, 'options.width * options.height');
  assertColormap(fn, 'options.colormap', colormap);
  checkBoolean(fn, 'options.inverse', inverse);
  assertRgba(fn, 'options.invalidColor', invalidColor);
  assertArray(fn, 'options.percentiles', percentiles);
  assertLength(fn, 'options.percentiles', percentiles, 2, '2 ([low, high])');
  assertNumber(fn, 'options.percentiles[0]', percentiles[0], { min: 0, max: 100 });
  assertNumber(fn, 'options.percentiles[1]', percentiles[1], { min: 0, max: 100 });
  if (percentiles[1] < percentiles[0]) {
    throw new RangeError(`${fn}: options.percentiles[1] (${percentiles[1]}) must be >= options.percentiles[0] (${percentiles[0]})`);
  }

  const n = width * height;
  let min: number;
  let max: number;
  if (limits === 'auto') {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const d = depth[i]!;
      if (d > 0 && d !== Infinity) count++;
    }
    const valid = new Float64Array(count);
    for (let i = 0, j = 0; i < n; i++) {
      const d = depth[i]!;
      if (d > 0 && d !== Infinity) valid[j++] = d;
    }
    valid.sort();
    min = count > 0 ? percentileSorted(valid, percentiles[0]) : Number.NaN;
    max = count > 0 ? percentileSorted(valid, percentiles[1]) : Number.NaN;
  } else {
    if (typeof limits === 'string') assertOneOf(fn, 'options.limits', limits, ['auto']);
    if (!Array.isArray(limits) && !(ArrayBuffer.isView(limits) && !(limits instanceof DataView))) {
      throw new TypeError(`${fn}: options.limits (${describe(limits)}) must be 'auto' or [near, far]`);
    }
    assertLength(fn, 'options.limits', limits, 2, '2 ([near, far])');
    checkLimits(fn, 'options.limits[0]', 'options.limits[1]', limits[0], limits[1], inverse);
    min = limits[0];
    max = limits[1];
  }

  const rgba = new Uint8ClampedArray(4 * n);
  const lut = colormapLut(colormap);
  const haveLimits = !Number.isNaN(min);
  const toT = haveLimits ? depthToT(min, max, inverse) : () => 0;
  const [ir, ig, ib, ia] = [invalidColor[0]!, invalidColor[1]!, invalidColor[2]!, invalidColor[3]!];
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const d = depth[i]!;
    if (haveLimits && d > 0 && d !== Infinity) {
      writeLutColor(rgba, o, lut, toT(d));
    } else {
      rgba[o] = ir;
      rgba[o + 1] = ig;
      rgba[o + 2] = ib;
      rgba[o + 3] = ia;
    }
  }
  return { rgba, width, height, min, max };
}

/**
 * Draws the colour bar of a depth image and says where tick depths fall along it, so that a
 * caller can draw the labels (this package draws no text).
 *
 * The bar is linear in the colour parameter: every colormap entry gets the same length, and the
 * depth at position `s` in [0, 1] along the bar (from its near end) is `min + s (max - min)`, or
 * with `inverse` the harmonic interpolation `1 / (1/min + s (1/max - 1/min))`. The near end is on
 * the left (horizontal) or at the bottom (vertical). Ticks are evenly spaced in `s`, both ends
 * included (one tick: the middle), so their values are exact depths of the bar, not rounded ones.
 *
 * Returns a **copy**: allocates the RGBA image (`Uint8ClampedArray(width * height * 4)`) and the
 * tick array.
 *
 * @param options - limits (as returned by {@link depthToRgba}), colormap, size, orientation,
 *   inverse, tick count
 * @returns the bar image, its size, and the ticks by increasing depth
 * @throws TypeError for options of the wrong type; RangeError for limits that are not finite or
 *   not ordered (or not `> 0` with `inverse`), a size that is not an integer >= 1, or a tick count
 *   that is not an integer >= 0
 */
export function depthLegend(options: DepthLegendOptions): DepthLegend {
  const fn = 'depthLegend';
  assertObject(fn, 'options', options);
  const { min, max, colormap = 'turbo', orientation = 'horizontal', inverse = true, ticks = 5 } = options;
  assertOneOf(fn, 'options.orientation', orientation, ['horizontal', 'vertical']);
  const horizontal = orientation === 'horizontal';
  const { width = horizontal ? 256 : 16, height = horizontal ? 16 : 256 } = options;
  checkBoolean(fn, 'options.inverse', inverse);
  checkLimits(fn, 'options.min', 'options.max', min, max, inverse);
  assertColormap(fn, 'options.colormap', colormap);
  assertNumber(fn, 'options.width', width, { integer: true, min: 1 });
  assertNumber(fn, 'options.height', height, { integer: true, min: 1 });
  assertNumber(fn, 'options.ticks', ticks, { integer: true, min: 0 });

  const length = horizontal ? width : height;
  const last = Math.max(1, length - 1);
  // Colour parameter along the bar: depth grows from the near end, so t falls with inverse.
  const lut = colormapLut(colormap);
  const rgba = new Uint8ClampedArray(4 * width * height);
  const row = new Uint8ClampedArray(4 * length);
  for (let k = 0; k < length; k++) {
    const s = length === 1 ? 0.5 : k / last;
    writeLutColor(row, 4 * k, lut, inverse ? 1 - s : s);
  }
  if (horizontal) {
    for (let y = 0; y < height; y++) rgba.set(row, 4 * width * y);
  } else {
    // Row y of the image is position s = (H - 1 - y) / (H - 1): the near end at the bottom.
    for (let y = 0; y < height; y++) {
      const k = 4 * (length - 1 - y);
      for (let x = 0, o = 4 * width * y; x < width; x++, o += 4) {
        rgba[o] = row[k]!;
        rgba[o + 1] = row[k + 1]!;
        rgba[o + 2] = row[k + 2]!;
        rgba[o + 3] = 255;
      }
    }
  }

  const out: LegendTick[] = [];
  for (let i = 0; i < ticks; i++) {
    const s = ticks === 1 ? 0.5 : i / (ticks - 1);
    const value = i === 0 && ticks > 1 ? min : i === ticks - 1 && ticks > 1 ? max : inverse ? 1 / (1 / min + s * (1 / max - 1 / min)) : min + s * (max - min);
    const along = s * (length - 1);
    out.push({ value, position: horizontal ? along : length - 1 - along });
  }
  return { rgba, width, height, ticks: out };
}
