/**
 * Decoder head math: the one table of decodes ({@link HEAD_DECODES}), keyed by the manifest's
 * `decode` of each output.
 *
 * - `'log-depth'` (`xyz` of d4rt-tiny; the tracking heads of "Fast spatial tracking"):
 *   `(x', y', z')` -> `z = exp(z')`, `x = x' z`, `y = y' z` in the camera of `tCam`
 *   (`decodeLogDepth` of `@d4rt/geometry`).
 * - `'direct'`: the raw values are the answer (OpenD4RT's `xyz` in camera `tCam`, its `uv` in
 *   [0, 1] and its `displacement`).
 * - `'truncated-soft-argmax'` (`uv`): per axis, logits over `bins` centres evenly spaced on `range`;
 *   softmax over the bins within `window` of the argmax (inclusive, clipped at the ends; the first
 *   maximum wins ties), then the probability-weighted mean of those centres.
 * - `'sigmoid'` (`visibility`, `confidence`): sigmoid of a logit.
 * - `'normalize'` (`normal`): the 3-vector divided by its length (a zero vector stays zero).
 *
 * @module
 */
import { decodeLogDepth } from '@d4rt/geometry';
import type { DecoderOutputSpec, HeadDecode, HeadOutputs, ModelManifest } from './manifest.js';

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
  /** Unit surface normal in the camera of `tCam`, interleaved xyz (`count * 3`); only from models with a `normal` output. */
  normal?: Float32Array;
  /** Motion `P(tTgt) - P(tSrc)` in the camera of `tCam`, interleaved xyz (`count * 3`); only from models with a `displacement` output. */
  displacement?: Float32Array;
}

/** Allocates a result for `count` queries, with the optional outputs asked for. */
export function createQueryResult(count: number, extras: { normal?: boolean; displacement?: boolean } = {}): QueryResult {
  const r: QueryResult = { count, xyz: new Float32Array(count * 3), uv: new Float32Array(count * 2), visibility: new Float32Array(count), confidence: new Float32Array(count) };
  if (extras.normal) r.normal = new Float32Array(count * 3);
  if (extras.displacement) r.displacement = new Float32Array(count * 3);
  return r;
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

/** The outputs a {@link QueryResult} holds, and the decoded values per query of each. */
export const RESULT_OUTPUTS = { xyz: 3, uv: 2, visibility: 1, confidence: 1, normal: 3, displacement: 3 } as const;

/** A decoder output's name in {@link RESULT_OUTPUTS}. */
export type ResultOutput = keyof typeof RESULT_OUTPUTS;

/**
 * Decodes `count` queries: `raw` holds the output's raw values (`rawWidth(spec)` per query),
 * `out` receives the decoded ones ({@link RESULT_OUTPUTS} per query).
 */
export type HeadDecoder = (out: Float32Array, raw: Float32Array, count: number, spec: DecoderOutputSpec) => void;

/** Raw values per query of a decoder output: the product of its dimensions after `[1, Q]`. */
export function rawWidth(spec: DecoderOutputSpec): number {
  let n = 1;
  for (const d of spec.shape.slice(2)) n *= d as number;
  return n;
}

/** The head decodes, one per manifest `decode` (see the module notes). */
export const HEAD_DECODES: Readonly<Record<HeadDecode, HeadDecoder>> = {
  'log-depth': (out, raw, count) => {
    decodeLogDepth(out.subarray(0, count * 3), raw.subarray(0, count * 3));
  },
  direct: (out, raw, count, spec) => {
    out.set(raw.subarray(0, count * rawWidth(spec)));
  },
  'truncated-soft-argmax': (out, raw, count, spec) => {
    const bins = spec.bins!;
    const [lo, hi] = spec.range!;
    for (let i = 0; i < 2 * count; i++) out[i] = truncatedSoftArgmax(raw, i * bins, bins, spec.window!, lo, hi);
  },
  sigmoid: (out, raw, count) => {
    for (let i = 0; i < count; i++) out[i] = sigmoid(raw[i]!);
  },
  normalize: (out, raw, count) => {
    for (let i = 0; i < 3 * count; i += 3) {
      const x = raw[i]!, y = raw[i + 1]!, z = raw[i + 2]!;
      const n = Math.hypot(x, y, z);
      const s = n > 1e-12 ? 1 / n : 0;
      out[i] = x * s;
      out[i + 1] = y * s;
      out[i + 2] = z * s;
    }
  },
};

/** The decoder outputs of a `uv` head given as {@link UvHead} (log-depth xyz, binned uv: d4rt-tiny's heads). */
function binnedOutputs(uvHead: UvHead): ModelManifest['decoder']['outputs'] {
  const q1: DecoderOutputSpec = { dtype: 'float32', shape: [1, 'Q'], decode: 'sigmoid' };
  return {
    xyz: { dtype: 'float32', shape: [1, 'Q', 3], decode: 'log-depth' },
    uv: { dtype: 'float32', shape: [1, 'Q', 2, uvHead.bins], decode: 'truncated-soft-argmax', bins: uvHead.bins, window: uvHead.window, range: [uvHead.range[0], uvHead.range[1]] },
    visibility: q1,
    confidence: q1,
  };
}

/**
 * Decodes one chunk of raw decoder outputs into `out` at query offset `offset`, each output by its
 * manifest `decode` ({@link HEAD_DECODES}). Optional outputs (`normal`, `displacement`) are decoded
 * when both the manifest and `out` have them.
 * @param out - the result being filled
 * @param offset - index of the chunk's first query in `out`
 * @param raw - raw outputs of the chunk, `Q * rawWidth(spec)` values each (`visibility` sets `Q`)
 * @param heads - the manifest's `decoder.outputs`; or, as before they existed, the {@link UvHead} of a model with log-depth `xyz` and binned `uv`
 */
export function decodeChunk(
  out: QueryResult,
  offset: number,
  raw: Partial<Record<ResultOutput, Float32Array>> & { xyz: Float32Array; uv: Float32Array; visibility: Float32Array; confidence: Float32Array },
  heads: ModelManifest['decoder']['outputs'] | UvHead,
): void {
  const outputs = 'bins' in heads ? binnedOutputs(heads) : heads;
  const q = raw.visibility.length;
  for (const key of Object.keys(RESULT_OUTPUTS) as ResultOutput[]) {
    const spec = outputs[key];
    const target = out[key];
    const values = raw[key];
    if (spec === undefined || target === undefined || values === undefined) continue;
    const w = RESULT_OUTPUTS[key];
    HEAD_DECODES[spec.decode](target.subarray(offset * w, (offset + q) * w), values, q, spec);
  }
}

/**
 * The tracker's heads as the decoder's: each output `[1, T, N, ...rest]` becomes the spec of rows
 * `[1, Q, ...rest]` (one row per frame and point), so {@link decodeChunk} and {@link rawWidth}
 * decode a frame of tracker output with the same table ({@link HEAD_DECODES}) as a chunk of queries.
 * @param outputs - the manifest's `tracker.outputs`
 * @returns new specs (the decode parameters copied)
 */
export function trackerRowHeads(outputs: HeadOutputs): HeadOutputs {
  const row = (spec: DecoderOutputSpec): DecoderOutputSpec => ({ ...spec, shape: [1, 'Q', ...spec.shape.slice(3)] });
  return { xyz: row(outputs.xyz), uv: row(outputs.uv), visibility: row(outputs.visibility), confidence: row(outputs.confidence) };
}
