/**
 * Reading a sequence of image files into {@link VideoFrames}: PNG, JPEG, WebP, TIFF with sharp;
 * PPM, PGM, PBM, PAM and BMP (which sharp does not read) with ffmpeg.
 *
 * @module
 */
import path from 'node:path';
import { InvalidVideoError, allocateFrames, describeValue, planFrameSelection, type ProgressCallback, type VideoFrames } from '@d4rt/core';
import { decodeImage, probeImage, type ImageInfo } from './image-file.js';
import { assertOptionsObject, assertReadableFile, checkCommonOptions } from './read-video.js';

/** Options of {@link readFrames}. */
export interface ReadFramesOptions {
  /**
   * Keep at most `frames` images: from more files the ones `selectFrames(files.length, frames)`
   * picks, else every file once (as `readVideo` does); only those are decoded. The result then has `sourceIndices` and
   * `sourceFrames`. Default: every file.
   */
  frames?: number;
  /** Most bytes the result may hold; refused before decoding with `'too-large'`. Default 2 GiB. */
  maxBytes?: number;
  /** Frames per second to record in the result (`video.fps`); images have none of their own. */
  fps?: number;
  /**
   * Progress, stage `'decode-video'`: `done` images decoded of `total` images to decode (the
   * distinct selected files); non-decreasing, the last call has `done === total`.
   */
  onProgress?: ProgressCallback;
  /** Aborts between images; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Reads image files as the frames of a video: 8-bit RGB (alpha dropped, greyscale expanded to
 * RGB, 16-bit and other depths converted to 8-bit sRGB), EXIF orientation applied. Every file must
 * be an image of the same size (after orientation); all are checked (headers only) before any is
 * decoded.
 *
 * @param files - image paths, in frame order (at least one)
 * @param options - frame selection, memory bound, fps, progress, abort signal
 * @returns a new {@link VideoFrames}; `data` is a fresh `Uint8Array` (a copy, owned by the caller)
 * @throws TypeError when `files` is not an array of strings or an option has the wrong type;
 *   RangeError for an empty `files` or out-of-range options;
 *   {@link InvalidVideoError} with `reason` `'not-found'` (missing file or a directory),
 *   `'not-a-video'` (a file that is not an image in a supported format), `'bad-frames'` (images of different sizes),
 *   `'undecodable'` (an image whose header reads but whose pixels do not), `'too-large'`
 */
export async function readFrames(files: readonly string[], options: ReadFramesOptions = {}): Promise<VideoFrames> {
  const fn = 'readFrames';
  if (!Array.isArray(files)) throw new TypeError(`${fn}: files (${describeValue(files)}) must be an array of image paths`);
  if (files.length === 0) throw new RangeError(`${fn}: files (Array(0)) must hold at least one image path`);
  files.forEach((f, i) => {
    if (typeof f !== 'string') throw new TypeError(`${fn}: files[${i}] (${describeValue(f)}) must be a string (an image path)`);
    if (f === '') throw new RangeError(`${fn}: files[${i}] ("") must be a non-empty image path`);
  });
  assertOptionsObject(fn, options, '{ frames?, maxBytes?, fps?, onProgress?, signal? }');
  const { frames: keep, maxBytes, onProgress, signal } = checkCommonOptions(fn, options);
  const { fps } = options;
  if (fps !== undefined) {
    if (typeof fps !== 'number') throw new TypeError(`${fn}: options.fps (${describeValue(fps)}) must be a number (frames per second)`);
    if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`${fn}: options.fps (${fps}) must be a finite number > 0`);
  }
  signal?.throwIfAborted();

  const names = files.map((f) => JSON.stringify(f));
  const abs = files.map((f) => path.resolve(f));
  for (let i = 0; i < files.length; i++) await assertReadableFile(fn, names[i]!, abs[i]!);

  // Headers of every file: an image, and one size for all.
  const infos: ImageInfo[] = [];
  for (let i = 0; i < files.length; i++) {
    signal?.throwIfAborted();
    const info = await probeImage(fn, names[i]!, abs[i]!);
    if (i > 0 && (info.width !== infos[0]!.width || info.height !== infos[0]!.height)) {
      throw new InvalidVideoError(
        'bad-frames',
        `${fn}: images must all have one size, but ${names[0]} is ${infos[0]!.width}x${infos[0]!.height} and ${names[i]} (files[${i}]) is ${info.width}x${info.height}`,
      );
    }
    infos.push(info);
  }
  const { width, height } = infos[0]!;

  const plan = planFrameSelection(files.length, keep);
  const label = files.length === 1 ? names[0]! : `${names[0]} and ${files.length - 1} more images`;
  const data = allocateFrames(fn, label, plan.kept, width, height, maxBytes);
  const frameBytes = width * height * 3;
  const todo: number[] = [];
  for (let i = 0; i < files.length; i++) if (plan.first[i]! >= 0) todo.push(i);

  let done = 0;
  for (const i of todo) {
    signal?.throwIfAborted();
    const pixels = await decodeImage(fn, names[i]!, abs[i]!, infos[i]!);
    const first = plan.first[i]!;
    data.set(pixels, first * frameBytes);
    for (let k = first + 1; k < plan.end[i]!; k++) data.copyWithin(k * frameBytes, first * frameBytes, (first + 1) * frameBytes);
    onProgress?.({ stage: 'decode-video', done: ++done, total: todo.length });
  }

  const video: VideoFrames = { data, frames: plan.kept, width, height };
  if (fps !== undefined) video.fps = fps;
  if (plan.indices) {
    video.sourceIndices = plan.indices;
    video.sourceFrames = files.length;
  }
  return video;
}
