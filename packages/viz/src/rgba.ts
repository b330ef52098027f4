/**
 * RGBA image helpers: RGB to RGBA conversion and source-over blending of one pixel.
 *
 * Images are row-major `Uint8ClampedArray`s of `width * height * 4` (r, g, b, a), not premultiplied.
 *
 * @packageDocumentation
 */

import { assertArray, assertClampedArray, assertLength, assertNumber } from './validate.js';

/**
 * Expands a row-major RGB image (e.g. a decoded video frame) to RGBA with alpha 255.
 *
 * gl-matrix style when `out` is given: writes `out` and returns it, allocating nothing. With
 * `out` undefined it allocates and returns a new `Uint8ClampedArray(width * height * 4)`.
 *
 * @param out - receives the RGBA image (`width * height * 4`), or `undefined` to allocate one
 * @param rgb - the RGB image, `width * height * 3` values in [0, 255] (only read)
 * @param width - image width in pixels (integer >= 1)
 * @param height - image height in pixels (integer >= 1)
 * @returns `out`, or the new image
 * @throws TypeError when `out` is neither undefined nor a Uint8ClampedArray or `rgb` is not an
 *   array; RangeError for a bad size or wrong lengths
 */
export function rgbToRgba(out: Uint8ClampedArray | undefined, rgb: ArrayLike<number>, width: number, height: number): Uint8ClampedArray {
  const fn = 'rgbToRgba';
  if (out !== undefined) assertClampedArray(fn, 'out', out);
  assertArray(fn, 'rgb', rgb);
  assertNumber(fn, 'width', width, { integer: true, min: 1 });
  assertNumber(fn, 'height', height, { integer: true, min: 1 });
  const n = width * height;
  assertLength(fn, 'rgb', rgb, 3 * n, 'width * height * 3');
  if (out === undefined) out = new Uint8ClampedArray(4 * n);
  else assertLength(fn, 'out', out, 4 * n, 'width * height * 4');
  for (let i = 0, s = 0, o = 0; i < n; i++, s += 3, o += 4) {
    out[o] = rgb[s]!;
    out[o + 1] = rgb[s + 1]!;
    out[o + 2] = rgb[s + 2]!;
    out[o + 3] = 255;
  }
  return out;
}

/**
 * Blends a colour over one pixel with the source-over operator (internal; no checks):
 * `A = a + A_d (1 - a)`, `C = (c a + C_d A_d (1 - a)) / A`. Over an opaque pixel this is
 * `C = c a + C_d (1 - a)`.
 *
 * @param image - the RGBA image, modified in place
 * @param offset - index of the pixel's red channel
 * @param r - red of the colour, 0..255
 * @param g - green
 * @param b - blue
 * @param a - opacity of the colour at this pixel (alpha times coverage), 0..1
 */
export function blendPixel(image: Uint8ClampedArray, offset: number, r: number, g: number, b: number, a: number): void {
  if (!(a > 0)) return;
  if (a >= 1) {
    image[offset] = r;
    image[offset + 1] = g;
    image[offset + 2] = b;
    image[offset + 3] = 255;
    return;
  }
  const da = image[offset + 3]! / 255;
  const keep = da * (1 - a);
  const outA = a + keep;
  const inv = 1 / outA;
  image[offset] = (r * a + image[offset]! * keep) * inv;
  image[offset + 1] = (g * a + image[offset + 1]! * keep) * inv;
  image[offset + 2] = (b * a + image[offset + 2]! * keep) * inv;
  image[offset + 3] = outA * 255;
}
