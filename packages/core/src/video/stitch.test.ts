import { describe, expect, it } from 'vitest';
import { fitWindowTransform, multiply4, transformInto } from './stitch.js';

/** A random-ish similarity (column-major 4x4). */
function similarity(s: number, angle: number, t: [number, number, number]): Float64Array {
  const c = Math.cos(angle), n = Math.sin(angle);
  // rotation about (1, 1, 1) / sqrt(3)
  const k = 1 / Math.sqrt(3), x = k, y = k, z = k, C = 1 - c;
  const r = [c + x * x * C, y * x * C + z * n, z * x * C - y * n, x * y * C - z * n, c + y * y * C, z * y * C + x * n, x * z * C + y * n, y * z * C - x * n, c + z * z * C];
  return Float64Array.from([s * r[0]!, s * r[1]!, s * r[2]!, 0, s * r[3]!, s * r[4]!, s * r[5]!, 0, s * r[6]!, s * r[7]!, s * r[8]!, 0, t[0], t[1], t[2], 1]);
}

describe('fitWindowTransform', () => {
  const n = 200;
  const local = Float64Array.from({ length: 3 * n }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 3 === 2 ? 5 : 0));
  const truth = similarity(2.5, 0.7, [1, -2, 0.5]);
  const world = transformInto(new Float64Array(3 * n), truth, local);
  const weights = new Float64Array(n).fill(1);
  const range = new Float64Array(n).fill(5);

  it('recovers the transform exactly from exact correspondences, with or without centres', () => {
    for (const centres of [null, { local: local.slice(0, 6), world: world.slice(0, 6) }]) {
      const { matrix, report } = fitWindowTransform({ local, world, weights, range }, centres, new Float64Array(16));
      for (let i = 0; i < 16; i++) expect(matrix[i]).toBeCloseTo(truth[i]!, 9);
      expect(report).toMatchObject({ failed: false, correspondences: n + (centres ? 2 : 0) });
      expect(report.scale).toBeCloseTo(2.5, 9);
      expect(report.residual).toBeLessThan(1e-9);
    }
  });

  it('ignores gross outliers and non-finite pairs', () => {
    const bad = Float64Array.from(world);
    for (let i = 0; i < 20; i++) bad[3 * i] = bad[3 * i]! + 50;
    bad[3 * 30] = Number.NaN;
    const { matrix, report } = fitWindowTransform({ local, world: bad, weights, range }, null, new Float64Array(16));
    for (let i = 0; i < 16; i++) expect(matrix[i]).toBeCloseTo(truth[i]!, 6);
    expect(report.inliers).toBeLessThanOrEqual(Math.ceil(0.8 * (n - 1)));
  });

  it('falls back to the previous transform when degenerate', () => {
    const previous = similarity(1, 0, [3, 0, 0]);
    const flat = new Float64Array(3 * n).fill(1);
    const { matrix, report } = fitWindowTransform({ local: flat, world, weights, range }, null, previous);
    expect(Array.from(matrix)).toEqual(Array.from(previous));
    expect(report.failed).toBe(true);
  });

  it('multiply4 composes column-major transforms', () => {
    const a = similarity(2, 0.3, [1, 2, 3]), b = similarity(0.5, -0.3, [0, 1, 0]);
    const p = Float64Array.of(0.2, -1, 4);
    const ab = transformInto(new Float64Array(3), multiply4(a, b), p);
    const seq = transformInto(new Float64Array(3), a, transformInto(new Float64Array(3), b, p));
    for (let i = 0; i < 3; i++) expect(ab[i]).toBeCloseTo(seq[i]!, 12);
  });
});
