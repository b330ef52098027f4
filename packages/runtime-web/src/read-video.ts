/**
 * Decoding a video in the browser into the SDK's `VideoFrames` (8-bit RGB): with WebCodecs for
 * MP4/MOV files where the browser has `VideoDecoder` and supports the codec, else by seeking a
 * `<video>` element and drawing each frame to a canvas.
 *
 * @module
 */
import { InvalidVideoError, allocateFrames, planFrameSelection, type ProgressCallback, type VideoFrames } from '@d4rt/core';
import { fetchChecked } from './fetch-checked.js';
import { demuxMp4, sniffContainer, type ContainerKind } from './mp4-demux.js';
import { YUV_FORMATS, copyFrameRgb } from './yuv-to-rgb.js';

/** What {@link readVideo} reads: a `File`/`Blob`, a URL, or a `<video>` element. */
export type VideoSource = Blob | string | URL | HTMLVideoElement;

/** How frames are decoded; see {@link readVideo}. */
export type VideoDecoderKind = 'webcodecs' | 'element';

/** Options of {@link readVideo}. */
export interface ReadVideoOptions {
  /**
   * Keep at most this many frames, evenly spaced (`selectFrames`: first and last kept), as
   * `@d4rt/runtime-node`'s `readVideo` does; a shorter video is kept whole. Default: every frame.
   */
  frames?: number;
  /**
   * `'auto'` (default): WebCodecs for MP4/MOV when `VideoDecoder` exists and supports the codec,
   * else the `<video>` element (the result's `decoder` says which ran). `'webcodecs'` / `'element'` force one (an error when it cannot be used).
   */
  decoder?: 'auto' | VideoDecoderKind;
  /**
   * Frame rate the `<video>` element path assumes to number frames (it cannot read the container's
   * frame table; default 30). The WebCodecs path reads the real frame table and ignores it.
   */
  fps?: number;
  /** Largest decoded size in bytes (`frames * width * height * 3`; default 1 GiB). */
  maxBytes?: number;
  /** Milliseconds to wait for the `<video>` element to load or seek (default 20000). */
  timeoutMs?: number;
  /** Progress (`stage: 'decode-video'`, in frames). */
  onProgress?: ProgressCallback;
  /** Aborts decoding. */
  signal?: AbortSignal;
}

/** Decoded frames, with how they were decoded. */
export interface WebVideoFrames extends VideoFrames {
  /** The decoder that produced the frames. */
  decoder: VideoDecoderKind;
}

const FN = 'readVideo';
const DEFAULT_MAX_BYTES = 2 ** 30;

function describeSource(source: VideoSource): string {
  if (typeof source === 'string') return `'${source}'`;
  if (source instanceof URL) return `'${source.href}'`;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = (source as File).name;
    return name ? `file '${name}'` : `blob (${source.type || 'no type'}, ${source.size} bytes)`;
  }
  return '<video> element';
}

function isVideoElement(value: unknown): value is HTMLVideoElement {
  return typeof HTMLVideoElement !== 'undefined' && value instanceof HTMLVideoElement;
}

function checkOptions(options: ReadVideoOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${FN}: options (${String(options)}) must be an object`);
  const { frames, fps, maxBytes, timeoutMs, decoder } = options;
  if (frames !== undefined && (!Number.isInteger(frames) || frames < 1)) {
    throw new RangeError(`${FN}: options.frames (${String(frames)}) must be an integer >= 1`);
  }
  if (fps !== undefined && (typeof fps !== 'number' || !(fps > 0) || fps > 1000)) {
    throw new RangeError(`${FN}: options.fps (${String(fps)}) must be a number in (0, 1000]`);
  }
  if (maxBytes !== undefined && (typeof maxBytes !== 'number' || !(maxBytes >= 1))) {
    throw new RangeError(`${FN}: options.maxBytes (${String(maxBytes)}) must be a number >= 1`);
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) {
    throw new RangeError(`${FN}: options.timeoutMs (${String(timeoutMs)}) must be a number > 0`);
  }
  if (decoder !== undefined && decoder !== 'auto' && decoder !== 'webcodecs' && decoder !== 'element') {
    throw new RangeError(`${FN}: options.decoder (${JSON.stringify(decoder)}) must be 'auto', 'webcodecs' or 'element'`);
  }
}

/** The source frames kept, in output order (the runtimes' shared plan: all, or `keep` evenly spaced). */
function keptFrames(n: number, keep: number | undefined): { indices: Int32Array; slot: Int32Array } {
  const plan = planFrameSelection(n, keep);
  // Frames are never repeated here (a short source is kept whole), so `first` is each source frame's slot.
  return { indices: plan.indices ?? Int32Array.from({ length: n }, (_, i) => i), slot: plan.first };
}

/** A 2D canvas that reads back pixels (OffscreenCanvas where available). */
function pixelReader(width: number, height: number): (image: CanvasImageSource, out: Uint8Array, offset: number) => void {
  const canvas: OffscreenCanvas | HTMLCanvasElement =
    typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (ctx === null) throw new Error(`${FN}: this browser gives no 2D canvas context to read frames with`);
  return (image, out, offset) => {
    ctx.drawImage(image, 0, 0, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    for (let i = 0, j = offset; i < rgba.length; i += 4, j += 3) {
      out[j] = rgba[i]!;
      out[j + 1] = rgba[i + 1]!;
      out[j + 2] = rgba[i + 2]!;
    }
  };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException(`${FN}: aborted`, 'AbortError');
}

async function sourceBytes(source: Blob | string | URL, name: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.arrayBuffer();
  const res = await fetchChecked(String(source), `${FN}: ${name}`, (message, options) => new InvalidVideoError('not-found', message, options), { signal });
  return res.arrayBuffer();
}

async function decodeWithWebCodecs(
  bytes: ArrayBuffer,
  name: string,
  options: ReadVideoOptions,
  strict: boolean,
): Promise<WebVideoFrames | { unsupportedCodec: string }> {
  let track;
  try {
    track = demuxMp4(bytes);
  } catch (error) {
    throw new InvalidVideoError('undecodable', `${FN}: ${name} looks like MP4 but cannot be demuxed (${(error as Error).message})`, { cause: error });
  }
  if (track === null) throw new InvalidVideoError('not-a-video', `${FN}: ${name} is an MP4 file without a video track`);
  const { config, samples, width, height, timescale } = track;
  if (samples.length === 0) throw new InvalidVideoError('no-frames', `${FN}: ${name} has a video track without samples`);
  const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (support.supported !== true) {
    if (!strict) return { unsupportedCodec: config.codec };
    throw new InvalidVideoError('undecodable', `${FN}: ${name}: this browser cannot decode its video codec '${config.codec}' (WebCodecs VideoDecoder does not support it)`);
  }
  // Presentation order: the n-th smallest composition time is frame n.
  const toUs = (ticks: number): number => Math.round((ticks * 1e6) / timescale);
  const byTime = new Map<number, number>();
  [...samples].sort((a, b) => a.cts - b.cts).forEach((s, i) => byTime.set(toUs(s.cts), i));
  const n = samples.length;
  const { indices: keepIdx, slot } = keptFrames(n, options.frames);
  const data = allocateFrames(FN, name, keepIdx.length, width, height, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const frameBytes = width * height * 3;
  const read = pixelReader(width, height);
  let decoded = 0;
  let failure: unknown = null;
  const filled = new Uint8Array(keepIdx.length);
  const { onProgress, signal } = options;
  onProgress?.({ stage: 'decode-video', done: 0, total: n });
  const copies: Promise<void>[] = [];
  const decoder = new VideoDecoder({
    output(frame) {
      let closeNow = true;
      try {
        const index = byTime.get(frame.timestamp);
        const k = index === undefined ? -1 : slot[index]!;
        if (k >= 0) {
          if (frame.format !== null && YUV_FORMATS.has(frame.format)) {
            closeNow = false;
            copies.push(
              copyFrameRgb(frame, data, k * frameBytes, track.colorSpace).then(
                () => {
                  filled[k] = 1;
                },
                (error: unknown) => {
                  failure ??= error;
                },
              ).finally(() => frame.close()),
            );
          } else {
            read(frame, data, k * frameBytes);
            filled[k] = 1;
          }
        }
      } catch (error) {
        failure ??= error;
      } finally {
        if (closeNow) frame.close();
      }
      decoded++;
      onProgress?.({ stage: 'decode-video', done: Math.min(decoded, n), total: n });
    },
    error(error) {
      failure ??= error;
    },
  });
  try {
    decoder.configure(config);
    for (const s of samples) {
      if (signal?.aborted) throw abortError(signal);
      if (failure !== null) break;
      if (s.data === undefined) continue;
      decoder.decode(new EncodedVideoChunk({ type: s.is_sync ? 'key' : 'delta', timestamp: toUs(s.cts), duration: toUs(s.duration), data: s.data }));
      // Keep the decoder's queue short so frames are closed as they come.
      while (decoder.decodeQueueSize > 8 && failure === null) await new Promise((r) => setTimeout(r, 0));
    }
    if (failure === null) await decoder.flush();
    await Promise.all(copies);
  } catch (error) {
    failure ??= error;
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  if (signal?.aborted) throw abortError(signal);
  if (failure !== null) {
    throw new InvalidVideoError('undecodable', `${FN}: ${name}: decoding '${config.codec}' failed (${(failure as Error).message ?? String(failure)})`, { cause: failure });
  }
  const missing = filled.indexOf(0);
  if (missing >= 0) {
    throw new InvalidVideoError('undecodable', `${FN}: ${name}: the decoder returned ${decoded} of ${n} frames; frame ${keepIdx[missing]} never came out`);
  }
  if (decoded !== n) onProgress?.({ stage: 'decode-video', done: n, total: n });
  return {
    data,
    frames: keepIdx.length,
    width,
    height,
    ...(track.fps !== undefined && { fps: track.fps }),
    ...(keepIdx.length < n && { sourceIndices: keepIdx, sourceFrames: n }),
    decoder: 'webcodecs',
  };
}

function once(target: EventTarget, ok: string, fail: string[], timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      for (const f of fail) target.removeEventListener(f, onFail);
      signal?.removeEventListener('abort', onAbort);
    };
    const onOk = (): void => {
      cleanup();
      resolve();
    };
    const onFail = (): void => {
      cleanup();
      reject(new Error('error event'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    target.addEventListener(ok, onOk);
    for (const f of fail) target.addEventListener(f, onFail);
    signal?.addEventListener('abort', onAbort);
  });
}

/** Resolves when the element presents a new frame, or after `ms` (also at once without requestVideoFrameCallback). */
function framePresented(video: HTMLVideoElement, ms: number): Promise<void> {
  const rvfc = (video as { requestVideoFrameCallback?: (cb: () => void) => number }).requestVideoFrameCallback;
  if (typeof rvfc !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    rvfc.call(video, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function mediaErrorText(video: HTMLVideoElement): string {
  const e = video.error;
  if (e === null) return 'no MediaError';
  const codes: Record<number, string> = { 1: 'aborted', 2: 'network error', 3: 'decode error', 4: 'source not supported' };
  return `${codes[e.code] ?? `code ${e.code}`}${e.message ? `: ${e.message}` : ''}`;
}

async function decodeWithElement(
  source: Blob | string | URL | HTMLVideoElement,
  name: string,
  container: ContainerKind | null,
  options: ReadVideoOptions,
  codecHint = '',
): Promise<WebVideoFrames> {
  const timeoutMs = options.timeoutMs ?? 20000;
  const { signal, onProgress } = options;
  const own = !isVideoElement(source);
  const video = own ? document.createElement('video') : source;
  let objectUrl: string | null = null;
  const restore = own ? null : { time: video.currentTime, paused: video.paused };
  try {
    if (own) {
      video.muted = true;
      video.playsInline = true;
      video.preload = 'auto';
      if (typeof Blob !== 'undefined' && source instanceof Blob) {
        objectUrl = URL.createObjectURL(source);
        video.src = objectUrl;
      } else {
        video.crossOrigin = 'anonymous';
        video.src = String(source);
      }
    } else {
      video.pause();
    }
    if (video.readyState < 2) {
      try {
        await once(video, 'loadeddata', ['error'], timeoutMs, 'the video to load', signal);
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        const why = video.error !== null ? mediaErrorText(video) : (error as Error).message;
        if (typeof source === 'string' || source instanceof URL) {
          // A URL the element could not open may simply not exist: say so rather than blame the codec.
          const head = await fetch(String(source), { method: 'HEAD' }).catch(() => null);
          if (head === null || !head.ok) {
            throw new InvalidVideoError('not-found', `${FN}: ${name} ${head === null ? 'could not be reached' : `answered HTTP ${head.status}`}`, { cause: error });
          }
        }
        if (container === null && own) {
          throw new InvalidVideoError('not-a-video', `${FN}: ${name} is not a video this browser recognises (${why}); expected e.g. MP4 (H.264) or WebM (VP8/VP9/AV1)`, { cause: error });
        }
        const what = [container !== null ? `${container} container` : '', codecHint].filter(Boolean).join(', ');
        throw new InvalidVideoError('undecodable', `${FN}: ${name}${what ? ` (${what})` : ''} cannot be decoded by this browser (${why})`, { cause: error });
      }
    }
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (width === 0 || height === 0) throw new InvalidVideoError('not-a-video', `${FN}: ${name} has no video track (0x0 picture)`);
    const duration = video.duration;
    if (!Number.isFinite(duration) || duration <= 0) {
      throw new InvalidVideoError('undecodable', `${FN}: ${name} reports duration ${duration}; the element path needs a finite duration to seek`);
    }
    if (video.seekable.length === 0) {
      throw new InvalidVideoError('undecodable', `${FN}: ${name} cannot be seeked (a URL whose server does not answer HTTP range requests?); pass the video as a File or Blob instead`);
    }
    const fps = options.fps ?? 30;
    const n = Math.max(1, Math.round(duration * fps));
    const keepIdx = keptFrames(n, options.frames).indices;
    const data = allocateFrames(FN, name, keepIdx.length, width, height, options.maxBytes ?? DEFAULT_MAX_BYTES);
    const frameBytes = width * height * 3;
    const read = pixelReader(width, height);
    onProgress?.({ stage: 'decode-video', done: 0, total: keepIdx.length });
    for (let k = 0; k < keepIdx.length; k++) {
      if (signal?.aborted) throw abortError(signal);
      // The middle of frame i's display interval, kept inside the stream.
      const t = Math.min((keepIdx[k]! + 0.5) / fps, Math.max(0, duration - 1e-3));
      const seeked = once(video, 'seeked', ['error'], timeoutMs, `a seek to ${t.toFixed(3)} s`, signal);
      // 'seeked' can fire before the new frame is presented; wait for it (requestVideoFrameCallback)
      // when the browser has it. No callback comes when the seek lands on the frame already shown.
      const presented = framePresented(video, 1000);
      video.currentTime = t;
      try {
        await seeked;
        await presented;
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        throw new InvalidVideoError('undecodable', `${FN}: ${name}: seeking to ${t.toFixed(3)} s failed (${video.error !== null ? mediaErrorText(video) : (error as Error).message})`, { cause: error });
      }
      if (Math.abs(video.currentTime - t) > 0.5 / fps) {
        throw new InvalidVideoError('undecodable', `${FN}: ${name}: a seek to ${t.toFixed(3)} s landed at ${video.currentTime.toFixed(3)} s; the browser cannot seek this source`);
      }
      try {
        read(video, data, k * frameBytes);
      } catch (error) {
        // getImageData on a canvas tainted by a cross-origin video served without CORS.
        if ((error as Error).name === 'SecurityError') {
          throw new InvalidVideoError('undecodable', `${FN}: ${name}: the browser does not let the page read this video's pixels (cross-origin without CORS headers); serve it from the page's origin or with Access-Control-Allow-Origin`, { cause: error });
        }
        throw error;
      }
      onProgress?.({ stage: 'decode-video', done: k + 1, total: keepIdx.length });
    }
    return {
      data,
      frames: keepIdx.length,
      width,
      height,
      fps,
      ...(keepIdx.length < n && { sourceIndices: keepIdx, sourceFrames: n }),
      decoder: 'element',
    };
  } finally {
    if (objectUrl !== null) {
      video.removeAttribute('src');
      video.load();
      URL.revokeObjectURL(objectUrl);
    }
    if (restore !== null) {
      video.currentTime = restore.time;
      if (!restore.paused) void video.play().catch(() => {});
    }
  }
}

/**
 * Decodes a video into RGB frames.
 *
 * With `decoder: 'auto'`, an MP4/MOV file whose codec WebCodecs supports is demuxed (mp4box.js)
 * and decoded with `VideoDecoder`: exact frame numbering, as `@d4rt/runtime-node`'s ffmpeg reader.
 * Anything else (WebM, browsers without WebCodecs, `<video>` sources) is decoded by seeking a
 * `<video>` element to the middle of each frame, numbering frames at `options.fps`. The result's
 * `decoder` says which path ran. A `<video>` element source is paused while reading and then put
 * back where it was.
 *
 * On the WebCodecs path, 4:2:0 frames (I420, NV12) are converted to RGB here, as ffmpeg does it
 * (the stream's matrix and range; BT.601 limited range when untagged), so frames match
 * `@d4rt/runtime-node`'s to about a level. The `<video>` path uses the browser's conversion. A URL
 * read by the `<video>` path must be served with HTTP range requests (seeking needs them).
 *
 * @param source - a `File`/`Blob`, a URL (fetched), or an `HTMLVideoElement`
 * @param options - `frames`, `decoder`, `fps`, `maxBytes`, `timeoutMs`, `onProgress`, `signal`
 * @returns new frames; `sourceIndices` tells which source frames were kept when fewer than all
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} with `reason`
 *   `'not-found'` (download failed), `'not-a-video'`, `'undecodable'` (codec or container the
 *   browser cannot decode), `'no-frames'`, `'too-large'`
 */
export async function readVideo(source: VideoSource, options: ReadVideoOptions = {}): Promise<WebVideoFrames> {
  const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
  if (!isBlob && !isVideoElement(source) && !(source instanceof URL) && (typeof source !== 'string' || source.length === 0)) {
    throw new TypeError(`${FN}: source (${source === null ? 'null' : typeof source}) must be a File, Blob, URL string, URL or HTMLVideoElement`);
  }
  checkOptions(options);
  const name = describeSource(source);
  const mode = options.decoder ?? 'auto';
  const hasWebCodecs = typeof VideoDecoder !== 'undefined' && typeof EncodedVideoChunk !== 'undefined';
  if (mode === 'webcodecs' && !hasWebCodecs) throw new InvalidVideoError('decoder-missing', `${FN}: options.decoder 'webcodecs' needs VideoDecoder, which this browser lacks; use 'auto' or 'element'`);
  if (isVideoElement(source)) {
    if (mode === 'webcodecs') throw new RangeError(`${FN}: options.decoder 'webcodecs' cannot read a <video> element; pass its File or URL instead`);
    return decodeWithElement(source, name, null, options);
  }
  if (isBlob && source.size === 0) throw new InvalidVideoError('not-a-video', `${FN}: ${name} is empty`);
  let bytes: ArrayBuffer | null = null;
  let container: ContainerKind | null = null;
  if (mode !== 'element' || isBlob) {
    bytes = await sourceBytes(source, name, options.signal);
    container = sniffContainer(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 256)));
  }
  if (mode === 'webcodecs' && container !== 'mp4') {
    throw new InvalidVideoError(container === null ? 'not-a-video' : 'undecodable', `${FN}: ${name} is ${container === null ? 'not a recognised video container' : `a ${container} file`}; options.decoder 'webcodecs' reads MP4/MOV only`);
  }
  let codecHint = '';
  if (mode !== 'element' && hasWebCodecs && container === 'mp4' && bytes !== null) {
    const out = await decodeWithWebCodecs(bytes, name, options, mode === 'webcodecs');
    if (!('unsupportedCodec' in out)) return out;
    codecHint = `codec '${out.unsupportedCodec}', not supported by WebCodecs`;
  }
  const blob = isBlob ? source : bytes !== null ? new Blob([bytes]) : (source as string | URL);
  return decodeWithElement(blob, name, container, options, codecHint);
}
