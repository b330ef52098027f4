/**
 * Whole-video processing (core's processVideo) measured with the exact oracle: with exact answers
 * the stitched trajectory, scale and chained tracks are exact; dense tracking covers every pixel
 * with far fewer queries than the naive way; options, short videos, metric scale and abort.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frameSourceFromVideo, processVideo, type D4rtModel, type FrameSource, type VideoWindowResult } from '@d4rt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOracleModel, evaluateLongRun, readOracleClip, type OracleClip } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLIP = join(here, '../fixtures/dynamic-64');

let clip: OracleClip;
let model: D4rtModel;
beforeAll(async () => {
  clip = await readOracleClip(CLIP);
  model = await createOracleModel(clip);
});
afterAll(() => model?.dispose());

async function collect(run: AsyncIterable<VideoWindowResult>): Promise<VideoWindowResult[]> {
  const out: VideoWindowResult[] = [];
  for await (const r of run) out.push(r);
  return out;
}

describe('stitching and chaining with exact answers', () => {
  it('every frame, default windows: trajectory, scale and tracks are exact', async () => {
    const f = await evaluateLongRun({ model, clip, dense: false });
    expect(f.windows).toBe(5);
    expect(f.frames).toBe(64);
    expect(f.ateFraction).toBeLessThan(1e-6);
    expect(f.scaleDrift).toBeLessThan(1e-6);
    expect(f.stitchResidual).toBeLessThan(1e-6);
    expect(f.withinTrackErr).toBeLessThan(1e-3);
    expect(f.boundaryTrackErr).toBeLessThan(1e-3);
    expect(f.boundarySamples).toBeGreaterThan(f.withinSamples);
  });

  it('at 10 fps of the 30 fps clip, with overlap 2: still exact', async () => {
    const f = await evaluateLongRun({ model, clip, fps: 10, overlap: 2, dense: false });
    expect(f.frames).toBe(22);
    expect(f.windows).toBe(2);
    expect(f.ateFraction).toBeLessThan(1e-6);
    expect(f.scaleDrift).toBeLessThan(1e-6);
    expect(f.boundaryTrackErr).toBeLessThan(1e-3);
  });

  it('reports each frame once, in order, with source frame numbers and timestamps', async () => {
    const run = processVideo(model, frameSourceFromVideo(clip.video), { fps: 10, depth: { width: 8, height: 6 }, cameras: true });
    expect(Array.from(run.frames)).toEqual(Array.from({ length: 22 }, (_, i) => 3 * i));
    const results = await collect(run);
    const frames = results.flatMap((r) => Array.from(r.frames));
    expect(frames).toEqual(Array.from(run.frames));
    expect(results[1]!.timestamps![0]).toBeCloseTo(results[1]!.frames[0]! / 30, 12);
    for (const r of results) {
      expect(r.depth!.frames).toBe(r.frames.length);
      expect(r.cameras!.cameraToWorld).toHaveLength(r.frames.length);
    }
    expect(results[0]!.stitch).toBeNull();
    expect(results[1]!.stitch!.failed).toBe(false);
    // the world is the camera of the first processed frame
    const c0 = results[0]!.cameras!.cameraToWorld[0]!;
    for (let i = 0; i < 16; i++) expect(c0[i]).toBeCloseTo(i % 5 === 0 ? 1 : 0, 5);
  });
});

describe('dense all-pixel tracking', () => {
  it('covers every cell of every frame, keeps ids across windows, far below the naive query count', async () => {
    const run = processVideo(model, frameSourceFromVideo(clip.video), { dense: { width: 24, height: 16 } });
    const results = await collect(run);
    let queries = 0, naive = 0, cells = 0, covered = 0;
    for (const r of results) {
      const d = r.dense!;
      queries += d.queries;
      naive += d.naive;
      cells += d.cells;
      covered += d.covered;
      expect(d.offsets).toHaveLength(r.frames.length + 1);
      expect(d.positions).toHaveLength(3 * d.offsets[r.frames.length]!);
      for (let t = 0; t < d.frames; t++) {
        const ids = d.ids.subarray(d.offsets[t]!, d.offsets[t + 1]!);
        expect(new Set(ids).size).toBe(ids.length);
      }
      if (r.window.index > 0) expect(d.continued).toBeGreaterThan(0);
    }
    expect(covered / cells).toBe(1);
    expect(queries / naive).toBeLessThan(0.3);
    // a surface point seen at the end of window 0 keeps its id in window 1
    const last0 = results[0]!.dense!;
    const first1 = results[1]!.dense!;
    const a = new Set(last0.ids.subarray(last0.offsets[last0.frames - 1]!, last0.offsets[last0.frames]!));
    const b = first1.ids.subarray(0, first1.offsets[1]!);
    expect(b.filter((id) => a.has(id)).length / b.length).toBeGreaterThan(0.5);
  });
});

describe('metric scale', () => {
  it('a known depth or distance makes the world metric (exact answers: exact metres)', async () => {
    const x = 45, y = 40;
    const u = x / (clip.width - 1), v = y / (clip.height - 1);
    const z = clip.caster.depthAt(u, v, 0);
    const run = processVideo(model, frameSourceFromVideo(clip.video), { depth: { width: 10, height: 7 }, scaleFrom: { kind: 'depth', at: [x, y], metres: z } });
    const results = await collect(run);
    expect(results[0]!.metricScale).toBeGreaterThan(0);
    for (const r of [results[0]!, results.at(-1)!]) {
      const d = r.depth!;
      for (let k = 0; k < 70; k += 9) {
        const gt = clip.caster.depthAt((k % 10) / 9, Math.floor(k / 10) / 6, r.frames[0]!);
        expect(d.data[k]! / gt).toBeCloseTo(1, 5);
      }
    }
    // a distance between two pixels: the same metres
    const a = clip.caster.query(0.2, 0.7, 0, 0, 0), ax = [a.x, a.y, a.z];
    const b = clip.caster.query(0.8, 0.6, 0, 0, 0);
    const metres = Math.hypot(ax[0]! - b.x, ax[1]! - b.y, ax[2]! - b.z);
    const px = (uu: number, vv: number): [number, number] => [uu * (clip.width - 1), vv * (clip.height - 1)];
    const r2 = await collect(processVideo(model, frameSourceFromVideo(clip.video), { depth: { width: 10, height: 7 }, scaleFrom: { kind: 'distance', from: px(0.2, 0.7), to: px(0.8, 0.6), metres } }));
    expect(r2[0]!.metricScale! / results[0]!.metricScale!).toBeCloseTo(1, 5);
  });

  it('the camera height above the floor gives the scale too', async () => {
    // the generator's floor is y = 0 in its scene world (y down): the camera height is -y of its centre
    const height = -clip.caster.scene.cameraToScene[7]!;
    const r = await collect(processVideo(model, frameSourceFromVideo(clip.video), { depth: { width: 10, height: 7 }, scaleFrom: { kind: 'height', metres: height } }));
    const d = r[0]!.depth!;
    const gt = clip.caster.depthAt(0, 1, 0);
    expect(d.data[60]! / gt).toBeCloseTo(1, 2);
  });
});

describe('options, short videos and abort', () => {
  it('a video shorter than T is one window reporting each frame once', async () => {
    const fb = clip.width * clip.height * 3;
    const short = { ...clip.video, data: clip.video.data.subarray(0, 5 * fb), frames: 5 };
    const run = processVideo(model, frameSourceFromVideo(short), { depth: { width: 8, height: 6 }, cameras: true, tracks: { points: { u: [0.5], v: [0.5], frame: [2] } } });
    const r = await collect(run);
    expect(r).toHaveLength(1);
    expect(Array.from(r[0]!.frames)).toEqual([0, 1, 2, 3, 4]);
    expect(r[0]!.depth!.frames).toBe(5);
    expect(r[0]!.tracks!.alive.every((x) => x === 1)).toBe(true);
  });

  it('names the option and the allowed values', () => {
    const src = frameSourceFromVideo(clip.video);
    const noTiming = frameSourceFromVideo({ ...clip.video, fps: undefined } as never);
    expect(() => processVideo(model, noTiming, { fps: 5 })).toThrow(/processVideo: options\.fps \(5\) needs the source's frame times/);
    expect(() => processVideo(model, src, { fps: 10, tracks: { points: { u: [0.5], v: [0.5], frame: [4] } } })).toThrow(
      /options\.tracks\.points\.frame\[0\] \(4\) must be a processed source frame; the nearest is 3/,
    );
    expect(() => processVideo(model, src, { scaleFrom: { kind: 'depth', at: [1, 1], metres: 2, frame: 40 } })).toThrow(/options\.scaleFrom\.frame \(40\) must be a processed source frame of the first window/);
    expect(() => processVideo(model, src, { scaleFrom: { kind: 'depth', at: [90, 1], metres: 2 } })).toThrow(/options\.scaleFrom\.at \(\[90, 1\]\) must lie in the 90x60 image/);
    expect(() => processVideo(model, src, { overlap: 16 })).toThrow(/options\.overlap \(16\) must be an integer in \[1, 15\]/);
  });

  it('abort mid-video stops the run and the frame reading', async () => {
    const inner = frameSourceFromVideo(clip.video);
    let read = 0;
    let returned = false;
    const source: FrameSource = {
      ...inner,
      read(indices, options) {
        const it = inner.read(indices, options)[Symbol.asyncIterator]();
        return {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              const n = await it.next();
              if (!n.done) read++;
              return n;
            },
            return: async () => {
              returned = true;
              return { done: true as const, value: undefined };
            },
          }),
        };
      },
    };
    const ac = new AbortController();
    const progress: number[] = [];
    const run = processVideo(model, source, { depth: true, signal: ac.signal, onProgress: (p) => progress.push(p.done) });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const r of run) {
          seen.push(r.window.index);
          if (r.window.index === 1) ac.abort(new Error('user stop'));
        }
      })(),
    ).rejects.toThrow('user stop');
    expect(seen).toEqual([0, 1]);
    expect(progress).toEqual([0, 1, 2]);
    expect(read).toBe(run.plan.windows[1]!.end);
    expect(returned).toBe(true);
  });
});
