import fc from 'fast-check';
import { mat3, mat4, vec3 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import {
  cameraCenter,
  cameraCenters,
  composePoses,
  formatTum,
  invertPose,
  parseTum,
  poseFromRowMajor,
  poseRotation,
  poseToRowMajor,
  poseToRowMajorFlat,
  relativePose,
  transformPoints,
  transformPose,
} from './pose.js';
import { trajectoryMetrics } from './metrics/trajectory.js';
import { gaussian, maxAbsDiff, mulberry32, poseFrom, randomRotation } from './test-utils.js';

function randomPose(seed: number, type: 'f32' | 'f64' = 'f64'): Float64Array | Float32Array {
  const rng = mulberry32(seed);
  return poseFrom(randomRotation(rng), [5 * gaussian(rng), 5 * gaussian(rng), 5 * gaussian(rng)], type);
}

const identity = Array.from(mat4.create());

describe('compose / invert / relative', () => {
  it('pose * inverse(pose) = I and inverse(inverse(pose)) = pose (property)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const p = randomPose(seed);
        const inv = invertPose(new Float64Array(16), p);
        expect(maxAbsDiff(composePoses(new Float64Array(16), p, inv), identity)).toBeLessThan(1e-12);
        expect(maxAbsDiff(composePoses(new Float64Array(16), inv, p), identity)).toBeLessThan(1e-12);
        expect(maxAbsDiff(invertPose(new Float64Array(16), inv), p)).toBeLessThan(1e-12);
        // Agrees with the general inverse.
        expect(maxAbsDiff(inv, mat4.invert(new Float64Array(16), p)!)).toBeLessThan(1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('inverts similarity transforms too', () => {
    const p = randomPose(3);
    const s = mat4.fromScaling(new Float64Array(16), [2.5, 2.5, 2.5]);
    const sim = mat4.multiply(new Float64Array(16), p, s);
    const inv = invertPose(new Float64Array(16), sim);
    expect(maxAbsDiff(composePoses(new Float64Array(16), sim, inv), identity)).toBeLessThan(1e-12);
  });

  it('composition is associative and relativePose(a, b) = a^-1 b, so a * relative(a, b) = b (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.integer(), (s1, s2, s3) => {
        const a = randomPose(s1);
        const b = randomPose(s2);
        const c = randomPose(s3);
        const ab_c = composePoses(new Float64Array(16), composePoses(new Float64Array(16), a, b), c);
        const a_bc = composePoses(new Float64Array(16), a, composePoses(new Float64Array(16), b, c));
        expect(maxAbsDiff(ab_c, a_bc)).toBeLessThan(1e-10);
        const rel = relativePose(new Float64Array(16), a, b);
        expect(maxAbsDiff(composePoses(new Float64Array(16), a, rel), b)).toBeLessThan(1e-11);
        // relative(a, a) = I; relative(b, a) = relative(a, b)^-1.
        expect(maxAbsDiff(relativePose(new Float64Array(16), a, a), identity)).toBeLessThan(1e-12);
        expect(maxAbsDiff(relativePose(new Float64Array(16), b, a), invertPose(new Float64Array(16), rel))).toBeLessThan(1e-11);
      }),
      { numRuns: 200 },
    );
  });

  it('relative pose maps points from camera b into camera a (hand-computed)', () => {
    // a at the origin, b translated by +2 along world x: a point at b's origin is at x = 2 in a.
    const a = mat4.create();
    const b = mat4.fromTranslation(mat4.create(), [2, 0, 0]);
    const rel = relativePose(mat4.create(), a, b);
    expect(Array.from(transformPoints(new Float32Array(3), rel, [0, 0, 0]))).toEqual([2, 0, 0]);
  });

  it('gl-matrix style: out returned, inputs unchanged, aliasing out === input works', () => {
    const a = randomPose(1, 'f32');
    const b = randomPose(2, 'f32');
    const ca = Float32Array.from(a);
    const cb = Float32Array.from(b);
    const out = mat4.create();
    expect(composePoses(out, a, b)).toBe(out);
    expect(invertPose(out, a)).toBe(out);
    expect(relativePose(out, a, b)).toBe(out);
    expect(transformPose(out, a, b)).toBe(out);
    expect(Array.from(a)).toEqual(Array.from(ca));
    expect(Array.from(b)).toEqual(Array.from(cb));
    // Aliasing.
    const expected = relativePose(new Float64Array(16), a, b);
    const a2 = Float32Array.from(a);
    expect(maxAbsDiff(relativePose(a2, a2, b), expected)).toBeLessThan(1e-5);
    const b2 = Float32Array.from(b);
    expect(maxAbsDiff(relativePose(b2, a, b2), expected)).toBeLessThan(1e-5);
    const inv = invertPose(new Float64Array(16), a);
    const a3 = Float32Array.from(a);
    expect(maxAbsDiff(invertPose(a3, a3), inv)).toBeLessThan(1e-5);
    const comp = composePoses(new Float64Array(16), a, b);
    const a4 = Float32Array.from(a);
    expect(maxAbsDiff(composePoses(a4, a4, b), comp)).toBeLessThan(1e-5);
    const tp = transformPose(new Float64Array(16), a, b);
    const b3 = Float32Array.from(b);
    expect(maxAbsDiff(transformPose(b3, a, b3), tp)).toBeLessThan(1e-5);
  });
});

describe('transformPose', () => {
  it('moves the centre by the similarity and keeps the rotation orthonormal', () => {
    const rng = mulberry32(8);
    const r = randomRotation(rng);
    const sim = poseFrom(r, [1, 2, 3]);
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) sim[4 * c + k] = 3 * sim[4 * c + k]!;
    const pose = randomPose(9);
    const out = transformPose(new Float64Array(16), sim, pose);
    // centre = 3 R c + t
    const c = cameraCenter(new Float64Array(3), pose);
    const expected = [0, 1, 2].map((k) => 3 * (r[k]! * c[0]! + r[3 + k]! * c[1]! + r[6 + k]! * c[2]!) + [1, 2, 3][k]!);
    expect(maxAbsDiff(cameraCenter(new Float64Array(3), out), expected)).toBeLessThan(1e-12);
    const rot = poseRotation(new Float64Array(9), out);
    const rtr = mat3.multiply(new Float64Array(9), mat3.transpose(new Float64Array(9), rot), rot);
    expect(maxAbsDiff(rtr, Array.from(mat3.create()))).toBeLessThan(1e-12);
  });
});

describe('transformPoints', () => {
  it('equals vec3.transformMat4 per point, in place too (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 60 }), (seed, values) => {
        const pts = Float64Array.from(values.slice(0, values.length - (values.length % 3)));
        const pose = randomPose(seed);
        const copy = Float64Array.from(pts);
        const out = transformPoints(new Float64Array(pts.length), pose, pts);
        expect(Array.from(pts)).toEqual(Array.from(copy));
        for (let i = 0; i < pts.length; i += 3) {
          const v = vec3.transformMat4(new Float64Array(3), pts.subarray(i, i + 3), pose);
          expect(maxAbsDiff(out.subarray(i, i + 3), v)).toBeLessThan(1e-10);
        }
        expect(transformPoints(pts, pose, pts)).toBe(pts);
        expect(maxAbsDiff(pts, out)).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects bad input', () => {
    expect(() => transformPoints(new Float32Array(3), mat4.create(), [1, 2])).toThrow(
      new RangeError('transformPoints: points.length (2) must be a multiple of 3'),
    );
    expect(() => transformPoints(new Float32Array(3), new Float32Array(12), [1, 2, 3])).toThrow(
      new RangeError('transformPoints: pose.length (12) must equal 16 (a 4x4 matrix) (16)'),
    );
    const bad = mat4.create();
    bad[13] = Number.NaN;
    expect(() => transformPoints(new Float32Array(3), bad, [1, 2, 3])).toThrow(new RangeError('transformPoints: pose[13] (NaN) must be finite'));
  });
});

describe('row-major conversion', () => {
  const rows = [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
    [0, 0, 0, 1],
  ];

  it('reads nested and flat row-major matrices into column-major mat4 (hand-computed)', () => {
    const m = poseFromRowMajor(mat4.create(), rows);
    expect(Array.from(m)).toEqual([1, 5, 9, 0, 2, 6, 10, 0, 3, 7, 11, 0, 4, 8, 12, 1]);
    expect(Array.from(poseFromRowMajor(mat4.create(), rows.flat()))).toEqual(Array.from(m));
    expect(poseToRowMajor(m)).toEqual(rows);
    expect(poseToRowMajorFlat(new Array<number>(16), m)).toEqual(rows.flat());
  });

  it('round-trips (property) and works in place', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const p = randomPose(seed);
        expect(Array.from(poseFromRowMajor(new Float64Array(16), poseToRowMajor(p)))).toEqual(Array.from(p));
        const flat = poseToRowMajorFlat(new Float64Array(16), p);
        expect(Array.from(poseFromRowMajor(new Float64Array(16), flat))).toEqual(Array.from(p));
        const q = Float64Array.from(p);
        poseToRowMajorFlat(q, q);
        expect(Array.from(q)).toEqual(Array.from(flat));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects bad shapes and values', () => {
    expect(() => poseFromRowMajor(mat4.create(), rows.slice(0, 3))).toThrow(
      new RangeError('poseFromRowMajor: rows.length (3) must equal 4 (a 4x4 matrix)'),
    );
    expect(() => poseFromRowMajor(mat4.create(), [1, 2, 3])).toThrow(
      new RangeError('poseFromRowMajor: rows.length (3) must equal 16 (a flat row-major 4x4 matrix) (16)'),
    );
    expect(() => poseFromRowMajor(mat4.create(), [[1, 2, 3, Number.NaN], ...rows.slice(1)])).toThrow(
      new RangeError('poseFromRowMajor: rows[0][3] (NaN) must be finite'),
    );
    expect(() => poseFromRowMajor(mat4.create(), 'abc' as unknown as number[])).toThrow(TypeError);
  });
});

describe('camera centres and rotation', () => {
  it('reads the translation column and the 3x3 block', () => {
    const p = poseFromRowMajor(mat4.create(), [
      [0, -1, 0, 7],
      [1, 0, 0, 8],
      [0, 0, 1, 9],
      [0, 0, 0, 1],
    ]);
    expect(Array.from(cameraCenter(vec3.create(), p))).toEqual([7, 8, 9]);
    expect(Array.from(poseRotation(mat3.create(), p))).toEqual([0, 1, 0, -1, 0, 0, 0, 0, 1]);
    const out = new Float32Array(6);
    expect(cameraCenters(out, [p, mat4.create()])).toBe(out);
    expect(Array.from(out)).toEqual([7, 8, 9, 0, 0, 0]);
    expect(() => cameraCenters(new Float32Array(3), [p, p])).toThrow(
      new RangeError('cameraCenters: out.length (3) must be at least 3 * poses.length (6)'),
    );
  });
});

describe('TUM format', () => {
  it('parses lines (hand-computed: a 90 degree turn about z)', () => {
    const s = Math.SQRT1_2;
    const text = `# timestamp tx ty tz qx qy qz qw\n\n1.5 1 2 3 0 0 ${s} ${s}\n2.0\t0 0 0 0 0 0 1\n`;
    const t = parseTum(text);
    expect(Array.from(t.timestamps)).toEqual([1.5, 2]);
    expect(t.poses[0]).toBeInstanceOf(Float64Array);
    // R_z(90): x -> y, y -> -x. Column-major: col0 = (0, 1, 0), col1 = (-1, 0, 0).
    const expected = [0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 1];
    expect(maxAbsDiff(t.poses[0]!, expected)).toBeLessThan(1e-6);
    expect(Array.from(t.poses[1]!)).toEqual(identity);
  });

  it('format then parse round-trips (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 20 }), (seeds) => {
        const poses = seeds.map((s) => randomPose(s, 'f32') as Float32Array);
        const timestamps = Float64Array.from(seeds.map((_, i) => 1e9 + i * 0.033));
        const text = formatTum({ timestamps, poses });
        expect(text.split('\n').length).toBe(poses.length + 1);
        const back = parseTum(text);
        expect(Array.from(back.timestamps)).toEqual(Array.from(timestamps));
        for (let i = 0; i < poses.length; i++) expect(maxAbsDiff(back.poses[i]!, poses[i]!)).toBeLessThan(1e-6);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps float64 precision: translations as written, metrics as on float64 poses', () => {
    // A metre-scale trajectory with 1e-4 m errors: float32 positions (spacing 1.2e-7 m at 1 m) would
    // move the ATE by ~1e-3 relative; float64 agrees with the poses built from the numbers directly.
    const n = 20;
    const rng = mulberry32(7);
    const rows = Array.from({ length: n }, (_, i) => {
      const t = [1.234567891 + 0.1 * i, -0.987654321 + 0.05 * i, 2.718281828];
      return { t, noisy: t.map((x) => x + 1e-4 * gaussian(rng)) };
    });
    const text = (key: 't' | 'noisy'): string => rows.map((r, i) => `${i} ${r[key].join(' ')} 0 0 0 1`).join('\n');
    const gt = parseTum(text('t'));
    const pred = parseTum(text('noisy'));
    for (let i = 0; i < n; i++) expect(Array.from(gt.poses[i]!.subarray(12, 15))).toEqual(rows[i]!.t);
    const direct = (key: 't' | 'noisy'): Float64Array[] => rows.map((r) => Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, r[key][0]!, r[key][1]!, r[key][2]!, 1));
    const want = trajectoryMetrics(direct('noisy'), direct('t'), { alignment: 'none' });
    const got = trajectoryMetrics(pred.poses, gt.poses, { alignment: 'none' });
    expect(got.ate).toBe(want.ate);
    expect(got.rpeTranslation).toBe(want.rpeTranslation);
    const f32 = trajectoryMetrics(pred.poses.map((p) => Float32Array.from(p)), gt.poses.map((p) => Float32Array.from(p)), { alignment: 'none' });
    expect(Math.abs(f32.ate / want.ate - 1)).toBeGreaterThan(1e-6);
  });

  it('normalises quaternions and writes qw >= 0', () => {
    const t = parseTum('0 0 0 0 0 0 0 2\n');
    expect(Array.from(t.poses[0]!)).toEqual(identity);
    const flipped = parseTum('0 0 0 0 0 0 -0.7071067811865476 -0.7071067811865476\n');
    expect(formatTum(flipped).trim().split(' ').slice(4)).toEqual(['0', '0', '0.707106781', '0.707106781']);
  });

  it('rejects malformed lines and inputs', () => {
    expect(() => parseTum('1 2 3\n')).toThrow(
      new RangeError('parseTum: line 1 has 3 values ("1 2 3"); expected 8: timestamp tx ty tz qx qy qz qw'),
    );
    expect(() => parseTum('# c\n0 0 0 x 0 0 0 1')).toThrow(new RangeError('parseTum: line 2 value 4 ("x") must be a finite number'));
    expect(() => parseTum('0 0 0 0 0 0 0 0')).toThrow(new RangeError('parseTum: line 1 quaternion (0, 0, 0, 0) must have a non-zero norm'));
    expect(() => parseTum(42 as unknown as string)).toThrow(new TypeError('parseTum: text (42) must be a string'));
    expect(() => formatTum({ timestamps: [1, 2], poses: [mat4.create()] })).toThrow(
      new RangeError('formatTum: trajectory.poses.length (1) must equal trajectory.timestamps.length (2)'),
    );
  });
});
