import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../test-utils.js';
import { tapVid3dMetrics } from './tracks-3d.js';

describe('tapVid3dMetrics', () => {
  it('matches a hand-computed case (no scaling)', () => {
    // fx = fy = 100, gt z = 10: tau = delta * 10 / 100 = 0.1 delta -> 0.1, 0.2, 0.4, 0.8, 1.6.
    // p0: gt visible, pred visible, error 0.15  -> within for delta >= 2
    // p1: gt visible, pred occluded, error 0    -> within always, but a false negative
    // p2: gt occluded, pred visible             -> false positive always
    // p3: gt visible, pred visible, error 0.5   -> within for delta >= 8
    // gt visible = 3.
    // delta 1: within {p1} -> 1/3; TP 0; FP {p0, p2, p3} = 3 -> J = 0 / (3 + 3) = 0
    // delta 2: within {p0, p1} -> 2/3; TP {p0}; FP {p2, p3} -> J = 1 / 5
    // delta 4: same as delta 2 (0.5 > 0.4) -> 2/3, 1/5
    // delta 8, 16: within {p0, p1, p3} -> 1; TP {p0, p3}; FP {p2} -> J = 2 / 4
    // APD = (1/3 + 2/3 + 2/3 + 1 + 1) / 5 = 11/15; AJ = (0 + 0.2 + 0.2 + 0.5 + 0.5) / 5 = 0.28
    // OA: p0 and p3 agree, p1 and p2 disagree -> 0.5
    const gt = { xyz: [0, 0, 10, 1, 0, 10, 0, 1, 10, 0, 0, 10], visible: [1, 1, 0, 1] };
    const pred = { xyz: [0.15, 0, 10, 1, 0, 10, 0, 1, 10, 0, 0.5, 10], visible: [1, 0, 1, 1] };
    const m = tapVid3dMetrics(pred, gt, { frames: 1, points: 4, intrinsics: { fx: 100, fy: 100 }, scaling: 'none' });
    expect(m.ptsWithin).toEqual([1 / 3, 2 / 3, 2 / 3, 1, 1]);
    expect(m.jaccard).toEqual([0, 0.2, 0.2, 0.5, 0.5]);
    expect(m.averagePtsWithin).toBeCloseTo(11 / 15, 14);
    expect(m.averageJaccard).toBeCloseTo(0.28, 14);
    expect(m.occlusionAccuracy).toBe(0.5);
    expect(m.scale).toBe(1);
    expect(m.thresholds).toEqual([1, 2, 4, 8, 16]);
  });

  it('median scaling uses the points visible in both and recovers a global scale (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.01, max: 100, noNaN: true }), (seed, s) => {
        const rng = mulberry32(seed);
        const frames = 5;
        const points = 20;
        const n = frames * points;
        const gtXyz = Float32Array.from({ length: 3 * n }, (_, i) => (i % 3 === 2 ? 1 + 10 * rng() : 4 * rng() - 2));
        const predXyz = gtXyz.map((x) => x / s);
        const visible = Uint8Array.from({ length: n }, () => (rng() < 0.8 ? 1 : 0));
        const m = tapVid3dMetrics({ xyz: predXyz, visible }, { xyz: gtXyz, visible }, { frames, points, intrinsics: { fx: 500, fy: 400 } });
        expect(Math.abs(m.scale / s - 1)).toBeLessThan(1e-5);
        expect(m.averagePtsWithin).toBe(1);
        expect(m.averageJaccard).toBe(1);
        expect(m.occlusionAccuracy).toBe(1);
      }),
      { numRuns: 100 },
    );
  });

  it('median scale: a point occluded in the prediction does not vote (reference behaviour)', () => {
    // Norms visible in both: gt {1, 2, 3}, pred {2, 4, 6} -> scale = 2 / 4 = 0.5; the 4th point
    // (pred occluded, huge) is ignored.
    const gt = { xyz: [0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4], visible: [1, 1, 1, 1] };
    const pred = { xyz: [0, 0, 2, 0, 0, 4, 0, 0, 6, 0, 0, 1000], visible: [1, 1, 1, 0] };
    const m = tapVid3dMetrics(pred, gt, { frames: 2, points: 2, intrinsics: { fx: 1, fy: 1 } });
    expect(m.scale).toBe(0.5);
  });

  it('no point visible in both: the scale is NaN and nothing is within, as the reference (never-visible scores 0)', () => {
    // tapnet: nanmedian over an all-NaN set is NaN, so every scaled prediction is NaN and no
    // distance is below a threshold. The prediction equals the ground truth, so a scale of 1
    // would give APD3D 1 to a model that says "never visible".
    const gt = { xyz: [0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4], visible: [1, 1, 0, 1] };
    const pred = { xyz: gt.xyz, visible: [0, 0, 0, 0] };
    for (const scaling of ['median', 'mean'] as const) {
      const m = tapVid3dMetrics(pred, gt, { frames: 2, points: 2, intrinsics: { fx: 1, fy: 1 }, scaling });
      expect(m.scale).toBeNaN();
      expect(m.ptsWithin).toEqual([0, 0, 0, 0, 0]);
      expect(m.averagePtsWithin).toBe(0);
      // TP 0, gt visible 3, FP 0.
      expect(m.averageJaccard).toBe(0);
      expect(m.occlusionAccuracy).toBe(0.25);
    }
    // Visible in both on disjoint points: again nothing to take a median of.
    const disjoint = tapVid3dMetrics({ xyz: gt.xyz, visible: [0, 0, 1, 0] }, gt, { frames: 1, points: 4, intrinsics: { fx: 1, fy: 1 } });
    expect(disjoint.scale).toBeNaN();
    expect(disjoint.averagePtsWithin).toBe(0);
    // FP at every threshold: the gt-occluded point predicted visible -> J = 0 / (3 + 1).
    expect(disjoint.jaccard).toEqual([0, 0, 0, 0, 0]);
    // 'none' is unaffected: the same prediction scores 1 on APD3D.
    expect(tapVid3dMetrics(pred, gt, { frames: 2, points: 2, intrinsics: { fx: 1, fy: 1 }, scaling: 'none' }).averagePtsWithin).toBe(1);
  });

  it('visibility probabilities are thresholded at 0.5', () => {
    const gt = { xyz: [0, 0, 1], visible: [0.9] };
    const pred = { xyz: [0, 0, 1], visible: [0.4] };
    expect(tapVid3dMetrics(pred, gt, { frames: 1, points: 1, intrinsics: { fx: 1, fy: 1 } }).occlusionAccuracy).toBe(0);
  });

  it('does not modify its inputs and rejects bad input', () => {
    const xyz = Float32Array.of(0, 0, 1, 0, 0, 2);
    const visible = Uint8Array.of(1, 1);
    const track = { xyz, visible };
    tapVid3dMetrics(track, track, { frames: 1, points: 2, intrinsics: { fx: 1, fy: 1 } });
    expect(Array.from(xyz)).toEqual([0, 0, 1, 0, 0, 2]);
    const opts = { frames: 1, points: 2, intrinsics: { fx: 1, fy: 1 } };
    expect(() => tapVid3dMetrics({ xyz: [0, 0, 1], visible }, track, opts)).toThrow(
      new RangeError('tapVid3dMetrics: pred.xyz.length (3) must equal 3 * frames * points (6)'),
    );
    expect(() => tapVid3dMetrics(track, { xyz, visible: [1] }, opts)).toThrow(
      new RangeError('tapVid3dMetrics: gt.visible.length (1) must equal frames * points (2)'),
    );
    expect(() => tapVid3dMetrics({ xyz: [0, 0, 1, 0, Number.NaN, 2], visible }, track, opts)).toThrow(
      new RangeError('tapVid3dMetrics: pred.xyz[4] (NaN) must be finite'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, intrinsics: { fx: Number.NaN, fy: 1 } })).toThrow(
      new RangeError('tapVid3dMetrics: options.intrinsics.fx (NaN) must be a finite number'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, points: 0 })).toThrow(
      new RangeError('tapVid3dMetrics: options.points (0) must be >= 1'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, thresholds: [] })).toThrow(TypeError);
  });
});
