/**
 * Whole videos as a streaming {@link FrameSource}: frames are decoded by ffmpeg on demand and handed
 * out one at a time, so a video of any length is read in constant memory (core's `processVideo`
 * pulls them window by window).
 *
 * Opening runs one ffmpeg pass that copies the video stream to the `framecrc` muxer (no decoding):
 * it gives the stream's size, rate and rotation, the frame count, and every frame's presentation
 * timestamp, so `source.timestamps` are the container's real times in seconds (variable frame rate
 * included; when packets carry no usable times, or two share one, the nominal `i / fps`). Each `read()` starts one decoding ffmpeg (`rawvideo rgb24` on a pipe, rotation
 * applied), skips the frames not asked for and stops it after the last one asked for. The pipe is
 * read with backpressure: ffmpeg waits while the consumer is busy.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { InvalidVideoError, checkIndices, describeValue, type FrameReadOptions, type FrameSource, type ProgressCallback, type SourceFrame } from '@d4rt/core';
import { errorLine, ffmpegCapabilities, ffmpegFor, passthroughArgs, runFfmpeg } from './ffmpeg.js';
import { assertOptionsObject, assertPathArg, assertReadableFile, exitText, parseProbe } from './read-video.js';

/** Options of {@link openVideo}. */
export interface OpenVideoOptions {
  /** ffmpeg to use; see `findFfmpeg`. */
  ffmpegPath?: string;
  /** Progress of each read, stage `'decode-video'`: source frames decoded of the frames up to the last one asked for. */
  onProgress?: ProgressCallback;
  /** Aborts the opening pass. */
  signal?: AbortSignal;
}

/** A {@link FrameSource} over a video file; see {@link openVideo}. */
export interface VideoFileSource extends FrameSource {
  /** Source frame count, width, height, and the timestamps of every frame (seconds). */
  readonly timestamps: Float64Array;
  readonly name: string;
}

/**
 * Opens a video file for streaming reads (see the module notes).
 *
 * @param file - path of the video (any container and codec the ffmpeg build reads)
 * @param options - ffmpeg path, progress, abort signal
 * @returns a new {@link VideoFileSource}; `fps` when the stream states it; `timestamps` from the
 *   container (falling back to `i / fps`, or `i`, when packets carry no times)
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} as `readVideo` does
 *   (`'not-found'`, `'not-a-video'`, `'undecodable'`, `'no-frames'`, `'decoder-missing'`)
 */
export async function openVideo(file: string, options: OpenVideoOptions = {}): Promise<VideoFileSource> {
  const fn = 'openVideo';
  assertPathArg(fn, 'path', file);
  assertOptionsObject(fn, options, '{ ffmpegPath?, onProgress?, signal? }');
  const { ffmpegPath, onProgress, signal } = options;
  if (ffmpegPath !== undefined && typeof ffmpegPath !== 'string') {
    throw new TypeError(`${fn}: options.ffmpegPath (${describeValue(ffmpegPath)}) must be a string (path of an ffmpeg executable)`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`${fn}: options.onProgress (${describeValue(onProgress)}) must be a function`);
  signal?.throwIfAborted();
  const name = JSON.stringify(file);
  const abs = path.resolve(file);
  await assertReadableFile(fn, name, abs);
  const ffmpeg = await ffmpegFor(fn, ffmpegPath);
  const caps = await ffmpegCapabilities(ffmpeg);
  const input = `file:${abs}`;
  let crc = '';
  const probeRun = await runFfmpeg(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-i', input, '-map', '0:V:0', '-c', 'copy', ...passthroughArgs(caps), '-f', 'framecrc', 'pipe:1'],
    { onStdout: (c) => void (crc += c.toString('latin1')), ...(signal ? { signal } : {}) },
  );
  const probe = parseProbe(fn, name, probeRun.stderr);
  if (probeRun.code !== 0) {
    throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be read to the end (ffmpeg: ${errorLine(probeRun.stderr) || exitText(probeRun)}); the file is truncated or corrupt`);
  }
  const { pts, timeBase } = parseFramecrc(crc);
  const frames = pts.length;
  if (frames === 0) throw new InvalidVideoError('no-frames', `${fn}: ${name} has a video stream (${probe.width}x${probe.height}) but no frames`);
  if (probe.codecParamsMissing) {
    throw new InvalidVideoError('undecodable', `${fn}: ${name}: ffmpeg cannot decode its video stream (${probe.codec.slice(0, 100)}); the file is truncated or corrupt, or its codec is not supported`);
  }
  // presentation order: the decoder outputs frames sorted by pts
  const sorted = [...pts].sort((a, b) => a - b);
  const [num, den] = timeBase;
  const usable = num > 0 && den > 0 && sorted.every((p) => Number.isFinite(p) && Math.abs(p) < 2 ** 52) && new Set(sorted).size === sorted.length;
  const timestamps = new Float64Array(frames);
  for (let i = 0; i < frames; i++) timestamps[i] = usable ? (sorted[i]! * num) / den : probe.fps !== undefined ? i / probe.fps : i;
  const { width, height } = probe;
  const frameBytes = width * height * 3;
  const source: VideoFileSource = {
    frames,
    width,
    height,
    ...(probe.fps !== undefined && { fps: probe.fps }),
    timestamps,
    name: file,
    read(indices: Int32Array, readOptions: FrameReadOptions = {}): AsyncIterable<SourceFrame> {
      checkIndices('openVideo: read', indices, frames);
      const readSignal = readOptions.signal;
      return {
        [Symbol.asyncIterator]: () => decode(indices, readSignal),
      };
    },
  };
  return source;

  async function* decode(indices: Int32Array, sig: FrameReadOptions['signal']): AsyncGenerator<SourceFrame, void, undefined> {
    if (indices.length === 0) return;
    if (sig?.aborted) throw sig.reason;
    const last = indices[indices.length - 1]!;
    const child = spawn(ffmpeg, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', input, '-map', '0:V:0', ...passthroughArgs(caps),
      '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 16384) stderr += c.toString('utf8');
    });
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, s) => resolve({ code, signal: s })));
    child.on('error', () => undefined);
    const frame = new Uint8Array(frameBytes);
    let offset = 0;
    let index = 0;
    let k = 0;
    let finished = false;
    try {
      for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
        if (sig?.aborted) throw sig.reason;
        let pos = 0;
        while (pos < chunk.length) {
          const take = Math.min(frameBytes - offset, chunk.length - pos);
          if (index === indices[k]) frame.set(chunk.subarray(pos, pos + take), offset);
          pos += take;
          offset += take;
          if (offset < frameBytes) continue;
          offset = 0;
          onProgress?.({ stage: 'decode-video', done: index + 1, total: last + 1 });
          if (index === indices[k]) {
            yield { index, data: frame };
            if (sig?.aborted) throw sig.reason;
            k++;
            if (k === indices.length) {
              finished = true;
              return;
            }
          }
          index++;
        }
      }
      const end = await closed;
      if (end.code !== 0 || k < indices.length) {
        const said = errorLine(stderr);
        throw new InvalidVideoError('undecodable', `${fn}: ${name} could not be decoded: ${index} of ${frames} frames decoded (${end.code !== 0 ? `ffmpeg failed, ${exitText(end)}` : 'ffmpeg stopped early'}${said ? `: ${said}` : ''}); the file is truncated or corrupt`);
      }
      finished = true;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (!finished) await closed;
    }
  }
}

/** Time base `[num, den]` and pts of every packet of stream 0 in `framecrc` output. @internal */
export function parseFramecrc(text: string): { pts: number[]; timeBase: [number, number] } {
  let timeBase: [number, number] = [0, 1];
  const pts: number[] = [];
  for (const line of text.split('\n')) {
    const tb = /^#tb 0: (\d+)\/(\d+)/.exec(line);
    if (tb) {
      timeBase = [Number(tb[1]), Number(tb[2])];
      continue;
    }
    const m = /^\s*0,\s*(-?\d+),\s*(-?\d+),/.exec(line);
    if (m) pts.push(Number(m[2]));
  }
  return { pts, timeBase };
}
