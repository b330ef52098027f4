/**
 * The browser's size check on synthetic manifests (no 4 GB file): the estimate, the error's message
 * (size, limit, what works), the devices left, and `loadModel` refusing before any graph is fetched,
 * from the manifest's hashes and, without them, from `Content-Length`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ModelTooLargeError, parseManifest, type ModelManifest } from '@d4rt/core';
import { describe, expect, it } from 'vitest';
import { loadModel } from './load-model.js';
import { GRAPH_FILE_LIMIT, WASM_MEMORY_LIMIT, checkModelSize, estimateModelSize } from './model-size.js';

const require = createRequire(import.meta.url);
// d4rt-tiny's manifest without its optional tracker graph: the layouts below replace its files
const tiny = JSON.parse(readFileSync(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'), 'utf8'));
delete tiny.files.tracker;
delete tiny.hashes.tracker;
delete tiny.tracker;
delete tiny.encoder.outputs.layers;

// The full-size 32-frame OpenD4RT converted as fp32: 1,015,964,160 encoder parameters (4.06 GB, in
// encoder.onnx.data past 2 GB) and 159,581,453 decoder parameters (0.64 GB, inside decoder.onnx).
const ENCODER_DATA = 4_063_856_640;
const DECODER = 638_325_812 + 40_000;
const ENCODER = 900_000;
const h = (bytes: number) => ({ sha256: '0'.repeat(64), bytes });

function fullSize(options: { dtype?: string; hashes?: boolean } = {}): ModelManifest {
  return parseManifest({
    ...tiny,
    name: 'opend4rt-32-fp32',
    files: { encoder: 'encoder.onnx', decoder: 'decoder.onnx', externalData: { encoder: ['encoder.onnx.data'] } },
    hashes: options.hashes === false ? undefined : { encoder: h(ENCODER), decoder: h(DECODER), externalData: { 'encoder.onnx.data': h(ENCODER_DATA) } },
    info: { ...(options.dtype !== undefined && { dtype: options.dtype }) },
  });
}

describe('estimateModelSize', () => {
  it('sums the files and bounds the wasm memory: the weights, plus two copies of a graph that holds its weights', () => {
    const e = estimateModelSize(fullSize({ dtype: 'fp32' }))!;
    expect(e.files.map((f) => [f.name, f.external, f.bytes])).toEqual([
      ['encoder.onnx', false, ENCODER],
      ['encoder.onnx.data', true, ENCODER_DATA],
      ['decoder.onnx', false, DECODER],
    ]);
    expect(e.totalBytes).toBe(ENCODER + ENCODER_DATA + DECODER);
    expect(e).toMatchObject({ dtype: 'fp32', dtypeKnown: true });
    // encoder: its external data read once, its small graph copied twice more; decoder: inline, three times
    expect(e.wasmBytes).toBe(ENCODER_DATA + ENCODER + 2 * ENCODER + 3 * DECODER);
  });

  it('counts fp16 weights twice (onnxruntime folds their Cast to float32); null when a size is unknown', () => {
    const fp16 = estimateModelSize(fullSize({ dtype: 'fp16' }))!;
    expect(fp16.wasmBytes).toBe(2 * (ENCODER + ENCODER_DATA + DECODER) + 2 * ENCODER + 2 * DECODER);
    expect(estimateModelSize(fullSize({ hashes: false }))).toBeNull();
    expect(estimateModelSize(fullSize({ hashes: false }), { 'encoder.onnx': 1, 'decoder.onnx': 2, 'encoder.onnx.data': 3 })).toMatchObject({ totalBytes: 6, dtype: 'fp32', dtypeKnown: false });
    expect(estimateModelSize(fullSize({ hashes: false }), { 'encoder.onnx': 1, 'decoder.onnx': 2 })).toBeNull();
  });
});

describe('checkModelSize', () => {
  const subject = "loadModel: model 'opend4rt-32-fp32' ('https://x.org/m/')";

  it('refuses the full-size fp32 model on wasm with the size, the limit and what works', () => {
    const e = estimateModelSize(fullSize({ dtype: 'fp32' }))!;
    let error: unknown;
    try {
      checkModelSize(e, ['wasm'], subject);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelTooLargeError);
    const tooLarge = error as ModelTooLargeError;
    expect(tooLarge).toMatchObject({ name: 'ModelTooLargeError', code: 'ERR_MODEL_TOO_LARGE', bytes: e.wasmBytes, limit: WASM_MEMORY_LIMIT });
    expect(tooLarge.message).toBe(
      `${subject}: its files (4.70 GB, fp32) need at least 5.98 GB of WebAssembly memory on the wasm backend, more than the 4.29 GB (4 GiB) a wasm32 instance can hold; nothing was downloaded. ` +
        "What works: device: 'webgpu' (weights in GPU memory; not judged by this check); or a conversion that needs less: " +
        '--external-data always (weights read once: ≥ 4.70 GB, does not fit either), ' +
        '--dtype fp16 (files ≈ 2.35 GB, ≥ 5.34 GB of wasm memory, as onnxruntime widens fp16 weights to float32: does not fit either), ' +
        '--dtype int8 (files ≈ 1.18 GB, ≥ 3.53 GB of wasm memory: fits)',
    );
  });

  it('keeps WebGPU when it is tried too, with the wasm refusal for the failure list', () => {
    const e = estimateModelSize(fullSize({ dtype: 'fp32' }))!;
    const r = checkModelSize(e, ['webgpu', 'wasm'], subject);
    expect(r.providers).toEqual(['webgpu']);
    expect(r.refused.wasm).toBeInstanceOf(ModelTooLargeError);
    expect(r.refused.wasm!.message).not.toMatch(/device: 'webgpu'/);
  });

  it('passes a model that fits: the int8 conversion, the embedded model; an unknown dtype is said to be assumed', () => {
    const int8 = estimateModelSize(fullSize({ dtype: 'int8' }), { 'encoder.onnx': 1_016_000_000, 'decoder.onnx': 160_000_000, 'encoder.onnx.data': 0 })!;
    expect(int8.wasmBytes).toBeLessThan(WASM_MEMORY_LIMIT);
    expect(checkModelSize(int8, ['wasm'], subject)).toEqual({ providers: ['wasm'], refused: {} });
    expect(checkModelSize(estimateModelSize(parseManifest(tiny))!, ['wasm'], subject).providers).toEqual(['wasm']);
    const unknown = estimateModelSize(fullSize())!;
    expect(() => checkModelSize(unknown, ['wasm'], subject)).toThrow(/its files \(4\.70 GB, fp32 assumed\)/);
  });

  it('refuses a graph file past protobuf\'s 2 GiB on every device', () => {
    const e = estimateModelSize(fullSize({ dtype: 'fp16' }), { 'encoder.onnx': GRAPH_FILE_LIMIT + 1, 'decoder.onnx': 1, 'encoder.onnx.data': 1 })!;
    const error = (() => {
      try {
        return checkModelSize(e, ['webgpu'], subject);
      } catch (caught) {
        return caught;
      }
    })() as ModelTooLargeError;
    expect(error).toBeInstanceOf(ModelTooLargeError);
    expect({ bytes: error.bytes, limit: error.limit }).toEqual({ bytes: GRAPH_FILE_LIMIT + 1, limit: GRAPH_FILE_LIMIT });
    expect(error.message).toBe(
      `${subject}: graph file 'encoder.onnx' is 2.15 GB, more than the 2.15 GB (2 GiB) protobuf can parse; nothing was downloaded. Convert it with its weights in external data files (d4rt convert ... --external-data always)`,
    );
  });
});

describe('loadModel refuses a model too large for wasm before downloading it', () => {
  function server(manifest: unknown, contentLength?: number): { fetch: typeof fetch; requests: string[]; cancelled: string[] } {
    const requests: string[] = [];
    const cancelled: string[] = [];
    const fetch = (async (input: string) => {
      const url = String(input);
      requests.push(new URL(url).pathname);
      if (url.endsWith('/manifest.json')) return new Response(JSON.stringify(manifest));
      // A body that never ends unless cancelled: reading it would hang the test.
      const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}), cancel: () => void cancelled.push(new URL(url).pathname) });
      return new Response(body, { headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) } });
    }) as unknown as typeof globalThis.fetch;
    return { fetch, requests, cancelled };
  }

  it('from the manifest\'s hashes: only manifest.json is fetched', async () => {
    const s = server({ ...fullSize({ dtype: 'fp32' }) });
    const error = await loadModel('https://x.org/m/', { device: 'wasm', cache: false, fetch: s.fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelTooLargeError);
    expect((error as Error).message).toMatch(/^loadModel: model 'opend4rt-32-fp32' \('https:\/\/x\.org\/m\/'\): its files \(4\.70 GB, fp32\) need at least 5\.98 GB of WebAssembly memory/);
    expect(s.requests).toEqual(['/m/manifest.json']);
  });

  it('without hashes, from Content-Length: the downloads are cancelled before a byte of a body is read', async () => {
    const manifest = { ...fullSize({ dtype: 'fp32' }) } as Record<string, unknown>;
    delete manifest.hashes;
    const s = server(manifest, 1.5e9);
    const error = await loadModel('https://x.org/m/', { device: 'wasm', cache: false, fetch: s.fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelTooLargeError);
    // encoder: 3 GB of weights and its 1.5 GB graph twice more; decoder: 1.5 GB inline, three times
    expect((error as ModelTooLargeError).bytes).toBe(3e9 + 2 * 1.5e9 + 3 * 1.5e9);
    expect(s.requests.sort()).toEqual(['/m/decoder.onnx', '/m/encoder.onnx', '/m/encoder.onnx.data', '/m/manifest.json']);
    expect(s.cancelled.sort()).toEqual(['/m/decoder.onnx', '/m/encoder.onnx', '/m/encoder.onnx.data']);
  });
});
