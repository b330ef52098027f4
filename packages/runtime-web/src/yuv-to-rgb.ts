/**
 * YUV to RGB for WebCodecs `VideoFrame`s, done here rather than by the canvas so the colours match
 * what ffmpeg (and so `@d4rt/runtime-node` and training) produce: the container's tagged matrix
 * and range, BT.601 limited range when untagged (ffmpeg's default; browsers guess BT.709 for
 * untagged streams, which shifts colours by ~5 levels), chroma taken from the 2x2 block a pixel
 * belongs to, and ffmpeg's fixed-point arithmetic, so an untagged BT.601 stream converts bit for
 * bit as Debian's ffmpeg does.
 *
 * @module
 */

/** Luma weights of a YUV matrix. */
interface Matrix {
  kr: number;
  kb: number;
}

const MATRICES: Record<string, Matrix> = {
  bt709: { kr: 0.2126, kb: 0.0722 },
  bt470bg: { kr: 0.299, kb: 0.114 },
  smpte170m: { kr: 0.299, kb: 0.114 },
};

/** The pixel formats {@link copyFrameRgb} converts itself; others go through a canvas. */
export const YUV_FORMATS: ReadonlySet<string> = new Set(['I420', 'I420A', 'NV12']);

/** A YUV matrix and range; what {@link copyFrameRgb} converts with. */
export interface YuvColorSpace {
  matrix: VideoMatrixCoefficients;
  fullRange: boolean;
}

/**
 * Fixed-point coefficients (scaled by 2^13, as ffmpeg's swscale yuv2rgb path) of one conversion:
 * `r = ((y - y0) * cy >> 13) + (v * rv >> 13)`, `g = ... + (u * gu >> 13) + (v * gv >> 13)`,
 * `b = ... + (u * bu >> 13)` with `u, v` centred on 128. Each product is floored on its own; with
 * these roundings the result equals Debian ffmpeg's `-pix_fmt rgb24` output bit for bit (BT.601).
 */
function coefficients(colorSpace: YuvColorSpace | undefined): { y0: number; cy: number; rv: number; gu: number; gv: number; bu: number } {
  const m = MATRICES[colorSpace?.matrix ?? 'smpte170m'] ?? MATRICES.smpte170m!;
  const full = colorSpace?.fullRange === true;
  const kg = 1 - m.kr - m.kb;
  const ys = full ? 1 : 255 / 219;
  const cs = full ? 1 : 255 / 224;
  const q = (x: number): number => Math.round(x * 8192);
  return {
    y0: full ? 0 : 16,
    cy: q(ys),
    rv: q(cs * 2 * (1 - m.kr)),
    gu: q(cs * ((-2 * m.kb * (1 - m.kb)) / kg)),
    gv: q(cs * ((-2 * m.kr * (1 - m.kr)) / kg)),
    bu: q(cs * 2 * (1 - m.kb)),
  };
}

function clampByte(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : x;
}

/**
 * Copies a planar 4:2:0 frame's visible pixels as RGB into `out` at `offset`
 * (`width * height * 3` bytes).
 * @param frame - an `I420`, `I420A` or `NV12` frame (see {@link YUV_FORMATS}); not closed here
 * @param colorSpace - the stream's matrix and range (default BT.601 limited range)
 * @returns a promise that settles when `out` is written
 * @throws Error for another pixel format
 */
export async function copyFrameRgb(frame: VideoFrame, out: Uint8Array, offset: number, colorSpace?: YuvColorSpace): Promise<void> {
  const format = frame.format;
  if (format === null || !YUV_FORMATS.has(format)) throw new Error(`copyFrameRgb: pixel format ${String(format)} is not I420 or NV12`);
  const rect = frame.visibleRect!;
  const width = rect.width;
  const height = rect.height;
  const buffer = new Uint8Array(frame.allocationSize({ rect }));
  const layout = await frame.copyTo(buffer, { rect });
  const yPlane = layout[0]!;
  const uPlane = layout[1]!;
  const nv12 = format === 'NV12';
  const vPlane = nv12 ? uPlane : layout[2]!;
  const c = coefficients(colorSpace);
  for (let y = 0; y < height; y++) {
    const yRow = yPlane.offset + y * yPlane.stride;
    const cy = y >> 1;
    const uRow = uPlane.offset + cy * uPlane.stride;
    const vRow = vPlane.offset + cy * vPlane.stride;
    let o = offset + y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const cx = x >> 1;
      const yy = ((buffer[yRow + x]! - c.y0) * c.cy) >> 13;
      const u = buffer[nv12 ? uRow + 2 * cx : uRow + cx]! - 128;
      const v = buffer[nv12 ? vRow + 2 * cx + 1 : vRow + cx]! - 128;
      out[o] = clampByte(yy + ((v * c.rv) >> 13));
      out[o + 1] = clampByte(yy + ((u * c.gu) >> 13) + ((v * c.gv) >> 13));
      out[o + 2] = clampByte(yy + ((u * c.bu) >> 13));
    }
  }
}
