import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readDataset, readImagePoses } from './index.js';
import { expectInvalidVideo, tempDir } from '../test/io-helpers.js';

const tmp = await tempDir('d4rt-image-poses-');
const W = 12, H = 8;

/** A float32 `.npy` of shape (H, W) (format 1.0 header padded to 64 bytes). */
function npyF32(values: Float32Array): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${H}, ${W}), }`;
  header = header.padEnd(64 - 10 - 1) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]);
}

/** Images 1.png, 2.png, 10.png (name order with numbers: 1, 2, 10), camera t at (t, 0, 0). */
async function makeImages(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [t, name] of ['1', '2', '10'].entries()) {
    await sharp(Buffer.alloc(W * H * 3, 50 * t), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, `${name}.png`));
  }
}

describe('readImagePoses (generated samples of images + a poses file)', () => {
  it('TUM-format poses.txt, one line per image in name order; no depth, no intrinsics (noted)', async () => {
    const dir = path.join(tmp, 'walk');
    await makeImages(dir);
    await writeFile(path.join(dir, 'poses.txt'), '# t tx ty tz qx qy qz qw\n0 0 0 0 0 0 0 1\n1 1 0 0 0 0 0 1\n2 2 0 0 0 0 0.7071068 0.7071068\n');
    const seq = await readDataset(dir);
    expect(seq).toMatchObject({ name: 'walk', layout: 'image-poses' });
    expect(seq.video).toMatchObject({ frames: 3, width: W, height: H });
    expect(seq.video.data[2 * W * H * 3]).toBe(100); // 10.png is the third frame
    expect(seq.cameraToWorld!.map((p) => p[12])).toEqual([0, 1, 2]);
    expect(seq.cameraToWorld![2]![1]).toBeCloseTo(1, 6); // 90 degrees about z: x axis -> y
    expect(seq.depth).toBeUndefined();
    expect(seq.intrinsics).toBeUndefined();
    expect(seq.notes).toEqual(['no intrinsics (give them to evaluate the focal error)']);
    const K = { fx: 10, fy: 10, cx: 5.5, cy: 3.5 };
    expect((await readImagePoses(dir, { intrinsics: K })).intrinsics).toEqual([K, K, K]);
  });

  it('poses.json of row-major 4x4 matrices, images/ and depth/ (.npy float32 and 16-bit .png millimetres)', async () => {
    const dir = path.join(tmp, 'json');
    await makeImages(path.join(dir, 'images'));
    const m = (x: number): number[][] => [[1, 0, 0, x], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    await writeFile(path.join(dir, 'poses.json'), JSON.stringify({ cameraToWorld: [m(0), m(0.5), m(1)] }));
    await mkdir(path.join(dir, 'depth'));
    const d = new Float32Array(W * H).fill(2.5);
    d[3] = Number.NaN;
    await writeFile(path.join(dir, 'depth', '1.npy'), npyF32(d));
    await writeFile(path.join(dir, 'depth', '2.npy'), npyF32(new Float32Array(W * H).fill(3)));
    await sharp(new Uint16Array(W * H).fill(1500), { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toFile(path.join(dir, 'depth', '10.png'));
    const seq = await readDataset(dir);
    expect(seq.layout).toBe('image-poses');
    expect(seq.cameraToWorld!.map((p) => p[12])).toEqual([0, 0.5, 1]);
    expect([seq.depth![0], seq.depth![3], seq.depth![W * H], seq.depth![2 * W * H]]).toEqual([2.5, 0, 3, 1.5]);
  });

  it('bad-frames when the counts differ, not-found for a missing depth file', async () => {
    const dir = path.join(tmp, 'bad');
    await makeImages(dir);
    await writeFile(path.join(dir, 'trajectory.tum'), '0 0 0 0 0 0 0 1\n');
    await expectInvalidVideo(readImagePoses(dir), 'bad-frames', /trajectory\.tum holds 1 poses but .* holds 3 images; give one pose per image, in name order/);
    await writeFile(path.join(dir, 'trajectory.tum'), '0 0 0 0 0 0 0 1\n1 0 0 0 0 0 0 1\n2 0 0 0 0 0 0 1\n');
    await mkdir(path.join(dir, 'depth'));
    await expectInvalidVideo(readImagePoses(dir), 'not-found', /has no depth for 1\.png \(expected 1\.npy or 1\.png\)/);
    await rm(path.join(dir, 'depth'), { recursive: true });
    await writeFile(path.join(dir, 'poses.json'), '[1, 2]');
    await rm(path.join(dir, 'trajectory.tum'));
    await expectInvalidVideo(readImagePoses(dir), 'bad-frames', /poses\.json: pose 0 is not a row-major 4x4 matrix/);
  });
});
