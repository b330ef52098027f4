/**
 * The real embedded model and one scene per worker, made on first use: `loadModel()` (one
 * onnxruntime thread, as two workers share the cores) and the demo clip's 16 frames, encoded once.
 * The query targets fuzz that scene's inputs; they never dispose it.
 *
 * @module
 */
import path from 'node:path';
import { loadModel, readVideo, type D4rtModel, type Scene, type VideoFrames } from '@d4rt/runtime-node';

/** The worker's model, the demo frames and their scene. */
export interface Shared {
  model: D4rtModel;
  video: VideoFrames;
  scene: Scene;
}

let shared: Promise<Shared> | undefined;

/** The worker's shared model and scene (loaded and encoded on the first call). */
export function sharedScene(seeds: string): Promise<Shared> {
  shared ??= (async () => {
    const model = await loadModel(undefined, { device: 'cpu', threads: 1 });
    const video = await readVideo(path.join(seeds, 'demo.mp4'), { frames: model.manifest.clip.frames });
    const scene = await model.encode(video);
    return { model, video, scene };
  })();
  return shared;
}
