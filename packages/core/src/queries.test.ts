import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from './errors.js';
import { selectFrames } from './frame-selection.js';
import { resizeWeights } from './preprocess.js';
import { concatQueries, gridQueries, gridUv, toQueryBatch, trackQueries } from './queries.js';

describe('selectFrames', () => {
  it('spreads frames evenly, keeping the first and last, repeating short clips', () => {
    expect(Array.from(selectFrames(16, 16))).toEqual([...Array(16).keys()]);
    expect(Array.from(selectFrames(7, 16))).toEqual([0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6]);
    expect(Array.from(selectFrames(1, 4))).toEqual([0, 0, 0, 0]);
    const long = selectFrames(1000, 16);
    expect(long[0]).toBe(0);
    expect(long[15]).toBe(999);
    expect(() => selectFrames(0, 16)).toThrow(/selectFrames: n \(0\) must be an integer >= 1/);
  });
});

describe('resizeWeights', () => {
  it('rows sum to 1, identity at the same size, ends map to ends', () => {
    for (const [src, dst] of [[80, 64], [7680, 96], [10, 10], [3, 9], [1, 5]] as const) {
      const w = resizeWeights(src, dst);
      for (let i = 0; i < dst; i++) {
        let s = 0;
        for (let k = w.start[i]!; k < w.start[i + 1]!; k++) s += w.weight[k]!;
        expect(s).toBeCloseTo(1, 12);
      }
    }
    const id = resizeWeights(10, 10);
    expect(Array.from(id.index)).toEqual([...Array(10).keys()]);
    const up = resizeWeights(3, 5);
    expect(up.index[up.start[4]!]).toBe(2);
  });
});

describe('queries', () => {
  it('gridUv puts pixel centres at the ends', () => {
    const { u, v } = gridUv(3, 2);
    expect(Array.from(u)).toEqual([0, 0.5, 1, 0, 0.5, 1]);
    expect(Array.from(v)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('grid and track queries have the documented layout', () => {
    const g = gridQueries({ frames: [3, 5], width: 2, height: 2, camera: 0 });
    expect(Array.from(g.tSrc)).toEqual([3, 3, 3, 3, 5, 5, 5, 5]);
    expect(Array.from(g.tCam)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const t = trackQueries({ u: [0.1, 0.2], v: [0.3, 0.4], frame: [1, 2] }, { frames: 3, camera: 'own' });
    expect(Array.from(t.tTgt)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(t.tCam)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(t.tSrc)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(concatQueries([g, t]).u.length).toBe(14);
  });

  it('toQueryBatch keeps typed arrays and checks every value', () => {
    const q = { u: new Float32Array([0, 1]), v: new Float32Array([1, 0]), tSrc: new Int32Array([0, 3]), tTgt: new Int32Array([1, 2]), tCam: new Int32Array([0, 0]) };
    const b = toQueryBatch(q, 4);
    expect(b.u).toBe(q.u);
    expect(b.tSrc).toBe(q.tSrc);
    expect(() => toQueryBatch({ ...q, tTgt: [0, 4] }, 4)).toThrow(InvalidQueryError);
    expect(() => toQueryBatch({ ...q, u: [0, Number.POSITIVE_INFINITY] }, 4)).toThrow(/queries\.u\[1\] \(Infinity\) must be in \[0, 1\]/);
    expect(() => toQueryBatch({ ...q, v: undefined } as never, 4)).toThrow(TypeError);
  });
});
