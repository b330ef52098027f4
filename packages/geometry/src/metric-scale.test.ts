import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floorPlane, scaleFromCameraHeight, scaleFromDepth, scaleFromDistance } from './metric-scale.js';
import { gaussian, mulberry32 } from './test-utils.js';

/**
 * A camera at height h above a floor (y = h in the camera frame, OpenCV: y down), pitched down by
 * `pitch` radians, seeing floor points and a wall, all multiplied by 1 / s (the unknown scale).
 */
function room(rng: () => number, h: number, pitch: number, s: number): Float64Array {
  const pts: number[] = [];
  const c = Math.cos(pitch), sn = Math.sin(pitch);
  // world (camera-centred, level): floor y = h, wall z = 6; rotate into the pitched camera
  const push = (x: number, y: number, z: number): void => {
    pts.push(x / s, (c * y - sn * z) / s, (sn * y + c * z) / s);
  };
  for (let i = 0; i < 400; i++) push(6 * (rng() - 0.5), h, 1 + 5 * rng());
  for (let i = 0; i < 250; i++) push(6 * (rng() - 0.5), h - 3 * rng(), 6);
  for (let i = 0; i < 60; i++) push(2 * (rng() - 0.5), h - 0.7, 2 + rng()); // a table top
  return Float64Array.from(pts);
}

describe('scale from a known distance or depth', () => {
  it('recovers the scale that was applied', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.01, max: 100, noNaN: true }), (seed, s) => {
        const rng = mulberry32(seed);
        const a = [gaussian(rng), gaussian(rng), gaussian(rng)];
        const b = [gaussian(rng) + 3, gaussian(rng), gaussian(rng)];
        const d = Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
        expect(scaleFromDistance(a.map((x) => x / s), b.map((x) => x / s), d)! / s - 1).toBeCloseTo(0, 10);
        const z = 0.5 + 5 * rng();
        expect(scaleFromDepth(z / s, z)! / s - 1).toBeCloseTo(0, 10);
      }),
    );
  });

  it('null for coincident points or a bad depth; errors name the argument', () => {
    expect(scaleFromDistance([1, 2, 3], [1, 2, 3], 1)).toBeNull();
    expect(scaleFromDepth(0, 2)).toBeNull();
    expect(scaleFromDepth(Number.NaN, 2)).toBeNull();
    expect(() => scaleFromDistance([1, 2, 3], [1, 2, 3], -1)).toThrow(/scaleFromDistance: metres \(-1\) must be > 0/);
    expect(() => scaleFromDistance([1, 2], [1, 2, 3], 1)).toThrow(/scaleFromDistance: a\.length \(2\) must equal 3/);
    expect(() => scaleFromDepth(1, Number.NaN)).toThrow(/scaleFromDepth: metres \(NaN\) must be a finite number/);
  });
});

describe('scale from the camera height', () => {
  it('finds the floor below a pitched camera and recovers the scale', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.8, max: 2, noNaN: true }), fc.double({ min: 0, max: 0.4, noNaN: true }), fc.double({ min: 0.05, max: 20, noNaN: true }), (seed, h, pitch, s) => {
        const pts = room(mulberry32(seed), h, pitch, s);
        const r = scaleFromCameraHeight(pts, h)!;
        expect(r).not.toBeNull();
        expect(r.scale / s - 1).toBeCloseTo(0, 6);
        expect(r.height * s).toBeCloseTo(h, 6);
        // the normal points up (towards the camera): -y in the level camera, tilted by the pitch
        expect(r.floor.plane.normal[1]).toBeLessThan(-0.8);
        expect(r.floor.inlierCount).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 60 },
    );
  });

  it('null without a floor below the camera (only a ceiling above it)', () => {
    const rng = mulberry32(4);
    const pts: number[] = [];
    for (let i = 0; i < 200; i++) pts.push(4 * (rng() - 0.5), -1.5, 1 + 4 * rng());
    expect(floorPlane(pts)).toBeNull();
    expect(scaleFromCameraHeight(pts, 1.5)).toBeNull();
    expect(() => floorPlane(pts, { maxTiltDeg: 90 })).toThrow(/floorPlane: options\.maxTiltDeg \(90\) must be <= 89\.999/);
    expect(() => floorPlane(pts, { up: [0, 0, 0] })).toThrow(/options\.up \(\[0, 0, 0\]\) must be a finite non-zero vector/);
  });
});
