import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertVideoFrames } from '@d4rt/core';
import { poseFromRowMajor, relativePose } from '@d4rt/geometry';
import { DATASET_LAYOUTS, DATASET_LAYOUT_FILES, readClip, readDataset, readOpen3dRgbd, readPi3Room, type CompleteGroundTruthSequence } from './datasets.js';
import { DATA, FIXTURES, dataMissing, expectInvalidVideo, tempDir } from '../test/io-helpers.js';

const tmp = await tempDir('d4rt-datasets-');
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(eps);
}

function checkShapes(seq: CompleteGroundTruthSequence, frames: number, width: number, height: number): void {
  assertVideoFrames('test', seq.video);
  expect(seq.video).toMatchObject({ frames, width, height });
  expect(seq.depth.length).toBe(frames * width * height);
  expect(seq.intrinsics.length).toBe(frames);
  expect(seq.cameraToWorld.length).toBe(frames);
  for (const p of seq.cameraToWorld) {
    expect(p).toBeInstanceOf(Float64Array);
    expect(p.length).toBe(16);
    expect(Array.from(p.subarray(12))).toEqual([p[12], p[13], p[14], 1]);
    expect([p[3], p[7], p[11]]).toEqual([0, 0, 0]); // column-major: bottom row is (0, 0, 0, 1)
  }
}

describe('readClip', () => {
  for (const name of ['heldout-0', 'heldout-1', 'heldout-2', 'demo']) {
    it(`reads the ${name} fixture: sizes, frame 0 = identity, arrays equal to the files`, async () => {
      const folder = path.join(FIXTURES, name);
      const json = JSON.parse(readFileSync(path.join(folder, 'clip.json'), 'utf8')) as {
        frames: number; width: number; height: number; fps: number; intrinsics: number[][]; cameraToWorld: number[][]; tracks: { count: number };
      };
      const seq = await readClip(folder);
      const { frames: T, width: W, height: H } = json;
      expect([T, W, H]).toEqual(name === 'demo' ? [16, 192, 128] : [16, 120, 80]);
      checkShapes(seq, T, W, H);
      expect(seq).toMatchObject({ name, layout: 'd4rt-clip' });
      expect(seq.video.fps).toBe(12);
      expect(Array.from(seq.cameraToWorld[0]!)).toEqual(IDENTITY);
      expect(seq.intrinsics[3]).toEqual({ fx: json.intrinsics[3]![0], fy: json.intrinsics[3]![1], cx: (W - 1) / 2, cy: (H - 1) / 2 });
      // Row-major in the JSON, column-major here: translation in elements 12..14.
      const m = json.cameraToWorld[5]!;
      expectClose([seq.cameraToWorld[5]![12]!, seq.cameraToWorld[5]![13]!, seq.cameraToWorld[5]![14]!], [m[3]!, m[7]!, m[11]!]);
      expect(Buffer.compare(Buffer.from(seq.video.data), readFileSync(path.join(folder, 'frames.u8')))).toBe(0);
      expect(Array.from(seq.depth.subarray(0, 50))).toEqual(Array.from(f32(path.join(folder, 'depth.f32')).subarray(0, 50)));
      expect(seq.depth.every((d) => d > 0)).toBe(true);
      const N = json.tracks.count;
      const tr = seq.tracks!;
      expect(tr.count).toBe(N);
      expect([tr.query.length, tr.uv.length, tr.xyzCamera.length, tr.xyzCam0!.length, tr.visible.length, tr.object?.length]).toEqual([N * 3, T * N * 2, T * N * 3, T * N * 3, T * N, N]);
      // At its query frame every track is visible at its query (u, v).
      for (let n = 0; n < N; n += 17) {
        const t = tr.query[n * 3 + 2]!;
        expect(tr.visible[t * N + n]).toBe(1);
        expectClose([tr.uv[(t * N + n) * 2]!, tr.uv[(t * N + n) * 2 + 1]!], [tr.query[n * 3]!, tr.query[n * 3 + 1]!], 1e-4);
      }
    });
  }

  it('readDataset detects a clip; world: camera0 changes nothing for a clip', async () => {
    const a = (await readDataset(path.join(FIXTURES, 'heldout-1'))) as CompleteGroundTruthSequence;
    const b = (await readDataset(path.join(FIXTURES, 'heldout-1'), { world: 'camera0' })) as CompleteGroundTruthSequence;
    expect(a.layout).toBe('d4rt-clip');
    for (let i = 0; i < 16; i++) expectClose(b.cameraToWorld[i]!, a.cameraToWorld[i]!, 1e-5);
  });

  it('bad-frames for a wrong format or arrays of the wrong size; not-found for missing files', async () => {
    const dir = path.join(tmp, 'bad-clip');
    const clip = path.join(dir, 'clip');
    await cp(path.join(FIXTURES, 'heldout-0'), clip, { recursive: true });
    await writeFile(path.join(clip, 'depth.f32'), Buffer.alloc(100));
    await expectInvalidVideo(readClip(clip), 'bad-frames', /^readClip: .*depth\.f32 holds 100 bytes, expected frames \* height \* width = 16 \* 80 \* 120 = 153600 float32 values/);
    const json = JSON.parse(readFileSync(path.join(clip, 'clip.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(clip, 'clip.json'), JSON.stringify({ ...json, format: 'd4rt-clip/9' }));
    await expectInvalidVideo(readClip(clip), 'bad-frames', /format \("d4rt-clip\/9"\) must be "d4rt-clip\/1"/);
    await writeFile(path.join(clip, 'clip.json'), JSON.stringify({ ...json, files: { ...(json['files'] as object), frames: 'gone.u8' } }));
    await expectInvalidVideo(readClip(clip), 'not-found', /gone\.u8 does not exist/);
    await expectInvalidVideo(readClip(path.join(dir, 'nope')), 'not-found', /^readClip: folder ".*nope" does not exist/);
  });
});

describe('readDataset', () => {
  it('not-found for a missing folder, or one that holds none of the layouts (each listed)', async () => {
    const dir = path.join(tmp, 'detect');
    await expectInvalidVideo(readDataset(path.join(dir, 'missing')), 'not-found', /^detectDatasetLayout: folder ".*missing" does not exist/);
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    await writeFile(path.join(empty, 'readme.txt'), 'hi');
    const e = await expectInvalidVideo(readDataset(empty), 'not-found', /^readDataset: ".*empty" holds no ground-truth sequence in a supported layout; the layouts are: .*\. It holds "readme\.txt"$/);
    for (const layout of DATASET_LAYOUTS) expect(e.message).toContain(`${layout}: ${DATASET_LAYOUT_FILES[layout]}`);
    for (const words of ['`clip.json`', '`cameras.json` + `rgb/`', '`rgbd.match` + `trajectory.log`', '`groundtruth.txt`', '`depth/*.dpt` + `camdata_left/*.cam`', '`.npz`', '`poses.txt`']) expect(e.message).toContain(words);
    await expect(readDataset(empty, { world: 'cam0' as 'camera0' })).rejects.toThrow(new RangeError("readDataset: options.world (\"cam0\") must be 'source' or 'camera0'"));
    await expect(readDataset(3 as unknown as string)).rejects.toThrow(TypeError);
  });
});

const pi3Missing = dataMissing('pi3-room');
describe('readPi3Room (../shared/data/pi3-room)', () => {
  let seq: CompleteGroundTruthSequence;
  beforeAll(async () => {
    if (!pi3Missing) seq = (await readDataset(path.join(DATA, 'pi3-room'))) as CompleteGroundTruthSequence;
  });

  it.skipIf(pi3Missing !== undefined)(`reads 8 frames of 434x350 with metric depth, intrinsics and poses ${pi3Missing ?? ''}`, async () => {
    const folder = path.join(DATA, 'pi3-room');
    const cams = JSON.parse(readFileSync(path.join(folder, 'cameras.json'), 'utf8')) as { cameraToWorld: number[][][] };
    expect(seq).toMatchObject({ name: 'pi3-room', layout: 'pi3-room' });
    checkShapes(seq, 8, 434, 350);
    expect(seq.intrinsics[0]!.fx).toBeCloseTo(252.2943, 3);
    expect(seq.intrinsics[0]).toMatchObject({ cx: 216.5, cy: 174.5 });
    expect(Array.from(seq.depth.subarray(3 * 434 * 350, 3 * 434 * 350 + 100))).toEqual(Array.from(f32(path.join(folder, 'depth', '3.f32')).subarray(0, 100)));
    const valid = seq.depth.filter((d) => d > 0);
    expect(valid.length / seq.depth.length).toBeGreaterThan(0.9);
    // Poses as stored (frame 0 is not the identity in this data set) ...
    expectClose(seq.cameraToWorld[0]!, poseFromRowMajor(new Float32Array(16), cams.cameraToWorld[0]!));
    expect(Array.from(seq.cameraToWorld[0]!)).not.toEqual(IDENTITY);
    // ... or re-expressed in camera 0 (identity at frame 0, same relative motion).
    const rebased = await readPi3Room(folder, { world: 'camera0' });
    expect(Array.from(rebased.cameraToWorld[0]!)).toEqual(IDENTITY);
    expectClose(rebased.cameraToWorld[5]!, relativePose(new Float32Array(16), seq.cameraToWorld[0]!, seq.cameraToWorld[5]!), 1e-4);
  });
});

const o3dMissing = dataMissing('open3d-rgbd');
describe('readOpen3dRgbd (../shared/data/open3d-rgbd)', () => {
  it.skipIf(o3dMissing !== undefined)(`reads 5 frames of 640x480, depth in metres, fixed intrinsics, trajectory poses ${o3dMissing ?? ''}`, async () => {
    const folder = path.join(DATA, 'open3d-rgbd');
    const seq = (await readDataset(folder)) as CompleteGroundTruthSequence;
    expect(seq).toMatchObject({ name: 'open3d-rgbd', layout: 'open3d-rgbd' });
    checkShapes(seq, 5, 640, 480);
    expect(seq.intrinsics.every((k) => k.fx === 525 && k.fy === 525 && k.cx === 319.5 && k.cy === 239.5)).toBe(true);
    expect(seq.depth[240 * 640 + 320]).toBeCloseTo(2.195, 6); // 2195 mm in depth/00000.png
    const valid = seq.depth.filter((d) => d > 0);
    expect(valid.length / seq.depth.length).toBeGreaterThan(0.5);
    expect(Math.max(...valid.subarray(0, 10000))).toBeLessThan(10);
    // trajectory.log, pose 1: first row -0.2693 0.0333 -0.9625 -0.3104 (row-major) -> column-major.
    expectClose([seq.cameraToWorld[1]![0]!, seq.cameraToWorld[1]![4]!, seq.cameraToWorld[1]![8]!, seq.cameraToWorld[1]![12]!], [-0.2693331107603073, 0.03329392381977483, -0.9624713970216773, -0.31035872146799454], 1e-6);
    const rebased = await readOpen3dRgbd(folder, { world: 'camera0' });
    expect(Array.from(rebased.cameraToWorld[0]!)).toEqual(IDENTITY);
    // Small consecutive motion: camera 1 is within 5 cm of camera 0.
    const t = rebased.cameraToWorld[1]!;
    expect(Math.hypot(t[12]!, t[13]!, t[14]!)).toBeLessThan(0.05);
  });
});
