/**
 * Measures one converted model folder through the SDK, and compares the answers of several (a
 * measurement script, not a test; used for the full-size table in training/opend4rt/README.md):
 *
 *     npx tsx packages/runtime-node/test/opend4rt-measure.ts DIR --out RESULTS/NAME
 *         [--queries 300] [--threads 2] [--video FILE]
 *     npx tsx packages/runtime-node/test/opend4rt-measure.ts --compare RESULTS/fp32 RESULTS/fp16 RESULTS/int8
 *
 * The first form (one model per process, so that RSS is the model's own): `loadModel` wall time and
 * RSS after it, one clip (default the bundled demo.mp4) encoded (encoder and K/V graph ms inside
 * `session.run`), `--queries` seeded random queries answered in one chunk through `scene.query`
 * (ms and queries/s), the process's peak RSS; writes `stats.json`, the memory and every decoded
 * output as raw little-endian float32 files into `--out`. The second prints, for each folder after
 * the first, the largest relative error `max |x - ref| / max |ref|` of the memory and each output
 * against the first folder's. The last line of both is JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadModel, randomQueries, readVideo } from '../src/index.js';
import { FIXTURES } from './io-helpers.js';
import { relativeError } from './opend4rt.js';

const OUTPUTS = ['memory', 'xyz', 'uv', 'visibility', 'confidence', 'normal', 'displacement'] as const;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    compare: { type: 'boolean', default: false },
    queries: { type: 'string', default: '300' },
    threads: { type: 'string', default: '2' },
    video: { type: 'string' },
  },
});
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
const readF32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

if (values.compare) {
  const [ref, ...others] = positionals.map((p) => resolve(p));
  if (ref === undefined || others.length === 0) throw new Error('opend4rt-measure --compare: give the reference results folder, then the others');
  const table: Record<string, Record<string, number>> = {};
  for (const dir of others) {
    const errors: Record<string, number> = {};
    for (const name of OUTPUTS) errors[name] = relativeError(readF32(join(dir, `${name}.f32`)), readF32(join(ref, `${name}.f32`)));
    table[dir] = errors;
    console.log(`${dir} vs ${ref}: ${OUTPUTS.map((n) => `${n} ${errors[n]!.toExponential(1)}`).join(', ')}`);
  }
  console.log(JSON.stringify(table, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(3)) : v)));
} else {
  const folder = positionals[0];
  if (folder === undefined || values.out === undefined) throw new Error('opend4rt-measure: give a model folder and --out');
  const threads = Number(values.threads);
  const count = Number(values.queries);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const model = await loadModel(resolve(folder), { device: 'cpu', threads });
  const loadSeconds = (performance.now() - t0) / 1000;
  const rssAfterLoadMB = mb(process.memoryUsage().rss);
  process.stderr.write(`opend4rt-measure: ${model.manifest.name} loaded in ${loadSeconds.toFixed(1)} s (RSS ${rssAfterLoadMB} MB); encoding\n`);
  const T = model.manifest.clip.frames;
  const video = await readVideo(values.video ?? join(FIXTURES, 'demo', 'demo.mp4'), { frames: T });
  const enc = model.encoderSession.stats!, kv = model.kvSession?.stats, dec = model.decoderSession.stats!;
  const e0 = enc.totalMs, k0 = kv?.totalMs ?? 0;
  const t1 = performance.now();
  const scene = await model.encode(video);
  const encodeSeconds = (performance.now() - t1) / 1000;
  const encoderSeconds = (enc.totalMs - e0) / 1000;
  const kvSeconds = kv === undefined ? null : (kv.totalMs - k0) / 1000;
  process.stderr.write(`opend4rt-measure: encoded in ${encodeSeconds.toFixed(1)} s; ${count} queries\n`);
  const d0 = dec.totalMs;
  const r = await scene.query(randomQueries({ count, frames: T, seed: 1 }), { chunkSize: count });
  const decoderMs = dec.totalMs - d0;
  const files: Record<string, Float32Array | undefined> = { memory: scene.memory.data as Float32Array, xyz: r.xyz, uv: r.uv, visibility: r.visibility, confidence: r.confidence, normal: r.normal, displacement: r.displacement };
  for (const [name, a] of Object.entries(files)) if (a !== undefined) writeFileSync(join(out, `${name}.f32`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const stats = {
    model: model.manifest.name,
    folder: resolve(folder),
    dtype: model.manifest.info?.dtype,
    kv: model.kvSession !== undefined,
    threads,
    loadSeconds,
    rssAfterLoadMB,
    encodeSeconds,
    encoderSeconds,
    kvSeconds,
    queries: count,
    decoderMs,
    decoderQueriesPerSec: count / (decoderMs / 1000),
    peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
  };
  writeFileSync(join(out, 'stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
  scene.dispose();
  await model.dispose();
  console.log(JSON.stringify(stats, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(5)) : v)));
}
