/**
 * One image file as a frame: its size from the header, its pixels as 8-bit RGB. PNG, JPEG, WebP
 * and TIFF are read with sharp; the formats sharp's prebuilt libvips does not read (Netpbm
 * PPM/PGM/PBM/PAM, BMP) are recognised by their header bytes and decoded with ffmpeg.
 *
 * @module
 * @internal
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { InvalidVideoError } from '@d4rt/core';
import { errorLine, ffmpegFor, runFfmpeg } from './ffmpeg.js';

/** Extensions (lower case, no dot) of the image files `openFrames` / `readFrames` read. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'ppm', 'pgm', 'pbm', 'pnm', 'pam', 'bmp']);

/** The supported formats, for messages. */
export const IMAGE_FORMATS_TEXT = 'PNG, JPEG, WebP, TIFF (sharp); PPM, PGM, PBM, PAM, BMP (ffmpeg)';

/** How to decode an image, from {@link probeImage}. */
export interface ImageInfo {
  width: number;
  height: number;
  /** sharp, or the ffmpeg demuxer for the format. */
  decoder: 'sharp' | 'ppm_pipe' | 'pgm_pipe' | 'pbm_pipe' | 'pam_pipe' | 'bmp_pipe';
}

/** Size of a Netpbm (P1-P7) or BMP image from its first bytes, or null when it is neither. */
export function parseImageHeader(head: Uint8Array): ImageInfo | null {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  if (/^P[1-6]\s/.test(text)) {
    // magic, width, height (and maxval), separated by whitespace; '#' comments to the end of a line
    const tokens = text.slice(2).replace(/#[^\n\r]*/g, ' ').trim().split(/\s+/);
    const width = Number(tokens[0]), height = Number(tokens[1]);
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) return null;
    const kind = text[1]!;
    const decoder = kind === '1' || kind === '4' ? 'pbm_pipe' : kind === '2' || kind === '5' ? 'pgm_pipe' : 'ppm_pipe';
    return { width, height, decoder };
  }
  if (text.startsWith('P7\n')) {
    const width = Number(/\nWIDTH\s+(\d+)/.exec(text)?.[1]), height = Number(/\nHEIGHT\s+(\d+)/.exec(text)?.[1]);
    return width > 0 && height > 0 ? { width, height, decoder: 'pam_pipe' } : null;
  }
  if (text.startsWith('BM') && head.length >= 26) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const core = view.getUint32(14, true) === 12; // OS/2 BITMAPCOREHEADER: 16-bit sizes
    const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
    const height = Math.abs(core ? view.getUint16(20, true) : view.getInt32(22, true)); // negative = top-down rows
    return width > 0 && height > 0 ? { width, height, decoder: 'bmp_pipe' } : null;
  }
  return null;
}

/**
 * The size of an image file and how to decode it (headers only).
 * @throws {@link InvalidVideoError} `'not-a-video'` naming the file and the supported formats
 */
export async function probeImage(fn: string, name: string, abs: string): Promise<ImageInfo> {
  let sharpError: Error;
  try {
    const meta = await sharp(abs, { autoOrient: true }).metadata();
    const width = meta.autoOrient?.width ?? meta.width, height = meta.autoOrient?.height ?? meta.height;
    if (!(width > 0 && height > 0)) throw new InvalidVideoError('not-a-video', `${fn}: ${name} has no image size (format ${meta.format})`);
    return { width, height, decoder: 'sharp' };
  } catch (error) {
    if (error instanceof InvalidVideoError) throw error;
    sharpError = error as Error;
  }
  const handle = await open(abs, 'r');
  let head: Uint8Array;
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const info = parseImageHeader(head);
  if (info === null) {
    throw new InvalidVideoError('not-a-video', `${fn}: ${name} is not an image in a supported format (${IMAGE_FORMATS_TEXT}): ${sharpError.message}`, { cause: sharpError });
  }
  return info;
}

/**
 * Decodes an image to 8-bit RGB (alpha dropped, greyscale expanded, EXIF orientation applied).
 * @returns a new array of `width * height * 3` bytes
 * @throws {@link InvalidVideoError} `'undecodable'` when the pixels do not decode, `'bad-frames'`
 *   when they do not have the size of `info`; `'decoder-missing'` without ffmpeg (for its formats)
 */
export async function decodeImage(fn: string, name: string, abs: string, info: ImageInfo): Promise<Uint8Array> {
  const { width, height } = info;
  let data: Uint8Array;
  if (info.decoder === 'sharp') {
    try {
      const b = await sharp(abs, { autoOrient: true }).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      if (b.info.channels !== 3) throw new Error(`decoded to ${b.info.channels} channels`);
      data = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    } catch (error) {
      throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be decoded (${(error as Error).message}); the file is truncated or corrupt`, { cause: error });
    }
  } else {
    const ffmpeg = await ffmpegFor(fn, undefined);
    const chunks: Buffer[] = [];
    const run = await runFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', '-f', info.decoder, '-i', `file:${abs}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
      onStdout: (c) => void chunks.push(Buffer.from(c)),
    });
    if (run.code !== 0) {
      throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be decoded (ffmpeg: ${errorLine(run.stderr) || `exit code ${run.code}`}); the file is truncated or corrupt`);
    }
    const b = Buffer.concat(chunks);
    data = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (data.length !== width * height * 3) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${name} decoded to ${data.length} bytes, expected ${width}x${height} RGB (${width * height * 3} bytes)`);
  }
  return data;
}
