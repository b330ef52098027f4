/**
 * Micro-benchmarks of the hot paths of @d4rt/geometry (plain script, run with `pnpm bench`).
 *
 * Each task is warmed up, then timed over 21 repetitions; the table gives the median and the
 * fastest run in milliseconds and the throughput at the median in million points per second.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { alignScale, depthMetrics, umeyama, umeyamaRobust, unprojectDepth, type Intrinsics } from '../src/index.js';

const WARMUP = 5;
const REPS = 21;

interface Row {
  task: string;
  points: number;
  medianMs: number;
  minMs: number;
}

function time(task: string, points: number, run: () => unknown): Row {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += Number(Boolean(run()));
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    sink += Number(Boolean(run()));
    times.push(performance.now() - t0);
  }
  if (sink < 0) console.log(sink); // keep results alive
  times.sort((a, b) => a - b);
  return { task, points, medianMs: times[REPS >> 1]!, minMs: times[0]! };
}

/** Deterministic uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- Data -------------------------------------------------------------------------------------
const W = 1920;
const H = 1080;
const K: Intrinsics = { fx: 1400, fy: 1400, cx: (W - 1) / 2, cy: (H - 1) / 2 };
const r = rng(1);
const depth = new Float32Array(W * H);
for (let i = 0; i < depth.length; i++) depth[i] = 0.5 + 9.5 * r();
const cloud = new Float32Array(3 * W * H);

const N = 65536;
const src = new Float32Array(3 * N);
const dst = new Float32Array(3 * N);
// dst = 1.7 * R_z(30 deg) * src + (1, -2, 3) + noise, with 20 % outliers for the robust variant.
const c = Math.cos(Math.PI / 6);
const s = Math.sin(Math.PI / 6);
for (let i = 0; i < N; i++) {
  const x = 4 * r() - 2;
  const y = 4 * r() - 2;
  const z = 2 + 6 * r();
  src.set([x, y, z], 3 * i);
  const noise = () => 1e-3 * (r() - 0.5);
  dst.set([1.7 * (c * x - s * y) + 1 + noise(), 1.7 * (s * x + c * y) - 2 + noise(), 1.7 * z + 3 + noise()], 3 * i);
}
const dstOutliers = Float32Array.from(dst);
for (let i = 0; i < N; i += 5) dstOutliers.set([20 * r() - 10, 20 * r() - 10, 20 * r() - 5], 3 * i);

const gtDepth = depth.map((d) => 1 / (0.5 / d + 0.01));

// --- Run --------------------------------------------------------------------------------------
const rows: Row[] = [
  time('unprojectDepth 1920x1080', W * H, () => unprojectDepth(cloud, depth, W, H, K)),
  time('umeyama Sim(3), 65,536 pts', N, () => umeyama(src, dst, { kind: 'similarity' })),
  time('umeyama SE(3), 65,536 pts', N, () => umeyama(src, dst, { kind: 'rigid' })),
  time('umeyamaRobust trimmed Sim(3), 20% outliers', N, () => umeyamaRobust(src, dstOutliers, { kind: 'similarity' })),
  time('alignScale lsq-scale-shift disparity 1920x1080', W * H, () => alignScale(depth, gtDepth, { method: 'lsq-scale-shift', space: 'disparity' })),
  time('depthMetrics median-aligned 1920x1080', W * H, () => depthMetrics(depth, gtDepth, { alignment: 'median' })),
];

// Sanity: the timed fits are right.
const fit = umeyama(src, dst, { kind: 'similarity' })!;
const robust = umeyamaRobust(src, dstOutliers, { kind: 'similarity' })!;

const header = ['task', 'points', 'median ms', 'min ms', 'Mpoints/s'];
const body = rows.map((row) => [
  row.task,
  row.points.toLocaleString('en-US'),
  row.medianMs.toFixed(3),
  row.minMs.toFixed(3),
  (row.points / row.medianMs / 1000).toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;

console.log(`@d4rt/geometry benchmarks: Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${WARMUP} warm-up + ${REPS} timed runs each`);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const b of body) console.log(line(b));
console.log(`check: Sim(3) scale ${fit.scale.toFixed(6)} (true 1.7), robust scale with 20 % outliers ${robust.scale.toFixed(6)}`);
