/**
 * The demo clip's ground-truth depth beside the prediction: d4rt-tiny's depth is up to one scale
 * per clip, so the prediction is scaled onto the ground truth by the median ratio before both are
 * coloured with the same limits; AbsRel is measured after that scaling.
 */

export interface DepthPlane {
  data: Float32Array;
  width: number;
  height: number;
}

/** A plane sampled at each pixel of a `width x height` grid spanning the same image (nearest pixel, pixel centres at the ends as the SDK's grid): the ground truth at the prediction's pixels, or a small preview blown up. */
export function sampleAt(gt: DepthPlane, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = Math.round((height === 1 ? 0.5 : y / (height - 1)) * (gt.height - 1));
    for (let x = 0; x < width; x++) {
      const gx = Math.round((width === 1 ? 0.5 : x / (width - 1)) * (gt.width - 1));
      out[y * width + x] = gt.data[gy * gt.width + gx]!;
    }
  }
  return out;
}

/** Median of `gt / pred` over pixels where both are finite and > 0 (NaN when there are none). */
export function medianRatio(pred: ArrayLike<number>, gt: ArrayLike<number>): number {
  const r: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const g = gt[i]!;
    if (p > 0 && g > 0 && Number.isFinite(p) && Number.isFinite(g)) r.push(g / p);
  }
  if (r.length === 0) return Number.NaN;
  r.sort((a, b) => a - b);
  const m = r.length >> 1;
  return r.length % 2 ? r[m]! : (r[m - 1]! + r[m]!) / 2;
}

/** Mean `|scale * pred - gt| / gt` over valid pixels (NaN when there are none). */
export function absRel(pred: ArrayLike<number>, gt: ArrayLike<number>, scale: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const g = gt[i]!;
    if (p > 0 && g > 0 && Number.isFinite(p) && Number.isFinite(g)) {
      sum += Math.abs(scale * p - g) / g;
      n++;
    }
  }
  return n > 0 ? sum / n : Number.NaN;
}

/** A copy of `pred` times `scale`. */
export function scaled(pred: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(pred.length);
  for (let i = 0; i < pred.length; i++) out[i] = pred[i]! * scale;
  return out;
}
