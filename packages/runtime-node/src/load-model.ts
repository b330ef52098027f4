/**
 * Loading a `d4rt-model/1` folder (or the embedded reference model) into a ready `D4rtModel`.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { D4rtModel, ModelLoadError, createSessionsWithFallback, describeValue, graphLabel, modelGraphs, parseManifest, type Backend, type BackendFailure, type ProgressCallback } from '@d4rt/core';
import { createOnnxBackend, resolveDevice, type NodeDevice, type OnnxLogLevel } from './onnx-backend.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * `'auto'` (default: CUDA then the CPU where the CUDA provider is installed, else the CPU; never
   * WebGPU), `'cpu'`, `'cuda'`, `'webgpu'`, or an order to try, e.g. `['webgpu', 'cpu']`; see
   * {@link resolveDevice}. The first device that loads every graph is used (`model.backend` names
   * it); when a device of a list could not, the load goes on with the next and a process warning
   * (code {@link BACKEND_FALLBACK_WARNING}) names the device skipped and why.
   */
  device?: NodeDevice;
  /** Threads per operator (default: onnxruntime's choice). */
  threads?: number;
  /** Least severity of onnxruntime's own stderr log; default `'fatal'` (see `OnnxBackendOptions.logLevel`). */
  logLevel?: OnnxLogLevel;
  /** Progress of the stage `'read'` (files read: the manifest and each graph, 3 plus one per K/V or tracker graph). */
  onProgress?: ProgressCallback;
  /**
   * Aborts the load: checked before and while each file is read, and before and after each graph's
   * session is made (a session being made finishes first); sessions made are released, and the
   * promise rejects with `signal.reason`.
   */
  signal?: AbortSignal;
}

/**
 * `code` of the process warning (`process.emitWarning`) {@link loadModel} emits when a device the
 * caller listed could not load the model and a later one in the list did. Node prints it to stderr
 * (`(node:<pid>) [D4RT_BACKEND_FALLBACK] Warning: ...`) unless warnings are silenced; a program can
 * watch for it with `process.on('warning', (w) => ...)`.
 */
export const BACKEND_FALLBACK_WARNING = 'D4RT_BACKEND_FALLBACK';

/** Folder of the embedded reference model `d4rt-tiny` (inside `@d4rt/models`). */
export function embeddedModelPath(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'));
}

async function readModelFile(folder: string, name: string, what: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const path = join(folder, name);
  signal?.throwIfAborted();
  try {
    return await readFile(path, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? String(error)})`;
    throw new ModelLoadError(`loadModel: ${what} '${path}' ${why}; a d4rt-model/1 folder holds manifest.json, encoder.onnx and decoder.onnx (and the graph files its manifest names)`, { cause: error });
  }
}

/**
 * Loads a model folder (`manifest.json`, `encoder.onnx`, `decoder.onnx`, the K/V graph and the
 * tracker graph when the manifest names them, and the external data files it lists), or the embedded reference model
 * `d4rt-tiny` when `folder` is omitted, and checks the graphs against the manifest.
 *
 * @param folder - path of a `d4rt-model/1` folder; default the embedded model
 * Device fallback works as in runtime-web: each device is tried in order and `model.backend` names
 * the one that loaded (`'onnxruntime-node:cpu'`, `'onnxruntime-node:cuda'` or
 * `'onnxruntime-node:webgpu'`). A fallback is never silent where the caller chose the devices: for
 * each device of an explicit list skipped before the one used, a process warning with code
 * {@link BACKEND_FALLBACK_WARNING} names it and its error. `'auto'` falls back quietly (as it does in
 * runtime-web): it only ever tries CUDA, where its provider library is installed, before the CPU.
 *
 * @param folder - path of a `d4rt-model/1` folder; default the embedded model
 * @param options - `device`, `threads`, `logLevel`, `onProgress`, `signal`
 * @returns a ready model (`loadedFrom`: the manifest's path, `manifestFrom: 'file'`, `verified: false`); `dispose()` it when done
 * @throws {@link @d4rt/core!ModelLoadError | ModelLoadError} for a missing folder or file or unreadable JSON;
 *   {@link @d4rt/core!UnsupportedModelError | UnsupportedModelError} for a manifest of another format or graphs that do not match it;
 *   {@link @d4rt/core!BackendUnavailableError | BackendUnavailableError} when no device could load the graphs (each cause listed);
 *   RangeError for an unknown `device`, an empty list or a repeated device;
 *   TypeError for a `signal` that is not an `AbortSignal`; `signal.reason` on abort
 */
export async function loadModel(folder?: string, options: LoadModelOptions = {}): Promise<D4rtModel> {
  if (folder !== undefined && (typeof folder !== 'string' || folder.length === 0)) {
    throw new TypeError(`loadModel: folder (${typeof folder === 'string' ? '""' : typeof folder}) must be a path string, or omitted for the embedded model`);
  }
  const { onProgress, signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`loadModel: options.signal (${describeValue(signal)}) must be an AbortSignal`);
  }
  signal?.throwIfAborted();
  const dir = resolve(folder ?? embeddedModelPath());
  const st = await stat(dir).catch(() => null);
  if (st === null) throw new ModelLoadError(`loadModel: model folder '${dir}' does not exist`);
  if (!st.isDirectory()) throw new ModelLoadError(`loadModel: '${dir}' is not a folder; pass the folder that holds manifest.json`);
  // the total grows once the manifest names a K/V or tracker graph (known only after reading it)
  onProgress?.({ stage: 'read', done: 0, total: 3 });
  const text = (await readModelFile(dir, 'manifest.json', 'manifest', signal)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`loadModel: '${join(dir, 'manifest.json')}' is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const manifest = parseManifest(json);
  const roles = modelGraphs(manifest);
  const total = 1 + roles.length;
  onProgress?.({ stage: 'read', done: 1, total });
  const bytes: Buffer[] = [];
  for (const role of roles) {
    bytes.push(await readModelFile(dir, manifest.files[role]!, role === 'kv' ? 'K/V graph' : `${graphLabel(role)} graph`, signal));
    onProgress?.({ stage: 'read', done: 1 + bytes.length, total });
  }
  // A graph with external data (weights past protobuf's 2 GB) is loaded from its path, so that
  // onnxruntime finds the data files beside it.
  const external = manifest.files.externalData ?? {};
  for (const name of roles.flatMap((role) => external[role] ?? [])) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (s === null || !s.isFile()) throw new ModelLoadError(`loadModel: external data file '${join(dir, name)}' (manifest.files.externalData) does not exist`);
  }
  const graphs = roles.map((role, i) => (external[role] ? join(dir, manifest.files[role]!) : bytes[i]!));
  const device = options.device ?? 'auto';
  const devices = resolveDevice(device);
  // Each backend's failure, kept to report a fallback (createSessionsWithFallback returns only the backend used).
  const failures: BackendFailure[] = [];
  const backends = devices.map((d): Backend => {
    const backend = createOnnxBackend({ device: d, ...(options.threads !== undefined && { intraOpThreads: options.threads }), ...(options.logLevel !== undefined && { logLevel: options.logLevel }) });
    return {
      name: backend.name,
      createSession: (graph) =>
        backend.createSession(graph).catch((error: unknown) => {
          failures.push({ backend: backend.name, error });
          throw error;
        }),
    };
  });
  const { backend, sessions } = await createSessionsWithFallback(backends, graphs, signal ? { signal } : {});
  if (device !== 'auto') {
    for (const f of failures) {
      const why = f.error instanceof Error ? f.error.message : String(f.error);
      process.emitWarning(`loadModel: skipped device '${f.backend.replace(/^onnxruntime-node:/, '')}' of ${JSON.stringify(devices)}, which could not load the model, and loaded it on ${backend.name} instead: ${why}`, {
        code: BACKEND_FALLBACK_WARNING,
      });
    }
  }
  try {
    return await D4rtModel.create({
      manifest,
      encoder: sessions[0]!,
      decoder: sessions[1]!,
      ...(roles.includes('kv') && { kv: sessions[roles.indexOf('kv')]! }),
      ...(roles.includes('tracker') && { tracker: sessions[roles.indexOf('tracker')]! }),
      backend: backend.name,
      // This loader reads the graphs as they are on disk; it does not check the manifest's hashes.
      loadedFrom: { manifest: join(dir, 'manifest.json'), manifestFrom: 'file', verified: false },
    });
  } catch (error) {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    throw error;
  }
}
