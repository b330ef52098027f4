/**
 * WebGPU against the CPU on one machine (a check script, not a test):
 *
 *     npx tsx packages/runtime-node/test/webgpu-check.ts [--model DIR] [--queries 4096]
 *         [--runs 5] [--warmup 1] [--threads N] [--clip heldout-1]
 *
 * Loads the model (default the embedded d4rt-tiny) with `device: 'webgpu'` and with `device: 'cpu'`,
 * encodes one fixture clip and answers `--queries` random queries (one decoder run) on each, and
 * prints one JSON line: the load times, the median encoder and decoder times (milliseconds inside
 * onnxruntime's `run`, over `--runs` after `--warmup`; the encoder's `encode` and the decoder's
 * `query` wall times beside them), and parity: the largest absolute difference of each decoded
 * output (`xyz`, `uv`, `visibility`, `confidence`) between the two devices, which must be at most
 * 1e-3.
 *
 * Exit codes: 0 parity holds; 1 it does not; 2 bad arguments; 3 WebGPU cannot run here (the
 * `BackendUnavailableError` is printed with its cause, e.g. no Vulkan driver).
 */
import { parseArgs } from 'node:util';
import { BackendUnavailableError, randomQueries, type BackendSession, type D4rtModel, type QueryResult } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { fixtureVideo, maxAbsDiff } from './helpers.js';

const TOLERANCE = 1e-3;
const KEYS = ['xyz', 'uv', 'visibility', 'confidence'] as const;

let values: { model?: string; queries: string; runs: string; warmup: string; threads?: string; clip: string };
try {
  values = parseArgs({
    options: {
      model: { type: 'string' },
      queries: { type: 'string', default: '4096' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      threads: { type: 'string' },
      clip: { type: 'string', default: 'heldout-1' },
    },
  }).values as typeof values;
} catch (error) {
  console.error(`webgpu-check: ${(error as Error).message}`);
  process.exit(2);
}
const int = (name: string, v: string | undefined, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`webgpu-check: --${name} (${JSON.stringify(v)}) must be an integer ≥ ${min}`);
    process.exit(2);
  }
  return n;
};
const queries = int('queries', values.queries, 1)!;
const runs = int('runs', values.runs, 1)!;
const warmup = int('warmup', values.warmup, 0)!;
const threads = int('threads', values.threads, 1);

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number): number => Number(x.toPrecision(4));

/** Milliseconds `session` spent inside onnxruntime's `run` during `fn`, and `fn`'s wall time. */
async function timed<T>(session: BackendSession, fn: () => Promise<T>): Promise<{ value: T; runMs: number; wallMs: number }> {
  const before = session.stats?.totalMs ?? 0;
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  return { value, runMs: (session.stats?.totalMs ?? 0) - before, wallMs };
}

interface DeviceFigures {
  backend: string;
  loadMs: number;
  encoderMs: number;
  encodeWallMs: number;
  decoderMs: number;
  queryWallMs: number;
}

async function measure(device: 'webgpu' | 'cpu'): Promise<{ figures: DeviceFigures; answers: QueryResult }> {
  const t0 = performance.now();
  let model: D4rtModel;
  try {
    model = await loadModel(values.model, { device, ...(threads !== undefined && { threads }) });
  } catch (error) {
    if (error instanceof BackendUnavailableError && device === 'webgpu') {
      console.error(`webgpu-check: WebGPU cannot run on this machine, nothing to compare.\n${error.name} (${error.code}): ${error.message}`);
      process.exit(3);
    }
    throw error;
  }
  const loadMs = performance.now() - t0;
  try {
    const video = await fixtureVideo(values.clip);
    const q = randomQueries({ count: queries, frames: model.manifest.clip.frames, seed: 7 });
    const enc: { runMs: number; wallMs: number }[] = [];
    const dec: { runMs: number; wallMs: number }[] = [];
    let answers: QueryResult | undefined;
    for (let i = 0; i < warmup + runs; i++) {
      const e = await timed(model.encoderSession, () => model.encode(video));
      const scene = e.value;
      try {
        const d = await timed(model.decoderSession, () => scene.query(q, { chunkSize: queries }));
        answers ??= d.value;
        if (i >= warmup) {
          enc.push(e);
          dec.push(d);
        }
      } finally {
        scene.dispose();
      }
    }
    log(`webgpu-check: ${model.backend}: loaded in ${loadMs.toFixed(0)} ms, encoder ${median(enc.map((e) => e.runMs)).toFixed(1)} ms, decoder (${queries} queries) ${median(dec.map((d) => d.runMs)).toFixed(1)} ms`);
    return {
      figures: {
        backend: model.backend,
        loadMs: round(loadMs),
        encoderMs: round(median(enc.map((e) => e.runMs))),
        encodeWallMs: round(median(enc.map((e) => e.wallMs))),
        decoderMs: round(median(dec.map((d) => d.runMs))),
        queryWallMs: round(median(dec.map((d) => d.wallMs))),
      },
      answers: answers!,
    };
  } finally {
    await model.dispose();
  }
}

const gpu = await measure('webgpu');
const cpu = await measure('cpu');
const parity = Object.fromEntries(KEYS.map((k) => [k, Number(maxAbsDiff(gpu.answers[k], cpu.answers[k]).toExponential(3))])) as Record<(typeof KEYS)[number], number>;
const worst = Math.max(...Object.values(parity));
const ok = worst <= TOLERANCE;
console.log(
  JSON.stringify({
    model: values.model ?? 'd4rt-tiny (embedded)',
    clip: values.clip,
    queries,
    runs,
    warmup,
    threads: threads ?? null,
    webgpu: gpu.figures,
    cpu: cpu.figures,
    parity: { maxAbsDiff: parity, tolerance: TOLERANCE, ok },
  }),
);
if (!ok) {
  log(`webgpu-check: parity fails: largest difference ${worst} > ${TOLERANCE}`);
  process.exit(1);
}
