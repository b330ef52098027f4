/**
 * runtime-web in a real browser (headless Debian Chromium): the embedded model on the wasm
 * backend against onnxruntime-node on the same frames, worker mode (and a worker that crashes),
 * video decoding against ffmpeg, caching (offline loads, replaced and corrupted graphs), and the
 * errors a page shows.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel as loadNodeModel, readVideo as readNodeVideo } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, openTestPage, type TestPage } from './browser-page.js';

const DEMO = path.join(MODELS, 'fixtures/demo');
const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : undefined;

async function ffmpeg(args: string[]): Promise<void> {
  await promisify(execFile)(FFMPEG!, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
}

/** Demo clip frames as the fixture stores them (exact RGB, no codec). */
async function demoFrames(): Promise<{ data: Uint8Array; frames: number; width: number; height: number }> {
  const clip = JSON.parse(await readFile(path.join(DEMO, 'clip.json'), 'utf8')) as { frames: number; width: number; height: number };
  const data = new Uint8Array(await readFile(path.join(DEMO, 'frames.u8')));
  return { data, frames: clip.frames, width: clip.width, height: clip.height };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * A manifest without its optional tracker graph (files, hash, section and the encoder's `layers`
 * output the tracker reads): the encoder's extra output is then simply not read.
 */
type ManifestJson = { files: Record<string, string>; hashes?: Record<string, unknown>; tracker?: unknown; encoder: { outputs: Record<string, unknown> }; [key: string]: unknown };
function withoutTracker(manifest: ManifestJson): ManifestJson {
  delete manifest.files.tracker;
  if (manifest.hashes) delete manifest.hashes.tracker;
  delete manifest.tracker;
  delete manifest.encoder.outputs.layers;
  return manifest;
}

/** SHA-256 and size, as a manifest's `hashes` give them. */
function digest(bytes: Uint8Array): { sha256: string; bytes: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

/** [start, end) of each length-delimited field `field` of the protobuf message in `b[from, to)`. */
function protoFields(b: Uint8Array, from: number, to: number, field: number): [number, number][] {
  const out: [number, number][] = [];
  let i = from;
  const varint = (): number => {
    let v = 0;
    for (let scale = 1; ; scale *= 128) {
      const x = b[i++]!;
      v += (x & 0x7f) * scale;
      if (x < 0x80) return v;
    }
  };
  while (i < to) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (Math.floor(tag / 8) === field) out.push([i, i + len]);
      i += len;
    } else throw new Error(`protoFields: wire type ${wire} at byte ${i}`);
  }
  return out;
}

/**
 * A copy of an ONNX model whose largest float32 initializer is multiplied by `factor`: another
 * valid graph with the same inputs and outputs and other answers (ModelProto.graph = 7,
 * GraphProto.initializer = 5, TensorProto.raw_data = 9).
 */
function scaleLargestInitializer(onnx: Uint8Array, factor: number): Uint8Array {
  const out = new Uint8Array(onnx);
  const [graph] = protoFields(out, 0, out.length, 7);
  const raws = protoFields(out, graph![0], graph![1], 5).flatMap(([a, b]) => protoFields(out, a, b, 9));
  const [start, end] = raws.reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a));
  const view = new DataView(out.buffer, out.byteOffset);
  for (let at = start; at + 4 <= end; at += 4) view.setFloat32(at, view.getFloat32(at, true) * factor, true);
  return out;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe.skipIf(!hasChromium())('@d4rt/runtime-web in headless Chromium', () => {
  let t: TestPage;
  beforeAll(async () => {
    t = await openTestPage();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('runs the embedded model on wasm: the float32 graph equals onnxruntime-node within 1e-3; the int8 default within int8 rounding', async () => {
    const web = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const events: { stage: string; done: number; total: number }[] = [];
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const run = async (dir: string, onProgress?: (p: { stage: string; done: number; total: number }) => void) => {
        const model = await d4rt.loadModel(dir, { device: 'wasm', wasmPaths: '/ort/', ...(onProgress && { onProgress }) });
        const scene = await model.encode({ data, frames: 16, width: 192, height: 128 });
        const depth = await scene.depth();
        const tracks = await scene.track({ u: [0.5, 0.25], v: [0.5, 0.75], frame: [0, 0] });
        const out = { backend: model.backend, depth: Array.from(depth.data), xyz: Array.from(tracks.xyz) };
        scene.dispose();
        await model.dispose();
        return out;
      };
      const int8 = await run('/models/d4rt-tiny/', (p) => events.push(p));
      const fp32 = await run('/models/d4rt-tiny-fp32/');
      return { isolated: crossOriginIsolated, int8, fp32, events };
    });
    expect(web.int8.backend).toBe('onnxruntime-web:wasm');
    expect(web.isolated).toBe(true);
    // Download progress: bytes, monotone, last = total = both graphs.
    const reads = web.events.filter((e) => e.stage === 'read');
    expect(reads.length).toBeGreaterThan(1);
    for (let i = 1; i < reads.length; i++) expect(reads[i]!.done).toBeGreaterThanOrEqual(reads[i - 1]!.done);
    const last = reads.at(-1)!;
    expect(last.done).toBe(last.total);
    // every graph the manifest names (the tracker's too)
    const files = Object.values((JSON.parse(await readFile(path.join(MODELS, 'd4rt-tiny/manifest.json'), 'utf8')) as ManifestJson).files);
    let onDisk = 0;
    for (const f of files) onDisk += (await readFile(path.join(MODELS, 'd4rt-tiny', f))).length;
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(last.total).toBe(onDisk);

    const node = async (dir: string | undefined) => {
      const model = await loadNodeModel(dir, { device: 'cpu' });
      const scene = await model.encode(await demoFrames());
      const depth = await scene.depth();
      const tracks = await scene.track({ u: [0.5, 0.25], v: [0.5, 0.75], frame: [0, 0] });
      await model.dispose();
      return { depth: depth.data, xyz: tracks.xyz };
    };
    // the same float32 graph: the two runtimes agree to float32 rounding
    const fp32 = await node(path.join(MODELS, 'd4rt-tiny-fp32'));
    const dDepth = maxAbsDiff(web.fp32.depth, fp32.depth);
    const dXyz = maxAbsDiff(web.fp32.xyz, fp32.xyz);
    // the int8 default (node: the embedded model): onnxruntime-web's and -node's int8 kernels round
    // an activation that falls on a quantisation step's midpoint differently, now and then; their
    // answers differ by as much as int8's own deviation from float32 (demo clip: median 2e-3, max
    // 1.4e-2 relative), and most depths are equal
    const int8 = await node(undefined);
    const rel = Array.from(web.int8.depth, (x, i) => Math.abs(x - int8.depth[i]!) / Math.abs(int8.depth[i]!)).sort((a, b) => a - b);
    const relXyz = Math.max(...Array.from(web.int8.xyz, (x, i) => Math.abs(x - int8.xyz[i]!) / Math.max(Math.abs(int8.xyz[i]!), 1e-3)));
    console.info(
      `wasm vs onnxruntime-node: float32 depth max |diff| ${dDepth.toExponential(2)}, track xyz max |diff| ${dXyz.toExponential(2)}; ` +
        `int8 depth relative diff median ${rel[rel.length >> 1]!.toExponential(2)}, max ${rel.at(-1)!.toExponential(2)}, track xyz ${relXyz.toExponential(2)}`,
    );
    expect(dDepth).toBeLessThan(1e-3);
    expect(dXyz).toBeLessThan(1e-3);
    expect(rel[rel.length >> 1]!).toBeLessThan(1e-5);
    expect(rel.at(-1)!).toBeLessThan(3e-2);
    expect(relXyz).toBeLessThan(3e-2);
    // the int8 default is int8's deviation from float32 away from it, not more
    expect(maxAbsDiff(web.int8.depth, fp32.depth)).toBeLessThan(0.1);
    const depth = { data: web.int8.depth };
    // Not trivially equal because both are constant.
    expect(Math.max(...depth.data) - Math.min(...depth.data)).toBeGreaterThan(0.1);
  });

  it('serves the graphs from the Cache API on the second load', async () => {
    const fetched = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      performance.clearResourceTimings();
      const model = await d4rt.loadModel('/models/d4rt-tiny/manifest.json', { device: 'wasm', wasmPaths: '/ort/' });
      await model.dispose();
      return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
    });
    expect(fetched).toContain('/models/d4rt-tiny/manifest.json');
    expect(fetched.filter((p) => p.endsWith('.onnx'))).toEqual([]);
  });

  it('loads a cached model while the network fails: the manifest comes from the cache and loadedFrom says so; an HTTP error does not fall back', async () => {
    const load = (): Promise<{ loadedFrom: unknown; fetched: string[] } | string> =>
      t.page.evaluate(async () => {
        const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
        performance.clearResourceTimings();
        try {
          const model = await d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/' });
          await model.dispose();
          return { loadedFrom: model.loadedFrom, fetched: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname) };
        } catch (e) {
          return `${(e as Error).name}|${(e as Error).message}`;
        }
      });
    const manifestUrl = `${t.url}/models/d4rt-tiny/manifest.json`;
    // Online (this also caches the model when this test runs alone): the manifest is fetched, revalidated with the server.
    const online = await load();
    expect(online).toMatchObject({ loadedFrom: { manifest: manifestUrl, manifestFrom: 'network', verified: true } });
    expect(typeof online === 'string' ? [] : online.fetched).toContain('/models/d4rt-tiny/manifest.json');
    const failed: string[] = [];
    await t.page.route('**/models/d4rt-tiny/**', (route) => {
      failed.push(new URL(route.request().url()).pathname);
      return route.abort('internetdisconnected');
    });
    try {
      const offline = await load();
      expect(failed).toEqual(['/models/d4rt-tiny/manifest.json']);
      expect(offline).toMatchObject({ loadedFrom: { manifest: manifestUrl, manifestFrom: 'cache', verified: true } });
      // Without a cached copy (another cache) the network error is the answer, and says so.
      const uncached = await t.page.evaluate(() =>
        (window as unknown as { d4rt: typeof import('../src/index.js') }).d4rt.fetchManifest(new URL('/models/d4rt-tiny/', location.href).href, { cache: 'd4rt-test-empty' }).then(
          () => 'no error',
          (e: Error) => `${e.name}|${(e.cause as Error | undefined)?.name}|${e.message}`,
        ),
      );
      expect(uncached).toMatch(/^ModelLoadError\|TypeError\|loadModel: manifest '.*\/manifest\.json' could not be downloaded \(Failed to fetch\); no copy of it is cached/);
    } finally {
      await t.page.unroute('**/models/d4rt-tiny/**');
    }
    // An HTTP error is the server's answer, not a network failure: no fallback.
    await t.page.route('**/models/d4rt-tiny/manifest.json', (route) => route.fulfill({ status: 503, body: 'maintenance' }));
    try {
      expect(await load()).toMatch(/^ModelLoadError\|loadModel: manifest '.*' answered HTTP 503/);
    } finally {
      await t.page.unroute('**/models/d4rt-tiny/manifest.json');
    }
  });

  it('graphs are cached by their hash: one replaced under an unchanged manifest is served from the cache, refused (ModelIntegrityError, nothing cached) when downloaded; a new hash is downloaded and answers as onnxruntime-node', async () => {
    const dir = path.join(t.files, 'replaced');
    await mkdir(dir);
    // the float32 model (its decoder's largest initializer is a float32 weight to negate), without
    // its optional tracker graph: this test is about the encoder and decoder files
    for (const f of ['encoder.onnx', 'decoder.onnx']) await copyFile(path.join(MODELS, 'd4rt-tiny-fp32', f), path.join(dir, f));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(withoutTracker(JSON.parse(await readFile(path.join(MODELS, 'd4rt-tiny-fp32/manifest.json'), 'utf8'))), null, 2));
    const original = new Uint8Array(await readFile(path.join(dir, 'decoder.onnx')));
    // The query patch embedding, negated (a scale alone would mostly be normalised away).
    const replaced = scaleLargestInitializer(original, -1);
    const points = { u: [0.5, 0.25], v: [0.5, 0.75], frame: [0, 0] };
    type Step = { fetched: string[]; cached: string[]; xyz?: number[]; loadedFrom?: unknown; error?: { name: string; message: string; file: string; expected: unknown; actual: unknown } };
    // Requests as the browser sends them (resource timings of a load that failed can arrive late).
    const requests: string[] = [];
    const onRequest = (req: { url(): string }): void => {
      const p = new URL(req.url()).pathname;
      if (p.startsWith('/files/replaced/')) requests.push(p);
    };
    t.page.on('request', onRequest);
    const step = async (cache: string | false, track: boolean): Promise<Step> => {
      requests.length = 0;
      const out = await t.page.evaluate(
        async ({ cache, track, points }) => {
          const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
          const out: Step = { fetched: [], cached: [] };
          try {
            const model = await d4rt.loadModel('/files/replaced/', { device: 'wasm', wasmPaths: '/ort/', cache });
            out.loadedFrom = model.loadedFrom;
            if (track) {
              const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
              const scene = await model.encode({ data, frames: 16, width: 192, height: 128 });
              out.xyz = Array.from((await scene.track(points)).xyz);
              scene.dispose();
            }
            await model.dispose();
          } catch (e) {
            const err = e as InstanceType<typeof d4rt.ModelIntegrityError>;
            out.error = { name: err.name, message: err.message, file: err.file, expected: err.expected, actual: err.actual };
          }
          if (cache !== false) out.cached = (await (await caches.open(cache)).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search).sort();
          return out;
        },
        { cache, track, points },
      );
      return { ...out, fetched: [...requests].sort() };
    };
    const key = (file: string, bytes: Uint8Array): string => `/files/replaced/${file}?d4rt-sha256=${digest(bytes).sha256}`;
    const encoder = new Uint8Array(await readFile(path.join(dir, 'encoder.onnx')));
    const all = ['/files/replaced/manifest.json', '/files/replaced/encoder.onnx', '/files/replaced/decoder.onnx'];

    const first = await step('d4rt-test-replaced', true);
    expect(first.error).toBeUndefined();
    expect(first.fetched).toEqual([...all].sort());
    expect(first.cached).toEqual([key('decoder.onnx', original), key('encoder.onnx', encoder), '/files/replaced/manifest.json']);

    // The decoder is replaced on the server; the manifest (and its hash) are not.
    await writeFile(path.join(dir, 'decoder.onnx'), replaced);
    const cachedCopy = await step('d4rt-test-replaced', false);
    expect(cachedCopy.error).toBeUndefined();
    expect(cachedCopy.fetched).toEqual(['/files/replaced/manifest.json']);
    expect(cachedCopy.loadedFrom).toMatchObject({ manifestFrom: 'network', verified: true });
    const integrity = { name: 'ModelIntegrityError', file: `${t.url}/files/replaced/decoder.onnx`, expected: digest(original), actual: digest(replaced) };
    const downloaded = await step(false, false);
    expect(downloaded.error).toMatchObject(integrity);
    expect(downloaded.error!.message).toBe(
      `loadModel: decoder graph '${integrity.file}' is ${replaced.length} bytes with SHA-256 ${integrity.actual.sha256}; its manifest expects ${original.length} bytes with SHA-256 ${integrity.expected.sha256} (a corrupted download, or the file was replaced without its manifest)`,
    );
    // Into an empty cache: refused, and nothing at all is cached (not even the good encoder, nor the manifest).
    const corrupt = await step('d4rt-test-corrupt', false);
    expect(corrupt.error).toMatchObject(integrity);
    expect(corrupt.fetched).toEqual([...all].sort());
    expect(corrupt.cached).toEqual([]);

    // The manifest now gives the new decoder's hash: only the decoder is downloaded, the old one leaves the cache.
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.hashes.decoder = digest(replaced);
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const updated = await step('d4rt-test-replaced', true);
    expect(updated.error).toBeUndefined();
    expect(updated.fetched).toEqual(['/files/replaced/decoder.onnx', '/files/replaced/manifest.json']);
    expect(updated.cached).toEqual([key('decoder.onnx', replaced), key('encoder.onnx', encoder), '/files/replaced/manifest.json']);
    t.page.off('request', onRequest);
    const node = await loadNodeModel(dir, { device: 'cpu' });
    const nodeXyz = (await (await node.encode(await demoFrames())).track(points)).xyz;
    await node.dispose();
    const changed = maxAbsDiff(updated.xyz!, first.xyz!);
    console.info(`replaced decoder: track xyz moved by up to ${changed.toExponential(2)}; vs onnxruntime-node on it ${maxAbsDiff(updated.xyz!, nodeXyz).toExponential(2)}`);
    expect(changed).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(updated.xyz!, nodeXyz)).toBeLessThan(1e-3);
  });

  it('a manifest without hashes still loads, unchecked: its graphs are cached under a hash of its text, so any change of it downloads them again', async () => {
    const dir = path.join(t.files, 'legacy');
    await mkdir(dir);
    for (const f of ['encoder.onnx', 'decoder.onnx']) await copyFile(path.join(MODELS, 'd4rt-tiny', f), path.join(dir, f));
    const manifest = withoutTracker(JSON.parse(await readFile(path.join(MODELS, 'd4rt-tiny/manifest.json'), 'utf8')));
    delete manifest.hashes;
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const requests: string[] = [];
    const onRequest = (req: { url(): string }): void => void (new URL(req.url()).pathname.startsWith('/files/legacy/') && requests.push(new URL(req.url()).pathname));
    t.page.on('request', onRequest);
    const load = async (): Promise<{ fetched: string[]; verified: unknown; graphKeys: string[] }> => {
      requests.length = 0;
      const r = await t.page.evaluate(async () => {
        const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
        const model = await d4rt.loadModel('/files/legacy/', { device: 'wasm', wasmPaths: '/ort/', cache: 'd4rt-test-legacy' });
        await model.dispose();
        const keys = (await (await caches.open('d4rt-test-legacy')).keys()).map((k) => new URL(k.url));
        return { verified: model.loadedFrom?.verified, graphKeys: keys.filter((u) => u.pathname.endsWith('.onnx')).map((u) => u.pathname + u.search).sort() };
      });
      return { ...r, fetched: [...requests].sort() };
    };
    const all = ['/files/legacy/decoder.onnx', '/files/legacy/encoder.onnx', '/files/legacy/manifest.json'];
    const first = await load();
    expect(first).toMatchObject({ fetched: all, verified: false });
    expect(first.graphKeys).toEqual([expect.stringMatching(/^\/files\/legacy\/decoder\.onnx\?d4rt-version=[0-9a-f]{8}$/), expect.stringMatching(/^\/files\/legacy\/encoder\.onnx\?d4rt-version=/)]);
    expect(await load()).toEqual({ ...first, fetched: ['/files/legacy/manifest.json'] });
    manifest.info = { ...(manifest.info as Record<string, unknown>), note: 'graphs replaced' };
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const changed = await load();
    t.page.off('request', onRequest);
    expect(changed.fetched).toEqual(all);
    expect(changed.graphKeys).toHaveLength(2);
    expect(changed.graphKeys.some((k) => first.graphKeys.includes(k))).toBe(false);
  });

  it('worker mode: same depth as the page thread, progress forwarded, errors keep their class', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const video = { data, frames: 16, width: 192, height: 128 };
      const page = await d4rt.loadModel('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/' });
      // Two frames keep the test short on 2 busy cores; every pixel of them still runs through both threads.
      const pageDepth = (await (await page.encode(video)).depth({ frames: [0, 15] })).data;
      await page.dispose();
      const stages = new Set<string>();
      const model = await d4rt.loadModelInWorker('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', worker: '/worker.js', onProgress: (p) => stages.add(p.stage) });
      const scene = await model.encode(video, { onProgress: (p) => stages.add(p.stage) });
      const depth = await scene.depth({ frames: [0, 15], onProgress: (p) => stages.add(p.stage) });
      let diff = 0;
      for (let i = 0; i < depth.data.length; i++) diff = Math.max(diff, Math.abs(depth.data[i]! - pageDepth[i]!));
      let queryError = '';
      try {
        await scene.query({ u: [2], v: [0.5], tSrc: [0], tTgt: [0], tCam: [0] });
      } catch (e) {
        queryError = `${(e as Error).name} ${(e as { code?: string }).code} ${(e as Error).message}`;
      }
      const cams = await scene.cameras();
      scene.dispose();
      let disposedError = '';
      try {
        await scene.depth();
      } catch (e) {
        disposedError = (e as Error).name;
      }
      await model.dispose();
      return { diff, stages: [...stages], queryError, disposedError, backend: model.backend, frames: scene.frames, pose1: Array.from(cams.cameraToWorld[1]!), type: depth.data.constructor.name };
    });
    expect(r.backend).toBe('onnxruntime-web:wasm');
    expect(r.diff).toBe(0);
    expect(r.type).toBe('Float32Array');
    expect(r.stages).toEqual(expect.arrayContaining(['read', 'preprocess', 'encode', 'query']));
    expect(r.queryError).toMatch(/^InvalidQueryError ERR_INVALID_QUERY .*u/);
    expect(r.disposedError).toBe('SceneDisposedError');
    expect(r.pose1.every(Number.isFinite)).toBe(true);
  });

  it('a real worker that crashes: calls in flight and later reject with the crash, disposed is true; errors keep class, stack and cause; your Worker is not terminated', async () => {
    await writeFile(path.join(t.files, 'throws-on-start.js'), "throw new Error('this script cannot start');\n");
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      // A call that never settles is a failure too: give each 30 s, not the test's whole timeout.
      const settled = <T,>(p: Promise<T>): Promise<T | 'still pending after 30 s'> => Promise.race([p, new Promise<'still pending after 30 s'>((ok) => setTimeout(() => ok('still pending after 30 s'), 30_000))]);
      type Described = { name: string; message: string; stack: string; cause?: Described };
      const describe = (e: unknown): Described => {
        const err = e as Error;
        return { name: err.name, message: err.message, stack: String(err.stack), ...(err.cause !== undefined && { cause: describe(err.cause) }) };
      };
      const startFailure = await settled(d4rt.loadModelInWorker('/models/d4rt-tiny/', { worker: '/files/throws-on-start.js' }).then(() => null, describe));
      const worker = new Worker('/crash-worker.js', { type: 'module' });
      // An error raised in the worker (a manifest that cannot be downloaded), then a model in the same worker.
      const loadError = await d4rt.loadModelInWorker('http://127.0.0.1:9/models/', { device: 'wasm', wasmPaths: '/ort/', worker }).then(() => null, (e: unknown) => ({
        ...describe(e),
        isModelLoadError: e instanceof d4rt.ModelLoadError,
        causeIsTypeError: (e as Error).cause instanceof TypeError,
      }));
      const model = await d4rt.loadModelInWorker('/models/d4rt-tiny/', { device: 'wasm', wasmPaths: '/ort/', worker });
      const data = new Uint8Array(await (await fetch('/models/fixtures/demo/frames.u8')).arrayBuffer());
      const video = { data, frames: 16, width: 192, height: 128 };
      // The crash message goes first on the worker's queue, so the encode sent after it is still in flight when the worker crashes.
      worker.postMessage({ op: 'test-crash', message: 'out of memory' });
      const inFlight = await settled(model.encode(video).then(() => 'resolved', describe));
      const disposed = model.disposed;
      const later = await settled(model.encode(video).then(() => 'resolved', describe));
      await model.dispose();
      const afterDispose = await model.encode(video).then(() => 'resolved', (e: Error) => e.name);
      // The Worker passed in still runs (dispose-model is answered once the orphaned encode ends).
      const alive = await new Promise<boolean>((resolve) => {
        worker.addEventListener('message', (e: MessageEvent<{ id: number; type: string }>) => e.data.id === 1e6 && resolve(e.data.type === 'result'));
        worker.postMessage({ id: 1e6, op: 'dispose-model' });
        setTimeout(() => resolve(false), 60_000);
      });
      worker.terminate();
      return { startFailure, loadError, inFlight, disposed, later, afterDispose, alive };
    });
    expect(r.startFailure).toMatchObject({ name: 'ModelLoadError', message: expect.stringMatching(/^loadModelInWorker: the worker failed \(Uncaught Error: this script cannot start\)/) });
    // The worker's own error: its class, its stack (frames in the worker's script), its cause.
    expect(r.loadError).toMatchObject({ name: 'ModelLoadError', isModelLoadError: true, causeIsTypeError: true, message: expect.stringMatching(/^loadModel: manifest 'http:\/\/127\.0\.0\.1:9\/models\/manifest\.json' could not be downloaded/) });
    expect(r.loadError?.stack).toMatch(/\/worker\.js:\d+/);
    expect(r.loadError?.stack).not.toMatch(/\/entry\.js/);
    expect(r.loadError?.cause).toMatchObject({ name: 'TypeError', message: 'Failed to fetch' });
    const crash = /^loadModelInWorker: the worker failed \(Uncaught RangeError: test crash: out of memory\); the model is unusable, load it again$/;
    expect(r.inFlight).toMatchObject({ name: 'ModelLoadError', message: expect.stringMatching(crash) });
    expect(r.disposed).toBe(true);
    expect(r.later).toMatchObject({ name: 'ModelLoadError', message: expect.stringMatching(crash) });
    expect(r.afterDispose).toBe('SceneDisposedError');
    expect(r.alive).toBe(true);
  });

  it.skipIf(!FFMPEG)('readVideo: WebCodecs decodes demo.mp4 as ffmpeg does (bit for bit here), <video> within a few levels', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const wc = await d4rt.readVideo('/models/fixtures/demo/demo.mp4');
      const blob = await (await fetch('/models/fixtures/demo/demo.mp4')).blob();
      const el = await d4rt.readVideo(new File([blob], 'demo.mp4', { type: 'video/mp4' }), { decoder: 'element', fps: 12 });
      const byUrl = await d4rt.readVideo('/models/fixtures/demo/demo.mp4', { decoder: 'element', fps: 12 });
      let same = byUrl.data.length === el.data.length;
      for (let i = 0; same && i < el.data.length; i++) same = el.data[i] === byUrl.data[i];
      return {
        same,
        wc: { decoder: wc.decoder, frames: wc.frames, width: wc.width, height: wc.height, fps: wc.fps, data: Array.from(wc.data) },
        el: { decoder: el.decoder, frames: el.frames, data: Array.from(el.data) },
      };
    });
    const ref = await readNodeVideo(path.join(DEMO, 'demo.mp4'));
    expect(r.wc).toMatchObject({ decoder: 'webcodecs', frames: 16, width: 192, height: 128 });
    expect(r.wc.fps).toBeCloseTo(12, 3);
    expect(r.el).toMatchObject({ decoder: 'element', frames: 16 });
    const dWc = meanAbsDiff(r.wc.data, ref.data);
    const dEl = meanAbsDiff(r.el.data, ref.data);
    console.info(`demo.mp4 mean |RGB diff| vs ffmpeg: WebCodecs ${dWc.toFixed(3)}, <video> ${dEl.toFixed(3)} levels`);
    // WebCodecs frames are converted to RGB as ffmpeg does; the <video> path uses the browser's conversion.
    expect(dWc).toBeLessThan(0.05);
    expect(dEl).toBeLessThan(3);
    expect(r.same).toBe(true);
  });

  it.skipIf(!FFMPEG)('readVideo keeps the same evenly spaced frames of a longer video as runtime-node', async () => {
    const file = path.join(t.files, 'long.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=2.4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '12', '-bf', '2', file]);
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const v = await d4rt.readVideo('/files/long.mp4', { frames: 16 });
      return { frames: v.frames, sourceFrames: v.sourceFrames, sourceIndices: Array.from(v.sourceIndices ?? []), data: Array.from(v.data) };
    });
    const ref = await readNodeVideo(file, { frames: 16 });
    expect(r.sourceFrames).toBe(ref.sourceFrames);
    expect(r.sourceIndices).toEqual(Array.from(ref.sourceIndices!));
    expect(meanAbsDiff(r.data, ref.data)).toBeLessThan(3);
  });

  it.skipIf(!FFMPEG)('bad inputs reject with named errors: not a video, a codec the browser cannot decode, a 404 model, a bad device', async () => {
    await writeFile(path.join(t.files, 'notes.txt'), 'these are not frames\n'.repeat(100));
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10:duration=1', '-c:v', 'mpeg4', path.join(t.files, 'part2.mp4')]);
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      const describe = async (f: () => Promise<unknown>): Promise<string> => {
        try {
          await f();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}|${(e as { reason?: string }).reason ?? ''}|${(e as Error).message}`;
        }
      };
      const text = await (await fetch('/files/notes.txt')).blob();
      return {
        text: await describe(() => d4rt.readVideo(new File([text], 'notes.txt'))),
        part2: await describe(() => d4rt.readVideo('/files/part2.mp4')),
        missing: await describe(() => d4rt.readVideo('/files/missing.mp4')),
        missingElement: await describe(() => d4rt.readVideo('/files/missing.mp4', { decoder: 'element' })),
        model404: await describe(() => d4rt.loadModel('/models/nope/', { device: 'wasm', wasmPaths: '/ort/' })),
        device: await describe(() => d4rt.loadModel('/models/d4rt-tiny/', { device: 'cuda' as never })),
        worker404: await describe(() => d4rt.loadModelInWorker('/models/nope/', { device: 'wasm', wasmPaths: '/ort/', worker: '/worker.js' })),
      };
    });
    expect(r.text).toMatch(/^InvalidVideoError\|not-a-video\|readVideo: file 'notes.txt' is not a video/);
    expect(r.part2).toMatch(/^InvalidVideoError\|undecodable\|readVideo: '\/files\/part2.mp4' \(mp4 container, codec 'mp4v[^']*', not supported by WebCodecs\) cannot be decoded/);
    expect(r.missing).toMatch(/^InvalidVideoError\|not-found\|.*HTTP 404/);
    expect(r.missingElement).toMatch(/^InvalidVideoError\|not-found\|readVideo: '\/files\/missing.mp4' answered HTTP 404/);
    expect(r.model404).toMatch(/^ModelLoadError\|\|loadModel: manifest 'http:\/\/127\.0\.0\.1:\d+\/models\/nope\/manifest\.json' answered HTTP 404/);
    expect(r.device).toMatch(/^RangeError\|\|resolveWebDevice: device \("cuda"\) must be/);
    expect(r.worker404).toMatch(/^ModelLoadError\|\|loadModel: manifest .* answered HTTP 404/);
  });

  it('falls back from WebGPU to wasm in order and names each cause when none works', async () => {
    const r = await t.page.evaluate(async () => {
      const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
      // This Chromium runs with --disable-gpu and no --enable-unsafe-webgpu: WebGPU has no adapter.
      const m = await d4rt.loadModel('/models/d4rt-tiny/', { device: ['webgpu', 'wasm'], wasmPaths: '/ort/' });
      const backend = m.backend;
      await m.dispose();
      let error = '';
      try {
        await d4rt.loadModel('/models/d4rt-tiny/', { device: ['webgpu'], wasmPaths: '/ort/' });
      } catch (e) {
        error = `${(e as Error).name}|${(e as { failures?: { backend: string }[] }).failures?.map((f) => f.backend).join(',')}|${(e as Error).message}`;
      }
      return { backend, error };
    });
    expect(r.backend).toBe('onnxruntime-web:wasm');
    expect(r.error).toMatch(/^BackendUnavailableError\|onnxruntime-web:webgpu\|createSessionsWithFallback: no backend could load the model; tried 1:\n {2}- onnxruntime-web:webgpu: /);
  });
});
