/**
 * Pearson's correlation coefficient of two paired samples.
 *
 * r = sum (x - mean x)(y - mean y) / sqrt(sum (x - mean x)^2 sum (y - mean y)^2), in float64 with
 * the means taken first (two passes, as NumPy's `corrcoef`). Used by the evaluations for
 * `inputDependence`: the correlation between log(model depth) - log(prior depth) and log(gt depth).
 *
 * @packageDocumentation
 */

import type { NumberArray } from '../types.js';
import { assertArray, assertLength } from '../validate.js';

/** Options of {@link pearsonCorrelation}. */
export interface PearsonOptions {
  /** Only pairs with a non-zero mask entry take part; same length as `x`. */
  mask?: NumberArray;
}

/**
 * Pearson's correlation of the pairs `(x[i], y[i])` where both are finite (and the mask, if any,
 * is non-zero). Non-finite values are not errors: those pairs are left out.
 *
 * Degenerate samples have a value rather than an error: `0` when either side has no variance
 * (e.g. `x` constant: no linear dependence can be seen), `NaN` with fewer than two pairs.
 *
 * @param x - first sample
 * @param y - second sample, same length
 * @param options - `mask`
 * @returns r in [-1, 1], `0` or `NaN` as above
 * @throws TypeError for non-array arguments; RangeError when `y` or `options.mask` has a different
 *   length from `x`
 */
export function pearsonCorrelation(x: NumberArray, y: NumberArray, options: PearsonOptions = {}): number {
  const fn = 'pearsonCorrelation';
  assertArray(fn, 'x', x);
  assertArray(fn, 'y', y);
  assertLength(fn, 'y', y, x.length, 'x.length');
  const mask = options.mask;
  if (mask !== undefined) {
    assertArray(fn, 'options.mask', mask);
    assertLength(fn, 'options.mask', mask, x.length, 'x.length');
  }
  const n = x.length;
  const use = (i: number): boolean => (mask === undefined || mask[i] !== 0) && x[i]! - x[i]! === 0 && y[i]! - y[i]! === 0;
  let count = 0, sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    count++;
    sx += x[i]!;
    sy += y[i]!;
  }
  if (count < 2) return Number.NaN;
  const mx = sx / count, my = sy / count;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return sxy / Math.sqrt(sxx * syy);
}
