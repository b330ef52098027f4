/**
 * Robust bounds of a point cloud: per-axis percentiles, so that a few far outliers (sky points,
 * depth spikes) do not decide the view or the display scale.
 *
 * @packageDocumentation
 */

import { quickselect } from '@d4rt/geometry/select';
import { assertArray, assertGroups, assertLength, assertNumber, assertObject } from './validate.js';

/** Options of {@link robustBounds}. */
export interface RobustBoundsOptions {
  /** Lower and upper percentile (0..100) of each coordinate; default `[2, 98]`. `[0, 100]` is the plain bounding box. */
  percentiles?: readonly [number, number];
  /** Largest number of points looked at (integer >= 1): a bigger cloud is sampled with an even stride; default 131072. */
  maxSamples?: number;
}

/** The box spanned by the percentiles of each coordinate. */
export interface RobustBounds {
  /** Lower corner `[x, y, z]`. */
  min: [number, number, number];
  /** Upper corner `[x, y, z]`. */
  max: [number, number, number];
  /** Centre of the box. */
  center: [number, number, number];
  /** Half the box's diagonal (0 for a single point). */
  radius: number;
  /** Number of finite points the percentiles were taken over (after sampling). */
  count: number;
}

/**
 * The box spanned by the `percentiles` of each coordinate of the finite points (a point with a
 * non-finite coordinate is ignored). The percentile `p` of `m` values is the one of rank
 * `round(p / 100 (m - 1))` (nearest rank, no interpolation). Clouds of more than `maxSamples`
 * points are sampled with the stride `ceil(count / maxSamples)` (deterministic).
 *
 * Returns a **new** object, or `null` when there is no finite point. Allocates three
 * `Float64Array`s of the sampled size (scratch).
 *
 * @param positions - interleaved xyz (`count * 3`)
 * @param options - percentiles, sample limit
 * @returns the bounds, or null
 * @throws TypeError for arguments of the wrong type; RangeError when `positions.length` is not a
 *   multiple of 3 or an option is out of range
 */
export function robustBounds(positions: ArrayLike<number>, options: RobustBoundsOptions = {}): RobustBounds | null {
  const fn = 'robustBounds';
  assertArray(fn, 'positions', positions);
  assertGroups(fn, 'positions', positions, 3);
  assertObject(fn, 'options', options);
  const { percentiles = [2, 98], maxSamples = 1 << 17 } = options;
  assertPercentiles(fn, 'options.percentiles', percentiles);
  assertNumber(fn, 'options.maxSamples', maxSamples, { integer: true, min: 1 });
  return boundsUnchecked(positions, percentiles, maxSamples);
}

/**
 * Checks a `[low, high]` percentile pair (internal).
 *
 * @param fn - name of the public function
 * @param name - name of the option
 * @param value - the option
 * @throws TypeError when it is not an array of numbers; RangeError when not 2 numbers in [0, 100], ordered
 */
export function assertPercentiles(fn: string, name: string, value: unknown): asserts value is readonly [number, number] {
  assertArray(fn, name, value);
  assertLength(fn, name, value, 2, '2 ([low, high])');
  assertNumber(fn, `${name}[0]`, value[0], { min: 0, max: 100 });
  assertNumber(fn, `${name}[1]`, value[1], { min: 0, max: 100 });
  if (value[1] < value[0]) throw new RangeError(`${fn}: ${name}[1] (${value[1]}) must be >= ${name}[0] (${value[0]})`);
}

/** {@link robustBounds} without the checks (internal). */
export function boundsUnchecked(positions: ArrayLike<number>, percentiles: readonly [number, number], maxSamples = 1 << 17): RobustBounds | null {
  const n = Math.floor(positions.length / 3);
  const stride = Math.max(1, Math.ceil(n / maxSamples));
  const size = Math.ceil(n / stride);
  const axes = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  let m = 0;
  for (let i = 0; i < n; i += stride) {
    const x = positions[3 * i]!, y = positions[3 * i + 1]!, z = positions[3 * i + 2]!;
    // x - x is NaN for NaN and +-Infinity.
    if (x - x !== 0 || y - y !== 0 || z - z !== 0) continue;
    axes[0]![m] = x;
    axes[1]![m] = y;
    axes[2]![m] = z;
    m++;
  }
  if (m === 0) return null;
  const kLo = Math.round((percentiles[0] / 100) * (m - 1));
  const kHi = Math.round((percentiles[1] / 100) * (m - 1));
  const min: [number, number, number] = [0, 0, 0];
  const max: [number, number, number] = [0, 0, 0];
  const center: [number, number, number] = [0, 0, 0];
  let r2 = 0;
  for (let a = 0; a < 3; a++) {
    const axis = axes[a]!;
    const lo = quickselect(axis, kLo, 0, m - 1);
    const hi = quickselect(axis, kHi, 0, m - 1);
    min[a] = lo;
    max[a] = hi;
    center[a] = (lo + hi) / 2;
    r2 += ((hi - lo) / 2) ** 2;
  }
  return { min, max, center, radius: Math.sqrt(r2), count: m };
}
