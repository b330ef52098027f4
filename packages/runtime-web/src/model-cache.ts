/**
 * What the SDK keeps in the Cache API: each graph under its URL plus its content hash, and the
 * manifest of the last successful load of a model URL (read when the manifest cannot be downloaded).
 *
 * Keys carry the version in the query (`?d4rt-sha256=…`), not in the fragment: the Cache API
 * ignores fragments when it matches, so `graph.onnx#a` would answer a request for `graph.onnx#b`.
 *
 * @module
 * @internal
 */
import type { ModelFileDigest } from '@d4rt/core';

/** Opens the cache `name`; `null` for `false`, or where the Cache API is missing or refused. */
export async function openModelCache(name: string | false): Promise<Cache | null> {
  if (name === false || typeof caches === 'undefined') return null;
  try {
    return await caches.open(name);
  } catch {
    // Opaque origins and some private modes refuse the Cache API; downloads still work.
    return null;
  }
}

/**
 * The cache key of a graph: its URL with `d4rt-sha256=<hash>` (a manifest with hashes) or
 * `d4rt-version=<version>` (a manifest without: a hash of the manifest's text), else the URL.
 */
export function graphCacheKey(url: string, digest: ModelFileDigest | undefined, version: string | undefined): string {
  if (digest === undefined && version === undefined) return url;
  const key = new URL(url);
  key.hash = '';
  if (digest !== undefined) key.searchParams.set('d4rt-sha256', digest.sha256);
  else key.searchParams.set('d4rt-version', version!);
  return key.href;
}

/** The manifest text kept for `manifestUrl` by the last successful load, if any. */
export async function readCachedManifest(cache: Cache | null, manifestUrl: string): Promise<string | undefined> {
  if (cache === null) return undefined;
  try {
    return await (await cache.match(manifestUrl))?.text();
  } catch {
    return undefined;
  }
}

/**
 * Keeps `text` as the manifest of `manifestUrl` (for loads that cannot download it), then removes
 * the other cached versions of its graphs (same URL, another key). Call it once the graphs under
 * `graphKeys` are cached, so the kept manifest always has its graphs. Cache errors are ignored
 * (the load has succeeded; only the offline copy is missing).
 */
export async function keepManifest(cache: Cache | null, manifestUrl: string, text: string, graphs: readonly { url: string; key: string }[]): Promise<void> {
  if (cache === null) return;
  try {
    await cache.put(manifestUrl, new Response(text, { headers: { 'content-type': 'application/json' } }));
    for (const { url, key } of graphs) {
      for (const old of await cache.keys(url, { ignoreSearch: true })) {
        if (old.url !== key) await cache.delete(old);
      }
    }
  } catch {
    // Quota or a refused cache: the model is loaded; it just will not load offline.
  }
}
