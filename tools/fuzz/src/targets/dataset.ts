/**
 * `readDataset` / `detectDatasetLayout` on sequence folders made for the case in every layout the
 * readers take (TUM RGB-D in both forms, Sintel, TAPVid-3D with a video beside it, images + poses
 * in its three pose formats, d4rt-clip, pi3-room, Open3D), then broken: files removed or emptied,
 * lines dropped or added (counts that no longer match), numbers made unparsable, JSON mutated,
 * bytes flipped, a folder where a file should be; and fuzzed options (`world`, `intrinsics`).
 *
 * @module
 */
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SINTEL_TAG, detectDatasetLayout, readDataset } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, mutateBytes, mutateJson, mutateText, randomValue, show } from '../mutate.js';
import { f32, f64, npyBytes, zipStored } from '../npz-writer.js';
import type { Rng } from '../rng.js';
import { SEED_H, SEED_W, imageSeedPath } from '../seeds.js';

/** The layouts a case builds. */
export type Layout = 'tum' | 'tum-folder' | 'sintel' | 'tapvid3d-video' | 'image-poses' | 'clip' | 'pi3-room' | 'open3d';

/** A quaternion pose line of TUM's format at time t. */
const tumLine = (t: number): string => `${t.toFixed(6)} ${t} ${2 * t} 0.5 0 ${Math.sin(t / 2).toFixed(6)} 0 ${Math.cos(t / 2).toFixed(6)}`;
const rowMajor = (t: number): number[][] => [[1, 0, 0, t], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

/** Writes a sequence of `n` frames in `layout` into `dir`; returns the path to read (a folder, or the .npz). */
export async function build(rng: Rng, layout: Layout, dir: string, seeds: string, n: number): Promise<string> {
  const png = imageSeedPath(seeds, 'png'), grey16 = imageSeedPath(seeds, 'png-grey16'), jpeg = imageSeedPath(seeds, 'jpeg');
  const put = async (rel: string, data: string | Uint8Array): Promise<void> => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), data);
  };
  const cp = async (from: string, rel: string): Promise<void> => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await copyFile(from, path.join(dir, rel));
  };
  const times = Array.from({ length: n }, (_, i) => 1 + i / 30);
  switch (layout) {
    case 'tum':
    case 'tum-folder': {
      for (const t of times) {
        await cp(png, `rgb/${t.toFixed(6)}.png`);
        if (layout === 'tum' || rng.chance(0.5)) await cp(grey16, `depth/${(t + 0.002).toFixed(6)}.png`);
      }
      if (layout === 'tum') {
        await put('rgb.txt', '# timestamp filename\n' + times.map((t) => `${t.toFixed(6)} rgb/${t.toFixed(6)}.png`).join('\n') + '\n');
        await put('depth.txt', '# timestamp filename\n' + times.map((t) => `${(t + 0.002).toFixed(6)} depth/${(t + 0.002).toFixed(6)}.png`).join('\n') + '\n');
      }
      await put('groundtruth.txt', '# timestamp tx ty tz qx qy qz qw\n' + Array.from({ length: n * 3 + 2 }, (_, i) => tumLine(0.99 + i / 90)).join('\n') + '\n');
      return dir;
    }
    case 'sintel': {
      const pass = rng.chance(0.8) ? 'final' : 'clean';
      for (let i = 1; i <= n; i++) {
        const stem = `frame_${String(i).padStart(4, '0')}`;
        await cp(png, `${pass}/${stem}.png`);
        const d = Buffer.alloc(12 + SEED_W * SEED_H * 4);
        d.writeFloatLE(SINTEL_TAG, 0);
        d.writeInt32LE(SEED_W, 4);
        d.writeInt32LE(SEED_H, 8);
        for (let p = 0; p < SEED_W * SEED_H; p++) d.writeFloatLE(2 + p / 1000, 12 + 4 * p);
        await put(`depth/${stem}.dpt`, d);
        const c = Buffer.alloc(172);
        c.writeFloatLE(SINTEL_TAG, 0);
        [40, 0, 11.5, 0, 40, 7.5, 0, 0, 1, 1, 0, 0, i / 10, 0, 1, 0, 0, 0, 0, 1, 0].forEach((v, k) => c.writeDoubleLE(v, 4 + 8 * k));
        await put(`camdata_left/${stem}.cam`, c);
      }
      return dir;
    }
    case 'tapvid3d-video': {
      // no images_jpeg_bytes: the frames come from the video of the same name (12 frames)
      const T = rng.pick([12, 12, 12, 11, 1]), N = 2;
      const files = {
        'tracks_XYZ.npy': npyBytes({ descr: '<f4', shape: [T, N, 3], data: f32(Array.from({ length: T * N * 3 }, (_, i) => (i % 3 === 2 ? 2 : 0.1))) }),
        'visibility.npy': npyBytes({ descr: '|b1', shape: [T, N], data: new Uint8Array(T * N).fill(1) }),
        'fx_fy_cx_cy.npy': npyBytes({ descr: '<f8', shape: [4], data: f64([30, 30, 15.5, 11.5]) }),
      };
      await put('clip.npz', zipStored(files));
      await cp(path.join(seeds, rng.pick(['tiny.mp4', 'tiny.avi', 'tiny.webm'])), rng.pick(['clip.mp4', 'clip.avi', 'clip.webm', 'clip.mkv']));
      return path.join(dir, 'clip.npz');
    }
    case 'image-poses': {
      const sub = rng.chance(0.5) ? 'images/' : '';
      for (let i = 0; i < n; i++) await cp(rng.chance(0.8) ? png : jpeg, `${sub}${i}.${rng.chance(0.8) ? 'png' : 'jpg'}`);
      const format = rng.pick(['poses.txt', 'trajectory.tum', 'poses.json'] as const);
      if (format === 'poses.json') await put(format, JSON.stringify(rng.chance(0.5) ? times.map(rowMajor) : { cameraToWorld: times.map((t) => rowMajor(t).flat()) }));
      else await put(format, times.map(tumLine).join('\n') + '\n');
      if (rng.chance(0.4)) {
        for (let i = 0; i < n; i++) {
          if (rng.chance(0.5)) await cp(grey16, `depth/${i}.png`);
          else await put(`depth/${i}.npy`, npyBytes({ descr: '<f4', shape: [SEED_H, SEED_W], data: f32(new Array(SEED_W * SEED_H).fill(1.5)) }));
        }
      }
      return dir;
    }
    case 'clip': {
      const T = n, W = 8, H = 6;
      await put('frames.u8', new Uint8Array(T * H * W * 3).fill(90));
      await put('depth.f32', f32(new Array(T * H * W).fill(2)));
      await put('clip.json', JSON.stringify({ format: 'd4rt-clip/1', frames: T, width: W, height: H, fps: 8, intrinsics: Array.from({ length: T }, () => [10, 10, 3.5, 2.5]), cameraToWorld: times.map(rowMajor), files: { frames: 'frames.u8', depth: 'depth.f32' } }));
      return dir;
    }
    case 'pi3-room': {
      for (let i = 0; i < n; i++) {
        await cp(png, `rgb/${i}.png`);
        await put(`depth/${i}.f32`, f32(new Array(SEED_W * SEED_H).fill(1.25)));
      }
      await put('cameras.json', JSON.stringify({ width: SEED_W, height: SEED_H, frames: n, intrinsics: Array.from({ length: n }, () => [[30, 0, 11.5], [0, 30, 7.5], [0, 0, 1]]), cameraToWorld: times.map(rowMajor) }));
      return dir;
    }
    case 'open3d': {
      for (let i = 0; i < n; i++) {
        await cp(grey16, `depth/${i}.png`);
        await cp(jpeg, `color/${i}.jpg`);
      }
      await put('rgbd.match', Array.from({ length: n }, (_, i) => `depth/${i}.png color/${i}.jpg`).join('\n') + '\n');
      await put('trajectory.log', times.map((t, i) => `${i} ${i} ${i + 1}\n${rowMajor(t).map((r) => r.join(' ')).join('\n')}`).join('\n') + '\n');
      return dir;
    }
  }
}

/** Every file and folder under `dir`, relative. */
async function entries(dir: string, rel = ''): Promise<{ rel: string; folder: boolean }[]> {
  const out: { rel: string; folder: boolean }[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    out.push({ rel: r, folder: e.isDirectory() });
    if (e.isDirectory()) out.push(...(await entries(dir, r)));
  }
  return out;
}

const TEXT = /\.(txt|tum|log|match|json)$/;

/** One dataset-level break of the folder (see the module notes); returns what it did. */
export async function breakFolder(rng: Rng, dir: string): Promise<string> {
  const all = await entries(dir);
  if (all.length === 0) return 'nothing to break';
  const files = all.filter((e) => !e.folder);
  const texts = files.filter((e) => TEXT.test(e.rel));
  const some = files.length > 0;
  const kind = rng.weighted({ remove: 3, lines: texts.length ? 3 : 0, numbers: texts.length ? 2 : 0, text: texts.length ? 2 : 0, json: files.some((e) => e.rel.endsWith('.json')) ? 3 : 0, bytes: some ? 3 : 0, empty: some ? 1 : 0, folder: some ? 0.5 : 0, extra: some ? 1.5 : 0 });
  const target = rng.pick(kind === 'lines' || kind === 'numbers' || kind === 'text' ? texts : kind === 'json' ? files.filter((e) => e.rel.endsWith('.json')) : kind === 'remove' ? all : files);
  const abs = path.join(dir, target.rel);
  switch (kind) {
    case 'remove':
      await rm(abs, { recursive: true, force: true });
      return `removed ${target.rel}`;
    case 'lines': {
      const lines = (await readFile(abs, 'utf8')).split('\n');
      const at = rng.int(0, Math.max(0, lines.length - 1));
      if (rng.chance(0.6)) lines.splice(at, 1);
      else lines.splice(at, 0, lines[rng.int(0, lines.length - 1)] ?? '');
      await writeFile(abs, lines.join('\n'));
      return `${target.rel}: line ${at + 1} ${lines.length ? 'dropped or repeated' : ''}`;
    }
    case 'numbers':
    case 'text': {
      const t = kind === 'numbers'
        ? { text: (await readFile(abs, 'utf8')).replace(/-?\d+(\.\d+)?(e-?\d+)?/g, (m) => (rng.chance(0.2) ? rng.pick(['NaN', 'inf', '1e999', 'x', '--1', '1.2.3', '0x1f', '']) : m)), what: 'numbers made unparsable' }
        : mutateText(rng, await readFile(abs, 'utf8'));
      await writeFile(abs, t.text);
      return `${target.rel}: ${t.what}`;
    }
    case 'json': {
      let json: unknown;
      try {
        json = JSON.parse(await readFile(abs, 'utf8'));
      } catch {
        return `${target.rel}: not JSON any more`;
      }
      if (typeof json !== 'object' || json === null) return `${target.rel}: not an object`;
      const what = mutateJson(rng, json as Record<string, unknown>);
      await writeFile(abs, JSON.stringify(json) ?? '');
      return `${target.rel}: ${what}`;
    }
    case 'bytes': {
      const m = mutateBytes(rng, await readFile(abs));
      await writeFile(abs, m.bytes);
      return `${target.rel}: ${m.what}`;
    }
    case 'empty':
      await writeFile(abs, '');
      return `${target.rel}: emptied`;
    case 'folder':
      await rm(abs, { recursive: true, force: true });
      await mkdir(abs);
      return `${target.rel}: replaced by a folder`;
    default: {
      // one more image (or file) than the lists and poses know of
      const src = rng.pick(files);
      const ext = path.extname(src.rel);
      const copy = path.join(path.dirname(src.rel), `9${path.basename(src.rel, ext)}${ext}`);
      await copyFile(path.join(dir, src.rel), path.join(dir, copy));
      return `extra ${copy}`;
    }
  }
}

/** Whether intrinsics are allowed: finite numbers, fx and fy > 0. */
function intrinsicsAllowed(k: unknown): boolean {
  if (typeof k !== 'object' || k === null) return false;
  const { fx, fy, cx, cy } = k as Record<string, unknown>;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  return finite(fx) && fx > 0 && finite(fy) && fy > 0 && finite(cx) && finite(cy);
}

/** Whether dataset options are allowed. */
function datasetOptionsAllowed(o: Record<string, unknown>): boolean {
  return (o.world === undefined || o.world === 'source' || o.world === 'camera0') && (o.intrinsics === undefined || intrinsicsAllowed(o.intrinsics));
}

/** Options: usually none; sometimes a world or intrinsics, valid or not. */
function fuzzOptions(rng: Rng): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (rng.chance(0.15)) o.world = rng.pick(['source', 'camera0', 'world', '', 0, null]);
  if (rng.chance(0.15)) {
    const k: Record<string, unknown> = { fx: 30, fy: 30, cx: 11.5, cy: 7.5 };
    if (rng.chance(0.6)) k[rng.pick(['fx', 'fy', 'cx', 'cy'])] = rng.chance(0.7) ? rng.pick(EDGE_NUMBERS) : randomValue(rng);
    if (rng.chance(0.1)) delete k[rng.pick(['fx', 'fy', 'cx', 'cy'])];
    o.intrinsics = rng.chance(0.9) ? k : randomValue(rng);
  }
  return o;
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng } = ctx;
  const layout = rng.weighted<Layout>({ tum: 3, 'tum-folder': 2, sintel: 3, 'tapvid3d-video': 1, 'image-poses': 3, clip: 1, 'pi3-room': 1, open3d: 0.5 });
  const name = layout.startsWith('tum') ? rng.pick(['rgbd_dataset_freiburg1_xyz', 'rgbd_dataset_freiburg3_walk', 'sequence']) : 'sequence';
  const dir = path.join(ctx.dir, name);
  await mkdir(dir, { recursive: true });
  const n = rng.pick([1, 2, 3, 4]);
  const input = await build(rng, layout, dir, ctx.seeds, n);
  const what = [`${layout}, ${n} frames`];
  for (let k = rng.chance(0.1) ? 0 : rng.int(1, 3); k > 0; k--) what.push(await breakFolder(rng, dir));
  const options = fuzzOptions(rng);
  if (!datasetOptionsAllowed(options)) ctx.badArgument();
  const shown = Object.entries(options).map(([k, v]) => `${k}: ${show(v)}`).join(', ');
  if (rng.chance(0.1)) {
    ctx.describe(`detectDatasetLayout(${what.join('; ')})`);
    await detectDatasetLayout(input);
    return;
  }
  ctx.describe(`readDataset(${what.join('; ')}${shown ? `, { ${shown} }` : ''})`);
  const seq = await readDataset(input, options);
  const { frames, width, height } = seq.video;
  if (seq.video.data.length !== frames * width * height * 3) throw new Error(`readDataset: video.data.length ${seq.video.data.length} is not ${frames} x ${height} x ${width} x 3`);
  if (seq.depth && seq.depth.length !== frames * width * height) throw new Error(`readDataset: depth.length ${seq.depth.length} is not ${frames} x ${height} x ${width}`);
  if (seq.cameraToWorld && seq.cameraToWorld.length !== frames) throw new Error(`readDataset: ${seq.cameraToWorld.length} poses for ${frames} frames`);
  if (seq.intrinsics && seq.intrinsics.length !== frames) throw new Error(`readDataset: ${seq.intrinsics.length} intrinsics for ${frames} frames`);
}
