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
 * - roofline: this machine's onnxruntime-node matmul peak (1024³ float32 MatMul and its dynamically
 *   quantised int8 form, `bench-models/`), the FLOPs of the encoder per clip and of the decoder per
 *   query counted from the ONNX graphs (`training/tools/onnx_flops.py`, needs Debian's
 *   python3-onnx; the keys are null with the reason otherwise), and the fraction of the peak each
 *   reaches inside `session.run`;
 * - browser wasm / Node, encode + depth on the same frames: runtime-web's browser bench
 *   (`packages/runtime-web/bench/browser-bench.ts --ratio-json`) in a child process, the two
 *   runtimes alternating run by run (needs a d4rt-js checkout and Debian's chromium);
 * - whole `d4rt demo` in a child process: seconds and its peak RSS.
 * Medians over runs after warm-up runs.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createDecoderInputs, fillDecoderInputs, randomQueries, type D4rtModel, type Scene, type Tensor } from '@d4rt/core';
import { embeddedModelPath, loadModel, readVideo } from '@d4rt/runtime-node';
import type { CommandResult } from './commands.js';
import { fixturesPath } from './demo-eval.js';
import { intOption, parse } from './options.js';
import { countModelFlops, measureMatmulPeaks, peakBasis, peakFraction, PEAK_N, type GraphFlops, type MatmulPeaks } from './roofline.js';

type QuerySet = ReturnType<typeof randomQueries>;

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

/** The manifest's symbolic query dimension (e.g. `"Q"`, of the decoder's `coords`) set to `queries`. */
function queryDims(model: D4rtModel, queries: number): Record<string, number> {
  const d = model.manifest.decoder.inputs.coords.shape[1];
  return typeof d === 'string' ? { [d]: queries } : {};
}

/** The decoder's `times` input [1, Q, 3] (tSrc, tTgt, tCam per query) for `q`, as `fillDecoderInputs` writes it. */
function timesOf(q: QuerySet): BigInt64Array {
  const t = new BigInt64Array(q.tSrc.length * 3);
  for (let i = 0; i < q.tSrc.length; i++) {
    t[3 * i] = BigInt(q.tSrc[i]!);
    t[3 * i + 1] = BigInt(q.tTgt[i]!);
    t[3 * i + 2] = BigInt(q.tCam[i]!);
  }
  return t;
}

/**
 * FLOPs of the encode path (the encoder, and the K/V graph when the model has one: both run in
 * `model.encode`) per clip and of the decoder per query (the timed run of `q`, divided by its
 * length; the decoder's `times` are given to the counter, as a graph may attend only to the frames
 * its queries target), and the fraction of the matmul peak each reaches in the measured time inside
 * `session.run`. Without a count (no python3-onnx, ...) the figures are null and `flops` says why.
 * Adds the table's notes to `notes`.
 */
function rooflineFigures(
  model: D4rtModel,
  modelDir: string,
  training: string,
  o: { q: QuerySet; encodeMs: number; decoderMs: number; peaks: MatmulPeaks },
  notes: string[],
): Record<string, number | string | null> {
  const queries = o.q.tSrc.length;
  const tmp = mkdtempSync(join(tmpdir(), 'd4rt-bench-flops-'));
  let c: ReturnType<typeof countModelFlops>;
  try {
    const times = timesOf(o.q);
    writeFileSync(join(tmp, 'times.i64'), new Uint8Array(times.buffer, times.byteOffset, times.byteLength));
    c = countModelFlops({ script: join(training, 'tools', 'onnx_flops.py'), modelDir, dims: queryDims(model, queries), inputs: { times: join(tmp, 'times.i64') } });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const none = { encoderGflop: null, decoderMflopPerQuery: null, encoderPeakFraction: null, decoderPeakFraction: null };
  if (typeof c === 'string') return { flops: `skipped: ${c}`, ...none };
  const encode = [c.graphs.encoder, c.graphs.kv].filter((g): g is GraphFlops => g !== undefined);
  const decoder = c.graphs.decoder;
  if (encode.length === 0 || decoder === undefined) return { flops: `skipped: onnx_flops.py counted no encoder or decoder graph in ${modelDir}`, ...none };
  const encFlops = encode.reduce((t, g) => t + g.flops, 0);
  const unresolved = [...encode, decoder].flatMap((g) => g.unresolved.map((n) => `${g.file}:${n}`));
  if (unresolved.length > 0) {
    notes.push(`Note: ${unresolved.length} counted operators kept unknown shapes and are left out of the FLOPs: ${unresolved.slice(0, 5).join(', ')}${unresolved.length > 5 ? ', ...' : ''}`);
  }
  const other = (gs: GraphFlops[]): number => gs.reduce((t, g) => t + g.otherOutputElements, 0);
  notes.push(
    `FLOPs: 2 per multiply-accumulate of MatMul, Gemm, Conv (their integer, QDQ int8 and fused forms) and of the two products inside MultiHeadAttention, from the graphs with concrete shapes (onnx ${c.onnx}, training/tools/onnx_flops.py). ` +
      `Other operators are not counted: their outputs total ${(other(encode) / 1e6).toFixed(1)} M elements per clip and ${(other([decoder]) / queries / 1e3).toFixed(1)} k per query, ` +
      `${((100 * other(encode)) / encFlops).toFixed(1)} % and ${((100 * other([decoder])) / decoder.flops).toFixed(1)} % of the counted FLOPs at one operation per element.`,
  );
  return {
    flops: `onnx ${c.onnx}`,
    flopGraphs: `encode: ${encode.map((g) => g.file).join(' + ')}; decoder: ${decoder.file} at ${Object.entries(c.dims).map(([k, v]) => `${k}=${v}`).join(', ') || 'fixed shapes'}`,
    encoderGflop: encFlops / 1e9,
    decoderMflopPerQuery: decoder.flops / queries / 1e6,
    encoderPeakFraction: peakFraction(encode, o.encodeMs, o.peaks),
    decoderPeakFraction: peakFraction([decoder], o.decoderMs, o.peaks),
    peakBasis: `encoder ${peakBasis(encode)}, decoder ${peakBasis([decoder])}`,
  };
}

/** What runtime-web's `browser-bench.ts --ratio-json` prints. */
interface BrowserRatio {
  wasmThreads: number;
  crossOriginIsolated: boolean;
  backend: string;
  frames: number;
  nodeEncodeMs: number;
  nodeDepthMs: number;
  wasmEncodeMs: number;
  wasmDepthMs: number;
  ratio: { encode: number; depth: number; encodePlusDepth: number };
}

/**
 * Browser (onnxruntime-web wasm in headless Chromium) vs onnxruntime-node, encode + depth of the
 * demo clip's frames, the two alternating run by run: runtime-web's browser bench in a child
 * process (run with tsx from a d4rt-js checkout; the CLI imports neither playwright nor runtime-web).
 * @returns its figures, or a sentence starting `skipped:` that says why there are none
 */
function browserRatio(here: string, o: { threads: number; warmup: number; runs: number }): BrowserRatio | string {
  const web = resolve(here, '..', '..', 'runtime-web');
  const script = join(web, 'bench', 'browser-bench.ts');
  if (!existsSync(script)) return `skipped: ${script} not found (the browser comparison runs from a d4rt-js checkout)`;
  let tsx: string;
  try {
    tsx = createRequire(join(web, 'package.json')).resolve('tsx/cli');
  } catch {
    return `skipped: tsx is not installed for ${web} (pnpm install)`;
  }
  const r = spawnSync(process.execPath, [tsx, script, '--ratio-json'], {
    cwd: web,
    encoding: 'utf8',
    env: { ...process.env, D4RT_BENCH_THREADS: String(o.threads), D4RT_BENCH_WARMUP: String(o.warmup), D4RT_BENCH_REPEATS: String(o.runs) },
  });
  const last = (text: string | null): string => (text ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0) return `skipped: the browser bench failed (exit ${r.status ?? r.signal}): ${last(r.stderr) || String(r.error)}`;
  let j: BrowserRatio | { skipped: string };
  try {
    j = JSON.parse(last(r.stdout)) as BrowserRatio | { skipped: string };
  } catch {
    return `skipped: the browser bench printed no JSON line: ${last(r.stdout).slice(0, 200)}`;
  }
  return 'skipped' in j ? `skipped: ${j.skipped}` : j;
}

/** "fp32 peak", "int8 peak" or "fp32 and int8 peaks" for the table, from the `peakBasis` figure. */
function peakName(basis: unknown, graph: 'encoder' | 'decoder'): string {
  if (typeof basis !== 'string') return 'not counted';
  const b = new RegExp(`${graph} ([^,]+)`).exec(basis)?.[1] ?? '?';
  return b === 'fp32 + int8' ? 'fp32 and int8 peaks, each part against its own' : `${b} peak`;
}

/**
 * `scene.track` of 256 random points over every model frame with the query decoder (T x 256
 * independent queries) and with the tracker graph (one run), alternating run by run on one scene:
 * decoder ms per frame (inside `session.run` of the decoder / tracker graph) and end-to-end ms per
 * frame (encode + track, wall), medians.
 */
async function compareTrackers(model: D4rtModel, video: Parameters<D4rtModel['encode']>[0], o: { warmup: number; runs: number }): Promise<Record<string, number>> {
  const T = model.manifest.clip.frames;
  const q = randomQueries({ count: 256, frames: T, seed: 3 });
  const points = { u: q.u, v: q.v, frame: q.tSrc };
  const sides = { query: model.decoderSession.stats!, tracker: model.trackerSession!.stats! };
  const run: Record<string, number[]> = { query: [], tracker: [] };
  const e2e: Record<string, number[]> = { query: [], tracker: [] };
  for (let i = 0; i < o.warmup + o.runs; i++) {
    for (const decoder of ['query', 'tracker'] as const) {
      const st = sides[decoder];
      const t0 = performance.now();
      const scene = await model.encode(video);
      const before = st.totalMs;
      await scene.track(points, { decoder, frame: 'camera' });
      const inside = st.totalMs - before;
      const wall = performance.now() - t0;
      scene.dispose();
      if (i >= o.warmup) {
        run[decoder]!.push(inside / T);
        e2e[decoder]!.push(wall / T);
      }
    }
  }
  const m = (a: number[]): number => median(a);
  return {
    trackQueryDecoderMsPerFrame: m(run.query!),
    trackTrackerMsPerFrame: m(run.tracker!),
    trackQueryE2eMsPerFrame: m(e2e.query!),
    trackTrackerE2eMsPerFrame: m(e2e.tracker!),
    trackerSpeedupOverQuery: m(run.query!) / m(run.tracker!),
  };
}

/**
 * Rebuilds the embedded model's first export (float32 decoder graph of MatMul / Softmax attention
 * and an every-frame correlation softmax: `python3 -m d4rt_train.export --graph legacy`) from the
 * training checkpoint into a temporary folder. Returns the model folder (its parent is the
 * caller's to remove), or a `skipped: …` reason.
 */
function rebuildLegacyBaseline(training: string): string {
  const ckpt = join(training, 'checkpoints', 'd4rt-tiny.pt');
  if (!existsSync(join(training, 'd4rt_train', 'export.py')) || !existsSync(ckpt)) return `skipped: ${ckpt} or d4rt_train not found (pass --training, or --baseline-model)`;
  const dir = mkdtempSync(join(tmpdir(), 'd4rt-bench-baseline-'));
  const out = join(dir, 'd4rt-tiny-legacy');
  const r = spawnSync('/usr/bin/python3', ['-m', 'd4rt_train.export', '--ckpt', ckpt, '--out', out, '--graph', 'legacy', '--name', 'd4rt-tiny-legacy'], {
    cwd: training,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: training, OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `skipped: export --graph legacy failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
  }
  return out;
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
      'no-browser': { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    return {
      stdout: `d4rt bench [options]

Measures the embedded model on the bundled demo clip (onnxruntime-node, CPU) and prints a table;
the last line is one JSON object with every figure. Ratios are measured side by side in one run.

Also measured: this machine's onnxruntime-node matmul peak (${PEAK_N}³ float32 MatMul, GFLOP/s, and
its dynamically quantised uint8 x int8 form, GOP/s) and the fraction of it the encoder and the
decoder reach, from FLOPs counted in the ONNX graphs (training/tools/onnx_flops.py, Debian's
python3-onnx); and the browser (onnxruntime-web wasm in Chromium) over Node time of encode + depth
on the same frames and threads (runtime-web's browser bench, from a d4rt-js checkout).

  --runs <n>        timed runs per figure (default 7; medians)
  --warmup <n>      untimed runs first (default 2)
  --threads <n>     threads for onnxruntime and PyTorch (default: available cores)
  --queries <n>     queries per decoder run (default 4096)
  --training <dir>  the repository's training folder (default: found next to this package)
  --model <dir>     the model to measure (default: the embedded d4rt-tiny); the PyTorch
                    comparison, the browser comparison and the demo always use the embedded model
  --baseline-model <dir>
                    also measure this model's encoder and decoder, interleaved run by run
                    with the measured model on the same clip, and report the ratios
                    (decoderSpeedupVsFp32Baseline: give the float32 export here). Default,
                    when measuring the embedded model: its first export's float32 graph, rebuilt
                    from the training checkpoint (python3 -m d4rt_train.export --graph legacy)
  --no-baseline     skip the baseline comparison
  --no-torch        skip the PyTorch comparison
  --no-browser      skip the browser (wasm) vs Node comparison
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
  const notes: string[] = [];
  const training = resolve((values.training as string | undefined) ?? join(here, '..', '..', '..', 'training'));

  const modelDir = values.model === undefined ? undefined : resolve(values.model as string);
  const model = await loadModel(modelDir, { device: 'cpu', threads });
  figures.model = model.manifest.name;
  const enc = model.encoderSession.stats!;
  const dec = model.decoderSession.stats!;
  // the K/V graph (when the model has one) runs once per scene inside model.encode
  const kv = model.kvSession?.stats;
  const ort = (): number => enc.totalMs + dec.totalMs + (kv?.totalMs ?? 0);
  try {
    const demoMp4 = join(fixturesPath(), 'demo', 'demo.mp4');
    const T = model.manifest.clip.frames;
    const video = await readVideo(demoMp4, { frames: T });
    // encoder
    log('bench: encoder');
    let scene: Scene | null = null;
    const encOrt: number[] = [];
    const kvOrt: number[] = [];
    const encE2e = await timeRuns(warmup, runs, async () => {
      scene?.dispose();
      const before = enc.totalMs;
      const kvBefore = kv?.totalMs ?? 0;
      scene = await model.encode(video);
      encOrt.push(enc.totalMs - before);
      kvOrt.push((kv?.totalMs ?? 0) - kvBefore);
    });
    const s = scene as unknown as Scene;
    figures.encoderMs = median(encOrt.slice(warmup));
    if (kv !== undefined) figures.kvMs = median(kvOrt.slice(warmup));
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
    // roofline: matmul peak on the same thread count, FLOPs counted from the graphs
    log(`bench: matmul peak (${PEAK_N}³ float32 and int8, onnxruntime-node)`);
    const peaks = await measureMatmulPeaks({ threads, warmup, runs: Math.max(3, runs) });
    figures.matmulPeakGflops = peaks.gflops;
    figures.matmulPeakInt8Gops = peaks.int8Gops;
    const encodeMs = (figures.encoderMs as number) + ((figures.kvMs as number | undefined) ?? 0);
    Object.assign(figures, rooflineFigures(model, modelDir ?? embeddedModelPath(), training, { q, encodeMs, decoderMs: figures.decoderOrtMs as number, peaks }, notes));
    // the baseline: --baseline-model, else (measuring the embedded model) the first export's
    // float32 graph rebuilt from the training checkpoint (export --graph legacy)
    let baselineDir = values['baseline-model'] === undefined ? undefined : resolve(values['baseline-model'] as string);
    let rebuilt: string | undefined;
    if (baselineDir === undefined && modelDir === undefined && !values['no-baseline']) {
      log('bench: rebuilding the first export (float32, export --graph legacy) as the baseline');
      const b = rebuildLegacyBaseline(training);
      if (b.startsWith('skipped')) figures.baseline = b;
      else baselineDir = rebuilt = b;
    } else if (baselineDir === undefined) figures.baseline = values['no-baseline'] ? 'skipped (--no-baseline)' : 'skipped: --model without --baseline-model';
    try {
      if (baselineDir !== undefined) {
        log('bench: measured model vs the baseline, interleaved');
        Object.assign(figures, await compareModels(model, baselineDir, demoMp4, { threads, warmup, runs, queries: Q }));
        figures.baseline = rebuilt ? 'the first export (float32), rebuilt by export --graph legacy' : baselineDir;
        figures.decoderSpeedupVsFp32Baseline = figures.decoderSpeedOverBaseline ?? null;
        const b = countModelFlops({ script: join(training, 'tools', 'onnx_flops.py'), modelDir: baselineDir, dims: queryDims(model, Q) });
        if (typeof b !== 'string' && b.graphs.decoder?.quantized) notes.push(`Note: the baseline's decoder (${baselineDir}) is int8-quantised, not float32: decoderSpeedupVsFp32Baseline compares two quantised decoders.`);
      } else figures.decoderSpeedupVsFp32Baseline = null;
    } finally {
      if (rebuilt) rmSync(dirname(rebuilt), { recursive: true, force: true });
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
    // the two ways of tracking, side by side: 256 points over every frame
    if (model.trackerSession === undefined) figures.tracker = `skipped: ${model.manifest.name} has no tracker graph`;
    else {
      log('bench: tracks of 256 points, query decoder vs tracker, interleaved');
      Object.assign(figures, await compareTrackers(model, video, { warmup, runs }));
    }
    // PyTorch eager vs onnxruntime-node, identical inputs
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
  // browser wasm vs Node on the same frames and threads (embedded model), in a child process
  if (values['no-browser']) figures.wasmOverNode = 'skipped (--no-browser)';
  else {
    log('bench: browser (onnxruntime-web wasm, Chromium) vs onnxruntime-node, encode + depth (child process)');
    const b = browserRatio(here, { threads, warmup, runs });
    if (typeof b === 'string') figures.wasmOverNode = b;
    else {
      figures.wasmOverNode = b.ratio.encodePlusDepth;
      figures.wasmThreads = b.wasmThreads;
      figures.wasmEncodeDepthMs = b.wasmEncodeMs + b.wasmDepthMs;
      figures.nodeEncodeDepthMs = b.nodeEncodeMs + b.nodeDepthMs;
      figures.wasmBackend = `${b.backend}${b.crossOriginIsolated ? ', cross-origin isolated' : ', not cross-origin isolated'}`;
    }
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
    ...(figures.kvMs === undefined ? [] : [`| K/V graph ms per clip (inside session.run, part of model.encode) | ${f('kvMs', 1)} |`]),
    `| matmul peak, float32 ${PEAK_N}³ MatMul, GFLOP/s (onnxruntime-node, ${threads} threads) | ${f('matmulPeakGflops', 1)} |`,
    `| matmul peak, int8 ${PEAK_N}³ (DynamicQuantizeLinear uint8 x int8 MatMulInteger, fused by onnxruntime), GOP/s | ${f('matmulPeakInt8Gops', 1)} |`,
    `| encoder GFLOP per clip (${typeof figures.flopGraphs === 'string' ? figures.flopGraphs.split(';')[0] : 'not counted'}) | ${f('encoderGflop', 3)} |`,
    `| decoder MFLOP per query (${typeof figures.flopGraphs === 'string' ? figures.flopGraphs.split('; ')[1]?.replace('decoder: ', '') : 'not counted'}, / ${Q}) | ${f('decoderMflopPerQuery', 3)} |`,
    `| encoder achieved / peak (${peakName(figures.peakBasis, 'encoder')}; ${figures.kvMs === undefined ? 'encoder ms' : 'encoder + K/V ms'} inside session.run) | ${f('encoderPeakFraction', 3)} |`,
    `| decoder achieved / peak (${peakName(figures.peakBasis, 'decoder')}; decoder ms inside session.run, ${Q} queries) | ${f('decoderPeakFraction', 3)} |`,
    typeof figures.wasmOverNode === 'number'
      ? `| browser wasm / Node, encode + depth of the demo clip's frames (wasm ${figures.wasmThreads} threads, ${figures.wasmBackend}; ${f('wasmEncodeDepthMs', 0)} / ${f('nodeEncodeDepthMs', 0)} ms) | ${f('wasmOverNode')} |`
      : '| browser wasm / Node, encode + depth (see below) | - |',
    `| tracks of 256 points x ${model.manifest.clip.frames} frames, decoder ms per frame: query decoder / tracker | ${f('trackQueryDecoderMsPerFrame', 2)} / ${f('trackTrackerMsPerFrame', 2)}${typeof figures.tracker === 'string' ? ` (${figures.tracker})` : ''} |`,
    `| same, end to end (encode + track) ms per frame: query decoder / tracker | ${f('trackQueryE2eMsPerFrame', 2)} / ${f('trackTrackerE2eMsPerFrame', 2)} |`,
    `| whole demo, seconds (child process, wall) | ${f('demoSeconds', 1)} |`,
    `| demo peak RSS, MB | ${f('demoPeakRssMB', 0)} |`,
    `| bench peak RSS, MB | ${f('benchPeakRssMB', 0)} |`,
    ...(figures.baselineModel === undefined
      ? []
      : [
          `| interleaved: encoder ms, this model / baseline ${figures.baselineModel} | ${f('compareEncoderMs', 1)} / ${f('baselineEncoderMs', 1)} (${f('encoderMsOverBaseline')}x) |`,
          `| interleaved: decoder queries/s, this model / baseline | ${f('compareDecoderQueriesPerSec', 0)} / ${f('baselineDecoderQueriesPerSec', 0)} (${f('decoderSpeedOverBaseline')}x speed) |`,
          `| decoder speed-up vs the float32 baseline (queries/s, interleaved) | ${f('decoderSpeedupVsFp32Baseline')} |`,
        ]),
    '',
  );
  if (typeof figures.torch === 'string' && figures.torch.startsWith('skipped')) lines.push(`PyTorch: ${figures.torch}`);
  if (typeof figures.flops === 'string' && figures.flops.startsWith('skipped')) lines.push(`FLOPs and peak fractions: ${figures.flops}`);
  if (typeof figures.wasmOverNode === 'string') lines.push(`Browser vs Node: ${figures.wasmOverNode}`);
  lines.push(...notes);
  lines.push(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(5)) : v]))));
  return { stdout: `${lines.join('\n')}\n` };
}
