import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAD_DECODES, createQueryResult, decodeChunk, rawWidth, sigmoid, truncatedSoftArgmax } from './heads.js';
import type { DecoderOutputSpec, HeadDecode, ModelManifest } from './manifest.js';

/** Reference truncated soft-argmax written the slow, obvious way (as training's torch code). */
function reference(logits: number[], window: number, lo: number, hi: number): number {
  const bins = logits.length;
  const arg = logits.indexOf(Math.max(...logits));
  const keep = logits.map((_, i) => Math.abs(i - arg) <= window);
  const m = Math.max(...logits.filter((_, i) => keep[i]));
  const e = logits.map((l, i) => (keep[i] ? Math.exp(l - m) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.reduce((s, p, i) => s + (p / z) * (lo + ((hi - lo) * i) / (bins - 1)), 0);
}

describe('truncatedSoftArgmax', () => {
  it('matches the reference definition', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 2, maxLength: 64 }), fc.integer({ min: 0, max: 5 }), (logits, w) => {
        const got = truncatedSoftArgmax(logits, 0, logits.length, w, 0, 1);
        expect(got).toBeCloseTo(reference(logits, w, 0, 1), 10);
      }),
    );
  });

  it('ignores bins outside the window (a far second peak does not pull the answer)', () => {
    const logits = new Array(64).fill(-50);
    logits[10] = 5;
    logits[50] = 4.9;
    const x = truncatedSoftArgmax(logits, 0, 64, 3, 0, 1);
    expect(x).toBeCloseTo(10 / 63, 6);
  });

  it('clips the window at the ends and reads from an offset', () => {
    const logits = [9, 9, 0, 0, 5, 1, 1, 1];
    // row 2 starts at offset 4: argmax at bin 0 of that row
    expect(truncatedSoftArgmax(logits, 4, 4, 1, 0, 1)).toBeCloseTo(reference([5, 1, 1, 1], 1, 0, 1), 12);
    expect(truncatedSoftArgmax([0, 0, 0, 0, 0], 0, 5, 10, -1, 1)).toBeCloseTo(0, 12);
  });

  it('the first maximum wins ties', () => {
    expect(truncatedSoftArgmax([3, 0, 0, 0, 0, 0, 3], 0, 7, 0, 0, 6)).toBe(0);
  });
});

describe('sigmoid', () => {
  it('is stable at the extremes and symmetric', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(3) + sigmoid(-3)).toBeCloseTo(1, 15);
  });
});

describe('decodeChunk', () => {
  it('decodes log-depth, uv and probabilities at an offset', () => {
    const out = createQueryResult(3);
    const bins = 4;
    decodeChunk(
      out,
      1,
      {
        xyz: new Float32Array([0.5, -0.25, Math.log(2), 0, 0, 0]),
        uv: new Float32Array([9, 0, 0, 0, 0, 0, 0, 9, 0, 0, 9, 0, 0, 0, 0, 0]),
        visibility: new Float32Array([0, 100]),
        confidence: new Float32Array([-100, 0]),
      },
      { bins, window: 0, range: [0, 1] },
    );
    expect(Array.from(out.xyz.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(out.xyz[3]).toBeCloseTo(1, 6);
    expect(out.xyz[4]).toBeCloseTo(-0.5, 6);
    expect(out.xyz[5]).toBeCloseTo(2, 6);
    expect(out.xyz[8]).toBe(1);
    expect(Array.from(out.uv.subarray(2, 6))).toEqual([0, 1, Math.fround(2 / 3), 0]);
    expect(out.visibility[1]).toBe(0.5);
    expect(out.visibility[2]).toBe(1);
    expect(out.confidence[1]).toBeCloseTo(0, 30);
  });
});

describe('decodeChunk with the manifest\'s outputs', () => {
  const q3 = (decode: HeadDecode): DecoderOutputSpec => ({ dtype: 'float32', shape: [1, 'Q', 3], decode });
  const q1: DecoderOutputSpec = { dtype: 'float32', shape: [1, 'Q'], decode: 'sigmoid' };
  const outputs: ModelManifest['decoder']['outputs'] = {
    xyz: q3('direct'),
    uv: { dtype: 'float32', shape: [1, 'Q', 2], decode: 'direct' },
    visibility: q1,
    confidence: q1,
    normal: q3('normalize'),
    displacement: q3('direct'),
  };

  it('decodes direct xyz and uv, unit normals and displacements at an offset', () => {
    const out = createQueryResult(3, { normal: true, displacement: true });
    decodeChunk(
      out,
      1,
      {
        xyz: new Float32Array([0.5, -0.25, 2, 1, 2, 3]),
        uv: new Float32Array([0.1, 0.2, 1.5, -0.5]),
        visibility: new Float32Array([0, 100]),
        confidence: new Float32Array([-100, 0]),
        normal: new Float32Array([0, 0, -2, 3, 4, 0]),
        displacement: new Float32Array([1, 2, 3, 4, 5, 6]),
      },
      outputs,
    );
    expect(Array.from(out.xyz)).toEqual([0, 0, 0, 0.5, -0.25, 2, 1, 2, 3]);
    expect(Array.from(out.uv)).toEqual([0, 0, Math.fround(0.1), Math.fround(0.2), 1.5, -0.5]);
    expect(Array.from(out.normal!)).toEqual([0, 0, 0, 0, 0, -1, Math.fround(0.6), Math.fround(0.8), 0]);
    expect(Array.from(out.displacement!)).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    expect(out.visibility[1]).toBe(0.5);
    expect(out.confidence[2]).toBe(0.5);
  });

  it('skips optional outputs the result does not hold, and leaves a zero normal zero', () => {
    const out = createQueryResult(1);
    const raw = { xyz: new Float32Array(3), uv: new Float32Array(2), visibility: new Float32Array(1), confidence: new Float32Array(1), normal: new Float32Array(3) };
    decodeChunk(out, 0, raw, outputs);
    expect(out.normal).toBeUndefined();
    const normal = new Float32Array(3).fill(7);
    HEAD_DECODES.normalize(normal, new Float32Array(3), 1, outputs.normal!);
    expect(Array.from(normal)).toEqual([0, 0, 0]);
  });

  it('has one decode per manifest decode, and rawWidth is the size after [1, Q]', () => {
    expect(Object.keys(HEAD_DECODES).sort()).toEqual(['direct', 'log-depth', 'normalize', 'sigmoid', 'truncated-soft-argmax']);
    expect(rawWidth({ dtype: 'float32', shape: [1, 'Q', 2, 64], decode: 'truncated-soft-argmax' })).toBe(128);
    expect(rawWidth(q1)).toBe(1);
  });
});
