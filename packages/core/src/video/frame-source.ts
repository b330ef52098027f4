/**
 * Where a whole-video run gets its frames: a {@link FrameSource} reads the frames it is asked for,
 * in order, one at a time, so a long video is never held in memory. Runtimes provide sources for
 * files (e.g. `openVideo` of `@d4rt/runtime-node`, streaming from ffmpeg); {@link frameSourceFromVideo}
 * wraps frames already in memory.
 *
 * @module
 */
import { InvalidVideoError, describeValue } from '../errors.js';
import { throwIfAborted, type AbortSignalLike } from '../progress.js';
import { assertVideoFrames, type VideoFrames } from '../video.js';
import { nominalTimestamps } from './frame-rate.js';

/** One decoded frame handed out by a {@link FrameSource}. */
export interface SourceFrame {
  /** Its source frame index. */
  index: number;
  /** RGB bytes, row-major (`height * width * 3`). Valid until the iterator moves on: copy what you keep. */
  data: Uint8Array;
}

/** Options of {@link FrameSource.read}. */
export interface FrameReadOptions {
  /** Aborts the read: the iterator throws `signal.reason`. */
  signal?: AbortSignalLike;
}

/** A video that can be read frame by frame (see the module notes). */
export interface FrameSource {
  /** Frames in the source (integer >= 1). */
  readonly frames: number;
  /** Frame width in pixels. */
  readonly width: number;
  /** Frame height in pixels. */
  readonly height: number;
  /** Nominal frames per second, when known. */
  readonly fps?: number;
  /**
   * Presentation time of each source frame in seconds (length `frames`), when known: from the
   * container's timestamps for a video file, from file names that are times for images.
   */
  readonly timestamps?: Float64Array;
  /** A name for messages (e.g. the file name). */
  readonly name?: string;
  /**
   * Reads the frames `indices` (strictly increasing source indices), in that order. The frames
   * not asked for are skipped (never held). Breaking out of the loop stops the reading.
   */
  read(indices: Int32Array, options?: FrameReadOptions): AsyncIterable<SourceFrame>;
}

/**
 * A {@link FrameSource} over frames already in memory. Frame `i` of the source is frame `i` of
 * `video.data` (whatever `video.sourceIndices` says); the frames handed out are views of
 * `video.data`.
 *
 * @param video - the frames (not copied)
 * @param options - `timestamps` (seconds per frame; default `i / video.fps`, or none without fps), `name`
 * @returns a new source
 * @throws TypeError / {@link InvalidVideoError} for a malformed `video` or timestamps of the wrong length
 */
export function frameSourceFromVideo(video: VideoFrames, options: { timestamps?: ArrayLike<number>; name?: string } = {}): FrameSource {
  const fn = 'frameSourceFromVideo';
  assertVideoFrames(fn, video);
  const { frames, width, height } = video;
  let timestamps: Float64Array | undefined;
  if (options.timestamps !== undefined) {
    if (typeof options.timestamps !== 'object' || options.timestamps === null || options.timestamps.length !== frames) {
      throw new InvalidVideoError('bad-frames', `${fn}: options.timestamps (${describeValue(options.timestamps)}) must hold one time per frame (${frames})`);
    }
    timestamps = Float64Array.from(options.timestamps);
  } else if (video.fps !== undefined) {
    timestamps = nominalTimestamps(frames, video.fps);
  }
  const frameBytes = width * height * 3;
  const source: FrameSource = {
    frames,
    width,
    height,
    ...(video.fps !== undefined && { fps: video.fps }),
    ...(timestamps !== undefined && { timestamps }),
    ...(options.name !== undefined && { name: options.name }),
    read(indices: Int32Array, readOptions: FrameReadOptions = {}): AsyncIterable<SourceFrame> {
      checkIndices('FrameSource.read', indices, frames);
      return (async function* () {
        for (const i of indices) {
          throwIfAborted(readOptions.signal, 'FrameSource.read');
          yield { index: i, data: video.data.subarray(i * frameBytes, (i + 1) * frameBytes) };
        }
      })();
    },
  };
  return source;
}

/**
 * Checks that `indices` are strictly increasing integer frame indices of a source of `frames` frames.
 * @throws TypeError for a non-`Int32Array`; RangeError naming the first bad index
 */
export function checkIndices(fn: string, indices: unknown, frames: number): asserts indices is Int32Array {
  if (!(indices instanceof Int32Array)) throw new TypeError(`${fn}: indices (${describeValue(indices)}) must be an Int32Array of source frame indices`);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (i < 0 || i >= frames) throw new RangeError(`${fn}: indices[${k}] (${i}) must be a frame index in [0, ${frames - 1}]`);
    if (k > 0 && i <= indices[k - 1]!) throw new RangeError(`${fn}: indices[${k}] (${i}) must be greater than indices[${k - 1}] (${indices[k - 1]}): frames are read in order, each once`);
  }
}
