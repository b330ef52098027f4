import { describe, expect, it } from 'vitest';
import type { BackendSession, Tensor } from './backend.js';
import { parseManifest } from './manifest.js';
import { D4rtModel } from './model.js';
import type { DepthMaps } from './scene.js';
import { plainManifestJson } from './test-utils.js';
import {
  JBU_SIGMA_RANGE,
  JBU_SIGMA_SPATIAL,
  resizeRgb,
  upsampleBilinear,
  upsampleDepthMaps,
  upsampleJointBilateral,
  type GridSize,
} from './upsample.js';
import type { VideoFrames } from './video.js';

/** A deterministic pseudo-random generator (mulberry32) in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomMap = (n: number, seed: number, lo = 0.5, hi = 5): Float32Array => {
  const r = random(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};
const randomGuide = (n: number, seed: number): Uint8Array => {
  const r = random(seed);
  return Uint8Array.from({ length: n * 3 }, () => Math.floor(256 * r()));
};

/** A guide whose left part (output columns `x < edge`) is dark and right part bright. */
function stepGuide(frames: number, to: GridSize, edge: number): Uint8Array {
  const g = new Uint8Array(frames * to.width * to.height * 3);
  for (let f = 0; f < frames; f++) for (let y = 0; y < to.height; y++) for (let x = 0; x < to.width; x++) {
    g.fill(x < edge ? 20 : 230, ((f * to.height + y) * to.width + x) * 3, ((f * to.height + y) * to.width + x + 1) * 3);
  }
  return g;
}

/** Coarse map `w x h` with value `a` at samples whose output column is below `edge`, else `b`. */
function stepMap(frames: number, from: GridSize, to: GridSize, edge: number, a: number, b: number): Float32Array {
  const m = new Float32Array(frames * from.width * from.height);
  for (let f = 0; f < frames; f++) for (let y = 0; y < from.height; y++) for (let x = 0; x < from.width; x++) {
    const X = (x * (to.width - 1)) / (from.width - 1);
    m[(f * from.height + y) * from.width + x] = Math.round(X) < edge ? a : b;
  }
  return m;
}

const error = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('upsampleBilinear', () => {
  const from = { width: 5, height: 4 }, to = { width: 13, height: 10 };

  it('writes into out, returns out and does not modify src', () => {
    const src = randomMap(2 * 20, 1);
    const copy = src.slice();
    const out = new Float32Array(2 * 130).fill(-1);
    expect(upsampleBilinear(out, src, { frames: 2, from, to })).toBe(out);
    expect(out.every((v) => v >= 0.5 && v <= 5)).toBe(true);
    expect(src).toEqual(copy);
  });

  it('keeps constant maps constant, in linear and log space', () => {
    for (const space of ['linear', 'log'] as const) {
      const out = upsampleBilinear(new Float32Array(3 * 130), new Float32Array(3 * 20).fill(2.5), { frames: 3, from, to, space });
      for (const v of out) expect(v).toBeCloseTo(2.5, 6);
    }
  });

  it('is the identity at scale 1, also in place', () => {
    const src = randomMap(2 * 20, 2);
    const copy = src.slice();
    expect(upsampleBilinear(new Float32Array(40), src, { frames: 2, from, to: from, space: 'log' })).toEqual(copy);
    expect(upsampleBilinear(src, src, { frames: 2, from, to: from })).toEqual(copy);
  });

  it('keeps the coarse samples and reproduces a linear map exactly (align corners); log space a geometric one', () => {
    const lin = new Float32Array(20), geo = new Float32Array(20);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) {
      lin[y * 5 + x] = 1 + x / 4 + 2 * (y / 3);
      geo[y * 5 + x] = Math.exp(1 + x / 4 - y / 3);
    }
    const a = upsampleBilinear(new Float32Array(130), lin, { frames: 1, from, to });
    const b = upsampleBilinear(new Float32Array(130), geo, { frames: 1, from, to, space: 'log' });
    for (let Y = 0; Y < 10; Y++) for (let X = 0; X < 13; X++) {
      expect(a[Y * 13 + X]).toBeCloseTo(1 + X / 12 + 2 * (Y / 9), 5);
      expect(b[Y * 13 + X]! / Math.exp(1 + X / 12 - Y / 9)).toBeCloseTo(1, 5);
    }
    expect(a[0]).toBeCloseTo(lin[0]!, 6);
    expect(a[129]).toBeCloseTo(lin[19]!, 6);
  });

  it('in log space leaves out samples <= 0 or NaN (all missing: the nearest sample)', () => {
    const src = new Float32Array([2, 0, 2, Number.NaN]);
    const out = upsampleBilinear(new Float32Array(9), src, { frames: 1, from: { width: 2, height: 2 }, to: { width: 3, height: 3 }, space: 'log' });
    for (const v of out) expect(v === 2 || v === 0 || Number.isNaN(v) || Math.abs(v - 2) < 1e-6).toBe(true);
    expect(out[4]).toBeCloseTo(2, 6); // the centre: only the two 2s count
    const none = upsampleBilinear(new Float32Array(9), new Float32Array([-1, -1, -1, -1]), { frames: 1, from: { width: 2, height: 2 }, to: { width: 3, height: 3 }, space: 'log' });
    expect(Array.from(none)).toEqual(new Array(9).fill(-1));
  });

  it('names the argument, the value and what is allowed', () => {
    const src = new Float32Array(20), out = new Float32Array(130);
    let e = error(() => upsampleBilinear(out, [1, 2] as unknown as Float32Array, { frames: 1, from, to }));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('upsampleBilinear: src (Array(2)) must be a Float32Array');
    e = error(() => upsampleBilinear(out, src, { frames: 1, from: to, to: from }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('upsampleBilinear: options.to (5x4) must be at least options.from (13x10) on both axes');
    e = error(() => upsampleBilinear(new Float32Array(129), src, { frames: 1, from, to }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('upsampleBilinear: out has 129 values; it must have 130');
    e = error(() => upsampleBilinear(out, src, { frames: 1, from: { width: 0, height: 4 }, to }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('upsampleBilinear: options.from.width (0) must be an integer in [1, 16384]');
    e = error(() => upsampleBilinear(out, src, { frames: 1, from, to, space: 'exp' as 'log' }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(`upsampleBilinear: options.space ("exp") must be 'linear' or 'log'`);
    e = error(() => upsampleBilinear(out, src, null as never));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('upsampleBilinear: options (null) must be an object { frames, from, to }');
  });
});

describe('upsampleJointBilateral', () => {
  const from = { width: 8, height: 6 }, to = { width: 16, height: 12 };
  const edge = 8; // output columns 0..7 dark, 8..15 bright

  it('writes into out, returns out and does not modify its inputs', () => {
    const src = randomMap(2 * 48, 3), guide = randomGuide(2 * 192, 4), weights = randomMap(2 * 48, 5, 0, 1);
    const copies = [src.slice(), guide.slice(), weights.slice()];
    const out = new Float32Array(2 * 192).fill(-1);
    expect(upsampleJointBilateral(out, src, { frames: 2, from, to, guide, weights, space: 'log' })).toBe(out);
    expect(out.every((v) => v >= 0.5 && v <= 5)).toBe(true);
    expect([src, guide, weights]).toEqual(copies);
  });

  it('keeps a depth step sharp at the guide\'s colour edge, where bilinear blurs it', () => {
    const src = stepMap(2, from, to, edge, 1, 4);
    const guide = stepGuide(2, to, edge);
    const jbu = upsampleJointBilateral(new Float32Array(2 * 192), src, { frames: 2, from, to, guide, space: 'log' });
    const bil = upsampleBilinear(new Float32Array(2 * 192), src, { frames: 2, from, to, space: 'log' });
    let blurred = 0;
    for (let f = 0; f < 2; f++) for (let Y = 0; Y < 12; Y++) for (let X = 0; X < 16; X++) {
      const i = (f * 12 + Y) * 16 + X;
      expect(jbu[i]).toBeCloseTo(X < edge ? 1 : 4, 4);
      if (Math.abs(bil[i]! - 1) > 0.05 && Math.abs(bil[i]! - 4) > 0.05) blurred++;
    }
    expect(blurred).toBeGreaterThanOrEqual(2 * 12); // at least one column of every frame in between
  });

  it('moves the depth edge to the guide\'s edge when the coarse grid cannot place it', () => {
    // coarse samples at output columns 0, 2.14, 4.29, 6.43, 8.57 ...: an edge at column 6 falls
    // between samples 2 (depth 1) and 3 (depth 4, its guide colour bright)
    const guide = stepGuide(1, to, 6);
    const src = stepMap(1, from, to, 6, 1, 4);
    const out = upsampleJointBilateral(new Float32Array(192), src, { frames: 1, from, to, guide, space: 'log' });
    for (let X = 0; X < 16; X++) expect(out[5 * 16 + X]).toBeCloseTo(X < 6 ? 1 : 4, 4);
  });

  it('keeps constant maps constant whatever the guide', () => {
    const guide = randomGuide(3 * 192, 6);
    for (const space of ['linear', 'log'] as const) {
      const out = upsampleJointBilateral(new Float32Array(3 * 192), new Float32Array(3 * 48).fill(0.75), { frames: 3, from, to, guide, space });
      for (const v of out) expect(v).toBeCloseTo(0.75, 6);
    }
  });

  it('is the identity at scale 1, also in place', () => {
    const src = randomMap(48, 7);
    const copy = src.slice();
    const guide = randomGuide(48, 8);
    expect(upsampleJointBilateral(new Float32Array(48), src, { frames: 1, from, to: from, guide })).toEqual(copy);
    expect(upsampleJointBilateral(src, src, { frames: 1, from, to: from, guide, space: 'log' })).toEqual(copy);
  });

  it('ignores samples of weight 0 and, in log space, samples <= 0', () => {
    const guide = new Uint8Array(192 * 3).fill(128);
    const src = new Float32Array(48).fill(2);
    const weights = new Float32Array(48).fill(1);
    src[2 * 8 + 3] = 50;
    weights[2 * 8 + 3] = 0;
    src[3 * 8 + 4] = -1;
    const out = upsampleJointBilateral(new Float32Array(192), src, { frames: 1, from, to, guide, weights, space: 'log' });
    for (const v of out) expect(v).toBeCloseTo(2, 6);
  });

  it('falls back to the spatial weights when no sample shares the pixel\'s colour', () => {
    const guide = new Uint8Array(192 * 3).fill(0);
    guide.fill(255, (5 * 16 + 7) * 3, (5 * 16 + 8) * 3); // one white output pixel among black samples
    const src = randomMap(48, 9);
    const out = upsampleJointBilateral(new Float32Array(192), src, { frames: 1, from, to, guide, sigmaRange: 4 });
    const v = out[5 * 16 + 7]!;
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0.5);
    expect(v).toBeLessThanOrEqual(5);
  });

  it('has documented defaults', () => {
    expect([JBU_SIGMA_SPATIAL, JBU_SIGMA_RANGE]).toEqual([0.5, 12]);
  });

  it('names the argument, the value and what is allowed', () => {
    const src = new Float32Array(48), out = new Float32Array(192), guide = new Uint8Array(192 * 3);
    const cases: [() => unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, string][] = [
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide: new Float32Array(576) as unknown as Uint8Array }), TypeError, 'upsampleJointBilateral: options.guide (Float32Array(576)) must be a Uint8Array'],
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide: new Uint8Array(192) }), RangeError, 'upsampleJointBilateral: options.guide has 192 values; it must have 576'],
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide, sigmaRange: 0 }), RangeError, 'upsampleJointBilateral: options.sigmaRange (0) must be a finite number > 0'],
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide, sigmaSpatial: Number.NaN }), RangeError, 'upsampleJointBilateral: options.sigmaSpatial (NaN) must be a finite number > 0'],
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide, radius: 0 }), RangeError, 'upsampleJointBilateral: options.radius (0) must be an integer in [1, 8]'],
      [() => upsampleJointBilateral(out, src, { frames: 1, from, to, guide, weights: new Float32Array(3) }), RangeError, 'upsampleJointBilateral: options.weights has 3 values; it must have 48'],
      [() => upsampleJointBilateral(out, src, { frames: 1.5, from, to, guide }), RangeError, 'upsampleJointBilateral: options.frames (1.5) must be an integer in [0, 16777216]'],
    ];
    for (const [fn, type, message] of cases) {
      const e = error(fn);
      expect(e).toBeInstanceOf(type);
      expect(e.message).toBe(message);
    }
  });
});

describe('resizeRgb', () => {
  it('copies at the same size and keeps constant frames constant when resizing', () => {
    const rgb = randomGuide(2 * 30, 10);
    expect(resizeRgb(new Uint8Array(30 * 3), rgb, { srcWidth: 6, srcHeight: 5, frameIndices: [1], width: 6, height: 5 })).toEqual(rgb.subarray(90));
    const flat = new Uint8Array(40 * 30 * 3).fill(77);
    const out = new Uint8Array(2 * 9 * 7 * 3);
    expect(resizeRgb(out, flat, { srcWidth: 40, srcHeight: 30, frameIndices: [0, 0], width: 9, height: 7 })).toBe(out);
    expect(out.every((v) => v === 77)).toBe(true);
    expect(flat.every((v) => v === 77)).toBe(true);
    const up = resizeRgb(new Uint8Array(80 * 60 * 3), flat, { srcWidth: 40, srcHeight: 30, frameIndices: [0], width: 80, height: 60 });
    expect(up.every((v) => v === 77)).toBe(true);
  });

  it('names the argument, the value and what is allowed', () => {
    let e = error(() => resizeRgb(new Uint8Array(12), new Uint8Array(12), { srcWidth: 2, srcHeight: 2, frameIndices: [1], width: 2, height: 2 }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('resizeRgb: options.frameIndices[0] (1) must be an integer in [0, 0]');
    e = error(() => resizeRgb(new Uint8Array(12), new Float32Array(12) as unknown as Uint8Array, { srcWidth: 2, srcHeight: 2, frameIndices: [0], width: 2, height: 2 }));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('resizeRgb: rgb (Float32Array(12)) must be a Uint8Array');
  });
});

describe('upsampleDepthMaps', () => {
  const maps = (): DepthMaps => ({
    data: stepMap(2, { width: 8, height: 6 }, { width: 16, height: 12 }, 8, 1, 4),
    confidence: new Float32Array(96).fill(0.9),
    frames: 2,
    width: 8,
    height: 6,
    frameIndices: Int32Array.from([3, 5]),
  });

  it('returns new maps of the asked size, depth and confidence upsampled, inputs untouched', () => {
    const m = maps();
    const before = structuredClone(m);
    for (const mode of ['bilinear', 'joint-bilateral'] as const) {
      const r = upsampleDepthMaps(m, { width: 16, height: 12, mode, guide: stepGuide(2, { width: 16, height: 12 }, 8) });
      expect([r.frames, r.width, r.height, r.data.length, r.confidence.length]).toEqual([2, 16, 12, 384, 384]);
      expect(Array.from(r.frameIndices)).toEqual([3, 5]);
      expect(r.frameIndices).not.toBe(m.frameIndices);
      for (const c of r.confidence) expect(c).toBeCloseTo(0.9, 6);
      // output column 7 lies between samples 3 (depth 1, dark) and 4 (depth 4, bright); its guide is dark
      if (mode === 'bilinear') expect(r.data[7]! > 1.05 && r.data[7]! < 3.95).toBe(true);
      else expect(r.data[7]).toBeCloseTo(1, 4);
    }
    expect(m).toEqual(before);
  });

  it('names the argument, the value and what is allowed', () => {
    let e = error(() => upsampleDepthMaps(maps(), { width: 16, height: 12, mode: 'joint-bilateral' }));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`upsampleDepthMaps: options.guide (undefined) must be a Uint8Array of RGB bytes for mode 'joint-bilateral'`);
    e = error(() => upsampleDepthMaps(maps(), { width: 16, height: 12, mode: 'bicubic' as 'none' }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(`upsampleDepthMaps: options.mode ("bicubic") must be one of 'none', 'bilinear', 'joint-bilateral'`);
    e = error(() => upsampleDepthMaps(maps(), { width: 16, height: 12, mode: 'none' }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(`upsampleDepthMaps: options.mode 'none' cannot change the size (8x6 to 16x12)`);
  });
});

describe('Scene.depth above the model\'s input size', () => {
  // d4rt-tiny's manifest (96 x 64 input) with a fake decoder whose log depth is a step in u:
  // depth 1 left of u = 0.5, 4 right of it, confidence sigmoid(0) = 0.5
  // (without its optional tracker graph: only the encoder and decoder run here)
  const manifest = parseManifest(plainManifestJson());
  const { tokens: N, channels: C } = manifest.memory;
  const bins = manifest.decoder.outputs.uv.bins!;
  const session = (inputNames: string[], outputNames: string[], run: BackendSession['run']): BackendSession => ({ inputNames, outputNames, run, dispose: async () => {} });

  async function setup(video: VideoFrames) {
    const queries: number[] = [];
    const encoder = session(['video', 'aspect'], ['memory'], async () => ({ memory: { type: 'float32', data: new Float32Array(N * C), dims: [1, N, C] } }));
    const decoder = session(Object.keys(manifest.decoder.inputs), ['xyz', 'uv', 'visibility', 'confidence'], async (feeds) => {
      const q = feeds.coords!.dims[1]!;
      const coords = feeds.coords!.data as Float32Array;
      queries.push(q);
      const xyz = new Float32Array(q * 3);
      for (let i = 0; i < q; i++) xyz[3 * i + 2] = coords[2 * i]! < 0.5 ? 0 : Math.log(4);
      const t = (n: number, dims: number[]): Tensor => ({ type: 'float32', data: new Float32Array(n), dims });
      return { xyz: { type: 'float32', data: xyz, dims: [1, q, 3] }, uv: t(q * 2 * bins, [1, q, 2, bins]), visibility: t(q, [1, q]), confidence: t(q, [1, q]) };
    });
    const model = await D4rtModel.create({ manifest, encoder, decoder, backend: 'fake' });
    return { model, scene: await model.encode(video), queries };
  }

  /** 16 frames of 193 x 128 (the odd width puts u = 0.5 on output column 96), dark left of column 96, bright from it. */
  function video(): VideoFrames {
    const W = 193, H = 128;
    const data = new Uint8Array(16 * H * W * 3);
    for (let f = 0; f < 16; f++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(x < 96 ? 30 : 220, ((f * H + y) * W + x) * 3, ((f * H + y) * W + x + 1) * 3);
    return { data, frames: 16, width: W, height: H };
  }

  it('queries the model\'s grid and upsamples it (default joint-bilateral: the step follows the source frame), or every pixel with upsample: \'none\'', async () => {
    const { model, scene, queries } = await setup(video());
    const sum = () => queries.splice(0).reduce((a, b) => a + b, 0);
    const size = { frames: [2, 9], width: 193, height: 128 };
    const jbu = await scene.depth(size);
    expect(sum()).toBe(2 * 96 * 64);
    expect([jbu.width, jbu.height, jbu.data.length, jbu.confidence.length]).toEqual([193, 128, 2 * 193 * 128, 2 * 193 * 128]);
    expect(Array.from(jbu.frameIndices)).toEqual([2, 9]);
    for (const c of jbu.confidence) expect(c).toBeCloseTo(0.5, 6);
    const row = (m: DepthMaps, f: number, y: number) => Array.from(m.data.subarray((f * 128 + y) * 193, (f * 128 + y + 1) * 193));
    for (const f of [0, 1]) for (const y of [0, 64, 127]) row(jbu, f, y).forEach((d, x) => expect(d).toBeCloseTo(x < 96 ? 1 : 4, 4));
    const bil = await scene.depth({ ...size, upsample: 'bilinear' });
    expect(sum()).toBe(2 * 96 * 64);
    expect(row(bil, 0, 10).filter((d) => d > 1.01 && d < 3.99).length).toBeGreaterThan(0);
    const every = await scene.depth({ ...size, upsample: 'none' });
    expect(sum()).toBe(2 * 193 * 128);
    row(every, 1, 50).forEach((d, x) => expect(d).toBeCloseTo(x < 96 ? 1 : 4, 5));
    // at or below the model's size every pixel is a query, whatever the mode
    const small = await scene.depth({ frames: [0], width: 96, height: 40 });
    expect(sum()).toBe(96 * 40);
    expect([small.width, small.height]).toEqual([96, 40]);
    // one axis above: the grid is the model's size on that axis only
    await scene.depth({ frames: [0], width: 150, height: 40 });
    expect(sum()).toBe(96 * 40);
    scene.dispose();
    await model.dispose();
  });

  it('refuses an unknown mode before running anything', async () => {
    const { model, scene, queries } = await setup(video());
    const e = await scene.depth({ width: 193, height: 128, upsample: 'bicubic' as 'none' }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe(`Scene.depth: options.upsample ("bicubic") must be one of 'none', 'bilinear', 'joint-bilateral'`);
    expect(queries).toEqual([]);
    await model.dispose();
  });
});
