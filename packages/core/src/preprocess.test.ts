import { describe, expect, it } from 'vitest';
import { opencvResizeWeights, resizeNormalize, type AxisWeights } from './preprocess.js';

/** Dense weights: row i = the taps of output i. */
function dense(w: AxisWeights, src: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i + 1 < w.start.length; i++) {
    const row = new Array(src).fill(0);
    for (let k = w.start[i]!; k < w.start[i + 1]!; k++) row[w.index[k]!] += w.weight[k]!;
    rows.push(row);
  }
  return rows;
}

describe('opencvResizeWeights', () => {
  it('is the identity at the same size, in every mode', () => {
    for (const mode of ['area', 'area-taps', 'linear'] as const) {
      const rows = dense(opencvResizeWeights(5, 5, mode), 5);
      rows.forEach((row, i) => expect(row, `${mode} ${i}`).toEqual(row.map((_, j) => (i === j ? 1 : 0))));
    }
  });

  it('area: the mean of the pixels an output covers, fractional at the edges', () => {
    expect(dense(opencvResizeWeights(6, 2, 'area'), 6)).toEqual([[1 / 3, 1 / 3, 1 / 3, 0, 0, 0], [0, 0, 0, 1 / 3, 1 / 3, 1 / 3]]);
    const rows = dense(opencvResizeWeights(5, 2, 'area'), 5); // each output covers 2.5 pixels
    expect(rows[0]!.map((w) => w * 2.5)).toEqual([1, 1, 0.5, 0, 0]);
    expect(rows[1]!.map((w) => w * 2.5)).toEqual([0, 0, 0.5, 1, 1]);
  });

  it('linear: half-pixel centres, clamped at the borders, taps in 1/2048 steps', () => {
    expect(dense(opencvResizeWeights(2, 4, 'linear'), 2)).toEqual([[1, 0], [0.75, 0.25], [0.25, 0.75], [1, 0].reverse()]);
    const rows = dense(opencvResizeWeights(3, 7, 'linear'), 3);
    for (const row of rows) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const w of row) expect(Number.isInteger(w * 2048)).toBe(true);
    }
  });

  it('every row sums to 1', () => {
    for (const [src, dst] of [[640, 256], [256, 256], [100, 256], [363, 112], [1080, 64]] as const) {
      for (const mode of ['area', 'area-taps', 'linear'] as const) {
        if (mode === 'area' && src < dst) continue;
        for (const row of dense(opencvResizeWeights(src, dst, mode), src)) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      }
    }
  });
});

describe("resizeNormalize with 'opencv-area-linear'", () => {
  const norm = { scale: 1 / 255, mean: [0, 0, 0] as const, std: [1, 1, 1] as const };
  const run = (rgb: Uint8Array, srcWidth: number, srcHeight: number, width: number, height: number): Float32Array =>
    resizeNormalize(new Float32Array(3 * width * height), rgb, { srcWidth, srcHeight, frameIndices: [0], width, height, normalization: norm, resize: 'opencv-area-linear' });

  it('rounds to 8-bit values before normalising (area halves round to even)', () => {
    // 2 x 1 -> 1 x 1, per channel: mean(1, 2) = 1.5 -> 2, mean(2, 3) = 2.5 -> 2, mean(2, 255) = 128.5 -> 128
    const out = run(Uint8Array.from([1, 2, 2, 2, 3, 255]), 2, 1, 1, 1);
    expect(Array.from(out)).toEqual([2 / 255, 2 / 255, 128 / 255].map(Math.fround));
  });

  it('copies frames at the clip size exactly', () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const out = run(rgb, 4, 3, 4, 3);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 12; i++) expect(out[c * 12 + i]).toBeCloseTo(rgb[i * 3 + c]! / 255, 7);
  });
});
