/**
 * Colormaps: 256-entry RGB lookup tables and mapping of scalar values to RGBA pixels.
 *
 * A colormap takes a parameter `t` in [0, 1] to the table entry `round(255 t)`; `t = 0` is the
 * low (dark for `viridis`, `inferno` and `grey`, dark blue for `turbo`) end. Values are mapped
 * linearly: `t = (value - min) / (max - min)`, clamped to [0, 1].
 *
 * The tables: `viridis` and `inferno` from matplotlib (CC0), `turbo` from Google (Apache-2.0),
 * `grey` the identity ramp; see `colormap-data.ts` for the sources.
 *
 * @packageDocumentation
 */

import { INFERNO_HEX, TURBO_HEX, VIRIDIS_HEX } from './colormap-data.js';
import { assertArray, assertClampedArray, assertMinLength, assertNumber, assertObject, assertOneOf, assertRgba, describe } from './validate.js';

/** The built-in colormaps. */
export type ColormapName = 'turbo' | 'viridis' | 'inferno' | 'grey';

/** An RGBA colour, four numbers in [0, 255]. */
export type Rgba = readonly [r: number, g: number, b: number, a: number];

/** An RGB colour, three numbers in [0, 255]. */
export type Rgb = readonly [r: number, g: number, b: number];

/** Every {@link ColormapName}, in a stable order (for menus and validation). */
export const COLORMAP_NAMES: readonly ColormapName[] = Object.freeze(['turbo', 'viridis', 'inferno', 'grey'] as const);

/** Transparent black: the default colour of invalid (non-finite) values. */
export const TRANSPARENT: Rgba = Object.freeze([0, 0, 0, 0] as const);

const HEX: Record<Exclude<ColormapName, 'grey'>, string> = { turbo: TURBO_HEX, viridis: VIRIDIS_HEX, inferno: INFERNO_HEX };
const cache = new Map<ColormapName, Uint8Array>();

function buildLut(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  if (name === 'grey') {
    for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = i;
    return lut;
  }
  const hex = HEX[name];
  for (let i = 0; i < 768; i++) lut[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return lut;
}

/**
 * Checks a colormap name (internal helper for the functions that take a `colormap` option).
 *
 * @param fn - name of the public function, for the message
 * @param name - name of the option, for the message
 * @param value - the option
 * @throws TypeError when `value` is not a string; RangeError when it is not a {@link ColormapName}
 */
export function assertColormap(fn: string, name: string, value: unknown): asserts value is ColormapName {
  assertOneOf(fn, name, value, COLORMAP_NAMES);
}

/**
 * The lookup table of a colormap: 256 RGB entries, `lut[3 i + c]` for entry `i` and channel `c`.
 *
 * Returns a **shared, cached view**: the same `Uint8Array` on every call for a name (built on the
 * first call: one `Uint8Array(768)` per colormap, kept for the life of the module). Treat it as
 * read-only; writing into it changes the colormap for every caller. Copy it (`lut.slice()`) to
 * edit.
 *
 * @param name - the colormap
 * @returns the shared table, length 768
 * @throws TypeError when `name` is not a string; RangeError when it is not a {@link ColormapName}
 */
export function colormapLut(name: ColormapName): Uint8Array {
  assertColormap('colormapLut', 'name', name);
  let lut = cache.get(name);
  if (lut === undefined) {
    lut = buildLut(name);
    cache.set(name, lut);
  }
  return lut;
}

/** Options of {@link applyColormap}. */
export interface ApplyColormapOptions {
  /** The value mapped to the low end of the colormap (finite). */
  min: number;
  /** The value mapped to the high end (finite, `>= min`). */
  max: number;
  /** The colormap; default `'viridis'`. */
  colormap?: ColormapName;
  /** Colour of non-finite values (NaN, +-Infinity); default transparent black `[0, 0, 0, 0]`. */
  invalidColor?: Rgba | ArrayLike<number>;
  /** Map `max` to the low end and `min` to the high end; default `false`. */
  reverse?: boolean;
}

/**
 * Maps scalar values to RGBA pixels through a colormap: `t = (value - min) / (max - min)`
 * clamped to [0, 1] (reversed when `reverse`), colour = table entry `round(255 t)`, alpha 255.
 * Non-finite values get `invalidColor`. When `min === max`, values below get the low end, values
 * above the high end and values equal to it the middle entry.
 *
 * gl-matrix style: writes the first `4 * values.length` entries of `out` and returns `out`;
 * allocates nothing (the colormap table is built once per name and cached).
 *
 * @param out - receives RGBA, length at least `4 * values.length`
 * @param values - the scalars, e.g. a row-major image (only read)
 * @param options - the value range, colormap, invalid colour and direction
 * @returns `out`
 * @throws TypeError for arguments of the wrong type; RangeError when `out` is too short, `min` or
 *   `max` is not finite, `max < min`, or `invalidColor` is not four numbers in [0, 255]
 */
export function applyColormap(out: Uint8ClampedArray, values: ArrayLike<number>, options: ApplyColormapOptions): Uint8ClampedArray {
  const fn = 'applyColormap';
  assertClampedArray(fn, 'out', out);
  assertArray(fn, 'values', values);
  assertObject(fn, 'options', options);
  const { min, max, colormap = 'viridis', invalidColor = TRANSPARENT, reverse = false } = options;
  assertNumber(fn, 'options.min', min);
  assertNumber(fn, 'options.max', max);
  if (max < min) throw new RangeError(`${fn}: options.max (${max}) must be >= options.min (${min})`);
  assertColormap(fn, 'options.colormap', colormap);
  assertRgba(fn, 'options.invalidColor', invalidColor);
  if (typeof reverse !== 'boolean') throw new TypeError(`${fn}: options.reverse (${describe(reverse)}) must be a boolean`);
  const n = values.length;
  assertMinLength(fn, 'out', out, 4 * n, '4 * values.length');

  const lut = colormapLut(colormap);
  const [ir, ig, ib, ia] = [invalidColor[0]!, invalidColor[1]!, invalidColor[2]!, invalidColor[3]!];
  const range = max - min;
  // Entry index = round(255 t); the scale folds the division. A zero range is a step at min.
  const scale = range > 0 ? 255 / range : 0;
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const v = values[i]!;
    if (v - v !== 0) {
      // NaN or +-Infinity.
      out[o] = ir;
      out[o + 1] = ig;
      out[o + 2] = ib;
      out[o + 3] = ia;
      continue;
    }
    let k: number;
    if (scale > 0) {
      k = Math.round((v - min) * scale);
      k = k < 0 ? 0 : k > 255 ? 255 : k;
    } else {
      k = v < min ? 0 : v > min ? 255 : 128;
    }
    if (reverse) k = 255 - k;
    const e = 3 * k;
    out[o] = lut[e]!;
    out[o + 1] = lut[e + 1]!;
    out[o + 2] = lut[e + 2]!;
    out[o + 3] = 255;
  }
  return out;
}

/**
 * Writes table entry `round(255 t)` (clamped) of `lut` into `out` at `offset` with alpha 255
 * (internal helper for the image builders; no checks).
 *
 * @param out - the RGBA image
 * @param offset - index of the pixel's red channel
 * @param lut - a table from {@link colormapLut}
 * @param t - the colormap parameter, clamped to [0, 1]
 */
export function writeLutColor(out: Uint8ClampedArray, offset: number, lut: Uint8Array, t: number): void {
  let k = Math.round(t * 255);
  k = k < 0 ? 0 : k > 255 ? 255 : k;
  const e = 3 * k;
  out[offset] = lut[e]!;
  out[offset + 1] = lut[e + 1]!;
  out[offset + 2] = lut[e + 2]!;
  out[offset + 3] = 255;
}
