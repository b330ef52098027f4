import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '@d4rt/runtime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GLYPH_HEIGHT, GLYPH_WIDTH, drawText, textWidth } from './bitmap-font.js';
import { heldoutFixtures } from './demo-eval.js';
import {
  FIGURE_GUTTER,
  checkFigurePath,
  composeFigure,
  evenPick,
  figureLayout,
  figurePanelSize,
  projectGroundTruthTracks,
  resizeNearest,
  writeFigure,
  type FigurePanel,
  type FigureRow,
} from './figure.js';
import { UsageError } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'd4rt-figure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A panel of one colour per pixel computed by `f(x, y)`. */
function panel(width: number, height: number, f: (x: number, y: number) => number): FigurePanel {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([f(x, y), 255 - f(x, y), 7, 255], 4 * (y * width + x));
  return { rgba, width, height };
}

function row(name: string, tracks: boolean, size = { width: 36, height: 24 }): FigureRow {
  const p = (k: number): FigurePanel => panel(size.width, size.height, (x, y) => (x * 7 + y * 3 + k * 50) % 256);
  return { name, label: `${name} - frame 1`, panels: [p(0), p(1), p(2), tracks ? p(3) : null, tracks ? p(4) : null] };
}

describe('bitmap font', () => {
  it('measures and draws text inside its box, lower case as capitals, unknown as ?', () => {
    expect(textWidth('', 2)).toBe(0);
    expect(textWidth('AB', 1)).toBe(2 * GLYPH_WIDTH + 1);
    expect(textWidth('AB', 3)).toBe(3 * (2 * GLYPH_WIDTH + 1));
    const draw = (t: string): Uint8ClampedArray => drawText(new Uint8ClampedArray(40 * 20 * 4), 40, 20, t, { x: 2, y: 3, scale: 2 });
    const img = draw('Hi');
    expect(img).toEqual(draw('HI'));
    expect(draw('~')).toEqual(draw('?'));
    let ink = 0;
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) {
      if (img[4 * (y * 40 + x) + 3] === 0) continue;
      ink++;
      expect(x >= 2 && x < 2 + textWidth('HI', 2) && y >= 3 && y < 3 + 2 * GLYPH_HEIGHT, `${x},${y}`).toBe(true);
    }
    expect(ink).toBeGreaterThan(40);
    // clipped, never out of bounds
    expect(() => drawText(new Uint8ClampedArray(4 * 4 * 4), 4, 4, 'WWW', { x: -3, y: -3, scale: 3 })).not.toThrow();
    expect(() => drawText(img, 40, 20, 'A', { x: 0, y: 0, scale: 1.5 })).toThrow(/options\.scale \(1\.5\) must be an integer >= 1/);
  });
});

describe('layout', () => {
  it('scales panels by an integer up to 240 px high, larger sources down to it', () => {
    expect(figurePanelSize(120, 80)).toEqual({ width: 360, height: 240 });
    expect(figurePanelSize(100, 130)).toEqual({ width: 100, height: 130 });
    expect(figurePanelSize(640, 480)).toEqual({ width: 320, height: 240 });
  });

  it('resizes with nearest neighbour (a copy)', () => {
    const src = panel(2, 2, (x, y) => 10 * x + 100 * y);
    const big = resizeNearest(src, 4, 6);
    expect([big.width, big.height]).toEqual([4, 6]);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 4; x++) expect(big.rgba[4 * (y * 4 + x)]).toBe(10 * (x >> 1) + 100 * Math.floor(y / 3));
    expect(resizeNearest(src, 2, 2).rgba).toEqual(src.rgba);
    expect(resizeNearest(src, 2, 2).rgba).not.toBe(src.rgba);
  });

  it('picks tracks evenly', () => {
    const p = evenPick(1000, 48);
    expect(p).toHaveLength(48);
    expect(p[0]).toBe(0);
    expect(p.every((v, i) => i === 0 || v > p[i - 1]!)).toBe(true);
    expect(p[47]).toBeGreaterThan(970);
    expect(evenPick(5, 48)).toEqual([0, 1, 2, 3, 4]);
  });

  it('lays rows out: header, per row a title line and the panels, gutters, footer', () => {
    const l = figureLayout([{ width: 360, height: 240, tracks: true }, { width: 360, height: 240, tracks: false }]);
    expect(l.columns).toBe(5);
    expect(l.width).toBe(FIGURE_GUTTER + 5 * (360 + FIGURE_GUTTER));
    expect(l.panels[1]![4]).toEqual({ x: FIGURE_GUTTER + 4 * 364, y: l.labelY[1]! + 22, width: 360, height: 240 });
    expect(l.panels[1]![0]!.y).toBe(l.panels[0]![0]!.y + 240 + FIGURE_GUTTER + 22);
    expect(l.height).toBeGreaterThan(l.footerY);
    // no tracks anywhere: three columns, narrower rows centred in the cells
    const n = figureLayout([{ width: 320, height: 240, tracks: false }, { width: 300, height: 240, tracks: false }]);
    expect(n.columns).toBe(3);
    expect(n.panels[1]![0]!.x).toBe(FIGURE_GUTTER + 10);
  });
});

describe('composeFigure / writeFigure', () => {
  it('places every panel pixel for pixel, leaves white gutters, and is deterministic', () => {
    const rows = [row('a', true), row('b', false)];
    const f = composeFigure(rows);
    const l = figureLayout([{ width: 36, height: 24, tracks: true }, { width: 36, height: 24, tracks: false }]);
    expect([f.width, f.height]).toEqual([l.width, l.height]);
    expect(f.columns).toEqual(['input', 'GT depth', 'predicted depth', 'GT tracks', 'predicted tracks']);
    for (const [r, c] of [[0, 0], [0, 4], [1, 2]] as const) {
      const rect = l.panels[r]![c]!;
      const p = rows[r]!.panels[c]!;
      for (const [x, y] of [[0, 0], [35, 23], [17, 9]] as const) {
        const o = 3 * ((rect.y + y) * f.width + rect.x + x);
        expect([...f.rgb.subarray(o, o + 3)]).toEqual([...p.rgba.subarray(4 * (y * 36 + x), 4 * (y * 36 + x) + 3)]);
      }
      // the gutter left of the panel is white
      const g = 3 * (rect.y * f.width + rect.x - 1);
      expect([...f.rgb.subarray(g, g + 3)]).toEqual([255, 255, 255]);
    }
    expect(composeFigure(rows).rgb).toEqual(f.rgb);
    expect(() => composeFigure([])).toThrow(RangeError);
  });

  it('writes the same PNG for the same rows, atomically', async () => {
    const rows = [row('a', true)];
    const a = join(dir, 'a.png');
    const b = join(dir, 'b.png');
    const { width, height, caption } = await writeFigure(a, rows);
    await writeFigure(b, rows);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    expect(readFileSync(a).readUInt32BE(16)).toBe(width);
    expect(readFileSync(a).readUInt32BE(20)).toBe(height);
    expect(caption).toMatch(/a\.png \(\d+x\d+\): one row per sequence \(a\); columns: input \| GT depth \| predicted depth \| GT tracks \| predicted tracks/);
    // a destination whose folder is a file: the write fails, nothing is left behind
    writeFileSync(join(dir, 'file'), 'x');
    await expect(writeFigure(join(dir, 'file', 'c.png'), rows)).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'b.png', 'file']);
  });
});

describe('checkFigurePath', () => {
  it.each([
    ['f.jpg', /--figure \("f\.jpg"\) must be the path of a \.png file/],
    ['f', /--figure \("f"\) must be the path of a \.png file/],
    ['', /--figure \(""\) must be the path of a \.png file/],
  ])('refuses %j', async (value, message) => {
    await expect(checkFigurePath(value)).rejects.toThrow(message);
  });

  it('refuses a folder and a missing folder, takes .PNG', async () => {
    await expect(checkFigurePath(dir + '/')).rejects.toThrow(/must be the path of a \.png file/);
    const folder = join(dir, 'x.png');
    rmSync(folder, { force: true, recursive: true });
    mkdirSync(folder);
    await expect(checkFigurePath(folder)).rejects.toThrow(UsageError);
    await expect(checkFigurePath(folder)).rejects.toThrow(/--figure \(".*x\.png"\) is a folder/);
    await expect(checkFigurePath(join(dir, 'nope', 'f.png'))).rejects.toThrow(/the folder ".*nope" does not exist/);
    expect(await checkFigurePath(join(dir, 'F.PNG'))).toBe(join(dir, 'F.PNG'));
    rmSync(folder, { recursive: true });
  });
});

describe('projectGroundTruthTracks', () => {
  it('reproduces the clip\'s own 2D tracks from its camera-frame points and intrinsics', async () => {
    const seq = await readDataset(heldoutFixtures()[0]!);
    const tracks = seq.tracks!;
    const N = tracks.count;
    const T = seq.video.frames;
    const pick = evenPick(N, 48);
    const { uv, visible } = projectGroundTruthTracks({ ...seq, tracks }, Int32Array.from({ length: T }, (_, k) => k), pick);
    let checked = 0;
    for (let t = 0; t < T; t++) {
      pick.forEach((i, j) => {
        expect(visible[t * pick.length + j]).toBe(tracks.visible[t * N + i]);
        if (!tracks.visible[t * N + i]) return;
        expect(Math.abs(uv[2 * (t * pick.length + j)]! - tracks.uv[2 * (t * N + i)]!)).toBeLessThan(1e-4);
        expect(Math.abs(uv[2 * (t * pick.length + j) + 1]! - tracks.uv[2 * (t * N + i) + 1]!)).toBeLessThan(1e-4);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(T * 10);
  });
});
