/**
 * Benchmark: onnxruntime-web (wasm, headless Chromium) vs onnxruntime-node on the same clip and
 * thread count, and how long the page's main thread is blocked while the model runs in a worker.
 *
 *   pnpm --filter @d4rt/runtime-web bench            (or `pnpm bench` at the root)
 *
 * Every figure is a median over repeated runs, taken side by side in one process; the ratios are
 * what to compare across machines. Writes bench/results.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel } from '@d4rt/runtime-node';
import { MODELS, openTestPage } from '../test/browser-page.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPEATS = Number(process.env.D4RT_BENCH_REPEATS ?? 5);
const THREADS = Number(process.env.D4RT_BENCH_THREADS ?? Math.min(4, os.availableParallelism()));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

if (!hasChromium()) {
  console.error('browser-bench: /usr/bin/chromium not found (apt-get install chromium); nothing measured');
  process.exit(1);
}

const clip = JSON.parse(await readFile(path.join(MODELS, 'fixtures/demo/clip.json'), 'utf8')) as { frames: number; width: number; height: number };
const frames = new Uint8Array(await readFile(path.join(MODELS, 'fixtures/demo/frames.u8')));
const video = { data: frames, frames: clip.frames, width: clip.width, height: clip.height };

// --- onnxruntime-node ---
const nodeModel = await loadModel(undefined, { device: 'cpu', threads: THREADS });
const nodeEncode: number[] = [];
const nodeDepth: number[] = [];
let queries = 0;
for (let i = 0; i < REPEATS + 1; i++) {
  let t = performance.now();
  const scene = await nodeModel.encode(video);
  const e = performance.now() - t;
  t = performance.now();
  const depth = await scene.depth();
  const d = performance.now() - t;
  queries = depth.data.length;
  scene.dispose();
  if (i > 0) {
    nodeEncode.push(e);
    nodeDepth.push(d);
  }
}
await nodeModel.dispose();

// --- onnxruntime-web in Chromium ---
const page = await openTestPage();
type WebRun = { encode: number[]; depth: number[]; backend: string };
async function webRun(threads: number): Promise<WebRun> {
  return page.page.evaluate(
    async ({ threads, repeats }) => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      // onnxruntime-web reads numThreads once per page, when it first starts: one thread count per page.
      const model = await d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', threads });
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const v = { data, frames: 16, width: 192, height: 128 };
      const encode: number[] = [];
      const depth: number[] = [];
      for (let i = 0; i < repeats + 1; i++) {
        let t = performance.now();
        const scene = await model.encode(v);
        const e = performance.now() - t;
        t = performance.now();
        await scene.depth();
        const d = performance.now() - t;
        scene.dispose();
        if (i > 0) {
          encode.push(e);
          depth.push(d);
        }
      }
      await model.dispose();
      return { encode, depth, backend: model.backend };
    },
    { threads, repeats: REPEATS },
  );
}
const web = await webRun(THREADS);
await page.close();

// --- main thread while the model runs in a worker (and, for contrast, on the page) ---
async function blocking(mode: 'worker' | 'page'): Promise<{ maxGapMs: number; longTasks: number; longestTaskMs: number; totalMs: number }> {
  const p = await openTestPage();
  try {
    return await p.page.evaluate(
      async ({ mode, threads }) => {
        const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
        const opts = { device: 'wasm' as const, wasmPaths: '/ort/', threads };
        const model = mode === 'worker' ? await d4rt.loadModelInWorker('/models/d4rt-tiny/', { ...opts, worker: '/worker.js' }) : await d4rt.loadModel('/models/d4rt-tiny/', opts);
        const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
        const v = { data, frames: 16, width: 192, height: 128 };
        // Warm-up run (first-run compilation is not what a user waits for on every clip).
        (await model.encode(v)).dispose();
        const longTasks: number[] = [];
        const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
        observer.observe({ type: 'longtask', buffered: false });
        // Heartbeat: the longest gap between timer callbacks = the longest the page could not respond.
        let last = performance.now();
        let maxGap = 0;
        let beating = true;
        const beat = (): void => {
          const now = performance.now();
          maxGap = Math.max(maxGap, now - last);
          last = now;
          if (beating) setTimeout(beat, 0);
        };
        setTimeout(beat, 0);
        const t0 = performance.now();
        const scene = await model.encode(v);
        await scene.depth();
        await scene.track({ u: [0.5, 0.25, 0.75], v: [0.5, 0.25, 0.75], frame: [0, 0, 0] });
        await scene.cameras();
        await scene.pointCloud({ width: 48, height: 32 });
        const totalMs = performance.now() - t0;
        beating = false;
        await new Promise((r) => setTimeout(r, 50));
        observer.disconnect();
        scene.dispose();
        await model.dispose();
        return { maxGapMs: maxGap, longTasks: longTasks.length, longestTaskMs: Math.max(0, ...longTasks), totalMs };
      },
      { mode, threads: THREADS },
    );
  } finally {
    await p.close();
  }
}
const worker = await blocking('worker');
const onPage = await blocking('page');

const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, Node ${process.version}`,
  clip: `demo clip ${clip.frames}x${clip.width}x${clip.height} (model input 16x64x96)`,
  threads: THREADS,
  repeats: REPEATS,
  depthQueries: queries,
  node: { encodeMs: median(nodeEncode), depthMs: median(nodeDepth), queriesPerSecond: queries / (median(nodeDepth) / 1000) },
  web: { backend: web.backend, encodeMs: median(web.encode), depthMs: median(web.depth), queriesPerSecond: queries / (median(web.depth) / 1000) },
  ratio: {
    encode: median(web.encode) / median(nodeEncode),
    depth: median(web.depth) / median(nodeDepth),
    encodePlusDepth: (median(web.encode) + median(web.depth)) / (median(nodeEncode) + median(nodeDepth)),
  },
  mainThread: { worker, page: onPage },
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `\nwasm (Chromium) / onnxruntime-node, ${THREADS} threads, medians of ${REPEATS}: encode ${result.ratio.encode.toFixed(2)}x, depth ${result.ratio.depth.toFixed(2)}x, encode+depth ${result.ratio.encodePlusDepth.toFixed(2)}x (goal <= 2.5x)` +
    `\nmain thread's longest blocked interval while the model runs in a worker: ${worker.maxGapMs.toFixed(1)} ms (goal < 50 ms; on the page thread: ${onPage.maxGapMs.toFixed(0)} ms)`,
);
await writeFile(path.join(here, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
