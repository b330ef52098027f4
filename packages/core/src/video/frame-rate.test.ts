import { describe, expect, it } from 'vitest';
import { nominalTimestamps, selectFramesAtRate } from './frame-rate.js';

describe('selectFramesAtRate', () => {
  it('keeps one frame per 1/fps slot, the first of each', () => {
    expect(Array.from(selectFramesAtRate(nominalTimestamps(10, 30), 10))).toEqual([0, 3, 6, 9]);
    expect(Array.from(selectFramesAtRate(nominalTimestamps(5, 30), 60))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(selectFramesAtRate(nominalTimestamps(7, 24), 24))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // variable frame rate: a gap is followed by the timestamps
    expect(Array.from(selectFramesAtRate([10, 10.1, 10.2, 11.5, 11.6, 12.05], 2))).toEqual([0, 3, 5]);
  });

  it('names the argument in its errors', () => {
    expect(() => selectFramesAtRate([], 2)).toThrow(/timestamps \(empty\) must hold at least one frame/);
    expect(() => selectFramesAtRate([0, 1], 0)).toThrow(/selectFramesAtRate: fps \(0\) must be a finite number > 0/);
    expect(() => selectFramesAtRate([0, 2, 1], 1)).toThrow(/timestamps\[2\] \(1\) must not be before timestamps\[1\] \(2\)/);
  });
});
