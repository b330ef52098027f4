import { describe, expect, it } from 'vitest';
import { OrbitCamera } from './orbit-camera.js';
import { robustBounds } from './robust-bounds.js';

/** p' = M p for a column-major 4x4 and a point (w = 1); returns [x, y, z, w]. */
function apply(m: ArrayLike<number>, p: readonly number[]): number[] {
  const [x, y, z] = p as [number, number, number];
  return [0, 1, 2, 3].map((r) => m[r]! * x + m[4 + r]! * y + m[8 + r]! * z + m[12 + r]!);
}

/** World point -> normalised device coordinates through view and projection. */
function ndc(camera: OrbitCamera, p: readonly number[], aspect = 1): number[] {
  const view = camera.viewMatrix(new Float64Array(16));
  const proj = camera.projectionMatrix(new Float64Array(16), aspect);
  const c = apply(proj, apply(view, p).slice(0, 3));
  return [c[0]! / c[3]!, c[1]! / c[3]!, c[2]! / c[3]!];
}

function eye(camera: OrbitCamera): number[] {
  return Array.from(camera.eye(new Float64Array(3)));
}

describe('OrbitCamera', () => {
  it('defaults to the first camera: eye at the origin, looking along +z, y down on screen', () => {
    const camera = new OrbitCamera();
    expect(eye(camera)).toEqual([0, 0, 0]);
    const view = camera.viewMatrix(new Float32Array(16));
    // OpenCV -> OpenGL eye axes: diag(1, -1, -1, 1)
    expect(Array.from(view, (v) => v + 0)).toEqual([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1]);
    // A point to the right (+x) and below (+y) of the axis lands right and low on screen.
    const [x, y] = ndc(camera, [0.2, 0.3, 2]);
    expect(x).toBeGreaterThan(0);
    expect(y).toBeLessThan(0);
  });

  it('projects like a pinhole camera with the same vertical field of view', () => {
    const W = 640;
    const H = 480;
    const fy = 500;
    const camera = new OrbitCamera({ fov: 2 * Math.atan(H / 2 / fy) });
    for (const p of [[0.3, -0.2, 2], [-1, 0.5, 4], [0, 0, 1.5]]) {
      const [X, Y, Z] = p as [number, number, number];
      const [nx, ny] = ndc(camera, p, W / H) as [number, number];
      // pixel-edge coordinates of the pinhole projection with cx = W / 2, cy = H / 2
      const px = (fy * X) / Z + W / 2;
      const py = (fy * Y) / Z + H / 2;
      expect(((nx + 1) / 2) * W).toBeCloseTo(px, 6);
      expect(((1 - ny) / 2) * H).toBeCloseTo(py, 6);
    }
  });

  it('viewMatrix writes into out, returns it, and maps the target to (0, 0, -distance)', () => {
    const camera = new OrbitCamera({ target: [1, -2, 3], distance: 4, yaw: 0.7, pitch: -0.4 });
    const out = new Float32Array(16).fill(7);
    expect(camera.viewMatrix(out)).toBe(out);
    const t = apply(out, [1, -2, 3]);
    expect(t[0]).toBeCloseTo(0, 5);
    expect(t[1]).toBeCloseTo(0, 5);
    expect(t[2]).toBeCloseTo(-4, 5);
    // The eye maps to the origin and the rotation is orthonormal.
    const e = apply(out, eye(camera));
    for (const v of e.slice(0, 3)) expect(v).toBeCloseTo(0, 5);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let dot = 0;
        for (let k = 0; k < 3; k++) dot += out[4 * k + i]! * out[4 * k + j]!;
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 6);
      }
    }
    expect(Array.from(camera.target)).toEqual([1, -2, 3]); // not modified
  });

  it('projectionMatrix matches gl-matrix perspective and writes into out', () => {
    const camera = new OrbitCamera({ fov: 1, distance: 2 });
    const out = new Array<number>(16).fill(9);
    expect(camera.projectionMatrix(out, 2)).toBe(out);
    const f = 1 / Math.tan(0.5);
    const { near, far } = camera;
    expect(near).toBeCloseTo(0.02);
    expect(far).toBeCloseTo(200);
    expect(out).toEqual([f / 2, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, (2 * far * near) / (near - far), 0]);
    // The near plane maps to -1, the far plane to +1.
    // Eye at z = -1 (target (0, 0, 1), distance 2).
    expect(ndc(camera, [0, 0, -1 + near])[2]).toBeCloseTo(-1, 6);
    expect(ndc(camera, [0, 0, -1 + far])[2]).toBeCloseTo(1, 6);
  });

  it('yaw turns the view from +z towards +x; pitch > 0 raises the eye (towards -y) looking down', () => {
    const camera = new OrbitCamera({ target: [0, 0, 0], distance: 2 });
    camera.rotate(Math.PI / 2, 0);
    const e = eye(camera);
    expect(e[0]).toBeCloseTo(-2);
    expect(e[2]).toBeCloseTo(0);
    // Now +x is straight ahead: a point on +x projects to the centre.
    const [x, y] = ndc(camera, [1, 0, 0]);
    expect(x).toBeCloseTo(0);
    expect(y).toBeCloseTo(0);

    const up = new OrbitCamera({ target: [0, 0, 0], distance: 2, pitch: 0.5 });
    expect(eye(up)[1]).toBeLessThan(0); // above the target (y down)
    // World up (-y) is still up on screen.
    expect(ndc(up, [0, -0.3, 0])[1]).toBeGreaterThan(0);
  });

  it('clamps pitch to +-maxPitch on rotate and on assignment', () => {
    const camera = new OrbitCamera({ maxPitch: 1 });
    camera.rotate(0, 5);
    expect(camera.pitch).toBe(1);
    camera.rotate(0, -10);
    expect(camera.pitch).toBe(-1);
    camera.pitch = 0.25;
    expect(camera.pitch).toBe(0.25);
    expect(new OrbitCamera({ pitch: 3 }).pitch).toBeCloseTo(Math.PI / 2 - 0.01);
  });

  it('zoom scales the distance, clamped relative to the scene radius', () => {
    const camera = new OrbitCamera({ distance: 2, radius: 1 });
    expect(camera.zoom(0.5)).toBe(camera);
    expect(camera.distance).toBe(1);
    camera.zoom(1e-9);
    expect(camera.distance).toBe(1e-3);
    camera.zoom(1e12);
    expect(camera.distance).toBe(1e3);
  });

  it('pan moves the target in the view plane, by fractions of the view height', () => {
    const camera = new OrbitCamera({ target: [0, 0, 5], distance: 5, fov: Math.PI / 2 });
    camera.pan(0.5, 0);
    // view height at the target = 2 * 5 * tan(45 deg) = 10
    expect(camera.target[0]).toBeCloseTo(5);
    expect(camera.target[1]).toBeCloseTo(0);
    expect(camera.target[2]).toBeCloseTo(5);
    camera.pan(0, 0.1);
    expect(camera.target[1]).toBeCloseTo(1); // screen down = +y at pitch 0
    // A point that was at the centre is now left of it.
    const moved = new OrbitCamera({ target: [0, 0, 5], distance: 5, fov: Math.PI / 2 }).pan(0.1, 0);
    expect(ndc(moved, [0, 0, 5])[0]).toBeLessThan(0);
  });

  it('frameBounds fits the bulk of a cloud and ignores far outliers and non-finite points', () => {
    const n = 2000;
    const positions = new Float32Array(n * 3);
    let seed = 1;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < n; i++) {
      positions[3 * i] = -1 + 2 * rand();
      positions[3 * i + 1] = -0.5 + rand();
      positions[3 * i + 2] = 3 + 2 * rand();
    }
    // 0.5 % outliers very far away, and some NaN
    for (let i = 0; i < 10; i++) positions.set([1e6 * (i + 1), -1e6, 1e7], 3 * (i * 97));
    positions.set([Number.NaN, 0, 0], 3 * 5);
    const before = Array.from(positions);
    const camera = new OrbitCamera();
    expect(camera.frameBounds(positions, { aspect: 4 / 3 })).toBe(camera);
    expect(Array.from(positions)).toEqual(before);
    expect(camera.target[0]).toBeCloseTo(0, 0);
    expect(camera.target[1]).toBeCloseTo(0, 0);
    expect(camera.target[2]).toBeCloseTo(4, 0);
    expect(camera.distance).toBeGreaterThan(1);
    expect(camera.distance).toBeLessThan(10);
    // Keeps the orientation: looks along +z; every inlier is inside the view.
    expect(camera.yaw).toBe(0);
    for (let i = 0; i < n; i += 37) {
      const p = [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
      if (Math.abs(p[0]!) > 10 || Number.isNaN(p[0])) continue;
      const [x, y, z] = ndc(camera, p, 4 / 3) as [number, number, number];
      expect(Math.abs(x)).toBeLessThanOrEqual(1);
      expect(Math.abs(y)).toBeLessThanOrEqual(1);
      expect(Math.abs(z)).toBeLessThanOrEqual(1);
    }
  });

  it('frameBounds fits tightly for the current orientation: the grown box touches the view edge', () => {
    const positions = new Float32Array(300).map((_, i) => (i % 3 === 2 ? 2 + ((i * 7) % 5) : ((i * 13) % 11) / 5 - 1));
    for (const [yaw, pitch, aspect] of [[0, 0, 1], [0.7, 0.4, 16 / 9], [-2, -0.3, 0.5]] as const) {
      const camera = new OrbitCamera({ yaw, pitch }).frameBounds(positions, { aspect, margin: 1.2 });
      const { min, max, center } = robustBounds(positions)!;
      let edge = 0;
      for (let c = 0; c < 8; c++) {
        const corner = [0, 1, 2].map((a) => center[a]! + 1.2 * ((c >> a) & 1 ? max[a]! - center[a]! : min[a]! - center[a]!));
        const [x, y, z] = ndc(camera, corner, aspect) as [number, number, number];
        expect(Math.abs(z)).toBeLessThan(1);
        edge = Math.max(edge, Math.abs(x), Math.abs(y));
      }
      expect(edge).toBeCloseTo(1, 6);
    }
  });

  it('frameBounds leaves the camera unchanged without finite points', () => {
    const camera = new OrbitCamera({ target: [1, 2, 3], distance: 7 });
    camera.frameBounds(new Float32Array([Number.NaN, 0, 0]));
    camera.frameBounds([]);
    expect(Array.from(camera.target)).toEqual([1, 2, 3]);
    expect(camera.distance).toBe(7);
  });

  it('throws TypeError for wrong types and RangeError for bad values, naming argument and value', () => {
    expect(() => new OrbitCamera({ distance: 0 })).toThrow(new RangeError('OrbitCamera: options.distance (0) must be > 0'));
    expect(() => new OrbitCamera({ target: [0, 0] })).toThrow(new RangeError('OrbitCamera: options.target.length (2) must equal 3 (x, y, z) (3)'));
    expect(() => new OrbitCamera({ fov: '1' as unknown as number })).toThrow(new TypeError('OrbitCamera: options.fov (string "1") must be a number'));
    const camera = new OrbitCamera();
    expect(() => camera.zoom(-1)).toThrow(new RangeError('OrbitCamera.zoom: factor (-1) must be > 0'));
    expect(() => camera.rotate(Number.NaN, 0)).toThrow(new RangeError('OrbitCamera.rotate: dYaw (NaN) must be a finite number'));
    expect(() => camera.viewMatrix(new Float32Array(9))).toThrow(new RangeError('OrbitCamera.viewMatrix: out.length (9) must equal 16 (a 4x4 matrix) (16)'));
    expect(() => camera.viewMatrix({} as Float32Array)).toThrow(TypeError);
    expect(() => camera.projectionMatrix(new Float32Array(16), 0)).toThrow(new RangeError('OrbitCamera.projectionMatrix: aspect (0) must be > 0'));
    expect(() => camera.frameBounds(new Float32Array(4))).toThrow(new RangeError('OrbitCamera.frameBounds: positions.length (4) must be a multiple of 3'));
    expect(() => camera.frameBounds(new Float32Array(3), { percentiles: [90, 10] })).toThrow(
      new RangeError('OrbitCamera.frameBounds: options.percentiles[1] (10) must be >= options.percentiles[0] (90)'),
    );
  });
});
