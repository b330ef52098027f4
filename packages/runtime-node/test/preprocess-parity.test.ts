/**
 * Preprocessing parity with training: frame selection, the antialiased align-corners resize,
 * normalisation and the query patches of @d4rt/core against training/d4rt_train/preprocess.py,
 * on fixture clips (run through /usr/bin/python3; skipped with a message when it cannot run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D4rtModel, extractPatches, randomQueries, selectFrames, type QueryBatch } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { FIXTURES, PYTHON, TRAINING, fixtureVideo, maxAbsDiff, pythonMissing, readF32 } from './helpers.js';

const missing = pythonMissing();
if (missing) console.warn(`preprocess-parity: skipped, training's Python cannot run: ${missing}`);

function pythonDump(clipDir: string, first: number | undefined, queries: QueryBatch, out: string): { video: Float32Array; patches: Float32Array; frames: Int32Array } {
  mkdirSync(out, { recursive: true });
  const n = queries.u.length;
  const triples = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) triples.set([queries.u[i]!, queries.v[i]!, queries.tSrc[i]!], 3 * i);
  const qpath = join(out, 'queries.f32');
  writeFileSync(qpath, new Uint8Array(triples.buffer));
  const args = ['tools/dump_preprocess.py', '--clip', clipDir, '--queries', qpath, '--out', out, ...(first === undefined ? [] : ['--first', String(first)])];
  const r = spawnSync(PYTHON, args, { cwd: TRAINING, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`dump_preprocess.py failed: ${r.stderr}`);
  const fr = readF32(join(out, 'frames.i32'));
  return { video: readF32(join(out, 'video.f32')), patches: readF32(join(out, 'patches.f32')), frames: new Int32Array(fr.buffer) };
}

/** Random queries, the first six moved to the corners and edges (u, v in {0, 1}). */
function makeQueries(n: number, T: number, seed: number): QueryBatch {
  const q = randomQueries({ count: n, frames: T, seed });
  [[0, 0], [1, 1], [0, 1], [1, 0], [0.5, 0], [0, 0.5]].forEach(([u, v], i) => {
    q.u[i] = u!;
    q.v[i] = v!;
  });
  return q;
}

describe.skipIf(missing !== null)('preprocessing matches training', () => {
  let model: D4rtModel;
  let dir: string;
  beforeAll(async () => {
    model = await loadModel();
    dir = mkdtempSync(join(tmpdir(), 'd4rt-parity-'));
  });
  afterAll(async () => {
    await model?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['heldout-0 (80x120, 16 frames)', 'heldout-0', undefined],
    ['demo (128x192, 16 frames)', 'demo', undefined],
    ['the first 7 demo frames (frames repeat to fill T)', 'demo', 7],
  ] as const)('%s', async (_name, clip, first) => {
    const full = await fixtureVideo(clip);
    const n = first ?? full.frames;
    const video = { ...full, frames: n, data: full.data.subarray(0, n * full.width * full.height * 3) };
    const { frames: T, height: H, width: W } = model.manifest.clip;
    const p = model.manifest.patch.size;
    const queries = makeQueries(500, T, 7);
    const py = pythonDump(join(FIXTURES, clip), first, queries, join(dir, `${clip}-${n}`));
    expect(Array.from(selectFrames(video.frames, T))).toEqual(Array.from(py.frames));
    const input = model.preprocess(video);
    expect(input.video.length).toBe(py.video.length);
    // float32 (torch) vs float64 (core) accumulation: values are ~[-2, 2.5]
    expect(maxAbsDiff(input.video, py.video)).toBeLessThan(2e-5);
    const patches = extractPatches(new Float32Array(500 * 3 * p * p), input.video, { width: W, height: H, size: p, u: queries.u, v: queries.v, tSrc: queries.tSrc, offset: 0, count: 500 });
    expect(maxAbsDiff(patches, py.patches)).toBeLessThan(2e-5);
    expect(input.aspect).toBeCloseTo(video.width / video.height, 12);
  });
});
