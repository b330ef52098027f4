import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SINTEL_TAG, readDataset, readSintel } from './index.js';
import { expectInvalidVideo, tempDir } from '../test/io-helpers.js';

const tmp = await tempDir('d4rt-sintel-');
const W = 16, H = 8;

/** A `.dpt` file as Sintel's `depth_write` makes it: tag, width, height, float32 depths. */
function dpt(width: number, height: number, depth: (i: number) => number): Buffer {
  const b = Buffer.alloc(12 + width * height * 4);
  b.writeFloatLE(SINTEL_TAG, 0);
  b.writeInt32LE(width, 4);
  b.writeInt32LE(height, 8);
  for (let i = 0; i < width * height; i++) b.writeFloatLE(depth(i), 12 + 4 * i);
  return b;
}

/** A `.cam` file as Sintel's `cam_write` makes it: tag, then M (3x3) and N (3x4), row-major float64. */
function cam(M: number[], N: number[]): Buffer {
  const b = Buffer.alloc(4 + 21 * 8);
  b.writeFloatLE(SINTEL_TAG, 0);
  [...M, ...N].forEach((v, i) => b.writeDoubleLE(v, 4 + 8 * i));
  return b;
}

/**
 * A Sintel scene: final/ and clean/ frames, depth/*.dpt, camdata_left/*.cam. Camera t sits at
 * world c = (t, 0, 0), turned 0.1 t rad about y: N = [R | -R c] with R the world-to-camera
 * rotation; fx = 20, fy = 21, cx = 7.5, cy = 3.5.
 */
async function makeSintel(dir: string, frames = 3): Promise<void> {
  for (const sub of ['final', 'clean', 'depth', 'camdata_left']) await mkdir(path.join(dir, sub), { recursive: true });
  for (let t = 0; t < frames; t++) {
    const name = `frame_${String(t + 1).padStart(4, '0')}`;
    await sharp(Buffer.alloc(W * H * 3, 100 + t), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'final', `${name}.png`));
    await sharp(Buffer.alloc(W * H * 3, 10 + t), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'clean', `${name}.png`));
    await writeFile(path.join(dir, 'depth', `${name}.dpt`), dpt(W, H, (i) => 2 + t + i / 1000));
    const c = Math.cos(0.1 * t), s = Math.sin(0.1 * t);
    const R = [c, 0, s, 0, 1, 0, -s, 0, c];
    const N = [R[0]!, R[1]!, R[2]!, -R[0]! * t, R[3]!, R[4]!, R[5]!, -R[3]! * t, R[6]!, R[7]!, R[8]!, -R[6]! * t];
    await writeFile(path.join(dir, 'camdata_left', `${name}.cam`), cam([20, 0, 7.5, 0, 21, 3.5, 0, 0, 1], N));
  }
}

describe('readSintel (a generated sample in the Sintel layout)', () => {
  it('reads final/ frames, .dpt depth (camera z) and .cam cameras (world-to-camera inverted)', async () => {
    const dir = path.join(tmp, 'alley_1');
    await makeSintel(dir);
    const seq = await readDataset(dir);
    expect(seq).toMatchObject({ name: 'alley_1', layout: 'sintel' });
    expect(seq.video).toMatchObject({ frames: 3, width: W, height: H });
    expect(seq.video.data[2 * W * H * 3]).toBe(102); // final/, not clean/
    expect(seq.depth![2 * W * H + 5]).toBeCloseTo(4.005, 5);
    expect(seq.intrinsics![1]).toEqual({ fx: 20, fy: 21, cx: 7.5, cy: 3.5 });
    const p = seq.cameraToWorld![2]!;
    // camera-to-world = [R^T | c]: column-major, column 0 is R's row 0; the centre is (2, 0, 0)
    const expected = [Math.cos(0.2), 0, Math.sin(0.2), 0, 0, 1, 0, 0, -Math.sin(0.2), 0, Math.cos(0.2), 0, 2, 0, 0, 1];
    expected.forEach((v, i) => expect(p[i]).toBeCloseTo(v, 6));
    expect(seq.notes).toEqual(["frames from final/; depth in Sintel's scene units (not metres)"]);
  });

  it('clean/ when there is no final/; errors name the file', async () => {
    const dir = path.join(tmp, 'clean-only');
    await makeSintel(dir, 2);
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'final'), { recursive: true });
    const seq = await readSintel(dir);
    expect(seq.video.data[W * H * 3]).toBe(11);
    await writeFile(path.join(dir, 'depth', 'frame_0002.dpt'), dpt(W, H + 1, () => 1));
    await expectInvalidVideo(readSintel(dir), 'bad-frames', /frame_0002\.dpt: depth is 16x9 but frame_0002\.png is 16x8/);
    await writeFile(path.join(dir, 'depth', 'frame_0002.dpt'), Buffer.from('not a depth file'));
    await expectInvalidVideo(readSintel(dir), 'bad-frames', /frame_0002\.dpt: not a Sintel \.dpt depth file/);
    await rm(path.join(dir, 'camdata_left', 'frame_0001.cam'));
    await writeFile(path.join(dir, 'depth', 'frame_0002.dpt'), dpt(W, H, () => 1));
    await expectInvalidVideo(readSintel(dir), 'not-found', /camdata_left\/frame_0001\.cam does not exist/);
  });
});
