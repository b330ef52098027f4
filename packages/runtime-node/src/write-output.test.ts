import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Progress } from '@d4rt/core';
import { readVideo } from './read-video.js';
import { writeDepthPng, writeJson, writeMp4, writeNpy, writeOutputFolder, writeRgbPng } from './write-output.js';
import { ANY_FFMPEG, BUNDLED_FFMPEG, FIXTURES, SYSTEM_FFMPEG, meanAbsDiff, tempDir } from '../test/io-helpers.js';

const demoFrames = new Uint8Array(readFileSync(path.join(FIXTURES, 'demo', 'frames.u8')));
const run = promisify(execFile);

const dir = await tempDir('d4rt-write-');

/** Files in `folder` whose names mark them as temporaries. */
async function temporaries(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.includes('.d4rt-tmp-'));
}

async function readGrey16(file: string): Promise<Uint16Array> {
  const { data, info } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
}

describe('writeDepthPng', () => {
  it('writes a 16-bit greyscale PNG of round(depth * 1000), 0 for no value, clamped at 65535', async () => {
    const width = 4;
    const height = 3;
    const depth = new Float32Array([1.5, 0.0004, 0, -2, NaN, Infinity, 65.535, 70, 0.001, 2.0006, 12.3456, 3]);
    const file = path.join(dir, 'depth.png');
    const result = await writeDepthPng(file, depth, { width, height });
    expect(result).toEqual({ scale: 1000, clipped: 2 }); // 0.0004 -> 0 and 70 -> 65535
    const meta = await sharp(file).metadata();
    expect(meta).toMatchObject({ format: 'png', width, height, depth: 'ushort', channels: 1 });
    expect(Array.from(await readGrey16(file))).toEqual([1500, 0, 0, 0, 0, 0, 65535, 65535, 1, 2001, 12346, 3000]);
    expect(await temporaries(dir)).toEqual([]);
  });

  it('reads back the same with ffmpeg (independent PNG decoder) and honours scale', async () => {
    const depth = new Float32Array(64 * 48).map((_, i) => 0.5 + i / 1000);
    const file = path.join(dir, 'depth-scaled.png');
    await expect(writeDepthPng(file, depth, { width: 64, height: 48, scale: 5000 })).resolves.toEqual({ scale: 5000, clipped: 0 });
    const values = await readGrey16(file);
    for (let i = 0; i < depth.length; i++) expect(values[i]).toBe(Math.round(depth[i]! * 5000));
    if (ANY_FFMPEG) {
      const { stdout } = await promisify(execFile)(ANY_FFMPEG, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray16le', '-'], { encoding: 'buffer' });
      expect(Buffer.compare(stdout, Buffer.from(values.buffer, values.byteOffset, values.byteLength))).toBe(0);
    }
  });

  it('checks its arguments and leaves no file on failure', async () => {
    const d = new Float32Array(6);
    await expect(writeDepthPng(path.join(dir, 'x.png'), new Float64Array(6) as unknown as Float32Array, { width: 3, height: 2 })).rejects.toThrow(
      new TypeError('writeDepthPng: depth (Float64Array(6)) must be a Float32Array of height * width depths'),
    );
    await expect(writeDepthPng(path.join(dir, 'x.png'), d, { width: 4, height: 2 })).rejects.toThrow(
      new RangeError('writeDepthPng: depth.length (6) must equal height * width = 2 * 4 = 8'),
    );
    await expect(writeDepthPng(path.join(dir, 'x.png'), d, { width: 3, height: 2, scale: 0 })).rejects.toThrow(/options\.scale \(0\) must be a finite number > 0/);
    await expect(writeDepthPng(path.join(dir, 'x.png'), d, { width: 3.5, height: 2 })).rejects.toThrow(/options\.width \(3\.5\) must be an integer >= 1/);
    await expect(writeDepthPng(path.join(dir, 'no-such-folder', 'x.png'), d, { width: 3, height: 2 })).rejects.toMatchObject({ code: 'ENOENT' });
    // The destination is a folder: the rename fails, the temporary file is removed.
    const occupied = path.join(dir, 'occupied.png');
    await mkdir(occupied, { recursive: true });
    await expect(writeDepthPng(occupied, d, { width: 3, height: 2 })).rejects.toThrow();
    expect(existsSync(path.join(dir, 'x.png'))).toBe(false);
    expect(await temporaries(dir)).toEqual([]);
  });
});

describe('writeRgbPng', () => {
  it('round-trips RGB and RGBA exactly', async () => {
    const rgb = demoFrames.subarray(0, 192 * 128 * 3);
    await writeRgbPng(path.join(dir, 'rgb.png'), rgb, { width: 192, height: 128, channels: 3 });
    const back = await sharp(path.join(dir, 'rgb.png')).raw().toBuffer({ resolveWithObject: true });
    expect(back.info).toMatchObject({ width: 192, height: 128, channels: 3 });
    expect(Buffer.compare(back.data, Buffer.from(rgb))).toBe(0);
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 9, 9, 9, 9]);
    await writeRgbPng(path.join(dir, 'rgba.png'), rgba, { width: 2, height: 2, channels: 4 });
    const back4 = await sharp(path.join(dir, 'rgba.png')).raw().toBuffer({ resolveWithObject: true });
    expect(back4.info.channels).toBe(4);
    expect(Array.from(back4.data)).toEqual(Array.from(rgba));
  });

  it('checks its arguments', async () => {
    await expect(writeRgbPng(path.join(dir, 'a.png'), new Uint8Array(5), { width: 1, height: 2, channels: 3 })).rejects.toThrow(
      new RangeError('writeRgbPng: pixels.length (5) must equal height * width * channels = 2 * 1 * 3 = 6'),
    );
    await expect(writeRgbPng(path.join(dir, 'a.png'), new Uint8Array(2), { width: 1, height: 1, channels: 2 as 3 })).rejects.toThrow(/options\.channels \(2\) must be 3 \(RGB\) or 4 \(RGBA\)/);
    await expect(writeRgbPng(path.join(dir, 'a.png'), [1, 2, 3] as unknown as Uint8Array, { width: 1, height: 1, channels: 3 })).rejects.toThrow(TypeError);
  });
});

describe('writeNpy', () => {
  it('writes NPY 1.0: magic, version, 64-byte aligned header, little-endian C-order data', async () => {
    const data = new Float32Array([1, 2.5, -3, 4, 5, 6]);
    const file = path.join(dir, 'a.npy');
    await writeNpy(file, data, [2, 3]);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect([bytes[6], bytes[7]]).toEqual([1, 0]);
    const headerLength = bytes.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    const body = bytes.subarray(10 + headerLength);
    expect(body.length).toBe(24);
    expect(Array.from(new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)))).toEqual(Array.from(data));
  });

  it('writes every dtype with its descr; 1-D shapes as (n,)', async () => {
    const cases = [
      [new Float64Array([1, 2]), '<f8'],
      [new Uint8Array([1, 2]), '|u1'],
      [new Int32Array([-1, 2]), '<i4'],
      [new Uint16Array([1, 65535]), '<u2'],
    ] as const;
    for (const [data, descr] of cases) {
      const file = path.join(dir, `${descr.slice(1)}.npy`);
      await writeNpy(file, data, [2]);
      const bytes = await readFile(file);
      expect(bytes.subarray(10, 10 + bytes.readUInt16LE(8)).toString('latin1')).toContain(`'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`);
      expect(Buffer.compare(bytes.subarray(10 + bytes.readUInt16LE(8)), Buffer.from(data.buffer))).toBe(0);
    }
  });

  it('numpy reads it back (when /usr/bin/python3 has numpy)', async (ctx) => {
    const ok = await run('/usr/bin/python3', ['-c', 'import numpy']).then(() => true, () => false);
    if (!ok) ctx.skip('skipped: /usr/bin/python3 with numpy not available');
    const data = new Float32Array(2 * 3 * 4).map((_, i) => i * 0.5);
    const file = path.join(dir, 'np.npy');
    await writeNpy(file, data, [2, 3, 4]);
    const { stdout } = await run('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(file)}); print(a.dtype, a.shape, a[1, 2, 3], a.flags['C_CONTIGUOUS'])`]);
    expect(stdout.trim()).toBe('float32 (2, 3, 4) 11.5 True');
  });

  it('checks the shape against the data', async () => {
    await expect(writeNpy(path.join(dir, 'b.npy'), new Float32Array(6), [4, 2])).rejects.toThrow(
      new RangeError('writeNpy: the product of shape [4, 2] (8) must equal data.length (6)'),
    );
    await expect(writeNpy(path.join(dir, 'b.npy'), new Float32Array(6), [2, -3])).rejects.toThrow(/shape\[1\] \(-3\) must be an integer >= 0/);
    await expect(writeNpy(path.join(dir, 'b.npy'), new Int8Array(2) as unknown as Uint8Array, [2])).rejects.toThrow(TypeError);
    expect(existsSync(path.join(dir, 'b.npy'))).toBe(false);
  });
});

describe('writeJson', () => {
  it('writes 2-space JSON with a final newline; typed arrays as plain arrays, float32 in shortest form', async () => {
    const file = path.join(dir, 'out.json');
    await writeJson(file, { name: 'x', intrinsics: { fx: 525 }, pose: new Float32Array([0.1, 1, -2.5, NaN]), visible: new Uint8Array([1, 0]), nested: [{ v: new Float64Array([0.1]) }] });
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "name": "x",\n');
    expect(JSON.parse(text)).toEqual({ name: 'x', intrinsics: { fx: 525 }, pose: [0.1, 1, -2.5, null], visible: [1, 0], nested: [{ v: [0.1] }] });
    const f32 = new Float32Array([Math.PI, 1e-7, 123456.789, 3.4e38]);
    await writeJson(file, f32);
    const back = JSON.parse(await readFile(file, 'utf8')) as number[];
    expect(Array.from(new Float32Array(back))).toEqual(Array.from(f32));
    expect(back[0]).toBe(3.1415927);
  });

  it('rejects values JSON cannot hold', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(writeJson(path.join(dir, 'bad.json'), cyclic)).rejects.toThrow(/^writeJson: value cannot be written as JSON/);
    await expect(writeJson(path.join(dir, 'bad.json'), undefined)).rejects.toThrow(TypeError);
    expect(existsSync(path.join(dir, 'bad.json'))).toBe(false);
  });
});

describe.skipIf(!ANY_FFMPEG)('writeMp4', () => {
  it('encodes H.264 that readVideo decodes back to the same frames (Debian and bundled ffmpeg)', async () => {
    for (const ffmpegPath of [SYSTEM_FFMPEG, BUNDLED_FFMPEG]) {
      if (!ffmpegPath) continue;
      const file = path.join(dir, `demo-${path.basename(path.dirname(ffmpegPath))}.mp4`);
      const events: Progress[] = [];
      const t = performance.now();
      const result = await writeMp4(file, demoFrames, { width: 192, height: 128, frames: 16, fps: 12, ffmpegPath, onProgress: (p) => events.push({ ...p }) });
      const ms = performance.now() - t;
      expect(result).toEqual({ codec: 'libx264', width: 192, height: 128 });
      expect(events.at(-1)).toEqual({ stage: 'write', done: 16, total: 16 });
      for (let i = 1; i < events.length; i++) expect(events[i]!.done).toBeGreaterThanOrEqual(events[i - 1]!.done);
      const video = await readVideo(file, { ffmpegPath });
      expect(video).toMatchObject({ frames: 16, width: 192, height: 128, fps: 12 });
      const diff = meanAbsDiff(video.data, demoFrames);
      console.log(`writeMp4 with ${ffmpegPath}: ${ms.toFixed(0)} ms, mean |decoded - written| = ${diff.toFixed(2)}`);
      expect(diff).toBeLessThan(6);
    }
    expect(await temporaries(dir)).toEqual([]);
  });

  it('pads odd sizes to even', async () => {
    const w = 33;
    const h = 17;
    const frames = new Uint8Array(3 * w * h * 3).fill(200);
    const file = path.join(dir, 'odd.mp4');
    await expect(writeMp4(file, frames, { width: w, height: h, frames: 3, fps: 7.5 })).resolves.toEqual({ codec: 'libx264', width: 34, height: 18 });
    const video = await readVideo(file);
    expect(video).toMatchObject({ frames: 3, width: 34, height: 18, fps: 7.5 });
    expect(Math.abs(video.data[0]! - 200)).toBeLessThan(6); // top-left is content, not padding
  });

  it('leaves no file when ffmpeg fails or the write is aborted', async () => {
    const failing = path.join(dir, 'failing-ffmpeg.sh');
    await writeFile(failing, `#!/bin/sh\ncase "$*" in\n  *rawvideo*) cat > /dev/null; echo "Encoder exploded" >&2; exit 1 ;;\n  *) exec "${ANY_FFMPEG}" "$@" ;;\nesac\n`);
    await chmod(failing, 0o755);
    const out = path.join(dir, 'failed.mp4');
    await expect(writeMp4(out, demoFrames, { width: 192, height: 128, frames: 16, fps: 12, ffmpegPath: failing })).rejects.toThrow(
      /^writeMp4: ffmpeg could not encode ".*failed\.mp4" \(exit code 1: Encoder exploded\)$/,
    );
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const big = new Uint8Array(60 * 640 * 480 * 3);
    const writing = writeMp4(out, big, { width: 640, height: 480, frames: 60, fps: 30, signal: controller.signal, onProgress: (p) => p.done === 2 && controller.abort(reason) });
    await expect(writing).rejects.toBe(reason);
    expect(existsSync(out)).toBe(false);
    expect(await temporaries(dir)).toEqual([]);
  });

  it('checks its arguments', async () => {
    await expect(writeMp4(path.join(dir, 'x.mp4'), new Uint8Array(10), { width: 2, height: 2, frames: 1, fps: 1 })).rejects.toThrow(
      new RangeError('writeMp4: rgbFrames.length (10) must equal frames * height * width * 3 = 1 * 2 * 2 * 3 = 12'),
    );
    await expect(writeMp4(path.join(dir, 'x.mp4'), new Uint8Array(12), { width: 2, height: 2, frames: 1, fps: 0 })).rejects.toThrow(/options\.fps \(0\) must be a finite number > 0/);
  });
});

describe('writeOutputFolder', () => {
  it('creates the folder, moves every file (sub-folders too) in, replacing old files, and removes its temp folder', async () => {
    const out = path.join(dir, 'out', 'nested');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'depth.png'), 'old');
    await writeFile(path.join(out, 'keep.txt'), 'untouched');
    const written = await writeOutputFolder(out, async (tmp) => {
      expect(path.dirname(tmp)).toBe(out);
      expect(path.basename(tmp)).toMatch(/^\.d4rt-tmp-/);
      await writeFile(path.join(tmp, 'depth.png'), 'new');
      await mkdir(path.join(tmp, 'frames'));
      await writeFile(path.join(tmp, 'frames', '0.png'), 'f0');
      await writeJson(path.join(tmp, 'cameras.json'), { ok: true });
    });
    expect(written).toEqual([path.join(out, 'cameras.json'), path.join(out, 'depth.png'), path.join(out, 'frames', '0.png')]);
    expect(await readFile(path.join(out, 'depth.png'), 'utf8')).toBe('new');
    expect(await readFile(path.join(out, 'keep.txt'), 'utf8')).toBe('untouched');
    expect((await readdir(out)).sort()).toEqual(['cameras.json', 'depth.png', 'frames', 'keep.txt']);
  });

  it('on an error leaves the folder as it was (no new files, old files intact, no temp folder)', async () => {
    const out = path.join(dir, 'out-error');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'depth.png'), 'old');
    const boom = new Error('model failed half-way');
    await expect(
      writeOutputFolder(out, async (tmp) => {
        await writeFile(path.join(tmp, 'depth.png'), 'new');
        await writeFile(path.join(tmp, 'tracks.json'), '{}');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readdir(out)).toEqual(['depth.png']);
    expect(await readFile(path.join(out, 'depth.png'), 'utf8')).toBe('old');

    // A file that would replace a folder: refused before anything moves.
    await mkdir(path.join(out, 'tracks.json'));
    await expect(
      writeOutputFolder(out, async (tmp) => {
        await writeFile(path.join(tmp, 'a.txt'), 'a');
        await writeFile(path.join(tmp, 'depth.png'), 'new');
        await writeFile(path.join(tmp, 'tracks.json'), '{}');
      }),
    ).rejects.toThrow(/^writeOutputFolder: cannot write ".*tracks\.json": a folder of that name exists$/);
    expect((await readdir(out)).sort()).toEqual(['depth.png', 'tracks.json']);
    expect(await readFile(path.join(out, 'depth.png'), 'utf8')).toBe('old');
  });

  it('on an error removes the folders it created (dir and missing parents), and only those', async () => {
    const parent = path.join(dir, 'created-parent');
    const out = path.join(parent, 'a', 'out');
    const boom = new Error('--query-frame out of range');
    await expect(
      writeOutputFolder(out, async (tmp) => {
        await writeFile(path.join(tmp, 'depth.png'), 'new');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(existsSync(parent)).toBe(false);
    // an existing parent stays, the new folder under it goes
    await mkdir(parent);
    await expect(writeOutputFolder(path.join(parent, 'out'), async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await readdir(parent)).toEqual([]);
    // a created folder someone else wrote into meanwhile stays, with their file
    await expect(
      writeOutputFolder(path.join(parent, 'shared'), async () => {
        await writeFile(path.join(parent, 'shared', 'theirs.txt'), 'theirs');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readdir(path.join(parent, 'shared'))).toEqual(['theirs.txt']);
  });

  it('checks its arguments', async () => {
    await expect(writeOutputFolder(3 as unknown as string, async () => undefined)).rejects.toThrow(TypeError);
    await expect(writeOutputFolder(path.join(dir, 'w'), 'x' as unknown as () => Promise<void>)).rejects.toThrow(
      new TypeError('writeOutputFolder: write ("x") must be a function (tmpDir) => Promise<void>'),
    );
  });
});
