import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openVideo, parseFramecrc } from './open-video.js';
import { openFrames, timestampsFromNames } from './open-frames.js';
import { readVideo } from './read-video.js';
import { writeRgbPng } from './write-output.js';
import { ANY_FFMPEG, BUNDLED_FFMPEG, DEMO_MP4, SYSTEM_FFMPEG, expectInvalidVideo, meanAbsDiff, ffmpeg, processesMentioning, sameBytes, tempDir } from '../test/io-helpers.js';

const dir = await tempDir('d4rt-open-video-');

describe.skipIf(!ANY_FFMPEG)('openVideo', () => {
  it('streams the frames asked for, bit for bit those of readVideo, with the container timestamps', async () => {
    const src = await openVideo(DEMO_MP4);
    expect(src).toMatchObject({ frames: 16, width: 192, height: 128, fps: 12, name: DEMO_MP4 });
    expect(Array.from(src.timestamps)).toEqual(Array.from({ length: 16 }, (_, i) => i / 12));
    const full = await readVideo(DEMO_MP4);
    const fb = 192 * 128 * 3;
    const got: number[] = [];
    for await (const f of src.read(Int32Array.of(0, 3, 4, 15))) {
      got.push(f.index);
      expect(sameBytes(f.data, 0, full.data, f.index * fb, fb)).toBe(true);
    }
    expect(got).toEqual([0, 3, 4, 15]);
  });

  it('gives the same frames and times with Debian ffmpeg 5.x and the bundled static 2018 ffmpeg', async () => {
    const bins = [SYSTEM_FFMPEG, BUNDLED_FFMPEG].filter((b): b is string => b !== undefined);
    const fb = 192 * 128 * 3;
    const firsts: Uint8Array[] = [];
    for (const ffmpegPath of bins) {
      const src = await openVideo(DEMO_MP4, { ffmpegPath });
      expect(src.frames).toBe(16);
      expect(src.timestamps[15]).toBeCloseTo(15 / 12, 12);
      for await (const f of src.read(Int32Array.of(7))) firsts.push(f.data.slice(0, fb));
    }
    if (firsts.length === 2) expect(meanAbsDiff(firsts[0]!, firsts[1]!)).toBeLessThan(1);
  });

  it('variable frame rate: the timestamps follow the container, not a nominal rate', async () => {
    const file = path.join(dir, 'vfr.mp4');
    // 12 frames whose presentation times jump: 0, 0.1, ..., then a 1 s gap (time base 1/10 s)
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '12', '-vf', "setpts='N+10*gte(N,6)'", '-fps_mode', 'passthrough', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
    const src = await openVideo(file);
    expect(src.frames).toBe(12);
    const t = Array.from(src.timestamps, (x) => Math.round(x * 1000) / 1000);
    expect(t).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.6, 1.7, 1.8, 1.9, 2, 2.1]);
  });

  it('stops ffmpeg when the loop breaks or the read is aborted', async () => {
    const file = path.join(dir, 'long.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-frames:v', '600', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
    const src = await openVideo(file);
    expect(src.frames).toBe(600);
    for await (const f of src.read(Int32Array.from({ length: 600 }, (_, i) => i))) if (f.index === 2) break;
    const ac = new AbortController();
    await expect(
      (async () => {
        for await (const f of src.read(Int32Array.from({ length: 600 }, (_, i) => i), { signal: ac.signal })) if (f.index === 5) ac.abort(new Error('stop'));
      })(),
    ).rejects.toThrow('stop');
    expect(await processesMentioning(file)).toEqual([]);
  });

  it('names the file and the reason for bad inputs', async () => {
    await expectInvalidVideo(openVideo(path.join(dir, 'none.mp4')), 'not-found', /openVideo: ".*none\.mp4" does not exist/);
    const text = path.join(dir, 'text.mp4');
    await writeFile(text, 'not a video');
    await expectInvalidVideo(openVideo(text), 'not-a-video', /openVideo: ".*text\.mp4" is not a video/);
    const src = await openVideo(DEMO_MP4);
    expect(() => src.read(Int32Array.of(3, 2))).toThrow(/indices\[1\] \(2\) must be greater than indices\[0\] \(3\)/);
  });

  it('parses framecrc packets', () => {
    const r = parseFramecrc('#tb 0: 1/30\n0,         -1,          0,        1,    32198, 0x1767c9cc\n0,          0,          2,        1,    22716, 0x3d1658d7, F=0x0\n');
    expect(r).toEqual({ pts: [0, 2], timeBase: [1, 30] });
  });
});

describe('openFrames and timestamps from file names', () => {
  it('reads times from names that are times, and nothing from frame numbers', () => {
    expect(Array.from(timestampsFromNames(['a/1305031102.175304.png', 'a/1305031102.211214.png'])!)).toEqual([1305031102.175304, 1305031102.211214]);
    const ns = timestampsFromNames(['1403636579763555584.png', '1403636579813555456.png'])!;
    expect(ns[0]).toBeCloseTo(1403636579.763555584, 6);
    expect(ns[1]! - ns[0]!).toBeCloseTo(0.05, 6);
    expect(timestampsFromNames(['000001.png', '000002.png'])).toBeNull();
    expect(timestampsFromNames(['1.5.png', '1.2.png'])).toBeNull(); // not increasing
  });

  it('decodes only the images read, with the timestamps of their names', async () => {
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const f = path.join(dir, `100.${5 + i}.png`);
      await writeRgbPng(f, new Uint8Array(4 * 2 * 3).fill(40 * i), { width: 4, height: 2, channels: 3 });
      files.push(f);
    }
    const src = await openFrames(files);
    expect(src).toMatchObject({ frames: 3, width: 4, height: 2 });
    expect(Array.from(src.timestamps!)).toEqual([100.5, 100.6, 100.7]);
    const got: number[] = [];
    for await (const f of src.read(Int32Array.of(0, 2))) got.push(f.data[0]!);
    expect(got).toEqual([0, 80]);
  });

  // found by pnpm -s fuzz: a non-function onProgress was taken, and each read then failed with "onProgress is not a function"
  it('refuses an onProgress that is not a function when opening', async () => {
    const f = path.join(dir, '100.5.png');
    await expect(openFrames([f], { onProgress: { every: 1 } } as never)).rejects.toThrow(
      new TypeError('openFrames: options.onProgress (Object) must be a function ({ stage, done, total }) => void'),
    );
  });

  it.skipIf(!ANY_FFMPEG)('streams PPM and BMP frames (ffmpeg decodes them; sharp does not)', async () => {
    const png = path.join(dir, 'src.png');
    const rgb = Uint8Array.from({ length: 6 * 4 * 3 }, (_, i) => (i * 37) % 256);
    await writeRgbPng(png, rgb, { width: 6, height: 4, channels: 3 });
    const files = ['a.ppm', 'b.bmp'].map((n) => path.join(dir, n));
    for (const f of files) await ffmpeg(['-y', '-i', png, f]);
    const src = await openFrames(files);
    expect(src).toMatchObject({ frames: 2, width: 6, height: 4 });
    for await (const f of src.read(Int32Array.of(0, 1))) expect(Array.from(f.data)).toEqual(Array.from(rgb));
  });
});
