/**
 * tapVid3dMetrics against values computed by the definitions of tapnet's
 * `compute_tapvid3d_metrics` (every scaling mode, fixed metric thresholds, track-wise metrics),
 * from the NumPy script `test/reference/tapvid3d-reference.py` and its committed output
 * `test/reference/tapvid3d-cases.json` (NaN written as null).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tapVid3dMetrics, type TapVid3dScaling } from './tracks-3d.js';

type Num = number | null;
interface Expected {
  averagePtsWithin: Num;
  averageJaccard: Num;
  occlusionAccuracy: Num;
  ptsWithin: Num[];
  jaccard: Num[];
  scale: Num;
  trackScales?: Num[];
  perTrack: { averagePtsWithin: Num[]; averageJaccard: Num[]; occlusionAccuracy: Num[]; ptsWithin: Num[][]; jaccard: Num[][] };
}
interface Case {
  name: string;
  frames: number;
  points: number;
  intrinsics: { fx: number; fy: number };
  scaling: TapVid3dScaling;
  fixedMetricThreshold: boolean;
  localNeighborhoodRadius: number;
  queryFrames: number[];
  gt: { xyz: number[]; visible: number[] };
  pred: { xyz: number[]; visible: number[] };
  expected: Expected;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(here, '../../test/reference/tapvid3d-cases.json'), 'utf8')) as { cases: Case[] };

/** Agreement to 1e-9 (relative above 1); null in the fixture is NaN. */
function expectClose(actual: ArrayLike<number>, expected: readonly Num[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (e === null) expect(a, `${what}[${i}]`).toBeNaN();
    else expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
  }
}

describe('tapVid3dMetrics against the reference definitions (tapnet compute_tapvid3d_metrics)', () => {
  it('the fixture covers every scaling mode with and without fixed metric thresholds', () => {
    const seen = new Set(fixture.cases.map((c) => `${c.scaling} ${c.fixedMetricThreshold}`));
    for (const s of ['median', 'mean', 'none', 'median-on-queries', 'per-trajectory', 'local-neighborhood', 'reproduce-2d']) {
      expect(seen.has(`${s} false`) && seen.has(`${s} true`), s).toBe(true);
    }
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      const options = {
        frames: c.frames,
        points: c.points,
        intrinsics: c.intrinsics,
        scaling: c.scaling,
        queryFrames: c.queryFrames,
        fixedMetricThreshold: c.fixedMetricThreshold,
        localNeighborhoodRadius: c.localNeighborhoodRadius,
      };
      const m = tapVid3dMetrics(c.pred, c.gt, { ...options, trackwise: true });
      const e = c.expected;
      expectClose([m.averagePtsWithin, m.averageJaccard, m.occlusionAccuracy], [e.averagePtsWithin, e.averageJaccard, e.occlusionAccuracy], 'APD3D, AJ, OA');
      expectClose(m.ptsWithin, e.ptsWithin, 'ptsWithin');
      expectClose(m.jaccard, e.jaccard, 'jaccard');
      expectClose([m.scale], [e.scale], 'scale');
      if (e.trackScales) expectClose(m.trackScales!, e.trackScales, 'trackScales');
      else expect(m.trackScales).toBeUndefined();
      const t = m.perTrack!;
      expectClose(t.averagePtsWithin, e.perTrack.averagePtsWithin, 'perTrack.averagePtsWithin');
      expectClose(t.averageJaccard, e.perTrack.averageJaccard, 'perTrack.averageJaccard');
      expectClose(t.occlusionAccuracy, e.perTrack.occlusionAccuracy, 'perTrack.occlusionAccuracy');
      e.perTrack.ptsWithin.forEach((row, k) => expectClose(t.ptsWithin[k]!, row, `perTrack.ptsWithin[${k}]`));
      e.perTrack.jaccard.forEach((row, k) => expectClose(t.jaccard[k]!, row, `perTrack.jaccard[${k}]`));
      // Without trackwise the video-level values are the same and perTrack is absent.
      const plain = tapVid3dMetrics(c.pred, c.gt, options);
      expect(plain.perTrack).toBeUndefined();
      expect(plain.ptsWithin).toEqual(m.ptsWithin);
      expect(plain.jaccard).toEqual(m.jaccard);
    });
  }
});
