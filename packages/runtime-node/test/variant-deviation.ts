/**
 * How far a model variant (an int8 decoder, another export of the same weights) answers from a
 * reference model on real queries (a script, not a test):
 *
 *     npx tsx packages/runtime-node/test/variant-deviation.ts --ref DIR --variant DIR [--video FILE]
 *         [--threads 2]
 *
 * Both models encode the same clip (default the bundled demo.mp4) and answer the same queries
 * (with the same float32 encoder, as in d4rt-tiny's int8 variant, the difference is the decoder's).
 * Queries: the dense depth grid at the model's input size (every frame, `tCam` = own)
 * and 4096 random queries (`tSrc`, `tTgt`, `tCam` independent). Per query set it prints the
 * median / 99th percentile / largest relative depth difference `|z' - z| / z`, 2D difference in
 * pixels of the model input (`|uv' - uv|` x (W, H)), and visibility / confidence difference. The
 * last line is JSON.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gridQueries, loadModel, randomQueries, readVideo, type QueryBatch, type QueryResult } from '../src/index.js';
import { FIXTURES } from './io-helpers.js';

const { values } = parseArgs({
  options: {
    ref: { type: 'string' },
    variant: { type: 'string' },
    video: { type: 'string' },
    threads: { type: 'string', default: '2' },
  },
});
if (values.ref === undefined || values.variant === undefined) {
  process.stderr.write('variant-deviation: --ref DIR and --variant DIR are required\n');
  process.exit(2);
}
const threads = Number(values.threads);
const ref = await loadModel(resolve(values.ref), { device: 'cpu', threads });
const variant = await loadModel(resolve(values.variant), { device: 'cpu', threads });
const T = ref.manifest.clip.frames;
const { width: W, height: H } = ref.manifest.clip;
const video = await readVideo(values.video ?? `${FIXTURES}/demo/demo.mp4`, { frames: T });
const sceneRef = await ref.encode(video);
const sceneVar = await variant.encode(video);

/** Median, 99th percentile and largest value of `a` (sorted in place). */
function stats(a: Float64Array): { median: number; p99: number; max: number } {
  a.sort();
  const at = (q: number): number => a[Math.min(a.length - 1, Math.floor(q * a.length))]!;
  return { median: at(0.5), p99: at(0.99), max: a[a.length - 1]! };
}

function compare(a: QueryResult, b: QueryResult): Record<string, { median: number; p99: number; max: number }> {
  const n = a.count;
  const dz = new Float64Array(n), duv = new Float64Array(n), dvis = new Float64Array(n), dconf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dz[i] = Math.abs(b.xyz[3 * i + 2]! - a.xyz[3 * i + 2]!) / Math.abs(a.xyz[3 * i + 2]!);
    duv[i] = Math.hypot((b.uv[2 * i]! - a.uv[2 * i]!) * (W - 1), (b.uv[2 * i + 1]! - a.uv[2 * i + 1]!) * (H - 1));
    dvis[i] = Math.abs(b.visibility[i]! - a.visibility[i]!);
    dconf[i] = Math.abs(b.confidence[i]! - a.confidence[i]!);
  }
  return { depthRel: stats(dz), uvPx: stats(duv), visibility: stats(dvis), confidence: stats(dconf) };
}

const sets: Record<string, QueryBatch> = {
  denseDepth: gridQueries({ frames: Int32Array.from({ length: T }, (_, i) => i), width: W, height: H, camera: 'own' }),
  random: randomQueries({ count: 4096, frames: T, seed: 7 }),
};
const out: Record<string, unknown> = { ref: ref.manifest.name, variant: variant.manifest.name };
for (const [name, q] of Object.entries(sets)) {
  const a = await sceneRef.query(q);
  const whole = await sceneVar.query(q);
  out[name] = { queries: q.u.length, ...compare(a, whole) };
}
const f = (x: number): string => x.toExponential(2);
for (const [name, v] of Object.entries(out)) {
  if (typeof v !== 'object') continue;
  const r = Object.entries(v as Record<string, unknown>).filter(([, s]) => typeof s === 'object') as [string, { median: number; p99: number; max: number }][];
  process.stdout.write(`${name}: ${r.map(([k, s]) => `${k} median ${f(s.median)} p99 ${f(s.p99)} max ${f(s.max)}`).join('; ')}\n`);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
sceneRef.dispose();
sceneVar.dispose();
await ref.dispose();
await variant.dispose();
