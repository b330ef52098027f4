/**
 * The well-formed files the mutations start from: small images in every format the readers take,
 * tiny videos in three containers, and the shipped demo clip. Made once per run (sharp for the
 * compressed images, hand-written bytes for Netpbm and BMP, ffmpeg for the videos) into a folder
 * the workers share read-only.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { findFfmpeg } from '@d4rt/runtime-node';

/** Width and height of the seed images (even, so that every codec takes them). */
export const SEED_W = 24;
export const SEED_H = 16;

/** Image seeds by format name (the file name is `image.<ext>`). */
export const IMAGE_SEEDS = {
  png: 'png',
  'png-rgba': 'png',
  'png-grey16': 'png',
  jpeg: 'jpg',
  webp: 'webp',
  tiff: 'tif',
  ppm: 'ppm',
  'ppm-ascii': 'ppm',
  pgm: 'pgm',
  pbm: 'pbm',
  pam: 'pam',
  bmp: 'bmp',
} as const;

/** The image seed formats. */
export type ImageSeed = keyof typeof IMAGE_SEEDS;

/** Video seeds by name (the file name is the name). */
export const VIDEO_SEEDS = ['tiny.mp4', 'tiny-faststart.mp4', 'tiny.avi', 'tiny.webm', 'demo.mp4'] as const;

/** `.npz` seeds: runtime-node's TAPVid-3D samples (savez_compressed with pickled JPEGs; savez with S<n> JPEGs). */
export const NPZ_SEEDS = ['sample.npz', 'pstudio-like.npz'] as const;

/** Path of the seed image of `format` in `dir`. */
export function imageSeedPath(dir: string, format: ImageSeed): string {
  return path.join(dir, `${format}.${IMAGE_SEEDS[format]}`);
}

/** The RGB bytes of the seed images: a gradient with a square, so that every format has edges to encode. */
function seedPixels(): Uint8Array {
  const rgb = new Uint8Array(SEED_W * SEED_H * 3);
  for (let y = 0; y < SEED_H; y++) {
    for (let x = 0; x < SEED_W; x++) {
      const o = (y * SEED_W + x) * 3;
      const square = x >= 8 && x < 16 && y >= 4 && y < 12;
      rgb[o] = x * 10;
      rgb[o + 1] = y * 15;
      rgb[o + 2] = square ? 255 : 40;
    }
  }
  return rgb;
}

/** A Netpbm or BMP file of `rgb` (`SEED_W x SEED_H`), written byte by byte. */
function encodeSimpleImage(format: 'ppm' | 'ppm-ascii' | 'pgm' | 'pbm' | 'pam' | 'bmp', rgb: Uint8Array, width = SEED_W, height = SEED_H): Buffer {
  const grey = (i: number): number => Math.round((rgb[3 * i]! + rgb[3 * i + 1]! + rgb[3 * i + 2]!) / 3);
  const n = width * height;
  switch (format) {
    case 'ppm':
      return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), Buffer.from(rgb)]);
    case 'ppm-ascii':
      return Buffer.from(`P3\n# seed\n${width} ${height}\n255\n${Array.from(rgb).join(' ')}\n`);
    case 'pgm':
      return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), Buffer.from(Uint8Array.from({ length: n }, (_, i) => grey(i)))]);
    case 'pbm': {
      const rowBytes = Math.ceil(width / 8);
      const bits = new Uint8Array(rowBytes * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (grey(y * width + x) < 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
      return Buffer.concat([Buffer.from(`P4\n${width} ${height}\n`), Buffer.from(bits)]);
    }
    case 'pam':
      return Buffer.concat([Buffer.from(`P7\nWIDTH ${width}\nHEIGHT ${height}\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n`), Buffer.from(rgb)]);
    case 'bmp': {
      const rowBytes = Math.ceil((width * 3) / 4) * 4;
      const size = 54 + rowBytes * height;
      const b = Buffer.alloc(size);
      b.write('BM', 0, 'latin1');
      b.writeUInt32LE(size, 2);
      b.writeUInt32LE(54, 10);
      b.writeUInt32LE(40, 14);
      b.writeInt32LE(width, 18);
      b.writeInt32LE(height, 22);
      b.writeUInt16LE(1, 26);
      b.writeUInt16LE(24, 28);
      b.writeUInt32LE(rowBytes * height, 34);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const src = ((height - 1 - y) * width + x) * 3; // bottom-up rows, BGR
          const dst = 54 + y * rowBytes + x * 3;
          b[dst] = rgb[src + 2]!;
          b[dst + 1] = rgb[src + 1]!;
          b[dst + 2] = rgb[src]!;
        }
      }
      return b;
    }
  }
}

/** Writes every seed into `dir` (created); returns `dir`. */
export async function makeSeeds(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const rgb = seedPixels();
  const raw = { raw: { width: SEED_W, height: SEED_H, channels: 3 as const } };
  const img = (): sharp.Sharp => sharp(Buffer.from(rgb), raw);
  await img().png().toFile(imageSeedPath(dir, 'png'));
  await img().ensureAlpha(0.5).png().toFile(imageSeedPath(dir, 'png-rgba'));
  const depth = new Uint16Array(SEED_W * SEED_H).map((_, i) => 1000 + 7 * i);
  await sharp(Buffer.from(depth.buffer), { raw: { width: SEED_W, height: SEED_H, channels: 1 } }).toColourspace('grey16').png().toFile(imageSeedPath(dir, 'png-grey16'));
  await img().jpeg({ quality: 90 }).toFile(imageSeedPath(dir, 'jpeg'));
  await img().webp({ quality: 90 }).toFile(imageSeedPath(dir, 'webp'));
  await img().tiff().toFile(imageSeedPath(dir, 'tiff'));
  for (const f of ['ppm', 'ppm-ascii', 'pgm', 'pbm', 'pam', 'bmp'] as const) await writeFile(imageSeedPath(dir, f), encodeSimpleImage(f, rgb));

  const ffmpeg = (await findFfmpeg()).path;
  const run = promisify(execFile);
  const src = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=32x24:rate=8`, '-frames:v', '12'];
  await run(ffmpeg, [...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(dir, 'tiny.mp4')]);
  await run(ffmpeg, [...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', path.join(dir, 'tiny-faststart.mp4')]);
  await run(ffmpeg, [...src, '-c:v', 'mjpeg', '-q:v', '5', path.join(dir, 'tiny.avi')]);
  await run(ffmpeg, [...src, '-c:v', 'libvpx', '-b:v', '200k', path.join(dir, 'tiny.webm')]);
  const require = createRequire(import.meta.url);
  await copyFile(path.join(path.dirname(require.resolve('@d4rt/models/package.json')), 'fixtures/demo/demo.mp4'), path.join(dir, 'demo.mp4'));
  // TAPVid-3D archives written by NumPy itself (runtime-node's test samples, in this workspace)
  const samples = path.resolve(path.dirname(fileURLToPath(import.meta.resolve('@d4rt/runtime-node'))), '../test/fixtures/tapvid3d');
  for (const f of NPZ_SEEDS) await copyFile(path.join(samples, f), path.join(dir, f));
  return dir;
}
