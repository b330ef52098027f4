import fc from 'fast-check';
import { mat4 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import { transformPose } from '../pose.js';
import { gaussian, mulberry32, poseFrom, randomRotation } from '../test-utils.js';
import { absoluteTrajectoryError, relativePoseError, trajectoryLength, trajectoryMetrics } from './trajectory.js';

function randomTrajectory(seed: number, n: number): Float32Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => poseFrom(randomRotation(rng), [gaussian(rng), gaussian(rng), gaussian(rng)], 'f32') as Float32Array);
}

function similarity(seed: number, s: number): Float64Array {
  const rng = mulberry32(seed);
  const m = poseFrom(randomRotation(rng), [3 * gaussian(rng), 3 * gaussian(rng), 3 * gaussian(rng)]) as Float64Array;
  for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) m[4 * c + k] = s * m[4 * c + k]!;
  return m;
}

describe('trajectoryMetrics', () => {
  it('a trajectory moved by a random Sim(3) has ATE = RPE = 0 after Sim(3) alignment (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.integer({ min: 3, max: 30 }), (s1, s2, s, n) => {
        const gt = randomTrajectory(s1, n);
        const sim = similarity(s2, s);
        const pred = gt.map((p) => transformPose(new Float32Array(16), sim, p));
        const m = trajectoryMetrics(pred, gt);
        expect(m.ate).toBeLessThan(1e-5);
        expect(m.rpeTranslation).toBeLessThan(1e-5);
        expect(m.rpeRotation).toBeLessThan(1e-3); // degrees; float32 poses
        expect(m.scale * s).toBeCloseTo(1, 5);
        expect(m.pairs).toBe(n - 1);
        expect(m.count).toBe(n);
      }),
      { numRuns: 100 },
    );
  });

  it('handles collinear camera centres (pure forward motion)', () => {
    const gt = [0, 1, 2, 3].map((z) => mat4.fromTranslation(mat4.create(), [0, 0, z]));
    const pred = [0, 1, 2, 3].map((z) => mat4.fromTranslation(mat4.create(), [5, 5, 2 * z]));
    const m = trajectoryMetrics(pred, gt);
    expect(m.ate).toBeLessThan(1e-12);
    expect(m.scale).toBeCloseTo(0.5, 12);
    expect(m.rpeTranslation).toBeLessThan(1e-12);
  });

  it('matches hand-computed values without alignment', () => {
    // gt centres (0,0,0), (1,0,0); pred centres (0,0,0), (1,1,0), pred frame 1 rotated 10 deg about z.
    // ATE = sqrt((0 + 1) / 2); RPE translation: |(1,1,0) - (1,0,0)| = 1 (R_0 = I); rotation: 10 deg.
    const gt = [mat4.create(), mat4.fromTranslation(mat4.create(), [1, 0, 0])];
    const p1 = mat4.fromZRotation(new Float64Array(16), (10 * Math.PI) / 180);
    p1[12] = 1;
    p1[13] = 1;
    const pred = [mat4.create(), p1];
    const m = trajectoryMetrics(pred, gt, { alignment: 'none' });
    expect(m.ate).toBeCloseTo(Math.SQRT1_2, 12);
    expect(m.rpeTranslation).toBeCloseTo(1, 12);
    expect(m.rpeRotation).toBeCloseTo(10, 5);
    expect(m.scale).toBe(1);
    expect(absoluteTrajectoryError(pred, gt, { alignment: 'none' })).toBe(m.ate);
    expect(relativePoseError(pred, gt, { alignment: 'none' })).toEqual({ translation: m.rpeTranslation, rotation: m.rpeRotation, pairs: 1 });
  });

  it('RPE translation is measured after the Sim(3) scale (hand-computed)', () => {
    // pred = gt scaled by 2 (centres 0, 2, 4 on x); with 'se3' the relative translations differ
    // by 1 per step: RPE = 1; with 'sim3' the scale 0.5 is applied: RPE = 0.
    const gt = [0, 1, 2].map((x) => mat4.fromTranslation(mat4.create(), [x, 0, 0]));
    const pred = [0, 2, 4].map((x) => mat4.fromTranslation(mat4.create(), [x, 0, 0]));
    expect(relativePoseError(pred, gt, { alignment: 'se3' }).translation).toBeCloseTo(1, 12);
    expect(relativePoseError(pred, gt, { alignment: 'sim3' }).translation).toBeLessThan(1e-12);
    // ATE with se3: best rigid fit centres the two lines: errors (-1, 0, 1) -> sqrt(2/3)
    expect(absoluteTrajectoryError(pred, gt, { alignment: 'se3' })).toBeCloseTo(Math.sqrt(2 / 3), 12);
  });

  it('delta selects the frame offset; a single pose has no pairs', () => {
    const gt = randomTrajectory(1, 5);
    expect(trajectoryMetrics(gt, gt, { delta: 2 }).pairs).toBe(3);
    const one = trajectoryMetrics([gt[0]!], [gt[0]!], { alignment: 'se3' });
    expect(one.pairs).toBe(0);
    expect(one.rpeRotation).toBeNaN();
    expect(one.ate).toBe(0);
  });

  it('does not modify its inputs and rejects bad input', () => {
    const gt = randomTrajectory(2, 4);
    const copy = gt.map((p) => Float32Array.from(p));
    trajectoryMetrics(gt, gt);
    expect(gt).toEqual(copy);
    expect(() => trajectoryMetrics(gt, gt.slice(1))).toThrow(new RangeError('trajectoryMetrics: pred.length (4) must equal gt.length (3)'));
    expect(() => trajectoryMetrics([], [])).toThrow(new RangeError('trajectoryMetrics: gt.length (0) must be positive; the trajectory is empty'));
    const bad = Float32Array.from(gt[1]!);
    bad[12] = Number.NaN;
    expect(() => trajectoryMetrics([gt[0]!, bad, gt[2]!, gt[3]!], gt)).toThrow(new RangeError('trajectoryMetrics: pred[1][12] (NaN) must be finite'));
    expect(() => trajectoryMetrics([new Float32Array(9)], [gt[0]!])).toThrow(
      new RangeError('trajectoryMetrics: pred[0].length (9) must equal 16 (a 4x4 matrix) (16)'),
    );
    const same = [mat4.create(), mat4.create()];
    expect(() => trajectoryMetrics(same, gt.slice(0, 2))).toThrow(RangeError);
    expect(() => trajectoryMetrics(gt, gt, { delta: 0 })).toThrow(new RangeError('trajectoryMetrics: options.delta (0) must be >= 1'));
    expect(() => trajectoryMetrics('x' as unknown as Float32Array[], gt)).toThrow(TypeError);
  });
});

describe('trajectoryLength', () => {
  it('sums the distances between consecutive camera centres', () => {
    const pose = (x: number, y: number, z: number): Float32Array => Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, y, z, 1]);
    expect(trajectoryLength([])).toBe(0);
    expect(trajectoryLength([pose(1, 2, 3)])).toBe(0);
    expect(trajectoryLength([pose(0, 0, 0), pose(3, 4, 0), pose(3, 4, 2)])).toBeCloseTo(7, 6);
    expect(() => trajectoryLength([pose(0, 0, 0), new Float32Array(3)])).toThrow(/trajectoryLength: poses\[1\]\.length \(3\) must equal 16/);
  });
});
