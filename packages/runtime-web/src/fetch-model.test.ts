/** fetchModelFiles with a fake fetch (no Cache API in Node): the integrity check and the progress total. */
import { createHash } from 'node:crypto';
import { ModelIntegrityError, type Progress } from '@d4rt/core';
import { describe, expect, it } from 'vitest';
import { fetchModelFiles } from './fetch-model.js';
import { graphCacheKey } from './model-cache.js';

const served = new Map<string, Uint8Array<ArrayBuffer>>([
  ['https://x.org/m/encoder.onnx', new TextEncoder().encode('encoder bytes')],
  ['https://x.org/m/decoder.onnx', new TextEncoder().encode('decoder bytes, replaced')],
]);
// A body without Content-Length: the progress total must come from the manifest's sizes.
const fakeFetch = (async (url: string) => new Response(new Blob([served.get(url)!]).stream())) as unknown as typeof fetch;
const digest = (b: Uint8Array) => ({ sha256: createHash('sha256').update(b).digest('hex'), bytes: b.length });

describe('fetchModelFiles', () => {
  it('returns files whose bytes match their digest; the progress total is the digests\' sizes from the first event', async () => {
    const events: Progress[] = [];
    const files = [...served].map(([url, bytes]) => ({ url, what: 'graph', digest: digest(bytes) }));
    const out = await fetchModelFiles(files, { cache: false, fetch: fakeFetch, onProgress: (p) => events.push(p) });
    expect(out.map((b) => new TextDecoder().decode(b))).toEqual(['encoder bytes', 'decoder bytes, replaced']);
    const total = files[0]!.digest.bytes + files[1]!.digest.bytes;
    expect(events[0]).toEqual({ stage: 'read', done: 0, total });
    expect(events.at(-1)).toEqual({ stage: 'read', done: total, total });
  });

  it('rejects a download that is not the file of the digest with ModelIntegrityError naming it', async () => {
    const expected = digest(new TextEncoder().encode('decoder bytes'));
    const files = [
      { url: 'https://x.org/m/encoder.onnx', what: 'encoder graph', digest: digest(served.get('https://x.org/m/encoder.onnx')!) },
      { url: 'https://x.org/m/decoder.onnx', what: 'decoder graph', digest: expected },
    ];
    const error = (await fetchModelFiles(files, { cache: false, fetch: fakeFetch }).catch((e: unknown) => e)) as ModelIntegrityError;
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect(error.file).toBe('https://x.org/m/decoder.onnx');
    expect(error.expected).toEqual(expected);
    expect(error.actual).toEqual(digest(served.get('https://x.org/m/decoder.onnx')!));
    expect(error.message).toMatch(/^loadModel: decoder graph 'https:\/\/x\.org\/m\/decoder\.onnx' is 23 bytes with SHA-256 [0-9a-f]{64}; its manifest expects 13 bytes/);
  });
});

describe('graphCacheKey', () => {
  it('keys by the hash (or the manifest version) in the query, which the Cache API matches, not in the fragment, which it ignores', () => {
    const sha256 = 'ab'.repeat(32);
    expect(graphCacheKey('https://x.org/m/decoder.onnx', { sha256, bytes: 1 }, 'v1')).toBe(`https://x.org/m/decoder.onnx?d4rt-sha256=${sha256}`);
    expect(graphCacheKey('https://x.org/m/decoder.onnx?token=1', undefined, 'v1')).toBe('https://x.org/m/decoder.onnx?token=1&d4rt-version=v1');
    expect(graphCacheKey('https://x.org/m/decoder.onnx', undefined, undefined)).toBe('https://x.org/m/decoder.onnx');
  });
});
