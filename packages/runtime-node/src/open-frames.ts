/**
 * A folder of images as a streaming {@link FrameSource}: the headers of every file are checked when
 * it is opened (all images, one size), the pixels are decoded only when a frame is read. PNG, JPEG,
 * WebP and TIFF are read with sharp; PPM, PGM, PBM, PAM and BMP with ffmpeg.
 *
 * Timestamps come from the file names when they are times: names (without the extension) that are
 * all decimal numbers with a fraction (`1305031102.175304.png`, as TUM RGB-D) are seconds; names
 * that are all integers of 13, 16 or 19 digits are milliseconds, microseconds or nanoseconds since
 * an epoch (`1403636579763555584.png`, as EuRoC). Other names (`000123.png`) are frame numbers,
 * not times: the timestamps are then `i / fps` with an `fps` option, else absent.
 *
 * @module
 */
import path from 'node:path';
import { InvalidVideoError, checkCallOptions, checkIndices, describeValue, type FrameReadOptions, type FrameSource, type ProgressCallback, type SourceFrame } from '@d4rt/core';
import { decodeImage, probeImage, type ImageInfo } from './image-file.js';
import { assertOptionsObject, assertReadableFile } from './read-video.js';

/** Options of {@link openFrames}. */
export interface OpenFramesOptions {
  /** Frames per second, for timestamps when the file names are not times. */
  fps?: number;
  /** Progress of each read, stage `'decode-video'`: images decoded of the images asked for. */
  onProgress?: ProgressCallback;
}

/**
 * Timestamps in seconds parsed from image file names, when every name is a time (see the module
 * notes); `null` otherwise.
 * @param files - paths or names, in frame order
 * @returns a new array, or null
 */
export function timestampsFromNames(files: readonly string[]): Float64Array | null {
  const stems = files.map((f) => path.basename(f).replace(/\.[^.]*$/, ''));
  if (stems.length === 0) return null;
  let out: number[] | null = null;
  if (stems.every((s) => /^\d+\.\d+$/.test(s))) out = stems.map(Number);
  else if (stems.every((s) => /^\d+$/.test(s))) {
    const digits = stems[0]!.length;
    const unit = digits === 19 ? 1e-9 : digits === 16 ? 1e-6 : digits === 13 ? 1e-3 : 0;
    if (unit > 0 && stems.every((s) => s.length === digits)) {
      // nanoseconds do not fit a double exactly: keep the seconds and the fraction apart
      out = stems.map((s) => {
        const cut = s.length - Math.round(-Math.log10(unit));
        return Number(s.slice(0, cut)) + Number(`0.${s.slice(cut)}`);
      });
    }
  }
  if (out === null) return null;
  for (let i = 1; i < out.length; i++) if (!(out[i]! > out[i - 1]!)) return null;
  return Float64Array.from(out);
}

/**
 * Opens image files as the frames of a video, for streaming reads (see the module notes).
 *
 * @param files - image paths in frame order (at least one)
 * @param options - `fps`, `onProgress`
 * @returns a new {@link FrameSource} named after the first file
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'`,
 *   `'not-a-video'` (not an image) or `'bad-frames'` (images of different sizes); a read throws
 *   `'undecodable'` for an image whose pixels do not decode
 */
export async function openFrames(files: readonly string[], options: OpenFramesOptions = {}): Promise<FrameSource> {
  const fn = 'openFrames';
  if (!Array.isArray(files)) throw new TypeError(`${fn}: files (${describeValue(files)}) must be an array of image paths`);
  if (files.length === 0) throw new RangeError(`${fn}: files (Array(0)) must hold at least one image path`);
  files.forEach((f, i) => {
    if (typeof f !== 'string' || f === '') throw new TypeError(`${fn}: files[${i}] (${describeValue(f)}) must be a non-empty string (an image path)`);
  });
  assertOptionsObject(fn, options, '{ fps?, onProgress? }');
  const { fps, onProgress } = options;
  if (fps !== undefined && (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0)) {
    throw new RangeError(`${fn}: options.fps (${describeValue(fps)}) must be a finite number > 0`);
  }
  checkCallOptions(fn, options);
  const names = files.map((f) => JSON.stringify(f));
  const abs = files.map((f) => path.resolve(f));
  const infos: ImageInfo[] = [];
  for (let i = 0; i < files.length; i++) {
    await assertReadableFile(fn, names[i]!, abs[i]!);
    const info = await probeImage(fn, names[i]!, abs[i]!);
    if (i > 0 && (info.width !== infos[0]!.width || info.height !== infos[0]!.height)) {
      throw new InvalidVideoError('bad-frames', `${fn}: images must all have one size, but ${names[0]} is ${infos[0]!.width}x${infos[0]!.height} and ${names[i]} (files[${i}]) is ${info.width}x${info.height}`);
    }
    infos.push(info);
  }
  const { width, height } = infos[0]!;
  const parsed = timestampsFromNames(files);
  const timestamps = parsed ?? (fps !== undefined ? Float64Array.from(files, (_, i) => i / fps) : undefined);
  return {
    frames: files.length,
    width,
    height,
    ...(fps !== undefined && { fps }),
    ...(timestamps !== undefined && { timestamps }),
    name: files[0]!,
    read(indices: Int32Array, readOptions: FrameReadOptions = {}): AsyncIterable<SourceFrame> {
      checkIndices('openFrames: read', indices, files.length);
      const sig = readOptions.signal;
      return (async function* () {
        let done = 0;
        for (const i of indices) {
          if (sig?.aborted) throw sig.reason;
          const data = await decodeImage(fn, names[i]!, abs[i]!, infos[i]!);
          onProgress?.({ stage: 'decode-video', done: ++done, total: indices.length });
          yield { index: i, data };
        }
      })();
    },
  };
}
