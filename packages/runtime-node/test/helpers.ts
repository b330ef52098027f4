/** Shared test helpers of the model tests: training's Python, fixture frames, raw files. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VideoFrames } from '@d4rt/core';
import { readClip } from '../src/index.js';
import { FIXTURES } from './io-helpers.js';

export { FIXTURES };
export const TRAINING = resolve(FIXTURES, '../../../training');
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

/** The frames of a d4rt-clip/1 fixture (`packages/models/fixtures/<name>`). */
export async function fixtureVideo(name: string): Promise<VideoFrames> {
  return (await readClip(join(FIXTURES, name))).video;
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
