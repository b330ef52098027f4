/**
 * Binary ground-truth files: `readTapVid3d` on `.npz` archives (NumPy's own samples with flipped,
 * truncated or overwritten bytes; and archives built for the case with mismatched shapes, wrong
 * dtypes, NaN intrinsics, queries out of range, broken `.npy` headers, JPEGs that are not), and
 * `parseSintelDepth` / `parseSintelCamera` on mutated `.dpt` / `.cam` bytes.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SINTEL_TAG, parseSintelCamera, parseSintelDepth, readTapVid3d } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, mutateBytes } from '../mutate.js';
import { f32, f64, npyBytes, unzipEntries, zipStored, type NpyEntry } from '../npz-writer.js';
import type { Rng } from '../rng.js';
import { imageSeedPath } from '../seeds.js';

/** A `.dpt` of `w x h` depths. */
function dpt(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(12 + w * h * 4);
  b.writeFloatLE(SINTEL_TAG, 0);
  b.writeInt32LE(w, 4);
  b.writeInt32LE(h, 8);
  for (let i = 0; i < w * h; i++) b.writeFloatLE(1 + i / 10, 12 + 4 * i);
  return b;
}

/** A `.cam`: tag, M (3x3) and N (3x4), float64. */
function cam(): Uint8Array {
  const b = Buffer.alloc(4 + 21 * 8);
  b.writeFloatLE(SINTEL_TAG, 0);
  [500, 0, 12, 0, 500, 8, 0, 0, 1, 1, 0, 0, 0.5, 0, 1, 0, -0.2, 0, 0, 1, 2].forEach((v, i) => b.writeDoubleLE(v, 4 + 8 * i));
  return b;
}

/** A TAPVid-3D archive built for the case: T frames, N tracks, with one or two things wrong. */
async function builtArchive(rng: Rng, seeds: string): Promise<{ bytes: Uint8Array; what: string[] }> {
  const T = rng.pick([1, 2, 3, 4]), N = rng.pick([1, 2, 5]);
  const jpeg = await readFile(imageSeedPath(seeds, 'jpeg'));
  const width = Math.max(...Array.from({ length: T }, () => jpeg.length)) + 8;
  const sBytes = new Uint8Array(T * width);
  for (let t = 0; t < T; t++) sBytes.set(jpeg, t * width);
  const xyz = Array.from({ length: T * N * 3 }, (_, i) => (i % 3 === 2 ? 2 + (i % 7) / 10 : ((i % 5) - 2) / 10));
  const entries: Record<string, NpyEntry> = {
    tracks_XYZ: { descr: '<f4', shape: [T, N, 3], data: f32(xyz) },
    visibility: { descr: '|b1', shape: [T, N], data: new Uint8Array(T * N).fill(1) },
    fx_fy_cx_cy: { descr: '<f8', shape: [4], data: f64([30, 30, 11.5, 7.5]) },
    queries_xyt: { descr: '<f4', shape: [N, 3], data: f32(Array.from({ length: N * 3 }, (_, i) => (i % 3 === 2 ? 0 : 5))) },
    images_jpeg_bytes: { descr: `|S${width}`, shape: [T], data: sBytes },
  };
  if (rng.chance(0.3)) entries.extrinsics_w2c = { descr: '<f4', shape: [T, 4, 4], data: f32(Array.from({ length: T }, () => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]).flat()) };
  if (rng.chance(0.2)) entries.depth_map = { descr: '<f4', shape: [T, 16, 24], data: f32(new Array(T * 16 * 24).fill(2)) };
  const what: string[] = [`built: ${T} frames, ${N} tracks`];
  for (let k = rng.int(0, 2); k > 0; k--) {
    const key = rng.pick(Object.keys(entries));
    const e = entries[key]!;
    const change = rng.pick(['shape', 'descr', 'values', 'drop', 'header', 'data'] as const);
    if (change === 'shape') {
      e.shape = rng.chance(0.5) ? e.shape.map((n) => (rng.chance(0.4) ? rng.pick([0, 1, n + 1, n - 1, 2 ** 31, 2 ** 40]) : n)) : rng.chance(0.5) ? e.shape.slice(1) : [...e.shape, 1];
      what.push(`${key} shape (${e.shape.join(', ')})`);
    } else if (change === 'descr') {
      e.descr = rng.pick(['<f8', '<f4', '>f4', '|b1', '<i8', '<u2', '|u1', '<c8', '|O', '|S1', '|S0', '<U4', 'f4', '']);
      what.push(`${key} descr ${e.descr}`);
    } else if (change === 'values') {
      const n = e.data.length >> 2;
      const v = new Float32Array(e.data.buffer.slice(e.data.byteOffset, e.data.byteOffset + n * 4));
      for (let i = 0; i < v.length; i++) if (rng.chance(0.3)) v[i] = rng.pick(EDGE_NUMBERS);
      e.data = new Uint8Array(v.buffer);
      what.push(`${key} values edged`);
    } else if (change === 'drop') {
      delete entries[key];
      what.push(`${key} dropped`);
    } else if (change === 'header') {
      e.header = rng.pick([
        `{'descr': '<f4', 'fortran_order': True, 'shape': (${e.shape.join(', ')}), }`,
        `{'descr': '<f4', 'shape': (${e.shape.join(', ')}), }`,
        `{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }`,
        `{'descr': '<f4', 'fortran_order': False, 'shape': (1e3,), }`,
        `{'descr': '<f4', 'fortran_order': False, 'shape': (), }`,
        `{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }`,
        '',
      ]);
      what.push(`${key} header ${JSON.stringify(e.header)}`);
    } else {
      e.data = e.data.subarray(0, rng.int(0, e.data.length));
      what.push(`${key} data cut to ${e.data.length} bytes`);
    }
  }
  const files = Object.fromEntries(Object.entries(entries).map(([k, e]) => [`${k}.npy`, npyBytes(e)]));
  return { bytes: zipStored(files), what };
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng, dir } = ctx;
  const kind = rng.weighted({ sample: 4, built: 4, sintel: 2 });
  if (kind === 'sintel') {
    const camera = rng.chance(0.5);
    let bytes = camera ? cam() : dpt(rng.int(1, 6), rng.int(1, 6));
    const what: string[] = [];
    for (let k = rng.int(1, 2); k > 0; k--) {
      const m = mutateBytes(rng, bytes);
      bytes = m.bytes;
      what.push(m.what);
    }
    ctx.describe(`${camera ? 'parseSintelCamera' : 'parseSintelDepth'}(${what.join('; ')})`);
    if (camera) parseSintelCamera('fuzz', 'frame.cam', bytes);
    else parseSintelDepth('fuzz', 'frame.dpt', bytes);
    return;
  }
  let bytes: Uint8Array;
  const what: string[] = [];
  if (kind === 'sample') {
    const sample = rng.pick(['sample.npz', 'pstudio-like.npz']);
    bytes = await readFile(path.join(ctx.seeds, sample));
    what.push(sample);
    if (rng.chance(0.5)) {
      // one array of the archive mutated (its .npy header, or the pickle of an object array), stored
      const entries = unzipEntries(bytes);
      const key = rng.pick(Object.keys(entries));
      const m = mutateBytes(rng, entries[key]!);
      entries[key] = m.bytes;
      bytes = zipStored(entries);
      what.push(`${key}: ${m.what}, re-zipped stored`);
    } else {
      for (let k = rng.chance(0.8) ? 1 : rng.int(2, 4); k > 0; k--) {
        const m = mutateBytes(rng, bytes);
        bytes = m.bytes;
        what.push(m.what);
      }
    }
  } else {
    const b = await builtArchive(rng, ctx.seeds);
    bytes = b.bytes;
    what.push(...b.what);
    if (rng.chance(0.2)) {
      const m = mutateBytes(rng, bytes);
      bytes = m.bytes;
      what.push(m.what);
    }
  }
  const file = path.join(dir, 'sequence.npz');
  await writeFile(file, bytes);
  const options: Record<string, unknown> = rng.chance(0.1) ? { world: rng.pick(['camera0', 'source', 'world', 1]) } : {};
  if (options.world !== undefined && options.world !== 'camera0' && options.world !== 'source') ctx.badArgument();
  ctx.describe(`readTapVid3d(${what.join('; ')}${options.world !== undefined ? `, world ${String(options.world)}` : ''})`);
  await readTapVid3d(file, options);
}
