import { describe, expect, it } from 'vitest';
import { defaultFrustumScale, frustumLines } from './frustum.js';

const W = 640;
const H = 480;
const K = { fx: 500, fy: 520, cx: 319.5, cy: 239.5 };

/** A camera-to-world pose: rotation about y by `angle`, then translation `t` (column-major). */
function pose(angle: number, t: [number, number, number]): Float32Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return new Float32Array([c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, t[0], t[1], t[2], 1]);
}

/** World -> pixel through a camera-to-world pose and intrinsics. */
function project(m: Float32Array, p: ArrayLike<number>, k = K): [number, number, number] {
  const d = [p[0]! - m[12]!, p[1]! - m[13]!, p[2]! - m[14]!];
  // camera = R^T (p - t)
  const X = m[0]! * d[0]! + m[1]! * d[1]! + m[2]! * d[2]!;
  const Y = m[4]! * d[0]! + m[5]! * d[1]! + m[6]! * d[2]!;
  const Z = m[8]! * d[0]! + m[9]! * d[1]! + m[10]! * d[2]!;
  return [(k.fx * X) / Z + k.cx, (k.fy * Y) / Z + k.cy, Z];
}

const vertex = (a: Float32Array, v: number): number[] => Array.from(a.subarray(3 * v, 3 * v + 3));

describe('frustumLines', () => {
  const poses = [pose(0, [0, 0, 0]), pose(0.4, [1, -0.5, 2])];
  const out = frustumLines({ cameraToWorld: poses, intrinsics: [K, K], width: W, height: H, scale: 0.5 });

  it('has 22 vertices per camera (11 segments), 16 without the up marker', () => {
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(2 * 22 * 3);
    expect(frustumLines({ cameraToWorld: poses, intrinsics: [K, K], width: W, height: H, up: false }).length).toBe(2 * 16 * 3);
    expect(frustumLines({ cameraToWorld: [], intrinsics: [], width: W, height: H }).length).toBe(0);
  });

  it('starts the first 4 segments at the camera centre', () => {
    for (let c = 0; c < 2; c++) {
      const m = poses[c]!;
      for (let s = 0; s < 4; s++) {
        const v = vertex(out, c * 22 + 2 * s);
        expect(v[0]).toBeCloseTo(m[12]!, 6);
        expect(v[1]).toBeCloseTo(m[13]!, 6);
        expect(v[2]).toBeCloseTo(m[14]!, 6);
      }
    }
  });

  it('puts the far corners at depth `scale`, projecting onto the image corners', () => {
    const corners = [[-0.5, -0.5], [W - 0.5, -0.5], [W - 0.5, H - 0.5], [-0.5, H - 0.5]];
    for (let c = 0; c < 2; c++) {
      for (let s = 0; s < 4; s++) {
        const [x, y, z] = project(poses[c]!, vertex(out, c * 22 + 2 * s + 1));
        expect(x).toBeCloseTo(corners[s]![0]!, 3);
        expect(y).toBeCloseTo(corners[s]![1]!, 3);
        expect(z).toBeCloseTo(0.5, 5);
      }
    }
  });

  it('closes the far rectangle and puts the up triangle above the top edge (camera -y)', () => {
    // segments 4..7: corner k -> corner k + 1
    for (let s = 0; s < 4; s++) {
      expect(vertex(out, 8 + 2 * s)).toEqual(vertex(out, 2 * s + 1));
      expect(vertex(out, 8 + 2 * s + 1)).toEqual(vertex(out, 2 * ((s + 1) % 4) + 1));
    }
    const tip = project(poses[0]!, vertex(out, 17));
    expect(tip[0]).toBeCloseTo(W / 2 - 0.5, 3);
    expect(tip[1]).toBeLessThan(-0.5); // above the image
  });

  it('does not modify its inputs and gives non-finite vertices for a NaN pose, keeping the layout', () => {
    const nan = new Float32Array(16).fill(Number.NaN);
    const before = Array.from(poses[1]!);
    const both = frustumLines({ cameraToWorld: [poses[1]!, nan], intrinsics: [K, K], width: W, height: H });
    expect(Array.from(poses[1]!)).toEqual(before);
    expect(both.length).toBe(2 * 22 * 3);
    expect(both.subarray(0, 66).every(Number.isFinite)).toBe(true);
    expect(both.subarray(66).every(Number.isNaN)).toBe(true);
  });

  it('throws TypeError for wrong types and RangeError for bad values', () => {
    expect(() => frustumLines({ cameraToWorld: poses, intrinsics: [K], width: W, height: H })).toThrow(
      new RangeError('frustumLines: options.intrinsics.length (1) must equal options.cameraToWorld.length (2)'),
    );
    expect(() => frustumLines({ cameraToWorld: [new Float32Array(9)], intrinsics: [K], width: W, height: H })).toThrow(
      new RangeError('frustumLines: options.cameraToWorld[0].length (9) must equal 16 (a 4x4 matrix) (16)'),
    );
    expect(() => frustumLines({ cameraToWorld: poses, intrinsics: [K, { ...K, fx: 0 }], width: W, height: H })).toThrow(
      new RangeError('frustumLines: options.intrinsics[1].fx (0) must be > 0'),
    );
    expect(() => frustumLines({ cameraToWorld: poses, intrinsics: [K, K], width: W, height: H, scale: 0 })).toThrow(
      new RangeError('frustumLines: options.scale (0) must be > 0'),
    );
    expect(() => frustumLines({ cameraToWorld: 'x' as unknown as Float32Array[], intrinsics: [], width: W, height: H })).toThrow(TypeError);
  });
});

describe('defaultFrustumScale', () => {
  it('is a tenth of the robust radius of the cloud, else from the camera centres, else 0.1', () => {
    const cloud = new Float32Array([-1, -1, -1, 1, 1, 1, 0, 0, 0]);
    expect(defaultFrustumScale(cloud, [])).toBeCloseTo(0.1 * Math.sqrt(3));
    expect(defaultFrustumScale(null, [pose(0, [0, 0, 0]), pose(0, [2, 0, 0])])).toBeCloseTo(0.25);
    expect(defaultFrustumScale(null, [pose(0, [0, 0, 0])])).toBe(0.1);
  });
});
