/**
 * The `d4rt` subcommands that turn a video into outputs: `depth`, `track`, `pose`, `recon`.
 *
 * By default a command reads the model's T frames (evenly spaced over the video) and encodes them
 * once: one window. With `--all-frames` or `--fps <n>` it processes every frame (or n per second)
 * of a video of any length, in overlapping windows stitched into one world (`whole-video.ts`).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UPSAMPLE_MODES, checkScaleReference, measureScaleReference, type ScaleReference, type Scene, type TrackPoints } from '@d4rt/core';
import { writeOutputFolder } from '@d4rt/runtime-node';
import { COMMON_HELP, COMMON_OPTIONS, SCALE_FROM_FORMS, UsageError, choiceOption, intOption, numberOption, parse, scaleFromOption } from './options.js';
import { DEPTH_UNITS, METRIC_UNITS, writeCameraOutputs, writeDepthOutputs, writePointCloud, writeTrackOutputs, writeTrackOverlay, watchableFps } from './outputs.js';
import { checkDecoder, decoderHelp, decoderOption } from './decoder-option.js';
import { progressBar } from './progress-bar.js';
import { loadModelFrames, modelOptions, openInput, openModel } from './session.js';
import { writeWholeVideo } from './whole-video.js';

/** Result of a command: text for stdout and the files written. */
export interface CommandResult {
  stdout: string;
  files?: string[];
}

/** Options of every video command: the frames to process, windows, metric scale, stats. */
const FRAME_OPTIONS = {
  'all-frames': { type: 'boolean', default: false },
  fps: { type: 'string' },
  overlap: { type: 'string' },
  'scale-from': { type: 'string' },
  stats: { type: 'boolean', default: false },
} as const;

const FRAME_HELP = `Frames:
  --all-frames         process every frame of the video, any length, in overlapping windows of
                       the model's T frames stitched into one world and one scale
  --fps <n>            process n frames per second (by the video's timestamps), in windows
  --overlap <n>        frames shared by consecutive windows (default T / 4; with --all-frames/--fps)
                       Without --all-frames or --fps: the model's T frames, evenly spaced.
  --scale-from <ref>   metric outputs from one known fact:
                         depth:<x>,<y>,<metres>                 depth at pixel (x, y)
                         distance:<x1>,<y1>,<x2>,<y2>,<metres>  distance between two pixels
                         height:<metres>                        camera height above the floor
                       pixels in the source video; add @<source frame> (default the first)
  --stats              print {"seconds","maxRssMB","frames","secondsPerFrame"} as the last line`;

const VIDEO_COMMANDS = {
  depth: {
    summary: 'depth maps of the video (float32 .npy, 16-bit PNG, colour PNG)',
    options: { width: { type: 'string' }, height: { type: 'string' }, upsample: { type: 'string' } },
    help: `  --width <n>, --height <n>  size of the depth maps (default: the source aspect, longer side 128)
  --upsample <mode>          maps larger than the model's input (d4rt-tiny: 96x64): joint-bilateral
                             (default: a grid of the model's size per frame, upsampled guided by
                             the frame's colours) | bilinear (the same grid) | none (one query per
                             pixel: 4x the queries at 192x128 for the same AbsRel within 0.001)`,
  },
  track: {
    summary: '2D + 3D tracks with visibility (tracks.json) and an overlay video (tracks.mp4)',
    options: {
      grid: { type: 'string', default: '10' },
      points: { type: 'string' },
      frame: { type: 'string', default: 'camera' },
      'query-frame': { type: 'string' },
      dense: { type: 'boolean', default: false },
      'dense-size': { type: 'string', default: '48x32' },
      decoder: { type: 'string' },
    },
    help: `  --grid <n>           track an n x n grid of points (default 10)
  --query-frame <k>    frame the grid is placed in: a model frame (default 0), or with
                       --all-frames/--fps a source frame (default the first processed)
  --points <file.json> track these points instead: [[u, v, frame], ...], u, v in [0, 1]
  --frame <f>          camera (each frame's camera, default) | world (camera of the first frame;
                       with --decoder tracker, each frame moved there by the estimated cameras)
${decoderHelp(23)}
  --dense              with --all-frames/--fps: also track every pixel (occupancy grid; dense/*.ply,
                       dense.glb, dense.json)
  --dense-size <WxH>   grid of the dense tracking (default 48x32)`,
  },
  pose: {
    summary: 'camera intrinsics and camera-to-world poses (cameras.json, trajectory.tum)',
    options: {},
    help: '',
  },
  recon: {
    summary: 'a coloured world-frame point cloud (pointcloud.ply) and the cameras',
    options: { width: { type: 'string' }, height: { type: 'string' }, 'min-confidence': { type: 'string', default: '0' } },
    help: `  --width <n>, --height <n>  grid per frame (default the model's input size)
  --min-confidence <c>       drop points below this confidence in [0, 1] (default 0)`,
  },
} as const;

/** Names of the video commands. */
export type VideoCommand = keyof typeof VIDEO_COMMANDS;

/** Whether `name` is a video command. */
export function isVideoCommand(name: string): name is VideoCommand {
  return Object.hasOwn(VIDEO_COMMANDS, name);
}

/** `[usage, summary]` of each video command, for the main help (which aligns the columns). */
export function videoCommandSummaries(): [string, string][] {
  return Object.entries(VIDEO_COMMANDS).map(([k, v]) => [`d4rt ${k} <video>`, v.summary]);
}

function help(name: VideoCommand): string {
  const c = VIDEO_COMMANDS[name];
  return `d4rt ${name} <video | image folder> [options]\n\n${c.summary}.\n\n${c.help ? `Options:\n${c.help}\n\n` : ''}${FRAME_HELP}\n\n${COMMON_HELP}\n`;
}

async function readPoints(file: string): Promise<TrackPoints> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`d4rt track: --points ${JSON.stringify(file)} is not a readable JSON file (${(error as Error).message})`);
  }
  if (!Array.isArray(json) || json.length === 0 || !json.every((p) => Array.isArray(p) && p.length === 3 && p.every((x) => typeof x === 'number'))) {
    throw new UsageError(`d4rt track: --points ${JSON.stringify(file)} must hold a non-empty array of [u, v, frame] numbers`);
  }
  const pts = json as [number, number, number][];
  return { u: pts.map((p) => p[0]), v: pts.map((p) => p[1]), frame: pts.map((p) => p[2]) };
}

function gridPoints(g: number, frame: number): TrackPoints {
  const m = 0.05;
  const u: number[] = [], v: number[] = [];
  for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) {
    u.push(g === 1 ? 0.5 : m + ((1 - 2 * m) * x) / (g - 1));
    v.push(g === 1 ? 0.5 : m + ((1 - 2 * m) * y) / (g - 1));
  }
  return { u, v, frame: u.map(() => frame) };
}

function defaultSize(width: number, height: number, side: number): { width: number; height: number } {
  const s = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(2, Math.round(width * s)), height: Math.max(2, Math.round(height * s)) };
}

function sizeOf(width: number | undefined, height: number | undefined, video: { width: number; height: number }): { width: number; height: number } {
  return width !== undefined || height !== undefined
    ? { width: width ?? Math.max(1, Math.round(((height as number) * video.width) / video.height)), height: height ?? Math.max(1, Math.round(((width as number) * video.height) / video.width)) }
    : defaultSize(video.width, video.height, 128);
}

/** `--dense-size WxH`. */
function denseSize(name: string, value: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(value);
  const w = Number(m?.[1]), h = Number(m?.[2]);
  if (!m || w < 2 || h < 2 || w > 1024 || h > 1024) throw new UsageError(`d4rt ${name}: --dense-size (${JSON.stringify(value)}) must be <width>x<height>, each in [2, 1024], e.g. 48x32`);
  return { width: w, height: h };
}

/** Multiplies the clip's 3D outputs by a metric scale (in place). */
function scaleArray(a: Float32Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * s;
}

/** Runs `d4rt depth|track|pose|recon`; `signal` cancels (no output is left). */
export async function runVideoCommand(name: VideoCommand, argv: string[], signal?: AbortSignal): Promise<CommandResult> {
  const t0 = performance.now();
  const spec = VIDEO_COMMANDS[name];
  const { values, positionals } = parse(name, argv, { ...COMMON_OPTIONS, ...FRAME_OPTIONS, ...spec.options });
  if (values.help) return { stdout: help(name) };
  if (positionals.length !== 1) {
    throw new UsageError(`d4rt ${name}: expected one video (or image folder), got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see d4rt ${name} --help)`);
  }
  const chunkSize = intOption(name, 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const width = intOption(name, 'width', values.width as string | undefined, 1, 16384);
  const height = intOption(name, 'height', values.height as string | undefined, 1, 16384);
  const upsample = choiceOption(name, 'upsample', values.upsample as string | undefined, UPSAMPLE_MODES);
  const grid = intOption(name, 'grid', values.grid as string | undefined, 1, 256);
  const queryFrame = intOption(name, 'query-frame', values['query-frame'] as string | undefined, 0, 2 ** 31 - 1);
  const trackFrame = choiceOption(name, 'frame', values.frame as string | undefined, ['camera', 'world'] as const);
  const decoder = decoderOption(name, values.decoder as string | undefined);
  const minConfidence = numberOption(name, 'min-confidence', values['min-confidence'] as string | undefined, 0, 1);
  const fps = numberOption(name, 'fps', values.fps as string | undefined, 1e-3, 1000);
  const overlap = intOption(name, 'overlap', values.overlap as string | undefined, 1, 4096);
  const scaleFrom = scaleFromOption(name, values['scale-from'] as string | undefined);
  const allFrames = values['all-frames'] === true;
  if (allFrames && fps !== undefined) throw new UsageError(`d4rt ${name}: give --all-frames or --fps, not both (--fps ${values.fps} already picks the frames)`);
  const whole = allFrames || fps !== undefined;
  if (!whole && overlap !== undefined) throw new UsageError(`d4rt ${name}: --overlap (${overlap}) needs --all-frames or --fps (without them the model's T frames are one window)`);
  const dense = values.dense === true ? denseSize(name, values['dense-size'] as string) : undefined;
  if (dense && !whole) throw new UsageError(`d4rt ${name}: --dense needs --all-frames or --fps`);
  if (decoder === 'tracker' && whole) throw new UsageError(`d4rt ${name}: --decoder tracker works on one window (the model's T frames); with --all-frames or --fps the windows are tracked with --decoder query`);
  if (upsample !== undefined && whole) throw new UsageError(`d4rt ${name}: --upsample works on one window; with --all-frames or --fps the windows' depth uses the default (joint-bilateral)`);
  modelOptions(name, values);
  const out = resolve(values.out as string);
  const progress = progressBar({ quiet: values.quiet as boolean });
  // The inputs are checked before the model loads: a missing or unreadable video, image folder or
  // points file is reported at once.
  const source = await openInput(positionals[0]!, progress, signal);
  if (scaleFrom) checkScaleReference(`d4rt ${name}`, '--scale-from', scaleFrom, source.width, source.height);
  const givenPoints = name === 'track' && values.points ? await readPoints(values.points as string) : undefined;
  const model = await openModel(name, values, progress);
  const stats = (frames: number): string => {
    const seconds = (performance.now() - t0) / 1000;
    return `${JSON.stringify({ seconds: Number(seconds.toFixed(3)), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), frames, secondsPerFrame: Number((seconds / Math.max(1, frames)).toFixed(4)) })}\n`;
  };
  try {
    checkDecoder(name, decoder, model.manifest);
    const T = model.manifest.clip.frames;
    if (overlap !== undefined && overlap >= T) {
      throw new UsageError(`d4rt ${name}: --overlap (${overlap}) must be in [1, ${T - 1}]: the model's windows have ${T} frames`);
    }
    if (!whole && name === 'track' && !givenPoints && queryFrame !== undefined && queryFrame >= T) {
      throw new UsageError(`d4rt track: --query-frame (${queryFrame}) must be a model frame in [0, ${T - 1}] (with --all-frames or --fps it is a source frame)`);
    }
    if (whole) {
      let points: TrackPoints | undefined;
      if (name === 'track') points = givenPoints ?? gridPoints(grid!, queryFrame ?? 0);
      const lines: string[] = [];
      let frames = 0;
      const files = await writeOutputFolder(out, async (dir) => {
        const done = await writeWholeVideo(dir, {
          command: name,
          model,
          source,
          chunkSize,
          progress,
          ...(fps !== undefined && { fps }),
          ...(overlap !== undefined && { overlap }),
          ...(scaleFrom && { scaleFrom }),
          ...(signal && { signal }),
          ...((name === 'depth' || name === 'recon') && { size: name === 'depth' ? sizeOf(width, height, source) : { width: width ?? model.manifest.clip.width, height: height ?? model.manifest.clip.height } }),
          ...(minConfidence !== undefined && { minConfidence }),
          ...(points && { points }),
          ...(trackFrame && { trackFrame }),
          ...(dense && { dense }),
        });
        lines.push(...done.lines);
        frames = done.frames;
      });
      progress.done();
      lines.push(`wrote ${files.length} files to ${out}`);
      return { stdout: lines.join('\n') + '\n' + (values.stats ? stats(frames || source.frames) : ''), files };
    }
    const video = await loadModelFrames(source, model.manifest.clip.frames, signal);
    const scene = await model.encode(video, { onProgress: progress, ...(signal && { signal }) });
    const q = { chunkSize, onProgress: progress, ...(signal && { signal }) };
    const lines: string[] = [];
    try {
      const metric = scaleFrom ? await measureReference(name, scene, scaleFrom, q) : 1;
      const files = await writeOutputFolder(out, async (dir) => {
        if (name === 'depth') {
          const depth = await scene.depth({ ...q, ...sizeOf(width, height, video), ...(upsample && { upsample }) });
          scaleArray(depth.data, metric);
          await writeDepthOutputs(dir, depth, scene, scaleFrom ? METRIC_UNITS : DEPTH_UNITS, source);
          lines.push(`depth: ${depth.frames} maps of ${depth.width}x${depth.height}`);
        } else if (name === 'track') {
          const points = givenPoints ?? gridPoints(grid!, queryFrame ?? 0);
          const tracks = await scene.track(points, { ...q, frame: trackFrame ?? 'camera', decoder });
          scaleArray(tracks.xyz, metric);
          await writeTrackOutputs(dir, tracks, points, scene);
          await writeTrackOverlay(dir, tracks, video, watchableFps(tracks.frames, video.fps, scene.sourceIndices));
          lines.push(`tracks: ${tracks.points} points over ${tracks.frames} frames (${tracks.frame} frame${decoder === 'tracker' ? ', tracker decoder' : ''})`);
        } else if (name === 'pose') {
          const cams = await scene.cameras(q);
          for (const m of cams.cameraToWorld) for (let i = 12; i < 15; i++) m[i] = m[i]! * metric;
          await writeCameraOutputs(dir, cams, scene, video.fps, source.timestamps);
          lines.push(`cameras: ${cams.frames} frames, fx of frame 0 = ${cams.intrinsics[0]!.fx.toFixed(1)} px`);
        } else {
          const cloud = await scene.pointCloud({
            ...q,
            ...(width !== undefined && { width }),
            ...(height !== undefined && { height }),
            minConfidence: minConfidence ?? 0,
          });
          scaleArray(cloud.positions, metric);
          const cams = await scene.cameras(q);
          for (const m of cams.cameraToWorld) for (let i = 12; i < 15; i++) m[i] = m[i]! * metric;
          await writePointCloud(dir, cloud, scaleFrom ? 'metres' : 'up to scale');
          await writeCameraOutputs(dir, cams, scene, video.fps, source.timestamps);
          lines.push(`point cloud: ${cloud.count} points`);
        }
      });
      progress.done();
      if (scaleFrom) lines.push(`metric scale: x${metric.toPrecision(6)} from --scale-from ${scaleFrom.kind}`);
      lines.push(`wrote ${files.length} files to ${out}`);
      return { stdout: lines.join('\n') + '\n' + (values.stats ? stats(video.frames) : ''), files };
    } finally {
      scene.dispose();
    }
  } finally {
    await model.dispose();
  }
}

async function measureReference(name: string, scene: Scene, reference: ScaleReference, q: { chunkSize: number }): Promise<number> {
  if (reference.frame !== undefined && !Array.from(scene.sourceIndices).includes(reference.frame)) {
    throw new UsageError(
      `d4rt ${name}: --scale-from frame ${reference.frame} is not one of the model's frames (source frames ${Array.from(new Set(scene.sourceIndices)).join(', ')}); pick one of them, or use --all-frames (the forms are ${SCALE_FROM_FORMS})`,
    );
  }
  return (await measureScaleReference(scene, reference, q)).scale;
}
