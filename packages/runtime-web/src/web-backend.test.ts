/**
 * onnxruntime-web's wasm backend on the real embedded model, in Node (onnxruntime-web runs there
 * too): several scenes at once give the answers they give one at a time; `model.dispose()` under a
 * running query rejects it with `SceneDisposedError` (before the run queue, the session was released
 * under the run: a raw `Error`, or a query that never settled); `loadModel` honours `signal` to the end of the downloads. Runs are compared with runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { D4rtModel, SceneDisposedError, createSessionsWithFallback, parseManifest, randomQueries, type VideoFrames } from '@d4rt/core';
import { embeddedModelPath, readClip } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from './load-model.js';
import { configureWasm, createWebBackend } from './web-backend.js';

const MODEL = embeddedModelPath();

async function loadWasmModel(): Promise<D4rtModel> {
  const manifest = parseManifest(JSON.parse(await readFile(path.join(MODEL, 'manifest.json'), 'utf8')));
  // the encoder and decoder, and the tracker graph when the manifest names one
  const files = [manifest.files.encoder, manifest.files.decoder, ...(manifest.files.tracker ? [manifest.files.tracker] : [])];
  const graphs = await Promise.all(files.map(async (f) => new Uint8Array(await readFile(path.join(MODEL, f)))));
  const { backend, sessions } = await createSessionsWithFallback([createWebBackend({ executionProvider: 'wasm' })], graphs);
  return D4rtModel.create({ manifest, encoder: sessions[0]!, decoder: sessions[1]!, ...(sessions[2] && { tracker: sessions[2] }), backend: backend.name });
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

let model: D4rtModel;
let videos: VideoFrames[];

beforeAll(async () => {
  configureWasm({ threads: 1 });
  model = await loadWasmModel();
  videos = await Promise.all(['heldout-0', 'heldout-1'].map(async (n) => (await readClip(path.join(MODEL, '../fixtures', n))).video));
});
afterAll(async () => {
  await model?.dispose();
});

describe('onnxruntime-web (wasm) backend: concurrency and disposal', () => {
  it('two scenes encoded and queried at once answer as one at a time, bit for bit', async () => {
    const q = randomQueries({ count: 300, frames: model.manifest.clip.frames, seed: 5 });
    const alone = [];
    for (const v of videos) {
      const s = await model.encode(v);
      alone.push([await s.depth({ width: 24, height: 16, chunkSize: 200 }), await s.query(q, { chunkSize: 50 })] as const);
      s.dispose();
    }
    const scenes = await Promise.all(videos.map((v) => model.encode(v)));
    const together = await Promise.all(scenes.map(async (s) => Promise.all([s.depth({ width: 24, height: 16, chunkSize: 200 }), s.query(q, { chunkSize: 50 })])));
    for (const [i, [d, r]] of together.entries()) {
      expect(sameBits(d.data, alone[i]![0].data)).toBe(true);
      expect(sameBits(r.xyz, alone[i]![1].xyz)).toBe(true);
      expect(sameBits(r.visibility, alone[i]![1].visibility)).toBe(true);
    }
    for (const s of scenes) s.dispose();
  });

  it('model.dispose() during a query rejects it with SceneDisposedError and releases the sessions after the run', { timeout: 30_000 }, async () => {
    const m = await loadWasmModel();
    const scene = await m.encode(videos[0]!);
    const running = scene.depth({ width: 24, height: 16, chunkSize: 100 });
    const disposed = m.dispose();
    await expect(running).rejects.toThrow(SceneDisposedError);
    await expect(running).rejects.toThrow(/Scene\.depth: the model was disposed during the call/);
    await disposed;
    await expect(scene.query({ u: [0], v: [0], tSrc: [0], tTgt: [0], tCam: [0] })).rejects.toThrow(/the model was disposed$/);
    // the other model of the same WebAssembly instance still answers
    const s = await model.encode(videos[0]!);
    expect((await s.depth({ width: 8, height: 8 })).data.every((z) => z > 0)).toBe(true);
    s.dispose();
  });
});

describe('loadModel (web) and AbortSignal', () => {
  /** A fetch that serves the embedded model's files from disk. */
  const diskFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    init?.signal?.throwIfAborted();
    const file = path.join(MODEL, new URL(String(input)).pathname.split('/').pop()!);
    const body = await readFile(file);
    return new Response(body, { headers: { 'content-length': String(body.length) } });
  }) as typeof fetch;

  it('rejects with signal.reason when aborted as the last bytes arrive', async () => {
    const ok = await loadModel('http://models.test/d4rt-tiny/', { device: 'wasm', cache: false, fetch: diskFetch });
    expect(ok.backend).toBe('onnxruntime-web:wasm');
    await ok.dispose();
    const ac = new AbortController();
    const reason = new Error('user left the page');
    const p = loadModel('http://models.test/d4rt-tiny/', {
      device: 'wasm',
      cache: false,
      fetch: diskFetch,
      signal: ac.signal,
      // the last bytes have arrived: no session is made
      onProgress: (e) => void (e.done === e.total && e.total > 0 && ac.abort(reason)),
    });
    await expect(p).rejects.toBe(reason);
  });
});
