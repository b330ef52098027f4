/**
 * Decoder speed with and without the K/V graph, side by side in one run (a benchmark script, not a
 * test):
 *
 *     npx tsx packages/runtime-node/test/kv-bench.ts --kv DIR --plain DIR [--queries 4096,256]
 *         [--runs 5] [--warmup 1] [--threads 2] [--video FILE]
 *
 * `--kv` is a model folder with a K/V graph; `--plain` the same model whose decoder takes the memory
 * (only its decoder graph is loaded). One clip (default the bundled demo.mp4) is encoded once with
 * the K/V model; then, for each query count, both decoders run alternately on the same feeds (the
 * K/V decoder on the K/V graph's outputs, the plain one on the memory; the patches and coordinates
 * exactly as `Scene.query` builds them), so machine noise hits both alike. Times are inside
 * onnxruntime's `session.run`, medians over `--runs` after `--warmup`. The K/V graph itself is timed
 * as often. Without it every decoder run pays for the memory's K/V; with it a scene pays once, so a
 * scene answered in `n` runs of a chunk size saves `n * (plain - kv ms per run) - kv ms`: the table
 * gives the runs per scene from which that is positive. Both decoders' answers are compared
 * (largest absolute difference per output). The last line is JSON.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  checkSessionIo,
  createDecoderInputs,
  createOnnxBackend,
  fillDecoderInputs,
  loadModel,
  parseManifest,
  randomQueries,
  readVideo,
  type BackendSession,
  type Tensor,
} from '../src/index.js';
import { FIXTURES } from './io-helpers.js';

const { values } = parseArgs({
  options: {
    kv: { type: 'string' },
    plain: { type: 'string' },
    queries: { type: 'string', default: '4096,256' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    video: { type: 'string' },
  },
});
if (values.kv === undefined || values.plain === undefined) {
  console.error('kv-bench: --kv DIR and --plain DIR are required');
  process.exit(2);
}
const threads = Number(values.threads);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const counts = values.queries.split(',').map(Number);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

async function timed(session: BackendSession, feeds: Record<string, Tensor>): Promise<{ ms: number; out: Record<string, Tensor> }> {
  const t0 = performance.now();
  const out = await session.run(feeds);
  return { ms: performance.now() - t0, out };
}

const t0 = performance.now();
const model = await loadModel(resolve(values.kv), { device: 'cpu', threads });
const loadMs = performance.now() - t0;
const manifest = model.manifest;
if (model.kvSession === undefined) throw new Error(`kv-bench: ${values.kv} has no K/V graph (manifest.kv)`);
const plainDir = resolve(values.plain);
const plainManifest = parseManifest(JSON.parse(readFileSync(join(plainDir, 'manifest.json'), 'utf8')));
if (plainManifest.kv !== undefined || plainManifest.memory.tokens !== manifest.memory.tokens || plainManifest.patch.size !== manifest.patch.size) {
  throw new Error(`kv-bench: ${values.plain} must be the same model without a K/V graph`);
}
const external = plainManifest.files.externalData?.decoder !== undefined;
const plainBytes = readFileSync(join(plainDir, plainManifest.files.decoder));
const plain = await createOnnxBackend({ device: 'cpu', intraOpThreads: threads }).createSession(external ? join(plainDir, plainManifest.files.decoder) : plainBytes);
checkSessionIo(plainManifest, 'decoder', plain);
const rssAfterLoad = process.memoryUsage().rss;
log(`kv-bench: ${manifest.name} loaded in ${(loadMs / 1000).toFixed(1)} s; encoding one clip`);

const T = manifest.clip.frames;
const video = await readVideo(values.video ?? join(FIXTURES, 'demo', 'demo.mp4'), { frames: T });
const encBefore = model.encoderSession.stats!.totalMs;
const kvBefore = model.kvSession.stats!.totalMs;
const scene = await model.encode(video);
const encoderMs = model.encoderSession.stats!.totalMs - encBefore;
const kvFirstMs = model.kvSession.stats!.totalMs - kvBefore;
const memory = scene.memory;
const input = model.preprocess(video);
const kvMs: number[] = [];
let kv: Record<string, Tensor> = {};
for (let i = 0; i < warmup + runs; i++) {
  const r = await timed(model.kvSession, { memory });
  if (i >= warmup) kvMs.push(r.ms);
  kv = r.out;
}
const figures: Record<string, unknown> = {
  model: manifest.name,
  threads,
  runs,
  warmup,
  loadSeconds: loadMs / 1000,
  rssAfterLoadMB: mb(rssAfterLoad),
  encoderMs,
  kvMsFirst: kvFirstMs,
  kvMs: median(kvMs),
};
const lines = [
  `kv-bench: ${manifest.name}, onnxruntime-node CPU, ${threads} threads, medians of ${runs} runs after ${warmup} warm-up (inside session.run)`,
  '',
  `encoder ${(encoderMs / 1000).toFixed(2)} s per clip; K/V graph ${median(kvMs).toFixed(0)} ms per scene`,
  '',
  '| queries per run | with K/V: queries/s | without: queries/s | speed with / without | ms saved per run | K/V graph pays from (runs per scene) |',
  '|---:|---:|---:|---:|---:|---:|',
];
const perCount: Record<string, unknown>[] = [];
const diffs: Record<string, number> = {};
for (const count of counts) {
  log(`kv-bench: ${count} queries per run`);
  const q = randomQueries({ count, frames: T, seed: 1 });
  const base = fillDecoderInputs(createDecoderInputs(count, manifest.patch.size), { queries: q, start: 0, count, video: input.video, manifest, memory });
  const queryFeeds = { coords: base.coords!, times: base.times!, patches: base.patches! };
  const withKv = { ...(manifest.decoder.inputs.memory !== undefined && { memory }), ...queryFeeds, ...kv };
  const without = { memory, ...queryFeeds };
  const a: number[] = [], b: number[] = [];
  let outA: Record<string, Tensor> = {}, outB: Record<string, Tensor> = {};
  for (let i = 0; i < warmup + runs; i++) {
    // alternate which goes first, so that neither always runs on a warmer cache
    const order = i % 2 === 0 ? (['kv', 'plain'] as const) : (['plain', 'kv'] as const);
    for (const side of order) {
      const r = side === 'kv' ? await timed(model.decoderSession, withKv) : await timed(plain, without);
      if (i >= warmup) (side === 'kv' ? a : b).push(r.ms);
      if (side === 'kv') outA = r.out;
      else outB = r.out;
    }
  }
  for (const [name, t] of Object.entries(outA)) {
    const x = t.data as Float32Array, y = outB[name]!.data as Float32Array;
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
    diffs[name] = Math.max(diffs[name] ?? 0, d);
  }
  const qa = count / (median(a) / 1000), qb = count / (median(b) / 1000);
  const saved = median(b) - median(a);
  const runsToPay = saved > 0 ? Math.max(1, Math.ceil(median(kvMs) / saved)) : null;
  perCount.push({ queries: count, kvQueriesPerSec: qa, plainQueriesPerSec: qb, speedup: qa / qb, kvMsPerRun: median(a), plainMsPerRun: median(b), savedMsPerRun: saved, runsToPay });
  lines.push(`| ${count} | ${qa.toFixed(1)} | ${qb.toFixed(1)} | ${(qa / qb).toFixed(3)} | ${saved.toFixed(1)} | ${runsToPay ?? 'never'} |`);
}
figures.decoder = perCount;
figures.maxAbsDiff = diffs;
figures.peakRssMB = mb(process.resourceUsage().maxRSS * 1024);
lines.push('', `largest |with K/V - without| per output: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
scene.dispose();
await plain.dispose();
await model.dispose();
console.log(lines.join('\n'));
console.log(JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(5)) : v)));
