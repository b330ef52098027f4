/**
 * `D4rtModel.encode` of the real model on `VideoFrames` that are malformed (sizes that do not add
 * up, zero, negative, fractional or huge; data of the wrong type or length; `sourceIndices` of the
 * wrong kind) or odd but valid (one pixel, extreme aspect ratios, one frame, more frames than T),
 * and on the frames of mutated images; a scene that comes out answers a few queries.
 *
 * @module
 */
import { readFrames, type VideoFrames } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, randomValue, show } from '../mutate.js';
import { sharedScene } from '../model.js';
import type { Rng } from '../rng.js';
import { caseImage } from './image.js';

/** A valid video of `frames` frames of `width` x `height` with a pattern. */
function makeVideo(frames: number, width: number, height: number): VideoFrames {
  const data = new Uint8Array(frames * width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 5)) & 255;
  return { data, frames, width, height };
}

/** One malformation of a video (in place); returns what it did. */
function malform(rng: Rng, video: VideoFrames): string {
  const v = video as unknown as Record<string, unknown>;
  const key = rng.weighted({ frames: 2, width: 2, height: 2, data: 3, sourceIndices: 2, fps: 0.5, swap: 0.5 });
  if (key === 'swap') {
    [video.width, video.height] = [video.height, video.width];
    return 'width and height swapped';
  }
  if (key === 'data') {
    // the bytes the sizes call for (an earlier malformation may have replaced data by anything)
    const d = video.data instanceof Uint8Array ? video.data : new Uint8Array(64);
    const change = rng.pick(['short', 'long', 'clamped', 'float', 'array', 'buffer', 'null', 'junk'] as const);
    v.data = change === 'short' ? d.subarray(0, rng.int(0, d.length - 1))
      : change === 'long' ? new Uint8Array(d.length + rng.int(1, 5))
      : change === 'clamped' ? new Uint8ClampedArray(d)
      : change === 'float' ? Float32Array.from(d)
      : change === 'array' ? Array.from(d.subarray(0, 64))
      : change === 'buffer' ? Buffer.from(d)
      : change === 'null' ? null
      : randomValue(rng);
    return `data ${change}`;
  }
  if (key === 'sourceIndices') {
    // one index per frame (an earlier malformation may have made frames anything)
    const n = Number.isInteger(video.frames) && video.frames > 0 && video.frames < 1000 ? video.frames : 4;
    v.sourceIndices = rng.pick([null, 5, 'abc', [], Int32Array.from({ length: n }, (_, i) => i * 2), Int32Array.from({ length: n + 1 }), Float32Array.from({ length: n }, () => NaN), Array.from({ length: n }, () => -1), { length: n }]);
    return `sourceIndices ${show(v.sourceIndices)}`;
  }
  const value = rng.chance(0.8) ? rng.pick(EDGE_NUMBERS) : randomValue(rng);
  v[key] = value;
  return `${key} = ${show(value)}`;
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng } = ctx;
  const { model, video: demo, scene: shared } = await sharedScene(ctx.seeds);
  const T = shared.frames;
  const what: string[] = [];
  let video: VideoFrames;
  const base = rng.weighted({ demo: 3, odd: 3, image: 2 });
  if (base === 'demo') {
    video = { ...demo, data: demo.data.slice() };
    what.push('the demo frames');
  } else if (base === 'odd') {
    const [f, w, h] = rng.pick([[1, 1, 1], [1, 2, 1], [1, 1, 2], [1, 1000, 1], [1, 1, 700], [2, 3, 3], [T + 1, 4, 4], [3 * T, 2, 2], [T, 97, 65]] as const);
    video = makeVideo(f, w, h);
    what.push(`${f} frames of ${w}x${h}`);
  } else {
    const img = await caseImage(rng, ctx.seeds, ctx.dir, 'frame', 0.6);
    what.push(`readFrames(${img.what})`);
    ctx.describe(what.join('; '));
    video = await readFrames([img.file]);
  }
  for (let k = rng.chance(0.6) ? rng.int(1, 2) : 0; k > 0; k--) what.push(malform(rng, video));
  const options: Record<string, unknown> = {};
  if (rng.chance(0.05)) options.onProgress = randomValue(rng);
  if (rng.chance(0.05)) options.signal = randomValue(rng);
  // a video that is not an object with Uint8Array data is a TypeError; the rest must be InvalidVideoError
  const data = (video as { data?: unknown } | null)?.data;
  if (!(data instanceof Uint8Array) || options.onProgress !== undefined || options.signal !== undefined) ctx.badArgument();
  ctx.describe(`D4rtModel.encode(${what.join('; ')}${Object.keys(options).length ? `, { ${Object.entries(options).map(([k, x]) => `${k}: ${show(x)}`).join(', ')} }` : ''})`);
  const scene = await model.encode(video, options);
  try {
    const r = await scene.query({ u: [0, 0.5, 1], v: [0, 0.5, 1], tSrc: [0, 0, T - 1], tTgt: [0, T - 1, 0], tCam: [0, 0, T - 1] });
    if (r.count !== 3) throw new Error(`Scene.query answered ${r.count} of 3 queries`);
  } finally {
    scene.dispose();
  }
}
