/**
 * Helpers of the JSON exporters (`d4rt-cameras/1`, `d4rt-tracks/1`), internal: numbers written as
 * the CLI writes them, and the checks of the decoders.
 *
 * Float32 values are written with the fewest digits that read back as the same float32 (the CLI's
 * `writeJson` does the same), non-finite values as `null` (what `JSON.stringify` writes for NaN) and
 * read back as NaN.
 *
 * @module
 * @internal
 */

import { describe } from './validate.js';

/**
 * The number with the shortest decimal form that rounds to the same float32 as `x` (`x` itself when
 * it is not finite or is 0).
 *
 * @param x - a float32 value
 * @returns the shortest equivalent number
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/**
 * Numbers for JSON: float32 values shortened ({@link shortestFloat32}), non-finite values as `null`.
 *
 * @param values - the values
 * @param start - first index
 * @param end - one past the last index
 * @param float32 - whether the values are float32 (shorten them)
 * @returns a new array
 */
export function jsonNumbers(values: ArrayLike<number>, start: number, end: number, float32: boolean): (number | null)[] {
  const out: (number | null)[] = new Array(end - start);
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    out[i - start] = Number.isFinite(x) ? (float32 ? shortestFloat32(Math.fround(x)) : x) : null;
  }
  return out;
}

/**
 * Parses JSON text into an object (decoders' first step).
 *
 * @param fn - name of the public function
 * @param text - the text
 * @returns the parsed object
 * @throws TypeError when `text` is not a string; RangeError when it is not JSON or not an object
 */
export function parseJsonObject(fn: string, text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') throw new TypeError(`${fn}: text (${describe(text)}) must be a string`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RangeError(`${fn}: text (${describe(text)}) must be JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RangeError(`${fn}: text must hold a JSON object, not ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Checks the `schema` field: absent (files the CLI wrote before it had one) or `expected`.
 *
 * @param fn - name of the public function
 * @param json - the parsed document
 * @param expected - the schema this decoder reads
 * @throws RangeError for another schema
 */
export function checkSchema(fn: string, json: Record<string, unknown>, expected: string): void {
  const schema = json['schema'];
  if (schema !== undefined && schema !== expected) {
    throw new RangeError(`${fn}: schema (${describe(schema)}) must be '${expected}'`);
  }
}

/**
 * Reads a field that must be an array of numbers (or `null`, read as NaN) of a given length into
 * `out` at `offset`.
 *
 * @param fn - name of the public function
 * @param name - the field's path, for messages
 * @param value - the field
 * @param length - the required length
 * @param out - receives the numbers
 * @param offset - where in `out`
 * @throws TypeError when it is not an array or an entry is not a number or null; RangeError for a wrong length
 */
export function readNumbers(fn: string, name: string, value: unknown, length: number, out: { [i: number]: number }, offset: number): void {
  if (!Array.isArray(value)) throw new TypeError(`${fn}: ${name} (${describe(value)}) must be an array of numbers`);
  if (value.length !== length) throw new RangeError(`${fn}: ${name}.length (${value.length}) must equal ${length}`);
  for (let i = 0; i < length; i++) {
    const x = value[i] as unknown;
    if (x === null) out[offset + i] = Number.NaN;
    else if (typeof x === 'number') out[offset + i] = x;
    else throw new TypeError(`${fn}: ${name}[${i}] (${describe(x)}) must be a number or null`);
  }
}

/**
 * Reads an optional array of strings-or-numbers field as numbers (e.g. `sourceFrames`).
 *
 * @param fn - name of the public function
 * @param name - the field's name
 * @param value - the field
 * @returns the numbers, or undefined when absent
 * @throws TypeError when present and not an array of numbers
 */
export function readOptionalNumberList(fn: string, name: string, value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) {
    throw new TypeError(`${fn}: ${name} (${describe(value)}) must be an array of numbers`);
  }
  return value.slice() as number[];
}
