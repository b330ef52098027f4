/**
 * Atomic writers for the SDK's outputs: 16-bit depth PNG, RGB(A) PNG, NumPy `.npy`, JSON, MP4, and
 * a folder of outputs written all-or-nothing.
 *
 * Every writer writes to a temporary name in the destination folder (`.d4rt-tmp-<random>-<name>`),
 * then renames it over the destination; on any error the temporary file is removed. So a
 * destination is either untouched or complete, never partial. The destination folder must exist
 * (except for {@link writeOutputFolder}, which creates it).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describeValue, type ProgressCallback } from '@d4rt/core';
import { errorLine, ffmpegCapabilities, ffmpegFor, runFfmpeg } from './ffmpeg.js';
import { assertOptionsObject, assertPathArg } from './read-video.js';

/** Default scale of {@link writeDepthPng}: 1000 units per depth unit (millimetres for metres). */
export const DEFAULT_DEPTH_PNG_SCALE = 1000;

/** Options of {@link writeDepthPng}. */
export interface WriteDepthPngOptions {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /**
   * Stored value per depth unit: `stored = round(depth * scale)`. Default 1000, i.e. millimetres
   * when depth is in metres (the TUM RGB-D / Open3D convention; read back with `stored / 1000`).
   * With depth up to the scale of one clip (the model's relative depth), pick a scale so that
   * `max depth * scale` stays below 65535.
   */
  scale?: number;
}

/** What {@link writeDepthPng} stored. */
export interface WriteDepthPngResult {
  /** The scale used (stored = round(depth * scale)). */
  scale: number;
  /**
   * Pixels with a valid depth (finite, > 0) that the PNG cannot hold: above 65535 / scale (stored as
   * 65535) or below 0.5 / scale (stored as 0, which reads back as "no value").
   */
  clipped: number;
}

/**
 * Writes a depth map as a 16-bit greyscale PNG (atomic). Each pixel stores
 * `round(depth * scale)` clamped to [0, 65535]; non-finite and non-positive depths store 0, which
 * means "no value". Read it back as `stored / scale`.
 *
 * @param file - destination `.png` path (its folder must exist; an existing file is replaced)
 * @param depth - row-major `height * width` depths (e.g. metres); not modified
 * @param options - `{ width, height, scale = 1000 }`
 * @returns the scale used and how many valid pixels were clipped
 * @throws TypeError / RangeError for bad arguments; the file system's error when the write fails
 */
export async function writeDepthPng(file: string, depth: Float32Array, options: WriteDepthPngOptions): Promise<WriteDepthPngResult> {
  const fn = 'writeDepthPng';
  assertPathArg(fn, 'path', file);
  if (!(depth instanceof Float32Array)) throw new TypeError(`${fn}: depth (${describeValue(depth)}) must be a Float32Array of height * width depths`);
  assertOptionsObject(fn, options, '{ width, height, scale? }');
  const { width, height } = options;
  assertSize(fn, width, height);
  const scale = options.scale ?? DEFAULT_DEPTH_PNG_SCALE;
  if (typeof scale !== 'number') throw new TypeError(`${fn}: options.scale (${describeValue(scale)}) must be a number`);
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`${fn}: options.scale (${scale}) must be a finite number > 0`);
  if (depth.length !== width * height) {
    throw new RangeError(`${fn}: depth.length (${depth.length}) must equal height * width = ${height} * ${width} = ${width * height}`);
  }
  const stored = new Uint16Array(depth.length);
  let clipped = 0;
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i]!;
    if (!(d > 0) || d === Infinity) continue;
    const v = Math.round(d * scale);
    if (v > 65535) {
      stored[i] = 65535;
      clipped++;
    } else if (v < 1) {
      clipped++;
    } else {
      stored[i] = v;
    }
  }
  const png = await sharp(stored, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png({ compressionLevel: 6 })
    .toBuffer();
  await atomicWrite(file, (tmp) => writeFile(tmp, png));
  return { scale, clipped };
}

/** Options of {@link writeRgbPng}. */
export interface WriteRgbPngOptions {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 3 for RGB, 4 for RGBA (interleaved). */
  channels: 3 | 4;
}

/**
 * Writes 8-bit RGB or RGBA pixels as a PNG (atomic).
 *
 * @param file - destination `.png` path (its folder must exist; an existing file is replaced)
 * @param pixels - row-major interleaved `height * width * channels` bytes; not modified
 * @param options - `{ width, height, channels }`
 * @throws TypeError / RangeError for bad arguments; the file system's error when the write fails
 */
export async function writeRgbPng(file: string, pixels: Uint8Array | Uint8ClampedArray, options: WriteRgbPngOptions): Promise<void> {
  const fn = 'writeRgbPng';
  assertPathArg(fn, 'path', file);
  if (!(pixels instanceof Uint8Array) && !(pixels instanceof Uint8ClampedArray)) {
    throw new TypeError(`${fn}: pixels (${describeValue(pixels)}) must be a Uint8Array or Uint8ClampedArray of interleaved RGB(A) bytes`);
  }
  assertOptionsObject(fn, options, '{ width, height, channels }');
  const { width, height, channels } = options;
  assertSize(fn, width, height);
  if (channels !== 3 && channels !== 4) throw new RangeError(`${fn}: options.channels (${describeValue(channels)}) must be 3 (RGB) or 4 (RGBA)`);
  const expected = width * height * channels;
  if (pixels.length !== expected) {
    throw new RangeError(`${fn}: pixels.length (${pixels.length}) must equal height * width * channels = ${height} * ${width} * ${channels} = ${expected}`);
  }
  const input = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const png = await sharp(input, { raw: { width, height, channels } }).png({ compressionLevel: 6 }).toBuffer();
  await atomicWrite(file, (tmp) => writeFile(tmp, png));
}

/** Typed arrays {@link writeNpy} writes, with their NumPy dtypes. */
export type NpyArray = Float32Array | Float64Array | Uint8Array | Int32Array | Uint16Array;

/**
 * Writes a typed array as a NumPy `.npy` file (format 1.0, little-endian, C order) (atomic).
 * dtypes: Float32Array `<f4`, Float64Array `<f8`, Uint8Array `|u1`, Int32Array `<i4`,
 * Uint16Array `<u2`. Read it with `numpy.load(path)`.
 *
 * @param file - destination path (its folder must exist; an existing file is replaced)
 * @param data - the values, row-major; not modified
 * @param shape - array shape; the product of its entries must equal `data.length` (`[]` is a
 *   scalar and needs one value)
 * @throws TypeError / RangeError for bad arguments; the file system's error when the write fails
 */
export async function writeNpy(file: string, data: NpyArray, shape: readonly number[]): Promise<void> {
  const fn = 'writeNpy';
  assertPathArg(fn, 'path', file);
  const descr =
    data instanceof Float32Array ? '<f4'
    : data instanceof Float64Array ? '<f8'
    : data instanceof Uint8Array ? '|u1'
    : data instanceof Int32Array ? '<i4'
    : data instanceof Uint16Array ? '<u2'
    : undefined;
  if (descr === undefined) {
    throw new TypeError(`${fn}: data (${describeValue(data)}) must be a Float32Array, Float64Array, Uint8Array, Int32Array or Uint16Array`);
  }
  if (!Array.isArray(shape)) throw new TypeError(`${fn}: shape (${describeValue(shape)}) must be an array of dimension sizes`);
  let count = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new RangeError(`${fn}: shape[${i}] (${describeValue(d)}) must be an integer >= 0`);
    count *= d;
  });
  if (count !== data.length) {
    throw new RangeError(`${fn}: the product of shape [${shape.join(', ')}] (${count}) must equal data.length (${data.length})`);
  }
  const head = npyHeader(descr, shape);
  const bytes = littleEndianBytes(data);
  await atomicWrite(file, async (tmp) => {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(head);
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
  });
}

/** The `.npy` 1.0 header for `descr` and `shape` (magic, version, length, dict, padded to 64 bytes). @internal */
export function npyHeader(descr: string, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  return head;
}

/** The bytes of a typed array in little-endian order (a view on little-endian machines, a swapped copy otherwise). @internal */
export function littleEndianBytes(data: NpyArray): Buffer {
  let bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (endianness() === 'BE' && data.BYTES_PER_ELEMENT > 1) {
    bytes = Buffer.from(bytes);
    if (data.BYTES_PER_ELEMENT === 2) bytes.swap16();
    else if (data.BYTES_PER_ELEMENT === 4) bytes.swap32();
    else bytes.swap64();
  }
  return bytes;
}

/**
 * Writes `value` as JSON with 2-space indentation and a final newline (atomic). Typed arrays are
 * written as plain arrays; Float32Array values with the shortest decimal that reads back as the
 * same float32 (`0.1`, not `0.10000000149011612`). Non-finite numbers become `null`, as in
 * `JSON.stringify`.
 *
 * @param file - destination path (its folder must exist; an existing file is replaced)
 * @param value - any JSON-serialisable value (typed arrays allowed anywhere); not modified
 * @throws TypeError when `value` cannot be serialised (BigInt, cycles) or is undefined;
 *   the file system's error when the write fails
 */
export async function writeJson(file: string, value: unknown): Promise<void> {
  const fn = 'writeJson';
  assertPathArg(fn, 'path', file);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, jsonReplacer, 2);
  } catch (error) {
    throw new TypeError(`${fn}: value cannot be written as JSON (${(error as Error).message})`, { cause: error });
  }
  if (text === undefined) throw new TypeError(`${fn}: value (${describeValue(value)}) cannot be written as JSON`);
  await atomicWrite(file, (tmp) => writeFile(tmp, `${text}\n`, 'utf8'));
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array) return Array.from(value, shortestFloat32);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>);
  return value;
}

/** The number with the shortest decimal form that rounds to the same float32 as `x`. */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** Options of {@link writeMp4}. */
export interface WriteMp4Options {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Number of frames in `rgbFrames`. */
  frames: number;
  /** Frames per second of the video. */
  fps: number;
  /** ffmpeg to use; see `findFfmpeg`. */
  ffmpegPath?: string;
  /** x264 constant rate factor (0 = lossless luma .. 51); default 18 (visually lossless). */
  crf?: number;
  /** Progress, stage `'write'`: frames handed to the encoder of `frames`; the last call has done === total. */
  onProgress?: ProgressCallback;
  /** Aborts: the ffmpeg child is killed, the temporary file removed, and the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** What {@link writeMp4} wrote. */
export interface WriteMp4Result {
  /** Encoder used: `'libx264'` (H.264, yuv420p) when the ffmpeg build has it, else `'mpeg4'`. */
  codec: 'libx264' | 'mpeg4';
  /** Width of the video: `width` rounded up to even (yuv420p needs even sizes; padded with black). */
  width: number;
  /** Height of the video: `height` rounded up to even. */
  height: number;
}

/**
 * Encodes RGB frames as an MP4 (H.264 yuv420p with libx264 when the ffmpeg build has it, else
 * MPEG-4 part 2), piping the raw frames into ffmpeg's stdin (atomic). Odd sizes are padded to even
 * with black on the right / bottom. The file is written with `+faststart` (index first).
 *
 * @param file - destination path (its folder must exist; an existing file is replaced)
 * @param rgbFrames - `frames * height * width * 3` bytes, frame-major, row-major RGB; not modified
 * @param options - `{ width, height, frames, fps, ffmpegPath?, crf?, onProgress?, signal? }`
 * @returns the codec and the (even) size written
 * @throws TypeError / RangeError for bad arguments; `InvalidVideoError` `'decoder-missing'`
 *   without a working ffmpeg; an `Error` with ffmpeg's message when encoding fails
 */
export async function writeMp4(file: string, rgbFrames: Uint8Array, options: WriteMp4Options): Promise<WriteMp4Result> {
  const fn = 'writeMp4';
  assertPathArg(fn, 'path', file);
  if (!(rgbFrames instanceof Uint8Array)) throw new TypeError(`${fn}: rgbFrames (${describeValue(rgbFrames)}) must be a Uint8Array of RGB bytes`);
  assertOptionsObject(fn, options, '{ width, height, frames, fps, ffmpegPath?, crf? }');
  const { width, height, frames, fps, ffmpegPath, onProgress, signal } = options;
  assertSize(fn, width, height);
  if (typeof frames !== 'number') throw new TypeError(`${fn}: options.frames (${describeValue(frames)}) must be a number`);
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`${fn}: options.frames (${frames}) must be an integer >= 1`);
  if (typeof fps !== 'number') throw new TypeError(`${fn}: options.fps (${describeValue(fps)}) must be a number`);
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`${fn}: options.fps (${fps}) must be a finite number > 0`);
  const crf = options.crf ?? 18;
  if (typeof crf !== 'number') throw new TypeError(`${fn}: options.crf (${describeValue(crf)}) must be a number`);
  if (!(crf >= 0 && crf <= 51)) throw new RangeError(`${fn}: options.crf (${crf}) must be in [0, 51]`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`${fn}: options.onProgress (${describeValue(onProgress)}) must be a function`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`${fn}: options.signal (${describeValue(signal)}) must be an AbortSignal`);
  const frameBytes = width * height * 3;
  if (rgbFrames.length !== frames * frameBytes) {
    throw new RangeError(
      `${fn}: rgbFrames.length (${rgbFrames.length}) must equal frames * height * width * 3 = ${frames} * ${height} * ${width} * 3 = ${frames * frameBytes}`,
    );
  }
  signal?.throwIfAborted();
  const ffmpeg = await ffmpegFor(fn, ffmpegPath);
  const caps = await ffmpegCapabilities(ffmpeg);
  const codec = caps.encoders.has('libx264') ? 'libx264' : 'mpeg4';
  const evenW = width + (width % 2);
  const evenH = height + (height % 2);
  const codecArgs = codec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf)] : ['-c:v', 'mpeg4', '-q:v', '2'];
  await atomicWrite(file, async (tmp) => {
    const args = [
      '-hide_banner', '-nostdin', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      ...(evenW !== width || evenH !== height ? ['-vf', `pad=${evenW}:${evenH}:0:0:black`] : []),
      ...codecArgs, '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp,
    ];
    const chunks = function* (): Generator<Uint8Array> {
      for (let f = 0; f < frames; f++) yield rgbFrames.subarray(f * frameBytes, (f + 1) * frameBytes);
    };
    const run = await runFfmpeg(ffmpeg, args, {
      stdin: chunks(),
      ...(onProgress ? { onStdinChunk: (n: number) => n < frames && onProgress({ stage: 'write', done: n, total: frames }) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (run.code !== 0) {
      throw new Error(`${fn}: ffmpeg could not encode ${JSON.stringify(file)} (${run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`}: ${errorLine(run.stderr) || 'no message'})`);
    }
  });
  onProgress?.({ stage: 'write', done: frames, total: frames });
  return { codec, width: evenW, height: evenH };
}

/**
 * Writes a folder of outputs all-or-nothing. Creates `dir` (and its parents) when needed, calls
 * `write` with a fresh temporary folder inside `dir` (named `.d4rt-tmp-...`), then moves every file
 * `write` put there (sub-folders included) into `dir`, replacing files of the same name, and removes
 * the temporary folder. When `write` or a move fails, the temporary folder is removed, files that
 * were already moved are taken out again (replaced files are put back), the folders this call
 * created (`dir` and missing parents) are removed when empty, and the error is rethrown: the file
 * system is then as it was before the call.
 *
 * @param dir - destination folder
 * @param write - puts the output files into the folder it is given
 * @returns the paths of the written files in `dir` (`path.join(dir, relative)`), sorted
 * @throws TypeError for bad arguments; whatever `write` throws; the file system's errors (e.g. a
 *   file that would replace a folder)
 */
export async function writeOutputFolder(dir: string, write: (tmpDir: string) => Promise<void>): Promise<string[]> {
  const fn = 'writeOutputFolder';
  if (typeof dir !== 'string') throw new TypeError(`${fn}: dir (${describeValue(dir)}) must be a string (a folder path)`);
  if (dir === '') throw new RangeError(`${fn}: dir ("") must be a non-empty folder path`);
  if (typeof write !== 'function') throw new TypeError(`${fn}: write (${describeValue(write)}) must be a function (tmpDir) => Promise<void>`);
  // The first folder this call creates (dir or one of its parents), or undefined when dir existed.
  const created = await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(path.join(dir, '.d4rt-tmp-'));
  let backup: string | undefined;
  const moved: { target: string; replaced: string | undefined }[] = [];
  try {
    await write(tmp);
    const files = (await listFiles(tmp)).sort();
    // Refuse before moving anything when a file would replace a folder.
    for (const rel of files) {
      const existing = await lstat(path.join(dir, rel)).catch(() => undefined);
      if (existing?.isDirectory()) throw new Error(`${fn}: cannot write ${JSON.stringify(path.join(dir, rel))}: a folder of that name exists`);
    }
    for (const rel of files) {
      const target = path.join(dir, rel);
      await mkdir(path.dirname(target), { recursive: true });
      let replaced: string | undefined;
      if (await lstat(target).catch(() => undefined)) {
        backup ??= await mkdtemp(path.join(dir, '.d4rt-tmp-replaced-'));
        replaced = path.join(backup, rel);
        await mkdir(path.dirname(replaced), { recursive: true });
        await rename(target, replaced);
      }
      moved.push({ target, replaced });
      await rename(path.join(tmp, rel), target);
    }
    await rm(tmp, { recursive: true, force: true });
    if (backup) await rm(backup, { recursive: true, force: true });
    return files.map((rel) => path.join(dir, rel));
  } catch (error) {
    for (const { target, replaced } of moved.reverse()) {
      await rm(target, { force: true }).catch(() => undefined);
      if (replaced) await rename(replaced, target).catch(() => undefined);
    }
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (backup) await rm(backup, { recursive: true, force: true }).catch(() => undefined);
    if (created !== undefined) await removeCreatedFolders(path.resolve(dir), path.resolve(created));
    throw error;
  }
}

/**
 * Removes `dir` and its parents up to `top` (inclusive), the folders a failed call created, each
 * only while it is empty (`rmdir`): anything someone else put there meanwhile stays.
 */
async function removeCreatedFolders(dir: string, top: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const name = rel === '' ? entry.name : path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, name)));
    else out.push(name);
  }
  return out;
}

/** Writes via `write(tmp)` then renames tmp over `file`; removes tmp on any error. @internal */
export async function atomicWrite(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = path.join(path.dirname(file), `.d4rt-tmp-${randomBytes(6).toString('hex')}-${path.basename(file)}`);
  try {
    await write(tmp);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Checks `width` and `height` options (integers >= 1). @internal */
export function assertSize(fn: string, width: unknown, height: unknown): void {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number') throw new TypeError(`${fn}: options.${name} (${describeValue(v)}) must be a number of pixels`);
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${fn}: options.${name} (${v}) must be an integer >= 1`);
  }
}
