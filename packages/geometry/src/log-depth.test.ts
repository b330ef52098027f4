import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogDepth, encodeLogDepth } from './log-depth.js';

const pointArb = fc.tuple(
  fc.double({ min: -100, max: 100, noNaN: true }),
  fc.double({ min: -100, max: 100, noNaN: true }),
  fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
);

describe('log-depth', () => {
  it('decodes (x\', y\', z\') to (x\' e^z\', y\' e^z\', e^z\') (hand-computed)', () => {
    // (0.5, -0.25, ln 4) -> z = 4, x = 2, y = -1; (0, 0, 0) -> (0, 0, 1).
    const out = decodeLogDepth(new Float64Array(6), [0.5, -0.25, Math.log(4), 0, 0, 0]);
    expect(out[0]).toBeCloseTo(2, 14);
    expect(out[1]).toBeCloseTo(-1, 14);
    expect(out[2]).toBeCloseTo(4, 14);
    expect(Array.from(out.subarray(3))).toEqual([0, 0, 1]);
  });

  it('encode then decode is the identity, and decode then encode too (property)', () => {
    fc.assert(
      fc.property(fc.array(pointArb, { minLength: 1, maxLength: 50 }), (pts) => {
        const points = Float64Array.from(pts.flat());
        const encoded = encodeLogDepth(new Float64Array(points.length), points);
        const decoded = decodeLogDepth(new Float64Array(points.length), encoded);
        for (let i = 0; i < points.length; i++) {
          expect(Math.abs(decoded[i]! - points[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(points[i]!)));
        }
        const again = encodeLogDepth(new Float64Array(points.length), decoded);
        for (let i = 0; i < points.length; i++) expect(again[i]).toBeCloseTo(encoded[i]!, 10);
      }),
      { numRuns: 300 },
    );
  });

  it('works in place on Float32Array (out === input)', () => {
    const p = Float32Array.of(1, 2, 4, -3, 0.5, 0.25);
    const copy = Float32Array.from(p);
    expect(encodeLogDepth(p, p)).toBe(p);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(decodeLogDepth(p, p)).toBe(p);
    for (let i = 0; i < 6; i++) expect(p[i]).toBeCloseTo(copy[i]!, 5);
  });

  it('gl-matrix style: writes into out, returns out, does not modify the input', () => {
    const input = [0.1, 0.2, 0.3];
    const out = new Float32Array(3);
    expect(decodeLogDepth(out, input)).toBe(out);
    expect(out[2]).toBeCloseTo(Math.exp(0.3), 6);
    expect(input).toEqual([0.1, 0.2, 0.3]);
    const out2 = new Float64Array(3);
    expect(encodeLogDepth(out2, input)).toBe(out2);
    expect(input).toEqual([0.1, 0.2, 0.3]);
  });

  it('rejects bad input; encode checks every depth before writing', () => {
    expect(() => decodeLogDepth(new Float32Array(3), [1, 2])).toThrow(new RangeError('decodeLogDepth: encoded.length (2) must be a multiple of 3'));
    expect(() => decodeLogDepth(new Float32Array(2), [1, 2, 3])).toThrow(
      new RangeError('decodeLogDepth: out.length (2) must be at least encoded.length (3)'),
    );
    const p = Float64Array.of(1, 1, 1, 2, 2, Number.NaN);
    expect(() => encodeLogDepth(p, p)).toThrow(
      new RangeError('encodeLogDepth: points[5] (depth of point 1: NaN) must be a finite number > 0'),
    );
    expect(Array.from(p.subarray(0, 5))).toEqual([1, 1, 1, 2, 2]);
    expect(() => encodeLogDepth(new Float32Array(3), [1, 1, 0])).toThrow(RangeError);
    expect(() => encodeLogDepth(new Float32Array(3), [1, 1, -2])).toThrow(RangeError);
    expect(() => encodeLogDepth(new Uint8Array(3) as unknown as Float32Array, [1, 1, 1])).toThrow(
      new TypeError('encodeLogDepth: out (Uint8Array(3)) must be a Float32Array or Float64Array'),
    );
    // Empty arrays are valid (no points).
    expect(decodeLogDepth(new Float32Array(0), []).length).toBe(0);
  });
});
