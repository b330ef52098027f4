/**
 * Loading a `d4rt-model/1` model served over HTTP (a URL prefix holding `manifest.json`,
 * `encoder.onnx`, `decoder.onnx` and any external data files its manifest lists) into a ready
 * `D4rtModel`, on this page's thread.
 *
 * @module
 */
import {
  D4rtModel,
  ModelLoadError,
  createSessionsWithFallback,
  graphLabel,
  modelGraphs,
  parseManifest,
  type Backend,
  type BackendSession,
  type ModelFileDigest,
  type ModelGraph,
  type ModelManifest,
  type ProgressCallback,
} from '@d4rt/core';
import { fetchChecked } from './fetch-checked.js';
import { DEFAULT_MODEL_CACHE, fetchModelFiles } from './fetch-model.js';
import { graphCacheKey, keepManifest, openModelCache, readCachedManifest } from './model-cache.js';
import { checkModelSize, estimateModelSize, type ModelSizeEstimate } from './model-size.js';
import { configureWasm, createWebBackend, resolveWebDevice, type ExternalDataFile, type WebDevice, type WebExecutionProvider } from './web-backend.js';

/** Options of {@link loadModel} (and {@link loadModelInWorker}). */
export interface LoadModelOptions {
  /** `'auto'` (default: WebGPU when a hardware adapter exists, then wasm), `'wasm'`, `'webgpu'`, or an order to try. */
  device?: WebDevice;
  /** URL prefix of onnxruntime-web's `.wasm`/`.mjs` files (see {@link configureWasm}). */
  wasmPaths?: string;
  /** WebAssembly threads (see {@link configureWasm}). */
  threads?: number;
  /**
   * Cache API cache for the graphs and the manifest, or `false` to always download (default
   * `'d4rt-models-v1'`). With a cache, a model loaded once also loads when its manifest cannot be
   * downloaded for a network error (offline): see `model.loadedFrom.manifestFrom`.
   */
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

/** What {@link fetchManifest} returns. */
export interface FetchedManifest {
  /** The checked manifest. */
  manifest: ModelManifest;
  /** The manifest's URL. */
  url: string;
  /**
   * `'network'`: downloaded now (revalidated with the server, never the HTTP cache's copy unchecked);
   * `'cache'`: the download failed with a network error (not an HTTP status) and this is the copy
   * the last successful `loadModel` of this URL kept in the Cache API.
   */
  from: 'network' | 'cache';
  /** Cache version of graphs without a hash in the manifest: a hash of the manifest's text. */
  version: string;
}

/** The manifest's text, downloaded, or from the cache when the download fails with a network error. */
async function manifestText(url: string, options: Pick<LoadModelOptions, 'fetch' | 'signal' | 'cache'>): Promise<{ text: string; from: 'network' | 'cache' }> {
  const subject = `loadModel: manifest '${url}'`;
  // fetchChecked gives `fail` a cause for a network error only (an HTTP status has none).
  let network = false;
  const fail = (message: string, opts?: { cause: unknown }): Error => {
    network = opts !== undefined;
    return new ModelLoadError(message, opts);
  };
  let failure: unknown;
  try {
    const res = await fetchChecked(url, subject, fail, { fetch: options.fetch, signal: options.signal, init: { cache: 'no-cache' }, httpHint: '; is the model folder served at that URL?' });
    try {
      return { text: await res.text(), from: 'network' };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw fail(`${subject} broke off (${(error as Error).message})`, { cause: error });
    }
  } catch (error) {
    if (!network || options.signal?.aborted) throw error;
    failure = error;
  }
  const cache = await openModelCache(options.cache ?? DEFAULT_MODEL_CACHE);
  const text = await readCachedManifest(cache, url);
  if (text !== undefined) return { text, from: 'cache' };
  if (cache === null) throw failure;
  throw new ModelLoadError(`${(failure as Error).message}; no copy of it is cached (a model loads without the network only after a load with it)`, { cause: (failure as Error).cause });
}

function parseManifestText(url: string, text: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`loadModel: manifest '${url}' is not valid JSON (${(error as Error).message}); starts with ${JSON.stringify(text.slice(0, 40))}`, { cause: error });
  }
  return parseManifest(json);
}

/**
 * Downloads and checks the manifest of the model at `folderUrl`, revalidating it with the server
 * each time. When the download fails with a network error (not an HTTP status), the copy the last
 * successful `loadModel` of that URL kept in the Cache API `cache` is used (`from: 'cache'`).
 * @param options - `fetch`, `signal`, `cache` (default `'d4rt-models-v1'`; `false`: no fallback)
 * @returns the checked manifest, its URL, where it came from and its cache version
 * @throws {@link @d4rt/core!ModelLoadError | ModelLoadError} for a network error with no cached copy, an HTTP error or invalid JSON; {@link @d4rt/core!UnsupportedModelError | UnsupportedModelError} for another format
 */
export async function fetchManifest(folderUrl: string, options: Pick<LoadModelOptions, 'fetch' | 'signal' | 'cache'> = {}): Promise<FetchedManifest> {
  const url = new URL('manifest.json', folderUrl).href;
  const { text, from } = await manifestText(url, options);
  return { manifest: parseManifestText(url, text), url, from, version: textHash(text) };
}

/** One file of the model to download. */
interface ModelFile {
  role: ModelGraph;
  name: string;
  /** An external data file (else the graph itself). */
  external: boolean;
  url: string;
  what: string;
  digest?: ModelFileDigest;
}

/** The model's files to download: each graph, then the external data files of each. */
function modelFiles(manifest: ModelManifest, folder: string): ModelFile[] {
  const out: ModelFile[] = [];
  const roles = modelGraphs(manifest);
  for (const role of roles) {
    const name = manifest.files[role]!;
    const digest = manifest.hashes?.[role];
    out.push({ role, name, external: false, url: new URL(name, folder).href, what: role === 'kv' ? 'K/V graph' : `${graphLabel(role)} graph`, ...(digest !== undefined && { digest }) });
  }
  for (const role of roles) {
    for (const name of manifest.files.externalData?.[role] ?? []) {
      const digest = manifest.hashes?.externalData?.[name];
      out.push({ role, name, external: true, url: new URL(name, folder).href, what: `${role === 'kv' ? 'K/V' : graphLabel(role)} external data file`, ...(digest !== undefined && { digest }) });
    }
  }
  return out;
}

/**
 * Loads the model served at `url` on this thread: downloads the manifest, its graphs (encoder,
 * decoder, and the K/V graph and the tracker graph when the manifest names them) and their external data files (with byte progress, through the Cache API), then creates sessions on the
 * first device that works. For a page that must stay responsive while the model runs, see
 * {@link loadModelInWorker}.
 *
 * Caching: the manifest is revalidated with the server on every load. A file whose manifest gives
 * its SHA-256 (`hashes`) is cached under that hash: an unchanged hash is read from the cache, a new
 * one is downloaded, and downloaded bytes must match it. Files of a manifest without hashes are
 * cached under a hash of the manifest's text. After a successful load the manifest is kept too: when
 * a later load cannot download it for a network error, that copy and its cached files are used and
 * `model.loadedFrom.manifestFrom` is `'cache'`.
 *
 * Size: before anything but the manifest is downloaded, the files' sizes (the manifest's `hashes`,
 * else the responses' `Content-Length`) are checked against what the devices can hold (see
 * `model-size.ts`): a model that cannot fit the wasm backend's 4 GiB WebAssembly memory is refused
 * with {@link @d4rt/core!ModelTooLargeError | ModelTooLargeError} when wasm is the only device to
 * try, and wasm is skipped (its refusal listed among the failures) when WebGPU is tried too.
 *
 * @param url - URL of the model folder (`'/models/d4rt-tiny/'`) or of its `manifest.json`; relative to the page
 * @param options - `device`, `wasmPaths`, `threads`, `cache`, `onProgress`, `signal`, `fetch`
 * @returns a ready model (`loadedFrom` says where its manifest came from); `dispose()` it when done
 * @throws TypeError for a bad `url`; {@link @d4rt/core!ModelLoadError | ModelLoadError} for a file that cannot be downloaded (HTTP status named;
 *   for the manifest, a network error only when no copy is cached);
 *   {@link @d4rt/core!ModelIntegrityError | ModelIntegrityError} for a downloaded file whose bytes are not those of the manifest's hash (nothing is cached);
 *   {@link @d4rt/core!ModelTooLargeError | ModelTooLargeError} for a model too large for every device to try (size, limit and what would work in the message; nothing downloaded);
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
  let providers = await resolveWebDevice(options.device ?? 'auto');
  const manifestUrl = new URL('manifest.json', folder).href;
  const { text, from } = await manifestText(manifestUrl, options);
  const manifest = parseManifestText(manifestUrl, text);
  const version = textHash(text);
  const files = modelFiles(manifest, folder);
  // Too large for a device: it is refused before the files are downloaded.
  let refused: Partial<Record<WebExecutionProvider, Error>> = {};
  const judge = (estimate: ModelSizeEstimate | null): void => {
    if (estimate === null) return;
    const r = checkModelSize(estimate, providers, `loadModel: model '${manifest.name}' ('${folder}')`);
    providers = r.providers;
    refused = r.refused;
  };
  judge(estimateModelSize(manifest));
  const bytes = await fetchModelFiles(files, {
    version,
    ...(options.cache !== undefined && { cache: options.cache }),
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
    // A manifest without hashes: judged by the responses' Content-Length, before their bodies are read.
    ...(manifest.hashes === undefined && {
      checkSizes: (sizes: (number | undefined)[]) => judge(estimateModelSize(manifest, Object.fromEntries(files.map((f, i) => [f.name, sizes[i]])))),
    }),
  });
  const roles = modelGraphs(manifest);
  const graphs = roles.map((_, i) => bytes[i]!);
  const data = new Map(graphs.map((g, i) => [g, files.flatMap((f, j) => (f.external && f.role === roles[i] ? [{ path: f.name, data: bytes[j]! }] : []))]));
  const backends: Backend[] = (Object.keys(refused) as WebExecutionProvider[])
    .map((provider): Backend => ({ name: `onnxruntime-web:${provider}`, createSession: () => Promise.reject(refused[provider]) }))
    .concat(
      providers.map((executionProvider) => {
        const web = createWebBackend({ executionProvider });
        return { name: web.name, createSession: (g) => web.createSession(g, { externalData: data.get(g as Uint8Array<ArrayBuffer>) ?? [] }) };
      }),
    );
  const { backend, sessions } = await createSessionsWithFallback(backends, graphs, options.signal ? { signal: options.signal } : {});
  const session = (role: ModelGraph): BackendSession => sessions[roles.indexOf(role)]!;
  let model: D4rtModel;
  try {
    model = await D4rtModel.create({
      manifest,
      encoder: session('encoder'),
      decoder: session('decoder'),
      ...(roles.includes('kv') && { kv: session('kv') }),
      ...(roles.includes('tracker') && { tracker: session('tracker') }),
      backend: backend.name,
      loadedFrom: { manifest: manifestUrl, manifestFrom: from, verified: manifest.hashes !== undefined },
    });
  } catch (error) {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    throw error;
  }
  // Only a manifest whose files are cached and load is kept for loads without the network.
  if (from === 'network') {
    const cache = await openModelCache(options.cache ?? DEFAULT_MODEL_CACHE);
    await keepManifest(cache, manifestUrl, text, files.map((f) => ({ url: f.url, key: graphCacheKey(f.url, f.digest, version) })));
  }
  return model;
}
