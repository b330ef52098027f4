/**
 * Shared steps of the model-running commands: load the model, open the input (a video file or a
 * folder of images) as a frame source, and read the model's T frames from it.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { allocateFrames, planFrameSelection, type FrameSource, type VideoFrames } from '@d4rt/core';
import { DEFAULT_MAX_BYTES, loadModel, openFrames, openVideo, type D4rtModel } from '@d4rt/runtime-node';
import { choiceOption, intOption } from './options.js';
import type { progressBar } from './progress-bar.js';

const IMAGE = /\.(png|jpe?g|webp|tiff?)$/i;

/** Checks `--device` and `--threads` (a {@link UsageError} for a bad value); call it before any work. */
export function modelOptions(command: string, values: Record<string, unknown>): { device: 'auto' | 'cpu' | 'cuda'; threads: number | undefined } {
  const device = choiceOption(command, 'device', values.device as string | undefined, ['auto', 'cpu', 'cuda'] as const) ?? 'auto';
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
    const files = (await readdir(path)).filter((f) => IMAGE.test(f)).sort().map((f) => join(path, f));
    return openFrames(files, { onProgress: progress });
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
