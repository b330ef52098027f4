/**
 * Downloading model files with byte progress, checking them against their manifest's SHA-256, and
 * keeping them in the Cache API so a second visit loads without the network.
 *
 * @module
 */
import { ModelLoadError, verifyModelFile, type ModelFileDigest, type ProgressCallback } from '@d4rt/core';
import { fetchChecked } from './fetch-checked.js';
import { graphCacheKey, openModelCache } from './model-cache.js';

/** Name of the Cache API cache the SDK stores model files in (unless told another). */
export const DEFAULT_MODEL_CACHE = 'd4rt-models-v1';

/** One file to download. */
export interface ModelFileRequest {
  /** Absolute URL. */
  url: string;
  /** What it is, for messages (e.g. `'encoder graph'`). */
  what: string;
  /**
   * The file's SHA-256 and size (a manifest's `hashes` entry). A downloaded file is checked against
   * it ({@link @d4rt/core!ModelIntegrityError | ModelIntegrityError} when it differs) and cached
   * under `<url>?d4rt-sha256=<hash>`, so a file with a new hash is downloaded and one with the same
   * hash is read from the cache.
   */
  digest?: ModelFileDigest;
}

/** Options of {@link fetchModelFiles}. */
export interface FetchModelFilesOptions {
  /** Cache API cache name, or `false` to always download (default {@link DEFAULT_MODEL_CACHE}). */
  cache?: string | false;
  /**
   * Cache version of the files without a `digest`: they are cached under `<url>?d4rt-version=<version>`
   * (`loadModel` gives a hash of the manifest's text, so a new manifest never meets an old graph).
   */
  version?: string;
  /** Bytes progress (`stage: 'read'`); `total` is the sum of the files' sizes (their `digest.bytes`, else `Content-Length`). */
  onProgress?: ProgressCallback;
  /** Aborts the downloads. */
  signal?: AbortSignal;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /**
   * Called once every response has started and before any body is read, with each file's size (its
   * `digest.bytes`, else `Content-Length`, else `undefined`). When it throws, the downloads are
   * cancelled and `fetchModelFiles` rejects with that error (e.g. a model too large to load).
   */
  checkSizes?: (sizes: (number | undefined)[]) => void;
}

async function start(req: ModelFileRequest, cache: Cache | null, key: string, doFetch: typeof fetch, signal?: AbortSignal): Promise<{ res: Response; cached: boolean }> {
  const hit = cache === null ? undefined : await cache.match(key);
  if (hit !== undefined) return { res: hit, cached: true };
  const res = await fetchChecked(req.url, `loadModel: ${req.what} '${req.url}'`, (message, options) => new ModelLoadError(message, options), {
    fetch: doFetch,
    signal,
    httpHint: '; is the model folder served at that URL?',
  });
  return { res, cached: false };
}

async function readBody(req: ModelFileRequest, res: Response, expected: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  if (res.body === null) {
    const buf = new Uint8Array(await res.arrayBuffer());
    onBytes(buf.length);
    return buf;
  }
  const reader = res.body.getReader();
  // One array of the expected size, filled in place (a large model file is not held twice); it
  // grows only when more arrives than announced (a compressed response's Content-Length).
  let out = new Uint8Array(Number.isFinite(expected) ? expected : 1 << 20);
  let size = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('loadModel: aborted');
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > out.length) {
        const grown = new Uint8Array(Math.max(size + value.length, 2 * out.length));
        grown.set(out.subarray(0, size));
        out = grown;
      }
      out.set(value, size);
      size += value.length;
      onBytes(value.length);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (signal?.aborted) throw signal.reason ?? error;
    throw new ModelLoadError(`loadModel: ${req.what} '${req.url}' broke off after ${size} bytes (${(error as Error).message})`, { cause: error });
  }
  return size === out.length ? out : out.slice(0, size);
}

/**
 * Downloads files in parallel with one byte-progress stream, reading from (and filling) the Cache
 * API. Downloaded files with a `digest` are checked against it; files are put in the cache only
 * when every file arrived whole and passed its check (a failed load caches nothing).
 * @param files - the files, absolute URLs
 * @param options - `cache`, `version`, `onProgress`, `signal`, `fetch`, `checkSizes`
 * @returns the bytes of each file, in order (new arrays)
 * @throws {@link @d4rt/core!ModelLoadError | ModelLoadError} naming the file and the HTTP status or network error;
 *   {@link @d4rt/core!ModelIntegrityError | ModelIntegrityError} naming the file, the expected and the actual SHA-256 and sizes
 */
export async function fetchModelFiles(files: readonly ModelFileRequest[], options: FetchModelFilesOptions = {}): Promise<Uint8Array<ArrayBuffer>[]> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cache = await openModelCache(options.cache ?? DEFAULT_MODEL_CACHE);
  const keys = files.map((f) => graphCacheKey(f.url, f.digest, options.version));
  const started = await Promise.all(files.map((f, i) => start(f, cache, keys[i]!, doFetch, options.signal)));
  const sizes = started.map(({ res }, i) => files[i]!.digest?.bytes ?? Number(res.headers.get('content-length') ?? NaN));
  if (options.checkSizes !== undefined) {
    try {
      options.checkSizes(sizes.map((n) => (Number.isFinite(n) ? n : undefined)));
    } catch (error) {
      await Promise.all(started.map(({ res }) => res.body?.cancel().catch(() => {})));
      throw error;
    }
  }
  // Unknown sizes (no Content-Length, e.g. compressed responses) are counted as they arrive.
  let total = sizes.every(Number.isFinite) ? sizes.reduce((a, b) => a + b, 0) : 0;
  let done = 0;
  const report = (n: number): void => {
    done += n;
    if (done > total) total = done;
    options.onProgress?.({ stage: 'read', done, total });
  };
  options.onProgress?.({ stage: 'read', done: 0, total });
  const bodies = await Promise.all(started.map(({ res }, i) => readBody(files[i]!, res, sizes[i]!, report, options.signal)));
  // A cached file was checked before it was put under its hash; downloads are checked now.
  await Promise.all(
    started.map(({ cached }, i) => {
      const { digest, url, what } = files[i]!;
      return cached || digest === undefined ? undefined : verifyModelFile(bodies[i]!, { fn: 'loadModel', what, file: url, expected: digest });
    }),
  );
  if (cache !== null) {
    await Promise.all(
      started.map(async ({ cached }, i) => {
        if (cached) return;
        // The Response keeps its own copy of the bytes.
        const body = bodies[i]!;
        await cache.put(keys[i]!, new Response(body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } })).catch(() => {});
      }),
    );
  }
  if (done !== total) options.onProgress?.({ stage: 'read', done, total: done });
  return bodies;
}

/**
 * Removes cached model files: the graphs, and the manifests kept for loads without the network.
 * @param name - the cache name (default {@link DEFAULT_MODEL_CACHE})
 * @returns whether a cache was deleted
 */
export async function clearModelCache(name: string = DEFAULT_MODEL_CACHE): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  return caches.delete(name);
}
