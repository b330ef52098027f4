import { describe, expect, it } from 'vitest';
import { frameSourceFromVideo } from './frame-source.js';

describe('frameSourceFromVideo', () => {
  const video = { data: Uint8Array.from({ length: 4 * 2 * 3 * 3 }, (_, i) => i), frames: 4, width: 3, height: 2, fps: 8 };

  it('reads the asked frames in order, as views, with nominal timestamps', async () => {
    const src = frameSourceFromVideo(video, { name: 'clip' });
    expect(src).toMatchObject({ frames: 4, width: 3, height: 2, fps: 8, name: 'clip' });
    expect(Array.from(src.timestamps!)).toEqual([0, 0.125, 0.25, 0.375]);
    const got: number[] = [];
    for await (const f of src.read(Int32Array.of(1, 3))) {
      got.push(f.index);
      expect(f.data[0]).toBe(f.index * 18);
      expect(f.data.buffer).toBe(video.data.buffer);
    }
    expect(got).toEqual([1, 3]);
  });

  it('refuses indices out of order or range, and stops on abort', async () => {
    const src = frameSourceFromVideo(video);
    expect(() => src.read(Int32Array.of(2, 1))).toThrow(/indices\[1\] \(1\) must be greater than indices\[0\] \(2\)/);
    expect(() => src.read(Int32Array.of(4))).toThrow(/indices\[0\] \(4\) must be a frame index in \[0, 3\]/);
    const ac = new AbortController();
    const it = src.read(Int32Array.of(0, 1, 2), { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('stop'));
    await expect(it.next()).rejects.toThrow('stop');
    expect(() => frameSourceFromVideo(video, { timestamps: [0, 1] })).toThrow(/options\.timestamps \(Array\(2\)\) must hold one time per frame \(4\)/);
  });
});
