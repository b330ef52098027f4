import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVideo } from './read-video.js';
import { createMp4Writer, createNpyWriter } from './stream-writers.js';
import { writeNpy } from './write-output.js';
import { ANY_FFMPEG, tempDir } from '../test/io-helpers.js';

const dir = await tempDir('d4rt-stream-writers-');

describe('createNpyWriter', () => {
  it('writes in pieces the same bytes as writeNpy at once', async () => {
    const data = Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => i * 0.25);
    await writeNpy(path.join(dir, 'whole.npy'), data, [3, 4, 5]);
    const w = await createNpyWriter(path.join(dir, 'parts.npy'), { dtype: 'float32', shape: [3, 4, 5] });
    for (let f = 0; f < 3; f++) await w.write(data.subarray(f * 20, (f + 1) * 20));
    expect(w.written).toBe(60);
    await w.close();
    expect(Buffer.compare(await readFile(path.join(dir, 'parts.npy')), await readFile(path.join(dir, 'whole.npy')))).toBe(0);
  });

  it('leaves nothing when aborted or short, and names the problem', async () => {
    const sub = path.join(dir, 'npy-abort');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const w = await createNpyWriter(path.join(sub, 'a.npy'), { dtype: 'float32', shape: [2, 2] });
    await w.write(new Float32Array(2));
    await expect(w.close()).rejects.toThrow(/holds \[2, 2\] = 4 values but 2 were written/);
    const v = await createNpyWriter(path.join(sub, 'b.npy'), { dtype: 'uint8', shape: [2] });
    await expect(v.write(new Float32Array(2) as never)).rejects.toThrow(/write\(data\) \(Float32Array\(2\)\) must be a Uint8Array/);
    await v.abort();
    expect(await readdir(sub)).toEqual([]);
    await expect(createNpyWriter(path.join(sub, 'c.npy'), { dtype: 'int8' as never, shape: [1] })).rejects.toThrow(/options\.dtype \("int8"\) must be one of/);
  });
});

describe.skipIf(!ANY_FFMPEG)('createMp4Writer', () => {
  it('encodes frames as they come; the video decodes to as many frames', async () => {
    const file = path.join(dir, 'stream.mp4');
    const w = await createMp4Writer(file, { width: 33, height: 20, fps: 7 });
    const frame = new Uint8Array(33 * 20 * 3);
    for (let f = 0; f < 10; f++) {
      frame.fill(f * 20);
      await w.write(frame);
    }
    const r = await w.close();
    expect(r).toMatchObject({ width: 34, height: 20 });
    const back = await readVideo(file);
    expect(back).toMatchObject({ frames: 10, width: 34, height: 20, fps: 7 });
    expect(Math.abs(back.data[9 * 34 * 20 * 3]! - 180)).toBeLessThan(6);
  });

  it('abort kills ffmpeg and leaves no file', async () => {
    const sub = path.join(dir, 'mp4-abort');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const w = await createMp4Writer(path.join(sub, 'x.mp4'), { width: 16, height: 16, fps: 5 });
    await w.write(new Uint8Array(16 * 16 * 3));
    await w.abort();
    expect(await readdir(sub)).toEqual([]);
    await expect(w.write(new Uint8Array(16 * 16 * 3))).rejects.toThrow(/is aborted/);
  });
});
