/**
 * Reading a video file into {@link VideoFrames} with ffmpeg (8-bit RGB, frame-major).
 *
 * Three steps, each an ffmpeg child: (1) `ffmpeg -i file -map 0:V:0 -c copy -f null -` prints the
 * streams (size, fps, rotation) and counts the video packets without decoding; (2) the memory the
 * result needs is checked against `maxBytes` before anything is decoded; (3) the stream is decoded
 * to `rawvideo rgb24` on a pipe and the wanted frames are copied out as they stream, so the frames
 * that are not kept are never held in memory. The rotation stored in the file is applied (ffmpeg's
 * autorotate), so frames come out the way players show them.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidVideoError, allocateFrames, describeValue, planFrameSelection, type ProgressCallback, type VideoFrames } from '@d4rt/core';
import { errorLine, ffmpegCapabilities, ffmpegFor, passthroughArgs, runFfmpeg, stderrLines, tidyLine } from './ffmpeg.js';

/** Default bound of the bytes a read may keep: 2 GiB. */
export const DEFAULT_MAX_BYTES = 2 ** 31;

/** Options of {@link readVideo}. */
export interface ReadVideoOptions {
  /**
   * Keep at most `frames` frames: from a longer video the ones `selectFrames(sourceFrames, frames)`
   * picks (evenly spaced, first and last kept, all distinct); a video of `frames` or fewer frames is
   * kept whole, each frame once (a model then repeats frames itself, and `selectFrames` over the
   * kept frames picks the same source frames as over the source). Frames not kept are decoded but
   * never held in memory. The result then has `sourceIndices` and `sourceFrames` (and `fps` stays
   * the source's). Default: every frame.
   */
  frames?: number;
  /**
   * Most bytes the result may hold (`frames * height * width * 3`); a larger read is refused before
   * decoding with `InvalidVideoError` `'too-large'`. Default {@link DEFAULT_MAX_BYTES} (2 GiB).
   */
  maxBytes?: number;
  /** ffmpeg to use; see `findFfmpeg`. */
  ffmpegPath?: string;
  /**
   * Progress of the decode, stage `'decode-video'`: `done` source frames decoded of `total` source
   * frames; non-decreasing, the last call has `done === total`.
   */
  onProgress?: ProgressCallback;
  /** Aborts the read: the ffmpeg child is killed and the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Decodes a video file into 8-bit RGB frames with ffmpeg.
 *
 * @param file - path of the video (any container and codec the ffmpeg build reads)
 * @param options - frame selection, memory bound, ffmpeg path, progress, abort signal
 * @returns a new {@link VideoFrames} whose `data` is a fresh `Uint8Array` (owned by the caller, no
 *   view of any other buffer); `fps` when the stream states it; `sourceIndices`/`sourceFrames`
 *   when `options.frames` is given
 * @throws TypeError / RangeError for bad arguments;
 *   {@link InvalidVideoError} with `reason`: `'not-found'` (no such file, or a directory),
 *   `'not-a-video'` (not a media file, or no video stream), `'undecodable'` (truncated or corrupt:
 *   ffmpeg fails or fewer frames decode than the file holds), `'no-frames'` (a video stream with no
 *   frames), `'too-large'` (more than `maxBytes`; refused before decoding), `'decoder-missing'`
 *   (no working ffmpeg); on abort, `signal.reason`
 */
export async function readVideo(file: string, options: ReadVideoOptions = {}): Promise<VideoFrames> {
  const fn = 'readVideo';
  assertPathArg(fn, 'path', file);
  assertOptionsObject(fn, options, '{ frames?, maxBytes?, ffmpegPath?, onProgress?, signal? }');
  const { frames: keep, maxBytes, onProgress, signal } = checkCommonOptions(fn, options);
  const { ffmpegPath } = options;
  if (ffmpegPath !== undefined && typeof ffmpegPath !== 'string') {
    throw new TypeError(`${fn}: options.ffmpegPath (${describeValue(ffmpegPath)}) must be a string (path of an ffmpeg executable)`);
  }
  signal?.throwIfAborted();
  const name = JSON.stringify(file);
  const abs = path.resolve(file);
  await assertReadableFile(fn, name, abs);

  const ffmpeg = await ffmpegFor(fn, ffmpegPath);
  const caps = await ffmpegCapabilities(ffmpeg);
  signal?.throwIfAborted();
  const input = `file:${abs}`;

  // 1. Streams and packet count in one pass (stream copy to the null muxer: no decoding).
  const countRun = await runFfmpeg(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-stats', '-i', input, '-map', '0:V:0', '-c', 'copy', ...passthroughArgs(caps), '-f', 'null', '-'],
    signal ? { signal } : {},
  );
  const probe = parseProbe(fn, name, countRun.stderr);
  const counted = countRun.code === 0 ? lastFrameCount(countRun.stderr) : undefined;
  if (probe.codecParamsMissing && !(counted === 0 && probe.problems.length === 0)) {
    const why = probe.problems.at(-1) ?? `the codec may not be supported by this ffmpeg build`;
    throw new InvalidVideoError('undecodable', `${fn}: ${name}: ffmpeg cannot decode its video stream (${probe.codec.slice(0, 100)}): ${why}; the file is truncated or corrupt, or its codec is not supported`);
  }
  if (countRun.code !== 0) {
    throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be read to the end (ffmpeg: ${errorLine(countRun.stderr) || exitText(countRun)}); the file is truncated or corrupt`);
  }
  if (counted === undefined) {
    throw new InvalidVideoError('undecodable', `${fn}: ${name}: ffmpeg did not report how many frames the video holds (${errorLine(countRun.stderr) || exitText(countRun)})`);
  }
  if (counted === 0) throw new InvalidVideoError('no-frames', `${fn}: ${name} has a video stream (${probe.width}x${probe.height}) but no frames`);

  // 2. Memory check before decoding.
  const { width, height } = probe;
  const plan = planFrameSelection(counted, keep);
  const frameBytes = width * height * 3;
  const data = allocateFrames(fn, name, plan.kept, width, height, maxBytes);

  // 3. Decode, keeping the selected frames as they stream.
  let frame = 0;
  let offset = 0;
  const sink = (chunk: Buffer): void => {
    let pos = 0;
    while (pos < chunk.length) {
      if (frame >= counted) {
        throw new InvalidVideoError('undecodable', `${fn}: ${name}: ffmpeg decoded more frames than the ${counted} the file holds; the file is corrupt`);
      }
      const take = Math.min(frameBytes - offset, chunk.length - pos);
      const first = plan.first[frame]!;
      if (first >= 0) data.set(chunk.subarray(pos, pos + take), first * frameBytes + offset);
      pos += take;
      offset += take;
      if (offset === frameBytes) {
        if (first >= 0) {
          const end = plan.end[frame]!;
          for (let k = first + 1; k < end; k++) data.copyWithin(k * frameBytes, first * frameBytes, (first + 1) * frameBytes);
        }
        frame++;
        offset = 0;
        onProgress?.({ stage: 'decode-video', done: frame, total: counted });
      }
    }
  };
  const decodeRun = await runFfmpeg(
    ffmpeg,
    [
      '-hide_banner', '-nostdin', '-i', input, '-map', '0:V:0', ...passthroughArgs(caps),
      // Pins the output size to the probed (rotated) size whatever the stream does mid-way.
      '-vf', `scale=${width}:${height}`,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ],
    { onStdout: sink, ...(signal ? { signal } : {}) },
  );
  if (decodeRun.code !== 0 || frame < counted || offset !== 0) {
    const said = errorLine(decodeRun.stderr);
    const why = decodeRun.code !== 0 ? `ffmpeg failed, ${exitText(decodeRun)}${said ? `: ${said}` : ''}` : `ffmpeg: ${said || 'no message'}`;
    throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be decoded: ${frame} of ${counted} frames decoded (${why}); the file is truncated or corrupt`);
  }

  const video: VideoFrames = { data, frames: plan.kept, width, height };
  if (probe.fps !== undefined) video.fps = probe.fps;
  if (plan.indices) {
    video.sourceIndices = plan.indices;
    video.sourceFrames = counted;
  }
  return video;
}

/** What the probe learnt about the first (non-cover-art) video stream. @internal */
export interface VideoProbe {
  width: number;
  height: number;
  fps?: number;
  rotation: number;
  /** ffmpeg could not find the stream's codec parameters (pixel format etc.). */
  codecParamsMissing: boolean;
  /** Error lines ffmpeg printed while opening the file. */
  problems: string[];
  /** The stream's description, e.g. `h264 (High) (avc1 / 0x31637661), yuv420p, 192x128, ...`. */
  codec: string;
}

/** Parses `ffmpeg -i` output; throws the `'not-a-video'` / `'undecodable'` errors of a failed probe. @internal */
export function parseProbe(fn: string, name: string, stderr: string): VideoProbe {
  const lines = stderrLines(stderr);
  const inputAt = lines.findIndex((l) => /^Input #0, /.test(l));
  if (inputAt < 0) {
    // ffmpeg could not open the file. A misdetected or unknown format is not a video; a known
    // container that fails to open (e.g. a truncated mp4 without its index) is a broken one.
    const known = lines.some((l) => /^\[[\w,-]+ @ (0x)?[0-9a-f]+\]/i.test(l) && !/\[(NULL|AVIOContext|in) @/.test(l));
    const misdetected = /misdetection possible/.test(stderr);
    const message = errorLine(stderr) || 'no message';
    if (misdetected || !known) throw new InvalidVideoError('not-a-video', `${fn}: ${name} is not a video: ffmpeg cannot read it (${message})`);
    // The demuxer's own complaint (e.g. "moov atom not found") says more than the final line.
    const demuxerSays = tidyLine(lines.filter((l) => /^\[[\w,-]+ @ /.test(l)).at(-1) ?? '');
    const detail = demuxerSays !== '' && !message.includes(demuxerSays) ? `${demuxerSays}; ${message}` : message;
    throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be opened: ffmpeg: ${detail}; the file is truncated or corrupt`);
  }
  const demuxer = /^Input #0, (.*), from /.exec(lines[inputAt]!)?.[1] ?? '';
  if (demuxer === 'tty') throw new InvalidVideoError('not-a-video', `${fn}: ${name} is not a video: ffmpeg reads it as text (tty)`);
  const streams: { index: number; kind: string; text: string; block: string[] }[] = [];
  for (let i = inputAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^(Output #|Stream mapping:|Input #|At least one output)/.test(line)) break;
    const m = /^Stream #0:(\d+)[^:]*: (\w+): (.*)$/.exec(line);
    if (m) streams.push({ index: Number(m[1]), kind: m[2]!, text: m[3]!, block: [] });
    else streams[streams.length - 1]?.block.push(line);
  }
  const video = streams.find((s) => s.kind === 'Video' && !/\(attached pic\)/.test(s.text));
  if (!video) {
    const found = streams.length === 0 ? 'no streams' : streams.map((s) => `#${s.index} ${s.kind}: ${s.text.split(',')[0]}`).join('; ');
    throw new InvalidVideoError('not-a-video', `${fn}: ${name} has no video stream (${found})`);
  }
  const size = /, (\d+)x(\d+)(?=[ ,[]|$)/.exec(video.text);
  const width = Number(size?.[1] ?? 0);
  const height = Number(size?.[2] ?? 0);
  if (width <= 0 || height <= 0) {
    throw new InvalidVideoError('undecodable', `${fn}: ${name}: ffmpeg finds no frame size in its video stream (${video.text.slice(0, 120)}); the file is truncated or corrupt`);
  }
  // ffmpeg could not look into the stream: a truncated/corrupt start, an unsupported codec, or no
  // frames at all (told apart from the other two by the packet count and the absence of errors).
  const codecParamsMissing = lines.some((l) => l.includes(`Could not find codec parameters for stream ${video.index} `));
  const problems = lines
    .slice(0, inputAt)
    .filter((l) => !/Could not find codec parameters|Consider increasing the value/.test(l))
    .filter((l) => /error|invalid|corrupt|partial file|fail|cannot|not found|unsupported|missing|truncat/i.test(l))
    .map(tidyLine);
  const fpsMatch = /, (\d+(?:\.\d+)?)(k?) fps/.exec(video.text) ?? /, (\d+(?:\.\d+)?)(k?) tbr/.exec(video.text);
  const fps = fpsMatch ? Number(fpsMatch[1]) * (fpsMatch[2] === 'k' ? 1000 : 1) : undefined;
  const block = video.block.join('\n');
  const rot = /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/.exec(block) ?? /^rotate\s*:\s*(-?\d+(?:\.\d+)?)$/m.exec(block);
  const rotation = rot ? Number(rot[1]) : 0;
  // ffmpeg's autorotate turns the frames; a quarter turn swaps width and height.
  const quarter = Math.round(rotation / 90);
  const swap = Math.abs(rotation - quarter * 90) < 1 && Math.abs(quarter) % 2 === 1;
  const probe: VideoProbe = { width: swap ? height : width, height: swap ? width : height, rotation, codecParamsMissing, problems, codec: video.text };
  if (fps !== undefined && Number.isFinite(fps) && fps > 0) probe.fps = fps;
  return probe;
}

function lastFrameCount(stderr: string): number | undefined {
  let count: number | undefined;
  for (const m of stderr.matchAll(/frame=\s*(\d+)/g)) count = Number(m[1]);
  return count;
}

/** `killed by SIG...` or `exit code N`. @internal */
export function exitText(run: { code: number | null; signal: string | null }): string {
  return run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with read-frames.ts (internal, not re-exported from the package).

/** Throws TypeError / RangeError unless `value` is a non-empty string. @internal */
export function assertPathArg(fn: string, arg: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${fn}: ${arg} (${describeValue(value)}) must be a string (a file path)`);
  if (value === '') throw new RangeError(`${fn}: ${arg} ("") must be a non-empty file path`);
}

/** Throws TypeError unless `value` is a plain object. @internal */
export function assertOptionsObject(fn: string, value: unknown, shape: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${fn}: options (${describeValue(value)}) must be an object ${shape}`);
  }
}

/** The options readVideo and readFrames share, checked. @internal */
export interface CommonReadOptions {
  frames?: number;
  maxBytes: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** Checks `frames`, `maxBytes`, `onProgress`, `signal`. @internal */
export function checkCommonOptions(
  fn: string,
  options: { frames?: unknown; maxBytes?: unknown; onProgress?: unknown; signal?: unknown },
): CommonReadOptions {
  const { frames, maxBytes = DEFAULT_MAX_BYTES, onProgress, signal } = options;
  if (frames !== undefined) {
    if (typeof frames !== 'number') throw new TypeError(`${fn}: options.frames (${describeValue(frames)}) must be a number (frames to keep)`);
    if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`${fn}: options.frames (${frames}) must be an integer >= 1`);
  }
  if (typeof maxBytes !== 'number') throw new TypeError(`${fn}: options.maxBytes (${describeValue(maxBytes)}) must be a number of bytes`);
  if (Number.isNaN(maxBytes) || maxBytes <= 0) throw new RangeError(`${fn}: options.maxBytes (${maxBytes}) must be > 0`);
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`${fn}: options.onProgress (${describeValue(onProgress)}) must be a function ({ stage, done, total }) => void`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${fn}: options.signal (${describeValue(signal)}) must be an AbortSignal`);
  }
  const out: CommonReadOptions = { maxBytes };
  if (frames !== undefined) out.frames = frames as number;
  if (onProgress !== undefined) out.onProgress = onProgress as ProgressCallback;
  if (signal !== undefined) out.signal = signal;
  return out;
}

/** Throws `'not-found'` unless `abs` is an existing readable file. @internal */
export async function assertReadableFile(fn: string, name: string, abs: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(abs)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new InvalidVideoError('not-found', `${fn}: ${name} ${why} (resolved to ${abs})`, { cause: error });
  }
  if (!isFile) throw new InvalidVideoError('not-found', `${fn}: ${name} is a directory or special file, not a file (resolved to ${abs})`);
}
