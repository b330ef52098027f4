/**
 * Video frames as the SDK passes them around: 8-bit RGB, frame-major, row-major, no padding.
 *
 * @module
 */
import { InvalidVideoError, describeValue } from './errors.js';

/** A decoded video (or image sequence): `frames * height * width * 3` bytes of RGB. */
export interface VideoFrames {
  /** RGB bytes, frame-major then row-major (`data[((f * height + y) * width + x) * 3 + c]`). */
  data: Uint8Array;
  /** Number of frames held in `data` (>= 1). */
  frames: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Frames per second of the source, when known. */
  fps?: number;
  /**
   * When only some frames of a longer source were decoded: the source index of each frame in
   * `data` (length `frames`), and `sourceFrames` the source's frame count. Absent = all frames.
   */
  sourceIndices?: Int32Array;
  /** Frame count of the source when `sourceIndices` is set. */
  sourceFrames?: number;
}

/**
 * Checks that `video` is a well-formed {@link VideoFrames}.
 * @param fn - name of the calling function, for the message
 * @param video - the value to check
 * @throws TypeError when `video` is not an object with a `Uint8Array` `data`;
 *   {@link InvalidVideoError} (`reason: 'bad-frames'`) for sizes that do not add up
 */
export function assertVideoFrames(fn: string, video: unknown): asserts video is VideoFrames {
  if (typeof video !== 'object' || video === null) {
    throw new TypeError(`${fn}: video (${describeValue(video)}) must be an object { data: Uint8Array, frames, width, height }`);
  }
  const v = video as Partial<VideoFrames>;
  if (!(v.data instanceof Uint8Array)) {
    throw new TypeError(`${fn}: video.data (${describeValue(v.data)}) must be a Uint8Array of RGB bytes`);
  }
  for (const key of ['frames', 'width', 'height'] as const) {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new InvalidVideoError('bad-frames', `${fn}: video.${key} (${describeValue(n)}) must be an integer >= 1`);
    }
  }
  const expected = v.frames! * v.height! * v.width! * 3;
  if (v.data.length !== expected) {
    throw new InvalidVideoError(
      'bad-frames',
      `${fn}: video.data.length (${v.data.length}) must equal frames * height * width * 3 = ${v.frames} * ${v.height} * ${v.width} * 3 = ${expected}`,
    );
  }
  if (v.sourceIndices !== undefined && (typeof v.sourceIndices !== 'object' || v.sourceIndices === null)) {
    throw new InvalidVideoError('bad-frames', `${fn}: video.sourceIndices (${describeValue(v.sourceIndices)}) must be an array of source frame indices, one per frame`);
  }
  if (v.sourceIndices !== undefined && v.sourceIndices.length !== v.frames) {
    throw new InvalidVideoError('bad-frames', `${fn}: video.sourceIndices.length (${v.sourceIndices.length}) must equal video.frames (${v.frames})`);
  }
}

/**
 * Allocates `frames * height * width * 3` bytes, or throws `'too-large'` (before any decoding)
 * when that exceeds `maxBytes` or the platform's largest typed array. Shared by the runtimes'
 * video and image readers.
 * @param fn - caller name for the message
 * @param name - the source as the message names it
 * @returns a new zeroed array
 * @throws {@link InvalidVideoError} (`'too-large'`)
 */
export function allocateFrames(fn: string, name: string, frames: number, width: number, height: number, maxBytes: number): Uint8Array {
  const bytes = frames * height * width * 3;
  const needs = `${formatBytes(bytes)} (${frames} frames of ${width}x${height} RGB = ${bytes} bytes)`;
  const hint = 'pass { frames: T } (e.g. { frames: 16 }) to keep only T evenly spaced frames, or raise maxBytes';
  if (bytes > maxBytes) {
    throw new InvalidVideoError('too-large', `${fn}: ${name} needs ${needs}, more than maxBytes (${maxBytes} = ${formatBytes(maxBytes)}); ${hint}`);
  }
  try {
    return new Uint8Array(bytes);
  } catch (error) {
    throw new InvalidVideoError('too-large', `${fn}: ${name} needs ${needs}, which could not be allocated (${(error as Error).message}); ${hint}`, { cause: error });
  }
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
