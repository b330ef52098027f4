/**
 * `d4rt eval --figure` as a user runs it: a child process on the built CLI with the embedded model
 * on the held-out fixture clips; the PNG is read back and its panels compared. Bad paths end with a
 * usage error naming the option and the value, before any work, and write nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFrames } from '@d4rt/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIGURE_COLUMNS, figureLayout, figurePanelSize } from '../src/figure.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-cli-figure-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, D4RT_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('d4rt eval --figure', () => {
  it('draws one row per held-out clip: input, GT and predicted depth, GT and predicted tracks', async () => {
    const file = join(dir, 'f.png');
    const r = d4rt('eval', '--fixtures', '--no-prior', '--figure', file, '-q');
    expect(r.code, r.stderr).toBe(0);
    // stdout is unchanged: the last line is still the JSON of means
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).absRel).toBeGreaterThan(0);
    expect(r.stderr).toContain(`figure ${file} (`);
    expect(r.stderr).toMatch(/one row per sequence \(heldout-0, heldout-1, heldout-2\); columns: input \| GT depth \| predicted depth \| GT tracks \| predicted tracks/);

    // 3 rows x 5 columns of 120 x 80 clips shown 3x
    const panel = figurePanelSize(120, 80);
    expect(panel).toEqual({ width: 360, height: 240 });
    const layout = figureLayout([0, 1, 2].map(() => ({ ...panel, tracks: true })));
    expect(layout.columns).toBe(FIGURE_COLUMNS.length);
    const png = await readFrames([file]);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    expect(readdirSync(dir)).toEqual(['f.png']);

    /** The RGB bytes of panel (row, column). */
    const crop = (row: number, col: number): Uint8Array => {
      const { x, y, width, height } = layout.panels[row]![col]!;
      const out = new Uint8Array(width * height * 3);
      for (let j = 0; j < height; j++) out.set(png.data.subarray(3 * ((y + j) * png.width + x), 3 * ((y + j) * png.width + x + width)), 3 * j * width);
      return out;
    };
    const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    const spread = (a: Uint8Array): number => {
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      return Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    };
    for (let row = 0; row < 3; row++) {
      const [input, gt, pred, gtTracks, predTracks] = [0, 1, 2, 3, 4].map((c) => crop(row, c)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const what = `row ${row}`;
      // depth panels are pictures, not a flat colour
      expect(spread(gt), `${what} GT depth`).toBeGreaterThan(10);
      expect(spread(pred), `${what} predicted depth`).toBeGreaterThan(10);
      // GT and predicted depth differ from each other and from the input frame
      expect(meanAbsDiff(gt, pred), `${what} GT vs predicted depth`).toBeGreaterThan(5);
      expect(meanAbsDiff(gt, input), `${what} GT depth vs input`).toBeGreaterThan(20);
      expect(meanAbsDiff(pred, input), `${what} predicted depth vs input`).toBeGreaterThan(20);
      // the track panels are the input frame with tracks drawn over it
      for (const [name, t] of [['GT', gtTracks], ['predicted', predTracks]] as const) {
        const d = meanAbsDiff(t, input);
        expect(d, `${what} ${name} tracks vs input`).toBeGreaterThan(0.2);
        expect(d, `${what} ${name} tracks vs input`).toBeLessThan(20);
      }
    }
  }, 360_000);

  it.each([
    ['a folder', (d: string) => {
      const f = join(d, 'dir.png');
      mkdirSync(f);
      return f;
    }, /is a folder; give the path of a \.png file to write/],
    ['a .jpg path', (d: string) => join(d, 'f.jpg'), /must be the path of a \.png file/],
    ['a missing folder', (d: string) => join(d, 'nope', 'f.png'), /: the folder ".*nope" does not exist/],
  ])('%s is a usage error (exit 2) before any work, writing nothing', (_what, make, message) => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    const value = make(sub);
    const before = readdirSync(sub);
    const r = d4rt('eval', '--fixtures', '--figure', value, '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`d4rt eval: --figure (${JSON.stringify(value)})`);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(readdirSync(sub)).toEqual(before);
  });

  // found by pnpm -s fuzz: --json into a missing folder ran the whole evaluation, then failed with a raw ENOENT
  it.each([
    ['a missing folder', (d: string) => join(d, 'nope', 'eval.json'), /: the folder ".*nope" does not exist/],
    ['a folder', (d: string) => d, /is a folder; give the path of a \.json file to write/],
  ])('--json in %s is a usage error (exit 2) before any work', (_what, make, message) => {
    const value = make(mkdtempSync(join(dir, 'json-')));
    const r = d4rt('eval', '--fixtures', '--json', value, '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`d4rt eval: --json (${JSON.stringify(value)})`);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
