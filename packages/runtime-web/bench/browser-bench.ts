/**
 * Benchmark: onnxruntime-web (wasm, headless Chromium) vs onnxruntime-node on the same clip and
 * thread count, and how long the page's main thread is blocked while the model runs in a worker.
 *
 *   pnpm --filter @d4rt/runtime-web bench            (or `pnpm bench` at the root)
 *   tsx bench/browser-bench.ts --ratio-json          (only wasm vs Node; one JSON line, for `d4rt bench`)
 *
 * Every figure is a median over repeated runs, taken side by side in one process: the Node and the
 * wasm runs alternate run by run on the same frames, so machine noise hits both alike; the ratios
 * are what to compare across machines. Writes bench/results.json (not with --ratio-json).
 *
 * Environment: D4RT_BENCH_REPEATS (timed runs, default 5), D4RT_BENCH_WARMUP (untimed runs first,
 * default 1), D4RT_BENCH_THREADS (threads of both runtimes, default: cores, at most 4).
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, hasChromium } from '@d4rt/browser-harness';
import { loadModel } from '@d4rt/runtime-node';
import { MODELS, openTestPage } from '../test/browser-page.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RATIO_JSON = process.argv.includes('--ratio-json');
const REPEATS = Number(process.env.D4RT_BENCH_REPEATS ?? 5);
const WARMUP = Number(process.env.D4RT_BENCH_WARMUP ?? 1);
const THREADS = Number(process.env.D4RT_BENCH_THREADS ?? Math.min(4, os.availableParallelism()));
for (const [name, v, min] of [['D4RT_BENCH_REPEATS', REPEATS, 1], ['D4RT_BENCH_WARMUP', WARMUP, 0], ['D4RT_BENCH_THREADS', THREADS, 1]] as const) {
  if (!Number.isInteger(v) || v < min || v > 1000) {
    console.error(`browser-bench: ${name} (${process.env[name]}) must be an integer in [${min}, 1000]`);
    process.exit(2);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

if (!hasChromium()) {
  const why = `${CHROMIUM_PATH} not found (apt-get install chromium, or set D4RT_CHROMIUM)`;
  if (RATIO_JSON) {
    await new Promise<void>((done) => process.stdout.write(`${JSON.stringify({ skipped: why })}\n`, () => done()));
    process.exit(0);
  }
  console.error(`browser-bench: ${why}; nothing measured`);
  process.exit(1);
}

const clip = JSON.parse(await readFile(path.join(MODELS, 'fixtures/demo/clip.json'), 'utf8')) as { frames: number; width: number; height: number };
const frames = new Uint8Array(await readFile(path.join(MODELS, 'fixtures/demo/frames.u8')));
const video = { data: frames, frames: clip.frames, width: clip.width, height: clip.height };

// --- onnxruntime-node and onnxruntime-web in Chromium, alternating run by run ---
const nodeModel = await loadModel(undefined, { device: 'cpu', threads: THREADS });
const page = await openTestPage();
type BenchWindow = { d4rt: typeof import('../src/index.js'); benchRun(): Promise<{ encode: number; depth: number }>; benchDispose(): Promise<void> };
// onnxruntime-web reads numThreads once per page, when it first starts: one thread count per page.
// loadModel refuses threads > 1 unless the page is cross-origin isolated (the harness serves COOP/COEP).
const webInfo = await page.page.evaluate(
  async ({ threads, clip }) => {
    const w = window as unknown as BenchWindow;
    const model = await w.d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', threads });
    const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
    const v = { data, frames: clip.frames, width: clip.width, height: clip.height };
    w.benchRun = async () => {
      let t = performance.now();
      const scene = await model.encode(v);
      const encode = performance.now() - t;
      t = performance.now();
      await scene.depth();
      const depth = performance.now() - t;
      scene.dispose();
      return { encode, depth };
    };
    w.benchDispose = () => model.dispose();
    return { backend: model.backend, crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
  },
  { threads: THREADS, clip },
);
const nodeEncode: number[] = [];
const nodeDepth: number[] = [];
const web = { encode: [] as number[], depth: [] as number[] };
let queries = 0;
for (let i = 0; i < WARMUP + REPEATS; i++) {
  let t = performance.now();
  const scene = await nodeModel.encode(video);
  const e = performance.now() - t;
  t = performance.now();
  const depth = await scene.depth();
  const d = performance.now() - t;
  queries = depth.data.length;
  scene.dispose();
  const wr = await page.page.evaluate(() => (window as unknown as BenchWindow).benchRun());
  if (i >= WARMUP) {
    nodeEncode.push(e);
    nodeDepth.push(d);
    web.encode.push(wr.encode);
    web.depth.push(wr.depth);
  }
}
await page.page.evaluate(() => (window as unknown as BenchWindow).benchDispose());
await page.close();
await nodeModel.dispose();

const node = { encodeMs: median(nodeEncode), depthMs: median(nodeDepth), queriesPerSecond: queries / (median(nodeDepth) / 1000) };
const wasm = { backend: webInfo.backend, encodeMs: median(web.encode), depthMs: median(web.depth), queriesPerSecond: queries / (median(web.depth) / 1000) };
const ratio = {
  encode: wasm.encodeMs / node.encodeMs,
  depth: wasm.depthMs / node.depthMs,
  encodePlusDepth: (wasm.encodeMs + wasm.depthMs) / (node.encodeMs + node.depthMs),
};
if (RATIO_JSON) {
  const line = JSON.stringify({
    threads: THREADS,
    wasmThreads: THREADS,
    crossOriginIsolated: webInfo.crossOriginIsolated,
    backend: wasm.backend,
    frames: clip.frames,
    depthQueries: queries,
    warmup: WARMUP,
    repeats: REPEATS,
    nodeEncodeMs: node.encodeMs,
    nodeDepthMs: node.depthMs,
    wasmEncodeMs: wasm.encodeMs,
    wasmDepthMs: wasm.depthMs,
    ratio,
  });
  // flushed before exiting (stdout to a pipe is asynchronous on some platforms)
  await new Promise<void>((done) => process.stdout.write(`${line}\n`, () => done()));
  process.exit(0);
}

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
  node,
  web: wasm,
  ratio,
  mainThread: { worker, page: onPage },
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `\nwasm (Chromium) / onnxruntime-node, ${THREADS} threads, medians of ${REPEATS}: encode ${result.ratio.encode.toFixed(2)}x, depth ${result.ratio.depth.toFixed(2)}x, encode+depth ${result.ratio.encodePlusDepth.toFixed(2)}x (goal <= 2.5x)` +
    `\nmain thread's longest blocked interval while the model runs in a worker: ${worker.maxGapMs.toFixed(1)} ms (goal < 50 ms; on the page thread: ${onPage.maxGapMs.toFixed(0)} ms)`,
);
await writeFile(path.join(here, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
