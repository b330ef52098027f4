/**
 * `signal` in the dataset readers: checked before each file, passed on to the frame readers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readDataset } from './index.js';
import { tempDir } from '../test/io-helpers.js';

const tmp = await tempDir('d4rt-dataset-abort-');
const W = 8, H = 6, T = 6;

/** An images + poses folder of T frames with a depth PNG per frame. */
async function makeSequence(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'depth'), { recursive: true });
  for (let t = 0; t < T; t++) {
    await sharp(Buffer.alloc(W * H * 3, 30 * t), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, `${t}.png`));
    await sharp(new Uint16Array(W * H).fill(1000 + t), { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toFile(path.join(dir, 'depth', `${t}.png`));
  }
  await writeFile(path.join(dir, 'poses.txt'), Array.from({ length: T }, (_, t) => `${t} ${t} 0 0 0 0 0 1`).join('\n') + '\n');
}

/**
 * A real AbortSignal whose controller aborts at the `abortAt`-th `throwIfAborted()` call (counting
 * every call), so the abort lands at a known point in the middle of a read.
 */
function abortOnCheck(abortAt: number): { signal: AbortSignal; checks: () => number; reason: Error } {
  const controller = new AbortController();
  const reason = new Error('stop reading');
  const { signal } = controller;
  let n = 0;
  const original = signal.throwIfAborted.bind(signal);
  Object.defineProperty(signal, 'throwIfAborted', {
    value: () => {
      n++;
      if (n === abortAt) controller.abort(reason);
      original();
    },
  });
  return { signal, checks: () => n, reason };
}

describe('dataset readers and options.signal', () => {
  const dir = path.join(tmp, 'walk');

  it('an aborted signal rejects with its reason before anything is read; a bad one is named', async () => {
    await makeSequence(dir);
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    controller.abort(reason);
    await expect(readDataset(dir, { signal: controller.signal })).rejects.toBe(reason);
    await expect(readDataset(dir, { signal: 'soon' as unknown as AbortSignal })).rejects.toThrow(/options\.signal \("soon"\) must be an AbortSignal/);
  });

  it('is checked before every file: an abort in the middle of the depth maps rejects with its reason', async () => {
    const counting = abortOnCheck(Number.POSITIVE_INFINITY);
    const seq = await readDataset(dir, { signal: counting.signal });
    expect(seq.video.frames).toBe(T);
    expect(seq.depth![(T - 1) * W * H]).toBeCloseTo((1000 + T - 1) / 1000, 6);
    const total = counting.checks();
    // the images (read by readFrames) and each depth map are checked
    expect(total).toBeGreaterThanOrEqual(2 * T);
    const late = abortOnCheck(total - 1);
    await expect(readDataset(dir, { signal: late.signal })).rejects.toBe(late.reason);
    const early = abortOnCheck(3);
    await expect(readDataset(dir, { signal: early.signal })).rejects.toBe(early.reason);
  });
});
