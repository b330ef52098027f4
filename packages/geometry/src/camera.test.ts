import fc from 'fast-check';
import { mat3, vec2, vec3 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import {
  intrinsicsFromMat3,
  intrinsicsFromMatrix,
  intrinsicsToMat3,
  normalizedToPixel,
  normalizedToPixels,
  pixelToNormalized,
  pixelsToNormalized,
  projectPoint,
  projectPoints,
  resizeIntrinsics,
  sampledPixelCount,
  unprojectDepth,
  unprojectPoint,
  validateIntrinsics,
  type Intrinsics,
} from './camera.js';

const K: Intrinsics = { fx: 500, fy: 480, cx: 319.5, cy: 239.5 };

const intrinsicsArb = fc.record({
  fx: fc.double({ min: 50, max: 5000, noNaN: true }),
  fy: fc.double({ min: 50, max: 5000, noNaN: true }),
  cx: fc.double({ min: -100, max: 2000, noNaN: true }),
  cy: fc.double({ min: -100, max: 2000, noNaN: true }),
});

describe('projectPoint / unprojectPoint', () => {
  it('project(unproject(p)) = p and unproject(project(X)) = X (property)', () => {
    fc.assert(
      fc.property(
        intrinsicsArb,
        fc.double({ min: -1000, max: 3000, noNaN: true }),
        fc.double({ min: -1000, max: 3000, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
        (k, x, y, z) => {
          const point = unprojectPoint(vec3.create(), [x, y], z, k);
          const pixel = projectPoint(new Float64Array(2), point, k);
          expect(pixel[0]).toBeCloseTo(x, 2);
          expect(pixel[1]).toBeCloseTo(y, 2);
          const p64 = unprojectPoint(new Float64Array(3), [x, y], z, k);
          const back = unprojectPoint(new Float64Array(3), projectPoint(new Float64Array(2), p64, k), p64[2]!, k);
          for (let i = 0; i < 3; i++) expect(Math.abs(back[i]! - p64[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(p64[i]!)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('uses OpenCV axes: +x is right of the principal point, +y below it', () => {
    // X = 1, Y = 2, Z = 4: x = 500 * 1/4 + 319.5 = 444.5, y = 480 * 2/4 + 239.5 = 479.5.
    expect(Array.from(projectPoint(vec2.create(), [1, 2, 4], K))).toEqual([444.5, 479.5]);
    // Pixel (444.5, 479.5) at depth 4: X = 125 * 4 / 500 = 1, Y = 240 * 4 / 480 = 2.
    expect(Array.from(unprojectPoint(vec3.create(), [444.5, 479.5], 4, K))).toEqual([1, 2, 4]);
  });

  it('gl-matrix style: writes into out, returns out, does not modify inputs, works in place', () => {
    const p = vec3.fromValues(1, 2, 4);
    const out = vec2.create();
    expect(projectPoint(out, p, K)).toBe(out);
    expect(Array.from(p)).toEqual([1, 2, 4]);
    const px = vec2.fromValues(10, 20);
    const o3 = vec3.create();
    expect(unprojectPoint(o3, px, 2, K)).toBe(o3);
    expect(Array.from(px)).toEqual([10, 20]);
    // In place: out is the input.
    const q = new Float64Array([1, 2, 4]);
    projectPoint(q, q, K);
    expect(Array.from(q.subarray(0, 2))).toEqual([444.5, 479.5]);
    const r = new Float64Array([444.5, 479.5, 0]);
    unprojectPoint(r, r, 4, K);
    expect(Array.from(r)).toEqual([1, 2, 4]);
  });
});

describe('projectPoints', () => {
  it('matches projectPoint and gives NaN behind the camera', () => {
    const points = Float32Array.of(1, 2, 4, 0, 0, -1, 0, 0, 0, 3, -1, 2);
    const out = new Float32Array(8);
    expect(projectPoints(out, points, K)).toBe(out);
    expect(Array.from(out.subarray(0, 2))).toEqual([444.5, 479.5]);
    expect(Number.isNaN(out[2]!) && Number.isNaN(out[3]!) && Number.isNaN(out[4]!)).toBe(true);
    expect(out[6]).toBeCloseTo(500 * 1.5 + 319.5, 3);
    expect(out[7]).toBeCloseTo(-240 + 239.5, 3);
    expect(Array.from(points)).toEqual([1, 2, 4, 0, 0, -1, 0, 0, 0, 3, -1, 2]);
  });

  it('rejects bad input', () => {
    expect(() => projectPoints(new Float32Array(2), [1, 2], K)).toThrow(new RangeError('projectPoints: points.length (2) must be a multiple of 3'));
    expect(() => projectPoints(new Float32Array(1), [1, 2, 3], K)).toThrow(
      new RangeError('projectPoints: out.length (1) must be at least points.length / 3 * 2 (2)'),
    );
    expect(() => projectPoints([0, 0] as unknown as Float32Array, [1, 2, 3], K)).toThrow(
      new TypeError('projectPoints: out (Array(2)) must be a Float32Array or Float64Array'),
    );
  });
});

describe('unprojectDepth', () => {
  // 3 x 2 depth map (width 3, height 2), one missing value (0) and one NaN.
  const width = 3;
  const height = 2;
  const k: Intrinsics = { fx: 2, fy: 4, cx: 1, cy: 0.5 };
  const depth = Float32Array.of(2, 0, 4, 1, Number.NaN, 8);

  it('unprojects valid pixels in row-major order and returns the count (hand-computed)', () => {
    const out = new Float32Array(3 * 6).fill(-7);
    const indices = new Uint32Array(6);
    const count = unprojectDepth(out, depth, width, height, k, { indices });
    expect(count).toBe(4);
    // pixel (0,0) z=2: X = (0-1)*2/2 = -1, Y = (0-0.5)*2/4 = -0.25
    // pixel (2,0) z=4: X = (2-1)*4/2 = 2,  Y = -0.5*4/4 = -0.5
    // pixel (0,1) z=1: X = -1*1/2 = -0.5,  Y = 0.5*1/4 = 0.125
    // pixel (2,1) z=8: X = 1*8/2 = 4,      Y = 0.5*8/4 = 1
    expect(Array.from(out.subarray(0, 12))).toEqual([-1, -0.25, 2, 2, -0.5, 4, -0.5, 0.125, 1, 4, 1, 8]);
    expect(Array.from(out.subarray(12))).toEqual([-7, -7, -7, -7, -7, -7]);
    expect(Array.from(indices.subarray(0, 4))).toEqual([0, 2, 3, 5]);
  });

  it('applies stride and mask', () => {
    const out = new Float32Array(18);
    // stride 2 samples columns 0, 2 and row 0 only.
    expect(unprojectDepth(out, depth, width, height, k, { stride: 2 })).toBe(2);
    expect(Array.from(out.subarray(0, 6))).toEqual([-1, -0.25, 2, 2, -0.5, 4]);
    const mask = Uint8Array.of(1, 1, 0, 1, 1, 1);
    expect(unprojectDepth(out, depth, width, height, k, { mask })).toBe(3);
    expect(Array.from(out.subarray(3, 9))).toEqual([-0.5, 0.125, 1, 4, 1, 8]);
    expect(sampledPixelCount(1920, 1080, 4)).toBe(480 * 270);
  });

  it('round-trips with projectPoints (property)', () => {
    fc.assert(
      fc.property(intrinsicsArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (kk, w, h, seed) => {
        const d = new Float64Array(w * h);
        let s = seed >>> 0;
        for (let i = 0; i < d.length; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          d[i] = 0.1 + (s / 4294967296) * 50;
        }
        const pts = new Float64Array(3 * w * h);
        const idx = new Int32Array(w * h);
        const n = unprojectDepth(pts, d, w, h, kk, { indices: idx });
        expect(n).toBe(w * h);
        const px = projectPoints(new Float64Array(2 * n), pts, kk);
        for (let i = 0; i < n; i++) {
          expect(px[2 * i]).toBeCloseTo(idx[i]! % w, 6);
          expect(px[2 * i + 1]).toBeCloseTo(Math.floor(idx[i]! / w), 6);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('does not modify its inputs', () => {
    const copy = Float32Array.from(depth);
    unprojectDepth(new Float32Array(18), depth, width, height, k);
    expect(Array.from(depth)).toEqual(Array.from(copy));
  });

  it('rejects bad input with messages naming the argument and value', () => {
    const out = new Float32Array(18);
    expect(() => unprojectDepth(out, new Float32Array(100), 10, 12, k)).toThrow(
      new RangeError('unprojectDepth: depth.length (100) must equal width * height (120)'),
    );
    expect(() => unprojectDepth(out, [], 0, 0, k)).toThrow(new RangeError('unprojectDepth: width (0) must be >= 1'));
    expect(() => unprojectDepth(new Float32Array(3), depth, width, height, k)).toThrow(
      new RangeError('unprojectDepth: out.length (3) must be at least 3 * ceil(width / stride) * ceil(height / stride) (18)'),
    );
    expect(() => unprojectDepth(out, depth, width, height, { ...k, fx: Number.NaN })).toThrow(
      new RangeError('unprojectDepth: intrinsics.fx (NaN) must be a finite number'),
    );
    expect(() => unprojectDepth(out, depth, width, height, { ...k, cy: Infinity })).toThrow(
      new RangeError('unprojectDepth: intrinsics.cy (Infinity) must be a finite number'),
    );
    expect(() => unprojectDepth(out, depth, width, height, { ...k, fy: -1 })).toThrow(
      new RangeError('unprojectDepth: intrinsics.fy (-1) must be > 0'),
    );
    expect(() => unprojectDepth(out, depth, width, height, null as unknown as Intrinsics)).toThrow(
      new TypeError('unprojectDepth: intrinsics (null) must be an object { fx, fy, cx, cy } in pixels'),
    );
    expect(() => unprojectDepth(out, depth, width, height, k, { stride: 0 })).toThrow(
      new RangeError('unprojectDepth: options.stride (0) must be >= 1'),
    );
    expect(() => unprojectDepth(out, depth, width, height, k, { mask: [1] })).toThrow(
      new RangeError('unprojectDepth: options.mask.length (1) must equal width * height (6)'),
    );
    expect(() => unprojectDepth(out, 'x' as unknown as number[], width, height, k)).toThrow(TypeError);
  });
});

describe('intrinsics helpers', () => {
  it('validateIntrinsics accepts good and rejects non-finite intrinsics', () => {
    expect(() => validateIntrinsics(K)).not.toThrow();
    expect(() => validateIntrinsics({ ...K, cx: Number.NaN })).toThrow(
      new RangeError('validateIntrinsics: intrinsics.cx (NaN) must be a finite number'),
    );
    expect(() => validateIntrinsics({ ...K, fx: '500' })).toThrow(
      new TypeError('validateIntrinsics: intrinsics.fx (string "500") must be a number'),
    );
    expect(() => validateIntrinsics({ fx: 1, fy: 1, cx: 0 })).toThrow(TypeError);
  });

  it('reads row-major 3x3 matrices and gl-matrix mat3, and writes mat3', () => {
    const k = intrinsicsFromMatrix([
      [500, 0, 319.5],
      [0, 480, 239.5],
      [0, 0, 1],
    ]);
    expect(k).toEqual(K);
    const m = intrinsicsToMat3(mat3.create(), K);
    expect(Array.from(m)).toEqual([500, 0, 0, 0, 480, 0, 319.5, 239.5, 1]);
    expect(intrinsicsFromMat3(m)).toEqual(K);
    expect(() => intrinsicsFromMatrix([[1, 0, 0]])).toThrow(new RangeError('intrinsicsFromMatrix: matrix.length (1) must equal 3 (rows)'));
    expect(() =>
      intrinsicsFromMatrix([
        [Infinity, 0, 1],
        [0, 1, 1],
        [0, 0, 1],
      ]),
    ).toThrow(new RangeError('intrinsicsFromMatrix: matrix.fx (Infinity) must be a finite number'));
  });

  it('resizeIntrinsics keeps the corner pixel centres fixed', () => {
    // 640x480 -> 320x240: sx = 319 / 639, the principal point at the centre stays at the centre.
    const r = resizeIntrinsics(K, { width: 640, height: 480 }, { width: 320, height: 240 });
    expect(r.cx).toBeCloseTo(159.5, 12);
    expect(r.cy).toBeCloseTo(119.5, 12);
    expect(r.fx).toBeCloseTo((500 * 319) / 639, 12);
    expect(() => resizeIntrinsics(K, { width: 1, height: 480 }, { width: 320, height: 240 })).toThrow(RangeError);
  });
});

describe('pixel <-> normalised coordinates', () => {
  it('uses u = x / (W - 1), v = y / (H - 1)', () => {
    expect(Array.from(pixelToNormalized(vec2.create(), [0, 0], 434, 350))).toEqual([0, 0]);
    expect(Array.from(pixelToNormalized(new Float64Array(2), [433, 349], 434, 350))).toEqual([1, 1]);
    expect(Array.from(pixelToNormalized(new Float64Array(2), [216.5, 174.5], 434, 350))).toEqual([0.5, 0.5]);
    expect(Array.from(normalizedToPixel(new Float64Array(2), [0.5, 1], 434, 350))).toEqual([216.5, 349]);
  });

  it('round-trips (property), single and batched, in place', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4096 }),
        fc.integer({ min: 2, max: 4096 }),
        fc.array(fc.double({ min: -10, max: 5000, noNaN: true }), { minLength: 2, maxLength: 40 }),
        (w, h, values) => {
          const xy = Float64Array.from(values.length % 2 ? values.slice(1) : values);
          const copy = Float64Array.from(xy);
          const uv = pixelsToNormalized(new Float64Array(xy.length), xy, w, h);
          expect(Array.from(xy)).toEqual(Array.from(copy));
          const back = normalizedToPixels(uv, uv, w, h); // in place
          expect(back).toBe(uv);
          for (let i = 0; i < xy.length; i++) expect(back[i]).toBeCloseTo(xy[i]!, 8);
          const one = normalizedToPixel(vec2.create(), pixelToNormalized(new Float64Array(2), [xy[0]!, xy[1]!], w, h), w, h);
          expect(one[0]).toBeCloseTo(xy[0]!, 2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects bad sizes and odd lengths', () => {
    expect(() => pixelsToNormalized(new Float32Array(2), [1, 2], 1, 10)).toThrow(
      new RangeError('pixelsToNormalized: width (1) must be >= 2'),
    );
    expect(() => normalizedToPixels(new Float32Array(3), [1, 2, 3], 10, 10)).toThrow(
      new RangeError('normalizedToPixels: input.length (3) must be a multiple of 2'),
    );
  });
});
