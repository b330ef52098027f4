import { BackendUnavailableError, InvalidQueryError, InvalidVideoError, ModelLoadError } from '@d4rt/core';
import { describe, expect, it } from 'vitest';
import { resolveModelUrl } from './load-model.js';
import { sniffContainer } from './mp4-demux.js';
import { configureWasm, createWebBackend, resolveWebDevice } from './web-backend.js';
import { deserializeError, serializeError, transferables } from './worker-protocol.js';

const bytes = (s: string, pad = 0): Uint8Array => {
  const out = new Uint8Array(Math.max(s.length, pad));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

describe('sniffContainer', () => {
  it('recognises containers by their magic bytes', () => {
    expect(sniffContainer(bytes('\0\0\0\x20ftypisom', 16))).toBe('mp4');
    expect(sniffContainer(Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0, 0))).toBe('webm');
    expect(sniffContainer(bytes('RIFF\0\0\0\0AVI LIST'))).toBe('avi');
    expect(sniffContainer(bytes('OggS\0\0'))).toBe('ogg');
    expect(sniffContainer(bytes('these are not frames'))).toBeNull();
    expect(sniffContainer(new Uint8Array(0))).toBeNull();
  });
});

describe('resolveModelUrl', () => {
  it('names the folder of a manifest URL and adds the trailing slash', () => {
    expect(resolveModelUrl('https://x.org/m/d4rt-tiny')).toBe('https://x.org/m/d4rt-tiny/');
    expect(resolveModelUrl('https://x.org/m/d4rt-tiny/manifest.json?v=2#a')).toBe('https://x.org/m/d4rt-tiny/');
    expect(resolveModelUrl(new URL('https://x.org/m/'))).toBe('https://x.org/m/');
  });
  it('rejects values that are not URLs, naming them', () => {
    expect(() => resolveModelUrl('' as string)).toThrow(/^loadModel: url \(""\) must be the URL of a d4rt-model\/1 folder/);
    expect(() => resolveModelUrl(3 as unknown as string)).toThrow(TypeError);
    // Node has no page location: a relative URL cannot be resolved.
    expect(() => resolveModelUrl('/models/d4rt-tiny/')).toThrow(/is not a valid URL \(relative URLs need a page location\)/);
  });
});

describe('resolveWebDevice / configureWasm / createWebBackend', () => {
  it('keeps an explicit order and rejects unknown or repeated providers', async () => {
    expect(await resolveWebDevice(['webgpu', 'wasm'])).toEqual(['webgpu', 'wasm']);
    expect(await resolveWebDevice('wasm')).toEqual(['wasm']);
    // No navigator.gpu in Node: auto is wasm only.
    expect(await resolveWebDevice('auto')).toEqual(['wasm']);
    await expect(resolveWebDevice('cuda' as never)).rejects.toThrow(/^resolveWebDevice: device \("cuda"\) must be 'auto', 'wasm', 'webgpu'/);
    await expect(resolveWebDevice([])).rejects.toThrow(RangeError);
    await expect(resolveWebDevice(['wasm', 'wasm'])).rejects.toThrow(RangeError);
  });
  it('refuses threads without cross-origin isolation and out-of-range values', () => {
    expect(() => configureWasm({ threads: 2 })).toThrow(/needs a cross-origin isolated page/);
    expect(() => configureWasm({ threads: 0 })).toThrow(/^configureWasm: options\.threads \(0\) must be an integer in \[1, 64\]/);
    expect(() => configureWasm({ wasmPaths: 3 as unknown as string })).toThrow(TypeError);
    expect(configureWasm({ threads: 1, wasmPaths: '/ort/' })).toEqual({ threads: 1, wasmPaths: '/ort/' });
    expect(() => createWebBackend({ executionProvider: 'cpu' as never })).toThrow(/^createWebBackend: options\.executionProvider \("cpu"\) must be 'wasm' or 'webgpu'/);
    expect(createWebBackend().name).toBe('onnxruntime-web:wasm');
  });
});

describe('worker protocol', () => {
  it('errors keep their class, code, reason and failures across the boundary', () => {
    const cases = [
      new ModelLoadError('m'),
      new InvalidQueryError('q'),
      new InvalidVideoError('undecodable', 'v'),
      new BackendUnavailableError('b', [{ backend: 'onnxruntime-web:webgpu', error: new Error('no adapter') }]),
      new RangeError('r'),
    ];
    for (const e of cases) {
      const back = deserializeError(structuredClone(serializeError(e)));
      expect(back.constructor).toBe(e.constructor);
      expect(back.name).toBe(e.name);
      expect(back.message).toBe(e.message);
      expect((back as { code?: string }).code).toBe((e as { code?: string }).code);
    }
    expect((deserializeError(serializeError(new InvalidVideoError('not-a-video', 'x'))) as InvalidVideoError).reason).toBe('not-a-video');
    const b = deserializeError(serializeError(cases[3])) as BackendUnavailableError;
    expect(b.failures.map((f) => [f.backend, (f.error as Error).message])).toEqual([['onnxruntime-web:webgpu', 'no adapter']]);
  });
  it('collects each buffer under a result once', () => {
    const shared = new Float32Array(8);
    const result = { a: shared.subarray(0, 4), b: shared.subarray(4), c: [new Uint8Array(2)], n: 3 };
    const list = transferables(result);
    expect(list).toHaveLength(2);
    expect(list).toContain(shared.buffer);
  });
});
