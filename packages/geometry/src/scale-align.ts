/**
 * Per-sequence scale (and shift) alignment of predicted depth to a reference depth.
 *
 * Monocular depth is known up to a scale (affine-invariant models: up to a scale and a shift,
 * usually in disparity). Evaluations therefore fit the free parameters on the pixels that have
 * ground truth, over the whole sequence at once ("per-sequence" alignment, as the video-depth
 * protocols of DepthCrafter (Hu et al. 2024) and MonST3R (Zhang et al. 2024) do), and only then
 * compute metrics.
 *
 * Methods (`g` = reference, `p` = prediction, both in the chosen space):
 * - `'median'`: `s = median(g) / median(p)`, `t = 0` (median scaling, Zhou et al. 2017 /
 *   Monodepth2);
 * - `'l1'`: `s = argmin sum |g - s p|` by iteratively reweighted least squares (weights
 *   `1 / sqrt((g - s p)^2 + eps^2)` with a decreasing smoothing `eps`, then finished exactly by
 *   walking the breakpoints `g_i / p_i` of the piecewise-linear cost), `t = 0`. Note that L1 weighs
 *   each pixel by `|p|`, so a few huge predictions (leverage points) can still dominate;
 *   `'median'` is the more robust choice against those;
 * - `'lsq-scale'`: `s = sum g p / sum p^2` (closed form), `t = 0`;
 * - `'lsq-scale-shift'`: `(s, t) = argmin sum (g - s p - t)^2` (closed form on centred sums), as
 *   DepthCrafter's `np.linalg.lstsq` on `[p, 1]`.
 *
 * Spaces: `'depth'` fits `gt ~ s pred + t` on depths; `'disparity'` fits
 * `1 / gt ~ s / pred + t` (both inputs are depths; the fit is on their inverses), the space of
 * affine-invariant depth models.
 *
 * Valid pixels: finite `gt` with `minDepth < gt < maxDepth`, finite `pred` (and `pred > 0` in
 * disparity space, and for the ratio-based `'median'`), and `mask != 0` when a mask is given.
 * Arrays are flat (any number of frames x height x width, row-major); sums are in float64.
 *
 * @packageDocumentation
 */

import { medianInPlace } from './select.js';
import type { FloatArray, NumberArray } from './types.js';
import { assertArray, assertFloatArray, assertLength, assertMinLength, assertNumber, assertOneOf, describe } from './validate.js';

/** How {@link alignScale} fits: see the module notes. */
export type ScaleAlignMethod = 'median' | 'l1' | 'lsq-scale' | 'lsq-scale-shift';

/** Where the alignment is fitted and applied: on depths or on disparities (inverse depths). */
export type AlignmentSpace = 'depth' | 'disparity';

/** Which pixels count: shared by {@link alignScale} and the depth metrics. */
export interface DepthValidityOptions {
  /** Pixels where the mask is 0 are ignored; same length as `gt`. */
  mask?: NumberArray;
  /** Ground truth must be `> minDepth` (default 0). */
  minDepth?: number;
  /** Ground truth must be `< maxDepth` (default `Infinity`). */
  maxDepth?: number;
}

/** Options of {@link alignScale}. */
export interface ScaleAlignOptions extends DepthValidityOptions {
  /** Fitting method; default `'median'`. */
  method?: ScaleAlignMethod;
  /** Fitting space; default `'depth'`. */
  space?: AlignmentSpace;
  /** `'l1'`: maximum IRLS iterations (integer >= 1); default 100. */
  maxIterations?: number;
}

/** A fitted alignment: in `space`, `aligned = scale * pred + shift`. */
export interface ScaleAlignment {
  /** The method that produced it. */
  method: ScaleAlignMethod;
  /** The space it applies in. */
  space: AlignmentSpace;
  /** Multiplicative factor (in disparity space it multiplies `1 / pred`). */
  scale: number;
  /** Additive term, in the unit of the space (0 except for `'lsq-scale-shift'`). */
  shift: number;
  /** Number of valid pixels the fit used. */
  count: number;
}

const METHODS: readonly ScaleAlignMethod[] = ['median', 'l1', 'lsq-scale', 'lsq-scale-shift'];
const SPACES: readonly AlignmentSpace[] = ['depth', 'disparity'];

/** @internal Validated validity parameters. */
export interface Validity {
  /** Pixels where it is 0 are invalid. */
  mask: NumberArray | undefined;
  /** gt must be greater. */
  minDepth: number;
  /** gt must be smaller. */
  maxDepth: number;
  /** Also require `0 < pred < Infinity` (disparity space, median). */
  positivePred: boolean;
}

/** @internal Checks `pred`, `gt` and the validity options; shared with the depth metrics. */
export function checkDepthPair(fn: string, pred: unknown, gt: unknown, options: DepthValidityOptions): asserts pred is NumberArray {
  assertArray(fn, 'pred', pred);
  assertArray(fn, 'gt', gt);
  if (gt.length === 0) throw new RangeError(`${fn}: gt.length (0) must be positive; the array is empty`);
  if (pred.length !== gt.length) throw new RangeError(`${fn}: pred.length (${pred.length}) must equal gt.length (${gt.length})`);
  if (options.mask !== undefined) {
    assertArray(fn, 'options.mask', options.mask);
    assertLength(fn, 'options.mask', options.mask, gt.length, 'gt.length');
  }
  if (options.minDepth !== undefined) assertNumber(fn, 'options.minDepth', options.minDepth, { min: 0 });
  if (options.maxDepth !== undefined) {
    assertNumber(fn, 'options.maxDepth', options.maxDepth, { min: 0, exclusiveMin: true, allowInfinity: true });
    if (!(options.maxDepth > (options.minDepth ?? 0))) {
      throw new RangeError(`${fn}: options.maxDepth (${options.maxDepth}) must be > options.minDepth (${options.minDepth ?? 0})`);
    }
  }
}

/**
 * @internal Marks the pixels that take part in fits and metrics (see the module notes) in one
 * pass: `out[i] = 1` for valid pixels, 0 otherwise.
 *
 * @returns the number of valid pixels
 */
export function validPixels(out: Uint8Array, pred: NumberArray, gt: NumberArray, v: Validity): number {
  const n = gt.length;
  const { mask, minDepth, maxDepth, positivePred } = v;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const g = gt[i]!;
    const p = pred[i]!;
    const ok =
      g > minDepth &&
      g < maxDepth &&
      (positivePred ? p > 0 && p < Infinity : p - p === 0) &&
      (mask === undefined || mask[i] !== 0);
    out[i] = ok ? 1 : 0;
    if (ok) count++;
  }
  return count;
}

/**
 * Fits the scale (and shift) that aligns `pred` to `gt` over all valid pixels of the sequence
 * (see the module notes for the methods, spaces and which pixels are valid).
 *
 * NaN or infinite values are not errors here: such pixels are invalid and skipped.
 *
 * @param pred - predicted depths, flat (frames x height x width, any unit)
 * @param gt - reference depths, same length; `<= minDepth` (e.g. 0) means "no value"
 * @param options - `method` (default `'median'`), `space` (default `'depth'`), `mask`,
 *   `minDepth`, `maxDepth`, `maxIterations`
 * @returns a new {@link ScaleAlignment}, or `null` when there are no valid pixels, or for
 *   `'lsq-scale-shift'` fewer than 2 or all predictions equal, or the fitted scale is not finite
 * @throws TypeError for non-array arguments or a non-string `method` / `space`; RangeError for
 *   empty arrays, different lengths, a mask of the wrong length, unknown `method` / `space`,
 *   negative `minDepth`, `maxDepth <= minDepth` or a bad `maxIterations`
 */
export function alignScale(pred: NumberArray, gt: NumberArray, options: ScaleAlignOptions = {}): ScaleAlignment | null {
  const fn = 'alignScale';
  checkDepthPair(fn, pred, gt, options);
  const method = options.method ?? 'median';
  const space = options.space ?? 'depth';
  assertOneOf(fn, 'options.method', method, METHODS);
  assertOneOf(fn, 'options.space', space, SPACES);
  const maxIterations = options.maxIterations ?? 100;
  assertNumber(fn, 'options.maxIterations', maxIterations, { integer: true, min: 1 });
  const validity: Validity = {
    mask: options.mask,
    minDepth: options.minDepth ?? 0,
    maxDepth: options.maxDepth ?? Infinity,
    positivePred: space === 'disparity' || method === 'median',
  };
  return fitAlignment(pred, gt, method, space, validity, maxIterations);
}

/** @internal The fit of {@link alignScale} on already validated arguments (optionally with precomputed valid flags). */
export function fitAlignment(
  pred: NumberArray,
  gt: NumberArray,
  method: ScaleAlignMethod,
  space: AlignmentSpace,
  validity: Validity,
  maxIterations = 100,
  valid?: Uint8Array,
  validCount?: number,
): ScaleAlignment | null {
  const n = gt.length;
  const inverse = space === 'disparity';
  let flags = valid;
  let count = validCount ?? 0;
  if (flags === undefined) {
    flags = new Uint8Array(n);
    count = validPixels(flags, pred, gt, validity);
  }
  if (count === 0) return null;
  // Gather the valid pairs once (float64, in the fitting space): the fits below make several passes.
  const ps = new Float64Array(count);
  const gs = new Float64Array(count);
  for (let i = 0, k = 0; i < n; i++) {
    if (flags[i] === 0) continue;
    ps[k] = inverse ? 1 / pred[i]! : pred[i]!;
    gs[k] = inverse ? 1 / gt[i]! : gt[i]!;
    k++;
  }
  let scale: number;
  let shift = 0;
  if (method === 'median') {
    const mg = medianInPlace(gs, count);
    const mp = medianInPlace(ps, count);
    scale = mg / mp;
  } else if (method === 'lsq-scale') {
    scale = lsqScale(ps, gs, count);
  } else if (method === 'l1') {
    scale = l1Scale(ps, gs, count, maxIterations);
  } else {
    if (count < 2) return null;
    let mp = 0;
    let mg = 0;
    for (let k = 0; k < count; k++) {
      mp += ps[k]!;
      mg += gs[k]!;
    }
    mp /= count;
    mg /= count;
    let spp = 0;
    let spg = 0;
    for (let k = 0; k < count; k++) {
      const dp = ps[k]! - mp;
      spp += dp * dp;
      spg += dp * (gs[k]! - mg);
    }
    if (!(spp > 0)) return null;
    scale = spg / spp;
    shift = mg - scale * mp;
  }
  if (!Number.isFinite(scale) || !Number.isFinite(shift)) return null;
  return { method, space, scale, shift, count };
}

function lsqScale(ps: Float64Array, gs: Float64Array, count: number): number {
  let spg = 0;
  let spp = 0;
  for (let k = 0; k < count; k++) {
    spg += ps[k]! * gs[k]!;
    spp += ps[k]! * ps[k]!;
  }
  return spg / spp;
}

function l1Scale(ps: Float64Array, gs: Float64Array, count: number, maxIterations: number): number {
  // IRLS on the smoothed cost sum sqrt(r^2 + eps^2), r = g - s p: each step is the weighted
  // least-squares update s <- sum(w g p) / sum(w p^2) with w = 1 / sqrt(r^2 + eps^2), a
  // majorise-minimise step, so the smoothed cost never increases. eps starts at the median |r|
  // and halves every step (continuation), which keeps IRLS from sticking at a breakpoint where
  // one residual is 0 (the failure of plain w = 1 / |r|). The start is the median of the ratios
  // g / p (robust and close). The L1 optimum lies on a breakpoint g_i / p_i: polishL1 finishes
  // exactly from the IRLS estimate.
  const ratios = new Float64Array(count);
  let m = 0;
  for (let k = 0; k < count; k++) {
    const r = gs[k]! / ps[k]!;
    if (Number.isFinite(r)) ratios[m++] = r;
  }
  if (m === 0) return lsqScale(ps, gs, count);
  let scale = medianInPlace(ratios, m);
  const residuals = new Float64Array(count);
  for (let k = 0; k < count; k++) residuals[k] = Math.abs(gs[k]! - scale * ps[k]!);
  let gMean = 0;
  for (let k = 0; k < count; k++) gMean += Math.abs(gs[k]!);
  gMean /= count;
  const epsMin = Math.max(1e-12 * gMean, Number.MIN_VALUE);
  let eps = Math.max(medianInPlace(residuals, count), epsMin);
  for (let it = 0; it < maxIterations; it++) {
    let num = 0;
    let den = 0;
    const e2 = eps * eps;
    for (let k = 0; k < count; k++) {
      const p = ps[k]!;
      const g = gs[k]!;
      const r = g - scale * p;
      const w = 1 / Math.sqrt(r * r + e2);
      num += w * g * p;
      den += w * p * p;
    }
    const next = num / den;
    if (!Number.isFinite(next)) break;
    const done = eps <= epsMin && Math.abs(next - scale) <= 1e-12 * Math.abs(next);
    scale = next;
    if (done) break;
    eps = Math.max(0.5 * eps, epsMin);
  }
  return polishL1(ps, gs, count, scale);
}

/**
 * Exact finish of the L1 fit. The cost sum |p_i| |s - g_i / p_i| is convex and piecewise linear
 * with breakpoints at the ratios, so from the IRLS estimate walk along the breakpoints while the
 * one-sided slope says the cost decreases (IRLS lands within a few breakpoints of the optimum).
 */
function polishL1(ps: Float64Array, gs: Float64Array, count: number, start: number): number {
  let s = start;
  for (let step = 0; step < 64; step++) {
    let right = 0; // right derivative
    let left = 0; // left derivative
    for (let k = 0; k < count; k++) {
      const p = ps[k]!;
      if (p === 0) continue;
      const w = Math.abs(p);
      const r = gs[k]! / p;
      right += s >= r ? w : -w;
      left += s > r ? w : -w;
    }
    let next = s;
    if (right < 0) {
      next = Infinity; // smallest breakpoint above s
      for (let k = 0; k < count; k++) {
        if (ps[k] === 0) continue;
        const r = gs[k]! / ps[k]!;
        if (r > s && r < next) next = r;
      }
    } else if (left > 0) {
      next = -Infinity; // largest breakpoint below s
      for (let k = 0; k < count; k++) {
        if (ps[k] === 0) continue;
        const r = gs[k]! / ps[k]!;
        if (r < s && r > next) next = r;
      }
    }
    if (next === s || !Number.isFinite(next)) break;
    s = next;
  }
  return s;
}

/** Options of {@link applyScaleAlignment}. */
export interface ApplyScaleAlignmentOptions {
  /**
   * Disparity space only: the aligned disparity is clamped to at least `1 / maxDepth` before it
   * is inverted, so the output depth is at most `maxDepth` (default `Infinity`: non-positive
   * aligned disparities give `Infinity`).
   */
  maxDepth?: number;
}

/**
 * Applies a fitted alignment to predicted depths: depth space `out = scale * pred + shift`;
 * disparity space `out = 1 / max(scale / pred + shift, 1 / maxDepth)`.
 *
 * Works in place (`out` may be `pred`). Non-finite predictions stay non-finite; in disparity space
 * predictions `<= 0` give `NaN`.
 *
 * @param out - receives `pred.length` aligned depths; length at least `pred.length`
 * @param pred - predicted depths
 * @param alignment - from {@link alignScale}
 * @param options - `maxDepth` (disparity space)
 * @returns `out`
 * @throws TypeError for non-array arguments or a malformed `alignment`; RangeError when `out` is
 *   too short or the alignment's scale / shift are not finite
 */
export function applyScaleAlignment<T extends FloatArray>(
  out: T,
  pred: NumberArray,
  alignment: ScaleAlignment,
  options: ApplyScaleAlignmentOptions = {},
): T {
  const fn = 'applyScaleAlignment';
  assertFloatArray(fn, 'out', out);
  assertArray(fn, 'pred', pred);
  assertMinLength(fn, 'out', out, pred.length, 'pred.length');
  if (typeof alignment !== 'object' || alignment === null) {
    throw new TypeError(`${fn}: alignment (${describe(alignment)}) must be a ScaleAlignment from alignScale`);
  }
  assertNumber(fn, 'alignment.scale', alignment.scale);
  assertNumber(fn, 'alignment.shift', alignment.shift);
  assertOneOf(fn, 'alignment.space', alignment.space, SPACES);
  const maxDepth = options.maxDepth ?? Infinity;
  assertNumber(fn, 'options.maxDepth', maxDepth, { min: 0, exclusiveMin: true, allowInfinity: true });
  applyAlignmentUnchecked(out, pred, alignment, maxDepth);
  return out;
}

/** @internal {@link applyScaleAlignment} without checks. */
export function applyAlignmentUnchecked(out: FloatArray, pred: NumberArray, alignment: ScaleAlignment, maxDepth: number): void {
  const { scale, shift } = alignment;
  const n = pred.length;
  if (alignment.space === 'depth') {
    for (let i = 0; i < n; i++) out[i] = scale * pred[i]! + shift;
  } else {
    const minDisparity = 1 / maxDepth;
    for (let i = 0; i < n; i++) {
      const p = pred[i]!;
      if (p > 0) {
        const d = scale / p + shift;
        out[i] = 1 / (d > minDisparity ? d : minDisparity);
      } else {
        out[i] = Number.NaN;
      }
    }
  }
}
