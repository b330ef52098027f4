/** The live demo's pure helpers: the run's progress model, ground-truth comparison, error hints. */
import { describe, expect, it } from 'vitest';
import { RunProgress } from '../.vitepress/theme/demo/run-progress.js';
import { absRel, medianRatio, sampleAt, scaled } from '../.vitepress/theme/demo/depth-compare.js';
import { errorHint } from '../.vitepress/theme/demo/error-hint.js';

describe('RunProgress', () => {
  it('weights the steps into one fraction that never goes back, and names the first unfinished step', () => {
    const p = new RunProgress({ video: 1, model: 3, encode: 1, depth: 4, outputs: 1 });
    expect(p.view()).toEqual({ step: 1, overall: 0, text: 'Step 1 of 5: decoding the video, 0 %' });
    p.set('model', 0.5, '5.0 of 10.0 MB');
    expect(p.view().overall).toBeCloseTo(0.15);
    expect(p.view().step).toBe(1);
    p.finish('video');
    expect(p.view().text).toBe('Step 2 of 5: downloading the model, 5.0 of 10.0 MB');
    p.set('model', 0.2); // late event of an earlier phase: ignored
    expect(p.view().overall).toBeCloseTo(0.25);
    p.finish('model');
    p.finish('encode');
    p.set('depth', 0.4);
    expect(p.view().text).toBe('Step 4 of 5: depth, 40 %');
    for (const s of ['depth', 'outputs'] as const) p.finish(s);
    expect(p.view()).toEqual({ step: 6, overall: 1, text: 'All 5 steps done' });
  });

  it('a step of weight 0 (the model already loaded) takes no share of the bar', () => {
    const p = new RunProgress({ video: 1, model: 0, encode: 1, depth: 1, outputs: 1 });
    p.finish('video');
    expect(p.view().overall).toBeCloseTo(0.25);
    expect(() => new RunProgress({ video: -1, model: 0, encode: 1, depth: 1, outputs: 1 })).toThrow(RangeError);
  });
});

describe('depth comparison', () => {
  it('samples the ground truth on a coarser grid with the SDK grid convention (ends on pixel centres)', () => {
    const gt = { data: Float32Array.from({ length: 12 }, (_, i) => i), width: 4, height: 3 };
    expect(Array.from(sampleAt(gt, 2, 2))).toEqual([0, 3, 8, 11]);
  });

  it('scales a prediction onto the ground truth by the median ratio; AbsRel is 0 for a prediction right up to scale', () => {
    const gt = Float32Array.from([1, 2, 3, 4, 5]);
    const pred = scaled(gt, 0.5);
    const s = medianRatio(pred, gt);
    expect(s).toBeCloseTo(2);
    expect(absRel(pred, gt, s)).toBeCloseTo(0);
    expect(absRel(Float32Array.from([1, 1]), Float32Array.from([1, 2]), 1)).toBeCloseTo(0.25);
    expect(medianRatio([0, -1, NaN], [1, 1, 1])).toBeNaN();
  });
});

describe('errorHint', () => {
  const err = (code: string, reason: string, message: string) => Object.assign(new Error(message), { name: 'InvalidVideoError', code, reason });

  it('an undecodable video gets an ffmpeg command naming the file (quoted for the shell)', () => {
    const h = errorHint(err('ERR_INVALID_VIDEO', 'undecodable', "readVideo: file 'a b.mp4' cannot be decoded by this browser (DEMUXER_ERROR_NO_SUPPORTED_STREAMS)"), { device: 'wasm', fileName: "it's a b.mp4" });
    expect(h?.command).toBe(`ffmpeg -i 'it'\\''s a b.mp4' -c:v libx264 -pix_fmt yuv420p -an 'it'\\''s a b-h264.mp4'`);
    expect(errorHint(new Error('x: DEMUXER_ERROR_COULD_NOT_PARSE'), { device: 'wasm', fileName: 'clip.mov' })?.command).toBe('ffmpeg -i clip.mov -c:v libx264 -pix_fmt yuv420p -an clip-h264.mp4');
  });

  it('a file that is not a video asks for a video; a WebGPU failure offers wasm; other errors get no hint', () => {
    expect(errorHint(err('ERR_INVALID_VIDEO', 'not-a-video', 'DEMUXER_ERROR_COULD_NOT_OPEN'), { device: 'wasm' })?.text).toMatch(/^Pick a video file/);
    const gpu = Object.assign(new Error('loadModel: no backend could run the model: webgpu: no adapter'), { code: 'ERR_BACKEND_UNAVAILABLE' });
    expect(errorHint(gpu, { device: 'webgpu' })).toMatchObject({ tryWasm: true });
    expect(errorHint(gpu, { device: 'wasm' })).toBeNull();
    expect(errorHint(new Error('ModelLoadError: 404'), { device: 'wasm' })).toBeNull();
  });
});
