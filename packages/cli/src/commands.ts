/**
 * The `d4rt` subcommands that turn a video into outputs: `depth`, `track`, `pose`, `recon`.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TrackPoints } from '@d4rt/core';
import { writeOutputFolder } from '@d4rt/runtime-node';
import { COMMON_HELP, COMMON_OPTIONS, UsageError, choiceOption, intOption, numberOption, parse } from './options.js';
import { writeCameraOutputs, writeDepthOutputs, writePointCloud, writeTrackOutputs, writeTrackOverlay } from './outputs.js';
import { progressBar } from './progress-bar.js';
import { openModel, readInput } from './session.js';

/** Result of a command: text for stdout and the files written. */
export interface CommandResult {
  stdout: string;
  files?: string[];
}

const VIDEO_COMMANDS = {
  depth: {
    summary: 'depth maps of the video (float32 .npy, 16-bit PNG, colour PNG)',
    options: { width: { type: 'string' }, height: { type: 'string' } },
    help: `  --width <n>, --height <n>  size of the depth maps (default: the source aspect, longer side 128)`,
  },
  track: {
    summary: '2D + 3D tracks with visibility (tracks.json) and an overlay video (tracks.mp4)',
    options: { grid: { type: 'string', default: '10' }, points: { type: 'string' }, frame: { type: 'string', default: 'camera' }, 'query-frame': { type: 'string', default: '0' } },
    help: `  --grid <n>           track an n x n grid of points (default 10)
  --query-frame <k>    model frame the grid is placed in (default 0)
  --points <file.json> track these points instead: [[u, v, frame], ...], u, v in [0, 1]
  --frame <f>          camera (each frame's camera, default) | world (camera of frame 0)`,
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

/** One-line summaries for the main help. */
export function videoCommandSummaries(): string {
  return Object.entries(VIDEO_COMMANDS)
    .map(([k, v]) => `  d4rt ${k} <video>`.padEnd(30) + v.summary)
    .join('\n');
}

function help(name: VideoCommand): string {
  const c = VIDEO_COMMANDS[name];
  return `d4rt ${name} <video | image folder> [options]\n\n${c.summary}.\n\n${c.help ? `Options:\n${c.help}\n\n` : ''}${COMMON_HELP}\n`;
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

function defaultSize(width: number, height: number, side: number): { width: number; height: number } {
  const s = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(2, Math.round(width * s)), height: Math.max(2, Math.round(height * s)) };
}

/** Runs `d4rt depth|track|pose|recon`. */
export async function runVideoCommand(name: VideoCommand, argv: string[]): Promise<CommandResult> {
  const spec = VIDEO_COMMANDS[name];
  const { values, positionals } = parse(name, argv, { ...COMMON_OPTIONS, ...spec.options });
  if (values.help) return { stdout: help(name) };
  if (positionals.length !== 1) {
    throw new UsageError(`d4rt ${name}: expected one video (or image folder), got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see d4rt ${name} --help)`);
  }
  const chunkSize = intOption(name, 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const width = intOption(name, 'width', values.width as string | undefined, 1, 16384);
  const height = intOption(name, 'height', values.height as string | undefined, 1, 16384);
  const grid = intOption(name, 'grid', values.grid as string | undefined, 1, 256);
  const queryFrame = intOption(name, 'query-frame', values['query-frame'] as string | undefined, 0, 1 << 20);
  const trackFrame = choiceOption(name, 'frame', values.frame as string | undefined, ['camera', 'world'] as const);
  const minConfidence = numberOption(name, 'min-confidence', values['min-confidence'] as string | undefined, 0, 1);
  const out = resolve(values.out as string);
  const progress = progressBar({ quiet: values.quiet as boolean });
  const model = await openModel(name, values, progress);
  try {
    const video = await readInput(positionals[0]!, model, progress);
    const scene = await model.encode(video, { onProgress: progress });
    const q = { chunkSize, onProgress: progress };
    const lines: string[] = [];
    try {
      const files = await writeOutputFolder(out, async (dir) => {
        if (name === 'depth') {
          const size = width !== undefined || height !== undefined
            ? { width: width ?? Math.round(((height as number) * video.width) / video.height), height: height ?? Math.round(((width as number) * video.height) / video.width) }
            : defaultSize(video.width, video.height, 128);
          const depth = await scene.depth({ ...q, ...size });
          await writeDepthOutputs(dir, depth, scene);
          lines.push(`depth: ${depth.frames} maps of ${depth.width}x${depth.height}`);
        } else if (name === 'track') {
          let points: TrackPoints;
          if (values.points) points = await readPoints(values.points as string);
          else {
            const g = grid!;
            const f = queryFrame!;
            if (f >= scene.frames) throw new UsageError(`d4rt track: --query-frame (${f}) must be in [0, ${scene.frames - 1}]`);
            const m = 0.05;
            const u: number[] = [], v: number[] = [];
            for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) {
              u.push(g === 1 ? 0.5 : m + ((1 - 2 * m) * x) / (g - 1));
              v.push(g === 1 ? 0.5 : m + ((1 - 2 * m) * y) / (g - 1));
            }
            points = { u, v, frame: u.map(() => f) };
          }
          const tracks = await scene.track(points, { ...q, frame: trackFrame ?? 'camera' });
          await writeTrackOutputs(dir, tracks, points, scene);
          await writeTrackOverlay(dir, tracks, video, Math.max(1, Math.min(30, video.fps ?? 8)));
          lines.push(`tracks: ${tracks.points} points over ${tracks.frames} frames (${tracks.frame} frame)`);
        } else if (name === 'pose') {
          const cams = await scene.cameras(q);
          await writeCameraOutputs(dir, cams, scene, video.fps);
          lines.push(`cameras: ${cams.frames} frames, fx of frame 0 = ${cams.intrinsics[0]!.fx.toFixed(1)} px`);
        } else {
          const cloud = await scene.pointCloud({
            ...q,
            ...(width !== undefined && { width }),
            ...(height !== undefined && { height }),
            minConfidence: minConfidence ?? 0,
          });
          const cams = await scene.cameras(q);
          await writePointCloud(dir, cloud);
          await writeCameraOutputs(dir, cams, scene, video.fps);
          lines.push(`point cloud: ${cloud.count} points`);
        }
      });
      progress.done();
      lines.push(`wrote ${files.length} files to ${out}`);
      return { stdout: lines.join('\n') + '\n', files };
    } finally {
      scene.dispose();
    }
  } finally {
    await model.dispose();
  }
}
