/**
 * The page's end of worker mode against a fake `Worker` (an EventTarget that answers like
 * `worker.ts`): crash handling, errors across the boundary, and who terminates the worker.
 */
import { InvalidVideoError, ModelIntegrityError, ModelLoadError, ModelTooLargeError, SceneDisposedError, createQueryResult, type ModelManifest } from '@d4rt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelInWorker } from './worker-model.js';
import { deserializeError, serializeError, transferables, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

/** A Worker whose "script" is `answer`; `crash()` fires the error event of an uncaught error in it. */
class FakeWorker extends EventTarget {
  terminated = 0;
  readonly requests: WorkerRequest[] = [];
  answer: (req: WorkerRequest) => WorkerResponse | null = (req) =>
    req.op === 'load' ? { id: req.id, type: 'result', result: { manifest: { clip: { frames: 16 } } as unknown as ModelManifest, backend: 'fake' } } : { id: req.id, type: 'result', result: null };
  postMessage(req: WorkerRequest): void {
    this.requests.push(req);
    const res = this.answer(req);
    if (res) queueMicrotask(() => this.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(res) })));
  }
  terminate(): void {
    this.terminated++;
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
  }
}

const video = { data: new Uint8Array(2 * 2 * 3), frames: 1, width: 2, height: 2 };
const saved = (globalThis as { Worker?: unknown }).Worker;
beforeAll(() => void ((globalThis as { Worker?: unknown }).Worker = FakeWorker));
afterAll(() => void ((globalThis as { Worker?: unknown }).Worker = saved));

describe('loadModelInWorker', () => {
  it('after a worker crash: disposed is true and every call rejects with the crash', async () => {
    const worker = new FakeWorker();
    const model = await loadModelInWorker('https://x.org/m/', { worker: worker as unknown as Worker });
    worker.answer = (req) => (req.op === 'encode' ? { id: req.id, type: 'result', result: { scene: 1, frames: 16, width: 2, height: 2, sourceIndices: new Int32Array(16) } } : null);
    const scene = await model.encode(video);
    const pending = scene.depth();
    worker.crash('Uncaught RangeError: out of memory');
    await expect(pending).rejects.toThrow(new ModelLoadError('loadModelInWorker: the worker failed (Uncaught RangeError: out of memory); the model is unusable, load it again'));
    expect(model.disposed).toBe(true);
    expect(scene.disposed).toBe(true);
    await expect(model.encode(video)).rejects.toThrow(/the worker failed \(Uncaught RangeError: out of memory\)/);
    await expect(scene.cameras()).rejects.toThrow(/the worker failed/);
    await model.dispose(); // safe after a crash
    await expect(model.encode(video)).rejects.toBeInstanceOf(SceneDisposedError);
  });

  it('errors keep the worker\'s stack and their cause', async () => {
    const worker = new FakeWorker();
    const model = await loadModelInWorker('https://x.org/m/', { worker: worker as unknown as Worker });
    const root = new Error('ffmpeg said no');
    const thrown = new InvalidVideoError('undecodable', 'readVideo: "a.mp4" could not be decoded', { cause: root });
    worker.answer = (req) => ({ id: req.id, type: 'error', error: serializeError(thrown) });
    const error = (await model.encode(video).catch((e: unknown) => e)) as InvalidVideoError;
    expect(error).toBeInstanceOf(InvalidVideoError);
    expect(error.reason).toBe('undecodable');
    expect(error.stack).toBe(thrown.stack);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe('ffmpeg said no');
    expect((error.cause as Error).stack).toBe(root.stack);
  });

  it('a ModelIntegrityError keeps its file and both digests; the load says where the manifest came from', async () => {
    const worker = new FakeWorker();
    const loadedFrom = { manifest: 'https://x.org/m/manifest.json', manifestFrom: 'cache', verified: true };
    worker.answer = (req) => ({ id: req.id, type: 'result', result: { manifest: { clip: { frames: 16 } }, backend: 'fake', loadedFrom } });
    const model = await loadModelInWorker('https://x.org/m/', { worker: worker as unknown as Worker });
    expect(model.loadedFrom).toEqual(loadedFrom);
    const thrown = new ModelIntegrityError('loadModel: decoder graph ... differs', {
      file: 'https://x.org/m/decoder.onnx',
      expected: { sha256: 'a'.repeat(64), bytes: 10 },
      actual: { sha256: 'b'.repeat(64), bytes: 9 },
    });
    worker.answer = (req) => ({ id: req.id, type: 'error', error: serializeError(thrown) });
    const error = (await model.encode(video).catch((e: unknown) => e)) as ModelIntegrityError;
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect(error.code).toBe('ERR_MODEL_INTEGRITY');
    expect({ file: error.file, expected: error.expected, actual: error.actual, message: error.message }).toEqual({
      file: thrown.file,
      expected: thrown.expected,
      actual: thrown.actual,
      message: thrown.message,
    });
  });

  it('a ModelTooLargeError keeps its size and limit', () => {
    const thrown = new ModelTooLargeError('loadModel: model ... needs at least 5.98 GB of WebAssembly memory', { bytes: 5.98e9, limit: 2 ** 32 });
    const error = deserializeError(structuredClone(serializeError(thrown))) as ModelTooLargeError;
    expect(error).toBeInstanceOf(ModelTooLargeError);
    expect({ name: error.name, code: error.code, message: error.message, bytes: error.bytes, limit: error.limit }).toEqual({
      name: 'ModelTooLargeError',
      code: 'ERR_MODEL_TOO_LARGE',
      message: thrown.message,
      bytes: 5.98e9,
      limit: 2 ** 32,
    });
  });

  it('a query result\'s normal and displacement are transferred with the other arrays', () => {
    const r = createQueryResult(4, { normal: true, displacement: true });
    const moved = transferables(r);
    expect(moved).toHaveLength(6);
    for (const key of ['xyz', 'uv', 'visibility', 'confidence', 'normal', 'displacement'] as const) expect(moved).toContain(r[key]!.buffer);
  });

  it('does not terminate a Worker you pass in (dispose frees the model and stops listening)', async () => {
    const worker = new FakeWorker();
    const model = await loadModelInWorker('https://x.org/m/', { worker: worker as unknown as Worker });
    await model.dispose();
    expect(worker.terminated).toBe(0);
    expect(worker.requests.map((r) => r.op)).toEqual(['load', 'dispose-model']);
    // the same worker serves a second model
    const again = await loadModelInWorker('https://x.org/m/', { worker: worker as unknown as Worker });
    expect(again.backend).toBe('fake');
    await again.dispose();
    expect(worker.terminated).toBe(0);
  });

  it('terminates a worker it started from a URL', async () => {
    const workers: FakeWorker[] = [];
    (globalThis as { Worker?: unknown }).Worker = class extends FakeWorker {
      constructor() {
        super();
        workers.push(this);
      }
    };
    try {
      const own = await loadModelInWorker('https://x.org/m/', { worker: 'https://x.org/worker.js' });
      await own.dispose();
      expect(workers).toHaveLength(1);
      expect(workers[0]!.terminated).toBe(1);
    } finally {
      (globalThis as { Worker?: unknown }).Worker = FakeWorker;
    }
  });
});
