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
import { depthToRgba, drawTracks, encodeCamerasJson, encodePly, encodeTracksJson, rgbToRgba } from '@d4rt/viz';

/** Stored units per depth unit in the 16-bit depth PNGs. */
export const DEPTH_PNG_SCALE = 1000;

const pad = (i: number): string => String(i).padStart(4, '0');

/** `depth.npy` [frames, height, width] float32, `depth/NNNN.png` (16-bit, depth * 1000), `depth-color/NNNN.png`, `depth.json`. */
export async function writeDepthOutputs(dir: string, depth: DepthMaps, scene: Scene): Promise<string[]> {
  const { width, height, frames } = depth;
  await writeNpy(join(dir, 'depth.npy'), depth.data, [frames, height, width]);
  await mkdir(join(dir, 'depth'), { recursive: true });
  await mkdir(join(dir, 'depth-color'), { recursive: true });
  const plane = width * height;
  // one colour scale for the whole clip
  const all = depthToRgba(depth.data, { width, height: height * frames });
  let clipped = 0;
  for (let i = 0; i < frames; i++) {
    const k = depth.frameIndices[i]!;
    const r = await writeDepthPng(join(dir, 'depth', `${pad(k)}.png`), depth.data.subarray(i * plane, (i + 1) * plane), { width, height, scale: DEPTH_PNG_SCALE });
    clipped += r.clipped;
    await writeRgbPng(join(dir, 'depth-color', `${pad(k)}.png`), all.rgba.subarray(i * plane * 4, (i + 1) * plane * 4), { width, height, channels: 4 });
  }
  await writeJson(join(dir, 'depth.json'), {
    frames,
    width,
    height,
    modelFrames: Array.from(depth.frameIndices),
    sourceFrames: Array.from(depth.frameIndices, (k) => scene.sourceIndices[k]!),
    units: 'relative: one unknown scale per clip (the model predicts depth up to scale)',
    png: { scale: DEPTH_PNG_SCALE, meaning: 'stored = round(depth * scale); 0 = no value', clippedPixels: clipped },
    npy: 'float32 [frames, height, width]',
    colorLimits: { near: all.min, far: all.max },
  });
  return ['depth.npy', 'depth/', 'depth-color/', 'depth.json'];
}

/** `cameras.json` (`d4rt-cameras/1`: intrinsics, camera-to-world row-major 4x4) and `trajectory.tum`. */
export async function writeCameraOutputs(dir: string, cams: Cameras, scene: Scene, fps: number | undefined): Promise<string[]> {
  const sourceFrames = Array.from(scene.sourceIndices);
  // The CLI writes into writeOutputFolder's temporary folder, so plain writes are all-or-nothing too.
  await writeFile(join(dir, 'cameras.json'), encodeCamerasJson(cams, { sourceFrames }));
  const timestamps = sourceFrames.map((s) => (fps ? s / fps : s));
  await writeFile(join(dir, 'trajectory.tum'), formatTum({ timestamps, poses: cams.cameraToWorld }));
  return ['cameras.json', 'trajectory.tum'];
}

/** `tracks.json` (`d4rt-tracks/1`): per frame, (u, v), xyz and visibility of every point. */
export async function writeTrackOutputs(dir: string, tracks: Tracks, query: { u: ArrayLike<number>; v: ArrayLike<number>; frame: ArrayLike<number> }, scene: Scene): Promise<string[]> {
  await writeFile(join(dir, 'tracks.json'), encodeTracksJson(tracks, { query, sourceFrames: Array.from(scene.sourceIndices) }));
  return ['tracks.json'];
}

/** `tracks.mp4`: the model's frames at the source resolution with the tracks drawn over them. */
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
export async function writePointCloud(dir: string, cloud: PointCloud): Promise<string[]> {
  const bytes = encodePly(
    { positions: cloud.positions, colors: cloud.colors, confidence: cloud.confidence },
    { comments: ['d4rt point cloud: world = camera of the first frame, OpenCV axes, up to scale'] },
  );
  await writeFile(join(dir, 'pointcloud.ply'), bytes);
  return ['pointcloud.ply'];
}
