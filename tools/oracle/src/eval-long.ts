#!/usr/bin/env node
/**
 * `pnpm -s eval:long`: whole-video figures of d4rt-js, measured apart from the model with the exact
 * oracle backend on long synthetic clips of training's generator, then (optionally) with the real
 * model on the same clips and on real videos, and the memory of `d4rt depth --all-frames`.
 *
 *   node tools/oracle/dist/eval-long.js [--full] [--real] [--memory] [--json FILE] [--cache DIR]
 *
 * - default: the oracle (exact answers) on a static and a dynamic clip of 1000 frames;
 * - `--full`: static and dynamic clips of 64, 300 and 1000 frames, each exact and at two noise
 *   levels, beside the single-window (16 frames spread over the clip) result;
 * - `--real`: the embedded model (d4rt-tiny) on the same clips (windows and single window) and on
 *   `../shared/data/videos` (no ground truth: stitching residual, tracks alive, dense figures,
 *   agreement of the stitched trajectory with the single-window one);
 * - `--memory`: peak RSS and seconds per frame of `d4rt depth --all-frames` on 640 x 480 videos of
 *   100, 1000 and 3000 frames (`--memory-frames a,b,c` to change); `rssGrowth` is then the last
 *   over the first, minus 1 (else the growth of this process's RSS over the oracle run).
 *
 * Clips are generated once by `training/tools/make_long_clips.py` into the cache folder (default
 * `tools/oracle/.cache`, git-ignored). The last line of stdout is one JSON object:
 * `{"frames","ateFraction","scaleDrift","boundaryTrackErr","withinTrackErr","denseQueryRatio","rssGrowth", ...}`
 * for the dynamic 1000-frame clip with exact answers (definitions in `evaluate-long.ts`).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { frameSourceFromVideo, processVideo, selectFrames, type D4rtModel, type FrameSource } from '@d4rt/core';
import { trajectoryLength, trajectoryMetrics } from '@d4rt/geometry';
import { loadModel, openVideo } from '@d4rt/runtime-node';
import type { ReadonlyMat4 } from 'gl-matrix';
import { evaluateLongRun, evaluateSingleWindow, trackGrid, type LongEvalFigures } from './evaluate-long.js';
import { createOracleModel, type OracleNoise } from './oracle-backend.js';
import { readOracleClip, type OracleClip } from './oracle-clip.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../..');
const TRAINING = join(ROOT, 'training');
const VIDEOS = resolve(ROOT, '../shared/data/videos');
const CLI = join(ROOT, 'packages/cli/dist/bin.js');

/** The noise levels of `--full`: answers perturbed as a weaker model would. */
export const NOISE_LEVELS: Record<string, OracleNoise> = {
  exact: {},
  'noise-low': { xyz: 0.005, uv: 0.25 },
  'noise-high': { xyz: 0.02, uv: 1 },
};

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Generates the named clips (NAME:KIND:FRAMES) that are missing from the cache. */
function ensureClips(cache: string, specs: string[]): void {
  const missing = specs.filter((s) => !existsSync(join(cache, s.split(':')[0]!, 'oracle.json')));
  if (missing.length === 0) return;
  mkdirSync(cache, { recursive: true });
  log(`generating ${missing.join(', ')} with training/tools/make_long_clips.py ...`);
  const r = spawnSync('/usr/bin/python3', ['tools/make_long_clips.py', '--out', cache, ...missing.flatMap((s) => ['--clip', s])], {
    cwd: TRAINING,
    env: { ...process.env, PYTHONPATH: '.', OMP_NUM_THREADS: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`make_long_clips.py failed (exit ${r.status}); it needs /usr/bin/python3 with torch and numpy`);
}

const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? (Math.abs(x) > 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(digits)) : '-');

function row(label: string, f: LongEvalFigures): string {
  return `| ${f.clip} | ${label} | ${f.mode} | ${f.frames} | ${f.windows} | ${fmt(100 * f.ateFraction, 5)} % | ${fmt(f.scaleDrift)} | ${fmt(f.withinTrackErr)} | ${fmt(f.boundaryTrackErr)} | ${fmt(100 * f.trackLost, 1)} % | ${fmt(f.denseQueryRatio)} | ${fmt(100 * f.denseCoverage, 1)} % | ${fmt(f.denseSeconds, 1)} | ${fmt(f.secondsPerFrame, 3)} |`;
}

const HEADER = `| clip | answers | mode | frames | windows | ATE / path | scale drift | track err within (px) | across boundaries (px) | track lost | dense queries / naive | dense coverage | dense s | s / frame |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`;

/** Runs `d4rt depth --all-frames` on 640 x 480 videos and reads their `--stats`. */
function measureMemory(cache: string, lengths: number[]): { frames: number; maxRssMB: number; seconds: number; secondsPerFrame: number }[] {
  const out: { frames: number; maxRssMB: number; seconds: number; secondsPerFrame: number }[] = [];
  for (const n of lengths) {
    const file = join(cache, `testsrc-640x480-${n}.mp4`);
    if (!existsSync(file)) {
      mkdirSync(cache, { recursive: true });
      const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-frames:v', String(n), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', file]);
      if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr}`);
    }
    const dir = join(tmpdir(), `d4rt-eval-long-memory-${process.pid}-${n}`);
    log(`memory: d4rt depth ${file} --all-frames ...`);
    const r = spawnSync(process.execPath, [CLI, 'depth', file, '--all-frames', '--stats', '-q', '-o', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`d4rt depth failed on ${file}: ${r.stderr}`);
    const stats = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMB: number; frames: number; secondsPerFrame: number };
    log(`  ${n} frames: peak RSS ${stats.maxRssMB} MB, ${stats.seconds.toFixed(1)} s, ${stats.secondsPerFrame.toFixed(3)} s / frame`);
    out.push({ frames: n, maxRssMB: stats.maxRssMB, seconds: stats.seconds, secondsPerFrame: stats.secondsPerFrame });
  }
  return out;
}

/** Figures without ground truth on a real video, beside the single-window run. */
async function realVideo(model: D4rtModel, file: string): Promise<Record<string, unknown>> {
  const source: FrameSource = await openVideo(file);
  const T = model.manifest.clip.frames;
  const pts = trackGrid(8);
  const t0 = performance.now();
  const run = processVideo(model, source, { cameras: true, tracks: { points: { u: pts.u, v: pts.v, frame: new Int32Array(pts.u.length) } }, dense: { width: 32, height: 24 } });
  const poses = new Map<number, Float32Array>();
  const residuals: number[] = [];
  let alive = 0, queries = 0, naive = 0, cells = 0, covered = 0;
  let lastAlive = 0;
  for await (const r of run) {
    r.frames.forEach((s, t) => poses.set(s, r.cameras!.cameraToWorld[t]!));
    if (r.stitch) residuals.push(r.stitch.residual);
    const n = pts.u.length, F = r.frames.length;
    lastAlive = 0;
    for (let i = 0; i < n; i++) lastAlive += r.tracks!.alive[(F - 1) * n + i]!;
    alive = lastAlive / n;
    queries += r.dense!.queries;
    naive += r.dense!.naive;
    cells += r.dense!.cells;
    covered += r.dense!.covered;
  }
  const seconds = (performance.now() - t0) / 1000;
  // the single window: T frames spread over the video, and how far the stitched trajectory is from it
  const sel = selectFrames(source.frames, T);
  const fb = source.width * source.height * 3;
  const data = new Uint8Array(T * fb);
  let k = 0;
  for await (const f of source.read(Int32Array.from(new Set(sel)))) data.set(f.data, k++ * fb);
  const scene = await model.encode({ data: data.subarray(0, k * fb), frames: k, width: source.width, height: source.height, sourceIndices: Int32Array.from(new Set(sel)) });
  const single = await scene.cameras();
  scene.dispose();
  const stitched = Array.from(new Set(sel), (s) => poses.get(s)!);
  const singlePoses = Array.from(new Set(sel), (s) => single.cameraToWorld[scene.frameOfSource(s)]!);
  const agree = trajectoryMetrics(stitched as unknown as ReadonlyMat4[], singlePoses as unknown as ReadonlyMat4[]);
  const singleLength = trajectoryLength(singlePoses as unknown as ReadonlyMat4[]);
  const sorted = [...residuals].sort((a, b) => a - b);
  return {
    video: file.split('/').pop(),
    frames: run.frames.length,
    windows: run.plan.windows.length,
    secondsPerFrame: seconds / run.frames.length,
    stitchResidual: sorted[Math.floor(sorted.length / 2)] ?? null,
    tracksAliveAtEnd: alive,
    denseQueryRatio: queries / naive,
    denseCoverage: covered / cells,
    stitchedVsSingleWindowAte: agree.ate / singleLength,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      real: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
      'memory-frames': { type: 'string', default: '100,1000,3000' },
      json: { type: 'string' },
      cache: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('node tools/oracle/dist/eval-long.js [--full] [--real] [--memory] [--memory-frames 100,1000,3000] [--json FILE] [--cache DIR]\n');
    return;
  }
  const cache = resolve(values.cache ?? join(ROOT, 'tools/oracle/.cache'));
  const lengths = values.full ? [64, 300, 1000] : [1000];
  const specs = lengths.flatMap((n) => [`static-${n}:static:${n}`, `dynamic-${n}:dynamic:${n}`]);
  ensureClips(cache, specs);
  const results: (LongEvalFigures & { answers: string })[] = [];
  const lines: string[] = [HEADER];
  let headline: LongEvalFigures | null = null;
  for (const spec of specs) {
    const clip: OracleClip = await readOracleClip(join(cache, spec.split(':')[0]!));
    const levels = values.full ? Object.keys(NOISE_LEVELS) : ['exact'];
    for (const level of levels) {
      const model = await createOracleModel(clip, { noise: NOISE_LEVELS[level]! });
      log(`oracle (${level}) on ${clip.name} ...`);
      const f = await evaluateLongRun({ model, clip });
      results.push({ ...f, answers: `oracle ${level}` });
      lines.push(row(`oracle ${level}`, f));
      if (level === 'exact' && clip.name === `dynamic-${lengths[lengths.length - 1]}`) headline = f;
      if (level === 'exact' || values.full) {
        const s = await evaluateSingleWindow({ model, clip });
        results.push({ ...s, answers: `oracle ${level}` });
        lines.push(row(`oracle ${level}`, s));
      }
      await model.dispose();
    }
    if (values.real) {
      const model = await loadModel();
      log(`d4rt-tiny on ${clip.name} ...`);
      const f = await evaluateLongRun({ model, clip });
      const s = await evaluateSingleWindow({ model, clip });
      results.push({ ...f, answers: model.manifest.name }, { ...s, answers: model.manifest.name });
      lines.push(row(model.manifest.name, f), row(model.manifest.name, s));
      await model.dispose();
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  const real: Record<string, unknown>[] = [];
  if (values.real && existsSync(VIDEOS)) {
    const model = await loadModel();
    for (const name of readdirSync(VIDEOS).filter((f) => f.endsWith('.mp4')).sort()) {
      log(`d4rt-tiny on ${name} ...`);
      real.push(await realVideo(model, join(VIDEOS, name)));
    }
    await model.dispose();
    process.stdout.write(`| video | frames | windows | s / frame | stitch residual | tracks alive at the end | dense queries / naive | dense coverage | stitched vs single-window ATE / path |\n|---|---|---|---|---|---|---|---|---|\n`);
    for (const r of real) {
      const n = (k: string, d = 4): string => fmt(r[k] as number, d);
      process.stdout.write(`| ${r.video} | ${r.frames} | ${r.windows} | ${n('secondsPerFrame', 3)} | ${n('stitchResidual')} | ${n('tracksAliveAtEnd', 2)} | ${n('denseQueryRatio')} | ${n('denseCoverage')} | ${n('stitchedVsSingleWindowAte')} |\n`);
    }
    process.stdout.write('\n');
  }
  let memory: ReturnType<typeof measureMemory> | null = null;
  if (values.memory) {
    memory = measureMemory(cache, values['memory-frames'].split(',').map(Number));
    process.stdout.write(`| frames (640x480, depth --all-frames) | peak RSS (MB) | seconds | s / frame |\n|---|---|---|---|\n`);
    for (const m of memory) process.stdout.write(`| ${m.frames} | ${m.maxRssMB} | ${m.seconds.toFixed(1)} | ${m.secondsPerFrame.toFixed(3)} |\n`);
    process.stdout.write('\n');
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ results, real, memory }, null, 1)}\n`);
  const h = headline!;
  const staticFig = results.find((r) => r.clip === `static-${lengths[lengths.length - 1]}` && r.answers === 'oracle exact' && r.mode === 'windows');
  const round = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(4)) : null);
  const summary = {
    clip: h.clip,
    frames: h.frames,
    windows: h.windows,
    ateFraction: round(h.ateFraction),
    scaleDrift: round(h.scaleDrift),
    boundaryTrackErr: round(h.boundaryTrackErr),
    withinTrackErr: round(h.withinTrackErr),
    trackLost: round(h.trackLost),
    denseQueryRatio: round(h.denseQueryRatio),
    denseCoverage: round(h.denseCoverage),
    rssGrowth: memory ? round(memory[memory.length - 1]!.maxRssMB / memory[0]!.maxRssMB - 1) : round(h.rssGrowth),
    rssGrowthOf: memory ? `d4rt depth --all-frames, ${memory[0]!.frames} -> ${memory[memory.length - 1]!.frames} frames of 640x480` : 'this process over the oracle run (peak over the first 10 % of windows -> peak over all windows)',
    secondsPerFrame: round(h.secondsPerFrame),
    static: staticFig ? { ateFraction: round(staticFig.ateFraction), scaleDrift: round(staticFig.scaleDrift), boundaryTrackErr: round(staticFig.boundaryTrackErr), withinTrackErr: round(staticFig.withinTrackErr), denseQueryRatio: round(staticFig.denseQueryRatio) } : null,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`eval:long: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
