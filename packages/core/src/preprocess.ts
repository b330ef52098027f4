/**
 * Preprocessing exactly as training does it (`training/d4rt_train/preprocess.py`):
 *
 * - Resize: align-corners bilinear (`x_src = x_dst (W_src - 1) / (W_dst - 1)`, the convention
 *   `u = x / (W - 1)`) with a box prefilter when downscaling: each output pixel averages
 *   `s_y x s_x` bilinear taps, `s = max(1, ceil(src / dst))` per axis, at offsets
 *   `((k + 0.5) / s - 0.5) * step` around the centre, `step = (src - 1) / (dst - 1)`; taps are
 *   border-clamped. Bilinear taps are separable, so the whole filter is one sparse weight matrix
 *   per axis, applied rows first then columns (float64 accumulation).
 * - Resize `'opencv-area-linear'` (OpenD4RT's preprocessing, OpenCV's `cv2.resize` of 8-bit frames):
 *   when the source is at least as tall as the output, area averaging (each output pixel the mean
 *   of the source area it covers, with fractional edge pixels; if the width is enlarged, OpenCV's
 *   two-tap `INTER_AREA` enlargement on both axes), else bilinear with half-pixel centres
 *   (`x_src = (x + 0.5) W_src / W - 0.5`, clamped at the borders, weights in OpenCV's 1/2048 steps);
 *   the result is rounded to 8 bits (area: half to even; bilinear: half up) before normalisation.
 *   Computed in float64 from the same weights as OpenCV, which accumulates in float32 or fixed point:
 *   a pixel may differ by one 8-bit level where a sum lands on a rounding boundary.
 * - Normalisation: `(value * scale - mean[c]) / std[c]`.
 * - Query patches: the `p x p` patch around `(u (W - 1), v (H - 1))` of the normalised frame
 *   `tSrc`, one-pixel spacing, bilinear, border-clamped, channel-major `(c, row, col)`.
 *
 * @module
 */

/** Sparse 1D resampling weights: output `i` = sum over `k` in `[start[i], start[i+1])` of `weight[k] * src[index[k]]`. */
export interface AxisWeights {
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/**
 * The resize filter of one axis (see the module notes) as sparse weights.
 * @param src - source size (>= 1)
 * @param dst - output size (>= 1)
 * @returns new arrays
 */
export function resizeWeights(src: number, dst: number): AxisWeights {
  const step = dst > 1 ? (src - 1) / (dst - 1) : 0;
  const s = Math.max(1, Math.ceil(src / dst));
  const start = new Int32Array(dst + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const acc = new Map<number, number>();
  for (let i = 0; i < dst; i++) {
    acc.clear();
    const centre = i * step;
    for (let k = 0; k < s; k++) {
      let x = centre + ((k + 0.5) / s - 0.5) * step;
      x = Math.min(Math.max(x, 0), src - 1);
      // grid_sample(align_corners=True, padding 'border') semantics: x0 = floor(x), x1 = x0 + 1 clamped
      const x0 = Math.floor(x);
      const f = x - x0;
      const x1 = Math.min(x0 + 1, src - 1);
      acc.set(x0, (acc.get(x0) ?? 0) + (1 - f) / s);
      if (f > 0) acc.set(x1, (acc.get(x1) ?? 0) + f / s);
    }
    for (const [j, w] of [...acc.entries()].sort((a, b) => a[0] - b[0])) {
      index.push(j);
      weight.push(w);
    }
    start[i + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

function push(acc: Map<number, number>, j: number, w: number): void {
  if (w !== 0) acc.set(j, (acc.get(j) ?? 0) + w);
}

function packWeights(rows: Map<number, number>[]): AxisWeights {
  const start = new Int32Array(rows.length + 1);
  const index: number[] = [];
  const weight: number[] = [];
  rows.forEach((acc, i) => {
    for (const [j, w] of [...acc.entries()].sort((a, b) => a[0] - b[0])) {
      index.push(j);
      weight.push(w);
    }
    start[i + 1] = index.length;
  });
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * OpenCV's resize taps of one axis (`cv2.resize`, see the module notes) as sparse weights.
 * @param src - source size (>= 1)
 * @param dst - output size (>= 1)
 * @param mode - `'area'` (`INTER_AREA` when no axis is enlarged: averaging), `'area-taps'`
 *   (`INTER_AREA` when an axis is enlarged: OpenCV then takes two taps per axis) or `'linear'` (`INTER_LINEAR`)
 * @returns new arrays
 */
export function opencvResizeWeights(src: number, dst: number, mode: 'area' | 'area-taps' | 'linear'): AxisWeights {
  const scale = src / dst;
  const rows: Map<number, number>[] = [];
  for (let i = 0; i < dst; i++) {
    const acc = new Map<number, number>();
    if (mode === 'area') {
      // the source interval [i s, (i + 1) s) averaged, edge pixels by the fraction they overlap
      const f1 = i * scale;
      const f2 = f1 + scale;
      const cell = Math.min(scale, src - f1);
      const s2 = Math.min(Math.floor(f2), src - 1);
      const s1 = Math.min(Math.ceil(f1), s2);
      if (s1 - f1 > 1e-3) push(acc, s1 - 1, (s1 - f1) / cell);
      for (let k = s1; k < s2; k++) push(acc, k, 1 / cell);
      if (f2 - s2 > 1e-3) push(acc, s2, Math.min(Math.min(f2 - s2, 1), cell) / cell);
    } else {
      let s: number;
      let f: number;
      if (mode === 'area-taps') {
        // OpenCV's INTER_AREA when enlarging
        s = Math.floor(i * scale);
        f = i + 1 - (s + 1) / scale;
        f = f <= 0 ? 0 : f - Math.floor(f);
      } else {
        const x = (i + 0.5) * scale - 0.5;
        s = Math.floor(x);
        f = x - s;
      }
      if (s < 0) {
        s = 0;
        f = 0;
      }
      if (s >= src - 1) {
        s = src - 1;
        f = 0;
      }
      // OpenCV's 8-bit path rounds both taps to 1/2048 (INTER_RESIZE_COEF_BITS = 11)
      const b = Math.round(f * 2048) / 2048;
      push(acc, s, 1 - b);
      if (b > 0) push(acc, s + 1, b);
    }
    rows.push(acc);
  }
  return packWeights(rows);
}

/** Rounds half to even (OpenCV's `cvRound`). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Normalisation of {@link resizeNormalize}: `(value * scale - mean[c]) / std[c]`. */
export interface Normalization {
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * Resizes RGB frames and normalises them into the encoder's channel-first layout.
 *
 * @param out - receives `frameIndices.length * 3 * height * width` floats, `[t][c][y][x]`
 * @param rgb - source frames, `RGB` bytes, frame-major then row-major (`srcFrames x srcHeight x srcWidth x 3`)
 * @param options - source size, which source frames to take (in output order), output size, normalisation
 * @returns `out`
 */
export function resizeNormalize(
  out: Float32Array,
  rgb: Uint8Array,
  options: {
    srcWidth: number;
    srcHeight: number;
    frameIndices: ArrayLike<number>;
    width: number;
    height: number;
    normalization: Normalization;
    /** The manifest's `clip.resize` (default `'bilinear-align-corners-box'`). */
    resize?: 'bilinear-align-corners-box' | 'opencv-area-linear';
  },
): Float32Array {
  const { srcWidth: Ws, srcHeight: Hs, frameIndices, width: W, height: H, normalization: nrm } = options;
  const opencv = options.resize === 'opencv-area-linear';
  // OpenD4RT asks OpenCV for INTER_AREA when the source is at least as tall, else INTER_LINEAR;
  // OpenCV averages only when no axis is enlarged
  const mode = Hs < H ? 'linear' : Ws < W ? 'area-taps' : 'area';
  const round = !opencv ? (x: number) => x : mode === 'area' ? roundHalfEven : (x: number) => Math.floor(x + 0.5);
  const wy = opencv ? opencvResizeWeights(Hs, H, mode) : resizeWeights(Hs, H);
  const wx = opencv ? opencvResizeWeights(Ws, W, mode) : resizeWeights(Ws, W);
  const plane = H * W;
  // rows pass: tmp[y][xs][c] for the H output rows, float64
  const tmp = new Float64Array(H * Ws * 3);
  const done = new Map<number, number>();
  for (let t = 0; t < frameIndices.length; t++) {
    const f = frameIndices[t]!;
    const prev = done.get(f);
    if (prev !== undefined) {
      out.copyWithin(t * 3 * plane, prev * 3 * plane, (prev + 1) * 3 * plane);
      continue;
    }
    done.set(f, t);
    const base = f * Hs * Ws * 3;
    tmp.fill(0);
    for (let y = 0; y < H; y++) {
      const row = y * Ws * 3;
      for (let k = wy.start[y]!; k < wy.start[y + 1]!; k++) {
        const w = wy.weight[k]!;
        const src = base + wy.index[k]! * Ws * 3;
        for (let i = 0; i < Ws * 3; i++) tmp[row + i] = tmp[row + i]! + w * rgb[src + i]!;
      }
    }
    const o = t * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const a = nrm.scale / nrm.std[c]!;
      const b = nrm.mean[c]! / nrm.std[c]!;
      for (let y = 0; y < H; y++) {
        const row = y * Ws * 3;
        for (let x = 0; x < W; x++) {
          let s = 0;
          for (let k = wx.start[x]!; k < wx.start[x + 1]!; k++) s += wx.weight[k]! * tmp[row + wx.index[k]! * 3 + c]!;
          out[o + c * plane + y * W + x] = round(s) * a - b;
        }
      }
    }
  }
  return out;
}

/**
 * Extracts the query patches: for query `q`, the `p x p` RGB patch of the normalised frame
 * `tSrc[q]` around `(u (W - 1), v (H - 1))`, bilinear, border-clamped, flattened `(c, row, col)`.
 *
 * @param out - receives `count * 3 * p * p` floats
 * @param video - normalised frames `[T][3][H][W]` (the encoder input)
 * @param options - frame size, patch size, and the queries `u`, `v`, `tSrc` read from `offset` for `count`
 * @returns `out`
 */
export function extractPatches(
  out: Float32Array,
  video: Float32Array,
  options: {
    width: number;
    height: number;
    size: number;
    u: ArrayLike<number>;
    v: ArrayLike<number>;
    tSrc: ArrayLike<number>;
    offset: number;
    count: number;
  },
): Float32Array {
  const { width: W, height: H, size: p, u, v, tSrc, offset, count } = options;
  const plane = H * W;
  const half = (p - 1) / 2;
  const x0 = new Int32Array(p), x1 = new Int32Array(p), fx = new Float64Array(p);
  const y0 = new Int32Array(p), y1 = new Int32Array(p), fy = new Float64Array(p);
  const axis = (c: number, n: number, i0: Int32Array, i1: Int32Array, f: Float64Array): void => {
    for (let k = 0; k < p; k++) {
      const x = Math.min(Math.max(c + k - half, 0), n - 1);
      const a = Math.min(Math.floor(x), Math.max(n - 2, 0));
      i0[k] = a;
      i1[k] = Math.min(a + 1, n - 1);
      f[k] = x - a;
    }
  };
  const pp = p * p;
  const tmp = new Float64Array(p + 1);
  for (let q = 0; q < count; q++) {
    const j = offset + q;
    // float32 coordinates, as training computes them
    const cx = Math.fround(Math.fround(u[j]!) * (W - 1));
    const cy = Math.fround(Math.fround(v[j]!) * (H - 1));
    axis(cy, H, y0, y1, fy);
    const frame = tSrc[j]! * 3 * plane;
    const o = q * 3 * pp;
    const left = cx - half;
    const xa = Math.floor(left);
    if (xa >= 0 && xa + p <= W - 1) {
      // interior: the p columns share one fraction and read p + 1 consecutive pixels per row
      const f = left - xa;
      for (let c = 0; c < 3; c++) {
        const img = frame + c * plane + xa;
        for (let r = 0; r < p; r++) {
          const wy = fy[r]!;
          const ra = img + y0[r]! * W;
          const rb = img + y1[r]! * W;
          for (let k = 0; k <= p; k++) tmp[k] = video[ra + k]! * (1 - wy) + video[rb + k]! * wy;
          const base = o + c * pp + r * p;
          for (let k = 0; k < p; k++) out[base + k] = tmp[k]! * (1 - f) + tmp[k + 1]! * f;
        }
      }
      continue;
    }
    axis(cx, W, x0, x1, fx);
    for (let c = 0; c < 3; c++) {
      const img = frame + c * plane;
      for (let r = 0; r < p; r++) {
        const wy = fy[r]!;
        const ra = img + y0[r]! * W;
        const rb = img + y1[r]! * W;
        for (let k = 0; k < p; k++) {
          const wx = fx[k]!;
          const a = video[ra + x0[k]!]! * (1 - wx) + video[ra + x1[k]!]! * wx;
          const b = video[rb + x0[k]!]! * (1 - wx) + video[rb + x1[k]!]! * wx;
          out[o + c * pp + r * p + k] = a * (1 - wy) + b * wy;
        }
      }
    }
  }
  return out;
}
