import { describe, expect, it } from 'vitest';
import { tapVidMetrics } from './tracks-2d.js';

describe('tapVidMetrics', () => {
  // 2 frames x 2 tracks, frame-major; coordinates already in the 256 x 256 raster.
  // frame 1: p0 gt (10, 10) visible, pred (11.5, 10) visible -> error 1.5 px (within for delta >= 2)
  //          p1 gt occluded, pred occluded -> correct occlusion, no false positive
  // frame 0 holds the query points (garbage predictions, not evaluated in 'first' mode).
  const gt = { xy: [10, 10, 50, 50, 10, 10, 50, 50], visible: [1, 1, 1, 0] };
  const pred = { xy: [99, 99, 0, 0, 11.5, 10, 50, 50], visible: [0, 0, 1, 0] };

  it('matches a hand-computed case (query mode first)', () => {
    // Evaluated: frame 1 only (2 points). gt visible = 1.
    // delta 1: within 0 -> 0; TP 0; FP {p0} -> J = 0 / (1 + 1) = 0
    // delta 2..16: within 1 -> 1; TP 1; FP 0 -> J = 1
    // <delta_avg = AJ = 4/5; OA = 2/2 = 1
    const m = tapVidMetrics(pred, gt, { frames: 2, points: 2, width: 256, height: 256, queryFrames: [0, 0] });
    expect(m.evaluated).toBe(2);
    expect(m.ptsWithin).toEqual([0, 1, 1, 1, 1]);
    expect(m.jaccard).toEqual([0, 1, 1, 1, 1]);
    expect(m.averagePtsWithin).toBeCloseTo(0.8, 14);
    expect(m.averageJaccard).toBeCloseTo(0.8, 14);
    expect(m.occlusionAccuracy).toBe(1);
  });

  it('without query frames every frame is evaluated (hand-computed)', () => {
    // Frame 0 now counts: p0 gt visible, pred occluded, far -> FN; p1 gt visible, pred occluded -> FN.
    // gt visible = 3; OA: frame 0 two disagreements -> 2/4 = 0.5
    // delta 1: within 0 -> 0/3; TP 0; FP {f1 p0} = 1 -> 0 / 4 = 0
    // delta 2..16: within {f1 p0} (f0 p0 is 89 px away, f0 p1 ~71 px) -> 1/3; TP 1; FP 0 -> 1/3
    const m = tapVidMetrics(pred, gt, { frames: 2, points: 2, width: 256, height: 256 });
    expect(m.evaluated).toBe(4);
    expect(m.occlusionAccuracy).toBe(0.5);
    expect(m.ptsWithin).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 1 / 3]);
    expect(m.jaccard).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 1 / 3]);
  });

  it('strided mode evaluates every frame except the query frame', () => {
    // Query at frame 1: only frame 0 is evaluated.
    const m = tapVidMetrics(pred, gt, { frames: 2, points: 2, width: 256, height: 256, queryFrames: [1, 1], queryMode: 'strided' });
    expect(m.evaluated).toBe(2);
    expect(m.occlusionAccuracy).toBe(0);
  });

  it('scales pixel coordinates to the 256 x 256 raster', () => {
    // 512 x 128 image: an x error of 3 px is 1.5 px in the raster, a y error of 0.9 px is 1.8 px.
    const g = { xy: [100, 100], visible: [1] };
    const px = tapVidMetrics({ xy: [103, 100], visible: [1] }, g, { frames: 1, points: 1, width: 512, height: 128 });
    expect(px.ptsWithin).toEqual([0, 1, 1, 1, 1]);
    const py = tapVidMetrics({ xy: [100, 100.9], visible: [1] }, g, { frames: 1, points: 1, width: 512, height: 128 });
    expect(py.ptsWithin).toEqual([0, 1, 1, 1, 1]);
    const pz = tapVidMetrics({ xy: [100, 101.1], visible: [1] }, g, { frames: 1, points: 1, width: 512, height: 128 });
    expect(pz.ptsWithin).toEqual([0, 0, 1, 1, 1]);
  });

  it('perfect prediction scores 1', () => {
    const m = tapVidMetrics(gt, gt, { frames: 2, points: 2, width: 640, height: 480 });
    expect([m.averagePtsWithin, m.averageJaccard, m.occlusionAccuracy]).toEqual([1, 1, 1]);
  });

  it('query frames round half to even, as np.round in the reference', () => {
    // 3 frames, 1 track, 'first': frames after the query are evaluated. 0.5 -> 0 (2 frames; a
    // half-up rounding would give 1 and 1 frame), 1.5 -> 2 (none).
    const one = { xy: [0, 0, 0, 0, 0, 0], visible: [1, 1, 1] };
    const opts = { frames: 3, points: 1, width: 256, height: 256 };
    expect(tapVidMetrics(one, one, { ...opts, queryFrames: [0.5] }).evaluated).toBe(2);
    expect(tapVidMetrics(one, one, { ...opts, queryFrames: [1.5] }).evaluated).toBe(0);
    expect(tapVidMetrics(one, one, { ...opts, queryFrames: [2.5], queryMode: 'strided' }).evaluated).toBe(2);
  });

  it('does not modify its inputs and rejects bad input', () => {
    const xy = Float32Array.of(1, 2);
    tapVidMetrics({ xy, visible: [1] }, { xy, visible: [1] }, { frames: 1, points: 1, width: 10, height: 10 });
    expect(Array.from(xy)).toEqual([1, 2]);
    const opts = { frames: 2, points: 2, width: 256, height: 256 };
    expect(() => tapVidMetrics({ xy: [1, 2], visible: [1, 1, 1, 1] }, gt, opts)).toThrow(
      new RangeError('tapVidMetrics: pred.xy.length (2) must equal 2 * frames * points (8)'),
    );
    expect(() => tapVidMetrics(pred, gt, { ...opts, queryFrames: [0, 2] })).toThrow(
      new RangeError('tapVidMetrics: options.queryFrames[1] (2) must be a frame index in [0, 1]'),
    );
    expect(() => tapVidMetrics(pred, { ...gt, xy: [1, 2, 3, 4, 5, 6, 7, Infinity] }, opts)).toThrow(
      new RangeError('tapVidMetrics: gt.xy[7] (Infinity) must be finite'),
    );
    expect(() => tapVidMetrics(pred, gt, { ...opts, width: 0 })).toThrow(new RangeError('tapVidMetrics: options.width (0) must be > 0'));
    expect(() => tapVidMetrics(pred, gt, { ...opts, queryMode: 'last' as 'first' })).toThrow(RangeError);
  });
});
