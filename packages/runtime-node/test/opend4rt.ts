/**
 * OpenD4RT parity: converts the golden fixture's checkpoint (`packages/models/fixtures/opend4rt-tiny`,
 * made by upstream's own code) with training's converter, runs the converted model through the SDK
 * and compares every answer with upstream's. Used by `opend4rt-parity.test.ts` and by the root
 * script `pnpm -s check:opend4rt` (which prints the errors as JSON).
 *
 * A relative error is `max |sdk - upstream| / max |upstream|` over a whole output (element-wise
 * ratios blow up where a value crosses zero). Upstream's heads are raw; the SDK's are decoded, so
 * visibility and confidence are compared as sigmoids and normals as unit vectors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VideoFrames } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { FIXTURES, PYTHON, TRAINING } from './helpers.js';

export const OPEND4RT_FIXTURE = join(FIXTURES, 'opend4rt-tiny');

interface FixtureFile {
  file: string;
  dtype: 'float32' | 'int64' | 'uint8';
  shape: number[];
}

/** The fixture's arrays (int64 as numbers) and `fixture.json`. */
export function readOpenD4rtFixture(): { meta: { aspect: number; files: Record<string, FixtureFile> }; arrays: Record<string, Float64Array | Float32Array | Uint8Array> } {
  const meta = JSON.parse(readFileSync(join(OPEND4RT_FIXTURE, 'fixture.json'), 'utf8'));
  const arrays: Record<string, Float64Array | Float32Array | Uint8Array> = {};
  for (const [key, f] of Object.entries(meta.files as Record<string, FixtureFile>)) {
    const b = readFileSync(join(OPEND4RT_FIXTURE, f.file));
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    arrays[key] = f.dtype === 'float32' ? new Float32Array(ab) : f.dtype === 'uint8' ? new Uint8Array(ab) : Float64Array.from(new BigInt64Array(ab), Number);
  }
  return { meta, arrays };
}

/** `max |a - b| / max |b|`. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`relativeError: lengths differ (${a.length} vs ${b.length})`);
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / Math.max(s, 1e-12);
}

const sigmoid = (x: ArrayLike<number>): Float64Array => Float64Array.from(x, (v) => 1 / (1 + Math.exp(-v)));

function normalized(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i += 3) {
    const n = Math.hypot(x[i]!, x[i + 1]!, x[i + 2]!);
    for (let c = 0; c < 3; c++) out[i + c] = x[i + c]! / n;
  }
  return out;
}

/** `[N, T, k]` point-major (upstream's tracks) to `[T, N, k]` frame-major (the SDK's). */
function frameMajor(a: ArrayLike<number>, n: number, t: number, k: number): Float64Array {
  const out = new Float64Array(n * t * k);
  for (let i = 0; i < n; i++) for (let f = 0; f < t; f++) for (let c = 0; c < k; c++) out[(f * n + i) * k + c] = a[(i * t + f) * k + c]!;
  return out;
}

/**
 * Converts the fixture's checkpoint with training's converter (`python -m opend4rt.convert_opend4rt`)
 * into a new temporary folder; the caller removes it. `kv: false` writes the decoder that takes the
 * memory (`--no-kv`); the default has a K/V graph.
 * @throws Error with the converter's output when it fails
 */
export function convertOpenD4rtFixture(options: { dtype?: 'fp32' | 'fp16' | 'int8'; externalData?: boolean; kv?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'opend4rt-'));
  const out = join(dir, 'model');
  const args = ['-m', 'opend4rt.convert_opend4rt', join(OPEND4RT_FIXTURE, 'opend4rt.ckpt'), join(OPEND4RT_FIXTURE, 'model.yaml'), '-o', out];
  args.push('--dtype', options.dtype ?? 'fp32', ...(options.externalData ? ['--external-data', 'always'] : []), options.kv === false ? '--no-kv' : '--kv');
  const r = spawnSync(
    PYTHON,
    args,
    { cwd: TRAINING, encoding: 'utf8', env: { ...process.env, PYTHONPATH: '.', OPENBLAS_NUM_THREADS: '1', PYTHONWARNINGS: 'ignore' } },
  );
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`convert_opend4rt failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return out;
}

/**
 * Runs the converted model in `folder` through the SDK on the fixture and returns the largest
 * relative error of each output against upstream's.
 */
export async function openD4rtErrors(folder: string): Promise<Record<string, number>> {
  const { meta, arrays: a } = readOpenD4rtFixture();
  const [T, H, W] = meta.files.frames!.shape as [number, number, number];
  const video: VideoFrames = { data: a.frames as Uint8Array, frames: T, width: W, height: H };
  const model = await loadModel(folder, { device: 'cpu', threads: 1 });
  try {
    const scene = await model.encode(video);
    const errors: Record<string, number> = { memory: relativeError(scene.memory.data as Float32Array, a.memory!) };
    const uv = a.queryUv!, times = a.queryTimes!;
    const q = uv.length / 2;
    const r = await scene.query({
      u: Float32Array.from({ length: q }, (_, i) => uv[2 * i]!),
      v: Float32Array.from({ length: q }, (_, i) => uv[2 * i + 1]!),
      tSrc: Int32Array.from({ length: q }, (_, i) => times[3 * i]!),
      tTgt: Int32Array.from({ length: q }, (_, i) => times[3 * i + 1]!),
      tCam: Int32Array.from({ length: q }, (_, i) => times[3 * i + 2]!),
    }, { chunkSize: 100 });
    errors.xyz = relativeError(r.xyz, a.xyz!);
    errors.uv = relativeError(r.uv, a.uv!);
    errors.visibility = relativeError(r.visibility, sigmoid(a.visibility!));
    errors.confidence = relativeError(r.confidence, sigmoid(a.confidence!));
    errors.normal = r.normal ? relativeError(r.normal, normalized(a.normal!)) : Number.POSITIVE_INFINITY;
    errors.displacement = r.displacement ? relativeError(r.displacement, a.displacement!) : Number.POSITIVE_INFINITY;
    errors.depth = relativeError((await scene.depth()).data, a.depth!);
    const cams = await scene.cameras();
    errors.intrinsics = relativeError(cams.intrinsics.flatMap((k) => [k.fx, k.fy, k.cx, k.cy]), a.intrinsics!);
    // upstream's poses are row-major, the SDK's column-major
    const poses = cams.cameraToWorld.flatMap((m) => Array.from({ length: 16 }, (_, i) => m[(i % 4) * 4 + Math.floor(i / 4)]!));
    errors.poses = relativeError(poses, a.poses!);
    const tq = a.tracksQueryUv!;
    const n = tq.length / 2;
    const points = { u: Float32Array.from({ length: n }, (_, i) => tq[2 * i]!), v: Float32Array.from({ length: n }, (_, i) => tq[2 * i + 1]!), frame: Int32Array.from(a.tracksQueryFrame!) };
    const cam = await scene.track(points, { frame: 'camera' });
    const world = await scene.track(points, { frame: 'world', referenceFrame: 0 });
    errors.tracksXyzCamera = relativeError(cam.xyz, frameMajor(a.tracksXyzCamera!, n, T, 3));
    errors.tracksXyzWorld = relativeError(world.xyz, frameMajor(a.tracksXyzCam0!, n, T, 3));
    errors.tracksUv = relativeError(cam.uv, frameMajor(a.tracksUv!, n, T, 2));
    errors.tracksVisibility = relativeError(cam.visibility, sigmoid(frameMajor(a.tracksVisibility!, n, T, 1)));
    errors.tracksConfidence = relativeError(cam.confidence, sigmoid(frameMajor(a.tracksConfidence!, n, T, 1)));
    scene.dispose();
    return errors;
  } finally {
    await model.dispose();
  }
}
