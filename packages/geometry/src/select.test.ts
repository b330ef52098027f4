import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { medianInPlace, quickselect } from './select.js';

describe('quickselect / medianInPlace', () => {
  it('agree with sorting (property, with many ties)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 200 }), fc.nat(), (values, kRaw) => {
        const sorted = [...values].sort((a, b) => a - b);
        const k = kRaw % values.length;
        const a = Float64Array.from(values);
        expect(quickselect(a, k, 0, a.length - 1)).toBe(sorted[k]);
        for (let i = 0; i < k; i++) expect(a[i]!).toBeLessThanOrEqual(a[k]!);
        for (let i = k + 1; i < a.length; i++) expect(a[i]!).toBeGreaterThanOrEqual(a[k]!);
        const n = values.length;
        const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
        expect(medianInPlace(Float64Array.from(values), n)).toBe(median);
      }),
      { numRuns: 500 },
    );
  });

  it('median of nothing is NaN; uses only the first n values', () => {
    expect(medianInPlace(new Float64Array(3), 0)).toBeNaN();
    expect(medianInPlace(Float64Array.of(3, 1, 100, 100), 2)).toBe(2);
  });
});
