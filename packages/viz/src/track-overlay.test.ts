import { describe, expect, it } from 'vitest';
import { colormapLut } from './colormap.js';
import { rgbToRgba } from './rgba.js';
import { drawTracks, trackColors, type Tracks2dInput } from './track-overlay.js';

const W = 64;
const H = 48;
const BG = [10, 20, 30, 255];
const RED = new Uint8Array([255, 0, 0]);

function background(width = W, height = H): Uint8ClampedArray {
  const image = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < image.length; i += 4) image.set(BG, i);
  return image;
}

const at = (image: Uint8ClampedArray, x: number, y: number, width = W): number[] => Array.from(image.subarray(4 * (y * width + x), 4 * (y * width + x) + 4));

/** Pixel coordinates of every pixel that differs from the background. */
function changed(image: Uint8ClampedArray, width = W): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < image.length; i += 4) {
    if (image[i] !== BG[0] || image[i + 1] !== BG[1] || image[i + 2] !== BG[2] || image[i + 3] !== BG[3]) {
      out.push([(i / 4) % width, Math.floor(i / 4 / width)]);
    }
  }
  return out;
}

/** One point over `frames` frames at pixel positions `xy` (converted to u, v). */
function track(xy: [number, number][], visible: number[], width = W, height = H): Tracks2dInput {
  const uv = new Float32Array(xy.flatMap(([x, y]) => [x / (width - 1), y / (height - 1)]));
  return { frames: xy.length, points: 1, uv, visible };
}

describe('drawTracks', () => {
  it('draws a disc at x = u (W - 1), y = v (H - 1) and leaves far pixels untouched', () => {
    const image = background();
    const result = drawTracks(image, { width: W, height: H, frame: 0, tracks: track([[20, 10]], [1]), colors: RED });
    expect(result).toBe(image);
    expect(at(image, 20, 10)).toEqual([255, 0, 0, 255]);
    expect(at(image, 22, 10)).toEqual([255, 0, 0, 255]); // inside radius 2.5
    expect(at(image, 40, 30)).toEqual(BG);
    const pixels = changed(image);
    expect(pixels.length).toBeGreaterThan(15);
    for (const [x, y] of pixels) expect(Math.hypot(x - 20, y - 10)).toBeLessThan(3);
  });

  it('blends with alpha and anti-aliases the edge', () => {
    const image = background();
    drawTracks(image, { width: W, height: H, frame: 0, tracks: track([[20, 10]], [1]), colors: RED, alpha: 0.5 });
    const c = at(image, 20, 10);
    expect(c[0]).toBeCloseTo(0.5 * 255 + 0.5 * BG[0]!, -0.5);
    expect(c[1]).toBeCloseTo(0.5 * BG[1]!, -0.5);
    expect(c[3]).toBe(255);
    const solid = background();
    drawTracks(solid, { width: W, height: H, frame: 0, tracks: track([[20, 10]], [1]), colors: RED });
    // At distance 2.83 from the centre (radius 2.5): partly covered, between background and red.
    const edge = at(solid, 22, 12);
    expect(edge[0]).toBeGreaterThan(BG[0]!);
    expect(edge[0]).toBeLessThan(255);
  });

  it('draws nothing for a point hidden at the frame, nor for non-finite positions', () => {
    const image = background();
    drawTracks(image, { width: W, height: H, frame: 1, tracks: track([[10, 10], [20, 10]], [1, 0]) });
    expect(changed(image)).toEqual([]);
    const nan = { frames: 1, points: 1, uv: [Number.NaN, 0.5], visible: [1] };
    drawTracks(image, { width: W, height: H, frame: 0, tracks: nan });
    expect(changed(image)).toEqual([]);
  });

  it('draws tail segments only between frames where both ends are visible', () => {
    const xy: [number, number][] = [
      [10, 20],
      [20, 20],
      [30, 20],
      [40, 20],
    ];
    const options = { width: W, height: H, frame: 3, radius: 0, colors: RED } as const;
    const all = background();
    drawTracks(all, { ...options, tracks: track(xy, [1, 1, 1, 1]) });
    for (const x of [15, 25, 35]) expect(at(all, x, 20)[0]).toBeGreaterThan(100);
    // Hidden at frame 1: segments 0-1 and 1-2 are gone, 2-3 stays.
    const gap = background();
    drawTracks(gap, { ...options, tracks: track(xy, [1, 0, 1, 1]) });
    expect(at(gap, 15, 20)).toEqual(BG);
    expect(at(gap, 25, 20)).toEqual(BG);
    expect(at(gap, 35, 20)[0]).toBeGreaterThan(100);
    expect(changed(gap).every(([x, y]) => x >= 29 && x <= 41 && Math.abs(y - 20) <= 1)).toBe(true);
  });

  it('fades older segments and keeps only `tail` frames of trail', () => {
    const xy: [number, number][] = [
      [10, 20],
      [20, 20],
      [30, 20],
      [40, 20],
    ];
    const tracks = track(xy, [1, 1, 1, 1]);
    const faded = background();
    drawTracks(faded, { width: W, height: H, frame: 3, radius: 0, colors: RED, tracks, tail: 3 });
    const newest = at(faded, 35, 20)[0]!;
    const middle = at(faded, 25, 20)[0]!;
    const oldest = at(faded, 15, 20)[0]!;
    expect(newest).toBeGreaterThan(middle);
    expect(middle).toBeGreaterThan(oldest);
    expect(oldest).toBeGreaterThan(BG[0]!);
    const short = background();
    drawTracks(short, { width: W, height: H, frame: 3, radius: 0, colors: RED, tracks, tail: 1 });
    expect(at(short, 25, 20)).toEqual(BG);
    expect(at(short, 35, 20)[0]).toBe(newest);
    const none = background();
    drawTracks(none, { width: W, height: H, frame: 3, radius: 0, colors: RED, tracks, tail: 0 });
    expect(changed(none)).toEqual([]);
  });

  it('clips at the borders without wrapping to other rows or writing outside the image', () => {
    // The image is a view into a larger buffer with sentinels before and after.
    const pad = 64;
    const buffer = new Uint8ClampedArray(W * H * 4 + 2 * pad).fill(77);
    const image = buffer.subarray(pad, pad + W * H * 4);
    image.set(background());
    const uv = [0, 0, 1, 1, 0, 0.5, 1, 0.5, 1.02, 0.25, -3, 0.5, 0.5, 7];
    const points = uv.length / 2;
    const tracks = { frames: 2, points, uv: [...uv, ...uv.map((c) => 1 - c)], visible: new Array(2 * points).fill(1) };
    drawTracks(image, { width: W, height: H, frame: 1, tracks, radius: 3, lineWidth: 2 });
    drawTracks(image, { width: W, height: H, frame: 0, tracks, radius: 3 });
    expect(Array.from(buffer.subarray(0, pad))).toEqual(new Array(pad).fill(77));
    expect(Array.from(buffer.subarray(pad + W * H * 4))).toEqual(new Array(pad).fill(77));
    // Frame 0 discs: corners and edge midpoints are drawn.
    expect(at(image, 0, 0)).not.toEqual(BG);
    expect(at(image, W - 1, H - 1)).not.toEqual(BG);
    // A disc at x = 0 must not leak into the ends of the rows above, one beyond x = W - 1 not
    // into the starts of the rows below, and discs outside the image draw nothing.
    const frame0 = background();
    drawTracks(frame0, { width: W, height: H, frame: 0, tracks: { frames: 1, points: 1, uv: [0, 0.5], visible: [1] }, radius: 3 });
    for (const [x] of changed(frame0)) expect(x).toBeLessThanOrEqual(3);
    const right = background();
    drawTracks(right, { width: W, height: H, frame: 0, tracks: { frames: 1, points: 1, uv: [1.02, 0.25], visible: [1] }, radius: 3 });
    expect(changed(right).length).toBeGreaterThan(0);
    for (const [x] of changed(right)) expect(x).toBeGreaterThanOrEqual(W - 4);
    const outside = background();
    drawTracks(outside, { width: W, height: H, frame: 0, tracks: { frames: 1, points: 2, uv: [-3, 0.5, 0.5, 7], visible: [1, 1] }, radius: 3 });
    expect(changed(outside)).toEqual([]);
  });

  it('defaults to trackColors(points) and does not modify the tracks', () => {
    const uv = new Float32Array([0.25, 0.5, 0.75, 0.5]);
    const visible = new Float32Array([0.9, 0.6]);
    const visibleBefore = visible.slice();
    const image = background();
    drawTracks(image, { width: W, height: H, frame: 0, tracks: { frames: 1, points: 2, uv, visible } });
    const colors = trackColors(2);
    const x0 = Math.round(0.25 * (W - 1));
    const y = Math.round(0.5 * (H - 1));
    // u = 0.25 -> x = 15.75: pixel 16 is 0.25 px from the centre, fully covered.
    expect(at(image, x0, y).slice(0, 3)).toEqual(Array.from(colors.subarray(0, 3)));
    expect(Array.from(uv)).toEqual([0.25, 0.5, 0.75, 0.5]);
    expect(visible).toEqual(visibleBefore);
  });

  it('checks its arguments', () => {
    const image = background();
    const tracks = track([[1, 1]], [1]);
    const base = { width: W, height: H, frame: 0, tracks };
    expect(() => drawTracks(new Uint8Array(W * H * 4) as unknown as Uint8ClampedArray, base)).toThrow(
      new TypeError('drawTracks: image (Uint8Array(12288)) must be a Uint8ClampedArray'),
    );
    expect(() => drawTracks(image, { ...base, width: 10 })).toThrow(
      new RangeError('drawTracks: image.length (12288) must equal options.width * options.height * 4 (1920)'),
    );
    expect(() => drawTracks(image, { ...base, frame: 1 })).toThrow(new RangeError('drawTracks: options.frame (1) must be <= 0'));
    expect(() => drawTracks(image, { ...base, frame: Number.NaN })).toThrow(new RangeError('drawTracks: options.frame (NaN) must be a finite number'));
    expect(() => drawTracks(image, { ...base, tracks: { ...tracks, uv: [0.5] } })).toThrow(
      new RangeError('drawTracks: options.tracks.uv.length (1) must equal tracks.frames * tracks.points * 2 (2)'),
    );
    expect(() => drawTracks(image, { ...base, tracks: { ...tracks, visible: [] } })).toThrow(
      new RangeError('drawTracks: options.tracks.visible.length (0) must equal tracks.frames * tracks.points (1)'),
    );
    expect(() => drawTracks(image, { ...base, colors: new Uint8Array(2) })).toThrow(
      new RangeError('drawTracks: options.colors.length (2) must be at least tracks.points * 3 (3)'),
    );
    expect(() => drawTracks(image, { ...base, colors: [1, 2, 3] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => drawTracks(image, { ...base, alpha: 2 })).toThrow(new RangeError('drawTracks: options.alpha (2) must be <= 1'));
    expect(() => drawTracks(image, { ...base, tail: -1 })).toThrow(new RangeError('drawTracks: options.tail (-1) must be >= 0'));
    expect(() => drawTracks(image, { ...base, tracks: null as unknown as Tracks2dInput })).toThrow(
      new TypeError('drawTracks: options.tracks (null) must be an object'),
    );
  });
});

describe('trackColors', () => {
  it('is deterministic, stable when tracks are added, and takes colours from the colormap', () => {
    const a = trackColors(10);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(30);
    expect(Array.from(trackColors(10))).toEqual(Array.from(a));
    expect(Array.from(trackColors(4))).toEqual(Array.from(a.subarray(0, 12)));
    const lut = colormapLut('viridis');
    const v = trackColors(5, { colormap: 'viridis' });
    for (let i = 0; i < 5; i++) {
      let found = false;
      for (let e = 0; e < 256 && !found; e++) found = lut[3 * e] === v[3 * i] && lut[3 * e + 1] === v[3 * i + 1] && lut[3 * e + 2] === v[3 * i + 2];
      expect(found).toBe(true);
    }
    expect(trackColors(0).length).toBe(0);
  });

  it('gives neighbouring tracks clearly different colours', () => {
    const c = trackColors(16);
    for (let i = 1; i < 16; i++) {
      const d = Math.abs(c[3 * i]! - c[3 * i - 3]!) + Math.abs(c[3 * i + 1]! - c[3 * i - 2]!) + Math.abs(c[3 * i + 2]! - c[3 * i - 1]!);
      expect(d).toBeGreaterThan(60);
    }
  });

  it('checks its arguments', () => {
    expect(() => trackColors(-1)).toThrow(new RangeError('trackColors: count (-1) must be >= 0'));
    expect(() => trackColors(1.5)).toThrow(new RangeError('trackColors: count (1.5) must be an integer'));
    expect(() => trackColors(2, { colormap: 'jet' as 'turbo' })).toThrow(RangeError);
  });
});

describe('rgbToRgba', () => {
  it('expands RGB to opaque RGBA, into out or a new array', () => {
    const rgb = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const fresh = rgbToRgba(undefined, rgb, 2, 1);
    expect(Array.from(fresh)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    const out = new Uint8ClampedArray(8);
    expect(rgbToRgba(out, rgb, 1, 2)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    expect(Array.from(rgb)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('checks its arguments', () => {
    expect(() => rgbToRgba(undefined, new Uint8Array(5), 2, 1)).toThrow(new RangeError('rgbToRgba: rgb.length (5) must equal width * height * 3 (6)'));
    expect(() => rgbToRgba(new Uint8ClampedArray(4), new Uint8Array(6), 2, 1)).toThrow(
      new RangeError('rgbToRgba: out.length (4) must equal width * height * 4 (8)'),
    );
    expect(() => rgbToRgba(new Uint8Array(8) as unknown as Uint8ClampedArray, new Uint8Array(6), 2, 1)).toThrow(TypeError);
    expect(() => rgbToRgba(undefined, new Uint8Array(6), Number.NaN, 1)).toThrow(new RangeError('rgbToRgba: width (NaN) must be a finite number'));
  });
});
