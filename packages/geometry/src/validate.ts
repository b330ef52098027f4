/**
 * Argument checks shared by the public functions. Not re-exported from the index; the other d4rt
 * packages import them from the subpath `@d4rt/geometry/validate`, so every package's messages
 * follow the same pattern.
 *
 * Every check throws `TypeError` for a value of the wrong type and `RangeError` for a value of the
 * right type but a bad size or value. Messages follow one pattern: `fn: argument (value) must ...`,
 * so they name the function, the argument, the value received and what is allowed.
 *
 * Checks run once at the entry of a public function, never inside its hot loop.
 *
 * @packageDocumentation
 */

/**
 * Describes a value for an error message: numbers as written, arrays by type and length.
 *
 * @param value - any value
 * @returns a short string, e.g. `NaN`, `Float32Array(12)`, `string "a"`
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    const length = (value as unknown as { length?: number }).length;
    return length === undefined ? name : `${name}(${length})`;
  }
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * Checks that `value` is an array of numbers (a typed array other than a BigInt array, or an `Array`).
 *
 * @param fn - name of the public function, for the message
 * @param name - name of the argument, for the message
 * @param value - the argument
 * @throws TypeError when `value` is not an array or typed array
 */
export function assertArray(fn: string, name: string, value: unknown): asserts value is ArrayLike<number> {
  if (Array.isArray(value)) return;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array)) return;
  throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a typed array or an array of numbers`);
}

/**
 * Checks that `value` is a `Float32Array` or `Float64Array` (an `out` argument).
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when `value` is not a Float32Array or Float64Array
 */
export function assertFloatArray(fn: string, name: string, value: unknown): asserts value is Float32Array | Float64Array {
  if (value instanceof Float32Array || value instanceof Float64Array) return;
  throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a Float32Array or Float64Array`);
}

/**
 * Checks that an array's length is a positive multiple of `k` (e.g. 3 for interleaved xyz).
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param array - the argument, already known to be an array
 * @param k - the group size
 * @param allowEmpty - accept length 0
 * @throws RangeError when the length is 0 (unless allowed) or not a multiple of `k`
 */
export function assertGroups(fn: string, name: string, array: ArrayLike<number>, k: number, allowEmpty = false): void {
  if (array.length === 0 && !allowEmpty) {
    throw new RangeError(`${fn}: ${name}.length (0) must be a positive multiple of ${k}; the array is empty`);
  }
  if (array.length % k !== 0) {
    throw new RangeError(`${fn}: ${name}.length (${array.length}) must be a multiple of ${k}`);
  }
}

/**
 * Checks that an array has an exact length.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param array - the argument, already known to be an array
 * @param expected - the required length
 * @param expectedText - how the required length is computed, e.g. `width * height`
 * @throws RangeError when the length differs
 */
export function assertLength(fn: string, name: string, array: ArrayLike<number>, expected: number, expectedText: string): void {
  if (array.length !== expected) {
    throw new RangeError(`${fn}: ${name}.length (${array.length}) must equal ${expectedText} (${expected})`);
  }
}

/**
 * Checks that an array has at least a given length.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param array - the argument, already known to be an array
 * @param minimum - the smallest allowed length
 * @param minimumText - how the minimum is computed
 * @throws RangeError when the array is shorter
 */
export function assertMinLength(fn: string, name: string, array: ArrayLike<number>, minimum: number, minimumText: string): void {
  if (array.length < minimum) {
    throw new RangeError(`${fn}: ${name}.length (${array.length}) must be at least ${minimumText} (${minimum})`);
  }
}

/**
 * Checks that every element of an array is finite; one pass, stops at the first bad element.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param array - the argument, already known to be an array
 * @throws RangeError naming the first non-finite element and its index
 */
export function assertAllFinite(fn: string, name: string, array: ArrayLike<number>): void {
  const n = array.length;
  for (let i = 0; i < n; i++) {
    const x = array[i]!;
    // x - x is 0 for finite numbers and NaN for NaN and +-Infinity.
    if (x - x !== 0) throw new RangeError(`${fn}: ${name}[${i}] (${describe(x)}) must be finite`);
  }
}

/**
 * Checks a number argument: type, finiteness and optional bounds.
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @param options - `min`/`max` (inclusive unless `exclusiveMin`), `integer`
 * @throws TypeError when `value` is not a number; RangeError when it is NaN, infinite, not an
 *   integer when one is required, or out of bounds
 */
export function assertNumber(
  fn: string,
  name: string,
  value: unknown,
  options: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean; allowInfinity?: boolean } = {},
): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a number`);
  }
  if (Number.isNaN(value) || (!options.allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`${fn}: ${name} (${value}) must be a finite number`);
  }
  if (options.integer && !Number.isInteger(value)) {
    throw new RangeError(`${fn}: ${name} (${value}) must be an integer`);
  }
  if (options.min !== undefined) {
    if (options.exclusiveMin ? !(value > options.min) : !(value >= options.min)) {
      throw new RangeError(`${fn}: ${name} (${value}) must be ${options.exclusiveMin ? '>' : '>='} ${options.min}`);
    }
  }
  if (options.max !== undefined && !(value <= options.max)) {
    throw new RangeError(`${fn}: ${name} (${value}) must be <= ${options.max}`);
  }
}

/**
 * Checks that a string option is one of the allowed literals.
 *
 * @param fn - name of the public function
 * @param name - name of the option
 * @param value - the option
 * @param allowed - the allowed literals
 * @throws TypeError when `value` is not a string; RangeError when it is not one of `allowed`
 */
export function assertOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string') {
    throw new TypeError(`${fn}: ${name} (${describe(value)}) must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${fn}: ${name} ('${value}') must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
}

/**
 * Checks that an argument is a 4x4 matrix (16 finite numbers).
 *
 * @param fn - name of the public function
 * @param name - name of the argument
 * @param value - the argument
 * @throws TypeError when it is not an array; RangeError when its length is not 16 or an entry is not finite
 */
export function assertMat4(fn: string, name: string, value: unknown): void {
  assertArray(fn, name, value);
  assertLength(fn, name, value, 16, '16 (a 4x4 matrix)');
  assertAllFinite(fn, name, value);
}
