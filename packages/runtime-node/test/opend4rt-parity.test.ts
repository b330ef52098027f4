/**
 * OpenD4RT parity: the fixture's checkpoint converted by training's converter and run through the
 * SDK answers as upstream's own code does (memory, heads, depth, cameras, tracks), to 1e-4 of each
 * output's scale, with the K/V graph (the converter's default) and without. Needs training's Python
 * (torch, onnx); skipped without it.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, type Progress } from '@d4rt/core';
import { loadModel } from '../src/index.js';
import { pythonMissing } from './helpers.js';
import { convertOpenD4rtFixture, openD4rtErrors } from './opend4rt.js';

const missing = pythonMissing();

describe.skipIf(missing !== null)('OpenD4RT converted model vs upstream', () => {
  let folder = '';
  beforeAll(() => {
    folder = convertOpenD4rtFixture();
  }, 120_000);
  afterAll(() => {
    if (folder) rmSync(dirname(folder), { recursive: true, force: true });
  });

  it('answers as upstream: memory, heads, depth, intrinsics, poses and tracks within 1e-4 relative', async () => {
    const errors = await openD4rtErrors(folder);
    console.log(JSON.stringify(errors));
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThanOrEqual(1e-4);
  });

  it('has a K/V graph, and the decoder does not take the memory; loading reads 4 files', async () => {
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.files.kv).toBe('kv.onnx');
    expect(Object.keys(manifest.decoder.inputs)).toEqual(['coords', 'times', 'patches', 'k0', 'v0', 'k1', 'v1']);
    const events: Progress[] = [];
    const model = await loadModel(folder, { device: 'cpu', threads: 1, onProgress: (e) => events.push(e) });
    expect(model.kvSession?.outputNames).toEqual(['k0', 'v0', 'k1', 'v1']);
    await model.dispose();
    expect(events.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    expect(events.at(-1)).toEqual({ stage: 'read', done: 4, total: 4 });
  });

  it('names a missing K/V graph file', async () => {
    const broken = join(dirname(folder), 'no-kv-file');
    mkdirSync(broken);
    for (const f of ['manifest.json', 'encoder.onnx', 'decoder.onnx']) copyFileSync(join(folder, f), join(broken, f));
    const err = await loadModel(broken, { device: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/loadModel: K\/V graph '.*no-kv-file\/kv\.onnx' does not exist/);
  });

  it('answers the same without the K/V graph (--no-kv: the decoder takes the memory)', async () => {
    const plain = convertOpenD4rtFixture({ kv: false });
    try {
      expect(existsSync(join(plain, 'kv.onnx'))).toBe(false);
      const errors = await openD4rtErrors(plain);
      expect(Math.max(...Object.values(errors))).toBeLessThanOrEqual(1e-4);
    } finally {
      rmSync(dirname(plain), { recursive: true, force: true });
    }
  }, 120_000);

  it('loads a model whose weights are external data files, with the same answers', async () => {
    const external = convertOpenD4rtFixture({ externalData: true });
    try {
      expect(existsSync(join(external, 'encoder.onnx.data'))).toBe(true);
      expect(existsSync(join(external, 'kv.onnx.data'))).toBe(true);
      const errors = await openD4rtErrors(external);
      expect(Math.max(...Object.values(errors))).toBeLessThanOrEqual(1e-4);
    } finally {
      rmSync(dirname(external), { recursive: true, force: true });
    }
  }, 120_000);
});
