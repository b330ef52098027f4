/**
 * What to do about a failed demo run, in words: an ffmpeg command for a video the browser cannot
 * decode (rather than Chromium's `DEMUXER_ERROR_...` text alone), wasm after a WebGPU failure.
 */

export interface ErrorHint {
  text: string;
  /** A shell command to copy, when there is one. */
  command?: string;
  /** Offer a rerun on the wasm device. */
  tryWasm?: boolean;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  reason?: string;
}

/** Quotes a file name for a POSIX shell. */
function shellQuote(name: string): string {
  return /^[\w.,+@%/-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

/**
 * @param error - what the run threw
 * @param context - the device asked for, and the name of the user's file (none for the demo clip)
 */
export function errorHint(error: unknown, context: { device: string; fileName?: string }): ErrorHint | null {
  const e = (error ?? {}) as ErrorLike;
  const message = String(e.message ?? error);
  if (e.code === 'ERR_INVALID_VIDEO' && e.reason === 'not-a-video') {
    return { text: 'Pick a video file: MP4 (H.264) or WebM (VP8, VP9, AV1).' };
  }
  const undecodable = (e.code === 'ERR_INVALID_VIDEO' && (e.reason === 'undecodable' || e.reason === 'no-frames')) || /DEMUXER_ERROR|not supported by WebCodecs|cannot decode its video codec|cannot be decoded by this browser/.test(message);
  if (undecodable) {
    const input = shellQuote(context.fileName ?? 'input.mp4');
    const output = shellQuote(`${(context.fileName ?? 'input.mp4').replace(/\.[^.]*$/, '')}-h264.mp4`);
    return {
      text: "This browser cannot decode this video's codec. Re-encode it to H.264 in MP4 (every browser decodes that), then pick the new file:",
      command: `ffmpeg -i ${input} -c:v libx264 -pix_fmt yuv420p -an ${output}`,
    };
  }
  if (context.device !== 'wasm' && (e.code === 'ERR_BACKEND_UNAVAILABLE' || /webgpu|adapter|GPU/i.test(message))) {
    return { text: 'WebGPU did not work here. The wasm device runs on the CPU in every browser:', tryWasm: true };
  }
  return null;
}
