/**
 * Whole videos: every frame (or every frame at a chosen rate), any length, in bounded memory.
 *
 * The processed frames are cut into overlapping windows of the model's `T` frames
 * ({@link planWindows}). Windows are encoded one at a time; each answers for the frames it
 * reports (its "own" frames), then its memory is dropped. Consecutive windows share frames:
 *
 * - **Stitching.** The shared frames are queried in both windows (a grid of pixels, 3D points in
 *   each window's frame) and a robust Sim(3) fit ({@link fitWindowTransform}) maps the new window
 *   onto the video's world: the camera of the first processed frame, at the first window's scale
 *   (or in metres with `scaleFrom`). Every 3D output is given in that world and scale.
 * - **Track chaining.** A tracked point is handed from window k to window k+1 at a shared frame
 *   where window k sees it (the most visible one, the latest on ties): it is re-queried in window
 *   k+1 from its position there. A point that no shared frame shows is lost from then on.
 * - **Dense tracking.** With `dense`, every pixel of every own frame belongs to a track
 *   ({@link denseTrack}); tracks visible in a shared frame continue into the next window, so each
 *   surface point keeps one id across the video.
 *
 * Results stream: iterate the returned {@link VideoRun} (`for await`) and get one
 * {@link VideoWindowResult} per window, in order, as soon as it is ready. Memory holds one window of
 * frames, one encoded window and the small state carried between windows; a long video needs no
 * more than a short one (outputs the caller accumulates aside). Progress: stage `'window'`
 * (windows done of all). `signal` aborts between windows and between query chunks; the frame
 * source's reading stops too.
 *
 * @module
 */
import { cameraCenter, transformPose, type Intrinsics } from '@d4rt/geometry';
import type { ReadonlyMat4 } from 'gl-matrix';
import { describeValue } from '../errors.js';
import type { D4rtModel } from '../model.js';
import { throwIfAborted, type AbortSignalLike, type ProgressCallback } from '../progress.js';
import { gridQueries, type TrackPoints } from '../queries.js';
import type { DepthMaps, PointCloud, Scene } from '../scene.js';
import { denseTrack } from '../tracking/dense-tracker.js';
import { selectFrames } from '../frame-selection.js';
import type { VideoFrames } from '../video.js';
import { nominalTimestamps, selectFramesAtRate } from './frame-rate.js';
import type { FrameSource, SourceFrame } from './frame-source.js';
import { checkScaleReference, measureScaleReference, type ScaleReference } from './scale-reference.js';
import { fitWindowTransform, transformInto, type StitchReport } from './stitch.js';
import { planWindows, type VideoWindow, type WindowPlan } from './window-plan.js';

/** Options of {@link processVideo}. */
export interface ProcessVideoOptions {
  /** Frames per second to process (> 0); default every frame. Needs the source's timestamps or fps. */
  fps?: number;
  /** Frames shared by consecutive windows; default a quarter of T (see {@link planWindows}). */
  overlap?: number;
  /** Frames between window starts (`T - overlap`); give `overlap` or `stride`. */
  stride?: number;
  /** Depth maps of every own frame; `true` = the model's input size. Depth is in world units. */
  depth?: boolean | { width?: number; height?: number };
  /** Intrinsics and camera-to-world poses of every own frame (the poses always in the video's world). */
  cameras?: boolean | { poseGrid?: number; focalGrid?: number };
  /**
   * Points to track through the video: `u`, `v` in [0, 1] and `frame`, a **source** frame index
   * that is processed. `frame: 'world'` (default) gives xyz in the video's world; `'camera'` in
   * each frame's camera (at world scale).
   */
  tracks?: { points: TrackPoints; frame?: 'world' | 'camera' };
  /** A world point cloud of every own frame (grid per frame, default the model's input size). */
  pointCloud?: boolean | { width?: number; height?: number; minConfidence?: number };
  /** Dense all-pixel tracking on a grid (default the model's input size). */
  dense?: boolean | { width?: number; height?: number };
  /**
   * Metric scale from a known fact ({@link ScaleReference}); its `frame` (a source frame) must be
   * encoded by the first window (default the first processed frame). The world is then in metres.
   */
  scaleFrom?: ScaleReference;
  /** Side of the pixel grid queried on each shared frame for stitching (integer in [2, 256]); default 24. */
  stitchGrid?: number;
  /** Queries per decoder run. */
  chunkSize?: number;
  /** Progress, stage `'window'`: windows done of all; the first call has done 0, the last done === total. */
  onProgress?: ProgressCallback;
  /** Aborts between windows and query chunks, and stops the frame source. */
  signal?: AbortSignalLike;
}

/** Tracks over a window's own frames, frame-major (entry `t * points + i` is point `i` at own frame `t`). */
export interface VideoTracks {
  /** Number of points (all of them, started or not). */
  points: number;
  /** Own frames in this window. */
  frames: number;
  /** Which frame `xyz` is in. */
  frame: 'world' | 'camera';
  /** `(u, v)` in [0, 1], interleaved; NaN where the track has no position (not started, or lost). */
  uv: Float32Array;
  /** xyz at world scale, interleaved; NaN where the track has no position. */
  xyz: Float32Array;
  /** Visibility probability; 0 where the track has no position. */
  visibility: Float32Array;
  /** 1 where `visibility > 0.5`. */
  visible: Uint8Array;
  /** Confidence; 0 where the track has no position. */
  confidence: Float32Array;
  /** 1 where the track has a position (started and not lost). */
  alive: Uint8Array;
  /** The window (index) each track was answered by here, -1 where it has no position. */
  window: Int32Array;
}

/** The dense reconstruction of a window's own frames: a time-varying point cloud (CSR by frame). */
export interface VideoDenseFrames {
  /** Own frames. */
  frames: number;
  /** Points of own frame `t` are `offsets[t] .. offsets[t + 1] - 1`. */
  offsets: Uint32Array;
  /** World positions, interleaved xyz. */
  positions: Float32Array;
  /** RGB of each point (the colour of its track's seed pixel). */
  colors: Uint8Array;
  /** Track id of each point: the same surface point has the same id in every frame and window. */
  ids: Uint32Array;
  /** Tracks answered in this window (continued + new). */
  tracks: number;
  /** Tracks continued from the window before. */
  continued: number;
  /** Queries run for the dense tracks of this window. */
  queries: number;
  /** Queries of the naive way for the own frames (`own frames * width * height * T`). */
  naive: number;
  /** Grid cells of the own frames, and how many hold a visible point of the output. */
  cells: number;
  covered: number;
  /** Grid size. */
  width: number;
  height: number;
}

/** One window's answers, in the video's world (see the module notes). */
export interface VideoWindowResult {
  /** The window in the plan (processed-frame positions). */
  window: VideoWindow;
  /** Windows in the plan. */
  windows: number;
  /** Source frame index of every frame the window encodes. */
  windowFrames: Int32Array;
  /** Source frame indices of the frames this result reports (the window's own frames), increasing. */
  frames: Int32Array;
  /** Presentation time in seconds of each reported frame, when the source knows it. */
  timestamps: Float64Array | null;
  /**
   * RGB bytes of the reported frames (`frames.length * height * width * 3`), e.g. to draw
   * overlays: a **view** of the run's frame buffer, valid only until the loop moves on.
   */
  rgb: Uint8Array;
  /** The window's own frame (camera of its first frame, model units) to the world, column-major 4x4 Sim(3). */
  toWorld: Float64Array;
  /** Scale of `toWorld`: world units per window unit. */
  scale: number;
  /** How the window was attached (null for the first window). */
  stitch: StitchReport | null;
  /** The metric factor of `scaleFrom` (first window only). */
  metricScale?: number;
  /** Depth maps of the reported frames (`frameIndices` are model frames of this window), in world units. */
  depth?: DepthMaps;
  /** Cameras of the reported frames: intrinsics (source pixels) and camera-to-world in the world. */
  cameras?: { intrinsics: Intrinsics[]; cameraToWorld: Float32Array[] };
  /** Tracks at the reported frames. */
  tracks?: VideoTracks;
  /** World point cloud of the reported frames (`frameIndex` are model frames of this window). */
  pointCloud?: PointCloud;
  /** Dense tracks at the reported frames. */
  dense?: VideoDenseFrames;
}

/** A whole-video run: the plan, and the window results as an async iterable (iterate it once). */
export interface VideoRun extends AsyncIterable<VideoWindowResult> {
  /** Source frame index of every processed frame (positions in the plan index into it). */
  readonly frames: Int32Array;
  /** The windows. */
  readonly plan: WindowPlan;
}

function sizeOption(fn: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 16384) {
    throw new RangeError(`${fn}: options.${name} (${describeValue(value)}) must be an integer in [1, 16384]`);
  }
  return value;
}

function objectOption<T extends object>(fn: string, name: string, value: unknown): T | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {} as T;
  if (typeof value !== 'object' || value === null) throw new TypeError(`${fn}: options.${name} (${describeValue(value)}) must be true or an options object`);
  return value as T;
}

/** The processed position of each source frame (-1 when not processed). */
function positionsOf(frames: Int32Array, sourceFrames: number): Int32Array {
  const pos = new Int32Array(sourceFrames).fill(-1);
  frames.forEach((s, p) => (pos[s] = p));
  return pos;
}

/**
 * Processes a whole video window by window (see the module notes).
 *
 * @param model - a loaded model (any backend)
 * @param source - the frames ({@link FrameSource})
 * @param options - frame rate, windows, outputs, metric scale, progress, abort
 * @returns a {@link VideoRun}: `frames` and `plan` at once, the window results when iterated
 * @throws TypeError / RangeError for bad options (before anything is read), e.g. an `fps` without
 *   source timing, track frames that are not processed, a `scaleFrom` frame outside the first window
 */
export function processVideo(model: D4rtModel, source: FrameSource, options: ProcessVideoOptions = {}): VideoRun {
  const fn = 'processVideo';
  model.assertAlive(fn);
  if (typeof source !== 'object' || source === null || typeof source.read !== 'function') {
    throw new TypeError(`${fn}: source (${describeValue(source)}) must be a FrameSource { frames, width, height, read() }`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object`);
  const T = model.manifest.clip.frames;
  const { width: Ws, height: Hs } = source;
  // frames
  let frames: Int32Array;
  if (options.fps !== undefined) {
    if (typeof options.fps !== 'number' || !Number.isFinite(options.fps) || options.fps <= 0) {
      throw new RangeError(`${fn}: options.fps (${describeValue(options.fps)}) must be a finite number > 0`);
    }
    const times = source.timestamps ?? (source.fps !== undefined ? nominalTimestamps(source.frames, source.fps) : undefined);
    if (times === undefined) {
      throw new RangeError(`${fn}: options.fps (${options.fps}) needs the source's frame times, but ${source.name ?? 'the source'} has neither timestamps nor fps; process every frame instead`);
    }
    frames = selectFramesAtRate(times, options.fps);
  } else {
    frames = Int32Array.from({ length: source.frames }, (_, i) => i);
  }
  const planOptions = { frames: frames.length, windowFrames: T, ...(options.overlap !== undefined && { overlap: options.overlap }), ...(options.stride !== undefined && { stride: options.stride }) };
  const plan = planWindows(planOptions);
  const position = positionsOf(frames, source.frames);
  const depthOpt = objectOption<{ width?: number; height?: number }>(fn, 'depth', options.depth);
  const camOpt = objectOption<{ poseGrid?: number; focalGrid?: number }>(fn, 'cameras', options.cameras);
  const cloudOpt = objectOption<{ width?: number; height?: number; minConfidence?: number }>(fn, 'pointCloud', options.pointCloud);
  const denseOpt = objectOption<{ width?: number; height?: number }>(fn, 'dense', options.dense);
  const stitchGrid = options.stitchGrid ?? 24;
  if (!Number.isInteger(stitchGrid) || stitchGrid < 2 || stitchGrid > 256) {
    throw new RangeError(`${fn}: options.stitchGrid (${describeValue(stitchGrid)}) must be an integer in [2, 256]`);
  }
  const first = plan.windows[0]!;
  let scaleFrom: ScaleReference | undefined;
  if (options.scaleFrom !== undefined) {
    scaleFrom = checkScaleReference(fn, 'options.scaleFrom', options.scaleFrom, Ws, Hs);
    const f = scaleFrom.frame ?? frames[0]!;
    const p = f < source.frames ? position[f]! : -1;
    if (p < first.start || p >= first.end) {
      throw new RangeError(
        `${fn}: options.scaleFrom.frame (${f}) must be a processed source frame of the first window (source frames ${Array.from(frames.subarray(first.start, first.end)).join(', ')})`,
      );
    }
  }
  // tracks
  let trackPos: Int32Array | undefined;
  const tracksOpt = options.tracks;
  if (tracksOpt !== undefined) {
    const pts = tracksOpt.points;
    if (typeof pts !== 'object' || pts === null) throw new TypeError(`${fn}: options.tracks.points (${describeValue(pts)}) must be an object { u, v, frame } of arrays`);
    const n = pts.u.length;
    if (pts.v.length !== n || pts.frame.length !== n) {
      throw new RangeError(`${fn}: options.tracks.points.u, .v and .frame must have one length (${n}, ${pts.v.length}, ${pts.frame.length})`);
    }
    trackPos = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = pts.u[i]!, v = pts.v[i]!, f = pts.frame[i]!;
      if (!(u >= 0 && u <= 1) || !(v >= 0 && v <= 1)) throw new RangeError(`${fn}: options.tracks.points ${i} (u ${u}, v ${v}) must have u, v in [0, 1]`);
      const p = Number.isInteger(f) && f >= 0 && f < source.frames ? position[f]! : -1;
      if (p < 0) {
        let near = 0;
        for (let k = 0; k < frames.length; k++) if (Math.abs(frames[k]! - f) < Math.abs(frames[near]! - f)) near = k;
        throw new RangeError(`${fn}: options.tracks.points.frame[${i}] (${f}) must be a processed source frame; the nearest is ${frames[near]}`);
      }
      trackPos[i] = p;
    }
    if (tracksOpt.frame !== undefined && tracksOpt.frame !== 'world' && tracksOpt.frame !== 'camera') {
      throw new RangeError(`${fn}: options.tracks.frame (${describeValue(tracksOpt.frame)}) must be 'world' or 'camera'`);
    }
  }
  const settings: RunSettings = {
    T, plan, frames, depthOpt, camOpt, cloudOpt, denseOpt, stitchGrid, scaleFrom, trackPos,
    trackMode: tracksOpt?.frame ?? 'world',
    trackPoints: tracksOpt?.points,
  };
  let started = false;
  return {
    frames,
    plan,
    [Symbol.asyncIterator](): AsyncIterator<VideoWindowResult> {
      if (started) throw new Error(`${fn}: a VideoRun can be iterated once`);
      started = true;
      return run(model, source, options, settings);
    },
  };
}

interface RunSettings {
  T: number;
  plan: WindowPlan;
  frames: Int32Array;
  depthOpt: { width?: number; height?: number } | undefined;
  camOpt: { poseGrid?: number; focalGrid?: number } | undefined;
  cloudOpt: { width?: number; height?: number; minConfidence?: number } | undefined;
  denseOpt: { width?: number; height?: number } | undefined;
  stitchGrid: number;
  scaleFrom: ScaleReference | undefined;
  trackPos: Int32Array | undefined;
  trackMode: 'world' | 'camera';
  trackPoints: TrackPoints | undefined;
}

/** State carried from one window to the next: the world points and camera centres of the shared frames. */
interface Anchors {
  /** Processed positions of the shared frames. */
  positions: number[];
  world: Float64Array;
  confidence: Float64Array;
  range: Float64Array;
  /** World camera centres of the shared frames (when the run computes cameras). */
  centres: Float64Array | null;
}

async function* run(model: D4rtModel, source: FrameSource, options: ProcessVideoOptions, s: RunSettings): AsyncGenerator<VideoWindowResult, void, undefined> {
  const fn = 'processVideo';
  const { T, plan, frames } = s;
  const { onProgress, signal, chunkSize } = options;
  const q = { ...(chunkSize !== undefined && { chunkSize }), ...(signal && { signal }) };
  const Ws = source.width, Hs = source.height;
  const frameBytes = Ws * Hs * 3;
  const maxLen = Math.min(T, frames.length);
  const buffer = new Uint8Array(maxLen * frameBytes);
  const total = plan.windows.length;
  onProgress?.({ stage: 'window', done: 0, total });
  const reader = source.read(frames, signal ? { signal } : {})[Symbol.asyncIterator]();
  let readUpTo = 0; // processed frames read so far
  let bufStart = 0; // processed position of buffer frame 0
  let toWorld: Float64Array = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  let anchors: Anchors | null = null;
  // tracks: 0 pending, 1 active, 2 lost; query (u, v, processed position)
  const nTracks = s.trackPos?.length ?? 0;
  const trackState = new Uint8Array(nTracks);
  const trackU = new Float32Array(nTracks), trackV = new Float32Array(nTracks), trackP = new Int32Array(nTracks);
  if (s.trackPoints && s.trackPos) {
    trackU.set(Float32Array.from(s.trackPoints.u));
    trackV.set(Float32Array.from(s.trackPoints.v));
    trackP.set(s.trackPos);
  }
  // dense: tracks continued into the next window
  let dense: { ids: Uint32Array; u: Float32Array; v: Float32Array; p: Int32Array; colors: Uint8Array } | null = null;
  let nextDenseId = 0;
  try {
    for (const w of plan.windows) {
      throwIfAborted(signal, fn);
      const len = w.end - w.start;
      // frames: keep the shared ones, read the rest
      if (w.start > bufStart) buffer.copyWithin(0, (w.start - bufStart) * frameBytes, (readUpTo - bufStart) * frameBytes);
      bufStart = w.start;
      while (readUpTo < w.end) {
        const next = await reader.next();
        if (next.done) throw new Error(`${fn}: ${source.name ?? 'the frame source'} ended after ${readUpTo} of ${frames.length} frames`);
        const frame: SourceFrame = next.value;
        if (frame.index !== frames[readUpTo] || frame.data.length !== frameBytes) {
          throw new Error(`${fn}: ${source.name ?? 'the frame source'} gave frame ${frame.index} (${frame.data.length} bytes) where frame ${frames[readUpTo]} (${frameBytes} bytes) was expected`);
        }
        buffer.set(frame.data, (readUpTo - bufStart) * frameBytes);
        readUpTo++;
      }
      throwIfAborted(signal, fn);
      const windowFrames = frames.slice(w.start, w.end);
      const video: VideoFrames = { data: buffer.subarray(0, len * frameBytes), frames: len, width: Ws, height: Hs, sourceIndices: windowFrames, sourceFrames: source.frames };
      if (source.fps !== undefined) video.fps = source.fps;
      const scene = await model.encode(video, signal ? { signal } : {});
      try {
        const result = await answerWindow(scene, w, windowFrames, video);
        onProgress?.({ stage: 'window', done: w.index + 1, total });
        yield result;
      } finally {
        scene.dispose();
      }
    }
  } finally {
    await reader.return?.();
  }

  /** Model frame of a processed position inside the current window. */
  function modelFrame(scene: Scene, p: number): number {
    return scene.frameOfSource(frames[p]!);
  }

  async function answerWindow(scene: Scene, w: VideoWindow, windowFrames: Int32Array, video: VideoFrames): Promise<VideoWindowResult> {
    const next = plan.windows[w.index + 1];
    const own = Int32Array.from({ length: w.ownEnd - w.ownStart }, (_, i) => w.ownStart + i);
    const ownModel = Int32Array.from(own, (p) => modelFrame(scene, p));
    // cameras when asked for; they also add their centres to the stitching
    const cams = s.camOpt !== undefined ? await scene.cameras({ ...q, ...(s.camOpt?.poseGrid !== undefined && { poseGrid: s.camOpt.poseGrid }), ...(s.camOpt?.focalGrid !== undefined && { focalGrid: s.camOpt.focalGrid }) }) : null;
    // --- attach the window to the world
    let stitch: StitchReport | null = null;
    let metricScale: number | undefined;
    if (anchors === null) {
      if (s.scaleFrom !== undefined) {
        const f = s.scaleFrom.frame ?? frames[0]!;
        const m = await measureScaleReference(scene, s.scaleFrom, { ...q, modelFrame: scene.frameOfSource(f) });
        metricScale = m.scale;
        toWorld = new Float64Array([m.scale, 0, 0, 0, 0, m.scale, 0, 0, 0, 0, m.scale, 0, 0, 0, 0, 1]);
      }
    } else {
      const a = anchors;
      const shared = a.positions.map((p) => modelFrame(scene, p));
      const r = await scene.query(gridQueries({ frames: shared, width: s.stitchGrid, height: s.stitchGrid, camera: 0 }), q);
      const local = Float64Array.from(r.xyz);
      const weights = new Float64Array(r.count);
      for (let i = 0; i < r.count; i++) weights[i] = a.confidence[i]! * r.confidence[i]!;
      let centres: { local: Float64Array; world: Float64Array } | null = null;
      if (cams && a.centres) {
        const centresLocal = new Float64Array(3 * shared.length);
        const c = new Float64Array(3);
        shared.forEach((m, i) => {
          cameraCenter(c as unknown as Float32Array, cams.cameraToWorld[m]!);
          centresLocal.set(c, 3 * i);
        });
        centres = { local: centresLocal, world: a.centres };
      }
      const fit = fitWindowTransform({ local, world: a.world, weights, range: a.range }, centres, toWorld);
      toWorld = fit.matrix;
      stitch = fit.report;
    }
    const scale = Math.hypot(toWorld[0]!, toWorld[1]!, toWorld[2]!);
    // --- anchors for the next window (world points of the frames it shares with this one)
    let nextAnchors: Anchors | null = null;
    if (next !== undefined) {
      const positions: number[] = [];
      for (let p = next.start; p < w.end; p++) positions.push(p);
      const shared = positions.map((p) => modelFrame(scene, p));
      const r = await scene.query(gridQueries({ frames: shared, width: s.stitchGrid, height: s.stitchGrid, camera: 0 }), q);
      const world = transformInto(new Float64Array(3 * r.count), toWorld, r.xyz);
      const centres = cams ? new Float64Array(3 * shared.length) : null;
      const c = new Float64Array(3);
      const range = new Float64Array(r.count);
      const per = s.stitchGrid * s.stitchGrid;
      shared.forEach((m, i) => {
        // the camera that saw the points (without cameras: the window's first camera)
        if (cams) cameraCenter(c as unknown as Float32Array, cams.cameraToWorld[m]!);
        else c.fill(0);
        transformInto(c, toWorld, c, 1);
        centres?.set(c, 3 * i);
        for (let j = i * per; j < (i + 1) * per; j++) range[j] = Math.hypot(world[3 * j]! - c[0]!, world[3 * j + 1]! - c[1]!, world[3 * j + 2]! - c[2]!);
      });
      nextAnchors = { positions, world, confidence: Float64Array.from(r.confidence), range, centres };
    }
    const result: VideoWindowResult = {
      window: { ...w },
      windows: plan.windows.length,
      windowFrames,
      frames: Int32Array.from(own, (p) => frames[p]!),
      timestamps: source.timestamps ? Float64Array.from(own, (p) => source.timestamps![frames[p]!]!) : null,
      rgb: video.data.subarray((w.ownStart - w.start) * frameBytes, (w.ownEnd - w.start) * frameBytes),
      toWorld: Float64Array.from(toWorld),
      scale,
      stitch,
      ...(metricScale !== undefined && { metricScale }),
    };
    // --- outputs
    if (s.camOpt !== undefined && cams) {
      const cameraToWorld: Float32Array[] = [];
      const intrinsics: Intrinsics[] = [];
      for (const m of ownModel) {
        intrinsics.push({ ...cams.intrinsics[m]! });
        cameraToWorld.push(transformPose(new Float32Array(16), toWorld as unknown as ReadonlyMat4, cams.cameraToWorld[m]!) as Float32Array);
      }
      result.cameras = { intrinsics, cameraToWorld };
    }
    if (s.depthOpt !== undefined) {
      const d = await scene.depth({ ...q, frames: ownModel, ...(s.depthOpt.width !== undefined && { width: s.depthOpt.width }), ...(s.depthOpt.height !== undefined && { height: s.depthOpt.height }) });
      for (let i = 0; i < d.data.length; i++) d.data[i] = d.data[i]! * scale;
      result.depth = d;
    }
    if (s.cloudOpt !== undefined) {
      const c = await scene.pointCloud({
        ...q,
        frames: ownModel,
        ...(s.cloudOpt.width !== undefined && { width: s.cloudOpt.width }),
        ...(s.cloudOpt.height !== undefined && { height: s.cloudOpt.height }),
        ...(s.cloudOpt.minConfidence !== undefined && { minConfidence: s.cloudOpt.minConfidence }),
      });
      transformInto(c.positions, toWorld, c.positions, c.count);
      result.pointCloud = c;
    }
    if (s.trackPos !== undefined) result.tracks = await answerTracks(scene, w, own, ownModel, scale, next);
    if (s.denseOpt !== undefined) result.dense = await answerDense(scene, w, own, ownModel, next, video);
    anchors = nextAnchors;
    return result;
  }

  async function answerTracks(scene: Scene, w: VideoWindow, own: Int32Array, ownModel: Int32Array, scale: number, next: VideoWindow | undefined): Promise<VideoTracks> {
    const n = nTracks;
    // start the tracks whose query frame this window encodes first
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      if (trackState[i] === 0 && trackP[i]! >= w.start && trackP[i]! < w.end) trackState[i] = 1;
      if (trackState[i] === 1) idx.push(i);
    }
    const F = own.length;
    const out: VideoTracks = {
      points: n,
      frames: F,
      frame: s.trackMode,
      uv: new Float32Array(F * n * 2).fill(Number.NaN),
      xyz: new Float32Array(F * n * 3).fill(Number.NaN),
      visibility: new Float32Array(F * n),
      visible: new Uint8Array(F * n),
      confidence: new Float32Array(F * n),
      alive: new Uint8Array(F * n),
      window: new Int32Array(F * n).fill(-1),
    };
    if (idx.length === 0) return out;
    const points = {
      u: idx.map((i) => trackU[i]!),
      v: idx.map((i) => trackV[i]!),
      frame: idx.map((i) => modelFrame(scene, trackP[i]!)),
    };
    const mode = s.trackMode === 'world' ? 'world' : 'camera';
    const tr = await scene.track(points, { ...q, frame: mode, referenceFrame: 0 });
    const m = idx.length;
    const pt = new Float64Array(3);
    for (let t = 0; t < F; t++) {
      const mf = ownModel[t]!;
      for (let j = 0; j < m; j++) {
        const i = idx[j]!;
        const a = mf * m + j, b = t * n + i;
        out.uv[2 * b] = tr.uv[2 * a]!;
        out.uv[2 * b + 1] = tr.uv[2 * a + 1]!;
        if (mode === 'world') {
          transformInto(pt, toWorld, tr.xyz.subarray(3 * a, 3 * a + 3), 1);
          out.xyz.set(pt, 3 * b);
        } else {
          for (let c = 0; c < 3; c++) out.xyz[3 * b + c] = tr.xyz[3 * a + c]! * scale;
        }
        out.visibility[b] = tr.visibility[a]!;
        out.visible[b] = tr.visible[a]!;
        out.confidence[b] = tr.confidence[a]!;
        out.alive[b] = 1;
        out.window[b] = w.index;
      }
    }
    // hand the tracks to the next window at the shared frame that shows them best
    if (next !== undefined) {
      for (let j = 0; j < m; j++) {
        const i = idx[j]!;
        let best = -1, bestVis = 0.5;
        for (let p = next.start; p < w.end; p++) {
          const a = modelFrame(scene, p) * m + j;
          const vis = tr.visibility[a]!;
          if (vis > 0.5 && vis >= bestVis) {
            best = p;
            bestVis = vis;
          }
        }
        if (best < 0) {
          trackState[i] = 2;
          continue;
        }
        const a = modelFrame(scene, best) * m + j;
        trackU[i] = Math.min(1, Math.max(0, tr.uv[2 * a]!));
        trackV[i] = Math.min(1, Math.max(0, tr.uv[2 * a + 1]!));
        trackP[i] = best;
      }
    }
    return out;
  }

  async function answerDense(scene: Scene, w: VideoWindow, own: Int32Array, ownModel: Int32Array, next: VideoWindow | undefined, video: VideoFrames): Promise<VideoDenseFrames> {
    const opt = s.denseOpt!;
    const sharedNext: number[] = [];
    if (next !== undefined) for (let p = next.start; p < w.end; p++) sharedNext.push(p);
    const targetSet = new Set<number>(ownModel);
    for (const p of sharedNext) targetSet.add(modelFrame(scene, p));
    const targets = Int32Array.from([...targetSet].sort((a, b) => a - b));
    const seeds = dense === null ? undefined : { u: dense.u, v: dense.v, frame: Int32Array.from(dense.p, (p) => modelFrame(scene, p)) };
    const d = await denseTrack(scene, {
      ...q,
      frames: ownModel,
      targets,
      camera: 'world',
      ...(opt.width !== undefined && { width: opt.width }),
      ...(opt.height !== undefined && { height: opt.height }),
      ...(seeds !== undefined && { seeds }),
    });
    const n = d.count;
    const ids = new Uint32Array(n);
    const colors = new Uint8Array(3 * n);
    if (dense !== null) {
      ids.set(dense.ids);
      colors.set(dense.colors);
    }
    // colours of new tracks: their seed pixel in the source frame
    const held = selectFrames(video.frames, T);
    for (let i = d.chained; i < n; i++) {
      ids[i] = nextDenseId++;
      const x = Math.round(d.seedU[i]! * (Ws - 1));
      const y = Math.round(d.seedV[i]! * (Hs - 1));
      const px = ((held[d.seedFrame[i]!]! * Hs + y) * Ws + x) * 3;
      colors[3 * i] = video.data[px]!;
      colors[3 * i + 1] = video.data[px + 1]!;
      colors[3 * i + 2] = video.data[px + 2]!;
    }
    const targetIndex = new Map<number, number>();
    targets.forEach((t, j) => targetIndex.set(t, j));
    // per own frame: the visible points, in the world
    const F = own.length;
    const offsets = new Uint32Array(F + 1);
    for (let t = 0; t < F; t++) {
      const j = targetIndex.get(ownModel[t]!)!;
      let c = 0;
      for (let i = 0; i < n; i++) if (d.visibility[j * n + i]! > 0.5) c++;
      offsets[t + 1] = offsets[t]! + c;
    }
    const totalPts = offsets[F]!;
    const positions = new Float32Array(3 * totalPts);
    const pcolors = new Uint8Array(3 * totalPts);
    const pids = new Uint32Array(totalPts);
    const W = d.width, H = d.height;
    const occ = new Uint8Array(W * H);
    let covered = 0;
    for (let t = 0; t < F; t++) {
      const j = targetIndex.get(ownModel[t]!)!;
      let o = offsets[t]!;
      occ.fill(0);
      for (let i = 0; i < n; i++) {
        const k = j * n + i;
        if (!(d.visibility[k]! > 0.5)) continue;
        transformInto(positions.subarray(3 * o, 3 * o + 3), toWorld, d.xyz.subarray(3 * k, 3 * k + 3), 1);
        pcolors[3 * o] = colors[3 * i]!;
        pcolors[3 * o + 1] = colors[3 * i + 1]!;
        pcolors[3 * o + 2] = colors[3 * i + 2]!;
        pids[o] = ids[i]!;
        o++;
        const x = Math.round(d.uv[2 * k]! * (W - 1)), y = Math.round(d.uv[2 * k + 1]! * (H - 1));
        if (x >= 0 && x < W && y >= 0 && y < H && occ[y * W + x] === 0) {
          occ[y * W + x] = 1;
          covered++;
        }
      }
    }
    // continue the tracks visible in a shared frame
    if (next !== undefined) {
      const keep: number[] = [], kp: number[] = [], ku: number[] = [], kv: number[] = [];
      for (let i = 0; i < n; i++) {
        let best = -1, bestVis = 0.5;
        for (const p of sharedNext) {
          const k = targetIndex.get(modelFrame(scene, p))! * n + i;
          const vis = d.visibility[k]!;
          if (vis > 0.5 && vis >= bestVis) {
            best = p;
            bestVis = vis;
          }
        }
        if (best < 0) continue;
        const k = targetIndex.get(modelFrame(scene, best))! * n + i;
        keep.push(i);
        kp.push(best);
        ku.push(Math.min(1, Math.max(0, d.uv[2 * k]!)));
        kv.push(Math.min(1, Math.max(0, d.uv[2 * k + 1]!)));
      }
      const kc = new Uint8Array(3 * keep.length);
      keep.forEach((i, j) => kc.set(colors.subarray(3 * i, 3 * i + 3), 3 * j));
      dense = { ids: Uint32Array.from(keep, (i) => ids[i]!), u: Float32Array.from(ku), v: Float32Array.from(kv), p: Int32Array.from(kp), colors: kc };
    } else {
      dense = null;
    }
    return {
      frames: F,
      offsets,
      positions,
      colors: pcolors,
      ids: pids,
      tracks: n,
      continued: d.chained,
      queries: d.queries,
      naive: F * W * H * T,
      cells: F * W * H,
      covered,
      width: W,
      height: H,
    };
  }
}
