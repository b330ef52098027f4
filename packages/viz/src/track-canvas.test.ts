import { describe, expect, it } from 'vitest';
import { drawTracksOnCanvas, type Canvas2dContext } from './track-canvas.js';
import { trackColors } from './track-colors.js';
import type { Tracks2dInput } from './track-tail.js';

interface Call {
  op: string;
  args: number[];
  alpha: number;
  stroke: string;
  fill: string;
  lineWidth: number;
}

/** A recording stand-in for a 2D context (Node has no canvas). */
class FakeContext {
  canvas = { width: 101, height: 51 };
  globalAlpha = 1;
  strokeStyle = '#000';
  fillStyle = '#000';
  lineWidth = 1;
  lineCap = 'butt';
  calls: Call[] = [];
  #saved: Omit<FakeContext, 'calls' | 'canvas'>[] = [];
  #path: number[] = [];
  save(): void {
    this.#saved.push({ globalAlpha: this.globalAlpha, strokeStyle: this.strokeStyle, fillStyle: this.fillStyle, lineWidth: this.lineWidth, lineCap: this.lineCap } as never);
  }
  restore(): void {
    Object.assign(this, this.#saved.pop());
  }
  beginPath(): void {
    this.#path = [];
  }
  moveTo(x: number, y: number): void {
    this.#path.push(x, y);
  }
  lineTo(x: number, y: number): void {
    this.#path.push(x, y);
  }
  arc(x: number, y: number, r: number): void {
    this.#path.push(x, y, r);
  }
  #record(op: string): void {
    this.calls.push({ op, args: this.#path.slice(), alpha: this.globalAlpha, stroke: this.strokeStyle, fill: this.fillStyle, lineWidth: this.lineWidth });
  }
  stroke(): void {
    this.#record('stroke');
  }
  fill(): void {
    this.#record('fill');
  }
}

const ctx = (): FakeContext & Canvas2dContext => new FakeContext() as unknown as FakeContext & Canvas2dContext;

/** Two points over 4 frames; point 1 is hidden at frame 1. */
const tracks: Tracks2dInput = {
  frames: 4,
  points: 2,
  // frame-major: (f, p) -> u = 0.1 f + 0.5 p, v = 0.2 f
  uv: Float32Array.from({ length: 16 }, (_, k) => {
    const i = k >> 1;
    const f = Math.floor(i / 2);
    const p = i % 2;
    return k % 2 === 0 ? 0.1 * f + 0.5 * p : 0.2 * f;
  }),
  visible: [1, 1, 1, 0, 1, 1, 1, 1],
};

describe('drawTracksOnCanvas', () => {
  it('strokes the tail segments between visible ends, fading, then a disc per visible point, scaled to the canvas', () => {
    const c = ctx();
    expect(drawTracksOnCanvas(c, { frame: 3, tracks, tail: 3, colors: new Uint8Array([255, 0, 0, 0, 0, 255]) })).toBe(c);
    const strokes = c.calls.filter((k) => k.op === 'stroke');
    const fills = c.calls.filter((k) => k.op === 'fill');
    // point 0: segments ending at frames 1, 2, 3; point 1: 2 -> 3 only (hidden at 1, so 1 -> 2 goes too)
    expect(strokes.map((s) => s.stroke)).toEqual(['rgb(255, 0, 0)', 'rgb(255, 0, 0)', 'rgb(255, 0, 0)', 'rgb(0, 0, 255)']);
    [1 / 3, 2 / 3, 1, 1].forEach((a, i) => expect(strokes[i]!.alpha).toBeCloseTo(a, 12));
    // x = u (W - 1) + 0.5, y = v (H - 1) + 0.5 with a 101 x 51 canvas
    const [x0, y0, x1, y1] = strokes[3]!.args as [number, number, number, number];
    expect(x0).toBeCloseTo((0.2 + 0.5) * 100 + 0.5, 4);
    expect(y0).toBeCloseTo(0.4 * 50 + 0.5, 4);
    expect(x1).toBeCloseTo((0.3 + 0.5) * 100 + 0.5, 4);
    expect(y1).toBeCloseTo(0.6 * 50 + 0.5, 4);
    expect(strokes[0]!.lineWidth).toBe(1.5);
    expect(fills).toHaveLength(2);
    expect(fills[0]!.args[2]).toBe(2.5); // default radius
    expect(fills[0]!.args[0]).toBeCloseTo(0.3 * 100 + 0.5, 4);
    // state restored
    expect(c.globalAlpha).toBe(1);
    expect(c.lineWidth).toBe(1);
  });

  it('draws nothing for a point hidden at the frame, and uses trackColors by default', () => {
    const c = ctx();
    drawTracksOnCanvas(c, { frame: 1, tracks, tail: 8, alpha: 0.5 });
    // frame 1: point 1 hidden -> only point 0's segment 0 -> 1 and disc
    expect(c.calls.map((k) => k.op)).toEqual(['stroke', 'fill']);
    const [r, g, b] = trackColors(1);
    expect(c.calls[1]!.fill).toBe(`rgb(${r}, ${g}, ${b})`);
    expect(c.calls[1]!.alpha).toBe(0.5);
    expect(c.calls[0]!.alpha).toBeCloseTo(0.5); // newest segment at alpha
  });

  it('honours width / height, tail 0, radius 0', () => {
    const c = ctx();
    drawTracksOnCanvas(c, { frame: 2, tracks, tail: 0, width: 11, height: 6 });
    expect(c.calls.every((k) => k.op === 'fill')).toBe(true);
    expect(c.calls[0]!.args[0]).toBeCloseTo(0.2 * 10 + 0.5, 5);
    const d = ctx();
    drawTracksOnCanvas(d, { frame: 2, tracks, radius: 0 });
    expect(d.calls.every((k) => k.op === 'stroke')).toBe(true);
  });

  it('throws like drawTracks, naming the function', () => {
    expect(() => drawTracksOnCanvas({} as Canvas2dContext, { frame: 0, tracks })).toThrow(TypeError);
    expect(() => drawTracksOnCanvas(ctx(), { frame: 4, tracks })).toThrow(new RangeError('drawTracksOnCanvas: options.frame (4) must be <= 3'));
    expect(() => drawTracksOnCanvas(ctx(), { frame: 0, tracks, width: 0 })).toThrow(new RangeError('drawTracksOnCanvas: options.width (0) must be > 0'));
    expect(() => drawTracksOnCanvas(ctx(), { frame: 0, tracks: { ...tracks, visible: [1] } })).toThrow(
      new RangeError('drawTracksOnCanvas: options.tracks.visible.length (1) must equal tracks.frames * tracks.points (8)'),
    );
  });
});
