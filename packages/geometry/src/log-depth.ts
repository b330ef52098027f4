/**
 * Log-depth point parameterisation of the D4RT decoder head.
 *
 * The decoder predicts a camera-frame point as `(x', y', z')` with `z = exp(z')`, `x = x' z`,
 * `y = y' z`: `x'` and `y'` are the normalised image-plane coordinates `X / Z`, `Y / Z` and `z'` is
 * the log of the depth. Encoding is the inverse: `z' = log z`, `x' = x / z`, `y' = y / z`.
 *
 * Arrays are interleaved triples (`[x0, y0, z0, x1, ...]`), OpenCV camera axes (x right, y down,
 * z forward); the depth unit is whatever the caller uses (the model's clip-normalised unit, metres).
 *
 * @packageDocumentation
 */

import type { FloatArray, NumberArray } from './types.js';
import { assertArray, assertFloatArray, assertGroups, assertMinLength, describe } from './validate.js';

function checkArgs(fn: string, out: unknown, input: unknown, inputName: string): asserts input is NumberArray {
  assertFloatArray(fn, 'out', out);
  assertArray(fn, inputName, input);
  assertGroups(fn, inputName, input, 3, true);
  assertMinLength(fn, 'out', out, input.length, `${inputName}.length`);
}

/**
 * Decodes log-depth triples `(x', y', z')` into camera-frame points `(x' e^z', y' e^z', e^z')`.
 *
 * Works in place (`out` may be `encoded`). Non-finite inputs propagate (no per-element checks).
 *
 * @param out - receives `encoded.length` values (xyz per point); length at least `encoded.length`
 * @param encoded - interleaved `(x', y', z')`, `z'` = natural log of the depth
 * @returns `out`
 * @throws TypeError for non-array arguments; RangeError when `encoded.length` is not a multiple of 3
 *   or `out` is shorter than `encoded`
 */
export function decodeLogDepth<T extends FloatArray>(out: T, encoded: NumberArray): T {
  checkArgs('decodeLogDepth', out, encoded, 'encoded');
  const n = encoded.length;
  for (let i = 0; i < n; i += 3) {
    const z = Math.exp(encoded[i + 2]!);
    const x = encoded[i]! * z;
    const y = encoded[i + 1]! * z;
    out[i] = x;
    out[i + 1] = y;
    out[i + 2] = z;
  }
  return out;
}

/**
 * Encodes camera-frame points `(x, y, z)` as log-depth triples `(x / z, y / z, log z)`.
 *
 * Works in place (`out` may be `points`). All depths are checked before anything is written, so
 * on error neither `out` nor `points` has changed.
 *
 * @param out - receives `points.length` values; length at least `points.length`
 * @param points - interleaved camera-frame xyz with `z > 0`
 * @returns `out`
 * @throws TypeError for non-array arguments; RangeError when `points.length` is not a multiple of
 *   3, `out` is too short, or a depth `z` is not a finite positive number
 */
export function encodeLogDepth<T extends FloatArray>(out: T, points: NumberArray): T {
  const fn = 'encodeLogDepth';
  checkArgs(fn, out, points, 'points');
  const n = points.length;
  for (let i = 2; i < n; i += 3) {
    const z = points[i]!;
    if (!(z > 0 && z < Infinity)) {
      throw new RangeError(`${fn}: points[${i}] (depth of point ${(i - 2) / 3}: ${describe(z)}) must be a finite number > 0`);
    }
  }
  for (let i = 0; i < n; i += 3) {
    const z = points[i + 2]!;
    const inv = 1 / z;
    const x = points[i]! * inv;
    const y = points[i + 1]! * inv;
    out[i] = x;
    out[i + 1] = y;
    out[i + 2] = Math.log(z);
  }
  return out;
}
