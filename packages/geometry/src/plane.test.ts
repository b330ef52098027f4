import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitPlane, fitPlaneRansac } from './plane.js';
import { gaussian, mulberry32 } from './test-utils.js';

/** n points on the plane normal . x + offset = 0 (plus optional noise), spread over ~extent. */
function planePoints(rng: () => number, normal: number[], offset: number, n: number, extent: number, noise = 0): Float64Array {
  const len = Math.hypot(normal[0]!, normal[1]!, normal[2]!);
  const nn = normal.map((x) => x / len);
  // two directions in the plane
  const a = Math.abs(nn[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = [nn[1]! * a[2]! - nn[2]! * a[1]!, nn[2]! * a[0]! - nn[0]! * a[2]!, nn[0]! * a[1]! - nn[1]! * a[0]!];
  const ul = Math.hypot(u[0]!, u[1]!, u[2]!);
  const uu = u.map((x) => x / ul);
  const v = [nn[1]! * uu[2]! - nn[2]! * uu[1]!, nn[2]! * uu[0]! - nn[0]! * uu[2]!, nn[0]! * uu[1]! - nn[1]! * uu[0]!];
  const out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const s = extent * (2 * rng() - 1), t = extent * (2 * rng() - 1), e = noise * gaussian(rng);
    for (let k = 0; k < 3; k++) out[3 * i + k] = -offset * nn[k]! + s * uu[k]! + t * v[k]! + e * nn[k]!;
  }
  return out;
}

const sameSide = (a: ArrayLike<number>, b: number[]): number => Math.sign(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!);

describe('fitPlane', () => {
  it('recovers a random plane exactly from noise-free points', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 3, max: 300 }), (seed, n) => {
        const rng = mulberry32(seed);
        const normal = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const offset = 5 * gaussian(rng);
        const len = Math.hypot(...normal);
        const fit = fitPlane(planePoints(rng, normal, offset, n, 3))!;
        expect(fit).not.toBeNull();
        const s = sameSide(fit.normal, normal);
        for (let k = 0; k < 3; k++) expect(Math.abs(s * fit.normal[k]! - normal[k]! / len)).toBeLessThan(1e-8);
        expect(Math.abs(s * fit.offset - offset)).toBeLessThan(1e-7 * Math.max(1, Math.abs(offset)));
      }),
      { numRuns: 200 },
    );
  });

  it('returns null for collinear or too few points, and ignores zero weights', () => {
    expect(fitPlane([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])).toBeNull();
    expect(fitPlane([0, 0, 0, 1, 0, 0])).toBeNull();
    const pts = [0, 0, 0, 1, 0, 0, 0, 1, 0, 5, 5, 5];
    const fit = fitPlane(pts, { weights: [1, 1, 1, 0] })!;
    expect(Math.abs(fit.normal[2]!)).toBeCloseTo(1, 12);
    expect(fit.offset).toBeCloseTo(0, 12);
  });

  it('names the argument and the value in its errors', () => {
    expect(() => fitPlane('abc' as never)).toThrow(TypeError);
    expect(() => fitPlane([1, 2])).toThrow(/fitPlane: points\.length \(2\) must be a multiple of 3/);
    expect(() => fitPlane([0, 0, 0, 1, 0, 0, 0, 1, 0], { weights: [1, -1, 1] })).toThrow(/options\.weights\[1\] \(-1\) must be a finite number >= 0/);
  });
});

describe('fitPlaneRansac', () => {
  it('finds the plane among 40 % outliers and marks its inliers', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = mulberry32(seed);
        const normal = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const len = Math.hypot(...normal);
        const inl = planePoints(rng, normal, 2, 300, 4);
        const pts = new Float64Array(500 * 3);
        pts.set(inl);
        for (let i = 900; i < 1500; i++) pts[i] = 8 * (rng() - 0.5);
        const r = fitPlaneRansac(pts, { threshold: 1e-6, iterations: 400, seed: 3 })!;
        const s = sameSide(r.plane.normal, normal);
        for (let k = 0; k < 3; k++) expect(Math.abs(s * r.plane.normal[k]! - normal[k]! / len)).toBeLessThan(1e-8);
        expect(r.inlierCount).toBeGreaterThanOrEqual(300);
        for (let i = 0; i < 300; i++) expect(r.inliers[i]).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  it('only considers accepted planes; null when none has support', () => {
    const rng = mulberry32(9);
    const pts = planePoints(rng, [0, 0, 1], -1, 100, 2); // z = 1
    expect(fitPlaneRansac(pts, { threshold: 1e-6, accept: (p) => Math.abs(p.normal[0]!) > 0.9 })).toBeNull();
    expect(fitPlaneRansac([], { threshold: 1 })).toBeNull();
    expect(() => fitPlaneRansac(pts, { threshold: 0 })).toThrow(/options\.threshold \(0\) must be > 0/);
  });
});
