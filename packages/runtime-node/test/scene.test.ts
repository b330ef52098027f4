/**
 * The Scene API on the real reference model through onnxruntime-node: chunking never changes an
 * answer, every task's output has the documented shape and sensible values, bad queries and
 * disposed scenes fail with named errors and nothing runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidQueryError, SceneDisposedError, randomQueries as randomQueriesOf, type D4rtModel, type Progress, type Scene } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { fixtureVideo } from './helpers.js';

let model: D4rtModel;
let scene: Scene;

beforeAll(async () => {
  model = await loadModel();
  scene = await model.encode(await fixtureVideo('heldout-1'));
});
afterAll(async () => {
  scene?.dispose();
  await model?.dispose();
});

const randomQueries = (n: number, seed: number) => randomQueriesOf({ count: n, frames: 16, seed });

describe('Scene.query', () => {
  it('gives the same answers, to float32 rounding, for chunk sizes 1, 17 and 4096', async () => {
    // onnxruntime may sum in another order for another batch size (the reference model's
    // correlation features make that visible): ~1e-7 relative, far below any model error
    const q = randomQueries(150, 3);
    const [a, b, c] = [
      await scene.query(q, { chunkSize: 1 }),
      await scene.query(q, { chunkSize: 17 }),
      await scene.query(q, { chunkSize: 4096 }),
    ];
    for (const key of ['xyz', 'uv', 'visibility', 'confidence'] as const) {
      for (const other of [b, c]) {
        expect(other[key].length).toBe(a[key].length);
        let worst = 0;
        for (let i = 0; i < a[key].length; i++) {
          worst = Math.max(worst, Math.abs(other[key][i]! - a[key][i]!) / Math.max(1, Math.abs(a[key][i]!)));
        }
        expect(worst, key).toBeLessThan(1e-5);
      }
    }
    expect(a.count).toBe(150);
    // decoded ranges: depth > 0, uv in [0, 1], probabilities in (0, 1)
    for (let i = 0; i < a.count; i++) {
      expect(a.xyz[3 * i + 2]).toBeGreaterThan(0);
      expect(a.uv[2 * i]).toBeGreaterThanOrEqual(0);
      expect(a.uv[2 * i + 1]).toBeLessThanOrEqual(1);
      expect(a.visibility[i]).toBeGreaterThan(0);
      expect(a.confidence[i]).toBeLessThan(1);
    }
  });

  it('reports monotone progress ending at the total', async () => {
    const events: Progress[] = [];
    await scene.query(randomQueries(100, 4), { chunkSize: 30, onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.done)).toEqual([0, 30, 60, 90, 100]);
    expect(events.every((e) => e.stage === 'query' && e.total === 100)).toBe(true);
  });

  it.each([
    ['u above 1', { u: [1.5] }, /queries\.u\[0\] \(1\.5\) must be in \[0, 1\]/],
    ['v negative', { v: [-0.1] }, /queries\.v\[0\] \(-0\.10*\d*\) must be in \[0, 1\]/],
    ['u NaN', { u: [Number.NaN] }, /queries\.u\[0\] \(NaN\)/],
    ['tSrc past the clip', { tSrc: [16] }, /queries\.tSrc\[0\] \(16\) must be an integer frame index in \[0, 15\]/],
    ['tCam negative', { tCam: [-1] }, /queries\.tCam\[0\] \(-1\)/],
    ['fractional tTgt', { tTgt: [1.5] }, /queries\.tTgt\[0\] \(1\.5\)/],
    ['lengths differ', { v: [0.5, 0.5] }, /queries\.v\.length \(2\) must equal queries\.u\.length \(1\)/],
  ])('rejects %s with InvalidQueryError', async (_name, patch, message) => {
    const q = { u: [0.5], v: [0.5], tSrc: [0], tTgt: [0], tCam: [0], ...patch };
    const before = model.decoderSession.stats!.runs;
    const err = await scene.query(q).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidQueryError);
    expect((err as InvalidQueryError).code).toBe('ERR_INVALID_QUERY');
    expect((err as Error).message).toMatch(message);
    expect(model.decoderSession.stats!.runs).toBe(before);
  });

  it('rejects a bad chunk size and a non-object', async () => {
    await expect(scene.query(randomQueries(2, 1), { chunkSize: 0 })).rejects.toThrow(RangeError);
    await expect(scene.query(null as never)).rejects.toThrow(TypeError);
  });

  // found by pnpm -s fuzz: each of these escaped as an engine error, or ran out of memory, before
  it('refuses calls over MAX_QUERIES, and bad options or values, before anything runs', async () => {
    const before = model.decoderSession.stats!.runs;
    const rejects = async (call: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> => {
      const err = await call.catch((e: unknown) => e);
      expect(err, message.source).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
    };
    await rejects(scene.depth({ frames: [0, 1], width: 16384, height: 16384 }), InvalidQueryError, /^Scene\.depth: 2 frames x 16384 x 16384 = 536870912 queries is more than one call answers \(33554432/);
    await rejects(scene.pointCloud({ width: 16384, height: 16384 }), InvalidQueryError, /^Scene\.pointCloud: 16 frames x 16384 x 16384 = /);
    await rejects(scene.cameras({ poseGrid: 16384, focalGrid: 16384 }), InvalidQueryError, /^Scene\.cameras: 16 frames x \(16384 x 16384 \+ 2 x 16384 x 16384\) = /);
    await rejects(scene.track({ u: new Float32Array(2_100_000), v: new Float32Array(2_100_000), frame: new Int32Array(2_100_000) }), InvalidQueryError, /^Scene\.track: 2100000 points x 16 frames = 33600000 queries/);
    await rejects(scene.track({ u: BigInt64Array.of(0n), v: [0.5], frame: [0] } as never), InvalidQueryError, /^Scene\.track: queries\.u\[0\] \(0\) must be a number in \[0, 1\]/);
    await rejects(scene.query(randomQueries(2, 1), { onProgress: 5 } as never), TypeError, /^Scene\.query: options\.onProgress \(5\) must be a function/);
    await rejects(scene.depth(null as never), TypeError, /^Scene\.depth: options \(null\) must be an object/);
    await rejects(scene.cameras({ signal: {} } as never), TypeError, /^Scene\.cameras: options\.signal \(Object\) must be an AbortSignal/);
    await rejects(model.encode(await fixtureVideo('heldout-1'), { onProgress: 'yes' } as never), TypeError, /^D4rtModel\.encode: options\.onProgress \("yes"\) must be a function/);
    expect(model.decoderSession.stats!.runs).toBe(before);
  });
});

describe('Scene tasks', () => {
  it('depth at any resolution agrees with raw queries', async () => {
    const d = await scene.depth({ frames: [2, 5], width: 7, height: 5 });
    expect(d.data.length).toBe(2 * 5 * 7);
    expect(Array.from(d.frameIndices)).toEqual([2, 5]);
    const r = await scene.query({ u: [1], v: [0.25], tSrc: [5], tTgt: [5], tCam: [5] });
    expect(d.data[1 * 35 + 1 * 7 + 6]).toBe(r.xyz[2]);
    await expect(scene.depth({ frames: [16] })).rejects.toThrow(InvalidQueryError);
    await expect(scene.depth({ width: 0 })).rejects.toThrow(/options\.width \(0\) must be an integer in \[1, 16384\]/);
  });

  it('tracks are frame-major; camera and world frames agree at the reference frame', async () => {
    const pts = { u: [0.2, 0.7, 0.5], v: [0.3, 0.6, 0.9], frame: [0, 4, 9] };
    const cam = await scene.track(pts, { frame: 'camera' });
    const world = await scene.track(pts, { frame: 'world', referenceFrame: 0 });
    expect(cam.xyz.length).toBe(16 * 3 * 3);
    expect(cam.visible.length).toBe(48);
    // at t = 0, tCam = 0 in both modes
    expect(Array.from(world.xyz.subarray(0, 9))).toEqual(Array.from(cam.xyz.subarray(0, 9)));
    // a point tracked to its own frame lands near where it was seen
    const i = 1, t = 4;
    expect(Math.abs(cam.uv[(t * 3 + i) * 2]! - 0.7)).toBeLessThan(0.1);
    await expect(scene.track({ u: [0.5], v: [0.5], frame: [20] })).rejects.toThrow(InvalidQueryError);
    await expect(scene.track(pts, { frame: 'moon' as never })).rejects.toThrow(RangeError);
  });

  it('cameras: intrinsics in source pixels, rigid camera-to-world poses', async () => {
    const cams = await scene.cameras();
    expect(cams.intrinsics).toHaveLength(16);
    expect(cams.intrinsics[0]!.cx).toBe((120 - 1) / 2);
    expect(cams.intrinsics[0]!.fx).toBeGreaterThan(20);
    expect(cams.intrinsics[0]!.fx).toBeLessThan(500);
    for (const m of cams.cameraToWorld) {
      // rotation block orthonormal
      const c0 = [m[0]!, m[1]!, m[2]!], c1 = [m[4]!, m[5]!, m[6]!];
      expect(Math.hypot(...c0)).toBeCloseTo(1, 4);
      expect(c0[0]! * c1[0]! + c0[1]! * c1[1]! + c0[2]! * c1[2]!).toBeCloseTo(0, 4);
      expect(m[15]).toBe(1);
    }
  });

  it('point cloud: colours from the source frames, confidence filter', async () => {
    const all = await scene.pointCloud({ frames: [0], width: 12, height: 8 });
    expect(all.count).toBe(96);
    const video = await fixtureVideo('heldout-1');
    // pixel (0, 0) of frame 0
    expect(Array.from(all.colors.subarray(0, 3))).toEqual(Array.from(video.data.subarray(0, 3)));
    const some = await scene.pointCloud({ frames: [0], width: 12, height: 8, minConfidence: 0.999 });
    expect(some.count).toBeLessThan(all.count);
  });

  it('maps source frames to model frames', () => {
    expect(scene.frameOfSource(7)).toBe(7);
    expect(() => scene.frameOfSource(99)).toThrow(/source frame 99 is not one of the model's frames; the nearest is source frame 15/);
  });
});

describe('disposal', () => {
  it('a disposed scene throws SceneDisposedError', async () => {
    const s = await model.encode(await fixtureVideo('heldout-2'));
    s.dispose();
    s.dispose();
    await expect(s.depth()).rejects.toThrow(SceneDisposedError);
    await expect(s.query({ u: [0], v: [0], tSrc: [0], tTgt: [0], tCam: [0] })).rejects.toThrow(/Scene\.query: the scene was disposed/);
  });
});
