/**
 * The decoder's inputs for a run of queries: `coords` [1, Q, 2], `times` int64 [1, Q, 3] and the
 * query `patches` [1, Q, 3 p p], written into reusable buffers.
 *
 * @module
 */
import type { Tensor } from './backend.js';
import type { ModelManifest } from './manifest.js';
import { extractPatches } from './preprocess.js';
import type { QueryBatch } from './queries.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reusable input buffers for decoder runs of up to `capacity` queries. */
export interface DecoderInputBuffers {
  /** Most queries one run can hold (>= 2, see {@link fillDecoderInputs}). */
  readonly capacity: number;
  readonly coords: Float32Array;
  readonly times: BigInt64Array;
  readonly patches: Float32Array;
}

/**
 * Allocates buffers for runs of up to `capacity` queries (at least 2).
 * @param capacity - queries per run
 * @param patchSize - the manifest's patch size p
 */
export function createDecoderInputs(capacity: number, patchSize: number): DecoderInputBuffers {
  const cap = Math.max(capacity, 2);
  return { capacity: cap, coords: new Float32Array(cap * 2), times: new BigInt64Array(cap * 3), patches: new Float32Array(cap * 3 * patchSize * patchSize) };
}

/**
 * Writes queries `start .. start + count - 1` into `buffers` and returns the decoder's feeds (views
 * of the buffers). onnxruntime computes a single query with its matrix-vector kernels, which
 * round differently from the matrix-matrix path used for two or more; a lone query is therefore
 * run twice in one batch (its answer is the first row), so every answer is bit-identical
 * whatever the chunking.
 *
 * @param buffers - from {@link createDecoderInputs}, with `capacity >= max(count, 2)`
 * @param options - the queries (already checked), the range, the encoder's normalised frames, the manifest and the memory
 * @returns feeds `memory`, `coords`, `times`, `patches` for `max(count, 2)` queries
 */
export function fillDecoderInputs(
  buffers: DecoderInputBuffers,
  options: { queries: QueryBatch; start: number; count: number; video: Float32Array; manifest: ModelManifest; memory: Tensor },
): Record<string, Tensor> {
  const { queries: q, start, count: c, video, manifest, memory } = options;
  const { coords, times, patches, capacity } = buffers;
  const { height: H, width: W } = manifest.clip;
  const p = manifest.patch.size;
  for (let i = 0; i < c; i++) {
    coords[2 * i] = q.u[start + i]!;
    coords[2 * i + 1] = q.v[start + i]!;
  }
  if (LITTLE_ENDIAN) {
    // int64 = (low, high) int32 words; frame indices are small and >= 0 (no BigInt per value)
    const t32 = new Int32Array(times.buffer, times.byteOffset, times.length * 2);
    for (let i = 0; i < c; i++) {
      const j = start + i;
      t32[6 * i] = q.tSrc[j]!;
      t32[6 * i + 1] = 0;
      t32[6 * i + 2] = q.tTgt[j]!;
      t32[6 * i + 3] = 0;
      t32[6 * i + 4] = q.tCam[j]!;
      t32[6 * i + 5] = 0;
    }
  } else {
    for (let i = 0; i < c; i++) {
      const j = start + i;
      times[3 * i] = BigInt(q.tSrc[j]!);
      times[3 * i + 1] = BigInt(q.tTgt[j]!);
      times[3 * i + 2] = BigInt(q.tCam[j]!);
    }
  }
  extractPatches(patches, video, { width: W, height: H, size: p, u: q.u, v: q.v, tSrc: q.tSrc, offset: start, count: c });
  const r = Math.max(c, 2);
  if (c === 1) {
    coords.copyWithin(2, 0, 2);
    times.copyWithin(3, 0, 3);
    patches.copyWithin(3 * p * p, 0, 3 * p * p);
  }
  const whole = r === capacity;
  return {
    memory,
    coords: { type: 'float32', data: whole ? coords : coords.subarray(0, r * 2), dims: [1, r, 2] },
    times: { type: 'int64', data: whole ? times : times.subarray(0, r * 3), dims: [1, r, 3] },
    patches: { type: 'float32', data: whole ? patches : patches.subarray(0, r * 3 * p * p), dims: [1, r, 3 * p * p] },
  };
}
