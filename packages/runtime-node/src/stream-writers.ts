/**
 * Streaming writers for outputs that grow with the video: a NumPy `.npy` file written frame by
 * frame and an MP4 fed frame by frame to ffmpeg. Memory stays at one frame whatever the length.
 *
 * Like the other writers they are atomic: the data goes to a temporary file in the destination
 * folder (`.d4rt-tmp-<random>-<name>`), `close()` renames it over the destination once complete,
 * `abort()` (or any failure) removes it. A destination is either untouched or complete.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describeValue } from '@d4rt/core';
import { errorLine, ffmpegCapabilities, ffmpegFor } from './ffmpeg.js';
import { assertPathArg } from './read-video.js';
import { assertSize, littleEndianBytes, npyHeader, type NpyArray, type WriteMp4Result } from './write-output.js';

const tmpName = (file: string): string => path.join(path.dirname(file), `.d4rt-tmp-${randomBytes(6).toString('hex')}-${path.basename(file)}`);

/** NumPy dtypes of {@link createNpyWriter}. */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'uint16';

const DESCR: Record<NpyDtype, [string, new (n: number) => NpyArray]> = {
  float32: ['<f4', Float32Array],
  float64: ['<f8', Float64Array],
  uint8: ['|u1', Uint8Array],
  int32: ['<i4', Int32Array],
  uint16: ['<u2', Uint16Array],
};

/** A `.npy` file being written; see {@link createNpyWriter}. */
export interface NpyStreamWriter {
  /** The destination. */
  readonly file: string;
  /** Values written so far. */
  readonly written: number;
  /** Appends values (row-major continuation of the array; the array's type must match `dtype`). */
  write(data: NpyArray): Promise<void>;
  /** Checks that the whole array was written and renames the file into place. */
  close(): Promise<void>;
  /** Removes the temporary file; safe after `close` or twice. */
  abort(): Promise<void>;
}

/**
 * Starts a `.npy` file of a known shape whose values arrive in pieces (e.g. one depth map per
 * frame of a long video). The header is written first; `close()` fails unless exactly
 * `product(shape)` values were written.
 *
 * @param file - destination path (its folder must exist)
 * @param options - `dtype`, `shape`
 * @returns a writer
 * @throws TypeError / RangeError for bad arguments; the file system's error when the file cannot be created
 */
export async function createNpyWriter(file: string, options: { dtype: NpyDtype; shape: readonly number[] }): Promise<NpyStreamWriter> {
  const fn = 'createNpyWriter';
  assertPathArg(fn, 'path', file);
  const { dtype, shape } = options ?? ({} as never);
  const spec = DESCR[dtype];
  if (!spec) throw new RangeError(`${fn}: options.dtype (${describeValue(dtype)}) must be one of ${Object.keys(DESCR).map((k) => `'${k}'`).join(', ')}`);
  if (!Array.isArray(shape)) throw new TypeError(`${fn}: options.shape (${describeValue(shape)}) must be an array of dimension sizes`);
  let total = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new RangeError(`${fn}: options.shape[${i}] (${describeValue(d)}) must be an integer >= 0`);
    total *= d;
  });
  const tmp = tmpName(file);
  const handle: FileHandle = await open(tmp, 'w');
  let written = 0;
  let state: 'open' | 'closed' | 'aborted' = 'open';
  try {
    await handle.writeFile(npyHeader(spec[0], shape));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  const writer: NpyStreamWriter = {
    file,
    get written() {
      return written;
    },
    async write(data: NpyArray): Promise<void> {
      if (state !== 'open') throw new Error(`${fn}: ${JSON.stringify(file)} is ${state}; write() needs an open writer`);
      if (!(data instanceof spec[1])) throw new TypeError(`${fn}: write(data) (${describeValue(data)}) must be a ${spec[1].name} (dtype ${dtype})`);
      if (written + data.length > total) {
        await writer.abort();
        throw new RangeError(`${fn}: ${JSON.stringify(file)} holds [${shape.join(', ')}] = ${total} values; writing ${data.length} more after ${written} is too many`);
      }
      try {
        await handle.write(littleEndianBytes(data));
      } catch (error) {
        await writer.abort();
        throw error;
      }
      written += data.length;
    },
    async close(): Promise<void> {
      if (state !== 'open') throw new Error(`${fn}: ${JSON.stringify(file)} is already ${state}`);
      if (written !== total) {
        await writer.abort();
        throw new RangeError(`${fn}: ${JSON.stringify(file)} holds [${shape.join(', ')}] = ${total} values but ${written} were written`);
      }
      state = 'closed';
      try {
        await handle.close();
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw error;
      }
    },
    async abort(): Promise<void> {
      if (state !== 'open') return;
      state = 'aborted';
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
    },
  };
  return writer;
}

/** Options of {@link createMp4Writer}. */
export interface Mp4StreamOptions {
  width: number;
  height: number;
  /** Frames per second (> 0). */
  fps: number;
  /** x264 constant rate factor in [0, 51]; default 18. */
  crf?: number;
  /** ffmpeg to use; see `findFfmpeg`. */
  ffmpegPath?: string;
}

/** An MP4 being encoded; see {@link createMp4Writer}. */
export interface Mp4StreamWriter {
  readonly file: string;
  /** Frames written so far. */
  readonly frames: number;
  /** Encodes one RGB frame (`height * width * 3` bytes); waits while ffmpeg is busy. */
  write(rgb: Uint8Array): Promise<void>;
  /** Finishes the file and renames it into place; fails when no frame was written or ffmpeg fails. */
  close(): Promise<WriteMp4Result>;
  /** Kills ffmpeg and removes the temporary file; safe after `close` or twice. */
  abort(): Promise<void>;
}

/**
 * Starts an MP4 (H.264 yuv420p with libx264 when the ffmpeg build has it, else MPEG-4 part 2;
 * odd sizes padded to even; `+faststart`) whose frames arrive one at a time, as `writeMp4` writes
 * from memory.
 *
 * @param file - destination path (its folder must exist)
 * @param options - size, fps, crf, ffmpeg path
 * @returns a writer
 * @throws TypeError / RangeError for bad arguments; `InvalidVideoError` `'decoder-missing'` without a working ffmpeg
 */
export async function createMp4Writer(file: string, options: Mp4StreamOptions): Promise<Mp4StreamWriter> {
  const fn = 'createMp4Writer';
  assertPathArg(fn, 'path', file);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { width, height, fps, crf?, ffmpegPath? }`);
  const { width, height, fps } = options;
  assertSize(fn, width, height);
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0) throw new RangeError(`${fn}: options.fps (${describeValue(fps)}) must be a finite number > 0`);
  const crf = options.crf ?? 18;
  if (typeof crf !== 'number' || !(crf >= 0 && crf <= 51)) throw new RangeError(`${fn}: options.crf (${describeValue(crf)}) must be in [0, 51]`);
  const ffmpeg = await ffmpegFor(fn, options.ffmpegPath);
  const caps = await ffmpegCapabilities(ffmpeg);
  const codec = caps.encoders.has('libx264') ? 'libx264' : 'mpeg4';
  const evenW = width + (width % 2), evenH = height + (height % 2);
  const codecArgs = codec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf)] : ['-c:v', 'mpeg4', '-q:v', '2'];
  const tmp = tmpName(file);
  const child: ChildProcess = spawn(ffmpeg, [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
    ...(evenW !== width || evenH !== height ? ['-vf', `pad=${evenW}:${evenH}:0:0:black`] : []),
    ...codecArgs, '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp,
  ], { stdio: ['pipe', 'ignore', 'pipe'], windowsHide: true });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (stderr.length < 16384) stderr += c.toString('utf8');
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => (spawnError = e));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, s) => resolve({ code, signal: s })));
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // EPIPE: the exit code and stderr tell why
  const frameBytes = width * height * 3;
  let frames = 0;
  let state: 'open' | 'closed' | 'aborted' = 'open';
  const fail = async (message: string): Promise<never> => {
    await writer.abort();
    throw new Error(`${fn}: ffmpeg could not encode ${JSON.stringify(file)} (${message})`);
  };
  const writer: Mp4StreamWriter = {
    file,
    get frames() {
      return frames;
    },
    async write(rgb: Uint8Array): Promise<void> {
      if (state !== 'open') throw new Error(`${fn}: ${JSON.stringify(file)} is ${state}; write() needs an open writer`);
      if (!(rgb instanceof Uint8Array) || rgb.length !== frameBytes) {
        throw new RangeError(`${fn}: write(rgb) (${describeValue(rgb)}) must be a Uint8Array of height * width * 3 = ${frameBytes} bytes`);
      }
      if (spawnError || child.exitCode !== null) return fail(spawnError ? (spawnError as Error).message : errorLine(stderr) || `ffmpeg exited with ${child.exitCode}`);
      // a copy: the caller may reuse its buffer before the pipe has taken the bytes
      if (!stdin.write(Buffer.from(rgb))) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            stdin.off('drain', done);
            stdin.off('close', done);
            resolve();
          };
          stdin.on('drain', done);
          stdin.on('close', done);
        });
      }
      frames++;
    },
    async close(): Promise<WriteMp4Result> {
      if (state !== 'open') throw new Error(`${fn}: ${JSON.stringify(file)} is already ${state}`);
      if (frames === 0) return fail('no frame was written');
      stdin.end();
      const end = await closed;
      if (end.code !== 0) return fail(`${end.signal ? `killed by ${end.signal}` : `exit code ${end.code}`}: ${errorLine(stderr) || 'no message'}`);
      state = 'closed';
      try {
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw error;
      }
      return { codec, width: evenW, height: evenH };
    },
    async abort(): Promise<void> {
      if (state !== 'open') return;
      state = 'aborted';
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
      await rm(tmp, { force: true }).catch(() => undefined);
    },
  };
  return writer;
}
