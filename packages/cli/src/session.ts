/**
 * Shared steps of the model-running commands: load the model, read the input.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, readFrames, readVideo, type D4rtModel, type VideoFrames } from '@d4rt/runtime-node';
import { choiceOption, intOption } from './options.js';
import type { progressBar } from './progress-bar.js';

const IMAGE = /\.(png|jpe?g|webp|tiff?)$/i;

/** Loads the model the options name (`--model`, `--device`, `--threads`). */
export async function openModel(command: string, values: Record<string, unknown>, progress: ReturnType<typeof progressBar>): Promise<D4rtModel> {
  const device = choiceOption(command, 'device', values.device as string | undefined, ['auto', 'cpu', 'cuda'] as const) ?? 'auto';
  const threads = intOption(command, 'threads', values.threads as string | undefined, 1, 1024);
  return loadModel(values.model as string | undefined, { device, ...(threads !== undefined && { threads }), onProgress: progress });
}

/**
 * Reads a video file, or a folder of images (sorted by name), keeping the model's T frames.
 */
export async function readInput(path: string, model: D4rtModel, progress: ReturnType<typeof progressBar>): Promise<VideoFrames> {
  const frames = model.manifest.clip.frames;
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory()) {
    const files = (await readdir(path)).filter((f) => IMAGE.test(f)).sort().map((f) => join(path, f));
    return readFrames(files, { frames, onProgress: progress });
  }
  return readVideo(path, { frames, onProgress: progress });
}
