import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from './errors.js';
import { selectFrames } from './frame-selection.js';
import { resizeWeights } from './preprocess.js';
import { MAX_QUERIES, assertQueryCount, concatQueries, gridQueries, gridUv, toQueryBatch, trackQueries } from './queries.js';

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

  // found by pnpm -s fuzz: a bigint or symbol in u / v escaped as the engine's raw TypeError, a string was read as a number
  it('toQueryBatch names values that are not numbers, of any array kind, with InvalidQueryError', () => {
    const q = { u: [0.5, 0.5], v: [0.5, 0.5], tSrc: [0, 1], tTgt: [0, 1], tCam: [0, 1] };
    const cases: [Partial<Record<'u' | 'v' | 'tSrc', unknown>>, RegExp][] = [
      [{ u: BigInt64Array.of(0n, 1n) }, /queries\.u\[0\] \(0\) must be a number in \[0, 1\]/],
      [{ v: [0.5, Symbol('s')] }, /queries\.v\[1\] \(Symbol\) must be a number in \[0, 1\]/],
      [{ u: ['0.5', 0.5] }, /queries\.u\[0\] \("0\.5"\) must be a number in \[0, 1\]/],
      [{ u: [0.5, null] }, /queries\.u\[1\] \(null\) must be a number/],
      [{ u: Float64Array.of(0.5, 1 + 1e-7) }, /queries\.u\[1\] \(1\.0000001\d*\) must be in \[0, 1\]/],
      [{ tSrc: [0, Symbol('t')] }, /queries\.tSrc\[1\] \(Symbol\) must be an integer frame index/],
      [{ tSrc: BigInt64Array.of(0n, 1n) }, /queries\.tSrc\[0\] \(0\) must be an integer frame index/],
    ];
    for (const [patch, message] of cases) {
      const err = (() => {
        try {
          toQueryBatch({ ...q, ...patch } as never, 4, 'Scene.query');
        } catch (e) {
          return e;
        }
      })();
      expect(err, message.source).toBeInstanceOf(InvalidQueryError);
      expect((err as Error).message).toMatch(message);
    }
    // -0, 0 and 1 are in range; an array-like of numbers is copied into a Float32Array
    const b = toQueryBatch({ ...q, u: { length: 2, 0: -0, 1: 1 } as ArrayLike<number>, v: Uint8Array.of(0, 1) }, 4);
    expect(Array.from(b.u)).toEqual([-0, 1]);
    expect(b.v).toBeInstanceOf(Float32Array);
    // a length that is not a count is not an array
    expect(() => toQueryBatch({ ...q, u: { length: -1 } } as never, 4)).toThrow(/queries\.u \(Object\) must be an array or typed array/);
  });

  // found by pnpm -s fuzz: Scene.depth({ frames: [], width: 16384, height: 16384 }) filled a 2 GB grid of coordinates for no query
  it('gridQueries of no frames is an empty batch, whatever the grid', () => {
    const t0 = performance.now();
    const q = gridQueries({ frames: [], width: 16384, height: 16384 });
    expect(q.u.length).toBe(0);
    expect(q.tCam.length).toBe(0);
    // the grid took seconds (and 2 GB); an empty batch takes microseconds, so 200 ms holds on a loaded machine
    expect(performance.now() - t0).toBeLessThan(200);
  });

  // found by pnpm -s fuzz: 16 frames of a 16384 x 16384 grid allocated 2^32 queries and ran out of memory
  it('assertQueryCount refuses more than MAX_QUERIES queries, naming the count', () => {
    expect(MAX_QUERIES).toBe(2 ** 25);
    expect(() => assertQueryCount('Scene.depth', MAX_QUERIES, 'x')).not.toThrow();
    expect(() => assertQueryCount('Scene.depth', 16 * 16384 * 16384, '16 frames x 16384 x 16384')).toThrow(
      new InvalidQueryError(`Scene.depth: 16 frames x 16384 x 16384 = 4294967296 queries is more than one call answers (33554432, about 1.6 GB of queries and answers); ask for fewer frames, a smaller grid or fewer points, or split the call`),
    );
    const n = MAX_QUERIES + 1;
    const big = { u: { length: n }, v: { length: n }, tSrc: { length: n }, tTgt: { length: n }, tCam: { length: n } };
    expect(() => toQueryBatch(big as never, 4)).toThrow(/queries\.u\.length = 33554433 queries is more than one call answers/);
  });
});
