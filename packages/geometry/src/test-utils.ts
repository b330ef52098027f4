/**
 * Helpers shared by the tests (not part of the package: excluded from the build).
 *
 * @packageDocumentation
 */

/**
 * A small seeded PRNG (mulberry32), so property tests can draw many values from one seed that
 * fast-check shrinks.
 *
 * @param seed - any integer
 * @returns a function giving uniform numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal sample (Box-Muller).
 *
 * @param rng - uniform source
 * @returns one N(0, 1) value
 */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Uniformly random rotation (normalised Gaussian quaternion), column-major 3x3.
 *
 * @param rng - uniform source
 * @returns a new Float64Array(9)
 */
export function randomRotation(rng: () => number): Float64Array {
  let x = gaussian(rng), y = gaussian(rng), z = gaussian(rng), w = gaussian(rng);
  const n = Math.hypot(x, y, z, w);
  x /= n; y /= n; z /= n; w /= n;
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w),
    2 * (x * y - z * w), 1 - 2 * (x * x + z * z), 2 * (y * z + x * w),
    2 * (x * z + y * w), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y),
  );
}

/**
 * Random points, uniform in a cube of half-size `extent` around `center`.
 *
 * @param rng - uniform source
 * @param n - number of points
 * @param extent - half-size of the cube
 * @param center - centre of the cube (default origin)
 * @returns a new Float64Array(3n)
 */
export function randomPoints(rng: () => number, n: number, extent = 1, center: readonly number[] = [0, 0, 0]): Float64Array {
  const out = new Float64Array(3 * n);
  for (let i = 0; i < 3 * n; i++) out[i] = center[i % 3]! + (2 * rng() - 1) * extent;
  return out;
}

/**
 * Applies `s R p + t` to interleaved points.
 *
 * @returns a new Float64Array
 */
export function applySimilarity(points: ArrayLike<number>, r: ArrayLike<number>, s: number, t: ArrayLike<number>): Float64Array {
  const out = new Float64Array(points.length);
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i]!, y = points[i + 1]!, z = points[i + 2]!;
    out[i] = s * (r[0]! * x + r[3]! * y + r[6]! * z) + t[0]!;
    out[i + 1] = s * (r[1]! * x + r[4]! * y + r[7]! * z) + t[1]!;
    out[i + 2] = s * (r[2]! * x + r[5]! * y + r[8]! * z) + t[2]!;
  }
  return out;
}

/**
 * Largest absolute difference between two arrays of the same length.
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Rigid camera-to-world pose (column-major mat4) from a rotation (column-major 3x3) and a translation.
 *
 * @returns a new Float64Array(16)
 */
export function poseFrom(r: ArrayLike<number>, t: ArrayLike<number>, type: 'f32' | 'f64' = 'f64'): Float64Array | Float32Array {
  const m = type === 'f32' ? new Float32Array(16) : new Float64Array(16);
  for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) m[4 * c + k] = r[3 * c + k]!;
  m[12] = t[0]!;
  m[13] = t[1]!;
  m[14] = t[2]!;
  m[15] = 1;
  return m;
}
