import { describe, expect, it } from 'vitest';
import { InvalidVideoError } from './errors.js';
import { assertVideoFrames } from './video.js';

describe('assertVideoFrames', () => {
  const video = { data: new Uint8Array(2 * 3 * 4 * 3), frames: 2, height: 3, width: 4 };

  // found by pnpm -s fuzz: sourceIndices null escaped as "Cannot read properties of null (reading 'length')"
  it('names sourceIndices that are not an array, or of another length, with InvalidVideoError', () => {
    expect(() => assertVideoFrames('D4rtModel.preprocess', { ...video, sourceIndices: Int32Array.of(0, 5) })).not.toThrow();
    for (const [sourceIndices, message] of [
      [null, 'D4rtModel.preprocess: video.sourceIndices (null) must be an array of source frame indices, one per frame'],
      [5, 'D4rtModel.preprocess: video.sourceIndices (5) must be an array of source frame indices, one per frame'],
      [Int32Array.of(0), 'D4rtModel.preprocess: video.sourceIndices.length (1) must equal video.frames (2)'],
    ] as const) {
      let err: unknown;
      try {
        assertVideoFrames('D4rtModel.preprocess', { ...video, sourceIndices });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidVideoError);
      expect(err).toMatchObject({ reason: 'bad-frames', message });
    }
  });
});
