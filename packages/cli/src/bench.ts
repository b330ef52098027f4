/**
 * `d4rt bench`: speed of the SDK on the bundled demo clip, every figure measured in the same run.
 *
 * - encoder: ms per clip inside onnxruntime's `session.run` (and through `model.encode`);
 * - decoder: queries/s through `scene.query` (4096 random queries per run);
 * - SDK overhead: wall time of a whole scene workload (encode, depth maps, cameras, 256 tracks)
 *   divided by the time spent inside `session.run` over the same work (1.00 = no overhead);
 * - PyTorch CPU eager vs onnxruntime-node: the same checkpoint on the same inputs and thread count,
 *   encoder and a 4096-query decoder run (`training/tools/bench_torch.py`, needs the repository's
 *   training folder and Debian's python3-torch; skipped with a message otherwise);
 * - whole `d4rt demo` in a child process: seconds and its peak RSS.
 * Medians over runs after warm-up runs.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createDecoderInputs, fillDecoderInputs, randomQueries, type D4rtModel, type Scene, type Tensor } from '@d4rt/core';
import { loadModel, readVideo } from '@d4rt/runtime-node';
import type { CommandResult } from './commands.js';
import { fixturesPath } from './demo-eval.js';
import { intOption, parse } from './options.js';

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};


async function timeRuns(warmup: number, runs: number, f: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/**
 * Encoder ms (inside `session.run`) and decoder queries/s of `model` and of the model in
 * `baselineDir`, measured alternately run by run on the same clip and the same random queries, so
 * machine noise hits both alike. Returns the baseline's figures and the ratios.
 */
async function compareModels(
  model: D4rtModel,
  baselineDir: string,
  mp4: string,
  o: { threads: number; warmup: number; runs: number; queries: number },
): Promise<Record<string, number | string>> {
  const base = await loadModel(baselineDir, { device: 'cpu', threads: o.threads });
  try {
    const sides = await Promise.all(
      [model, base].map(async (m) => {
        const T = m.manifest.clip.frames;
        const video = await readVideo(mp4, { frames: T });
        return { m, video, q: randomQueries({ count: o.queries, frames: T, seed: 1 }), enc: [] as number[], dec: [] as number[], scene: null as Scene | null };
      }),
    );
    for (let i = 0; i < o.warmup + o.runs; i++) {
      for (const side of sides) {
        const st = side.m.encoderSession.stats!;
        const before = st.totalMs;
        side.scene?.dispose();
        side.scene = await side.m.encode(side.video);
        if (i >= o.warmup) side.enc.push(st.totalMs - before);
        const t0 = performance.now();
        await side.scene.query(side.q, { chunkSize: o.queries });
        if (i >= o.warmup) side.dec.push(performance.now() - t0);
      }
    }
    for (const side of sides) side.scene?.dispose();
    const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
    return {
      baselineModel: base.manifest.name,
      compareEncoderMs: median(a.enc),
      compareDecoderQueriesPerSec: o.queries / (median(a.dec) / 1000),
      baselineEncoderMs: median(b.enc),
      baselineDecoderQueriesPerSec: o.queries / (median(b.dec) / 1000),
      encoderMsOverBaseline: median(a.enc) / median(b.enc),
      decoderSpeedOverBaseline: median(b.dec) / median(a.dec),
    };
  } finally {
    await base.dispose();
  }
}

/** `d4rt bench`. */
export async function runBench(argv: string[]): Promise<CommandResult> {
  const { values } = parse(
    'bench',
    argv,
    {
      runs: { type: 'string', default: '7' },
      warmup: { type: 'string', default: '2' },
      threads: { type: 'string' },
      queries: { type: 'string', default: '4096' },
      training: { type: 'string' },
      model: { type: 'string' },
      'baseline-model': { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'no-demo': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    return {
      stdout: `d4rt bench [options]

Measures the embedded model on the bundled demo clip (onnxruntime-node, CPU) and prints a table;
the last line is one JSON object with every figure. Ratios are measured side by side in one run.

  --runs <n>        timed runs per figure (default 7; medians)
  --warmup <n>      untimed runs first (default 2)
  --threads <n>     threads for onnxruntime and PyTorch (default: available cores)
  --queries <n>     queries per decoder run (default 4096)
  --training <dir>  the repository's training folder (default: found next to this package)
  --model <dir>     the model to measure (default: the embedded d4rt-tiny); the PyTorch
                    comparison and the demo always use the embedded model
  --baseline-model <dir>
                    also measure this model's encoder and decoder, interleaved run by run
                    with the measured model on the same clip, and report the ratios
  --no-torch        skip the PyTorch comparison
  --no-demo         skip timing the whole demo
`,
    };
  }
  const runs = intOption('bench', 'runs', values.runs as string, 1, 1000)!;
  const warmup = intOption('bench', 'warmup', values.warmup as string, 0, 100)!;
  const threads = intOption('bench', 'threads', values.threads as string | undefined, 1, 1024) ?? availableParallelism();
  const Q = intOption('bench', 'queries', values.queries as string, 2, 1 << 20)!;
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const here = dirname(fileURLToPath(import.meta.url));
  const figures: Record<string, number | string | null> = { threads, runs, queries: Q };
  const lines: string[] = [];

  const modelDir = values.model === undefined ? undefined : resolve(values.model as string);
  const model = await loadModel(modelDir, { device: 'cpu', threads });
  figures.model = model.manifest.name;
  const enc = model.encoderSession.stats!;
  const dec = model.decoderSession.stats!;
  const ort = (): number => enc.totalMs + dec.totalMs;
  try {
    const demoMp4 = join(fixturesPath(), 'demo', 'demo.mp4');
    const T = model.manifest.clip.frames;
    const video = await readVideo(demoMp4, { frames: T });
    // encoder
    log('bench: encoder');
    let scene: Scene | null = null;
    const encOrt: number[] = [];
    const encE2e = await timeRuns(warmup, runs, async () => {
      scene?.dispose();
      const before = enc.totalMs;
      scene = await model.encode(video);
      encOrt.push(enc.totalMs - before);
    });
    const s = scene as unknown as Scene;
    figures.encoderMs = median(encOrt.slice(warmup));
    figures.encodeE2eMs = median(encE2e);
    // decoder
    log('bench: decoder');
    const q = randomQueries({ count: Q, frames: T, seed: 1 });
    const decOrt: number[] = [];
    const decE2e = await timeRuns(warmup, runs, async () => {
      const before = dec.totalMs;
      await s.query(q, { chunkSize: Q });
      decOrt.push(dec.totalMs - before);
    });
    figures.decoderQueriesPerSec = Q / (median(decE2e) / 1000);
    figures.decoderOrtMs = median(decOrt.slice(warmup));
    figures.decoderE2eMs = median(decE2e);
    if (values['baseline-model'] !== undefined) {
      log('bench: measured model vs --baseline-model, interleaved');
      Object.assign(figures, await compareModels(model, resolve(values['baseline-model'] as string), demoMp4, { threads, warmup, runs, queries: Q }));
    }
    // whole workload: SDK wall time / time inside session.run
    log('bench: scene workload (encode, depth, cameras, tracks)');
    const ratios: number[] = [];
    const wall: number[] = [];
    const pts = randomQueries({ count: 256, frames: T, seed: 2 });
    await timeRuns(1, Math.max(3, Math.ceil(runs / 2)), async () => {
      const before = ort();
      const t0 = performance.now();
      const sc = await model.encode(video);
      await sc.depth();
      await sc.cameras();
      await sc.track({ u: pts.u, v: pts.v, frame: pts.tSrc });
      sc.dispose();
      const w = performance.now() - t0;
      wall.push(w);
      ratios.push(w / (ort() - before));
    });
    figures.workloadMs = median(wall.slice(1));
    figures.sdkOverRunRatio = median(ratios.slice(1));
    // PyTorch eager vs onnxruntime-node, identical inputs
    const training = resolve((values.training as string | undefined) ?? join(here, '..', '..', '..', 'training'));
    const script = join(training, 'tools', 'bench_torch.py');
    const ckpt = join(training, 'checkpoints', 'd4rt-tiny.pt');
    if (values['no-torch']) figures.torch = 'skipped (--no-torch)';
    else if (!existsSync(script) || !existsSync(ckpt)) figures.torch = `skipped: ${script} or ${ckpt} not found (pass --training)`;
    else {
      log('bench: onnxruntime-node vs PyTorch on identical inputs');
      const dir = mkdtempSync(join(tmpdir(), 'd4rt-bench-'));
      try {
        const input = model.preprocess(video);
        const { height: H, width: W } = model.manifest.clip;
        const aspect = new Float32Array([input.aspect]);
        const encFeeds: Record<string, Tensor> = { video: { type: 'float32', data: input.video, dims: [1, T, 3, H, W] }, aspect: { type: 'float32', data: aspect, dims: [1] } };
        let memory: Tensor | undefined;
        const ortEnc = await timeRuns(warmup, runs, async () => {
          memory = (await model.encoderSession.run(encFeeds)).memory;
        });
        // the decoder's inputs exactly as Scene.query builds them
        const decFeeds = fillDecoderInputs(createDecoderInputs(Q, model.manifest.patch.size), {
          queries: q,
          start: 0,
          count: Q,
          video: input.video,
          manifest: model.manifest,
          memory: memory!,
        });
        const ortDec = await timeRuns(warmup, runs, async () => {
          await model.decoderSession.run(decFeeds);
        });
        const files = { 'video.f32': input.video, 'aspect.f32': aspect, 'coords.f32': decFeeds.coords!.data, 'times.i64': decFeeds.times!.data, 'patches.f32': decFeeds.patches!.data };
        for (const [name, arr] of Object.entries(files)) writeFileSync(join(dir, name), new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
        const r = spawnSync('/usr/bin/python3', [script, '--ckpt', ckpt, '--inputs', dir, '--threads', String(threads), '--warmup', String(warmup), '--runs', String(runs)], {
          cwd: training,
          encoding: 'utf8',
          env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
        });
        if (r.status !== 0) figures.torch = `skipped: bench_torch.py failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
        else {
          const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as { encoderMs: number; decoderMs: number; torch: string };
          figures.torch = t.torch;
          figures.ortEncoderMs = median(ortEnc);
          figures.ortDecoderMs = median(ortDec);
          figures.torchEncoderMs = t.encoderMs;
          figures.torchDecoderMs = t.decoderMs;
          figures.torchOverOrtEncoder = t.encoderMs / median(ortEnc);
          figures.torchOverOrtDecoder = t.decoderMs / median(ortDec);
          figures.torchOverOrtTotal = (t.encoderMs + t.decoderMs) / (median(ortEnc) + median(ortDec));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    (scene as Scene | null)?.dispose();
  } finally {
    await model.dispose();
  }
  // whole demo in a child process
  if (values['no-demo']) figures.demo = 'skipped (--no-demo)';
  else {
    log('bench: d4rt demo (child process)');
    const dir = mkdtempSync(join(tmpdir(), 'd4rt-bench-demo-'));
    try {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(here, 'bin.js'), 'demo', '--quiet', '--stats', '--out', dir, '--threads', String(threads)], { encoding: 'utf8' });
      const wallS = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`d4rt bench: the demo failed (exit ${r.status}): ${r.stderr.trim()}`);
      const st = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMB: number };
      figures.demoSeconds = wallS;
      figures.demoInProcessSeconds = st.seconds;
      figures.demoPeakRssMB = st.maxRssMB;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  figures.benchPeakRssMB = process.resourceUsage().maxRSS / 1024;
  const f = (k: string, d = 2): string => (typeof figures[k] === 'number' ? (figures[k] as number).toFixed(d) : String(figures[k] ?? '-'));
  lines.push(
    `d4rt bench: ${figures.model}, onnxruntime-node CPU, ${threads} threads, ${runs} runs (medians) after ${warmup} warm-up`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| encoder ms per clip (inside session.run) | ${f('encoderMs', 1)} |`,
    `| encode ms per clip (model.encode, end to end) | ${f('encodeE2eMs', 1)} |`,
    `| decoder queries/s (scene.query, ${Q} per run) | ${f('decoderQueriesPerSec', 0)} |`,
    `| SDK end-to-end / inside session.run (scene workload) | ${f('sdkOverRunRatio', 3)} |`,
    `| PyTorch eager / onnxruntime-node, encoder | ${f('torchOverOrtEncoder')} |`,
    `| PyTorch eager / onnxruntime-node, decoder (${Q} queries) | ${f('torchOverOrtDecoder')} |`,
    `| PyTorch eager / onnxruntime-node, encoder + decoder | ${f('torchOverOrtTotal')} |`,
    `| whole demo, seconds (child process, wall) | ${f('demoSeconds', 1)} |`,
    `| demo peak RSS, MB | ${f('demoPeakRssMB', 0)} |`,
    `| bench peak RSS, MB | ${f('benchPeakRssMB', 0)} |`,
    ...(figures.baselineModel === undefined
      ? []
      : [
          `| interleaved: encoder ms, this model / baseline ${figures.baselineModel} | ${f('compareEncoderMs', 1)} / ${f('baselineEncoderMs', 1)} (${f('encoderMsOverBaseline')}x) |`,
          `| interleaved: decoder queries/s, this model / baseline | ${f('compareDecoderQueriesPerSec', 0)} / ${f('baselineDecoderQueriesPerSec', 0)} (${f('decoderSpeedOverBaseline')}x speed) |`,
        ]),
    '',
  );
  if (typeof figures.torch === 'string' && figures.torch.startsWith('skipped')) lines.push(`PyTorch: ${figures.torch}`);
  lines.push(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(5)) : v]))));
  return { stdout: `${lines.join('\n')}\n` };
}
