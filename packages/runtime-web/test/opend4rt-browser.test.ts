/**
 * A converted OpenD4RT model in a real browser (headless Debian Chromium, wasm): the golden
 * fixture's checkpoint (`packages/models/fixtures/opend4rt-tiny`) converted by training's converter
 * (its default layout: encoder, K/V graph and decoder), as one file per graph and with its weights
 * in external data files, answers in the browser as in onnxruntime-node on the same frames: depth,
 * cameras, tracks, and the normal and displacement outputs (also through the worker). Needs
 * training's Python (torch, onnx, numpy, PyYAML); skipped without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel as loadNodeModel } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, openTestPage, type TestPage } from './browser-page.js';

const FIXTURE = path.join(MODELS, 'fixtures/opend4rt-tiny');
const TRAINING = path.resolve(MODELS, '../../training');
const PYTHON = '/usr/bin/python3';

function pythonMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy, yaml'], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr.trim().split('\n').pop() ?? 'import failed');
}

/** Converts the fixture's checkpoint with training's converter into `out` (a new folder). */
function convert(out: string, externalData: boolean): void {
  const args = ['-m', 'opend4rt.convert_opend4rt', path.join(FIXTURE, 'opend4rt.ckpt'), path.join(FIXTURE, 'model.yaml'), '-o', out];
  if (externalData) args.push('--external-data', 'always');
  const r = spawnSync(PYTHON, args, { cwd: TRAINING, encoding: 'utf8', env: { ...process.env, PYTHONPATH: '.', OPENBLAS_NUM_THREADS: '1', PYTHONWARNINGS: 'ignore' } });
  if (r.status !== 0) throw new Error(`convert_opend4rt failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** `max |a - b| / max |b|` over a whole output. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / Math.max(s, 1e-12);
}

/** What the page and Node both compute on the fixture's frames (plain arrays). */
interface Answers {
  depth: number[];
  intrinsics: number[];
  poses: number[];
  tracksCamera: { xyz: number[]; uv: number[]; visibility: number[]; confidence: number[] };
  tracksWorld: number[];
  query: { xyz: number[]; uv: number[]; normal: number[]; displacement: number[] };
}

const TRACK_POINTS = { u: [0.5, 0.2, 0.8, 0.35], v: [0.5, 0.3, 0.7, 0.9], frame: [0, 3, 7, 5] };
const QUERIES = { u: [0.1, 0.5, 0.9, 0.33], v: [0.2, 0.5, 0.8, 0.66], tSrc: [0, 2, 7, 4], tTgt: [1, 2, 0, 6], tCam: [0, 5, 7, 4] };

async function nodeAnswers(folder: string, video: { data: Uint8Array; frames: number; width: number; height: number }): Promise<Answers> {
  const model = await loadNodeModel(folder, { device: 'cpu', threads: 1 });
  try {
    const scene = await model.encode(video);
    const cams = await scene.cameras();
    const cam = await scene.track(TRACK_POINTS, { frame: 'camera' });
    const world = await scene.track(TRACK_POINTS, { frame: 'world', referenceFrame: 0 });
    const q = await scene.query(QUERIES);
    return {
      depth: Array.from((await scene.depth()).data),
      intrinsics: cams.intrinsics.flatMap((k) => [k.fx, k.fy, k.cx, k.cy]),
      poses: cams.cameraToWorld.flatMap((m) => Array.from(m)),
      tracksCamera: { xyz: Array.from(cam.xyz), uv: Array.from(cam.uv), visibility: Array.from(cam.visibility), confidence: Array.from(cam.confidence) },
      tracksWorld: Array.from(world.xyz),
      query: { xyz: Array.from(q.xyz), uv: Array.from(q.uv), normal: Array.from(q.normal ?? []), displacement: Array.from(q.displacement ?? []) },
    };
  } finally {
    await model.dispose();
  }
}

function errors(web: Answers, node: Answers): Record<string, number> {
  return {
    depth: relativeError(web.depth, node.depth),
    intrinsics: relativeError(web.intrinsics, node.intrinsics),
    poses: relativeError(web.poses, node.poses),
    tracksXyzCamera: relativeError(web.tracksCamera.xyz, node.tracksCamera.xyz),
    tracksXyzWorld: relativeError(web.tracksWorld, node.tracksWorld),
    tracksUv: relativeError(web.tracksCamera.uv, node.tracksCamera.uv),
    tracksVisibility: relativeError(web.tracksCamera.visibility, node.tracksCamera.visibility),
    tracksConfidence: relativeError(web.tracksCamera.confidence, node.tracksCamera.confidence),
    queryXyz: relativeError(web.query.xyz, node.query.xyz),
    queryUv: relativeError(web.query.uv, node.query.uv),
    normal: relativeError(web.query.normal, node.query.normal),
    displacement: relativeError(web.query.displacement, node.query.displacement),
  };
}

const missing = hasChromium() ? pythonMissing() : 'no Chromium';

describe.skipIf(missing !== null)('a converted OpenD4RT model in headless Chromium (wasm) vs onnxruntime-node', () => {
  let t: TestPage;
  let work: string;
  let video: { data: Uint8Array; frames: number; width: number; height: number };
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'd4rt-opend4rt-web-'));
    convert(path.join(work, 'fp32'), false);
    convert(path.join(work, 'external'), true);
    t = await openTestPage();
    // Served at /files/: both model folders and the fixture's frames.
    for (const name of ['fp32', 'external']) await cp(path.join(work, name), path.join(t.files, name), { recursive: true });
    await cp(path.join(FIXTURE, 'frames.u8'), path.join(t.files, 'frames.u8'));
    const meta = JSON.parse(await readFile(path.join(FIXTURE, 'fixture.json'), 'utf8')) as { files: { frames: { shape: [number, number, number, number] } } };
    const [frames, height, width] = meta.files.frames.shape;
    video = { data: new Uint8Array(await readFile(path.join(FIXTURE, 'frames.u8'))), frames, width, height };
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Loads `/files/<name>/` in the page (or its worker) and answers. */
  const inPage = (name: string, worker: boolean) =>
    t.page.evaluate(
      async ({ name, worker, points, queries, video }) => {
        const { d4rt } = window as unknown as { d4rt: typeof import('../src/index.js') };
        const reads: { done: number; total: number }[] = [];
        const options = { device: 'wasm' as const, wasmPaths: '/ort/', cache: `d4rt-test-opend4rt-${name}`, onProgress: (p: { stage: string; done: number; total: number }) => void (p.stage === 'read' && reads.push(p)) };
        const model = worker ? await d4rt.loadModelInWorker(`/files/${name}/`, { ...options, worker: '/worker.js' }) : await d4rt.loadModel(`/files/${name}/`, options);
        const data = new Uint8Array(await (await fetch('/files/frames.u8')).arrayBuffer());
        const scene = await model.encode({ data, ...video });
        const cams = await scene.cameras();
        const cam = await scene.track(points, { frame: 'camera' });
        const world = await scene.track(points, { frame: 'world', referenceFrame: 0 });
        const q = await scene.query(queries);
        const depth = await scene.depth();
        const answers = {
          depth: Array.from(depth.data),
          intrinsics: cams.intrinsics.flatMap((k) => [k.fx, k.fy, k.cx, k.cy]),
          poses: cams.cameraToWorld.flatMap((m) => Array.from(m)),
          tracksCamera: { xyz: Array.from(cam.xyz), uv: Array.from(cam.uv), visibility: Array.from(cam.visibility), confidence: Array.from(cam.confidence) },
          tracksWorld: Array.from(world.xyz),
          query: { xyz: Array.from(q.xyz), uv: Array.from(q.uv), normal: Array.from(q.normal ?? []), displacement: Array.from(q.displacement ?? []) },
        };
        const types = { normal: q.normal?.constructor.name, displacement: q.displacement?.constructor.name };
        scene.dispose();
        await model.dispose();
        const cached = (await (await caches.open(`d4rt-test-opend4rt-${name}`)).keys()).map((r) => new URL(r.url).pathname).sort();
        return { answers, backend: model.backend, verified: model.loadedFrom?.verified, reads, types, cached };
      },
      { name, worker, points: TRACK_POINTS, queries: QUERIES, video: { frames: video.frames, width: video.width, height: video.height } },
    );

  for (const [name, worker] of [['fp32', false], ['external', false], ['external', true]] as const) {
    it(`${name === 'fp32' ? 'one file per graph' : 'weights in external data files'}${worker ? ', in a worker' : ''}: depth, cameras, tracks, normal and displacement within 1e-4 relative`, async () => {
      const folder = path.join(work, name);
      const web = await inPage(name, worker);
      const node = await nodeAnswers(folder, video);
      const e = errors(web.answers, node);
      console.info(`OpenD4RT ${name}${worker ? ' (worker)' : ''}: browser wasm vs onnxruntime-node, relative errors ${JSON.stringify(Object.fromEntries(Object.entries(e).map(([k, v]) => [k, Number(v.toPrecision(2))])))}`);
      for (const [output, err] of Object.entries(e)) expect(err, output).toBeLessThanOrEqual(1e-4);
      expect(web.backend).toBe('onnxruntime-web:wasm');
      expect(web.verified).toBe(true);
      expect(web.types).toEqual({ normal: 'Float32Array', displacement: 'Float32Array' });
      expect(web.answers.query.normal).toHaveLength(QUERIES.u.length * 3);
      // Not trivially equal: the depth varies over the frames.
      expect(Math.max(...web.answers.depth) - Math.min(...web.answers.depth)).toBeGreaterThan(1e-3 * Math.max(...web.answers.depth.map(Math.abs)));
      // Every file, the external data too, downloaded with byte progress and cached under its hash.
      const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { files: Record<string, string> & { externalData?: Record<string, string[]> } };
      const { externalData, ...graphFiles } = manifest.files;
      const data = Object.values(externalData ?? {}).flat();
      if (name === 'external') expect(data).toEqual(expect.arrayContaining(['encoder.onnx.data', 'decoder.onnx.data']));
      else expect(data).toEqual([]);
      const files = [...Object.values(graphFiles), ...data];
      let total = 0;
      for (const f of files) total += (await readFile(path.join(folder, f))).length;
      expect(web.reads.at(-1)).toEqual({ stage: 'read', done: total, total });
      expect(web.cached).toEqual([...files.map((f) => `/files/${name}/${f}`), `/files/${name}/manifest.json`].sort());
    });
  }

  it('the external data is read from the cache on the second load', async () => {
    const requests: string[] = [];
    const onRequest = (req: { url(): string }): void => void requests.push(new URL(req.url()).pathname);
    t.page.on('request', onRequest);
    try {
      await inPage('external', false);
    } finally {
      t.page.off('request', onRequest);
    }
    expect(requests.filter((p) => p.startsWith('/files/external/'))).toEqual(['/files/external/manifest.json']);
  });
});
