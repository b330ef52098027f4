/**
 * Dense depth above the model's input size: `Scene.depth`'s `upsample` modes side by side in one
 * run (a measurement script, not a test). Build first, then from the repository root:
 *
 *     pnpm exec tsx packages/cli/test/upsample-measure.ts [--runs 3] [--threads N] [--model DIR]
 *
 * Clips: the bundled demo clip (`demo.mp4` decoded as `d4rt demo` does, 192 x 128) and the held-out
 * fixtures (`d4rt eval --fixtures`' clips, 120 x 80), each encoded once. Per clip, `--runs` rounds
 * of one `scene.depth` call per mode at the clip's source size (the fixture protocol of
 * `evaluate.ts`), the modes in a rotating order so that machine noise hits all alike; the time is
 * the call's wall clock (queries + upsampling), the median over the rounds.
 *
 * Accuracy: AbsRel and delta1 exactly as `d4rt eval` / `d4rt demo` compute them (`depthMetrics`
 * of `@d4rt/geometry` with one median scale per clip, on `evaluatedFrames`' frames). "upsampler
 * alone": the exact depth sampled at the grid's points (the nearest pixel of each grid point)
 * upsampled by the same mode and the same guide, scored the same way: the error of the upsampling
 * itself, apart from the model's (0 for `'none'`); its time is the upsampling pass alone for the
 * demo clip (median over the rounds).
 *
 * Prints a Markdown table (the fixture columns are means over the clips) and, last, one JSON line.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { depthMetrics } from '@d4rt/geometry';
import {
  UPSAMPLE_MODES,
  loadModel,
  readDataset,
  readVideo,
  resizeRgb,
  upsampleDepthMaps,
  type DepthMaps,
  type GroundTruthSequence,
  type UpsampleMode,
  type VideoFrames,
} from '@d4rt/runtime-node';
import { fixturesPath, heldoutFixtures } from '../src/demo-eval.js';
import { evaluatedFrames } from '../src/evaluate.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, threads: { type: 'string' }, model: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`upsample-measure: --runs (${values.runs}) must be an integer >= 1`);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Row {
  absRel: number;
  delta1: number;
  ms: number;
  queries: number;
  /** The upsampler alone (exact depth at the grid's points). */
  aloneAbsRel: number;
  aloneDelta1: number;
  aloneMs: number;
}

const model = await loadModel(values.model, { device: 'cpu', ...(threads !== undefined && { threads }) });
const T = model.manifest.clip.frames;
const { width: mw, height: mh } = model.manifest.clip;
const modes = UPSAMPLE_MODES;
const clips: { name: string; seq: GroundTruthSequence; video: VideoFrames }[] = [];
const demoFolder = join(fixturesPath(), 'demo');
const demo = await readDataset(demoFolder);
clips.push({ name: 'demo', seq: demo, video: await readVideo(join(demoFolder, 'demo.mp4'), { frames: T }) });
for (const folder of heldoutFixtures()) {
  const seq = await readDataset(folder);
  clips.push({ name: seq.name, seq, video: seq.video });
}

const results: Record<string, Record<UpsampleMode, Row>> = {};
for (const { name, seq, video } of clips) {
  const scene = await model.encode(video);
  const { source, model: frames } = evaluatedFrames(scene, video.frames);
  const n = source.length;
  const W = video.width, H = video.height, plane = W * H;
  const gt = new Float32Array(n * plane);
  source.forEach((s, i) => gt.set(seq.depth!.subarray(s * plane, (s + 1) * plane), i * plane));
  const score = (d: DepthMaps): { absRel: number; delta1: number } => {
    const m = depthMetrics(d.data, gt, { alignment: 'median', frames: n });
    return { absRel: m.absRel, delta1: m.delta1 };
  };
  log(`upsample-measure: ${name} (${W}x${H}, ${n} frames, model grid ${Math.min(W, mw)}x${Math.min(H, mh)}), ${runs} rounds`);
  const ms: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
  const first: Partial<Record<UpsampleMode, { maps: DepthMaps; queries: number }>> = {};
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(k + r) % modes.length]!;
      let queries = 0;
      const t0 = performance.now();
      const maps = await scene.depth({ frames, width: W, height: H, upsample: mode, onProgress: (p) => void (queries = p.total) });
      ms[mode]!.push(performance.now() - t0);
      first[mode] ??= { maps, queries };
      log(`  round ${r + 1} ${mode}: ${(ms[mode]!.at(-1)! / 1000).toFixed(2)} s`);
    }
  }
  // the upsampler alone: exact depth at the grid's points, upsampled with the guide Scene.depth uses
  const gw = Math.min(W, mw), gh = Math.min(H, mh);
  const coarse: DepthMaps = { data: new Float32Array(n * gw * gh), confidence: new Float32Array(n * gw * gh).fill(1), frames: n, width: gw, height: gh, frameIndices: Int32Array.from(frames) };
  for (let i = 0; i < n; i++) for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) {
    const X = gw > 1 ? Math.round((x * (W - 1)) / (gw - 1)) : 0, Y = gh > 1 ? Math.round((y * (H - 1)) / (gh - 1)) : 0;
    coarse.data[(i * gh + y) * gw + x] = gt[i * plane + Y * W + X]!;
  }
  const held = video.sourceIndices ? Array.from(video.sourceIndices) : undefined;
  const guideFrames = source.map((s) => (held ? held.indexOf(s) : s));
  const guide = resizeRgb(new Uint8Array(n * plane * 3), video.data, { srcWidth: W, srcHeight: H, frameIndices: guideFrames, width: W, height: H });
  results[name] = {} as Record<UpsampleMode, Row>;
  for (const mode of modes) {
    const alone = mode === 'none' ? { absRel: 0, delta1: 1 } : score(upsampleDepthMaps(coarse, { width: W, height: H, mode, guide }));
    const aloneMs: number[] = [];
    if (mode !== 'none') {
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        upsampleDepthMaps(coarse, { width: W, height: H, mode, guide });
        aloneMs.push(performance.now() - t0);
      }
    }
    const s = score(first[mode]!.maps);
    results[name]![mode] = { ...s, ms: median(ms[mode]!), queries: first[mode]!.queries, aloneAbsRel: alone.absRel, aloneDelta1: alone.delta1, aloneMs: aloneMs.length ? median(aloneMs) : 0 };
  }
  scene.dispose();
}
await model.dispose();

const fixtures = clips.filter((c) => c.name !== 'demo').map((c) => results[c.name]!);
const meanRow = (mode: UpsampleMode): Row => {
  const rows = fixtures.map((r) => r[mode]);
  const out = {} as Row;
  for (const k of Object.keys(rows[0]!) as (keyof Row)[]) out[k] = mean(rows.map((r) => r[k]));
  return out;
};
const f4 = (x: number): string => x.toFixed(4);
const lines = [
  `upsample-measure: ${model.manifest.name} (input ${mw}x${mh}), onnxruntime-node CPU${threads !== undefined ? `, ${threads} threads` : ''}; depth at the source size; times: medians of ${runs}`,
  '',
  '| upsample | demo AbsRel | demo δ1 | demo queries | demo depth call | fixtures AbsRel (mean) | fixtures δ1 (mean) | fixtures depth call (mean) | upsampler alone, AbsRel demo / fixtures | upsampling pass, demo |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const mode of modes) {
  const d = results.demo![mode], f = meanRow(mode);
  const speed = mode === 'none' ? '' : ` (${(results.demo!.none.ms / d.ms).toFixed(2)}× faster)`;
  lines.push(
    `| ${mode} | ${f4(d.absRel)} | ${f4(d.delta1)} | ${d.queries} | ${(d.ms / 1000).toFixed(2)} s${speed} | ${f4(f.absRel)} | ${f4(f.delta1)} | ${(f.ms / 1000).toFixed(2)} s | ${f4(d.aloneAbsRel)} / ${f4(f.aloneAbsRel)} | ${mode === 'none' ? '-' : `${d.aloneMs.toFixed(0)} ms`} |`,
  );
}
lines.push('', 'per clip, AbsRel (δ1): ' + clips.map((c) => `${c.name} ${modes.map((m) => `${m} ${f4(results[c.name]![m].absRel)} (${f4(results[c.name]![m].delta1)})`).join(', ')}`).join('; '));
console.log(lines.join('\n'));
const round = (x: number): number => Number(x.toPrecision(6));
const pick = (r: Row) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
console.log(JSON.stringify({
  model: model.manifest.name,
  runs,
  demo: Object.fromEntries(modes.map((m) => [m, pick(results.demo![m])])),
  fixturesMean: Object.fromEntries(modes.map((m) => [m, pick(meanRow(m))])),
  clips: Object.fromEntries(clips.map((c) => [c.name, Object.fromEntries(modes.map((m) => [m, pick(results[c.name]![m])]))])),
}));
