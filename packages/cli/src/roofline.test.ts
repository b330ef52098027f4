import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedModelPath } from '@d4rt/runtime-node';
import { describe, expect, it } from 'vitest';
import { BENCH_MODELS, countModelFlops, measureMatmulPeaks, peakBasis, peakFraction } from './roofline.js';

const SCRIPT = fileURLToPath(new URL('../../../training/tools/onnx_flops.py', import.meta.url));
const hasOnnx = existsSync(SCRIPT) && spawnSync('/usr/bin/python3', ['-c', 'import onnx']).status === 0;

describe('peakFraction', () => {
  const peaks = { gflops: 100, int8Gops: 400 };

  it('is achieved GFLOP/s over the float32 peak for a float graph', () => {
    // 2e9 FLOPs in 40 ms = 50 GFLOP/s of 100
    expect(peakFraction([{ floatFlops: 2e9, int8Ops: 0 }], 40, peaks)).toBeCloseTo(0.5, 12);
  });

  it('is achieved GOP/s over the int8 peak for a quantised graph', () => {
    // 2e9 ops in 10 ms = 200 GOP/s of 400
    expect(peakFraction([{ floatFlops: 0, int8Ops: 2e9 }], 10, peaks)).toBeCloseTo(0.5, 12);
  });

  it('holds each part of a mixed set of graphs against its own peak', () => {
    // 10 ms at the float32 peak + 5 ms at the int8 peak, measured 30 ms
    expect(peakFraction([{ floatFlops: 1e9, int8Ops: 0 }, { floatFlops: 0, int8Ops: 2e9 }], 30, peaks)).toBeCloseTo(0.5, 12);
  });

  it('throws a RangeError naming a time or peak that is not positive', () => {
    expect(() => peakFraction([], 0, peaks)).toThrow(RangeError);
    expect(() => peakFraction([], 0, peaks)).toThrow('peakFraction: ms (0) must be a positive finite number');
    expect(() => peakFraction([], 1, { gflops: Number.NaN, int8Gops: 1 })).toThrow('peakFraction: peaks.gflops (NaN) must be a positive finite number');
  });
});

describe('peakBasis', () => {
  it('says which peak a set of graphs is held against', () => {
    expect(peakBasis([{ floatFlops: 1, int8Ops: 0 }])).toBe('fp32');
    expect(peakBasis([{ floatFlops: 0, int8Ops: 1 }])).toBe('int8');
    expect(peakBasis([{ floatFlops: 1, int8Ops: 0 }, { floatFlops: 0, int8Ops: 1 }])).toBe('fp32 + int8');
  });
});

describe('measureMatmulPeaks', () => {
  it('ships its two graphs in bench-models/', () => {
    for (const f of ['matmul-f32.onnx', 'matmul-int8.onnx']) expect(existsSync(join(BENCH_MODELS, f))).toBe(true);
  });

  it('names the missing graph files', async () => {
    await expect(measureMatmulPeaks({ threads: 1, warmup: 0, runs: 1, dir: '/nonexistent' })).rejects.toThrow(
      'measureMatmulPeaks: /nonexistent/matmul-f32.onnx and /nonexistent/matmul-int8.onnx not found',
    );
  });
});

describe('countModelFlops', () => {
  it('says why there is no count when the tool is missing', () => {
    expect(countModelFlops({ script: '/nonexistent/onnx_flops.py', modelDir: embeddedModelPath(), dims: { Q: 8 } })).toBe('/nonexistent/onnx_flops.py not found (pass --training)');
  });

  it.skipIf(!hasOnnx)('counts every graph of the embedded model, the decoder at the given queries', () => {
    // the decoder's times [1, 8, 3]: the shapes of a decoder that attends to the frames its queries target depend on them
    const dir = mkdtempSync(join(tmpdir(), 'd4rt-roofline-test-'));
    let c: ReturnType<typeof countModelFlops>;
    try {
      const times = BigInt64Array.from({ length: 24 }, (_, i) => BigInt((i * 5) % 16));
      writeFileSync(join(dir, 'times.i64'), new Uint8Array(times.buffer));
      c = countModelFlops({ script: SCRIPT, modelDir: embeddedModelPath(), dims: { Q: 8 }, inputs: { times: join(dir, 'times.i64') } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (typeof c === 'string') throw new Error(c);
    expect(c.dims).toEqual({ Q: 8 });
    expect(Object.keys(c.graphs)).toEqual(expect.arrayContaining(['encoder', 'decoder']));
    for (const g of Object.values(c.graphs)) {
      expect(g.unresolved).toEqual([]);
      expect(g.flops).toBe(g.floatFlops + g.int8Ops);
      expect(g.flops).toBeGreaterThan(0);
    }
  });
});
