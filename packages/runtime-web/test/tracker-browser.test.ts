/**
 * The tracker decoder in a real browser (headless Chromium, wasm): `scene.track(points,
 * { decoder: 'tracker' })` on the page thread and in worker mode against onnxruntime-node on the
 * same frames; the tracker graph is hash-checked like the other graphs; NoTrackerError keeps its
 * class across the worker boundary.
 *
 * The tracker model: `D4RT_TRACKER_MODEL` (a model folder with a `tracker` section), else the
 * embedded d4rt-tiny once it ships one; skipped without either (and without Chromium).
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel as loadNodeModel } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, openTestPage, type TestPage } from './browser-page.js';

const EMBEDDED = path.join(MODELS, 'd4rt-tiny');

function trackerModelPath(): string | undefined {
  const env = process.env.D4RT_TRACKER_MODEL;
  if (env) return path.resolve(env);
  const manifest = JSON.parse(readFileSync(path.join(EMBEDDED, 'manifest.json'), 'utf8')) as { tracker?: unknown };
  return manifest.tracker !== undefined ? EMBEDDED : undefined;
}

const folder = trackerModelPath();
const DEMO = path.join(MODELS, 'fixtures/demo');

/** The points both runtimes track: a 5 x 4 grid in frame 0 and a few in later frames. */
const POINTS = {
  u: [...Array.from({ length: 20 }, (_, i) => 0.1 + 0.2 * (i % 5)), 0.5, 0.3, 0.7],
  v: [...Array.from({ length: 20 }, (_, i) => 0.15 + 0.23 * Math.floor(i / 5)), 0.5, 0.8, 0.2],
  frame: [...Array.from({ length: 20 }, () => 0), 5, 9, 15],
};

describe.skipIf(!hasChromium() || folder === undefined)('the tracker decoder in headless Chromium', () => {
  let t: TestPage;
  beforeAll(async () => {
    t = await openTestPage();
    // served at /files/tracker/ (the model) and /files/tampered/ (its tracker graph altered, same manifest)
    const manifest = JSON.parse(await readFile(path.join(folder!, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    for (const dir of ['tracker', 'tampered']) {
      await mkdir(path.join(t.files, dir));
      await copyFile(path.join(folder!, 'manifest.json'), path.join(t.files, dir, 'manifest.json'));
      for (const role of ['encoder', 'decoder', 'tracker']) await copyFile(path.join(folder!, manifest.files[role]!), path.join(t.files, dir, manifest.files[role]!));
    }
    const graph = path.join(t.files, 'tampered', manifest.files.tracker!);
    const bytes = await readFile(graph);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(graph, bytes);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('runs in wasm on the page thread and in a worker and matches onnxruntime-node within 1e-4', async () => {
    const clip = JSON.parse(await readFile(path.join(DEMO, 'clip.json'), 'utf8')) as { frames: number; width: number; height: number };
    const data = new Uint8Array(await readFile(path.join(DEMO, 'frames.u8')));
    const node = await loadNodeModel(folder!, { threads: 1 });
    const nodeScene = await node.encode({ data, frames: clip.frames, width: clip.width, height: clip.height });
    const want = await nodeScene.track(POINTS, { decoder: 'tracker' });
    nodeScene.dispose();
    await node.dispose();

    const web = await t.page.evaluate(async (points) => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const video = { data, frames: 16, width: 192, height: 128 };
      const reads: { done: number; total: number }[] = [];
      const model = await d4rt.loadModel('/files/tracker/', { device: 'wasm', wasmPaths: '/ort/', cache: false, onProgress: (p) => reads.push(p) });
      const scene = await model.encode(video);
      const page = await scene.track(points, { decoder: 'tracker' });
      await model.dispose();
      const worker = await d4rt.loadModelInWorker('/files/tracker/', { device: 'wasm', wasmPaths: '/ort/', cache: false, worker: '/worker.js' });
      const ws = await worker.encode(video);
      const progress: number[] = [];
      const inWorker = await ws.track(points, { decoder: 'tracker', onProgress: (p) => progress.push(p.done) });
      await worker.dispose();
      // the embedded model has no tracker graph (until it ships one): the error keeps its class
      let noTracker = '';
      const plain = await d4rt.loadModelInWorker('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', cache: false, worker: '/worker.js' });
      if (plain.manifest.tracker === undefined) {
        const s = await plain.encode(video);
        const e = await s.track(points, { decoder: 'tracker' }).catch((err: unknown) => err as Error);
        noTracker = `${e instanceof d4rt.NoTrackerError} ${(e as Error).name} ${(e as { code?: string }).code}`;
      }
      await plain.dispose();
      const arrays = (r: typeof page) => ({ xyz: Array.from(r.xyz), uv: Array.from(r.uv), visibility: Array.from(r.visibility), confidence: Array.from(r.confidence), frames: r.frames, points: r.points, frame: r.frame });
      return { backend: model.backend, verified: model.loadedFrom?.verified, page: arrays(page), worker: arrays(inWorker), progress, readTotal: reads.at(-1)?.total, noTracker, hasTracker: plain.manifest.tracker !== undefined };
    }, POINTS);

    expect(web.backend).toBe('onnxruntime-web:wasm');
    expect(web.verified).toBe(true);
    const bytes = (f: string): number => readFileSync(path.join(folder!, f)).length;
    const m = JSON.parse(readFileSync(path.join(folder!, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    expect(web.readTotal).toBe(bytes(m.files.encoder!) + bytes(m.files.decoder!) + bytes(m.files.tracker!));
    for (const r of [web.page, web.worker]) {
      expect(r).toMatchObject({ frames: 16, points: POINTS.u.length, frame: 'camera' });
      for (const key of ['xyz', 'uv', 'visibility', 'confidence'] as const) {
        const a = r[key], b = want[key];
        expect(a.length, key).toBe(b.length);
        const diffs = Array.from(a, (x, i) => Math.abs(x - b[i]!) / Math.max(1, Math.abs(b[i]!)));
        if (key !== 'uv') {
          expect(Math.max(...diffs), key).toBeLessThan(1e-4);
          continue;
        }
        // 2D is a truncated soft-argmax: where two bins' logits tie to float32 rounding (the
        // trained tracker's logits reach ~3e3), the two runtimes may centre the window on different
        // bins and the position jumps by a bin or two. Every other position within 1e-4; a jump at
        // most 3 bins, and at most 1 % of positions.
        const far = diffs.filter((d) => d >= 1e-4);
        expect(far.length, 'uv positions off by more than 1e-4').toBeLessThanOrEqual(Math.ceil(0.01 * a.length));
        for (const d of far) expect(d, 'uv window jump').toBeLessThan(3 / 63);
      }
    }
    expect(web.worker).toEqual(web.page);
    expect(web.progress).toEqual([0, 16 * POINTS.u.length]);
    if (!web.hasTracker) expect(web.noTracker).toBe('true NoTrackerError ERR_NO_TRACKER');
  });

  it('refuses a tracker graph whose bytes are not the manifest hash (ModelIntegrityError naming it)', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const e = await d4rt.loadModel('/files/tampered/', { device: 'wasm', wasmPaths: '/ort/', cache: false }).catch((err: unknown) => err as Error & { file?: string; code?: string });
      return { name: (e as Error).name, code: (e as { code?: string }).code, file: (e as { file?: string }).file };
    });
    expect(r.name).toBe('ModelIntegrityError');
    expect(r.code).toBe('ERR_MODEL_INTEGRITY');
    expect(r.file).toMatch(/\/files\/tampered\/tracker\.onnx$/);
  });
});
