/**
 * runtime-web in a real browser (headless Debian Chromium): the embedded model on the wasm
 * backend against onnxruntime-node on the same frames, worker mode, video decoding against
 * ffmpeg, caching, and the errors a page shows.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel as loadNodeModel, readVideo as readNodeVideo } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, openTestPage, type TestPage } from './browser-page.js';

const DEMO = path.join(MODELS, 'fixtures/demo');
const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : undefined;

async function ffmpeg(args: string[]): Promise<void> {
  await promisify(execFile)(FFMPEG!, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

/** Demo clip frames as the fixture stores them (exact RGB, no codec). */
async function demoFrames(): Promise<{ data: Uint8Array; frames: number; width: number; height: number }> {
  const clip = JSON.parse(await readFile(path.join(DEMO, 'clip.json'), 'utf8')) as { frames: number; width: number; height: number };
  const data = new Uint8Array(await readFile(path.join(DEMO, 'frames.u8')));
  return { data, frames: clip.frames, width: clip.width, height: clip.height };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe.skipIf(!hasChromium())('@d4rt/runtime-web in headless Chromium', () => {
  let t: TestPage;
  beforeAll(async () => {
    t = await openTestPage();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('runs the embedded model on wasm; depth equals onnxruntime-node on the same frames within 1e-3', async () => {
    const web = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const events: { stage: string; done: number; total: number }[] = [];
      const model = await d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', onProgress: (p) => events.push(p) });
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const scene = await model.encode({ data, frames: 16, width: 192, height: 128 });
      const depth = await scene.depth();
      const tracks = await scene.track({ u: [0.5, 0.25], v: [0.5, 0.75], frame: [0, 0] });
      const out = { backend: model.backend, isolated: crossOriginIsolated, depth: Array.from(depth.data), xyz: Array.from(tracks.xyz), events };
      scene.dispose();
      await model.dispose();
      return out;
    });
    expect(web.backend).toBe('onnxruntime-web:wasm');
    expect(web.isolated).toBe(true);
    // Download progress: bytes, monotone, last = total = both graphs.
    const reads = web.events.filter((e) => e.stage === 'read');
    expect(reads.length).toBeGreaterThan(1);
    for (let i = 1; i < reads.length; i++) expect(reads[i]!.done).toBeGreaterThanOrEqual(reads[i - 1]!.done);
    const last = reads.at(-1)!;
    expect(last.done).toBe(last.total);
    const onDisk = (await readFile(path.join(MODELS, 'd4rt-tiny/encoder.onnx'))).length + (await readFile(path.join(MODELS, 'd4rt-tiny/decoder.onnx'))).length;
    expect(last.total).toBe(onDisk);

    const model = await loadNodeModel(undefined, { device: 'cpu' });
    const scene = await model.encode(await demoFrames());
    const depth = await scene.depth();
    const tracks = await scene.track({ u: [0.5, 0.25], v: [0.5, 0.75], frame: [0, 0] });
    await model.dispose();
    const dDepth = maxAbsDiff(web.depth, depth.data);
    const dXyz = maxAbsDiff(web.xyz, tracks.xyz);
    console.info(`wasm vs onnxruntime-node: depth max |diff| ${dDepth.toExponential(2)}, track xyz max |diff| ${dXyz.toExponential(2)}`);
    expect(dDepth).toBeLessThan(1e-3);
    expect(dXyz).toBeLessThan(1e-3);
    // Not trivially equal because both are constant.
    expect(Math.max(...web.depth) - Math.min(...web.depth)).toBeGreaterThan(0.1);
  });

  it('serves the graphs from the Cache API on the second load', async () => {
    const fetched = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      performance.clearResourceTimings();
      const model = await d4rt.loadModel('/models/d4rt-tiny/manifest.json', { device: 'wasm', wasmPaths: '/ort/' });
      await model.dispose();
      return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
    });
    expect(fetched).toContain('/models/d4rt-tiny/manifest.json');
    expect(fetched.filter((p) => p.endsWith('.onnx'))).toEqual([]);
  });

  it('worker mode: same depth as the page thread, progress forwarded, errors keep their class', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const video = { data, frames: 16, width: 192, height: 128 };
      const page = await d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/' });
      // Two frames keep the test short on 2 busy cores; every pixel of them still runs through both threads.
      const pageDepth = (await (await page.encode(video)).depth({ frames: [0, 15] })).data;
      await page.dispose();
      const stages = new Set<string>();
      const model = await d4rt.loadModelInWorker('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', worker: '/worker.js', onProgress: (p) => stages.add(p.stage) });
      const scene = await model.encode(video, { onProgress: (p) => stages.add(p.stage) });
      const depth = await scene.depth({ frames: [0, 15], onProgress: (p) => stages.add(p.stage) });
      let diff = 0;
      for (let i = 0; i < depth.data.length; i++) diff = Math.max(diff, Math.abs(depth.data[i]! - pageDepth[i]!));
      let queryError = '';
      try {
        await scene.query({ u: [2], v: [0.5], tSrc: [0], tTgt: [0], tCam: [0] });
      } catch (e) {
        queryError = `${(e as Error).name} ${(e as { code?: string }).code} ${(e as Error).message}`;
      }
      const cams = await scene.cameras();
      scene.dispose();
      let disposedError = '';
      try {
        await scene.depth();
      } catch (e) {
        disposedError = (e as Error).name;
      }
      await model.dispose();
      return { diff, stages: [...stages], queryError, disposedError, backend: model.backend, frames: scene.frames, pose1: Array.from(cams.cameraToWorld[1]!), type: depth.data.constructor.name };
    });
    expect(r.backend).toBe('onnxruntime-web:wasm');
    expect(r.diff).toBe(0);
    expect(r.type).toBe('Float32Array');
    expect(r.stages).toEqual(expect.arrayContaining(['read', 'preprocess', 'encode', 'query']));
    expect(r.queryError).toMatch(/^InvalidQueryError ERR_INVALID_QUERY .*u/);
    expect(r.disposedError).toBe('SceneDisposedError');
    expect(r.pose1.every(Number.isFinite)).toBe(true);
  });

  it.skipIf(!FFMPEG)('readVideo: WebCodecs decodes demo.mp4 as ffmpeg does (bit for bit here), <video> within a few levels', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const wc = await d4rt.readVideo('/models/fixtures/demo/demo.mp4');
      const blob = await (await fetch('/models/fixtures/demo/demo.mp4')).blob();
      const el = await d4rt.readVideo(new File([blob], 'demo.mp4', { type: 'video/mp4' }), { decoder: 'element', fps: 12 });
      const byUrl = await d4rt.readVideo('/models/fixtures/demo/demo.mp4', { decoder: 'element', fps: 12 });
      let same = byUrl.data.length === el.data.length;
      for (let i = 0; same && i < el.data.length; i++) same = el.data[i] === byUrl.data[i];
      return {
        same,
        wc: { decoder: wc.decoder, frames: wc.frames, width: wc.width, height: wc.height, fps: wc.fps, data: Array.from(wc.data) },
        el: { decoder: el.decoder, frames: el.frames, data: Array.from(el.data) },
      };
    });
    const ref = await readNodeVideo(path.join(DEMO, 'demo.mp4'));
    expect(r.wc).toMatchObject({ decoder: 'webcodecs', frames: 16, width: 192, height: 128 });
    expect(r.wc.fps).toBeCloseTo(12, 3);
    expect(r.el).toMatchObject({ decoder: 'element', frames: 16 });
    const dWc = meanAbsDiff(r.wc.data, ref.data);
    const dEl = meanAbsDiff(r.el.data, ref.data);
    console.info(`demo.mp4 mean |RGB diff| vs ffmpeg: WebCodecs ${dWc.toFixed(3)}, <video> ${dEl.toFixed(3)} levels`);
    // WebCodecs frames are converted to RGB as ffmpeg does; the <video> path uses the browser's conversion.
    expect(dWc).toBeLessThan(0.05);
    expect(dEl).toBeLessThan(3);
    expect(r.same).toBe(true);
  });

  it.skipIf(!FFMPEG)('readVideo keeps the same evenly spaced frames of a longer video as runtime-node', async () => {
    const file = path.join(t.files, 'long.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=2.4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '12', '-bf', '2', file]);
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const v = await d4rt.readVideo('/files/long.mp4', { frames: 16 });
      return { frames: v.frames, sourceFrames: v.sourceFrames, sourceIndices: Array.from(v.sourceIndices ?? []), data: Array.from(v.data) };
    });
    const ref = await readNodeVideo(file, { frames: 16 });
    expect(r.sourceFrames).toBe(ref.sourceFrames);
    expect(r.sourceIndices).toEqual(Array.from(ref.sourceIndices!));
    expect(meanAbsDiff(r.data, ref.data)).toBeLessThan(3);
  });

  it.skipIf(!FFMPEG)('bad inputs reject with named errors: not a video, a codec the browser cannot decode, a 404 model, a bad device', async () => {
    await writeFile(path.join(t.files, 'notes.txt'), 'these are not frames\n'.repeat(100));
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10:duration=1', '-c:v', 'mpeg4', path.join(t.files, 'part2.mp4')]);
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const describe = async (f: () => Promise<unknown>): Promise<string> => {
        try {
          await f();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}|${(e as { reason?: string }).reason ?? ''}|${(e as Error).message}`;
        }
      };
      const text = await (await fetch('/files/notes.txt')).blob();
      return {
        text: await describe(() => d4rt.readVideo(new File([text], 'notes.txt'))),
        part2: await describe(() => d4rt.readVideo('/files/part2.mp4')),
        missing: await describe(() => d4rt.readVideo('/files/missing.mp4')),
        missingElement: await describe(() => d4rt.readVideo('/files/missing.mp4', { decoder: 'element' })),
        model404: await describe(() => d4rt.loadModel('/models/nope/', { device: 'wasm', wasmPaths: '/ort/' })),
        device: await describe(() => d4rt.loadModel('/models/d4rt-tiny/', { device: 'cuda' as never })),
        worker404: await describe(() => d4rt.loadModelInWorker('/models/nope/', { device: 'wasm', wasmPaths: '/ort/', worker: '/worker.js' })),
      };
    });
    expect(r.text).toMatch(/^InvalidVideoError\|not-a-video\|readVideo: file 'notes.txt' is not a video/);
    expect(r.part2).toMatch(/^InvalidVideoError\|undecodable\|readVideo: '\/files\/part2.mp4' \(mp4 container, codec 'mp4v[^']*', not supported by WebCodecs\) cannot be decoded/);
    expect(r.missing).toMatch(/^InvalidVideoError\|not-found\|.*HTTP 404/);
    expect(r.missingElement).toMatch(/^InvalidVideoError\|not-found\|readVideo: '\/files\/missing.mp4' answered HTTP 404/);
    expect(r.model404).toMatch(/^ModelLoadError\|\|loadModel: manifest 'http:\/\/127\.0\.0\.1:\d+\/models\/nope\/manifest\.json' answered HTTP 404/);
    expect(r.device).toMatch(/^RangeError\|\|resolveWebDevice: device \("cuda"\) must be/);
    expect(r.worker404).toMatch(/^ModelLoadError\|\|loadModel: manifest .* answered HTTP 404/);
  });

  it('falls back from WebGPU to wasm in order and names each cause when none works', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      // This Chromium runs with --disable-gpu and no --enable-unsafe-webgpu: WebGPU has no adapter.
      const m = await d4rt.loadModel('/models/d4rt-tiny/', { device: ['webgpu', 'wasm'], wasmPaths: '/ort/' });
      const backend = m.backend;
      await m.dispose();
      let error = '';
      try {
        await d4rt.loadModel('/models/d4rt-tiny/', { device: ['webgpu'], wasmPaths: '/ort/' });
      } catch (e) {
        error = `${(e as Error).name}|${(e as { failures?: { backend: string }[] }).failures?.map((f) => f.backend).join(',')}|${(e as Error).message}`;
      }
      return { backend, error };
    });
    expect(r.backend).toBe('onnxruntime-web:wasm');
    expect(r.error).toMatch(/^BackendUnavailableError\|onnxruntime-web:webgpu\|createSessionsWithFallback: no backend could load the model; tried 1:\n {2}- onnxruntime-web:webgpu: /);
  });
});
