/**
 * The Web Worker entry of {@link loadModelInWorker}: it loads the model with {@link loadModel} in
 * the worker and answers the page's requests. Start it as a module worker; the package's default
 * is `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })`, which bundlers
 * (Vite, webpack 5, esbuild with the right plugin) follow. Importing this module anywhere else
 * than in a worker does nothing.
 *
 * @module
 */
import type { D4rtModel, ProgressCallback, Scene, VideoFrames } from '@d4rt/core';
import { loadModel } from './load-model.js';
import { serializeError, transferables, type EncodedSceneInfo, type LoadedModelInfo, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

interface WorkerScope {
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}

const scope = globalThis as unknown as WorkerScope & { document?: unknown; importScripts?: unknown };

let model: D4rtModel | null = null;
const scenes = new Map<number, Scene>();
const controllers = new Map<number, AbortController>();
let nextScene = 1;

function post(message: WorkerResponse, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function progressOf(id: number, wanted: boolean): { onProgress?: ProgressCallback } {
  return wanted ? { onProgress: (progress) => post({ id, type: 'progress', progress }) } : {};
}

function needModel(): D4rtModel {
  if (model === null) throw new Error('d4rt worker: no model is loaded');
  return model;
}

async function handle(req: Exclude<WorkerRequest, { op: 'abort' }>, signal: AbortSignal): Promise<{ result: unknown; transfer: Transferable[] }> {
  switch (req.op) {
    case 'load': {
      if (model !== null) throw new Error('d4rt worker: a model is already loaded in this worker');
      model = await loadModel(req.url, { ...req.options, signal, ...progressOf(req.id, true) });
      const info: LoadedModelInfo = { manifest: model.manifest, backend: model.backend, loadedFrom: model.loadedFrom };
      return { result: info, transfer: [] };
    }
    case 'encode': {
      const scene = await needModel().encode(req.video as VideoFrames, { signal, ...progressOf(req.id, req.options.progress) });
      const handleId = nextScene++;
      scenes.set(handleId, scene);
      const info: EncodedSceneInfo = { scene: handleId, frames: scene.frames, width: scene.width, height: scene.height, sourceIndices: scene.sourceIndices.slice() };
      return { result: info, transfer: [info.sourceIndices.buffer as ArrayBuffer] };
    }
    case 'call': {
      const scene = scenes.get(req.scene);
      if (scene === undefined) throw new Error(`d4rt worker: unknown scene ${req.scene}`);
      const { progress, ...rest } = req.options;
      const options = { ...rest, signal, ...progressOf(req.id, progress) };
      // Every query method takes its positional arguments (the points of `track`, the queries of
      // `query`; none for the others) and then the options.
      const method = scene[req.method] as (...args: unknown[]) => Promise<unknown>;
      const result = await method.call(scene, ...req.args, options);
      // Results are new arrays owned by nobody else here: move them, do not copy.
      return { result, transfer: transferables(result) };
    }
    case 'dispose-scene':
      scenes.get(req.scene)?.dispose();
      scenes.delete(req.scene);
      return { result: null, transfer: [] };
    case 'dispose-model':
      for (const s of scenes.values()) s.dispose();
      scenes.clear();
      await model?.dispose();
      model = null;
      return { result: null, transfer: [] };
  }
}

// Only wire up inside a dedicated worker (no `document`), so importing this module on a page is inert.
if (scope.document === undefined && typeof scope.addEventListener === 'function' && typeof scope.postMessage === 'function') {
  scope.addEventListener('message', (event) => {
    const req = event.data;
    if (req.op === 'abort') {
      controllers.get(req.target)?.abort();
      return;
    }
    const controller = new AbortController();
    controllers.set(req.id, controller);
    handle(req, controller.signal).then(
      ({ result, transfer }) => post({ id: req.id, type: 'result', result }, transfer),
      (error: unknown) => post({ id: req.id, type: 'error', error: serializeError(error, controller.signal.aborted) }),
    ).finally(() => controllers.delete(req.id));
  });
}
