import { describe, expect, it } from 'vitest';
import { applyColormap, colormapLut, COLORMAP_NAMES, type ColormapName } from './colormap.js';

const entry = (name: ColormapName, i: number): number[] => Array.from(colormapLut(name).subarray(3 * i, 3 * i + 3));

/** Relative luminance Y of an sRGB colour (IEC 61966-2-1 transfer, Rec. 709 weights). */
function luminance(r: number, g: number, b: number): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

describe('colormapLut', () => {
  it('has the published anchor colours', () => {
    expect(entry('viridis', 0)).toEqual([0x44, 0x01, 0x54]);
    expect(entry('viridis', 255)).toEqual([0xfd, 0xe7, 0x25]);
    expect(entry('viridis', 128)).toEqual([0x21, 0x91, 0x8c]); // matplotlib viridis(0.5) = #21918c
    expect(entry('inferno', 0)).toEqual([0x00, 0x00, 0x04]);
    expect(entry('inferno', 255)).toEqual([0xfc, 0xff, 0xa4]);
    expect(entry('turbo', 0)).toEqual([48, 18, 59]);
    expect(entry('turbo', 255)).toEqual([122, 4, 3]);
    expect(entry('grey', 0)).toEqual([0, 0, 0]);
    expect(entry('grey', 200)).toEqual([200, 200, 200]);
    expect(entry('grey', 255)).toEqual([255, 255, 255]);
  });

  it('returns one cached table of 768 entries per name', () => {
    for (const name of COLORMAP_NAMES) {
      const lut = colormapLut(name);
      expect(lut).toBeInstanceOf(Uint8Array);
      expect(lut.length).toBe(768);
      expect(colormapLut(name)).toBe(lut);
    }
    expect(colormapLut('viridis')).not.toBe(colormapLut('inferno'));
  });

  it('has monotone luminance for grey, viridis and inferno', () => {
    // Rounding the published float tables to 8 bits leaves dips of up to ~3e-4 in Y between
    // neighbours (viridis 94 -> 95); the luminance must rise over every 4 entries.
    for (const name of ['grey', 'viridis', 'inferno'] as const) {
      const lut = colormapLut(name);
      const y = Array.from({ length: 256 }, (_, i) => luminance(lut[3 * i]!, lut[3 * i + 1]!, lut[3 * i + 2]!));
      for (let i = 1; i < 256; i++) expect(y[i]!, `${name}[${i}]`).toBeGreaterThan(y[i - 1]! - 5e-4);
      for (let i = 4; i < 256; i++) expect(y[i]!, `${name}[${i}]`).toBeGreaterThan(y[i - 4]!);
    }
  });

  it('rejects unknown names', () => {
    expect(() => colormapLut('jet' as ColormapName)).toThrow(new RangeError("colormapLut: name ('jet') must be one of 'turbo', 'viridis', 'inferno', 'grey'"));
    expect(() => colormapLut(3 as unknown as ColormapName)).toThrow(TypeError);
  });
});

describe('applyColormap', () => {
  it('maps min, max and the middle to the ends and centre of the table', () => {
    const out = new Uint8ClampedArray(12);
    applyColormap(out, [10, 20, 15], { min: 10, max: 20, colormap: 'viridis' });
    expect(Array.from(out.subarray(0, 4))).toEqual([0x44, 0x01, 0x54, 255]);
    expect(Array.from(out.subarray(4, 8))).toEqual([0xfd, 0xe7, 0x25, 255]);
    // round(0.5 * 255) = 128
    expect(Array.from(out.subarray(8, 12))).toEqual([...entry('viridis', 128), 255]);
  });

  it('clamps out-of-range values and gives invalidColor to non-finite ones', () => {
    const out = new Uint8ClampedArray(20);
    applyColormap(out, [-5, 50, Number.NaN, Infinity, -Infinity], { min: 0, max: 1, colormap: 'grey', invalidColor: [1, 2, 3, 4] });
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    applyColormap(out, [Number.NaN], { min: 0, max: 1 });
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('reverse flips the direction', () => {
    const out = new Uint8ClampedArray(8);
    applyColormap(out, [0, 1], { min: 0, max: 1, colormap: 'grey', reverse: true });
    expect(Array.from(out)).toEqual([255, 255, 255, 255, 0, 0, 0, 255]);
  });

  it('treats min === max as a step at min', () => {
    const out = new Uint8ClampedArray(12);
    applyColormap(out, [1, 2, 3], { min: 2, max: 2, colormap: 'grey' });
    expect([out[0], out[4], out[8]]).toEqual([0, 128, 255]);
  });

  it('writes into out, returns out, does not modify values, and leaves the rest of out alone', () => {
    const values = new Float32Array([0, 0.5, 1]);
    const out = new Uint8ClampedArray(16).fill(7);
    expect(applyColormap(out, values, { min: 0, max: 1 })).toBe(out);
    expect(Array.from(values)).toEqual([0, 0.5, 1]);
    expect(Array.from(out.subarray(12))).toEqual([7, 7, 7, 7]);
  });

  it('checks its arguments', () => {
    const out = new Uint8ClampedArray(8);
    expect(() => applyColormap(new Uint8Array(8) as unknown as Uint8ClampedArray, [0, 1], { min: 0, max: 1 })).toThrow(
      new TypeError('applyColormap: out (Uint8Array(8)) must be a Uint8ClampedArray'),
    );
    expect(() => applyColormap(out, [0, 1, 2], { min: 0, max: 1 })).toThrow(
      new RangeError('applyColormap: out.length (8) must be at least 4 * values.length (12)'),
    );
    expect(() => applyColormap(out, [0], { min: Number.NaN, max: 1 })).toThrow(new RangeError('applyColormap: options.min (NaN) must be a finite number'));
    expect(() => applyColormap(out, [0], { min: 2, max: 1 })).toThrow(new RangeError('applyColormap: options.max (1) must be >= options.min (2)'));
    expect(() => applyColormap(out, [0], { min: 0, max: 1, invalidColor: [0, 0, 0] })).toThrow(
      new RangeError('applyColormap: options.invalidColor.length (3) must equal 4 (r, g, b, a) (4)'),
    );
    expect(() => applyColormap(out, [0], { min: 0, max: 1, invalidColor: [0, 0, 0, 300] })).toThrow(
      new RangeError('applyColormap: options.invalidColor[3] (300) must be a number in [0, 255]'),
    );
    expect(() => applyColormap(out, 'ab' as unknown as number[], { min: 0, max: 1 })).toThrow(TypeError);
    expect(() => applyColormap(out, [0], null as unknown as { min: number; max: number })).toThrow(
      new TypeError('applyColormap: options (null) must be an object'),
    );
  });
});
