import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectDatasetLayout, readDataset, readTapVid3d } from './index.js';
import { parseNpy, parseNpz, readZip } from './npz.js';
import { expectInvalidVideo, tempDir } from '../test/io-helpers.js';

/** Written by NumPy (see make-samples.mjs there): 4 frames of 32 x 24, 5 tracks. */
const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/tapvid3d');
const tmp = await tempDir('d4rt-tapvid3d-');
const K = { fx: 30, fy: 30, cx: 15.5, cy: 11.5 };

/** tracks_XYZ of the samples: track n at frame t. */
const xyzOf = (t: number, n: number): number[] => [-0.5 + 0.25 * n + 0.05 * t, -0.2 + 0.1 * n, 2 + 0.25 * n + 0.1 * t];

describe('parseNpz (archives written by NumPy)', () => {
  it('reads savez_compressed (deflate, pickled object array) and savez (stored, S<n> bytes)', async () => {
    const a = parseNpz('t', 'sample.npz', await readFile(path.join(SAMPLES, 'sample.npz')));
    expect([...a.keys()].sort()).toEqual(['extrinsics_w2c', 'fx_fy_cx_cy', 'images_jpeg_bytes', 'queries_xyt', 'tracks_XYZ', 'visibility']);
    expect(a.get('tracks_XYZ')).toMatchObject({ descr: '<f4', shape: [4, 5, 3] });
    expect(a.get('visibility')).toMatchObject({ descr: '|b1', shape: [4, 5] });
    expect(Array.from(a.get('visibility')!.data as Uint8Array).filter((v) => v === 0)).toHaveLength(2);
    const jpegs = a.get('images_jpeg_bytes')!;
    expect(jpegs).toMatchObject({ descr: '|O', shape: [4] });
    for (const j of jpegs.data as Uint8Array[]) expect([j[0], j[1], j[j.length - 2], j[j.length - 1]]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    const b = parseNpz('t', 'pstudio-like.npz', await readFile(path.join(SAMPLES, 'pstudio-like.npz')));
    expect(b.get('images_jpeg_bytes')!.descr).toMatch(/^\|S\d+$/);
    expect((b.get('images_jpeg_bytes')!.data as Uint8Array[]).map((j) => j.length)).toEqual((jpegs.data as Uint8Array[]).map((j) => j.length));
    expect(b.get('fx_fy_cx_cy')).toMatchObject({ descr: '<f8', data: Float64Array.from([30, 30, 15.5, 11.5]) });
  });
});

describe('readTapVid3d (NumPy-written samples in the TAPVid-3D format)', () => {
  it('reads frames from images_jpeg_bytes, tracks, visibility, queries, intrinsics and extrinsics', async () => {
    const file = path.join(SAMPLES, 'sample.npz');
    expect(await detectDatasetLayout(file)).toBe('tapvid3d');
    const seq = await readDataset(file);
    expect(seq).toMatchObject({ name: 'sample', layout: 'tapvid3d' });
    expect(seq.video).toMatchObject({ frames: 4, width: 32, height: 24 });
    expect(Math.abs(seq.video.data[(1 * 24 * 32 + 5 * 32 + 4) * 3 + 2]! - 128)).toBeLessThan(8); // JPEG of (x*8 + t*40, y*10, 128)
    expect(seq.intrinsics).toEqual([K, K, K, K]);
    expect(seq.depth).toBeUndefined();
    const tr = seq.tracks!;
    expect(tr.count).toBe(5);
    for (let c = 0; c < 3; c++) expect(tr.xyzCamera[(2 * 5 + 3) * 3 + c]).toBeCloseTo(xyzOf(2, 3)[c]!, 6);
    expect(Array.from(tr.visible)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    // queries_xyt (x, y, t) in pixels -> (x / (W - 1), y / (H - 1), t); the track's uv there agrees
    const [x, y, z] = xyzOf(0, 2);
    expect(tr.query[6]).toBeCloseTo((K.fx * x! / z! + K.cx) / 31, 6);
    expect(tr.query[7]).toBeCloseTo((K.fy * y! / z! + K.cy) / 23, 6);
    expect(tr.query[8]).toBe(0);
    expect(tr.uv[4]).toBeCloseTo(tr.query[6]!, 6);
    // metric thresholds at a 256-pixel short side (tapnet's evaluate_model.py: intrinsics * (256 / 24))
    const s = 256 / 24;
    expect(tr.metricIntrinsics).toEqual({ fx: 30 * s, fy: 30 * s, cx: 15.5 * s, cy: 11.5 * s });
    // extrinsics_w2c: camera t at world x = 0.1 t; a point of frame 3 in camera 0 is shifted by 0.3
    expect(seq.cameraToWorld!.map((p) => Number(p[12]!.toFixed(6)))).toEqual([0, 0.1, 0.2, 0.3]);
    expect(tr.xyzCam0![(3 * 5 + 1) * 3]).toBeCloseTo(xyzOf(3, 1)[0]! + 0.3, 6);
  });

  it('reads the S<n> JPEGs np.savez stores for a list of bytes; no extrinsics -> no poses', async () => {
    const seq = await readTapVid3d(path.join(SAMPLES, 'pstudio-like.npz'));
    const ref = await readTapVid3d(path.join(SAMPLES, 'sample.npz'));
    expect(Buffer.compare(Buffer.from(seq.video.data), Buffer.from(ref.video.data))).toBe(0);
    expect(seq.cameraToWorld).toBeUndefined();
    expect(seq.tracks!.xyzCam0).toBeUndefined();
    expect(Array.from(seq.tracks!.query)).toEqual(Array.from(ref.tracks!.query));
  });

  it('errors name the file: not an npz, a missing array, no frames and no video', async () => {
    const junk = path.join(tmp, 'junk.npz');
    await writeFile(junk, 'not a zip');
    await expectInvalidVideo(readTapVid3d(junk), 'bad-frames', /junk\.npz is not a zip archive/);
    await expectInvalidVideo(readDataset(path.join(tmp, 'missing.npz')), 'not-found', /missing\.npz" does not exist/);
    // an archive without images_jpeg_bytes and without a video next to it: rebuild one from the sample
    const copy = path.join(tmp, 'copy.npz');
    await copyFile(path.join(SAMPLES, 'sample.npz'), copy);
    const bytes = await readFile(copy);
    // rename the entry images_jpeg_bytes.npy -> images_jpeg_bytez.npy in both headers (same length)
    const renamed = Buffer.from(bytes.toString('latin1').replaceAll('images_jpeg_bytes.npy', 'images_jpeg_bytez.npy'), 'latin1');
    await writeFile(copy, renamed);
    await expectInvalidVideo(readTapVid3d(copy), 'not-found', /copy\.npz has no images_jpeg_bytes and no video copy\.\{mp4,mov,mkv,webm,avi\} next to it/);
  });
});

/** A zip archive of `files`, each stored (no compression; CRCs left 0, which the reader does not check). */
function storedZip(files: Map<string, Uint8Array>): Buffer {
  const parts: Buffer[] = [], dir: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, n, Buffer.from(data));
    dir.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const d = Buffer.concat(dir);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.size, 8);
  end.writeUInt16LE(files.size, 10);
  end.writeUInt32LE(d.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, d, end]);
}

/** A version 1 `.npy` of float32 values. */
function npyF4(shape: number[], values: number[]): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`.padEnd(117, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(Float32Array.from(values).buffer)]);
}

// each of these escaped as a raw RangeError (a Buffer or DataView read past the end, an array of
// 10^15 elements, poseFromRowMajor's argument error) before pnpm -s fuzz found them
describe('broken TAPVid-3D archives are bad-frames', () => {
  it('a zip directory entry whose name runs past the end of the file', async () => {
    const bytes = Buffer.from(await readFile(path.join(SAMPLES, 'pstudio-like.npz')));
    const dir = bytes.readUInt32LE(bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) + 16);
    bytes.writeUInt16LE(0xffff, dir + 28); // the first entry's name length
    const file = path.join(tmp, 'long-name.npz');
    await writeFile(file, bytes);
    await expectInvalidVideo(readTapVid3d(file), 'bad-frames', /long-name\.npz: zip central directory entry 0 is broken \(its name and fields run past the end of the file\)/);
  });

  it('a version 2 .npy header cut short; bytes of length 0 per element', () => {
    const v2 = Buffer.from('\x93NUMPY\x02\x00\x10\x00', 'latin1');
    expect(() => parseNpy('t', 'a.npy', v2)).toThrow(/a\.npy: \.npy header is truncated/);
    const header = `{'descr': '|S0', 'fortran_order': False, 'shape': (1000000000000000,), }`.padEnd(117, ' ') + '\n';
    const s0 = Buffer.from(`\x93NUMPY\x01\x00${String.fromCharCode(header.length)}\x00${header}`, 'latin1');
    expect(() => parseNpy('t', 'b.npy', s0)).toThrow(/b\.npy: dtype "\|S0" \(bytes of length 0\) is not supported/);
  });

  it('an object array whose pickle appends to, or sets an item of, something that is not a list or dict', () => {
    const header = `{'descr': '|O', 'fortran_order': False, 'shape': (1,), }`.padEnd(117, ' ') + '\n';
    const npy = (pickle: string): Buffer => Buffer.from(`\x93NUMPY\x01\x00${String.fromCharCode(header.length)}\x00${header}\x80\x02${pickle}.`, 'latin1');
    expect(() => parseNpy('t', 'o.npy', npy('NNa'))).toThrow(/o\.npy: the pickle's APPEND at byte 4 adds to something that is not a list/);
    expect(() => parseNpy('t', 'o.npy', npy('N(Ne'))).toThrow(/o\.npy: the pickle's APPENDS at byte 5 adds to something that is not a list/);
    expect(() => parseNpy('t', 'o.npy', npy('NNNs'))).toThrow(/o\.npy: the pickle's SETITEM at byte 5 adds to something that is not a dict/);
    expect(() => parseNpy('t', 'o.npy', npy(']NNs'))).toThrow(/the pickle's SETITEM at byte 5 adds to something that is not a dict/);
  });

  it('extrinsics_w2c that are not finite, naming the frame', async () => {
    const entries = readZip('t', 'pstudio-like.npz', await readFile(path.join(SAMPLES, 'pstudio-like.npz')));
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    entries.set('extrinsics_w2c.npy', npyF4([4, 4, 4], [...identity, ...identity, [Infinity, ...identity.slice(1)], ...identity].flat()));
    const file = path.join(tmp, 'infinite-pose.npz');
    await writeFile(file, storedZip(entries));
    await expectInvalidVideo(readTapVid3d(file), 'bad-frames', /infinite-pose\.npz: extrinsics_w2c\[2\] is not a pose \(poseFromRowMajor: .*Infinity.* must be finite\)/);
  });
});
