/**
 * Argument checks of `@d4rt/viz`: the shared ones come from `@d4rt/geometry/validate` (one message
 * pattern across the SDK: `fn: argument (value) must ...`, `TypeError` for a wrong type,
 * `RangeError` for a bad size or value); the image- and colour-specific ones live here.
 *
 * @module
 * @internal
 */
import { assertArray, assertGroups as assertGroupsShared, assertLength, assertNumber, describe } from '@d4rt/geometry/validate';

export { assertArray, assertLength, assertMinLength, assertNumber, assertOneOf, describe } from '@d4rt/geometry/validate';

/**
 * Checks that an array's length is a multiple of `k` (e.g. 3 for interleaved xyz); empty is allowed.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param array - the argument, already known to be an array
 * @param k - group size
 * @throws RangeError when the length is not a multiple of `k`
 */
export function assertGroups(fn: string, name: string, array: ArrayLike<number>, k: number): void {
  assertGroupsShared(fn, name, array, k, true);
}

/**
 * Checks that `value` is a `Uint8ClampedArray` (an RGBA image or `out` argument).
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when `value` is not a Uint8ClampedArray
 */
export function assertClampedArray(fn: string, name: string, value: unknown): asserts value is Uint8ClampedArray {
  if (value instanceof Uint8ClampedArray) return;
  throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a Uint8ClampedArray`);
}

/**
 * Checks that `value` is a plain object (an options or data record), not `null` or an array.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when `value` is not an object
 */
export function assertObject(fn: string, name: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)) return;
  throw new TypeError(`${fn}: ${name} (${describe(value)}) must be an object`);
}

/**
 * Checks an RGBA colour given as four numbers in [0, 255], e.g. `[0, 0, 0, 0]`.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when it is not an array; RangeError when its length is not 4 or an entry is not
 *   a number in [0, 255]
 */
export function assertRgba(fn: string, name: string, value: unknown): asserts value is ArrayLike<number> {
  assertArray(fn, name, value);
  assertLength(fn, name, value, 4, '4 (r, g, b, a)');
  for (let i = 0; i < 4; i++) {
    const c = value[i];
    if (typeof c !== 'number' || !(c >= 0 && c <= 255)) {
      throw new RangeError(`${fn}: ${name}[${i}] (${describe(c)}) must be a number in [0, 255]`);
    }
  }
}

/**
 * Checks an RGB colour given as three numbers in [0, 255], e.g. `[255, 176, 0]`.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when it is not an array or an entry is not a number; RangeError when its length
 *   is not 3 or an entry is outside [0, 255]
 */
export function assertRgb(fn: string, name: string, value: unknown): asserts value is readonly [number, number, number] {
  assertArray(fn, name, value);
  assertLength(fn, name, value, 3, '3 (r, g, b)');
  for (let i = 0; i < 3; i++) assertNumber(fn, `${name}[${i}]`, value[i], { min: 0, max: 255 });
}
