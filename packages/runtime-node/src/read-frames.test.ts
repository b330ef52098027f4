import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertVideoFrames, selectFrames, type Progress } from '@d4rt/core';
import { readFrames } from './read-frames.js';
import { DATA, FIXTURES, dataMissing, expectInvalidVideo, sameBytes, tempDir } from '../test/io-helpers.js';

const W = 192;
const H = 128;
const FRAME = W * H * 3;
const demoFrames = new Uint8Array(readFileSync(path.join(FIXTURES, 'demo', 'frames.u8')));

const dir = await tempDir('d4rt-read-frames-');

function ffmpeg(...args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

describe('readFrames', () => {
  let pngs: string[];
  beforeAll(async () => {
    pngs = [];
    for (let f = 0; f < 16; f++) {
      const file = path.join(dir, `frame-${String(f).padStart(2, '0')}.png`);
      await sharp(demoFrames.subarray(f * FRAME, (f + 1) * FRAME), { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
      pngs.push(file);
    }
  });

  it('reads PNG frames bit for bit, with fps when given', async () => {
    const video = await readFrames(pngs, { fps: 12 });
    assertVideoFrames('test', video);
    expect(video).toMatchObject({ frames: 16, width: W, height: H, fps: 12 });
    expect(video.sourceIndices).toBeUndefined();
    expect(Buffer.compare(Buffer.from(video.data), Buffer.from(demoFrames))).toBe(0);
  });

  it('frames: T selects like readVideo and decodes only the selected files', async () => {
    for (const T of [1, 5, 16, 24]) {
      const events: Progress[] = [];
      const video = await readFrames(pngs, { frames: T, onProgress: (p) => events.push({ ...p }) });
      const kept = Math.min(T, 16);
      const idx = selectFrames(16, kept);
      expect(Array.from(video.sourceIndices!)).toEqual(Array.from(idx));
      expect(video).toMatchObject({ frames: kept, sourceFrames: 16 });
      for (let k = 0; k < kept; k++) expect(sameBytes(video.data, k * FRAME, demoFrames, idx[k]! * FRAME, FRAME)).toBe(true);
      const distinct = new Set(idx).size;
      expect(events.map((e) => e.done)).toEqual(Array.from({ length: distinct }, (_, i) => i + 1));
      expect(events.every((e) => e.stage === 'decode-video' && e.total === distinct)).toBe(true);
    }
  });

  it('converts RGBA, grey, grey+alpha and 16-bit images to 8-bit RGB', async () => {
    const w = 4;
    const h = 2;
    const rgba = path.join(dir, 'rgba.png');
    await sharp(Buffer.from(Array.from({ length: w * h }, () => [10, 20, 30, 128]).flat()), { raw: { width: w, height: h, channels: 4 } }).png().toFile(rgba);
    const grey = path.join(dir, 'grey.png');
    await sharp(Buffer.alloc(w * h, 77), { raw: { width: w, height: h, channels: 1 } }).png().toFile(grey);
    const greyAlpha = path.join(dir, 'grey-alpha.png');
    await sharp(Buffer.from(Array.from({ length: w * h }, () => [200, 9]).flat()), { raw: { width: w, height: h, channels: 2 } }).png().toFile(greyAlpha);
    const grey16 = path.join(dir, 'grey16.png');
    await sharp(new Uint16Array(w * h).fill(123 * 257), { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toFile(grey16);
    const rgb16 = path.join(dir, 'rgb16.png');
    await sharp(new Uint16Array(w * h * 3).fill(0).map((_, i) => [0xffff, 0x8080, 0][i % 3]!), { raw: { width: w, height: h, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(rgb16);
    expect((await sharp(rgb16).metadata()).depth).toBe('ushort');
    const video = await readFrames([rgba, grey, greyAlpha, grey16, rgb16]);
    expect(video).toMatchObject({ frames: 5, width: w, height: h });
    const px = (f: number): number[] => Array.from(video.data.subarray(f * w * h * 3, f * w * h * 3 + 3));
    expect(px(0)).toEqual([10, 20, 30]);
    expect(px(1)).toEqual([77, 77, 77]);
    expect(px(2)).toEqual([200, 200, 200]);
    expect(px(3)).toEqual([123, 123, 123]);
    expect(px(4)).toEqual([255, 128, 0]);
  });

  it('bad-frames: images of different sizes, naming both files and sizes', async () => {
    const small = path.join(dir, 'small.png');
    await sharp({ create: { width: 10, height: 6, channels: 3, background: '#123456' } }).png().toFile(small);
    await expectInvalidVideo(
      readFrames([pngs[0]!, pngs[1]!, small]),
      'bad-frames',
      /^readFrames: images must all have one size, but ".*frame-00\.png" is 192x128 and ".*small\.png" \(files\[2\]\) is 10x6$/,
    );
  });

  it('reads PPM, PAM and BMP (which sharp does not read) bit for bit, and PGM / PBM as grey RGB, through ffmpeg', async () => {
    const frames = pngs.slice(0, 3);
    for (const ext of ['ppm', 'pam', 'bmp']) {
      const files = frames.map((f, i) => path.join(dir, `frame-${i}.${ext}`));
      files.forEach((f, i) => ffmpeg('-i', frames[i]!, ...(ext === 'pam' ? ['-pix_fmt', 'rgba'] : []), f));
      const video = await readFrames(files);
      expect(video, ext).toMatchObject({ frames: 3, width: W, height: H });
      expect(Buffer.compare(Buffer.from(video.data), Buffer.from(demoFrames.subarray(0, 3 * FRAME))), ext).toBe(0);
    }
    for (const ext of ['pgm', 'pbm']) {
      const file = path.join(dir, `frame-0.${ext}`);
      ffmpeg('-i', pngs[0]!, file);
      const grey = await readFrames([file]);
      expect(grey, ext).toMatchObject({ frames: 1, width: W, height: H });
      let notGrey = 0;
      for (let i = 0; i < W * H; i++) if (grey.data[3 * i] !== grey.data[3 * i + 1] || grey.data[3 * i] !== grey.data[3 * i + 2]) notGrey++;
      expect(notGrey, ext).toBe(0);
    }
    // plain (ASCII) Netpbm with a comment in the header
    const plain = path.join(dir, 'plain.ppm');
    await writeFile(plain, 'P3\n# made by hand\n2 1\n255\n255 0 0  0 255 7\n');
    expect(Array.from((await readFrames([plain])).data)).toEqual([255, 0, 0, 0, 255, 7]);
    // a truncated PPM is undecodable, with the file named
    const cut = path.join(dir, 'cut.ppm');
    await writeFile(cut, readFileSync(path.join(dir, 'frame-0.ppm')).subarray(0, 5000));
    await expectInvalidVideo(readFrames([cut]), 'undecodable', /^readFrames: ".*cut\.ppm" could not be decoded \(ffmpeg: .*\); the file is truncated or corrupt$/);
  });

  it('not-found, not-a-video, too-large', async () => {
    await expectInvalidVideo(readFrames([pngs[0]!, path.join(dir, 'missing.png')]), 'not-found', /^readFrames: ".*missing\.png" does not exist/);
    await expectInvalidVideo(readFrames([dir]), 'not-found', /is a directory/);
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'not an image');
    await expectInvalidVideo(readFrames([pngs[0]!, text]), 'not-a-video', /^readFrames: ".*notes\.png" is not an image in a supported format \(PNG, JPEG, WebP, TIFF \(sharp\); PPM, PGM, PBM, PAM, BMP \(ffmpeg\)\): Input file contains unsupported image format$/);
    await expectInvalidVideo(readFrames(pngs, { maxBytes: 100_000 }), 'too-large', /needs 1\.1 MiB \(16 frames of 192x128 RGB = 1179648 bytes\), more than maxBytes .*pass \{ frames: T \}/);
    const truncated = path.join(dir, 'truncated.png');
    await writeFile(truncated, readFileSync(pngs[0]!).subarray(0, 2000));
    await expectInvalidVideo(readFrames([truncated]), 'undecodable', /truncated\.png" could not be decoded/);
  });

  it('checks its arguments', async () => {
    await expect(readFrames('a.png' as unknown as string[])).rejects.toThrow(new TypeError('readFrames: files ("a.png") must be an array of image paths'));
    await expect(readFrames([])).rejects.toThrow(new RangeError('readFrames: files (Array(0)) must hold at least one image path'));
    await expect(readFrames([pngs[0]!, 3 as unknown as string])).rejects.toThrow(/^readFrames: files\[1\] \(3\) must be a string/);
    await expect(readFrames(pngs, { fps: 0 })).rejects.toThrow(new RangeError('readFrames: options.fps (0) must be a finite number > 0'));
    await expect(readFrames(pngs, { frames: -1 })).rejects.toThrow(RangeError);
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(readFrames(pngs, { signal: controller.signal })).rejects.toBe(reason);
  });

  const missing = dataMissing('sintel-frames');
  it.skipIf(missing !== undefined)(`reads the Sintel frames (10 x 1024x436 PNG) ${missing ?? ''}`, async () => {
    const folder = path.join(DATA, 'sintel-frames');
    const files = (await readdir(folder)).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(folder, f));
    const t = performance.now();
    const video = await readFrames(files, { frames: 4 });
    console.log(`sintel: 10 PNG -> 4 frames in ${(performance.now() - t).toFixed(0)} ms`);
    expect(video).toMatchObject({ frames: 4, width: 1024, height: 436, sourceFrames: 10 });
    expect(Array.from(video.sourceIndices!)).toEqual([0, 3, 6, 9]);
  });
});
