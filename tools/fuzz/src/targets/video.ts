/**
 * `readVideo` / `openVideo` (then reading frames) on video files made from the seeds (MP4 with the
 * index at the end or the start, MJPEG AVI, VP8 WebM, the demo clip): truncated at random offsets,
 * flipped bytes, huge sizes in `tkhd` / `avc1`, zero-length, wrong extensions, an image or text in
 * place of a video, and fuzzed options.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openVideo, readVideo } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, mutateBytes, randomValue, show } from '../mutate.js';
import { IMAGE_SEEDS, VIDEO_SEEDS, imageSeedPath, type ImageSeed } from '../seeds.js';
import { framesAllowed, maxBytesAllowed } from './image.js';

export async function run(ctx: CaseContext): Promise<void> {
  const { rng, dir } = ctx;
  const what: string[] = [];
  let bytes: Uint8Array;
  const source = rng.weighted({ video: 9, image: 0.5, text: 0.5 });
  if (source === 'video') {
    const seed = rng.weighted({ 'tiny.mp4': 3, 'tiny-faststart.mp4': 3, 'tiny.avi': 2, 'tiny.webm': 2, 'demo.mp4': 1 } satisfies Record<(typeof VIDEO_SEEDS)[number], number>);
    bytes = await readFile(path.join(ctx.seeds, seed));
    what.push(seed);
    if (rng.chance(0.85)) {
      for (let k = rng.chance(0.8) ? 1 : rng.int(2, 3); k > 0; k--) {
        const m = mutateBytes(rng, bytes);
        bytes = m.bytes;
        what.push(m.what);
      }
    }
  } else if (source === 'image') {
    const format = rng.pick(Object.keys(IMAGE_SEEDS) as ImageSeed[]);
    bytes = await readFile(imageSeedPath(ctx.seeds, format));
    what.push(`a ${format} image`);
  } else {
    bytes = Buffer.from(rng.pick(['hello\n', '{"format":"mp4"}', '\u0000'.repeat(100), 'ftypisom'.repeat(20)]));
    what.push('text');
  }
  const ext = rng.chance(0.8) ? 'mp4' : rng.pick(['avi', 'webm', 'mkv', 'mov', 'png', 'txt', '']);
  const file = path.join(dir, ext ? `clip.${ext}` : 'clip');
  await writeFile(file, bytes);
  const options: Record<string, unknown> = {};
  if (rng.chance(0.7)) options.frames = rng.chance(0.85) ? rng.pick([1, 2, 16, 16, 16, 100]) : rng.pick(EDGE_NUMBERS);
  if (rng.chance(0.08)) options.maxBytes = rng.chance(0.7) ? rng.pick([1, 2304, 1e6, ...EDGE_NUMBERS]) : randomValue(rng);
  if (rng.chance(0.04)) options.ffmpegPath = rng.pick(['', '/nonexistent/ffmpeg', '/bin/true', '/bin/false', 7]);
  const shown = Object.entries(options).map(([k, v]) => `${k}: ${show(v)}`).join(', ');
  const pathBad = options.ffmpegPath !== undefined && (typeof options.ffmpegPath !== 'string' || options.ffmpegPath === '');
  if (rng.chance(0.6)) {
    if (!framesAllowed(options.frames) || !maxBytesAllowed(options.maxBytes) || pathBad) ctx.badArgument();
    ctx.describe(`readVideo(${what.join('; ')} as .${ext}, { ${shown} })`);
    const video = await readVideo(file, options);
    if (video.data.length !== video.frames * video.width * video.height * 3) throw new Error(`readVideo: data.length ${video.data.length} is not frames x height x width x 3`);
    return;
  }
  delete options.frames;
  delete options.maxBytes;
  if (pathBad) ctx.badArgument();
  ctx.describe(`openVideo(${what.join('; ')} as .${ext}, { ${shown} }) then read some frames`);
  const src = await openVideo(file, options);
  const picks = [...new Set(Array.from({ length: rng.int(1, 4) }, () => rng.int(0, src.frames - 1)))].sort((a, b) => a - b);
  for await (const frame of src.read(Int32Array.from(picks))) {
    if (frame.data.length !== src.width * src.height * 3) throw new Error(`openVideo: frame ${frame.index} holds ${frame.data.length} bytes, not ${src.width}x${src.height} RGB`);
  }
}
