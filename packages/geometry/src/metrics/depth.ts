/**
 * Depth accuracy metrics: AbsRel, SqRel, RMSE, log-RMSE and the delta < 1.25^k accuracies.
 *
 * Definitions (Eigen, Puhrsch & Fergus, "Depth Map Prediction from a Single Image using a
 * Multi-Scale Deep Network", NeurIPS 2014), over the valid pixels of a frame, `p` the aligned
 * prediction and `g` the ground truth:
 * - AbsRel = mean |p - g| / g;           SqRel = mean (p - g)^2 / g;
 * - RMSE = sqrt(mean (p - g)^2);         log-RMSE = sqrt(mean (ln p - ln g)^2);
 * - delta_k = fraction of pixels with max(p / g, g / p) < 1.25^k, k = 1, 2, 3.
 *
 * Video protocol (DepthCrafter, Hu et al. 2024, `benchmark/eval/eval.py`; also used for MonST3R,
 * Zhang et al. 2024): valid pixels have `minDepth < g < maxDepth` (DepthCrafter: 1e-3 and the
 * dataset's maximum); one alignment is fitted over all valid pixels of the sequence (e.g. least-
 * squares scale and shift in disparity space); the aligned prediction is clipped to
 * `[minDepth, maxDepth]`; each metric is computed per frame and averaged over the frames that
 * have valid pixels. With `frames: 1` (the default) all pixels are pooled, as for a single image.
 *
 * Arrays are flat row-major `frames x height x width` depths (any unit; metres for metric data).
 *
 * @packageDocumentation
 */

import {
  applyAlignmentUnchecked,
  checkDepthPair,
  fitAlignment,
  validPixels,
  type AlignmentSpace,
  type DepthValidityOptions,
  type ScaleAlignMethod,
  type ScaleAlignment,
  type Validity,
} from '../scale-align.js';
import type { NumberArray } from '../types.js';
import { assertNumber, assertOneOf } from '../validate.js';

/** Alignment applied before the depth metrics: `'none'` or a {@link ScaleAlignMethod}. */
export type DepthAlignmentMethod = 'none' | ScaleAlignMethod;

/** Options of {@link depthMetrics}. */
export interface DepthMetricsOptions extends DepthValidityOptions {
  /** Alignment fitted over the whole sequence before the metrics; default `'none'`. */
  alignment?: DepthAlignmentMethod;
  /** Space of the alignment; default `'depth'`. */
  space?: AlignmentSpace;
  /** Number of frames in `pred` / `gt` (integer >= 1 dividing the length); default 1. */
  frames?: number;
  /** Ground truth must be `> minDepth`; predictions are clipped to at least it. Default 1e-3. */
  minDepth?: number;
}

/** Result of {@link depthMetrics} (fractions in [0, 1], errors in the depth unit). */
export interface DepthMetrics {
  /** Mean absolute relative error. */
  absRel: number;
  /** Mean squared relative error (depth unit). */
  sqRel: number;
  /** Root-mean-square error (depth unit). */
  rmse: number;
  /** Root-mean-square error of natural logs. */
  logRmse: number;
  /** Fraction with max(p / g, g / p) < 1.25. */
  delta1: number;
  /** Fraction with max(p / g, g / p) < 1.25^2. */
  delta2: number;
  /** Fraction with max(p / g, g / p) < 1.25^3. */
  delta3: number;
  /** Valid pixels over the whole sequence. */
  count: number;
  /** Frames with at least one valid pixel (the metrics average over these). */
  frames: number;
  /** The fitted alignment, or `null` for `'none'`. */
  alignment: ScaleAlignment | null;
}

const ALIGNMENTS: readonly DepthAlignmentMethod[] = ['none', 'median', 'l1', 'lsq-scale', 'lsq-scale-shift'];
const SPACES: readonly AlignmentSpace[] = ['depth', 'disparity'];

/**
 * Computes the standard depth metrics after an optional per-sequence alignment (see the module
 * notes for the protocol and the sources it follows).
 *
 * @param pred - predicted depths, flat `frames x height x width`
 * @param gt - ground-truth depths, same layout; values `<= minDepth` (e.g. 0) mean "no value"
 * @param options - `alignment`, `space`, `frames`, `mask`, `minDepth`, `maxDepth`
 * @returns a new {@link DepthMetrics}
 * @throws TypeError for non-array arguments or non-string options; RangeError for empty or
 *   mismatched arrays, bad options, `frames` not dividing the length, no valid pixel, or an
 *   alignment that cannot be fitted (e.g. `'lsq-scale-shift'` on a constant prediction)
 */
export function depthMetrics(pred: NumberArray, gt: NumberArray, options: DepthMetricsOptions = {}): DepthMetrics {
  const fn = 'depthMetrics';
  checkDepthPair(fn, pred, gt, options);
  const method = options.alignment ?? 'none';
  const space = options.space ?? 'depth';
  assertOneOf(fn, 'options.alignment', method, ALIGNMENTS);
  assertOneOf(fn, 'options.space', space, SPACES);
  const frames = options.frames ?? 1;
  assertNumber(fn, 'options.frames', frames, { integer: true, min: 1 });
  const n = gt.length;
  if (n % frames !== 0) throw new RangeError(`${fn}: gt.length (${n}) must be a multiple of options.frames (${frames})`);
  const minDepth = options.minDepth ?? 1e-3;
  const maxDepth = options.maxDepth ?? Infinity;
  const validity: Validity = {
    mask: options.mask,
    minDepth,
    maxDepth,
    positivePred: space === 'disparity' || method === 'median',
  };

  const valid = new Uint8Array(n);
  const validCount = validPixels(valid, pred, gt, validity);
  if (validCount === 0) {
    throw new RangeError(`${fn}: no valid pixel (need finite pred and ${minDepth} < gt < ${maxDepth}${options.mask ? ' inside the mask' : ''})`);
  }
  let alignment: ScaleAlignment | null = null;
  let aligned: NumberArray = pred;
  if (method !== 'none') {
    alignment = fitAlignment(pred, gt, method, space, validity, 100, valid, validCount);
    if (alignment === null) {
      throw new RangeError(`${fn}: the '${method}' alignment in ${space} space cannot be fitted (no valid pixel, or a constant prediction)`);
    }
    const out = new Float64Array(n);
    applyAlignmentUnchecked(out, pred, alignment, maxDepth);
    aligned = out;
  }

  const frameSize = n / frames;
  const t1 = 1.25;
  const t2 = 1.25 * 1.25;
  const t3 = 1.25 * 1.25 * 1.25;
  let absRel = 0, sqRel = 0, rmse = 0, logRmse = 0, d1 = 0, d2 = 0, d3 = 0;
  let count = 0;
  let usedFrames = 0;
  for (let f = 0; f < frames; f++) {
    let fAbs = 0, fSq = 0, fMse = 0, fLog = 0, f1 = 0, f2 = 0, f3 = 0;
    let m = 0;
    const end = (f + 1) * frameSize;
    for (let i = f * frameSize; i < end; i++) {
      if (valid[i] === 0) continue;
      const g = gt[i]!;
      let p = aligned[i]!;
      // Clip as the protocol does (also keeps log() defined).
      if (p < minDepth) p = minDepth;
      else if (p > maxDepth) p = maxDepth;
      const e = p - g;
      const invG = 1 / g;
      const e2 = e * e;
      fAbs += Math.abs(e) * invG;
      fSq += e2 * invG;
      fMse += e2;
      const q = p * invG;
      const le = Math.log(q);
      fLog += le * le;
      const ratio = q > 1 ? q : 1 / q;
      if (ratio < t1) f1++;
      if (ratio < t2) f2++;
      if (ratio < t3) f3++;
      m++;
    }
    if (m === 0) continue;
    usedFrames++;
    count += m;
    absRel += fAbs / m;
    sqRel += fSq / m;
    rmse += Math.sqrt(fMse / m);
    logRmse += Math.sqrt(fLog / m);
    d1 += f1 / m;
    d2 += f2 / m;
    d3 += f3 / m;
  }
  const k = 1 / usedFrames;
  return {
    absRel: absRel * k,
    sqRel: sqRel * k,
    rmse: rmse * k,
    logRmse: logRmse * k,
    delta1: d1 * k,
    delta2: d2 * k,
    delta3: d3 * k,
    count,
    frames: usedFrames,
    alignment,
  };
}
