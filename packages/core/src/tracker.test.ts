import { describe, expect, it } from 'vitest';
import { trackerGroups, tracksToReferenceCamera } from './tracker.js';

describe('trackerGroups', () => {
  it('keeps up to maxPoints points in one group', () => {
    expect(trackerGroups(0, 4)).toEqual([]);
    expect(trackerGroups(1, 4)).toEqual([1]);
    expect(trackerGroups(4, 4)).toEqual([4]);
  });

  it('splits more into ceil(n / maxPoints) consecutive groups whose sizes differ by at most one, larger first', () => {
    expect(trackerGroups(5, 4)).toEqual([3, 2]);
    expect(trackerGroups(1025, 1024)).toEqual([513, 512]);
    expect(trackerGroups(10, 3)).toEqual([3, 3, 2, 2]);
    for (const [n, k] of [[2049, 1024], [100, 7], [4096, 1024], [3, 1]] as const) {
      const g = trackerGroups(n, k);
      expect(g.length).toBe(Math.ceil(n / k));
      expect(g.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...g) - Math.min(...g)).toBeLessThanOrEqual(1);
      expect(Math.max(...g)).toBeLessThanOrEqual(k);
    }
  });

  it('throws RangeError for a bad n or maxPoints', () => {
    expect(() => trackerGroups(-1, 4)).toThrow(/^trackerGroups: n \(-1\) must be an integer >= 0$/);
    expect(() => trackerGroups(4, 0)).toThrow(RangeError);
    expect(() => trackerGroups(4, 1.5)).toThrow(/^trackerGroups: maxPoints \(1\.5\) must be an integer >= 1$/);
  });
});

/** Column-major camera-to-world: rotation by `angle` about y, then translation `t`. */
function pose(angle: number, t: [number, number, number]): Float32Array {
  const c = Math.cos(angle), s = Math.sin(angle);
  return new Float32Array([c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, t[0], t[1], t[2], 1]);
}

describe('tracksToReferenceCamera', () => {
  it('moves each frame from its camera into the reference camera; writes into xyz and returns it', () => {
    // a world point seen in two cameras: camera 0 = world, camera 1 turned and moved
    const world = [0.3, -0.2, 2];
    const c2w = [pose(0, [0, 0, 0]), pose(0.4, [1, 0.5, -0.25])];
    // the point in camera 1: inverse(c2w[1]) * world
    const m = c2w[1]!;
    const d = [world[0]! - m[12]!, world[1]! - m[13]!, world[2]! - m[14]!];
    const inCam1 = [m[0]! * d[0]! + m[1]! * d[1]! + m[2]! * d[2]!, m[4]! * d[0]! + m[5]! * d[1]! + m[6]! * d[2]!, m[8]! * d[0]! + m[9]! * d[1]! + m[10]! * d[2]!];
    const xyz = new Float32Array([...world, ...inCam1]);
    const input = xyz.slice();
    const out = tracksToReferenceCamera(xyz, { frames: 2, points: 1, cameraToWorld: c2w, referenceFrame: 0 });
    expect(out).toBe(xyz);
    for (let i = 0; i < 6; i++) expect(out[i]).toBeCloseTo(world[i % 3]!, 5);
    // reference 1: frame 1 stays, frame 0 moves into camera 1
    const again = tracksToReferenceCamera(input.slice(), { frames: 2, points: 1, cameraToWorld: c2w, referenceFrame: 1 });
    for (let i = 0; i < 6; i++) expect(again[i]).toBeCloseTo(inCam1[i % 3]!, 5);
  });

  it('gives NaN points for a frame whose pose (or the reference pose) is not finite; reads the poses only', () => {
    const c2w = [pose(0, [0, 0, 0]), new Float32Array(16).fill(Number.NaN), pose(0.1, [0, 0, 1])];
    const before = c2w.map((p) => p.slice());
    const xyz = new Float32Array([1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6, 1, 1, 1, 2, 2, 2]);
    tracksToReferenceCamera(xyz, { frames: 3, points: 2, cameraToWorld: c2w, referenceFrame: 0 });
    expect(Array.from(xyz.subarray(0, 6))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(xyz.subarray(6, 12).every(Number.isNaN)).toBe(true);
    expect(xyz.subarray(12).every(Number.isFinite)).toBe(true);
    expect(c2w).toEqual(before);
    const all = tracksToReferenceCamera(new Float32Array(6).fill(1), { frames: 2, points: 1, cameraToWorld: c2w, referenceFrame: 1 });
    expect(all.every(Number.isNaN)).toBe(true);
  });
});
