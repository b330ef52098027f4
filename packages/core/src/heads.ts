/**
 * Decoder head math (the tracking heads of "Fast spatial tracking", used as D4RT's decoder heads):
 *
 * - `xyz`: log-depth `(x', y', z')` -> `z = exp(z')`, `x = x' z`, `y = y' z` in the camera of `tCam`
 *   (`decodeLogDepth` of `@d4rt/geometry`).
 * - `uv`: per axis, logits over `bins` centres evenly spaced on `range`; truncated soft-argmax:
 *   softmax over the bins within `window` of the argmax (inclusive, clipped at the ends; the first
 *   maximum wins ties), then the probability-weighted mean of those centres.
 * - `visibility`, `confidence`: sigmoid of a logit.
 *
 * @module
 */
import { decodeLogDepth } from '@d4rt/geometry';

/** Decoded answers to a batch of queries, struct-of-arrays; index `i` answers query `i`. */
export interface QueryResult {
  /** Number of queries. */
  count: number;
  /** 3D point in the camera of `tCam`, interleaved xyz (`count * 3`), up to the clip's scale. */
  xyz: Float32Array;
  /** 2D position in frame `tTgt`, interleaved `(u, v)` in [0, 1] (`count * 2`). */
  uv: Float32Array;
  /** Probability that the point is visible in frame `tTgt`. */
  visibility: Float32Array;
  /** The model's confidence in its 3D answer, in (0, 1). */
  confidence: Float32Array;
}

/** Allocates a result for `count` queries. */
export function createQueryResult(count: number): QueryResult {
  return { count, xyz: new Float32Array(count * 3), uv: new Float32Array(count * 2), visibility: new Float32Array(count), confidence: new Float32Array(count) };
}

/** Logistic sigmoid, numerically stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Truncated soft-argmax of one row of logits (see the module notes).
 * @param logits - the array holding the row
 * @param offset - index of the row's first bin
 * @param bins - number of bins (>= 2)
 * @param window - bins kept on each side of the argmax
 * @param lo - centre of the first bin
 * @param hi - centre of the last bin
 * @returns the expected position in `[lo, hi]`
 */
export function truncatedSoftArgmax(logits: ArrayLike<number>, offset: number, bins: number, window: number, lo: number, hi: number): number {
  let arg = 0;
  let best = logits[offset]!;
  for (let i = 1; i < bins; i++) {
    const x = logits[offset + i]!;
    if (x > best) {
      best = x;
      arg = i;
    }
  }
  const a = Math.max(0, arg - window);
  const b = Math.min(bins - 1, arg + window);
  const step = (hi - lo) / (bins - 1);
  let z = 0;
  let m = 0;
  for (let i = a; i <= b; i++) {
    const p = Math.exp(logits[offset + i]! - best);
    z += p;
    m += p * (lo + i * step);
  }
  return m / z;
}

/** Parameters of the `uv` head, from the manifest. */
export interface UvHead {
  bins: number;
  window: number;
  range: readonly [number, number];
}

/**
 * Decodes one chunk of raw decoder outputs into `out` at query offset `offset`.
 * @param out - the result being filled
 * @param offset - index of the chunk's first query in `out`
 * @param raw - raw outputs of the chunk: `xyz` [Q*3], `uv` logits [Q*2*bins], `visibility` and `confidence` logits [Q]
 * @param uvHead - bins, window and range of the `uv` head
 */
export function decodeChunk(
  out: QueryResult,
  offset: number,
  raw: { xyz: Float32Array; uv: Float32Array; visibility: Float32Array; confidence: Float32Array },
  uvHead: UvHead,
): void {
  const q = raw.visibility.length;
  decodeLogDepth(out.xyz.subarray(offset * 3, (offset + q) * 3), raw.xyz);
  const { bins, window, range } = uvHead;
  for (let i = 0; i < 2 * q; i++) {
    out.uv[offset * 2 + i] = truncatedSoftArgmax(raw.uv, i * bins, bins, window, range[0], range[1]);
  }
  for (let i = 0; i < q; i++) {
    out.visibility[offset + i] = sigmoid(raw.visibility[i]!);
    out.confidence[offset + i] = sigmoid(raw.confidence[i]!);
  }
}
