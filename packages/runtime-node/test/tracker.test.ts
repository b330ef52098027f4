/**
 * `scene.track(points, { decoder: 'tracker' })` on a real tracker graph through onnxruntime-node:
 * the documented Tracks, the same answer for the same input, permutation equivariance, the
 * documented grouping (each group a set of its own), the world frame through the scene's cameras,
 * and a model without a tracker graph failing with NoTrackerError before anything runs.
 *
 * The tracker model: `D4RT_TRACKER_MODEL` (a model folder whose manifest has a `tracker` section,
 * e.g. one written by training's `export_model(..., tracker=...)`), else the embedded d4rt-tiny
 * once it ships one; skipped without either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoTrackerError, type D4rtModel, type Progress, type Scene, type Tracks } from '@d4rt/core';
import { embeddedModelPath, loadModel } from '../src/index.js';
import { fixtureVideo } from './helpers.js';

/** The tracker model folder, or undefined when there is none. */
function trackerModelPath(): string | undefined {
  const env = process.env.D4RT_TRACKER_MODEL;
  if (env) return env;
  const embedded = embeddedModelPath();
  const manifest = JSON.parse(readFileSync(join(embeddedModelPath(), 'manifest.json'), 'utf8')) as { tracker?: unknown };
  return manifest.tracker !== undefined ? embedded : undefined;
}

const folder = trackerModelPath();

/** `n` points spread over the clip, seen in several frames (deterministic). */
function points(n: number, seed = 1): { u: Float32Array; v: Float32Array; frame: Int32Array } {
  let s = seed;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { u: Float32Array.from({ length: n }, rand), v: Float32Array.from({ length: n }, rand), frame: Int32Array.from({ length: n }, () => Math.floor(rand() * 16)) };
}

const FIELDS = [['xyz', 3], ['uv', 2], ['visibility', 1], ['confidence', 1]] as const;

/** Largest difference between `a` and `b` where `b` holds the points of `a` at `perm` (b's point j is a's point perm[j]). */
function maxDiffPermuted(a: Tracks, b: Tracks, perm: ArrayLike<number>): number {
  let worst = 0;
  for (const [key, w] of FIELDS) {
    for (let t = 0; t < a.frames; t++) {
      for (let j = 0; j < b.points; j++) {
        for (let c = 0; c < w; c++) {
          const x = a[key][(t * a.points + perm[j]!) * w + c]!;
          const y = b[key][(t * b.points + j) * w + c]!;
          worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(x)));
        }
      }
    }
  }
  return worst;
}

describe.skipIf(folder === undefined)('Scene.track with the tracker decoder (real tracker graph)', () => {
  let model: D4rtModel;
  let scene: Scene;
  beforeAll(async () => {
    model = await loadModel(folder!, { threads: 1 });
    scene = await model.encode(await fixtureVideo('heldout-0'));
  });
  afterAll(async () => {
    scene?.dispose();
    await model?.dispose();
  });

  it('loads the tracker graph; the scene keeps the encoder layers the manifest lists', () => {
    expect(model.manifest.tracker).toBeDefined();
    expect(scene.layers?.dims).toEqual(model.manifest.encoder.outputs.layers!.shape);
    expect(scene.layers?.data).toBeInstanceOf(Float32Array);
  });

  it('returns Tracks of the documented shapes, finite, in ranges, with monotone progress; the same input gives the same answer', async () => {
    const p = points(40);
    const events: Progress[] = [];
    const a = await scene.track(p, { decoder: 'tracker', onProgress: (e) => events.push(e) });
    const T = scene.frames;
    expect(a).toMatchObject({ frames: T, points: 40, frame: 'camera' });
    expect(a.xyz).toHaveLength(T * 40 * 3);
    expect(a.uv).toHaveLength(T * 40 * 2);
    expect(a.visibility).toHaveLength(T * 40);
    expect(a.confidence).toHaveLength(T * 40);
    expect(a.visible).toBeInstanceOf(Uint8Array);
    for (const [key] of FIELDS) expect(a[key].every(Number.isFinite), key).toBe(true);
    for (let i = 0; i < T * 40; i++) {
      expect(a.xyz[3 * i + 2]).toBeGreaterThan(0);
      expect(a.uv[2 * i]).toBeGreaterThanOrEqual(0);
      expect(a.uv[2 * i + 1]).toBeLessThanOrEqual(1);
      expect(a.visible[i]).toBe(a.visibility[i]! > 0.5 ? 1 : 0);
    }
    expect(events).toEqual([{ stage: 'query', done: 0, total: T * 40 }, { stage: 'query', done: T * 40, total: T * 40 }]);
    const b = await scene.track(p, { decoder: 'tracker' });
    for (const [key] of FIELDS) expect(Array.from(b[key]), key).toEqual(Array.from(a[key]));
    // both decoders answer with the same type
    const q = await scene.track(p);
    expect(Object.keys(q).sort()).toEqual(Object.keys(a).sort());
    expect(q.xyz).toHaveLength(a.xyz.length);
  });

  it('permuting the points permutes the answer (the graph is permutation-equivariant)', async () => {
    const p = points(33, 7);
    const perm = Int32Array.from({ length: 33 }, (_, i) => (i * 10 + 3) % 33);
    const shuffled = { u: Float32Array.from(perm, (i) => p.u[i]!), v: Float32Array.from(perm, (i) => p.v[i]!), frame: Int32Array.from(perm, (i) => p.frame[i]!) };
    const a = await scene.track(p, { decoder: 'tracker' });
    const b = await scene.track(shuffled, { decoder: 'tracker' });
    expect(maxDiffPermuted(a, b, perm)).toBeLessThan(1e-4);
  });

  it('a point depends on the set it is run with; above maxPoints each group of consecutive points is its own set', async () => {
    const p = points(10, 3);
    const whole = await scene.track(p, { decoder: 'tracker' });
    const grouped = await scene.track(p, { decoder: 'tracker', maxPoints: 4 }); // groups of 4, 3, 3
    const starts = [0, 4, 7, 10];
    for (let g = 0; g < 3; g++) {
      const idx = Array.from({ length: starts[g + 1]! - starts[g]! }, (_, i) => starts[g]! + i);
      const part = await scene.track({ u: idx.map((i) => p.u[i]!), v: idx.map((i) => p.v[i]!), frame: idx.map((i) => p.frame[i]!) }, { decoder: 'tracker' });
      // grouped's points idx are part's points 0..: the same run, the same answers
      for (const [key, w] of FIELDS) {
        for (let t = 0; t < grouped.frames; t++) {
          for (let j = 0; j < idx.length; j++) {
            for (let c = 0; c < w; c++) expect(grouped[key][(t * 10 + idx[j]!) * w + c]).toBe(part[key][(t * idx.length + j) * w + c]);
          }
        }
      }
    }
    // the interaction is real: the grouped answers differ from the one-set answers
    let differ = 0;
    for (let i = 0; i < whole.xyz.length; i++) differ = Math.max(differ, Math.abs(whole.xyz[i]! - grouped.xyz[i]!));
    expect(differ).toBeGreaterThan(1e-6);
    const events: Progress[] = [];
    await scene.track(p, { decoder: 'tracker', maxPoints: 4, onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.done)).toEqual([0, 4 * 16, 7 * 16, 10 * 16]);
  });

  it("frame 'world': each frame's camera answer moved into the reference camera by the scene's cameras", async () => {
    const p = points(12, 5);
    const cam = await scene.track(p, { decoder: 'tracker' });
    const events: Progress[] = [];
    const world = await scene.track(p, { decoder: 'tracker', frame: 'world', referenceFrame: 2, onProgress: (e) => events.push(e) });
    expect(world.frame).toBe('world');
    const cams = await scene.cameras();
    const ref = cams.cameraToWorld[2]!;
    for (let t = 0; t < world.frames; t++) {
      const c = cams.cameraToWorld[t]!;
      for (let i = 0; i < 12; i++) {
        const k = 3 * (t * 12 + i);
        // camera t -> world -> camera 2
        const w = [0, 1, 2].map((r) => c[r]! * cam.xyz[k]! + c[4 + r]! * cam.xyz[k + 1]! + c[8 + r]! * cam.xyz[k + 2]! + c[12 + r]!);
        const d = [w[0]! - ref[12]!, w[1]! - ref[13]!, w[2]! - ref[14]!];
        for (let r = 0; r < 3; r++) {
          const want = ref[4 * r]! * d[0]! + ref[4 * r + 1]! * d[1]! + ref[4 * r + 2]! * d[2]!;
          expect(Math.abs(world.xyz[k + r]! - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
        }
      }
    }
    // uv, visibility and confidence do not depend on the camera
    expect(Array.from(world.uv)).toEqual(Array.from(cam.uv));
    expect(Array.from(world.visibility)).toEqual(Array.from(cam.visibility));
    // progress: the cameras' queries, then the point-frames, one total, monotone, ending at it
    const total = events[0]!.total;
    expect(events.every((e) => e.stage === 'query' && e.total === total)).toBe(true);
    expect(events.at(-1)!.done).toBe(total);
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((x, y) => x - y));
    expect(total - 12 * 16).toBeGreaterThan(0);
  });

  it('checks its options, stops on an aborted signal and after dispose', async () => {
    await expect(scene.track(points(2), { decoder: 'lstm' as never })).rejects.toThrow(new RangeError("Scene.track: options.decoder (\"lstm\") must be 'query' or 'tracker'"));
    await expect(scene.track(points(2), { decoder: 'tracker', maxPoints: 0 })).rejects.toThrow(new RangeError('Scene.track: options.maxPoints (0) must be an integer >= 1'));
    await expect(scene.track({ u: [1.5], v: [0.5], frame: [0] }, { decoder: 'tracker' })).rejects.toThrow(/^Scene\.track: queries\.u\[0\] \(1\.5\) must be/);
    const reason = new Error('stop');
    await expect(scene.track(points(2), { decoder: 'tracker', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const empty = await scene.track({ u: [], v: [], frame: [] }, { decoder: 'tracker' });
    expect(empty).toMatchObject({ frames: 16, points: 0 });
    expect(empty.xyz).toHaveLength(0);
    const other = await model.encode(await fixtureVideo('heldout-1'));
    const pending = other.track(points(8), { decoder: 'tracker' });
    other.dispose();
    await expect(pending).rejects.toThrow(/Scene\.track: the scene was disposed during the call/);
  });
});

describe('Scene.track with the tracker decoder on a model without a tracker graph', () => {
  let dir: string;
  let model: D4rtModel;
  beforeAll(async () => {
    // the embedded model's graphs with a manifest that names no tracker (whether or not it ships one)
    const src = embeddedModelPath();
    dir = await mkdtemp(join(tmpdir(), 'd4rt-no-tracker-'));
    const m = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')) as Record<string, any>;
    delete m.tracker;
    delete m.files.tracker;
    if (m.hashes) delete m.hashes.tracker;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
    for (const f of [m.files.encoder, m.files.decoder] as string[]) await copyFile(join(src, f), join(dir, f));
    expect(existsSync(join(dir, 'tracker.onnx'))).toBe(false);
    model = await loadModel(dir, { threads: 1 });
  });
  afterAll(async () => {
    await model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("throws NoTrackerError (code ERR_NO_TRACKER) naming the model and decoder: 'query'; nothing runs; the query decoder still tracks", async () => {
    const scene = await model.encode(await fixtureVideo('heldout-0'));
    const events: Progress[] = [];
    const err = await scene.track(points(4), { decoder: 'tracker', onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoTrackerError);
    expect((err as NoTrackerError).name).toBe('NoTrackerError');
    expect((err as NoTrackerError).code).toBe('ERR_NO_TRACKER');
    expect((err as Error).message).toBe(
      `Scene.track: options.decoder ('tracker') needs a tracker graph, and the model '${model.manifest.name}' has none (its manifest has no 'tracker' section); decoder: 'query' (the default) tracks with any model`,
    );
    expect(events).toEqual([]);
    const q = await scene.track(points(4));
    expect(q.points).toBe(4);
    scene.dispose();
  });
});
