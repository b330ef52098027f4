import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from './errors.js';
import { checkSessionIo, parseManifest, type SessionIo } from './manifest.js';

const manifestPath = createRequire(import.meta.url).resolve('../../models/d4rt-tiny/manifest.json');
const raw = (): Record<string, any> => JSON.parse(readFileSync(manifestPath, 'utf8'));

function expectUnsupported(json: unknown, message: RegExp): void {
  let err: unknown;
  try {
    parseManifest(json);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UnsupportedModelError);
  expect((err as UnsupportedModelError).code).toBe('ERR_UNSUPPORTED_MODEL');
  expect((err as Error).message).toMatch(message);
}

describe('parseManifest', () => {
  it('reads the reference model manifest', () => {
    const m = parseManifest(raw());
    expect(m.clip).toMatchObject({ frames: 16, height: 64, width: 96 });
    expect(m.decoder.outputs.uv).toMatchObject({ bins: 64, window: 3, range: [0, 1], decode: 'truncated-soft-argmax' });
    expect(m.patch.size).toBe(9);
  });

  it('rejects another format version', () => {
    expectUnsupported({ ...raw(), format: 'd4rt-model/2' }, /manifest\.format \("d4rt-model\/2"\) must be 'd4rt-model\/1'/);
  });

  it('rejects a missing section', () => {
    const j = raw();
    delete j.memory;
    expectUnsupported(j, /manifest\.memory \(undefined\) must be an object/);
  });

  it('rejects shapes that disagree with the rest of the manifest', () => {
    const j = raw();
    j.decoder.inputs.patches.shape = [1, 'Q', 100];
    expectUnsupported(j, /manifest\.decoder\.inputs\.patches\.shape\[2\] \(100\) must be 243/);
    const k = raw();
    k.encoder.inputs.video.shape = [1, 8, 3, 64, 96];
    expectUnsupported(k, /manifest\.encoder\.inputs\.video\.shape\[1\] \(8\) must be 16/);
    const l = raw();
    l.decoder.outputs.xyz.decode = 'linear';
    expectUnsupported(l, /manifest\.decoder\.outputs\.xyz\.decode \("linear"\) must be one of 'log-depth'/);
  });

  it('keeps the graphs\' SHA-256 and sizes; a manifest without hashes (written before them) still reads', () => {
    const m = parseManifest(raw());
    expect(m.hashes?.encoder.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.hashes?.decoder.bytes).toBeGreaterThan(10_000);
    const j = raw();
    delete j.hashes;
    const legacy = parseManifest(j);
    expect(legacy.hashes).toBeUndefined();
    expect('hashes' in legacy).toBe(false);
  });

  it('rejects hashes that are not a lower-case hex SHA-256 and an integer size for both graphs', () => {
    const sha = 'ab'.repeat(32);
    const j = raw();
    j.hashes = { encoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.decoder \(undefined\) must be an object/);
    j.hashes = { encoder: { sha256: sha.toUpperCase(), bytes: 10 }, decoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.encoder\.sha256 \("ABAB.*"\) must be the file's SHA-256 as 64 lower-case hex digits/);
    j.hashes = { encoder: { sha256: sha, bytes: 10 }, decoder: { sha256: sha.slice(1), bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.decoder\.sha256 .* must be the file's SHA-256/);
    j.hashes = { encoder: { sha256: sha, bytes: 10.5 }, decoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.encoder\.bytes \(10\.5\) must be an integer >= 1/);
    j.hashes = 'sha256';
    expectUnsupported(j, /manifest\.hashes \("sha256"\) must be an object/);
  });

  it('rejects non-objects', () => {
    expectUnsupported(null, /manifest \(null\) must be an object/);
    expectUnsupported([], /manifest \(Array\(0\)\) must be an object/);
  });
});

describe('checkSessionIo', () => {
  const m = parseManifest(raw());
  const N = m.memory.tokens;
  const decoder: SessionIo = {
    inputNames: ['memory', 'coords', 'times', 'patches'],
    outputNames: ['xyz', 'uv', 'visibility', 'confidence'],
    inputMetadata: [
      { name: 'memory', type: 'float32', shape: [1, N, 128] },
      { name: 'coords', type: 'float32', shape: [1, 'Q', 2] },
      { name: 'times', type: 'int64', shape: [1, 'Q', 3] },
      { name: 'patches', type: 'float32', shape: [1, 'Q', 243] },
    ],
  };

  it('accepts matching sessions (symbolic dims match any size)', () => {
    expect(() => checkSessionIo(m, 'decoder', decoder)).not.toThrow();
  });

  it('names a missing tensor and what the graph has', () => {
    expect(() => checkSessionIo(m, 'decoder', { ...decoder, outputNames: ['xyz', 'uv', 'vis', 'confidence'] })).toThrow(
      /the decoder has no output 'visibility' \(the manifest expects float32 \[1, Q\]\); its outputs are 'xyz', 'uv', 'vis', 'confidence'/,
    );
  });

  it('names a wrong type or shape', () => {
    const wrongType = { ...decoder, inputMetadata: decoder.inputMetadata!.map((x) => (x.name === 'times' ? { ...x, type: 'int32' } : x)) };
    expect(() => checkSessionIo(m, 'decoder', wrongType)).toThrow(/decoder input 'times' is int32; the manifest expects int64/);
    const wrongShape = { ...decoder, inputMetadata: decoder.inputMetadata!.map((x) => (x.name === 'memory' ? { ...x, shape: [1, 100, 128] } : x)) };
    expect(() => checkSessionIo(m, 'decoder', wrongShape)).toThrow(`decoder input 'memory' has shape [1, 100, 128]; the manifest expects [1, ${N}, 128]`);
  });
});
