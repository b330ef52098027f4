/**
 * File helpers shared by the dataset readers: argument checks, reading files with errors that name
 * them, raw arrays, and the `world` option.
 *
 * @module
 * @internal
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { InvalidVideoError, describeValue } from '@d4rt/core';
import { poseFromRowMajor, relativePose, validateIntrinsics } from '@d4rt/geometry';
import sharp from 'sharp';
import type { ReadDatasetOptions } from './datasets.js';

export async function assertFolder(fn: string, folder: unknown): Promise<string> {
  if (typeof folder !== 'string') throw new TypeError(`${fn}: folder (${describeValue(folder)}) must be a string (a folder path)`);
  if (folder === '') throw new RangeError(`${fn}: folder ("") must be a non-empty folder path`);
  const dir = path.resolve(folder);
  const s = await stat(dir).catch(() => undefined);
  if (!s) throw new InvalidVideoError('not-found', `${fn}: folder ${JSON.stringify(folder)} does not exist (resolved to ${dir})`);
  if (!s.isDirectory()) throw new InvalidVideoError('not-found', `${fn}: folder ${JSON.stringify(folder)} is not a folder (resolved to ${dir})`);
  return dir;
}

export function checkOptions(fn: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { world?, intrinsics?, signal? }`);
  const { world, intrinsics, signal } = options as ReadDatasetOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`${fn}: options.signal (${describeValue(signal)}) must be an AbortSignal`);
  signal?.throwIfAborted();
  if (world !== undefined && world !== 'source' && world !== 'camera0') {
    throw new RangeError(`${fn}: options.world (${describeValue(world)}) must be 'source' or 'camera0'`);
  }
  if (intrinsics !== undefined) validateIntrinsics(intrinsics, fn, 'options.intrinsics');
}

export function positiveInt(value: unknown, error: () => Error): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw error();
  return value;
}

export async function readBuffer(fn: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new InvalidVideoError('not-found', `${fn}: ${file} ${why}`, { cause: error });
  }
}

export async function readText(fn: string, file: string): Promise<string> {
  return (await readBuffer(fn, file)).toString('utf8');
}

export async function readJson(fn: string, file: string): Promise<unknown> {
  const text = await readText(fn, file);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value;
  } catch (error) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} is not a JSON object (${(error as Error).message})`, { cause: error });
  }
}

export async function readBytes(fn: string, file: string, length: number, what: string): Promise<Uint8Array> {
  const buf = await readBuffer(fn, file);
  if (buf.length !== length) throw new InvalidVideoError('bad-frames', `${fn}: ${file} holds ${buf.length} bytes, expected ${what} = ${length}`);
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Little-endian float32 file -> a fresh Float32Array of `length` values. */
export async function readFloats(fn: string, file: string, length: number, what: string): Promise<Float32Array> {
  const buf = await readBuffer(fn, file);
  if (buf.length !== length * 4) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} holds ${buf.length} bytes, expected ${what} = ${length} float32 values (${length * 4} bytes)`);
  }
  const copy = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (endianness() === 'BE') Buffer.from(copy.buffer).swap32();
  return new Float32Array(copy.buffer);
}

export function readPoses(fn: string, file: string, poses: unknown, T: number): Float64Array[] {
  if (!Array.isArray(poses) || poses.length !== T) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file}: cameraToWorld must hold ${T} row-major 4x4 matrices (it holds ${describeValue(poses)})`);
  }
  return poses.map((m: unknown, i) => {
    try {
      return poseFromRowMajor(new Float64Array(16), m as number[]) as Float64Array;
    } catch (error) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file}: cameraToWorld[${i}] is not a 4x4 matrix (${(error as Error).message})`);
    }
  });
}

/** With `world: 'camera0'`, `inverse(pose0) * pose` for every pose (frame 0 becomes the identity). */
export function rebase(poses: Float64Array[], options: ReadDatasetOptions): Float64Array[] {
  if (options.world !== 'camera0') return poses;
  const out = poses.map((p) => relativePose(new Float64Array(16), poses[0]!, p) as Float64Array);
  out[0]!.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  return out;
}

/**
 * Reads a 16-bit greyscale depth PNG into `out` (`width * height` values), each value divided by
 * `divisor` (1000 for millimetres, 5000 for TUM RGB-D); 0 stays 0 (no value).
 * @throws {@link InvalidVideoError} `'not-found'` for a missing file, `'bad-frames'` for a PNG that
 *   is not 16-bit greyscale or not `width x height`
 */
export async function readDepthPng16(fn: string, file: string, width: number, height: number, divisor: number, out: Float32Array): Promise<void> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    const meta = await sharp(file).metadata();
    if (meta.depth !== 'ushort' || (meta.channels ?? 0) !== 1) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file} must be a 16-bit greyscale PNG (it is ${meta.channels}-channel ${meta.depth})`);
    }
    raw = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (error instanceof InvalidVideoError) throw error;
    const missing = (error as Error).message.includes('missing') || (await stat(file).catch(() => undefined)) === undefined;
    throw new InvalidVideoError(missing ? 'not-found' : 'bad-frames', `${fn}: ${file} could not be read as a depth PNG (${(error as Error).message})`, { cause: error });
  }
  if (raw.info.width !== width || raw.info.height !== height || raw.info.channels !== 1) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} is ${raw.info.width}x${raw.info.height} (${raw.info.channels} channels), expected ${width}x${height} greyscale`);
  }
  const values = new Uint16Array(raw.data.buffer, raw.data.byteOffset, width * height);
  for (let p = 0; p < values.length; p++) out[p] = values[p]! / divisor;
}

/** The entries of a folder (sorted by name, numbers in names compared as numbers), or [] when it cannot be read. */
export async function listFolder(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.sort(compareNames);
}

/** Compares file names with the digits in them as numbers (`frame_2` before `frame_10`). */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Whether a path exists. */
export async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** Whether a path is a folder. */
export async function isFolder(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() ?? false;
}
