/**
 * Concurrency and cancellation on the real embedded model (onnxruntime-node): several scenes of one
 * model at once give the answers they give one at a time; `dispose()` during a call rejects that
 * call with `SceneDisposedError` and leaves other scenes and models intact; every long call takes
 * an `AbortSignal` and rejects with its reason. Runs are compared with runs, never with stored
 * numbers, so the tests hold for any weights of the embedded model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SceneDisposedError,
  denseTrack,
  frameSourceFromVideo,
  processVideo,
  randomQueries,
  type D4rtModel,
  type Scene,
  type VideoFrames,
} from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { fixtureVideo } from './helpers.js';

let model: D4rtModel;
let videos: VideoFrames[];

beforeAll(async () => {
  model = await loadModel(undefined, { device: 'cpu', threads: 1 });
  videos = await Promise.all(['heldout-0', 'heldout-1', 'heldout-2'].map(fixtureVideo));
});
afterAll(async () => {
  await model?.dispose();
});

/** Whether two typed arrays hold the same bytes (NaN-safe, bit for bit). */
function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const points = { u: [0.5, 0.2, 0.8], v: [0.5, 0.3, 0.7], frame: [0, 3, 7] };

/** Every query method of a scene, small sizes, not started yet; the chunk sizes make each call several decoder runs. */
function allOutputs(scene: Scene): (() => Promise<ArrayBufferView[]>)[] {
  const T = scene.frames;
  return [
    () => scene.depth({ width: 40, height: 24, chunkSize: 700 }).then((d) => [d.data, d.confidence]),
    () => scene.track(points, { chunkSize: 5 }).then((t) => [t.xyz, t.uv, t.visibility]),
    () => scene.cameras({ chunkSize: 900 }).then((c) => [...c.cameraToWorld, Float64Array.from(c.intrinsics.flatMap((k) => [k.fx, k.fy]))]),
    () => scene.pointCloud({ width: 24, height: 16, chunkSize: 333 }).then((p) => [p.positions, p.colors, p.confidence]),
    () => scene.query(randomQueries({ count: 500, frames: T, seed: 9 }), { chunkSize: 64 }).then((r) => [r.xyz, r.uv, r.visibility, r.confidence]),
  ];
}

describe('several scenes from one model at once', () => {
  it('concurrent encode and queries on three scenes equal the same calls one at a time, bit for bit', async () => {
    // one at a time: each call starts after the one before settled
    const alone: ArrayBufferView[][][] = [];
    for (const video of videos) {
      const scene = await model.encode(video);
      const outs: ArrayBufferView[][] = [];
      for (const call of allOutputs(scene)) outs.push(await call());
      scene.dispose();
      alone.push(outs);
    }
    // all at once: three encodes, then every method of every scene (15 calls, interleaved chunks)
    const scenes = await Promise.all(videos.map((v) => model.encode(v)));
    const together = await Promise.all(scenes.map((s) => Promise.all(allOutputs(s).map((call) => call()))));
    for (const s of scenes) s.dispose();
    for (let i = 0; i < videos.length; i++) {
      for (let m = 0; m < alone[i]!.length; m++) {
        for (let k = 0; k < alone[i]![m]!.length; k++) expect(sameBits(together[i]![m]![k]!, alone[i]![m]![k]!), `video ${i}, method ${m}, array ${k}`).toBe(true);
      }
    }
    // the scenes differ, so a mix-up would show
    expect(sameBits(together[0]![0]![0]!, together[1]![0]![0]!)).toBe(false);
  });

  it('a scene encoded while another scene queries answers as when encoded alone', async () => {
    const first = await model.encode(videos[0]!);
    const ref = await model.encode(videos[1]!);
    const refDepth = await ref.depth({ width: 32, height: 24, chunkSize: 500 });
    ref.dispose();
    const [depth0, second] = await Promise.all([first.depth({ width: 32, height: 24, chunkSize: 500 }), model.encode(videos[1]!)]);
    const depth1 = await second.depth({ width: 32, height: 24, chunkSize: 500 });
    expect(sameBits(depth1.data, refDepth.data)).toBe(true);
    expect(sameBits(depth0.data, (await first.depth({ width: 32, height: 24 })).data)).toBe(true);
    first.dispose();
    second.dispose();
  });
});

describe('dispose() during a running call', () => {
  it('scene.dispose() during its query rejects that query with SceneDisposedError, even in its last chunk; other scenes are untouched', async () => {
    const [a, b] = await Promise.all([model.encode(videos[0]!), model.encode(videos[1]!)]);
    const refB = await b.depth({ width: 32, height: 24, chunkSize: 400 });
    // several chunks: disposed after the first one
    let calls = 0;
    const pa = a.depth({ width: 32, height: 24, chunkSize: 400, onProgress: () => void (++calls === 2 && a.dispose()) });
    const pb = b.depth({ width: 32, height: 24, chunkSize: 400 });
    await expect(pa).rejects.toThrow(SceneDisposedError);
    await expect(pa).rejects.toThrow(/Scene\.depth: the scene was disposed during the call/);
    expect(sameBits((await pb).data, refB.data)).toBe(true);
    // one chunk, disposed while it runs: the answer is dropped, not returned
    const pq = b.query(randomQueries({ count: 50, frames: b.frames, seed: 1 }));
    b.dispose();
    await expect(pq).rejects.toMatchObject({ name: 'SceneDisposedError', code: 'ERR_SCENE_DISPOSED' });
    await expect(b.depth()).rejects.toThrow(/Scene\.depth: the scene was disposed$/);
  });

  it('model.dispose() during encode and queries rejects each with SceneDisposedError; later calls too; other models give the same answers', async () => {
    const m = await loadModel(undefined, { device: 'cpu', threads: 1 });
    const [s0, s1] = await Promise.all([m.encode(videos[0]!), m.encode(videos[1]!)]);
    const reference = await (await model.encode(videos[2]!)).depth({ width: 32, height: 24, chunkSize: 500 });
    const inFlight = [
      s0.depth({ width: 32, height: 24, chunkSize: 300 }),
      s1.track(points, { chunkSize: 4 }),
      s1.query(randomQueries({ count: 30, frames: s1.frames, seed: 2 })), // one chunk, under way when disposed
      m.encode(videos[2]!),
    ];
    // meanwhile a scene of another model runs
    const other = model.encode(videos[2]!).then((s) => s.depth({ width: 32, height: 24, chunkSize: 500 }));
    const disposed = m.dispose();
    const settled = await Promise.allSettled(inFlight);
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason as Error;
      expect(error).toBeInstanceOf(SceneDisposedError);
      expect(error.message).toMatch(/: the model was disposed/);
    }
    await disposed;
    expect(m.disposed).toBe(true);
    await expect(s0.cameras()).rejects.toThrow(/Scene\.cameras: the model was disposed$/);
    await expect(m.encode(videos[0]!)).rejects.toThrow(/D4rtModel\.encode: the model was disposed$/);
    expect(sameBits((await other).data, reference.data)).toBe(true);
    // a new model in the same process loads and answers the same
    const again = await loadModel(undefined, { device: 'cpu', threads: 1 });
    const d = await (await again.encode(videos[2]!)).depth({ width: 32, height: 24, chunkSize: 500 });
    expect(sameBits(d.data, reference.data)).toBe(true);
    await again.dispose();
  });
});

describe('AbortSignal on every long call', () => {
  const aborted = (): AbortSignal => {
    const ac = new AbortController();
    ac.abort();
    return ac.signal;
  };

  it('encode rejects with signal.reason when aborted before it or while the encoder runs', async () => {
    const signal = aborted();
    await expect(model.encode(videos[0]!, { signal })).rejects.toBe(signal.reason);
    const ac = new AbortController();
    const p = model.encode(videos[0]!, { signal: ac.signal });
    ac.abort(); // the encoder run is under way
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    // the model still works
    const s = await model.encode(videos[0]!);
    expect(s.frames).toBe(model.manifest.clip.frames);
    s.dispose();
  });

  it.each(['query', 'depth', 'track', 'cameras', 'pointCloud', 'denseTrack'] as const)('%s rejects with signal.reason: aborted before, mid-way and during its last chunk', async (method) => {
    const scene = await model.encode(videos[1]!);
    const call = (opts: { signal: AbortSignal; chunkSize?: number; onProgress?: () => void }): Promise<unknown> => {
      switch (method) {
        case 'query':
          return scene.query(randomQueries({ count: 200, frames: scene.frames, seed: 3 }), opts);
        case 'depth':
          return scene.depth({ ...opts, width: 24, height: 16 });
        case 'track':
          return scene.track(points, opts);
        case 'cameras':
          return scene.cameras(opts);
        case 'pointCloud':
          return scene.pointCloud({ ...opts, width: 24, height: 16 });
        case 'denseTrack':
          return denseTrack(scene, { ...opts, width: 12, height: 8 });
      }
    };
    const before = aborted();
    await expect(call({ signal: before })).rejects.toBe(before.reason);
    const mid = new AbortController();
    let events = 0;
    const reason = new Error('stop here');
    await expect(call({ signal: mid.signal, chunkSize: 7, onProgress: () => void (++events === 2 && mid.abort(reason)) })).rejects.toBe(reason);
    // during the last (only) chunk: the answer is dropped
    const last = new AbortController();
    const p = call({ signal: last.signal, chunkSize: 1 << 20 });
    last.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    scene.dispose();
  });

  it('processVideo rejects with signal.reason between windows', async () => {
    // two fixture clips one after the other: more frames than one window
    const [a, b] = [videos[0]!, videos[1]!];
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    const data = new Uint8Array(a.data.length + b.data.length);
    data.set(a.data);
    data.set(b.data, a.data.length);
    const video: VideoFrames = { data, frames: a.frames + b.frames, width: a.width, height: a.height };
    const ac = new AbortController();
    const run = processVideo(model, frameSourceFromVideo(video), { depth: { width: 16, height: 12 }, overlap: 2, signal: ac.signal });
    const seen: number[] = [];
    const iterate = async (): Promise<void> => {
      for await (const w of run) {
        seen.push(w.window.index);
        ac.abort();
      }
    };
    expect(run.plan.windows.length).toBeGreaterThan(1);
    await expect(iterate()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0]);
  });

  it('loadModel rejects with signal.reason, aborted before it or while it loads', async () => {
    const signal = aborted();
    await expect(loadModel(undefined, { signal })).rejects.toBe(signal.reason);
    const ac = new AbortController();
    const reason = new Error('cancelled load');
    const p = loadModel(undefined, { device: 'cpu', threads: 1, signal: ac.signal, onProgress: (e) => void (e.done === 3 && ac.abort(reason)) });
    await expect(p).rejects.toBe(reason);
    await expect(loadModel(undefined, { signal: 'no' as unknown as AbortSignal })).rejects.toThrow(TypeError);
  });
});
