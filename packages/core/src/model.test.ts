/**
 * D4rtModel and Scene with a K/V graph, on fake sessions: the K/V graph runs once per scene (at
 * encode) and every decoder chunk is fed its outputs; a model without one feeds the memory as before.
 */
import { describe, expect, it } from 'vitest';
import { plainManifestJson } from './test-utils.js';
import type { BackendSession, Tensor } from './backend.js';
import { UnsupportedModelError } from './errors.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { D4rtModel } from './model.js';
import type { VideoFrames } from './video.js';

const raw = plainManifestJson;

/** d4rt-tiny's manifest with a K/V graph of two blocks (`k0`, `v0`, `k1`, `v1`). */
function kvManifest(options: { keepMemory?: boolean } = {}): ModelManifest {
  const j = raw();
  const N = j.memory.tokens;
  const kv: Record<string, unknown> = {};
  for (const b of [0, 1]) {
    kv[`k${b}`] = { dtype: 'float32', shape: [1, 4, 32, N] };
    kv[`v${b}`] = { dtype: 'float32', shape: [1, 4, N, 32] };
  }
  j.files.kv = 'kv.onnx';
  j.hashes.kv = { sha256: 'cd'.repeat(32), bytes: 4096 };
  j.kv = { inputs: { memory: structuredClone(j.encoder.outputs.memory) }, outputs: kv };
  if (!options.keepMemory) delete j.decoder.inputs.memory;
  Object.assign(j.decoder.inputs, structuredClone(kv));
  return parseManifest(j);
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

interface FakeSession extends BackendSession {
  feeds: Record<string, Tensor>[];
  disposed: boolean;
}

/** A session that records its feeds and answers with `answer(feeds)`. */
function fake(inputNames: string[], outputNames: string[], answer: (feeds: Readonly<Record<string, Tensor>>) => Record<string, Tensor>): FakeSession {
  const s: FakeSession = {
    inputNames,
    outputNames,
    feeds: [],
    disposed: false,
    async run(feeds) {
      s.feeds.push({ ...feeds });
      return answer(feeds);
    },
    async dispose() {
      s.disposed = true;
    },
  };
  return s;
}

function sessions(manifest: ModelManifest) {
  const { tokens: N, channels: C } = manifest.memory;
  const encoder = fake(['video', 'aspect'], ['memory'], () => ({ memory: { type: 'float32', data: new Float32Array(N * C).fill(0.5), dims: [1, N, C] } }));
  const kvOut = manifest.kv ? Object.entries(manifest.kv.outputs) : [];
  const kv = fake(['memory'], kvOut.map(([k]) => k), () =>
    Object.fromEntries(kvOut.map(([k, spec]) => [k, { type: 'float32', data: new Float32Array(size(spec.shape as number[])), dims: spec.shape as number[] }])),
  );
  const bins = manifest.decoder.outputs.uv.bins!;
  const decoder = fake(Object.keys(manifest.decoder.inputs), ['xyz', 'uv', 'visibility', 'confidence'], (feeds) => {
    const q = feeds.coords!.dims[1]!;
    const f = (n: number): Float32Array => new Float32Array(n);
    return {
      xyz: { type: 'float32', data: f(q * 3), dims: [1, q, 3] },
      uv: { type: 'float32', data: f(q * 2 * bins), dims: [1, q, 2, bins] },
      visibility: { type: 'float32', data: f(q), dims: [1, q] },
      confidence: { type: 'float32', data: f(q), dims: [1, q] },
    };
  });
  return { encoder, kv, decoder };
}

const video: VideoFrames = { data: new Uint8Array(16 * 64 * 96 * 3).fill(100), frames: 16, width: 96, height: 64 };
const queries = (n: number) => ({
  u: new Float32Array(n).fill(0.5),
  v: new Float32Array(n).fill(0.25),
  tSrc: new Int32Array(n),
  tTgt: new Int32Array(n).fill(3),
  tCam: new Int32Array(n).fill(7),
});

describe('D4rtModel with a K/V graph', () => {
  it('runs the K/V graph once per scene, on the memory, and feeds its outputs to every decoder chunk instead of the memory', async () => {
    const manifest = kvManifest();
    const s = sessions(manifest);
    const model = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, kv: s.kv, backend: 'fake' });
    const scene = await model.encode(video);
    expect(s.kv.feeds).toHaveLength(1);
    expect(Object.keys(s.kv.feeds[0]!)).toEqual(['memory']);
    expect(s.kv.feeds[0]!.memory).toBe(scene.memory);
    await scene.query(queries(10), { chunkSize: 4 });
    await scene.depth({ frames: [0], width: 4, height: 2 });
    expect(s.kv.feeds).toHaveLength(1);
    expect(s.decoder.feeds).toHaveLength(3 + 1);
    const first = s.decoder.feeds[0]!;
    expect(Object.keys(first).sort()).toEqual(['coords', 'k0', 'k1', 'patches', 'times', 'v0', 'v1']);
    for (const feeds of s.decoder.feeds) for (const k of ['k0', 'v0', 'k1', 'v1']) expect(feeds[k]).toBe(first[k]);
    expect(first.k1!.dims).toEqual([1, 4, 32, manifest.memory.tokens]);
    // a second scene gets its own K/V
    const other = await model.encode(video);
    expect(s.kv.feeds).toHaveLength(2);
    await other.query(queries(2));
    expect(s.decoder.feeds.at(-1)!.k0).not.toBe(first.k0);
    scene.dispose();
    await model.dispose();
    expect([s.encoder.disposed, s.kv.disposed, s.decoder.disposed]).toEqual([true, true, true]);
  });

  it('also feeds the memory when the decoder still takes it', async () => {
    const manifest = kvManifest({ keepMemory: true });
    const s = sessions(manifest);
    const model = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, kv: s.kv, backend: 'fake' });
    const scene = await model.encode(video);
    await scene.query(queries(3));
    expect(Object.keys(s.decoder.feeds[0]!).sort()).toEqual(['coords', 'k0', 'k1', 'memory', 'patches', 'times', 'v0', 'v1']);
    expect(s.decoder.feeds[0]!.memory).toBe(scene.memory);
    await model.dispose();
  });

  it('feeds the memory and runs no K/V graph for a model without one', async () => {
    const manifest = parseManifest(raw());
    const s = sessions(manifest);
    const model = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, backend: 'fake' });
    const scene = await model.encode(video);
    await scene.query(queries(3));
    expect(s.kv.feeds).toHaveLength(0);
    expect(Object.keys(s.decoder.feeds[0]!).sort()).toEqual(['coords', 'memory', 'patches', 'times']);
    await model.dispose();
  });

  it('refuses a missing or unexpected K/V session, and a K/V graph that does not match the manifest', async () => {
    const manifest = kvManifest();
    const s = sessions(manifest);
    await expect(D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, backend: 'fake' })).rejects.toThrow(
      new TypeError("D4rtModel.create: options.kv (undefined) must be the session of d4rt-tiny's K/V graph 'kv.onnx' (manifest.kv)"),
    );
    const plain = parseManifest(raw());
    const p = sessions(plain);
    await expect(D4rtModel.create({ manifest: plain, encoder: p.encoder, decoder: p.decoder, kv: s.kv, backend: 'fake' })).rejects.toThrow(TypeError);
    const short = fake(['memory'], ['k0', 'v0', 'k1'], () => ({}));
    const err = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, kv: short, backend: 'fake' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect((err as Error).message).toMatch(/d4rt-tiny\/kv\.onnx: the K\/V graph has no output 'v1'/);
  });

  it('rejects an encode whose K/V graph leaves out an output, and one whose model is disposed while the K/V graph runs', async () => {
    const manifest = kvManifest();
    const s = sessions(manifest);
    const broken = fake(['memory'], ['k0', 'v0', 'k1', 'v1'], () => ({}));
    const model = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, kv: broken, backend: 'fake' });
    await expect(model.encode(video)).rejects.toThrow(new TypeError("D4rtModel.encode: the K/V graph returned no float32 'k0' output"));
    let release: () => void = () => {};
    const slow = fake(['memory'], ['k0', 'v0', 'k1', 'v1'], () => ({}));
    slow.run = () => new Promise((resolve) => (release = () => resolve({})));
    const m2 = await D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, kv: slow, backend: 'fake' });
    const pending = m2.encode(video);
    await new Promise((r) => setTimeout(r, 10));
    void m2.dispose();
    release();
    await expect(pending).rejects.toThrow(/D4rtModel\.encode: the model was disposed during the call/);
  });
});

/** d4rt-tiny's manifest with the encoder's `layers` and a tracker graph. */
function trackerManifest(): ModelManifest {
  const j = raw();
  const layers = { dtype: 'float32', shape: [1, 3, 769, 128] };
  j.files.tracker = 'tracker.onnx';
  j.hashes.tracker = { sha256: 'ef'.repeat(32), bytes: 8192 };
  j.encoder.outputs.layers = structuredClone(layers);
  const head = (shape: unknown[], decode: string, extra = {}) => ({ dtype: 'float32', shape, decode, ...extra });
  j.tracker = {
    inputs: { memory: structuredClone(j.encoder.outputs.memory), layers, coords: { dtype: 'float32', shape: [1, 'N', 2] }, frames: { dtype: 'int64', shape: [1, 'N'] } },
    outputs: {
      xyz: head([1, 16, 'N', 3], 'log-depth'),
      uv: head([1, 16, 'N', 2, 64], 'truncated-soft-argmax', { bins: 64, range: [0, 1], window: 3 }),
      visibility: head([1, 16, 'N'], 'sigmoid'),
      confidence: head([1, 16, 'N'], 'sigmoid'),
    },
  };
  return parseManifest(j);
}

describe('D4rtModel with a tracker graph', () => {
  it('refuses a missing or unexpected tracker session, and an encode without the layers the manifest lists', async () => {
    const manifest = trackerManifest();
    const s = sessions(manifest);
    const tracker = fake(['memory', 'layers', 'coords', 'frames'], ['xyz', 'uv', 'visibility', 'confidence'], () => ({}));
    await expect(D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, backend: 'fake' })).rejects.toThrow(
      new TypeError("D4rtModel.create: options.tracker (undefined) must be the session of d4rt-tiny's tracker graph 'tracker.onnx' (manifest.tracker)"),
    );
    const plain = parseManifest(raw());
    await expect(D4rtModel.create({ manifest: plain, encoder: s.encoder, decoder: s.decoder, tracker, backend: 'fake' })).rejects.toThrow(
      new TypeError("D4rtModel.create: options.tracker (a session) must be left out: d4rt-tiny's manifest has no tracker graph"),
    );
    const noLayers = fake(['memory', 'coords', 'frames'], ['xyz', 'uv', 'visibility', 'confidence'], () => ({}));
    await expect(D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, tracker: noLayers, backend: 'fake' })).rejects.toThrow(UnsupportedModelError);
    // the fake encoder names 'memory' only: checkSessionIo refuses it against manifest.encoder.outputs.layers
    await expect(D4rtModel.create({ manifest, encoder: s.encoder, decoder: s.decoder, tracker, backend: 'fake' })).rejects.toThrow(/the encoder has no output 'layers'/);
    const enc = fake(['video', 'aspect'], ['memory', 'layers'], (feeds) => s.encoder.run(feeds) as never);
    const model = await D4rtModel.create({ manifest, encoder: enc, decoder: s.decoder, tracker, backend: 'fake' });
    await expect(model.encode(video)).rejects.toThrow(new TypeError("D4rtModel.encode: the encoder returned no float32 'layers' output (manifest.encoder.outputs.layers)"));
    await model.dispose();
    expect(tracker.disposed).toBe(true);
  });
});
