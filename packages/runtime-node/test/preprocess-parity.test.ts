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
import { D4rtModel, extractPatches, randomQueries, selectFrames, type VideoFrames } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { FIXTURES, PYTHON, TRAINING, fixtureVideo, maxAbsDiff, pythonMissing, readF32 } from './helpers.js';

const missing = pythonMissing();
if (missing) console.warn(`preprocess-parity: skipped, training's Python cannot run: ${missing}`);

function pythonDump(clipDir: string, queries: Float32Array, out: string): { video: Float32Array; patches: Float32Array; frames: Int32Array } {
  mkdirSync(out, { recursive: true });
  const qpath = join(out, 'queries.f32');
  writeFileSync(qpath, new Uint8Array(queries.buffer));
  const r = spawnSync(PYTHON, ['tools/dump_preprocess.py', '--clip', clipDir, '--queries', qpath, '--out', out], {
    cwd: TRAINING,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`dump_preprocess.py failed: ${r.stderr}`);
  const fr = readF32(join(out, 'frames.i32'));
  return { video: readF32(join(out, 'video.f32')), patches: readF32(join(out, 'patches.f32')), frames: new Int32Array(fr.buffer) };
}

/** Random queries plus the corners and edges (u, v in {0, 1}). */
function makeQueries(n: number, T: number, seed: number): Float32Array {
  const r = randomQueries({ count: n, frames: T, seed });
  const q = new Float32Array(n * 3);
  const edges = [[0, 0], [1, 1], [0, 1], [1, 0], [0.5, 0], [0, 0.5]];
  for (let i = 0; i < n; i++) {
    const e = edges[i];
    q[3 * i] = e ? e[0]! : r.u[i]!;
    q[3 * i + 1] = e ? e[1]! : r.v[i]!;
    q[3 * i + 2] = r.tSrc[i]!;
  }
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

  const cases: [string, () => { clipDir: string; video: VideoFrames }][] = [
    ['heldout-0 (80x120, 16 frames)', () => ({ clipDir: join(FIXTURES, 'heldout-0'), video: fixtureVideo('heldout-0') })],
    ['demo (128x192, 16 frames)', () => ({ clipDir: join(FIXTURES, 'demo'), video: fixtureVideo('demo') })],
    [
      'the first 7 demo frames (frames repeat to fill T)',
      () => {
        const full = fixtureVideo('demo');
        const n = 7;
        const video = { ...full, frames: n, data: full.data.slice(0, n * full.width * full.height * 3) };
        const clipDir = join(dir, 'demo-7');
        mkdirSync(clipDir, { recursive: true });
        writeFileSync(join(clipDir, 'frames.u8'), video.data);
        writeFileSync(join(clipDir, 'clip.json'), JSON.stringify({ frames: n, width: full.width, height: full.height, files: { frames: 'frames.u8' } }));
        return { clipDir, video };
      },
    ],
  ];

  it.each(cases)('%s', (_name, make) => {
    const { clipDir, video } = make();
    const { frames: T, height: H, width: W } = model.manifest.clip;
    const p = model.manifest.patch.size;
    const queries = makeQueries(500, T, 7);
    const out = join(dir, `${clipDir.split('/').pop()}-out`);
    const py = pythonDump(clipDir, queries, out);
    expect(Array.from(selectFrames(video.frames, T))).toEqual(Array.from(py.frames));
    const input = model.preprocess(video);
    expect(input.video.length).toBe(py.video.length);
    // float32 (torch) vs float64 (core) accumulation: values are ~[-2, 2.5]
    expect(maxAbsDiff(input.video, py.video)).toBeLessThan(2e-5);
    const n = queries.length / 3;
    const u = new Float32Array(n), v = new Float32Array(n), t = new Int32Array(n);
    for (let i = 0; i < n; i++) [u[i], v[i], t[i]] = [queries[3 * i]!, queries[3 * i + 1]!, queries[3 * i + 2]!];
    const patches = extractPatches(new Float32Array(n * 3 * p * p), input.video, { width: W, height: H, size: p, u, v, tSrc: t, offset: 0, count: n });
    expect(maxAbsDiff(patches, py.patches)).toBeLessThan(2e-5);
    expect(input.aspect).toBeCloseTo(video.width / video.height, 12);
  });
});
