/**
 * Upsampling of dense maps (depth, confidence) from a coarse query grid to a larger output grid,
 * plain or guided by the RGB frame at the output size: what {@link Scene.depth} uses to answer
 * sizes above the model's input with a grid of the model's size instead of one query per pixel.
 *
 * Grids follow the query convention `u = x / (W - 1)` (align corners): output pixel `(X, Y)` of a
 * `W x H` map lies at `(X (w - 1) / (W - 1), Y (h - 1) / (H - 1))` in the pixels of the `w x h`
 * grid. Maps are `Float32Array(frames * height * width)`, frame-major then row-major; guides are
 * RGB bytes `Uint8Array(frames * height * width * 3)`. Every function writes into `out` and
 * returns it; `out` must not share memory with an input, except at scale 1 (the identity, a copy).
 *
 * `space: 'log'` interpolates `log(value)` and returns `exp` of the result (for depth: a ratio
 * between neighbours is kept, and depth stays positive); values `<= 0` or NaN are then treated as
 * missing samples.
 *
 * Joint-bilateral upsampling (Kopf, Cohen, Lischinski, Uyttendaele, "Joint Bilateral
 * Upsampling", SIGGRAPH 2007): output pixel `p` is the weighted mean of the coarse samples `q`
 * in a `2 r x 2 r` window around it, weight
 * `exp(-|p - q|^2 / (2 sigmaSpatial^2)) * exp(-|I(p) - I(q)|^2 / (2 sigmaRange^2)) * c(q)`,
 * `|p - q|` in coarse pixels, `I` the guide (`I(q)` at the output pixel nearest to sample `q`),
 * `|.|` of colours the Euclidean RGB distance in byte units, `c(q)` the optional per-sample
 * `weights`. So a sample only counts for the output pixels whose colour it shares, and a depth
 * edge follows the guide's colour edge at the output resolution.
 *
 * The defaults (`sigmaSpatial` 0.5, `sigmaRange` 12, `radius` 2) and the guide's colour at a
 * sample's nearest pixel (rather than averaged over its footprint) were chosen on four clips of
 * the fixture generator with seeds 2 000 000 .. 2 000 003 (192 x 128 from the 96 x 64 grid of
 * d4rt-tiny), not on the demo or held-out clips: they gave the smallest AbsRel when the exact depth
 * at the coarse samples is upsampled (0.0039 against 0.0100 for bilinear), and the model's own
 * answers moved by less than 0.001 AbsRel across every setting tried (sigmaSpatial 0.35 .. 1,
 * sigmaRange 6 .. 48, radius 1 .. 3, confidence as `weights` or not).
 *
 * @module
 */
import { resizeWeights } from './preprocess.js';
import { describeValue } from './errors.js';
import type { DepthMaps } from './scene.js';

/** How a map is brought to a larger size: `'none'` (not at all: the caller queries every pixel). */
export type UpsampleMode = 'none' | 'bilinear' | 'joint-bilateral';

/** `Scene.depth`'s default {@link UpsampleMode} (chosen from the measurements on its benchmarks page). */
export const DEFAULT_UPSAMPLE: UpsampleMode = 'joint-bilateral';

/** The upsampling modes, in the order of {@link UpsampleMode}. */
export const UPSAMPLE_MODES: readonly UpsampleMode[] = ['none', 'bilinear', 'joint-bilateral'];

/** Width and height of a grid. */
export interface GridSize {
  width: number;
  height: number;
}

/** Options of {@link upsampleBilinear}. */
export interface UpsampleOptions {
  /** Number of maps in `src` and `out` (integer >= 0). */
  frames: number;
  /** Size of each map of `src`. */
  from: GridSize;
  /** Size of each map of `out`: at least `from` on both axes. */
  to: GridSize;
  /** `'linear'` (default) or `'log'`: interpolate `log(value)` (see the module notes). */
  space?: 'linear' | 'log';
}

/** Options of {@link upsampleJointBilateral}. */
export interface JointBilateralOptions extends UpsampleOptions {
  /** RGB bytes of each map's frame at the output size, `frames * to.height * to.width * 3`. */
  guide: Uint8Array;
  /** Optional weight per coarse sample (same layout as `src`, >= 0; NaN counts as 0), e.g. confidence. */
  weights?: Float32Array;
  /** Spatial Gaussian's sigma in coarse pixels (default {@link JBU_SIGMA_SPATIAL}). */
  sigmaSpatial?: number;
  /** Colour Gaussian's sigma in RGB byte units, on the Euclidean RGB distance (default {@link JBU_SIGMA_RANGE}). */
  sigmaRange?: number;
  /** Window half-size in coarse pixels: `2 radius` samples per axis (integer in [1, 8]; default 2). */
  radius?: number;
}

/** Default spatial sigma of {@link upsampleJointBilateral}, in coarse pixels. */
export const JBU_SIGMA_SPATIAL = 0.5;
/** Default colour sigma of {@link upsampleJointBilateral}, in RGB byte units. */
export const JBU_SIGMA_RANGE = 12;

function checkInt(fn: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${fn}: ${name} (${describeValue(value)}) must be an integer in [${min}, ${max}]`);
  }
  return value;
}

function checkGrid(fn: string, name: string, value: unknown): GridSize {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${fn}: ${name} (${describeValue(value)}) must be an object { width, height }`);
  }
  const g = value as GridSize;
  return { width: checkInt(fn, `${name}.width`, g.width, 1, 16384), height: checkInt(fn, `${name}.height`, g.height, 1, 16384) };
}

function checkArray(fn: string, name: string, value: unknown, type: typeof Float32Array | typeof Uint8Array, length: number): void {
  if (!(value instanceof type)) {
    throw new TypeError(`${fn}: ${name} (${describeValue(value)}) must be a ${type.name}`);
  }
  if (value.length !== length) {
    throw new RangeError(`${fn}: ${name} has ${value.length} values; it must have ${length}`);
  }
}

interface Checked {
  frames: number;
  from: GridSize;
  to: GridSize;
  log: boolean;
}

function checkUpsample(fn: string, out: unknown, src: unknown, options: UpsampleOptions): Checked {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { frames, from, to }`);
  }
  const frames = checkInt(fn, 'options.frames', options.frames, 0, 2 ** 24);
  const from = checkGrid(fn, 'options.from', options.from);
  const to = checkGrid(fn, 'options.to', options.to);
  if (to.width < from.width || to.height < from.height) {
    throw new RangeError(`${fn}: options.to (${to.width}x${to.height}) must be at least options.from (${from.width}x${from.height}) on both axes`);
  }
  const space = options.space ?? 'linear';
  if (space !== 'linear' && space !== 'log') {
    throw new RangeError(`${fn}: options.space (${describeValue(space)}) must be 'linear' or 'log'`);
  }
  checkArray(fn, 'src', src, Float32Array, frames * from.width * from.height);
  checkArray(fn, 'out', out, Float32Array, frames * to.width * to.height);
  return { frames, from, to, log: space === 'log' };
}

/** Coarse coordinate of output pixel `i` of `n` on an axis of `m` coarse pixels (align corners). */
function coarse(i: number, n: number, m: number): number {
  return n > 1 ? (i * (m - 1)) / (n - 1) : 0;
}

/** The values interpolated: `src`, or `log(src)` with NaN for missing samples. */
function samples(src: Float32Array, log: boolean): Float32Array | Float64Array {
  if (!log) return src;
  const v = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const s = src[i]!;
    v[i] = s > 0 && s < Infinity ? Math.log(s) : Number.NaN;
  }
  return v;
}

/**
 * Bilinear upsampling (align corners), in `space` (default linear). Each output pixel blends the
 * 4 coarse samples around it; in log space, missing samples (values `<= 0` or NaN) are left out
 * and the weights of the others renormalised (all 4 missing: the nearest sample's value). NaN
 * samples propagate in linear space.
 * @param out - receives `frames * to.height * to.width` values
 * @param src - `frames * from.height * from.width` values (not modified)
 * @param options - `frames`, `from`, `to`, `space`
 * @returns `out`
 * @throws TypeError when `out` or `src` is not a Float32Array or options is not an object;
 *   RangeError for sizes that are not integers in [1, 16384], `to` smaller than `from`, or array
 *   lengths that do not match the sizes
 */
export function upsampleBilinear(out: Float32Array, src: Float32Array, options: UpsampleOptions): Float32Array {
  const { frames, from, to, log } = checkUpsample('upsampleBilinear', out, src, options);
  if (from.width === to.width && from.height === to.height) {
    if (out !== src) out.set(src);
    return out;
  }
  const w = from.width, h = from.height, W = to.width, H = to.height;
  const v = samples(src, log);
  const ax = axisTaps(W, w), ay = axisTaps(H, h);
  const n = w * h, N = W * H;
  for (let f = 0; f < frames; f++) {
    const base = f * n;
    for (let Y = 0; Y < H; Y++) {
      const y0 = ay.i0[Y]!, y1 = ay.i1[Y]!, fy = ay.f[Y]!;
      const r0 = base + y0 * w, r1 = base + y1 * w;
      const o = f * N + Y * W;
      for (let X = 0; X < W; X++) {
        const x0 = ax.i0[X]!, x1 = ax.i1[X]!, fx = ax.f[X]!;
        const a = (1 - fx) * (1 - fy), b = fx * (1 - fy), c = (1 - fx) * fy, d = fx * fy;
        if (!log) {
          out[o + X] = a * v[r0 + x0]! + b * v[r0 + x1]! + c * v[r1 + x0]! + d * v[r1 + x1]!;
          continue;
        }
        let sw = 0, sv = 0;
        const v00 = v[r0 + x0]!, v01 = v[r0 + x1]!, v10 = v[r1 + x0]!, v11 = v[r1 + x1]!;
        if (v00 === v00) { sw += a; sv += a * v00; }
        if (v01 === v01) { sw += b; sv += b * v01; }
        if (v10 === v10) { sw += c; sv += c * v10; }
        if (v11 === v11) { sw += d; sv += d * v11; }
        out[o + X] = sw > 0 ? Math.exp(sv / sw) : src[base + Math.round(coarse(Y, H, h)) * w + Math.round(coarse(X, W, w))]!;
      }
    }
  }
  return out;
}

/** The two coarse neighbours and the fraction of each output pixel on one axis. */
function axisTaps(n: number, m: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), f = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = coarse(i, n, m);
    const a = Math.min(Math.floor(x), Math.max(m - 2, 0));
    i0[i] = a;
    i1[i] = Math.min(a + 1, m - 1);
    f[i] = Math.min(Math.max(x - a, 0), 1);
  }
  return { i0, i1, f };
}

/**
 * Resizes RGB frames with the model's preprocessing filter (align-corners bilinear with a box
 * prefilter when shrinking, `resizeWeights`), rounded to bytes: the guide of
 * {@link upsampleJointBilateral} at a size other than the video's.
 * @param out - receives `frameIndices.length * height * width * 3` bytes
 * @param rgb - source frames, RGB bytes (`srcFrames * srcHeight * srcWidth * 3`; not modified)
 * @param options - source size, which source frames to take (in output order), output size
 * @returns `out`
 * @throws TypeError when `out` or `rgb` is not a Uint8Array; RangeError for sizes that are not
 *   integers in [1, 16384], frame indices outside `rgb`, or an `out` of the wrong length
 */
export function resizeRgb(
  out: Uint8Array,
  rgb: Uint8Array,
  options: { srcWidth: number; srcHeight: number; frameIndices: ArrayLike<number>; width: number; height: number },
): Uint8Array {
  const fn = 'resizeRgb';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object`);
  const Ws = checkInt(fn, 'options.srcWidth', options.srcWidth, 1, 16384);
  const Hs = checkInt(fn, 'options.srcHeight', options.srcHeight, 1, 16384);
  const W = checkInt(fn, 'options.width', options.width, 1, 16384);
  const H = checkInt(fn, 'options.height', options.height, 1, 16384);
  if (!(rgb instanceof Uint8Array)) throw new TypeError(`${fn}: rgb (${describeValue(rgb)}) must be a Uint8Array`);
  const frameIndices = options.frameIndices;
  const srcFrames = Math.floor(rgb.length / (Ws * Hs * 3));
  for (let i = 0; i < frameIndices.length; i++) checkInt(fn, `options.frameIndices[${i}]`, frameIndices[i], 0, srcFrames - 1);
  checkArray(fn, 'out', out, Uint8Array, frameIndices.length * W * H * 3);
  const wy = resizeWeights(Hs, H), wx = resizeWeights(Ws, W);
  const tmp = new Float64Array(H * Ws * 3);
  for (let t = 0; t < frameIndices.length; t++) {
    const base = frameIndices[t]! * Hs * Ws * 3;
    const o = t * H * W * 3;
    if (Ws === W && Hs === H) {
      out.set(rgb.subarray(base, base + H * W * 3), o);
      continue;
    }
    tmp.fill(0);
    for (let y = 0; y < H; y++) {
      const row = y * Ws * 3;
      for (let k = wy.start[y]!; k < wy.start[y + 1]!; k++) {
        const wk = wy.weight[k]!;
        const s = base + wy.index[k]! * Ws * 3;
        for (let i = 0; i < Ws * 3; i++) tmp[row + i] = tmp[row + i]! + wk * rgb[s + i]!;
      }
    }
    for (let y = 0; y < H; y++) {
      const row = y * Ws * 3;
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let k = wx.start[x]!; k < wx.start[x + 1]!; k++) s += wx.weight[k]! * tmp[row + wx.index[k]! * 3 + c]!;
          out[o + (y * W + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(s)));
        }
      }
    }
  }
  return out;
}

/** Window taps of one axis: for output pixel `i`, `2 r` coarse indices from `first[i]` (clamped: `count[i]`), with Gaussian weights. */
function windowTaps(n: number, m: number, r: number, sigma: number): { first: Int32Array; count: Int32Array; weight: Float64Array } {
  const first = new Int32Array(n), count = new Int32Array(n), weight = new Float64Array(n * 2 * r);
  const k = 1 / (2 * sigma * sigma);
  for (let i = 0; i < n; i++) {
    const x = coarse(i, n, m);
    const lo = Math.max(Math.floor(x) - r + 1, 0);
    const hi = Math.min(Math.floor(x) + r, m - 1);
    first[i] = lo;
    count[i] = hi - lo + 1;
    for (let j = lo; j <= hi; j++) weight[i * 2 * r + j - lo] = Math.exp(-(j - x) * (j - x) * k);
  }
  return { first, count, weight };
}

/**
 * Joint-bilateral upsampling guided by the RGB frames at the output size (see the module notes),
 * in `space` (default linear; `'log'` for depth). An output pixel whose window holds no usable
 * sample with a colour weight above float64 underflow takes the spatial-only weighted mean, and
 * one with no usable sample at all (every value missing, or every weight 0) the nearest sample.
 * At scale 1 it is the identity.
 * @param out - receives `frames * to.height * to.width` values
 * @param src - `frames * from.height * from.width` values (not modified)
 * @param options - `frames`, `from`, `to`, `guide`, `space`, `weights`, `sigmaSpatial`, `sigmaRange`, `radius`
 * @returns `out`
 * @throws TypeError when `out`, `src`, `weights` is not a Float32Array, `guide` not a Uint8Array,
 *   or options not an object; RangeError for sizes or `radius` that are not integers in range,
 *   sigmas that are not finite numbers > 0, `to` smaller than `from`, or array lengths that do not
 *   match the sizes
 */
export function upsampleJointBilateral(out: Float32Array, src: Float32Array, options: JointBilateralOptions): Float32Array {
  const fn = 'upsampleJointBilateral';
  const { frames, from, to, log } = checkUpsample(fn, out, src, options);
  const w = from.width, h = from.height, W = to.width, H = to.height;
  checkArray(fn, 'options.guide', options.guide, Uint8Array, frames * W * H * 3);
  const weights = options.weights;
  if (weights !== undefined) checkArray(fn, 'options.weights', weights, Float32Array, src.length);
  const sigmaS = options.sigmaSpatial ?? JBU_SIGMA_SPATIAL;
  const sigmaR = options.sigmaRange ?? JBU_SIGMA_RANGE;
  for (const [name, s] of [['sigmaSpatial', sigmaS], ['sigmaRange', sigmaR]] as const) {
    if (typeof s !== 'number' || !(s > 0 && s < Infinity)) throw new RangeError(`${fn}: options.${name} (${describeValue(s)}) must be a finite number > 0`);
  }
  const r = checkInt(fn, 'options.radius', options.radius ?? 2, 1, 8);
  if (w === W && h === H) {
    if (out !== src) out.set(src);
    return out;
  }
  const guide = options.guide;
  // the guide's colour at each coarse sample: its nearest output pixel
  const low = new Uint8Array(frames * w * h * 3);
  const gx = Int32Array.from({ length: w }, (_, x) => Math.round(coarse(x, w, W)));
  const gy = Int32Array.from({ length: h }, (_, y) => Math.round(coarse(y, h, H)));
  for (let f = 0, l = 0; f < frames; f++) {
    for (let y = 0; y < h; y++) {
      const row = (f * H + gy[y]!) * W;
      for (let x = 0; x < w; x++, l += 3) {
        const g = (row + gx[x]!) * 3;
        low[l] = guide[g]!;
        low[l + 1] = guide[g + 1]!;
        low[l + 2] = guide[g + 2]!;
      }
    }
  }
  const v = samples(src, log);
  const tx = windowTaps(W, w, r, sigmaS), ty = windowTaps(H, h, r, sigmaS);
  // colour weight by squared RGB distance, down to exp(-40) (float64 keeps sums of such weights)
  const lutSize = Math.min(3 * 255 * 255 + 1, Math.ceil(80 * sigmaR * sigmaR) + 1);
  const lut = new Float64Array(lutSize);
  for (let d = 0; d < lutSize; d++) lut[d] = Math.exp(-d / (2 * sigmaR * sigmaR));
  const n = w * h, N = W * H, r2 = 2 * r;
  for (let f = 0; f < frames; f++) {
    const base = f * n;
    for (let Y = 0; Y < H; Y++) {
      const y0 = ty.first[Y]!, ny = ty.count[Y]!;
      const o = f * N + Y * W;
      for (let X = 0; X < W; X++) {
        const x0 = tx.first[X]!, nx = tx.count[X]!;
        const g = (o + X) * 3;
        const gr = guide[g]!, gg = guide[g + 1]!, gb = guide[g + 2]!;
        let sw = 0, sv = 0, ss = 0, ssv = 0;
        for (let j = 0; j < ny; j++) {
          const wy = ty.weight[Y * r2 + j]!;
          const row = base + (y0 + j) * w;
          for (let i = 0; i < nx; i++) {
            const q = row + x0 + i;
            const value = v[q]!;
            if (value !== value) continue;
            let ws = wy * tx.weight[X * r2 + i]!;
            if (weights !== undefined) {
              const c = weights[q]!;
              if (!(c > 0)) continue;
              ws *= c;
            }
            ss += ws;
            ssv += ws * value;
            const l = q * 3;
            const dr = gr - low[l]!, dg = gg - low[l + 1]!, db = gb - low[l + 2]!;
            const d2 = dr * dr + dg * dg + db * db;
            if (d2 < lutSize) {
              const wk = ws * lut[d2]!;
              sw += wk;
              sv += wk * value;
            }
          }
        }
        const m = sw > 0 ? sv / sw : ss > 0 ? ssv / ss : Number.NaN;
        out[o + X] = m === m ? (log ? Math.exp(m) : m) : src[base + Math.round(coarse(Y, H, h)) * w + Math.round(coarse(X, W, w))]!;
      }
    }
  }
  return out;
}

/** Options of {@link upsampleDepthMaps}. */
export interface UpsampleDepthOptions extends GridSize {
  /** `'bilinear'` or `'joint-bilateral'` (`'none'` returns a copy when the size is the maps' size). */
  mode: UpsampleMode;
  /** For `'joint-bilateral'`: RGB bytes of each map's frame at the output size (`frames * height * width * 3`). */
  guide?: Uint8Array;
  /** Joint-bilateral parameters (defaults as {@link upsampleJointBilateral}). */
  sigmaSpatial?: number;
  sigmaRange?: number;
  radius?: number;
}

/**
 * Depth maps at a larger size: depth upsampled in log space, confidence in linear space, both with
 * the same mode and weights (confidence is not used as a weight: it did not change the depth's
 * AbsRel on the clips the defaults were chosen on).
 * @param maps - coarse depth maps (not modified)
 * @param options - output `width` x `height` (at least the maps' size), `mode`, `guide` for `'joint-bilateral'`
 * @returns new {@link DepthMaps} (fresh `data` and `confidence`, a copy of `frameIndices`)
 * @throws TypeError for a missing `guide` in `'joint-bilateral'` mode; RangeError for an unknown
 *   mode, `'none'` at another size, and as {@link upsampleBilinear} / {@link upsampleJointBilateral}
 */
export function upsampleDepthMaps(maps: DepthMaps, options: UpsampleDepthOptions): DepthMaps {
  const fn = 'upsampleDepthMaps';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { width, height, mode }`);
  const { mode } = options;
  if (!UPSAMPLE_MODES.includes(mode)) throw new RangeError(`${fn}: options.mode (${describeValue(mode)}) must be one of ${UPSAMPLE_MODES.map((m) => `'${m}'`).join(', ')}`);
  const to = checkGrid(fn, 'options', { width: options.width, height: options.height });
  const from = { width: maps.width, height: maps.height };
  if (mode === 'none' && (to.width !== from.width || to.height !== from.height)) {
    throw new RangeError(`${fn}: options.mode 'none' cannot change the size (${from.width}x${from.height} to ${to.width}x${to.height})`);
  }
  const size = maps.frames * to.width * to.height;
  const data = new Float32Array(size), confidence = new Float32Array(size);
  const base = { frames: maps.frames, from, to };
  if (mode === 'joint-bilateral') {
    if (!(options.guide instanceof Uint8Array)) throw new TypeError(`${fn}: options.guide (${describeValue(options.guide)}) must be a Uint8Array of RGB bytes for mode 'joint-bilateral'`);
    const jbu = {
      ...base,
      guide: options.guide,
      ...(options.sigmaSpatial !== undefined && { sigmaSpatial: options.sigmaSpatial }),
      ...(options.sigmaRange !== undefined && { sigmaRange: options.sigmaRange }),
      ...(options.radius !== undefined && { radius: options.radius }),
    };
    upsampleJointBilateral(data, maps.data, { ...jbu, space: 'log' });
    upsampleJointBilateral(confidence, maps.confidence, jbu);
  } else {
    upsampleBilinear(data, maps.data, { ...base, space: 'log' });
    upsampleBilinear(confidence, maps.confidence, base);
  }
  return { data, confidence, frames: maps.frames, width: to.width, height: to.height, frameIndices: maps.frameIndices.slice() };
}
