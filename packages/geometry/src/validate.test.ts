import { describe, expect, it } from 'vitest';
import {
  assertAllFinite,
  assertArray,
  assertFloatArray,
  assertGroups,
  assertLength,
  assertMat4,
  assertMinLength,
  assertNumber,
  assertOneOf,
  describe as describeValue,
} from './validate.js';

describe('validate helpers', () => {
  it('describe() renders values for messages', () => {
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(new Float32Array(12))).toBe('Float32Array(12)');
    expect(describeValue([1, 2])).toBe('Array(2)');
    expect(describeValue('abc')).toBe('string "abc"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({})).toBe('Object');
    expect(describeValue(new DataView(new ArrayBuffer(4)))).toBe('DataView');
  });

  it('array checks throw TypeError for wrong types and RangeError for bad lengths', () => {
    expect(() => assertArray('f', 'a', 1)).toThrow(new TypeError('f: a (1) must be a typed array or an array of numbers'));
    expect(() => assertArray('f', 'a', new BigInt64Array(1))).toThrow(TypeError);
    expect(() => assertArray('f', 'a', new Uint8Array(1))).not.toThrow();
    expect(() => assertFloatArray('f', 'out', new Int32Array(1))).toThrow(new TypeError('f: out (Int32Array(1)) must be a Float32Array or Float64Array'));
    expect(() => assertGroups('f', 'p', [], 3)).toThrow(new RangeError('f: p.length (0) must be a positive multiple of 3; the array is empty'));
    expect(() => assertGroups('f', 'p', [], 3, true)).not.toThrow();
    expect(() => assertGroups('f', 'p', [1, 2], 3)).toThrow(new RangeError('f: p.length (2) must be a multiple of 3'));
    expect(() => assertLength('f', 'd', [1], 2, 'w * h')).toThrow(new RangeError('f: d.length (1) must equal w * h (2)'));
    expect(() => assertMinLength('f', 'o', [1], 2, 'n')).toThrow(new RangeError('f: o.length (1) must be at least n (2)'));
    expect(() => assertAllFinite('f', 'x', [0, 1, -Infinity])).toThrow(new RangeError('f: x[2] (-Infinity) must be finite'));
    expect(() => assertMat4('f', 'm', new Float32Array(16))).not.toThrow();
  });

  it('number and literal checks', () => {
    expect(() => assertNumber('f', 'n', '1')).toThrow(new TypeError('f: n (string "1") must be a number'));
    expect(() => assertNumber('f', 'n', Number.NaN)).toThrow(new RangeError('f: n (NaN) must be a finite number'));
    expect(() => assertNumber('f', 'n', Infinity, { allowInfinity: true })).not.toThrow();
    expect(() => assertNumber('f', 'n', 1.5, { integer: true })).toThrow(new RangeError('f: n (1.5) must be an integer'));
    expect(() => assertNumber('f', 'n', 0, { min: 0, exclusiveMin: true })).toThrow(new RangeError('f: n (0) must be > 0'));
    expect(() => assertNumber('f', 'n', 3, { max: 2 })).toThrow(new RangeError('f: n (3) must be <= 2'));
    expect(() => assertOneOf('f', 'k', 'x', ['a', 'b'])).toThrow(new RangeError("f: k ('x') must be one of 'a', 'b'"));
    expect(() => assertOneOf('f', 'k', 3, ['a'])).toThrow(new TypeError("f: k (3) must be one of 'a'"));
  });
});
