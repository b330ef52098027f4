import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertVideoFrames, selectFrames, type Progress } from '@d4rt/core';
import { readVideo } from './read-video.js';
import {
  ANY_FFMPEG,
  BUNDLED_FFMPEG,
  DATA,
  DEMO_MP4,
  FIXTURES,
  SYSTEM_FFMPEG,
  dataMissing,
  expectInvalidVideo,
  ffmpeg,
  meanAbsDiff,
  processesMentioning,
  sameBytes,
  tempDir,
} from '../test/io-helpers.js';

const demoFrames = new Uint8Array(readFileSync(path.join(FIXTURES, 'demo', 'frames.u8')));
const FRAME = 128 * 192 * 3;

const dir = await tempDir('d4rt-read-video-');

describe.skipIf(!ANY_FFMPEG)('readVideo', () => {
  it('decodes demo.mp4 (16 frames, 192x128, 12 fps) close to the clip frames it was encoded from', async () => {
    const t = performance.now();
    const video = await readVideo(DEMO_MP4);
    const ms = performance.now() - t;
    assertVideoFrames('test', video);
    expect(video).toMatchObject({ frames: 16, width: 192, height: 128, fps: 12 });
    expect(video.sourceIndices).toBeUndefined();
    expect(video.sourceFrames).toBeUndefined();
    const diff = meanAbsDiff(video.data, demoFrames);
    console.log(`readVideo demo.mp4: ${ms.toFixed(0)} ms, mean |decoded - frames.u8| = ${diff.toFixed(3)}`);
    expect(diff).toBeLessThan(6);
    for (let f = 0; f < 16; f++) expect(meanAbsDiff(video.data.subarray(f * FRAME, (f + 1) * FRAME), demoFrames.subarray(f * FRAME, (f + 1) * FRAME))).toBeLessThan(6);
  });

  it('gives the same frames with Debian ffmpeg 5.x and the bundled static 2018 ffmpeg', async () => {
    const bins = [SYSTEM_FFMPEG, BUNDLED_FFMPEG].filter((b): b is string => b !== undefined);
    const videos = await Promise.all(bins.map((ffmpegPath) => readVideo(DEMO_MP4, { ffmpegPath })));
    for (const v of videos) expect(v).toMatchObject({ frames: 16, width: 192, height: 128, fps: 12 });
    if (videos.length === 2) expect(meanAbsDiff(videos[0]!.data, videos[1]!.data)).toBeLessThan(1);
  });

  it('frames: T keeps the selectFrames(n, T) frames, bit for bit the frames of a full decode', async () => {
    const full = await readVideo(DEMO_MP4);
    for (const T of [1, 4, 16, 40]) {
      const video = await readVideo(DEMO_MP4, { frames: T });
      assertVideoFrames('test', video);
      const kept = Math.min(T, 16);
      expect(video.frames).toBe(kept);
      expect(video.sourceFrames).toBe(16);
      // more frames than the source holds: every frame once, and selecting T from them picks as from the source
      expect(Array.from(video.sourceIndices!)).toEqual(Array.from(T >= 16 ? selectFrames(16, 16) : selectFrames(16, T)));
      expect(Array.from(selectFrames(kept, T), (i) => video.sourceIndices![i])).toEqual(Array.from(selectFrames(16, T)));
      for (let k = 0; k < kept; k++) expect(sameBytes(video.data, k * FRAME, full.data, video.sourceIndices![k]! * FRAME, FRAME)).toBe(true);
    }
  });

  it('reports progress over the source frames: monotone, last done === total', async () => {
    const events: Progress[] = [];
    await readVideo(DEMO_MP4, { frames: 4, onProgress: (p) => events.push({ ...p }) });
    expect(events.length).toBe(16);
    expect(events.every((e) => e.stage === 'decode-video' && e.total === 16)).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]!.done).toBeGreaterThanOrEqual(events[i - 1]!.done);
    expect(events.at(-1)!.done).toBe(16);
  });

  it('reads an 8K video (7680x4320) with frames: 16', async () => {
    const file = path.join(dir, '8k.mp4');
    let t = performance.now();
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=7680x4320:rate=4', '-frames:v', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
    const makeMs = performance.now() - t;
    t = performance.now();
    const video = await readVideo(file, { frames: 16 });
    const readMs = performance.now() - t;
    console.log(`8K: made in ${makeMs.toFixed(0)} ms, read (3 source frames, frames: 16) in ${readMs.toFixed(0)} ms`);
    // a source shorter than `frames` is kept whole, each frame once
    expect(video).toMatchObject({ frames: 3, width: 7680, height: 4320, sourceFrames: 3, fps: 4 });
    const F = 7680 * 4320 * 3;
    expect(video.data.length).toBe(3 * F);
    expect(Array.from(video.sourceIndices!)).toEqual([0, 1, 2]);
    // testsrc2 moves, so different source frames differ
    for (let k = 1; k < 3; k++) expect(sameBytes(video.data, k * F, video.data, (k - 1) * F, F)).toBe(false);
    // testsrc2 is colourful: the mean of frame 0 is neither black nor white.
    let sum = 0;
    for (let i = 0; i < F; i += 997) sum += video.data[i]!;
    const mean = sum / Math.ceil(F / 997);
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(225);
    expect(readMs).toBeLessThan(30_000);
  });

  it('reads a 1-frame video (frames = 1, also with frames: 4)', async () => {
    const file = path.join(dir, 'one.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
    const one = await readVideo(file);
    expect(one).toMatchObject({ frames: 1, width: 64, height: 48 });
    expect(one.data.length).toBe(64 * 48 * 3);
    const four = await readVideo(file, { frames: 4 });
    expect(four).toMatchObject({ frames: 1, sourceFrames: 1 });
    expect(Array.from(four.sourceIndices!)).toEqual([0]);
    expect(sameBytes(four.data, 0, one.data, 0, 64 * 48 * 3)).toBe(true);
  });

  it('applies the rotation stored in the file (a quarter turn swaps width and height)', async () => {
    const file = path.join(dir, 'rotated.mp4');
    await ffmpeg(['-i', DEMO_MP4, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', file]);
    for (const ffmpegPath of [SYSTEM_FFMPEG, BUNDLED_FFMPEG]) {
      if (!ffmpegPath) continue;
      const video = await readVideo(file, { ffmpegPath, frames: 2 });
      expect(video).toMatchObject({ frames: 2, width: 128, height: 192 });
    }
  });

  it('refuses before decoding with too-large when the frames exceed maxBytes, and suggests frames', async () => {
    let progressed = false;
    const e = await expectInvalidVideo(
      readVideo(DEMO_MP4, { maxBytes: 1_000_000, onProgress: () => void (progressed = true) }),
      'too-large',
      /^readVideo: ".*demo\.mp4" needs 1\.1 MiB \(16 frames of 192x128 RGB = 1179648 bytes\), more than maxBytes \(1000000 = .*\); pass \{ frames: T \}/,
    );
    expect(e.message).toMatch(/raise maxBytes/);
    expect(progressed).toBe(false);
    await expect(readVideo(DEMO_MP4, { maxBytes: 1_000_000, frames: 8 })).resolves.toMatchObject({ frames: 8 });
  });

  it('not-found: a missing path or a directory', async () => {
    await expectInvalidVideo(readVideo(path.join(dir, 'missing.mp4')), 'not-found', /^readVideo: ".*missing\.mp4" does not exist \(resolved to \//);
    await expectInvalidVideo(readVideo(dir), 'not-found', /is a directory or special file, not a file/);
  });

  it('not-a-video: a text file named .mp4, an empty file, a file with only audio', async () => {
    const text = path.join(dir, 'notes.mp4');
    await writeFile(text, 'these are my notes, not a video\n'.repeat(20));
    await expectInvalidVideo(readVideo(text), 'not-a-video', /^readVideo: ".*notes\.mp4" is not a video: ffmpeg cannot read it \(.*Invalid data found when processing input\)$/);
    const empty = path.join(dir, 'empty.mp4');
    await writeFile(empty, '');
    await expectInvalidVideo(readVideo(empty), 'not-a-video', /empty\.mp4" is not a video/);
    const audio = path.join(dir, 'audio.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac', audio]);
    await expectInvalidVideo(readVideo(audio), 'not-a-video', /audio\.m4a" has no video stream \(#0 Audio: aac/);
  });

  it('undecodable: truncated files (first half, first 2 KB) and corrupt data, with both ffmpegs', async () => {
    const bytes = await readFile(DEMO_MP4);
    const half = path.join(dir, 'half.mp4');
    await writeFile(half, bytes.subarray(0, bytes.length >> 1));
    const head = path.join(dir, 'head.mp4');
    await writeFile(head, bytes.subarray(0, 2048));
    const corrupt = path.join(dir, 'corrupt.mp4');
    const damaged = Buffer.from(bytes);
    for (let i = 3000; i < 3000 + 25_600; i++) damaged[i] = i & 255;
    await writeFile(corrupt, damaged);
    for (const ffmpegPath of [SYSTEM_FFMPEG, BUNDLED_FFMPEG]) {
      if (!ffmpegPath) continue;
      await expectInvalidVideo(readVideo(half, { ffmpegPath }), 'undecodable', /^readVideo: ".*half\.mp4" could not be decoded: \d+ of \d+ frames decoded \(.*\); the file is truncated or corrupt$/);
      await expectInvalidVideo(readVideo(head, { ffmpegPath }), 'undecodable', /head\.mp4": ffmpeg cannot decode its video stream \(h264 .*\): .*(NAL|decoding|partial file).*; the file is truncated or corrupt/);
      await expectInvalidVideo(readVideo(corrupt, { ffmpegPath }), 'undecodable', /corrupt\.mp4" could not be decoded: 1[0-5] of 16 frames decoded/);
    }
  });

  it('undecodable: an mp4 cut before its index (moov at the end)', async () => {
    const file = path.join(dir, 'moov-last.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-frames:v', '5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length >> 1));
    await expectInvalidVideo(readVideo(file), 'undecodable', /moov-last\.mp4" could not be opened: ffmpeg: mov,mp4,m4a,3gp,3g2,mj2: moov atom not found; .*Invalid data found when processing input; the file is truncated or corrupt$/);
  });

  it('no-frames: a video stream with no frames', async () => {
    const file = path.join(dir, 'zero.avi');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-frames:v', '0', '-c:v', 'mpeg4', file]);
    await expectInvalidVideo(readVideo(file), 'no-frames', /^readVideo: ".*zero\.avi" has a video stream \(64x48\) but no frames$/);
  });

  it('abort: rejects with the signal reason and leaves no ffmpeg running', async () => {
    const file = path.join(dir, 'long-for-abort.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-frames:v', '300', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    let calls = 0;
    const reading = readVideo(file, {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 3) controller.abort(reason);
      },
    });
    await expect(reading).rejects.toBe(reason);
    expect(calls).toBeLessThan(300);
    expect(await processesMentioning(file)).toEqual([]);
    const pre = new AbortController();
    pre.abort(reason);
    await expect(readVideo(file, { signal: pre.signal })).rejects.toBe(reason);
  });

  it('a crashing or hanging ffmpeg: undecodable on a crash; abort kills a hung child', async () => {
    const real = ANY_FFMPEG!;
    const crash = path.join(dir, 'crash-ffmpeg.sh');
    await writeFile(crash, `#!/bin/sh\ncase "$*" in\n  *rawvideo*) head -c 1000 /dev/zero; kill -SEGV $$ ;;\n  *) exec "${real}" "$@" ;;\nesac\n`);
    await chmod(crash, 0o755);
    await expectInvalidVideo(readVideo(DEMO_MP4, { ffmpegPath: crash }), 'undecodable', /demo\.mp4" could not be decoded: 0 of 16 frames decoded \(ffmpeg failed, killed by SIGSEGV.*\)/);
    const hang = path.join(dir, 'hang-ffmpeg.sh');
    await writeFile(hang, `#!/bin/sh\ncase "$*" in\n  *rawvideo*) exec sleep 987 ;;\n  *) exec "${real}" "$@" ;;\nesac\n`);
    await chmod(hang, 0o755);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timeout')), 300);
    await expect(readVideo(DEMO_MP4, { ffmpegPath: hang, signal: controller.signal })).rejects.toThrow('timeout');
    expect(await processesMentioning('sleep 987')).toEqual([]);
  });

  it('reads paths that ffmpeg would take for options or protocols', async () => {
    const sub = path.join(dir, '-odd name: concat|x');
    await mkdir(sub, { recursive: true });
    const file = path.join(sub, '-i demo.mp4');
    await copyFile(DEMO_MP4, file);
    await expect(readVideo(file, { frames: 2 })).resolves.toMatchObject({ frames: 2, width: 192, height: 128 });
  });

  it('decoder-missing: an ffmpegPath that does not work (no fallback to another ffmpeg)', async () => {
    await expectInvalidVideo(
      readVideo(DEMO_MP4, { ffmpegPath: path.join(dir, 'no-ffmpeg-here') }),
      'decoder-missing',
      /^readVideo: options\.ffmpegPath \(".*no-ffmpeg-here"\) is not a working ffmpeg: it does not exist\. Install ffmpeg/,
    );
  });

  it('checks its arguments', async () => {
    await expect(readVideo(42 as unknown as string)).rejects.toThrow(new TypeError('readVideo: path (42) must be a string (a file path)'));
    await expect(readVideo('')).rejects.toThrow(RangeError);
    await expect(readVideo(DEMO_MP4, { frames: 0 })).rejects.toThrow(new RangeError('readVideo: options.frames (0) must be an integer >= 1'));
    await expect(readVideo(DEMO_MP4, { frames: 2.5 })).rejects.toThrow(RangeError);
    await expect(readVideo(DEMO_MP4, { frames: '4' as unknown as number })).rejects.toThrow(/^readVideo: options\.frames \("4"\) must be a number/);
    await expect(readVideo(DEMO_MP4, { maxBytes: -1 })).rejects.toThrow(new RangeError('readVideo: options.maxBytes (-1) must be > 0'));
    await expect(readVideo(DEMO_MP4, { onProgress: 1 as unknown as () => void })).rejects.toThrow(TypeError);
    await expect(readVideo(DEMO_MP4, { signal: {} as AbortSignal })).rejects.toThrow(/options\.signal \(Object\) must be an AbortSignal/);
    await expect(readVideo(DEMO_MP4, null as unknown as {})).rejects.toThrow(TypeError);
  });
});

describe.skipIf(!ANY_FFMPEG)('readVideo on real videos (../shared/data/videos)', () => {
  const missing = dataMissing('videos');
  it.skipIf(missing !== undefined)(`reads sheep.mp4 and pstudio.mp4 (10-bit 4:2:2) with frames: 8 ${missing ?? ''}`, async () => {
    const cases = [
      { file: 'sheep.mp4', width: 724, height: 406, fps: 10, n: 120 },
      { file: 'pstudio.mp4', width: 640, height: 360, fps: 5, n: 150 },
    ];
    for (const c of cases) {
      const t = performance.now();
      const video = await readVideo(path.join(DATA, 'videos', c.file), { frames: 8 });
      console.log(`${c.file}: ${c.n} frames -> 8 in ${(performance.now() - t).toFixed(0)} ms`);
      expect(video).toMatchObject({ frames: 8, width: c.width, height: c.height, fps: c.fps, sourceFrames: c.n });
    }
  });
});
