/**
 * Loading a `d4rt-model/1` model served over HTTP (a URL prefix holding `manifest.json`,
 * `encoder.onnx`, `decoder.onnx`) into a ready `D4rtModel`, on this page's thread.
 *
 * @module
 */
import { D4rtModel, ModelLoadError, createSessionsWithFallback, parseManifest, type ModelManifest, type ProgressCallback } from '@d4rt/core';
import { fetchChecked } from './fetch-checked.js';
import { fetchModelFiles } from './fetch-model.js';
import { configureWasm, createWebBackend, resolveWebDevice, type WebDevice } from './web-backend.js';

/** Options of {@link loadModel} (and {@link loadModelInWorker}). */
export interface LoadModelOptions {
  /** `'auto'` (default: WebGPU when a hardware adapter exists, then wasm), `'wasm'`, `'webgpu'`, or an order to try. */
  device?: WebDevice;
  /** URL prefix of onnxruntime-web's `.wasm`/`.mjs` files (see {@link configureWasm}). */
  wasmPaths?: string;
  /** WebAssembly threads (see {@link configureWasm}). */
  threads?: number;
  /** Cache API cache for the graphs, or `false` to always download (default `'d4rt-models-v1'`). */
  cache?: string | false;
  /** Download progress in bytes (`stage: 'read'`). */
  onProgress?: ProgressCallback;
  /**
   * Aborts the load: the downloads stop, and the signal is checked again before and after each
   * graph's session is made (a session being made finishes first; sessions made are released). The
   * promise rejects with `signal.reason`.
   */
  signal?: AbortSignal;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/**
 * Resolves a model URL to its folder URL (ending in `/`): relative URLs against the page (or
 * worker) location; a URL ending in `manifest.json` names its folder.
 * @throws TypeError for a value that is not a non-empty string or `URL`
 */
export function resolveModelUrl(url: string | URL): string {
  if (!(url instanceof URL) && (typeof url !== 'string' || url.length === 0)) {
    throw new TypeError(`loadModel: url (${typeof url === 'string' ? '""' : typeof url}) must be the URL of a d4rt-model/1 folder, e.g. '/models/d4rt-tiny/'`);
  }
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let abs: URL;
  try {
    abs = new URL(String(url), base);
  } catch (error) {
    throw new TypeError(`loadModel: url ('${String(url)}') is not a valid URL${base === undefined ? ' (relative URLs need a page location)' : ''}`, { cause: error });
  }
  abs.hash = '';
  abs.search = '';
  if (abs.pathname.endsWith('/manifest.json')) abs.pathname = abs.pathname.slice(0, -'manifest.json'.length);
  else if (!abs.pathname.endsWith('/')) abs.pathname += '/';
  return abs.href;
}

/** FNV-1a of the manifest text: the cache version of the graphs it names. */
function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Downloads and checks the manifest of the model at `folderUrl`.
 * @returns the checked manifest and its cache version
 * @throws {@link @d4rt/core!ModelLoadError | ModelLoadError} for a network error, an HTTP error or invalid JSON; {@link @d4rt/core!UnsupportedModelError | UnsupportedModelError} for another format
 */
export async function fetchManifest(folderUrl: string, options: Pick<LoadModelOptions, 'fetch' | 'signal'> = {}): Promise<{ manifest: ModelManifest; version: string }> {
  const url = new URL('manifest.json', folderUrl).href;
  const res = await fetchChecked(url, `loadModel: manifest '${url}'`, (message, options) => new ModelLoadError(message, options), {
    fetch: options.fetch,
    signal: options.signal,
    init: { cache: 'no-cache' },
    httpHint: '; is the model folder served at that URL?',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`loadModel: manifest '${url}' is not valid JSON (${(error as Error).message}); starts with ${JSON.stringify(text.slice(0, 40))}`, { cause: error });
  }
  return { manifest: parseManifest(json), version: textHash(text) };
}

/**
 * Loads the model served at `url` on this thread: downloads the manifest and both graphs (with
 * byte progress, through the Cache API), then creates sessions on the first device that works.
 * For a page that must stay responsive while the model runs, see {@link loadModelInWorker}.
 *
 * @param url - URL of the model folder (`'/models/d4rt-tiny/'`) or of its `manifest.json`; relative to the page
 * @param options - `device`, `wasmPaths`, `threads`, `cache`, `onProgress`, `signal`, `fetch`
 * @returns a ready model; `dispose()` it when done
 * @throws TypeError for a bad `url`; {@link @d4rt/core!ModelLoadError | ModelLoadError} for a file that cannot be downloaded (HTTP status named);
 *   {@link @d4rt/core!UnsupportedModelError | UnsupportedModelError} for a manifest of another format or graphs that do not match it;
 *   {@link @d4rt/core!BackendUnavailableError | BackendUnavailableError} when no device could load the graphs (each cause listed);
 *   `signal.reason` on abort (during the downloads or around the sessions' creation)
 */
export async function loadModel(url: string | URL, options: LoadModelOptions = {}): Promise<D4rtModel> {
  const folder = resolveModelUrl(url);
  configureWasm({
    ...(options.wasmPaths !== undefined && { wasmPaths: options.wasmPaths }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  const providers = await resolveWebDevice(options.device ?? 'auto');
  const { manifest, version } = await fetchManifest(folder, options);
  const [encoderBytes, decoderBytes] = await fetchModelFiles(
    [
      { url: new URL(manifest.files.encoder, folder).href, what: 'encoder graph' },
      { url: new URL(manifest.files.decoder, folder).href, what: 'decoder graph' },
    ],
    {
      version,
      ...(options.cache !== undefined && { cache: options.cache }),
      ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.fetch !== undefined && { fetch: options.fetch }),
    },
  );
  const backends = providers.map((executionProvider) => createWebBackend({ executionProvider }));
  const { backend, sessions } = await createSessionsWithFallback(backends, [encoderBytes!, decoderBytes!], options.signal ? { signal: options.signal } : {});
  try {
    return await D4rtModel.create({ manifest, encoder: sessions[0]!, decoder: sessions[1]!, backend: backend.name });
  } catch (error) {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    throw error;
  }
}
