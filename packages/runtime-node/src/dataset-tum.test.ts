import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { associateTimestamps, readDataset, readTumRgbd, TUM_INTRINSICS } from './index.js';
import { expectInvalidVideo, tempDir } from '../test/io-helpers.js';

const tmp = await tempDir('d4rt-tum-');
const W = 16, H = 12;

/** Transcription of TUM's associate.py `associate(first, second, 0, max_difference)`: O(n m). */
function associateReference(first: number[], second: number[], maxDifference = 0.02): [number, number][] {
  const firstKeys = new Set(first), secondKeys = new Set(second);
  const potential: [number, number, number][] = [];
  for (const a of first) for (const b of second) if (Math.abs(a - b) < maxDifference) potential.push([Math.abs(a - b), a, b]);
  potential.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const matches: [number, number][] = [];
  for (const [, a, b] of potential) {
    if (firstKeys.has(a) && secondKeys.has(b)) {
      firstKeys.delete(a);
      secondKeys.delete(b);
      matches.push([a, b]);
    }
  }
  return matches.sort((x, y) => x[0] - y[0]);
}

/** Ground truth at time t: translation (t, 2t, 0.5), rotation t rad about y. */
const gtLine = (t: number): string => `${t.toFixed(4)} ${t} ${2 * t} 0.5 0 ${Math.sin(t / 2)} 0 ${Math.cos(t / 2)}`;

/**
 * A TUM RGB-D sequence in the full form: rgb/ and depth/ images named by timestamps, rgb.txt,
 * depth.txt and groundtruth.txt (100 Hz, 0.99..1.12 s). Colour 1.040 loses its depth to 1.033
 * (closer to 1.036) and colour 1.500 has none: 3 frames remain (1.000, 1.033, 1.100).
 */
async function makeTum(dir: string): Promise<void> {
  const rgbTimes = ['1.000000', '1.033000', '1.040000', '1.100000', '1.500000'];
  const depthTimes = ['1.005000', '1.036000', '1.101000', '1.600000'];
  await mkdir(path.join(dir, 'rgb'), { recursive: true });
  await mkdir(path.join(dir, 'depth'), { recursive: true });
  for (const [i, t] of rgbTimes.entries()) {
    await sharp(Buffer.alloc(W * H * 3, 40 * i), { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'rgb', `${t}.png`));
  }
  for (const [i, t] of depthTimes.entries()) {
    const d = new Uint16Array(W * H).fill(5000 + 500 * i);
    d[0] = 0;
    await sharp(d, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toFile(path.join(dir, 'depth', `${t}.png`));
  }
  const header = '# timestamp filename\n# file: sample\n';
  await writeFile(path.join(dir, 'rgb.txt'), header + rgbTimes.map((t) => `${t} rgb/${t}.png`).join('\n') + '\n');
  await writeFile(path.join(dir, 'depth.txt'), header + depthTimes.map((t) => `${t} depth/${t}.png`).join('\n') + '\n');
  const gt = Array.from({ length: 14 }, (_, i) => gtLine(0.99 + i * 0.01));
  await writeFile(path.join(dir, 'groundtruth.txt'), '# ground truth trajectory\n# timestamp tx ty tz qx qy qz qw\n' + gt.join('\n') + '\n');
}

describe('associateTimestamps', () => {
  it("equals associate.py's greedy closest-first matching (each stamp used once, < 0.02 s)", () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let c = 0; c < 50; c++) {
      // distinct stamps, as the keys of associate.py's dicts
      const a = [...new Set(Array.from({ length: 30 }, () => Math.round(rand() * 1e4) / 1e4))];
      const b = [...new Set(Array.from({ length: 40 }, () => Math.round(rand() * 1e4) / 1e4))];
      const got = associateTimestamps(a, b).map(([i, j]) => [a[i]!, b[j]!]);
      expect(got).toEqual(associateReference(a, b));
    }
    expect(associateTimestamps([1, 1.033, 1.04, 1.1, 1.5], [1.005, 1.036, 1.101, 1.6])).toEqual([[0, 0], [1, 1], [3, 2]]);
    expect(associateTimestamps([1], [1.02])).toEqual([]); // 0.02 itself is too far
  });
});

describe('readTumRgbd (a generated sample in the TUM layout)', () => {
  it('full form: rgb.txt / depth.txt / groundtruth.txt, associated; depth / 5000; fr1 intrinsics from the name', async () => {
    const dir = path.join(tmp, 'rgbd_dataset_freiburg1_sample');
    await makeTum(dir);
    const seq = await readDataset(dir);
    expect(seq).toMatchObject({ name: 'rgbd_dataset_freiburg1_sample', layout: 'tum-rgbd' });
    expect(seq.video).toMatchObject({ frames: 3, width: W, height: H });
    expect(seq.video.data[1 * W * H * 3]).toBe(40); // frame 1 is colour image 1.033 (the second)
    expect(seq.video.data[2 * W * H * 3]).toBe(120); // frame 2 is colour image 1.100 (the fourth)
    expect(seq.intrinsics).toEqual([TUM_INTRINSICS.fr1, TUM_INTRINSICS.fr1, TUM_INTRINSICS.fr1]);
    // depth: frame 1 <- depth 1.036 (5500 / 5000 m); 0 stays 0
    expect(seq.depth![W * H + 5]).toBeCloseTo(1.1, 6);
    expect(seq.depth![2 * W * H + 5]).toBeCloseTo(6000 / 5000, 6);
    expect(seq.depth![W * H]).toBe(0);
    // poses: frame 1 <- ground truth 1.03 (translation (1.03, 2.06, 0.5), rotation 1.03 rad about y)
    const p = seq.cameraToWorld![1]!;
    expect([p[12], p[13], p[14]].map((v) => Number(v!.toFixed(5)))).toEqual([1.03, 2.06, 0.5]);
    expect(p[0]).toBeCloseTo(Math.cos(1.03), 6);
    expect(p[8]).toBeCloseTo(Math.sin(1.03), 6); // column-major: R[0][2] = sin
    // float64 from the file to the metric: the translation is the file's number, bit for bit
    expect(p).toBeInstanceOf(Float64Array);
    const t1 = 0.99 + 4 * 0.01;
    expect([p[12], p[13]]).toEqual([Number(`${t1}`), Number(`${2 * t1}`)]);
    expect(Math.fround(t1)).not.toBe(t1); // (a Float32Array would fail the line above)
    expect(seq.notes).toEqual([
      '2 of 5 colour images have no depth image within 0.02 s and were dropped',
      "the images are 16x12, but TUM's intrinsics are for 640x480",
    ]);
    const rebased = await readTumRgbd(dir, { world: 'camera0' });
    expect(Array.from(rebased.cameraToWorld![0]!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('folder form: rgb/ + groundtruth.txt (no depth), default intrinsics with a note, or an override', async () => {
    const dir = path.join(tmp, 'my-capture');
    await makeTum(path.join(tmp, 'src'));
    await cp(path.join(tmp, 'src', 'rgb'), path.join(dir, 'rgb'), { recursive: true });
    await cp(path.join(tmp, 'src', 'groundtruth.txt'), path.join(dir, 'groundtruth.txt'));
    const seq = await readDataset(dir);
    expect(seq.layout).toBe('tum-rgbd');
    expect(seq.video.frames).toBe(4); // 1.500 has no pose within 0.02 s
    expect(seq.depth).toBeUndefined();
    expect(seq.intrinsics![0]).toEqual(TUM_INTRINSICS.default);
    expect(seq.notes?.[0]).toBe('1 of 5 frames have no ground-truth pose within 0.02 s and were dropped');
    expect(seq.notes?.[1]).toMatch(/names no freiburg1\/2\/3 camera: ROS's default intrinsics fx = fy = 525/);
    const K = { fx: 20, fy: 20, cx: 7.5, cy: 5.5 };
    const own = await readTumRgbd(dir, { intrinsics: K });
    expect(own.intrinsics).toEqual([K, K, K, K]);
    expect(own.notes).toEqual(['1 of 5 frames have no ground-truth pose within 0.02 s and were dropped']);
    await expect(readTumRgbd(dir, { intrinsics: { fx: -1, fy: 1, cx: 0, cy: 0 } })).rejects.toThrow(RangeError);
  });

  it('bad-frames for an unparsable groundtruth.txt or no frame with a pose', async () => {
    const dir = path.join(tmp, 'bad');
    await makeTum(dir);
    await writeFile(path.join(dir, 'groundtruth.txt'), '1.0 0 0 0 0 0 0\n');
    await expectInvalidVideo(readTumRgbd(dir), 'bad-frames', /groundtruth\.txt: parseTum: line 1 has 7 values/);
    await writeFile(path.join(dir, 'groundtruth.txt'), gtLine(5) + '\n');
    await expectInvalidVideo(readTumRgbd(dir), 'bad-frames', /no frame of .* has a ground-truth pose within 0\.02 s/);
    await rm(path.join(dir, 'depth', '1.036000.png'));
    await writeFile(path.join(dir, 'groundtruth.txt'), gtLine(1.03) + '\n');
    await expectInvalidVideo(readTumRgbd(dir), 'not-found', /1\.036000\.png/);
  });
});
