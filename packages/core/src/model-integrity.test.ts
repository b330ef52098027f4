import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ModelIntegrityError } from './errors.js';
import { sha256Hex, sha256HexPortable, verifyModelFile } from './model-integrity.js';

const nodeSha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256Hex', () => {
  it('is the SHA-256 of the bytes (WebCrypto and the portable code agree with node:crypto at every padding case)', async () => {
    // 0, 55, 56, 63, 64 and 65 bytes cross the padding boundaries; the offset view checks byteOffset.
    let seed = 7;
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const backing = random(300);
    for (const bytes of [new Uint8Array(0), random(1), random(55), random(56), random(63), random(64), random(65), random(1000), backing.subarray(3, 203)]) {
      const want = nodeSha256(bytes);
      expect(sha256HexPortable(bytes)).toBe(want);
      expect(await sha256Hex(bytes)).toBe(want);
    }
    expect(sha256HexPortable(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('does not modify its input', async () => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
    sha256HexPortable(bytes);
    await sha256Hex(bytes);
    expect(Array.from(bytes)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('verifyModelFile', () => {
  const bytes = new TextEncoder().encode('graph bytes');
  const good = { sha256: nodeSha256(bytes), bytes: bytes.length };
  const options = { fn: 'loadModel', what: 'decoder graph', file: 'https://x.org/m/decoder.onnx' };

  it('accepts the bytes the manifest names', async () => {
    await expect(verifyModelFile(bytes, { ...options, expected: good })).resolves.toBeUndefined();
  });

  it('rejects other bytes with a ModelIntegrityError naming the file, both hashes and both sizes', async () => {
    const other = new TextEncoder().encode('graph bytez');
    const error = (await verifyModelFile(other, { ...options, expected: good }).catch((e: unknown) => e)) as ModelIntegrityError;
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect(error.name).toBe('ModelIntegrityError');
    expect(error.code).toBe('ERR_MODEL_INTEGRITY');
    expect(error.file).toBe(options.file);
    expect(error.expected).toEqual(good);
    expect(error.actual).toEqual({ sha256: nodeSha256(other), bytes: other.length });
    expect(error.message).toBe(
      `loadModel: decoder graph 'https://x.org/m/decoder.onnx' is 11 bytes with SHA-256 ${nodeSha256(other)}; its manifest expects 11 bytes with SHA-256 ${good.sha256} (a corrupted download, or the file was replaced without its manifest)`,
    );
  });

  it('rejects a cut file by its size too', async () => {
    const error = (await verifyModelFile(bytes.subarray(0, 4), { ...options, expected: good }).catch((e: unknown) => e)) as ModelIntegrityError;
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect(error.actual.bytes).toBe(4);
    expect(error.message).toMatch(/is 4 bytes with SHA-256 [0-9a-f]{64}; its manifest expects 11 bytes/);
  });
});
