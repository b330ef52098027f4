/**
 * OpenD4RT parity: the fixture's checkpoint converted by training's converter and run through the
 * SDK answers as upstream's own code does (memory, heads, depth, cameras, tracks), to 1e-4 of each
 * output's scale. Needs training's Python (torch, onnx); skipped without it.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('loads a model whose weights are external data files, with the same answers', async () => {
    const external = convertOpenD4rtFixture({ externalData: true });
    try {
      expect(existsSync(join(external, 'encoder.onnx.data'))).toBe(true);
      const errors = await openD4rtErrors(external);
      expect(Math.max(...Object.values(errors))).toBeLessThanOrEqual(1e-4);
    } finally {
      rmSync(dirname(external), { recursive: true, force: true });
    }
  }, 120_000);
});
