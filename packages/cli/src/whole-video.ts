/**
 * `--all-frames` / `--fps`: the video commands on every frame (or every frame at a rate) of a
 * video of any length, through core's `processVideo` (overlapping windows, Sim(3) stitching, track
 * chaining). Results stream to the writers window by window: depth maps, point clouds, dense
 * frames and the overlay video are written as they come, so memory does not grow with the video;
 * only the small per-frame tables (cameras, tracks) are kept to the end. Everything goes into
 * `writeOutputFolder`'s temporary folder: a failure or a cancel leaves no output.
 *
 * @module
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatTum, type Intrinsics } from '@d4rt/geometry';
import { processVideo, type FrameSource, type ProcessVideoOptions, type ScaleReference, type TrackPoints, type VideoWindowResult } from '@d4rt/core';
import { createMp4Writer, createNpyWriter, writeDepthPng, writeRgbPng, type D4rtModel, type Mp4StreamWriter, type NpyStreamWriter } from '@d4rt/runtime-node';
import { depthToRgba, drawTracks, encodeCamerasJson, encodePly, encodePointCloudSequenceGlb, encodeTracksJson, rgbToRgba } from '@d4rt/viz';
import { COLOR_KEY, depthPngScale, depthPreview, maxValidDepth, previewSize } from './depth-preview.js';
import { DEPTH_UNITS, METRIC_UNITS, frameName, frameTimes, watchableFps } from './outputs.js';
import type { progressBar } from './progress-bar.js';

/** Most processed frames for which `track --dense` also writes the animated `dense.glb` (it holds every frame). */
export const DENSE_GLB_MAX_FRAMES = 600;

/** What a whole-video command needs. */
export interface WholeVideoJob {
  command: 'depth' | 'track' | 'pose' | 'recon';
  model: D4rtModel;
  source: FrameSource;
  /** Processing rate, or undefined for every frame. */
  fps?: number;
  overlap?: number;
  scaleFrom?: ScaleReference;
  chunkSize: number;
  progress: ReturnType<typeof progressBar>;
  signal?: AbortSignal;
  /** depth: map size; recon: grid per frame. */
  size?: { width: number; height: number };
  /** recon: confidence threshold. */
  minConfidence?: number;
  /** track: points (frames are source frames) and their frame. */
  points?: TrackPoints;
  trackFrame?: 'camera' | 'world';
  /** track: dense all-pixel tracking on this grid. */
  dense?: { width: number; height: number };
}

/** Tail length (frames) of the tracks drawn in `tracks.mp4`. */
const TAIL = 8;

/**
 * Runs a whole-video command into `dir` (the output folder's temporary folder).
 * @returns stdout lines and the number of frames processed
 */
export async function writeWholeVideo(dir: string, job: WholeVideoJob): Promise<{ lines: string[]; frames: number }> {
  const { command, model, source, progress } = job;
  const options: ProcessVideoOptions = {
    chunkSize: job.chunkSize,
    onProgress: progress,
    ...(job.fps !== undefined && { fps: job.fps }),
    ...(job.overlap !== undefined && { overlap: job.overlap }),
    ...(job.scaleFrom !== undefined && { scaleFrom: job.scaleFrom }),
    ...(job.signal && { signal: job.signal }),
  };
  if (command === 'depth') options.depth = job.size!;
  if (command === 'pose' || command === 'recon') options.cameras = true;
  if (command === 'recon') options.pointCloud = { ...job.size!, minConfidence: job.minConfidence ?? 0 };
  if (command === 'track') {
    options.tracks = { points: job.points!, frame: job.trackFrame === 'camera' ? 'camera' : 'world' };
    if (job.dense) options.dense = job.dense;
  }
  const run = processVideo(model, source, options);
  const N = run.frames.length;
  const units = job.scaleFrom ? METRIC_UNITS : 'relative: the scale of the first window (the model predicts depth up to scale; windows are stitched to one scale)';
  const times = frameTimes(run.frames, source.timestamps, source.fps);
  const rate = job.fps ?? source.fps;
  const windowInfo = { count: run.plan.windows.length, windowFrames: run.plan.windowFrames, overlap: run.plan.overlap, stride: run.plan.stride };
  const common = { frames: N, sourceFrames: Array.from(run.frames), timestamps: times, processing: { fps: job.fps ?? null, allFrames: job.fps === undefined }, windows: windowInfo };
  const lines: string[] = [];
  const sinks: { abort(): Promise<void> }[] = [];
  try {
    if (command === 'depth') await depthOutputs();
    else if (command === 'pose' || command === 'recon') await cameraOutputs();
    else await trackOutputs();
  } catch (error) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw error;
  }
  return { lines, frames: N };

  async function depthOutputs(): Promise<void> {
    const { width, height } = job.size!;
    const npy: NpyStreamWriter = await createNpyWriter(join(dir, 'depth.npy'), { dtype: 'float32', shape: [N, height, width] });
    sinks.push(npy);
    await mkdir(join(dir, 'depth'), { recursive: true });
    await mkdir(join(dir, 'depth-color'), { recursive: true });
    let limits: [number, number] | null = null;
    let scale = 0;
    let clipped = 0;
    const plane = width * height;
    const metric = job.scaleFrom !== undefined;
    const view = previewSize(source);
    let colourHeight = view.height;
    for await (const r of run) {
      const d = r.depth!;
      await npy.write(d.data);
      if (scale === 0) {
        // one colour scale and one PNG scale for the video, from the first window: robust colour
        // limits, and PNGs storing up to twice its largest depth (later windows may reach further)
        const first = depthToRgba(d.data, { width, height: height * d.frames });
        limits = Number.isFinite(first.min) && Number.isFinite(first.max) && first.max > first.min ? [first.min, first.max] : null;
        scale = depthPngScale(2 * maxValidDepth(d.data), metric);
      }
      for (let t = 0; t < d.frames; t++) {
        const name = `${frameName(r.frames[t]!)}.png`;
        const map = d.data.subarray(t * plane, (t + 1) * plane);
        clipped += (await writeDepthPng(join(dir, 'depth', name), map, { width, height, scale })).clipped;
        const colour = depthPreview(map, { width, height }, view, limits, metric ? 'm' : 'relative');
        colourHeight = colour.height;
        await writeRgbPng(join(dir, 'depth-color', name), colour.rgba, { width: colour.width, height: colour.height, channels: 4 });
      }
    }
    await npy.close();
    await writeFile(join(dir, 'depth.json'), `${JSON.stringify({
      ...common,
      width,
      height,
      units,
      png: { scale, meaning: `depth = stored / scale (stored = round(depth * scale)); 0 = no value; ${metric ? 'millimetres' : 'scale = 65535 / twice the largest depth of the first window, 3 significant digits'}`, files: 'depth/<source frame>.png, depth-color/<source frame>.png', clippedPixels: clipped },
      npy: 'float32 [frames, height, width], one map per processed frame in order',
      colorLimits: { near: limits?.[0] ?? null, far: limits?.[1] ?? null, from: 'the first window' },
      color: { ...COLOR_KEY, limits: { near: limits?.[0] ?? null, far: limits?.[1] ?? null, from: 'the first window' }, width: view.width, height: colourHeight, picture: { width: view.width, height: view.height } },
    }, null, 2)}\n`);
    lines.push(`depth: ${N} maps of ${width}x${height} (${windowInfo.count} windows)`);
  }

  async function cameraOutputs(): Promise<void> {
    const intrinsics: Intrinsics[] = [];
    const cameraToWorld: Float32Array[] = [];
    let ply: PlyStream | null = null;
    if (command === 'recon') {
      ply = await createPlyStream(join(dir, 'pointcloud.ply'), ['d4rt point cloud of a whole video: world = camera of the first processed frame, OpenCV axes', job.scaleFrom ? 'metres' : 'one scale for the video (up to scale)']);
      sinks.push(ply);
    }
    for await (const r of run) {
      intrinsics.push(...r.cameras!.intrinsics);
      cameraToWorld.push(...r.cameras!.cameraToWorld);
      if (ply) await ply.write(r.pointCloud!);
    }
    await writeFile(join(dir, 'cameras.json'), encodeCamerasJson({ frames: N, intrinsics, cameraToWorld, width: source.width, height: source.height }, { sourceFrames: run.frames }));
    await writeFile(join(dir, 'trajectory.tum'), formatTum({ timestamps: times, poses: cameraToWorld }));
    if (ply) {
      const count = await ply.close();
      lines.push(`point cloud: ${count} points from ${N} frames`);
    } else {
      lines.push(`cameras: ${N} frames (${windowInfo.count} windows), fx of frame ${run.frames[0]} = ${intrinsics[0]!.fx.toFixed(1)} px`);
    }
  }

  async function trackOutputs(): Promise<void> {
    const pts = job.points!;
    const P = pts.u.length;
    const uv = new Float32Array(N * P * 2), xyz = new Float32Array(N * P * 3), visibility = new Float32Array(N * P), confidence = new Float32Array(N * P);
    const { width: W, height: H } = source;
    const mp4: Mp4StreamWriter = await createMp4Writer(join(dir, 'tracks.mp4'), { width: W, height: H, fps: watchableFps(N, rate) });
    sinks.push(mp4);
    const radius = Math.max(1.5, Math.min(W, H) / 80);
    const histUv = new Float32Array((TAIL + 1) * P * 2), histVis = new Float32Array((TAIL + 1) * P);
    let hist = 0;
    const rgb = new Uint8Array(W * H * 3);
    let f = 0;
    const dense = job.dense ? await denseSink() : null;
    for await (const r of run) {
      const tr = r.tracks!;
      uv.set(tr.uv, 2 * f * P);
      xyz.set(tr.xyz, 3 * f * P);
      visibility.set(tr.visibility, f * P);
      confidence.set(tr.confidence, f * P);
      for (let t = 0; t < r.frames.length; t++) {
        // a rolling history of the last TAIL + 1 frames for the trails
        if (hist === TAIL + 1) {
          histUv.copyWithin(0, 2 * P, 2 * (TAIL + 1) * P);
          histVis.copyWithin(0, P, (TAIL + 1) * P);
          hist--;
        }
        histUv.set(tr.uv.subarray(2 * t * P, 2 * (t + 1) * P), 2 * hist * P);
        histVis.set(tr.visible.subarray(t * P, (t + 1) * P), hist * P);
        hist++;
        const rgba = rgbToRgba(undefined, r.rgb.subarray(t * W * H * 3, (t + 1) * W * H * 3), W, H);
        drawTracks(rgba, { width: W, height: H, frame: hist - 1, tracks: { frames: hist, points: P, uv: histUv.subarray(0, 2 * hist * P), visible: histVis.subarray(0, hist * P) }, radius, lineWidth: radius / 2, tail: TAIL });
        for (let i = 0, j = 0; i < W * H; i++, j += 3) {
          rgb[j] = rgba[4 * i]!;
          rgb[j + 1] = rgba[4 * i + 1]!;
          rgb[j + 2] = rgba[4 * i + 2]!;
        }
        await mp4.write(rgb);
      }
      if (dense) await dense.window(r);
      f += r.frames.length;
    }
    await mp4.close();
    const query = { u: pts.u, v: pts.v, frame: pts.frame };
    const trackFrame = job.trackFrame === 'camera' ? 'camera' : 'world';
    const conventions = `u = x / (width - 1), v = y / (height - 1); xyz in ${trackFrame === 'world' ? 'the world (camera of the first processed frame)' : 'the camera of each frame'}, ${job.scaleFrom ? 'metres' : 'at the scale of the first window'}; arrays per processed frame; a track has no position (null) before its window or after it is lost; query frames are source frames`;
    await writeFile(join(dir, 'tracks.json'), encodeTracksJson({ frames: N, points: P, frame: trackFrame, uv, xyz, visibility, confidence }, { query, sourceFrames: run.frames, conventions }));
    lines.push(`tracks: ${P} points over ${N} frames (${trackFrame} frame, ${windowInfo.count} windows)`);
    if (dense) lines.push(await dense.close());
  }

  /** dense/<frame>.ply per frame, dense.glb (short videos), dense.json. */
  async function denseSink(): Promise<{ window(r: VideoWindowResult): Promise<void>; close(): Promise<string> }> {
    await mkdir(join(dir, 'dense'), { recursive: true });
    const t0 = performance.now();
    const keepGlb = N <= DENSE_GLB_MAX_FRAMES;
    const frames: { positions: Float32Array; colors: Uint8Array }[] = [];
    const totals = { queries: 0, naive: 0, cells: 0, covered: 0, tracks: 0 };
    const perWindow: { window: number; frames: number; tracks: number; continued: number; queries: number; naive: number; coverage: number }[] = [];
    let maxId = -1;
    return {
      async window(r) {
        const d = r.dense!;
        for (let t = 0; t < d.frames; t++) {
          const a = d.offsets[t]!, b = d.offsets[t + 1]!;
          const positions = d.positions.slice(3 * a, 3 * b), colors = d.colors.slice(3 * a, 3 * b);
          await writeFile(join(dir, 'dense', `${frameName(r.frames[t]!)}.ply`), encodePly({ positions, colors }, { comments: [`d4rt dense frame ${r.frames[t]}: the visible points of the dense tracks, world = camera of the first processed frame`] }));
          if (keepGlb) frames.push({ positions, colors });
        }
        for (const id of d.ids) if (id > maxId) maxId = id;
        totals.queries += d.queries;
        totals.naive += d.naive;
        totals.cells += d.cells;
        totals.covered += d.covered;
        perWindow.push({ window: r.window.index, frames: d.frames, tracks: d.tracks, continued: d.continued, queries: d.queries, naive: d.naive, coverage: d.covered / d.cells });
      },
      async close() {
        const seconds = (performance.now() - t0) / 1000;
        if (keepGlb && frames.length > 0) {
          const offsets = new Uint32Array(frames.length + 1);
          frames.forEach((fr, i) => (offsets[i + 1] = offsets[i]! + fr.positions.length / 3));
          const positions = new Float32Array(3 * offsets[frames.length]!), colors = new Uint8Array(3 * offsets[frames.length]!);
          frames.forEach((fr, i) => {
            positions.set(fr.positions, 3 * offsets[i]!);
            colors.set(fr.colors, 3 * offsets[i]!);
          });
          await writeFile(join(dir, 'dense.glb'), encodePointCloudSequenceGlb({ frames: frames.length, offsets, positions, colors }, { fps: watchableFps(frames.length, rate) }));
        }
        totals.tracks = maxId + 1;
        await writeFile(join(dir, 'dense.json'), `${JSON.stringify({
          frames: N,
          grid: job.dense,
          tracks: totals.tracks,
          queries: totals.queries,
          naiveQueries: totals.naive,
          queryRatio: totals.queries / totals.naive,
          coverage: totals.covered / totals.cells,
          seconds,
          files: { ply: 'dense/<source frame>.ply', glb: keepGlb ? 'dense.glb' : `not written: more than ${DENSE_GLB_MAX_FRAMES} frames` },
          meaning: 'naiveQueries = frames * grid cells * T (every pixel of every frame tracked through its window); coverage = share of grid cells holding a visible point',
          windows: perWindow,
        }, null, 2)}\n`);
        return `dense: ${totals.tracks} tracks, ${totals.queries} queries (${((100 * totals.queries) / totals.naive).toFixed(1)} % of the naive ${totals.naive}), coverage ${(100 * totals.covered / totals.cells).toFixed(1)} %`;
      },
    };
  }
}

/** A binary PLY written in pieces: the points go to a body file, the header (with the count) is written at the end. */
interface PlyStream {
  write(cloud: { count: number; positions: Float32Array; colors: Uint8Array; confidence: Float32Array }): Promise<void>;
  close(): Promise<number>;
  abort(): Promise<void>;
}

async function createPlyStream(file: string, comments: string[]): Promise<PlyStream> {
  const body = `${file}.body`;
  const out = createWriteStream(body);
  let count = 0;
  const write = (bytes: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      out.write(bytes, (e) => (e ? reject(e) : resolve()));
    });
  return {
    async write(cloud) {
      const ply = encodePly({ positions: cloud.positions.subarray(0, 3 * cloud.count), colors: cloud.colors.subarray(0, 3 * cloud.count), confidence: cloud.confidence.subarray(0, cloud.count) });
      const end = Buffer.from(ply.buffer, ply.byteOffset, ply.byteLength).indexOf('end_header\n') + 'end_header\n'.length;
      await write(ply.subarray(end));
      count += cloud.count;
    },
    async close() {
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      const empty = encodePly({ positions: new Float32Array(0), colors: new Uint8Array(0), confidence: new Float32Array(0) }, { comments });
      const header = Buffer.from(empty).toString('latin1').replace('element vertex 0\n', `element vertex ${count}\n`);
      const dst = createWriteStream(file);
      dst.write(Buffer.from(header, 'latin1'));
      await pipeline(createReadStream(body), dst);
      await rm(body, { force: true });
      return count;
    },
    async abort() {
      out.destroy();
      await rm(body, { force: true });
    },
  };
}
