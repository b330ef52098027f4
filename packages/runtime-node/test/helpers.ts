/** Shared test helpers: paths of the fixtures and shared data, Python availability, a fixture reader. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VideoFrames } from '@d4rt/core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../..');
export const FIXTURES = join(REPO, 'packages/models/fixtures');
export const TRAINING = join(REPO, 'training');
export const SHARED_DATA = resolve(REPO, '../shared/data');
export const PYTHON = '/usr/bin/python3';

let pythonOk: string | null | undefined;
/** Why training's Python cannot run here (null when it can). */
export function pythonMissing(): string | null {
  if (pythonOk !== undefined) return pythonOk;
  if (!existsSync(PYTHON)) return (pythonOk = `${PYTHON} not found`);
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  pythonOk = r.status === 0 ? null : `${PYTHON} cannot import torch/numpy (${r.stderr.trim().split('\n').pop()})`;
  return pythonOk;
}

/** The frames of a d4rt-clip/1 fixture as VideoFrames (bytes copied). */
export function fixtureVideo(name: string): VideoFrames {
  const dir = join(FIXTURES, name);
  const clip = JSON.parse(readFileSync(join(dir, 'clip.json'), 'utf8')) as { frames: number; width: number; height: number; fps: number };
  const data = new Uint8Array(readFileSync(join(dir, 'frames.u8')));
  return { data, frames: clip.frames, width: clip.width, height: clip.height, fps: clip.fps };
}

/** Reads a raw little-endian float32 file. */
export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
