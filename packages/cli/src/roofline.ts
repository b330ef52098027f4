/**
 * Roofline figures for `d4rt bench`: this machine's onnxruntime-node matmul peak (float32, and
 * int8 as onnxruntime's dynamic quantisation runs it), the FLOPs of a model's graphs counted from
 * the ONNX files (`training/tools/onnx_flops.py`), and the fraction of the peak a graph reaches.
 *
 * FLOPs are 2 x multiply-accumulates of MatMul, Gemm, Conv and their integer and fused forms;
 * every other operator is left out (`otherOutputElements` says how much that is).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOnnxBackend, type BackendSession, type Tensor } from '@d4rt/runtime-node';

/** M = K = N of the peak MatMuls (the graphs in `bench-models/` are built for it). */
export const PEAK_N = 1024;

/** Folder of the peak graphs (`packages/cli/bench-models`, shipped with the package). */
export const BENCH_MODELS = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-models');

/** One graph's count, as `onnx_flops.py` prints it. */
export interface GraphFlops {
  /** File name in the model folder. */
  file: string;
  /** floatFlops + int8Ops. */
  flops: number;
  /** FLOPs of float MatMul / Gemm / Conv (and fused forms). */
  floatFlops: number;
  /** Operations of MatMulInteger / ConvInteger / QLinear* / DynamicQuantizeMatMul. */
  int8Ops: number;
  /** Whether the graph has integer matmuls (int8Ops > 0). */
  quantized: boolean;
  /** Output elements of every operator not counted (about one operation each). */
  otherOutputElements: number;
  /** Counted operators whose shapes stayed unknown (left out of the FLOPs). */
  unresolved: string[];
}

/** What `onnx_flops.py` prints for a model folder. */
export interface ModelFlops {
  /** The onnx package's version. */
  onnx: string;
  /** Values given to the symbolic dimensions, e.g. `{ Q: 4096 }`. */
  dims: Record<string, number>;
  /** Per graph role of the manifest's `files` (`encoder`, `decoder`, `kv`). */
  graphs: Partial<Record<'encoder' | 'decoder' | 'kv', GraphFlops>>;
}

/** The matmul peak: float32 GFLOP/s and int8 GOP/s (medians). */
export interface MatmulPeaks {
  gflops: number;
  int8Gops: number;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Times the two peak graphs (`matmul-f32.onnx`: a [N, N] float32 input times [N, N] weights;
 * `matmul-int8.onnx`: the same with the input quantised to uint8 by DynamicQuantizeLinear and int8
 * weights, which onnxruntime fuses into one DynamicQuantizeMatMul kernel) with onnxruntime-node on
 * the CPU, `threads` threads per operator, alternating run by run. The weights are constants that
 * onnxruntime folds and pre-packs at load, as a model's weights.
 * @param options - `threads`, `warmup` (untimed runs), `runs` (timed runs, each graph), `dir` (default {@link BENCH_MODELS})
 * @returns medians of the time inside `session.run`, as GFLOP/s and GOP/s (2 N³ per run)
 * @throws Error when a graph file is missing or onnxruntime cannot load it
 */
export async function measureMatmulPeaks(options: { threads: number; warmup: number; runs: number; dir?: string }): Promise<MatmulPeaks> {
  const dir = options.dir ?? BENCH_MODELS;
  const files = ['matmul-f32.onnx', 'matmul-int8.onnx'].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`measureMatmulPeaks: ${missing.join(' and ')} not found (packages/cli/bench-models/make_matmul_models.py writes them)`);
  const backend = createOnnxBackend({ device: 'cpu', intraOpThreads: options.threads });
  const sessions: BackendSession[] = [];
  try {
    for (const f of files) sessions.push(await backend.createSession(f));
    const n = PEAK_N;
    const a = new Float32Array(n * n);
    for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 2001) / 1000 - 1;
    const feeds: Record<string, Tensor> = { a: { type: 'float32', data: a, dims: [n, n] } };
    const ms: number[][] = sessions.map(() => []);
    for (let i = 0; i < options.warmup + options.runs; i++) {
      for (const [k, s] of sessions.entries()) {
        const before = s.stats!.totalMs;
        await s.run(feeds);
        if (i >= options.warmup) ms[k]!.push(s.stats!.totalMs - before);
      }
    }
    const rate = (k: number): number => (2 * n ** 3) / (median(ms[k]!) * 1e6);
    return { gflops: rate(0), int8Gops: rate(1) };
  } finally {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
  }
}

/**
 * Counts the FLOPs of every graph of a model folder with `/usr/bin/python3 onnx_flops.py`.
 * @param options - `script` (path of onnx_flops.py), `modelDir`, `dims` (symbolic dimensions, e.g.
 *   `{ Q: 4096 }`), `inputs` (graph input name -> raw file of its values, for shapes that depend on
 *   values, e.g. the decoder's `times` when it attends only to the frames its queries target)
 * @returns the count, or a sentence saying why there is none (script missing, python or its onnx
 *   package absent, the tool failed)
 */
export function countModelFlops(options: { script: string; modelDir: string; dims: Record<string, number>; inputs?: Record<string, string> }): ModelFlops | string {
  const { script, modelDir, dims, inputs = {} } = options;
  if (!existsSync(script)) return `${script} not found (pass --training)`;
  const args = [
    script,
    modelDir,
    ...Object.entries(dims).flatMap(([k, v]) => ['--dim', `${k}=${v}`]),
    ...Object.entries(inputs).flatMap(([k, f]) => ['--input', `${k}=${f}`]),
  ];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (r.error !== undefined) return `/usr/bin/python3 cannot run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install Debian's python3 and python3-onnx`;
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return /No module named 'onnx'/.test(last) ? `python3-onnx is not installed (${last})` : `onnx_flops.py failed (exit ${r.status}): ${last}`;
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ModelFlops;
  } catch {
    return `onnx_flops.py printed no JSON line: ${r.stdout.trim().slice(-200)}`;
  }
}

/** Which peak a set of graphs is held against: `'fp32'`, `'int8'`, or both (`'fp32 + int8'`, each part against its own). */
export function peakBasis(graphs: readonly Pick<GraphFlops, 'floatFlops' | 'int8Ops'>[]): 'fp32' | 'int8' | 'fp32 + int8' {
  const f = graphs.reduce((s, g) => s + g.floatFlops, 0);
  const q = graphs.reduce((s, g) => s + g.int8Ops, 0);
  return q === 0 ? 'fp32' : f === 0 ? 'int8' : 'fp32 + int8';
}

/**
 * The fraction of the matmul peak `graphs` reach when they run in `ms`: the time they would take
 * at the peak (float FLOPs at the float32 peak plus int8 operations at the int8 peak) over `ms`.
 * For a float graph that is achieved GFLOP/s / float32 peak; for an int8-quantised one, achieved
 * GOP/s / int8 peak.
 * @param graphs - the counts of the graphs timed together
 * @param ms - their measured time, milliseconds (> 0)
 * @param peaks - {@link measureMatmulPeaks}'s result
 * @throws RangeError for `ms` or a peak that is not a positive finite number
 */
export function peakFraction(graphs: readonly Pick<GraphFlops, 'floatFlops' | 'int8Ops'>[], ms: number, peaks: MatmulPeaks): number {
  for (const [name, v] of [['ms', ms], ['peaks.gflops', peaks.gflops], ['peaks.int8Gops', peaks.int8Gops]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`peakFraction: ${name} (${v}) must be a positive finite number`);
  }
  const f = graphs.reduce((s, g) => s + g.floatFlops, 0);
  const q = graphs.reduce((s, g) => s + g.int8Ops, 0);
  // GFLOP/s x 1e6 = FLOP per ms
  return (f / (peaks.gflops * 1e6) + q / (peaks.int8Gops * 1e6)) / ms;
}
