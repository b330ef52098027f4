/**
 * Shared steps of the model-running commands: load the model, open the input (a video file or a
 * folder of images) as a frame source, and read the model's T frames from it.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { allocateFrames, planFrameSelection, type FrameSource, type VideoFrames } from '@d4rt/core';
import { DEFAULT_MAX_BYTES, IMAGE_EXTENSIONS, IMAGE_FORMATS_TEXT, InvalidVideoError, loadModel, openFrames, openVideo, type D4rtModel, type NodeDevice } from '@d4rt/runtime-node';
import { deviceOption, intOption } from './options.js';
import type { progressBar } from './progress-bar.js';

/** Extensions of image formats people keep frames in that the readers do not decode. */
const UNSUPPORTED_IMAGES = ['gif', 'avif', 'heic', 'heif', 'jxl', 'jp2', 'j2k', 'exr', 'hdr', 'tga', 'ico', 'svg', 'psd', 'dng', 'cr2', 'nef', 'arw', 'raw', 'dpx', 'qoi', 'pcx', 'sgi'];

const extension = (f: string): string => /\.([^.]+)$/.exec(f)?.[1]?.toLowerCase() ?? '';

/** Up to 5 names, then how many more. */
function someNames(names: string[]): string {
  return names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
}

/**
 * The frames of an image folder, sorted by name: its files in a supported format
 * (`IMAGE_EXTENSIONS`). Hidden files and files that are not images (notes, `rgb.txt`) are left
 * out; images in a format the readers do not decode are an error naming them, not skipped frames.
 * @throws InvalidVideoError `'not-a-video'` naming the unsupported images, or, when the folder
 *   holds no supported image, what it holds; both list the supported formats
 */
export async function imageFolderFiles(folder: string): Promise<string[]> {
  const names = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
  const images = names.filter((n) => IMAGE_EXTENSIONS.includes(extension(n)));
  const unsupported = names.filter((n) => UNSUPPORTED_IMAGES.includes(extension(n)));
  const supported = `the supported formats are ${IMAGE_FORMATS_TEXT}: ${IMAGE_EXTENSIONS.map((e) => `.${e}`).join(' ')}`;
  if (unsupported.length > 0) {
    throw new InvalidVideoError('not-a-video', `the folder ${JSON.stringify(folder)} holds ${unsupported.length} image${unsupported.length > 1 ? 's' : ''} in a format the readers do not decode: ${someNames(unsupported)}; ${supported} (convert them, e.g. with ffmpeg, or move them out)`);
  }
  if (images.length === 0) {
    throw new InvalidVideoError('not-a-video', `the folder ${JSON.stringify(folder)} holds no image to read as frames (${names.length === 0 ? 'it is empty' : `it holds ${someNames(names)}`}); ${supported}`);
  }
  return images.map((n) => join(folder, n));
}

/**
 * Checks `--device` (`auto`, `cpu`, `cuda`, `webgpu`, or an order such as `webgpu,cpu`) and
 * `--threads` (a {@link UsageError} for a bad value); call it before any work.
 */
export function modelOptions(command: string, values: Record<string, unknown>): { device: NodeDevice; threads: number | undefined } {
  const device = deviceOption(command, values.device as string | undefined) ?? 'auto';
  const threads = intOption(command, 'threads', values.threads as string | undefined, 1, 1024);
  return { device, threads };
}

/** Loads the model the options name (`--model`, `--device`, `--threads`). */
export async function openModel(command: string, values: Record<string, unknown>, progress: ReturnType<typeof progressBar>): Promise<D4rtModel> {
  const { device, threads } = modelOptions(command, values);
  // onnxruntime's own log lines only with D4RT_DEBUG: otherwise its failures reach the user once, as our error
  const logLevel = process.env.D4RT_DEBUG ? 'warning' : 'fatal';
  return loadModel(values.model as string | undefined, { device, logLevel, ...(threads !== undefined && { threads }), onProgress: progress });
}

/**
 * Opens a video file (`openVideo`: ffmpeg, the container's timestamps) or a folder of images
 * sorted by name (`openFrames`: timestamps from names that are times) as a frame source.
 */
export async function openInput(path: string, progress: ReturnType<typeof progressBar>, signal?: AbortSignal): Promise<FrameSource> {
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory()) {
    return openFrames(await imageFolderFiles(path), { onProgress: progress });
  }
  return openVideo(path, { onProgress: progress, ...(signal && { signal }) });
}

/**
 * Reads the frames a model of T frames keeps from a source, as `readVideo(path, { frames: T })`
 * does: `selectFrames(n, T)` of a longer source, every frame once of a shorter one.
 * @returns frames with `sourceIndices`, `sourceFrames` and the source's `fps`
 */
export async function loadModelFrames(source: FrameSource, T: number, signal?: AbortSignal): Promise<VideoFrames> {
  const plan = planFrameSelection(source.frames, T);
  const indices = plan.indices ?? Int32Array.from({ length: source.frames }, (_, i) => i);
  const fb = source.width * source.height * 3;
  const data = allocateFrames('d4rt', JSON.stringify(source.name ?? 'the input'), plan.kept, source.width, source.height, DEFAULT_MAX_BYTES);
  let k = 0;
  for await (const f of source.read(indices, signal ? { signal } : {})) data.set(f.data, k++ * fb);
  const video: VideoFrames = { data, frames: plan.kept, width: source.width, height: source.height, sourceIndices: indices, sourceFrames: source.frames };
  if (source.fps !== undefined) video.fps = source.fps;
  return video;
}
