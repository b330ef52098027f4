/**
 * What the CLI writes, shared by the commands: depth (float32 `.npy`, 16-bit PNGs, colour PNGs),
 * cameras (JSON + TUM trajectory), tracks (JSON + an MP4 overlay) and point clouds (PLY). Every
 * file goes into the temporary folder of `writeOutputFolder`, so an output folder is written
 * all-or-nothing.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatTum } from '@d4rt/geometry';
import { selectFrames, type Cameras, type DepthMaps, type PointCloud, type Scene, type Tracks, type VideoFrames } from '@d4rt/core';
import { writeDepthPng, writeJson, writeMp4, writeNpy, writeRgbPng } from '@d4rt/runtime-node';
import { COLOR_KEY, depthPngScale, depthPreview, maxValidDepth, previewSize } from './depth-preview.js';
import { depthToRgba, drawTracks, encodeCamerasJson, encodePly, encodeTracksJson, rgbToRgba } from '@d4rt/viz';

/** `units` of depth.json without a metric reference. */
export const DEPTH_UNITS = 'relative: one unknown scale per clip (the model predicts depth up to scale)';

/** `units` of depth.json with `--scale-from`. */
export const METRIC_UNITS = 'metres (scaled by --scale-from)';

/** A source frame number as it appears in output file names: 6 digits (more when needed). */
export const frameName = (i: number): string => String(i).padStart(6, '0');

/**
 * A frame rate people can watch for `frames` frames taken from a video at `fps` at source frames
 * `sourceIndices`: the rate that plays them in real time (`fps * (frames - 1) / span`), at most
 * `frames / 2` so that a short result lasts at least 2 s, within [1, 30]; 8 without a source rate.
 */
export function watchableFps(frames: number, fps: number | undefined, sourceIndices?: ArrayLike<number>): number {
  let rate = fps ?? 8;
  if (fps !== undefined && sourceIndices && sourceIndices.length > 1) {
    const span = sourceIndices[sourceIndices.length - 1]! - sourceIndices[0]!;
    if (span > 0) rate = (fps * (sourceIndices.length - 1)) / span;
  }
  rate = Math.min(rate, frames / 2);
  return Math.max(1, Math.min(30, rate));
}

/**
 * Timestamps in seconds of source frames: the source's own (container times, or times in image
 * names) when known, else `index / fps`, else the index.
 */
export function frameTimes(sourceFrames: ArrayLike<number>, timestamps: ArrayLike<number> | undefined, fps: number | undefined): number[] {
  return Array.from(sourceFrames, (s) => (timestamps ? timestamps[s]! : fps ? s / fps : s));
}

/**
 * `depth.npy` [frames, height, width] float32 (every model frame), `depth/NNNNNN.png` (16-bit,
 * `round(depth * png.scale)`, see {@link depthPngScale}) and `depth-color/NNNNNN.png` (turbo by
 * inverse depth at the source size, longer side at most 1280, with a legend strip), named by
 * source frame (one file per distinct source frame: a short video's repeated frames are written
 * once), `depth.json`.
 * @param source - size of the source video, for the colour images
 */
export async function writeDepthOutputs(dir: string, depth: DepthMaps, scene: Scene, units = DEPTH_UNITS, source: { width: number; height: number } = depth): Promise<string[]> {
  const { width, height, frames } = depth;
  await writeNpy(join(dir, 'depth.npy'), depth.data, [frames, height, width]);
  await mkdir(join(dir, 'depth'), { recursive: true });
  await mkdir(join(dir, 'depth-color'), { recursive: true });
  const plane = width * height;
  const metric = units === METRIC_UNITS;
  const scale = depthPngScale(maxValidDepth(depth.data), metric);
  // one colour scale for the whole clip
  const all = depthToRgba(depth.data, { width, height: height * frames });
  const limits: [number, number] | null = Number.isFinite(all.min) && Number.isFinite(all.max) ? [all.min, all.max] : null;
  const view = previewSize(source);
  let clipped = 0;
  const written = new Set<number>();
  const files: string[] = [];
  let colourHeight = view.height;
  for (let i = 0; i < frames; i++) {
    const src = scene.sourceIndices[depth.frameIndices[i]!]!;
    if (written.has(src)) continue;
    written.add(src);
    const name = `${frameName(src)}.png`;
    files.push(name);
    const map = depth.data.subarray(i * plane, (i + 1) * plane);
    const r = await writeDepthPng(join(dir, 'depth', name), map, { width, height, scale });
    clipped += r.clipped;
    const colour = depthPreview(map, depth, view, limits, metric ? 'm' : 'relative');
    colourHeight = colour.height;
    await writeRgbPng(join(dir, 'depth-color', name), colour.rgba, { width: colour.width, height: colour.height, channels: 4 });
  }
  await writeJson(join(dir, 'depth.json'), {
    frames,
    width,
    height,
    modelFrames: Array.from(depth.frameIndices),
    sourceFrames: Array.from(depth.frameIndices, (k) => scene.sourceIndices[k]!),
    units,
    png: { scale, meaning: `depth = stored / scale (stored = round(depth * scale)); 0 = no value; ${metric ? 'millimetres' : 'scale = 65535 / the largest depth of the clip, 3 significant digits'}`, files: 'depth/<source frame>.png, depth-color/<source frame>.png', clippedPixels: clipped },
    npy: 'float32 [frames, height, width]',
    colorLimits: { near: all.min, far: all.max },
    color: { ...COLOR_KEY, limits: { near: all.min, far: all.max }, width: view.width, height: colourHeight, picture: { width: view.width, height: view.height } },
  });
  return ['depth.npy', 'depth/', 'depth-color/', 'depth.json'];
}

/**
 * `cameras.json` (`d4rt-cameras/1`: intrinsics, camera-to-world row-major 4x4) and
 * `trajectory.tum` with one line per distinct source frame, timestamped in seconds by
 * {@link frameTimes} (the container's times when the source has them).
 */
export async function writeCameraOutputs(dir: string, cams: Cameras, scene: Scene, fps: number | undefined, timestamps?: ArrayLike<number>): Promise<string[]> {
  const sourceFrames = Array.from(scene.sourceIndices);
  // The CLI writes into writeOutputFolder's temporary folder, so plain writes are all-or-nothing too.
  await writeFile(join(dir, 'cameras.json'), encodeCamerasJson(cams, { sourceFrames }));
  const keep: number[] = [];
  sourceFrames.forEach((s, k) => {
    if (k === 0 || s !== sourceFrames[k - 1]) keep.push(k);
  });
  const times = frameTimes(keep.map((k) => sourceFrames[k]!), timestamps, fps);
  await writeFile(join(dir, 'trajectory.tum'), formatTum({ timestamps: times, poses: keep.map((k) => cams.cameraToWorld[k]!) }));
  return ['cameras.json', 'trajectory.tum'];
}

/** `tracks.json` (`d4rt-tracks/1`): per frame, (u, v), xyz and visibility of every point. */
export async function writeTrackOutputs(dir: string, tracks: Tracks, query: { u: ArrayLike<number>; v: ArrayLike<number>; frame: ArrayLike<number> }, scene: Scene): Promise<string[]> {
  await writeFile(join(dir, 'tracks.json'), encodeTracksJson(tracks, { query, sourceFrames: Array.from(scene.sourceIndices) }));
  return ['tracks.json'];
}

/** `tracks.mp4`: the model's frames at the source resolution with the tracks drawn over them, at `fps` (see {@link watchableFps}). */
export async function writeTrackOverlay(dir: string, tracks: Tracks, video: VideoFrames, fps: number): Promise<string[]> {
  const { width, height } = video;
  const held = selectFrames(video.frames, tracks.frames);
  const frameBytes = width * height * 3;
  const out = new Uint8Array(tracks.frames * frameBytes);
  const radius = Math.max(1.5, Math.min(width, height) / 80);
  for (let t = 0; t < tracks.frames; t++) {
    const rgba = rgbToRgba(undefined, video.data.subarray(held[t]! * frameBytes, (held[t]! + 1) * frameBytes), width, height);
    drawTracks(rgba, { width, height, frame: t, tracks: { frames: tracks.frames, points: tracks.points, uv: tracks.uv, visible: tracks.visible }, radius, lineWidth: radius / 2 });
    for (let i = 0, j = t * frameBytes; i < width * height; i++, j += 3) {
      out[j] = rgba[4 * i]!;
      out[j + 1] = rgba[4 * i + 1]!;
      out[j + 2] = rgba[4 * i + 2]!;
    }
  }
  await writeMp4(join(dir, 'tracks.mp4'), out, { width, height, frames: tracks.frames, fps });
  return ['tracks.mp4'];
}

/** `pointcloud.ply` (binary, with colours and confidence). */
export async function writePointCloud(dir: string, cloud: PointCloud, units = 'up to scale'): Promise<string[]> {
  const bytes = encodePly(
    { positions: cloud.positions, colors: cloud.colors, confidence: cloud.confidence },
    { comments: [`d4rt point cloud: world = camera of the first frame, OpenCV axes, ${units}`] },
  );
  await writeFile(join(dir, 'pointcloud.ply'), bytes);
  return ['pointcloud.ply'];
}
