import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../test-utils.js';
import { roundHalfEven, tapVid3dMetrics } from './tracks-3d.js';

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

describe('tapVid3dMetrics: the other reference protocols', () => {
  /** A random scene: gt in front of the camera, all visible. */
  function scene(seed: number, frames: number, points: number): { xyz: Float64Array; visible: Uint8Array } {
    const rng = mulberry32(seed);
    const xyz = Float64Array.from({ length: 3 * frames * points }, (_, i) => (i % 3 === 2 ? 1 + 5 * rng() : 2 * rng() - 1));
    return { xyz, visible: new Uint8Array(frames * points).fill(1) };
  }
  const intrinsics = { fx: 300, fy: 200 };

  it("'per-trajectory' recovers a different scale on every track from its query frame (property)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const frames = 4;
        const points = 6;
        const gt = scene(seed, frames, points);
        const rng = mulberry32(seed ^ 0x5eed);
        const s = Array.from({ length: points }, () => Math.exp(4 * rng() - 2));
        const xyz = gt.xyz.map((v, i) => v / s[Math.floor(i / 3) % points]!);
        const queryFrames = Array.from({ length: points }, () => Math.floor(frames * rng()));
        const pred = { xyz, visible: gt.visible };
        const m = tapVid3dMetrics(pred, gt, { frames, points, intrinsics, scaling: 'per-trajectory', queryFrames, trackwise: true });
        for (let n = 0; n < points; n++) expect(Math.abs(m.trackScales![n]! / s[n]! - 1)).toBeLessThan(1e-12);
        expect(m.scale).toBeNaN();
        expect(m.averagePtsWithin).toBe(1);
        expect(Array.from(m.perTrack!.averageJaccard)).toEqual(new Array(points).fill(1));
        // One global scale cannot fit them all.
        expect(tapVid3dMetrics(pred, gt, { frames, points, intrinsics }).averagePtsWithin).toBeLessThan(1);
      }),
      { numRuns: 50 },
    );
  });

  it("'reproduce-2d' ignores depth errors along the ray and keeps the reprojection error", () => {
    // gt (0, 0, 10) and (1, 0, 10) with fx = fy = 100: predicted at twice / half the depth along
    // the same ray -> exact. Third point: off by one pixel sideways (0.1 m at depth 10) -> within
    // for delta >= 2 only (error 0.1 is not < 0.1).
    const gt = { xyz: [0, 0, 10, 1, 0, 10, 0, 0, 10], visible: [1, 1, 1] };
    const pred = { xyz: [0, 0, 20, 0.5, 0, 5, 0.01, 0, 1], visible: [1, 1, 1] };
    const m = tapVid3dMetrics(pred, gt, { frames: 1, points: 3, intrinsics: { fx: 100, fy: 100 }, scaling: 'reproduce-2d' });
    expect(m.ptsWithin[0]).toBeCloseTo(2 / 3, 15);
    expect(m.ptsWithin.slice(1)).toEqual([1, 1, 1, 1]);
    expect(m.scale).toBeNaN();
    expect(m.trackScales).toBeUndefined();
  });

  it("'median-on-queries' takes the median over the query frames only", () => {
    // frames 2, points 3 (frame-major). Query frames [0, 1, 1]: norms at the queries gt {1, 2, 3},
    // pred {2, 4, 6} -> scale 0.5; the other frame (pred 100x too big) does not vote.
    const gt = { xyz: [0, 0, 1, 0, 0, 9, 0, 0, 9, 0, 0, 9, 0, 0, 2, 0, 0, 3], visible: [1, 1, 1, 1, 1, 1] };
    const pred = { xyz: [0, 0, 2, 0, 0, 900, 0, 0, 900, 0, 0, 900, 0, 0, 4, 0, 0, 6], visible: [1, 1, 1, 1, 1, 1] };
    const opts = { frames: 2, points: 3, intrinsics: { fx: 1, fy: 1 }, queryFrames: [0, 1, 1] };
    expect(tapVid3dMetrics(pred, gt, { ...opts, scaling: 'median-on-queries' }).scale).toBe(0.5);
    expect(tapVid3dMetrics(pred, gt, { ...opts, scaling: 'median' }).scale).not.toBe(0.5);
  });

  it('fixed metric thresholds are 0.01 delta^2 in ground-truth units, whatever the depth and focal length', () => {
    // Errors 0.005, 0.03, 0.1, 0.5, 2, 3 m -> within 1 / 2 / 3 / 4 / 5 of the radii 0.01, 0.04, 0.16, 0.64, 2.56.
    const errs = [0.005, 0.03, 0.1, 0.5, 2, 3];
    const gt = { xyz: errs.flatMap(() => [0, 0, 50]), visible: errs.map(() => 1) };
    const pred = { xyz: errs.flatMap((e) => [e, 0, 50]), visible: errs.map(() => 1) };
    const m = tapVid3dMetrics(pred, gt, { frames: 1, points: 6, intrinsics: { fx: 1e4, fy: 1e4 }, scaling: 'none', fixedMetricThreshold: true });
    expect(m.ptsWithin).toEqual([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6]);
  });

  it("'local-neighborhood' scores each track's neighbourhood with its scale, weighted to the track's visible count", () => {
    // One frame, three tracks. Tracks 0 and 1 are 0.03 apart (neighbours at radius 0.05); track 2
    // is far. Query frame 0; pred depths give scales 1, 2, 1. Neighbourhood 0 = {0, 1} with scale
    // 1: track 1's prediction (half its depth) is wrong there; neighbourhood 1 = {0, 1} with scale
    // 2: track 0's prediction is wrong; neighbourhood 2 = {2}. Each neighbourhood weighs 1 / 2, 1 / 2, 1.
    // fx = fy = 1000 at depth 1: thresholds 0.001 delta, so the wrong ones are never within.
    const gt = { xyz: [0, 0, 1, 0.03, 0, 1, 5, 5, 1], visible: [1, 1, 1] };
    const pred = { xyz: [0, 0, 1, 0.015, 0, 0.5, 5, 5, 1], visible: [1, 1, 1] };
    const m = tapVid3dMetrics(pred, gt, {
      frames: 1,
      points: 3,
      intrinsics: { fx: 1000, fy: 1000 },
      scaling: 'local-neighborhood',
      queryFrames: [0, 0, 0],
      trackwise: true,
    });
    expect(Array.from(m.trackScales!)).toEqual([1, 2, 1]);
    expect(Array.from(m.perTrack!.averagePtsWithin)).toEqual([0.5, 0.5, 1]);
    // (0.5 * 1 + 0.5 * 1 + 1 * 1) / (0.5 * 2 + 0.5 * 2 + 1 * 1) = 2 / 3
    expect(m.averagePtsWithin).toBeCloseTo(2 / 3, 15);
    // With a radius that separates 0 and 1, every neighbourhood is its own track: all exact.
    const apart = tapVid3dMetrics(pred, gt, { frames: 1, points: 3, intrinsics: { fx: 1000, fy: 1000 }, scaling: 'local-neighborhood', queryFrames: [0, 0, 0], localNeighborhoodRadius: 0.01 });
    expect(apart.averagePtsWithin).toBe(1);
  });

  it('trackwise: per-track metrics pool to the video metrics when every track has the same count', () => {
    const frames = 5;
    const points = 4;
    const gt = scene(3, frames, points);
    const rng = mulberry32(4);
    const pred = { xyz: gt.xyz.map((v) => v * (1 + 0.05 * (rng() - 0.5))), visible: gt.visible.map(() => (rng() < 0.8 ? 1 : 0)) };
    const m = tapVid3dMetrics(pred, gt, { frames, points, intrinsics, trackwise: true });
    const t = m.perTrack!;
    expect(t.ptsWithin).toHaveLength(5);
    expect(t.ptsWithin[0]).toHaveLength(points);
    const mean = (a: Float64Array): number => a.reduce((s, x) => s + x, 0) / a.length;
    // gt is fully visible, so every track has `frames` gt-visible points: the video APD is their mean.
    expect(mean(t.averagePtsWithin)).toBeCloseTo(m.averagePtsWithin, 14);
    expect(mean(t.occlusionAccuracy)).toBeCloseTo(m.occlusionAccuracy, 14);
    expect(tapVid3dMetrics(pred, gt, { frames, points, intrinsics }).perTrack).toBeUndefined();
  });

  it('query frames round half to even, as NumPy', () => {
    expect([0.5, 1.5, 2.5, 3.49, -0.5, 7].map(roundHalfEven)).toEqual([0, 2, 2, 3, -0, 7]);
  });

  it('rejects bad options, naming them', () => {
    const track = { xyz: [0, 0, 1, 0, 0, 2], visible: [1, 1] };
    const opts = { frames: 2, points: 1, intrinsics: { fx: 1, fy: 1 } };
    expect(() => tapVid3dMetrics(track, track, { ...opts, scaling: 'per-trajectory' })).toThrow(
      new TypeError("tapVid3dMetrics: options.queryFrames (undefined) must give each track's query frame when options.scaling is 'per-trajectory'"),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, scaling: 'per_trajectory' as never })).toThrow(
      new RangeError(
        "tapVid3dMetrics: options.scaling ('per_trajectory') must be one of 'median', 'mean', 'none', 'median-on-queries', 'per-trajectory', 'local-neighborhood', 'reproduce-2d'",
      ),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, scaling: 'median-on-queries', queryFrames: [2] })).toThrow(
      new RangeError('tapVid3dMetrics: options.queryFrames[0] (2) must be a frame index in [0, 1]'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, queryFrames: [0, 1] })).toThrow(
      new RangeError('tapVid3dMetrics: options.queryFrames.length (2) must equal options.points (1)'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, fixedMetricThreshold: 1 as never })).toThrow(
      new TypeError('tapVid3dMetrics: options.fixedMetricThreshold (1) must be a boolean'),
    );
    expect(() => tapVid3dMetrics(track, track, { ...opts, trackwise: 'yes' as never })).toThrow(TypeError);
    expect(() => tapVid3dMetrics(track, track, { ...opts, localNeighborhoodRadius: 0 })).toThrow(
      new RangeError('tapVid3dMetrics: options.localNeighborhoodRadius (0) must be > 0'),
    );
  });
});
