/**
 * `readFrames` / `openFrames` on one to four image files made from the seeds: mutated bytes
 * (truncated, flipped, zero-length, huge sizes in the header), wrong extensions, a folder or a
 * missing path among them, and fuzzed options.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openFrames, readFrames } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, mutateBytes, randomValue, show } from '../mutate.js';
import type { Rng } from '../rng.js';
import { IMAGE_SEEDS, imageSeedPath, type ImageSeed } from '../seeds.js';

/** Extensions a wrongly named file gets. */
const WRONG_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'tif', 'ppm', 'pgm', 'pbm', 'pam', 'bmp', 'gif', 'mp4', 'txt', ''];

/**
 * How often each seed format is drawn: the formats decoded by ffmpeg (a process per image, some
 * 100 ms) less often than those sharp decodes in-process.
 */
const FORMAT_WEIGHTS: Record<ImageSeed, number> = { png: 3, 'png-rgba': 2, 'png-grey16': 2, jpeg: 3, webp: 2, tiff: 2, ppm: 1, 'ppm-ascii': 0.5, pgm: 0.5, pbm: 0.5, pam: 0.5, bmp: 1 };

/** A seed image format, drawn by {@link FORMAT_WEIGHTS}. */
export function pickFormat(rng: Rng): ImageSeed {
  return rng.weighted(FORMAT_WEIGHTS);
}

/**
 * Writes one image for a case into `dir` as `name` (plus an extension): a seed, mutated with
 * probability `pMutate`, sometimes under a wrong extension; returns its path and what was done.
 */
export async function caseImage(rng: Rng, seeds: string, dir: string, name: string, pMutate = 0.7, format: ImageSeed = pickFormat(rng)): Promise<{ file: string; what: string }> {
  let bytes: Uint8Array = await readFile(imageSeedPath(seeds, format));
  const what: string[] = [format];
  if (rng.chance(pMutate)) {
    const m = mutateBytes(rng, bytes);
    bytes = m.bytes;
    what.push(m.what);
  }
  let ext: string = IMAGE_SEEDS[format];
  if (rng.chance(0.15)) {
    ext = rng.pick(WRONG_EXTENSIONS);
    what.push(`named .${ext}`);
  }
  const file = path.join(dir, ext ? `${name}.${ext}` : name);
  await writeFile(file, bytes);
  return { file, what: what.join(' ') };
}

/** Whether a `frames` option is allowed (an integer >= 1, or absent). */
export const framesAllowed = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 1);
/** Whether a `maxBytes` option is allowed (a number > 0, or absent). */
export const maxBytesAllowed = (v: unknown): boolean => v === undefined || (typeof v === 'number' && v > 0);
/** Whether an `fps` option is allowed (a finite number > 0, or absent). */
const fpsAllowed = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v > 0);

/** Options for readFrames / openFrames: usually none, sometimes fuzzed; `bad` when one is not allowed. */
function fuzzOptions(rng: Rng): { options: Record<string, unknown>; bad: boolean } {
  const o: Record<string, unknown> = {};
  if (rng.chance(0.2)) o.frames = rng.chance(0.7) ? rng.pick(EDGE_NUMBERS) : randomValue(rng);
  if (rng.chance(0.1)) o.maxBytes = rng.chance(0.7) ? rng.pick([1, 100, 1152, 1e9, ...EDGE_NUMBERS]) : randomValue(rng);
  if (rng.chance(0.1)) o.fps = rng.chance(0.7) ? rng.pick(EDGE_NUMBERS) : randomValue(rng);
  if (rng.chance(0.03)) o.signal = randomValue(rng);
  if (rng.chance(0.03)) o.onProgress = randomValue(rng);
  const bad = !framesAllowed(o.frames) || !maxBytesAllowed(o.maxBytes) || !fpsAllowed(o.fps) || o.signal !== undefined || o.onProgress !== undefined;
  return { options: o, bad };
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng, dir } = ctx;
  const n = rng.pick([1, 1, 2, 2, 3, 4]);
  const sameFormat = rng.chance(0.6) ? pickFormat(rng) : undefined;
  const files: string[] = [];
  const what: string[] = [];
  for (let i = 0; i < n; i++) {
    const odd = rng.chance(0.04) ? rng.pick(['folder', 'missing'] as const) : null;
    if (odd === 'folder') {
      files.push(path.join(dir, `frame${i}.png`));
      await mkdir(files[i]!);
      what.push('a folder');
    } else if (odd === 'missing') {
      files.push(path.join(dir, `missing${i}.png`));
      what.push('a missing file');
    } else {
      const img = await caseImage(rng, ctx.seeds, dir, `frame${i}`, i === 0 || rng.chance(0.5) ? 0.7 : 0.2, sameFormat);
      files.push(img.file);
      what.push(img.what);
    }
  }
  const { options, bad } = fuzzOptions(rng);
  if (bad) ctx.badArgument();
  const shown = Object.entries(options).map(([k, v]) => `${k}: ${show(v)}`).join(', ');
  if (rng.chance(0.6)) {
    ctx.describe(`readFrames([${what.join('; ')}], { ${shown} })`);
    await readFrames(files, options);
    return;
  }
  ctx.describe(`openFrames([${what.join('; ')}], { ${shown} }) then read every frame`);
  const source = await openFrames(files, options);
  const indices = Int32Array.from({ length: source.frames }, (_, i) => i);
  for await (const frame of source.read(indices)) {
    if (frame.data.length !== source.width * source.height * 3) throw new Error(`openFrames: frame ${frame.index} holds ${frame.data.length} bytes, not ${source.width}x${source.height} RGB`);
  }
}
