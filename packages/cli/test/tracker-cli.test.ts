/**
 * `d4rt track --decoder` and `d4rt eval --decoder` as a user runs them (the built CLI in a child
 * process): bad values and combinations are usage errors (exit 2), a model without a tracker graph
 * is a model error (exit 1, NoTrackerError) before any work, and with a tracker model both
 * commands run it (eval's last line keeps its keys).
 *
 * The tracker model: `D4RT_TRACKER_MODEL`, else the embedded d4rt-tiny once it ships one; those
 * tests are skipped without either.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const MODELS = resolve(here, '../../models');
const EMBEDDED = join(MODELS, 'd4rt-tiny');
const DEMO_MP4 = join(MODELS, 'fixtures/demo/demo.mp4');
const HELDOUT = join(MODELS, 'fixtures/heldout-0');

function trackerModelPath(): string | undefined {
  const env = process.env.D4RT_TRACKER_MODEL;
  if (env) return resolve(env);
  const manifest = JSON.parse(readFileSync(join(EMBEDDED, 'manifest.json'), 'utf8')) as { tracker?: unknown };
  return manifest.tracker !== undefined ? EMBEDDED : undefined;
}
const trackerModel = trackerModelPath();

let dir: string;
/** The embedded model's graphs under a manifest that names no tracker graph. */
let plainModel: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-cli-tracker-'));
  plainModel = join(dir, 'no-tracker');
  mkdirSync(plainModel);
  const m = JSON.parse(readFileSync(join(EMBEDDED, 'manifest.json'), 'utf8')) as Record<string, any>;
  delete m.tracker;
  delete m.files.tracker;
  if (m.hashes) delete m.hashes.tracker;
  writeFileSync(join(plainModel, 'manifest.json'), JSON.stringify(m));
  for (const f of [m.files.encoder, m.files.decoder] as string[]) copyFileSync(join(EMBEDDED, f), join(plainModel, f));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, D4RT_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function outDir(name: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'keep.txt'), 'mine');
  return out;
}

describe('--decoder', () => {
  it('names its values in the help of track and eval', () => {
    expect(d4rt('track', '--help').stdout).toMatch(/--decoder <d> {8}query \(default: D4RT's independent queries, one per point and frame\) \|\n {23}tracker/);
    expect(d4rt('eval', '--help').stdout).toMatch(/--decoder <d> {8}query \(default/);
  });

  it('another value, or tracker with whole videos, is a usage error (exit 2)', () => {
    const out = outDir('usage');
    const bad = d4rt('track', DEMO_MP4, '--decoder', 'lstm', '-o', out, '-q');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^\nd4rt track: --decoder \("lstm"\) must be one of query, tracker\n$/);
    const whole = d4rt('track', DEMO_MP4, '--decoder', 'tracker', '--all-frames', '-o', out, '-q');
    expect(whole.code).toBe(2);
    expect(whole.stderr).toMatch(/d4rt track: --decoder tracker works on one window/);
    const ev = d4rt('eval', HELDOUT, '--decoder', 'lstm', '-q');
    expect(ev.code).toBe(2);
    expect(ev.stderr).toMatch(/d4rt eval: --decoder \("lstm"\) must be one of query, tracker/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('tracker on a model without a tracker graph: NoTrackerError, exit 1, no output, no stack', () => {
    const out = outDir('out-no-tracker');
    const r = d4rt('track', DEMO_MP4, '--model', plainModel, '--decoder', 'tracker', '-o', out, '-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /d4rt: NoTrackerError: d4rt track: --decoder tracker needs a tracker graph, and the model 'd4rt-tiny' has none \(its manifest has no 'tracker' section\); --decoder query \(the default\) tracks with any model\n$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const ev = d4rt('eval', HELDOUT, '--model', plainModel, '--decoder', 'tracker', '--no-prior', '-q');
    expect(ev.code).toBe(1);
    expect(ev.stderr).toMatch(/d4rt: NoTrackerError: d4rt eval: --decoder tracker needs a tracker graph/);
    expect(ev.stdout).toBe('');
  });
});

describe.skipIf(trackerModel === undefined)('--decoder tracker with a tracker model', () => {
  it('d4rt track writes tracks.json and the overlay from the tracker', () => {
    const out = join(dir, 'tracks');
    const r = d4rt('track', DEMO_MP4, '--model', trackerModel!, '--decoder', 'tracker', '--grid', '6', '-o', out, '-q');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tracks: 36 points over 16 frames \(camera frame, tracker decoder\)\n/);
    expect(existsSync(join(out, 'tracks.mp4'))).toBe(true);
    const tracks = JSON.parse(readFileSync(join(out, 'tracks.json'), 'utf8')) as { frames: number; points: number };
    expect(tracks).toMatchObject({ frames: 16, points: 36 });
  });

  it("d4rt eval --decoder tracker: the last line has the query decoder's keys, the tracks' metrics differ", () => {
    const last = (decoder: string): Record<string, unknown> => {
      const r = d4rt('eval', HELDOUT, '--model', trackerModel!, '--decoder', decoder, '--no-prior', '-q');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    };
    const tracker = last('tracker');
    const query = last('query');
    expect(Object.keys(tracker)).toEqual(Object.keys(query));
    expect(Object.keys(tracker.baselines as object)).toEqual(Object.keys(query.baselines as object));
    // the same depth and cameras (the query decoder's); other tracks
    expect(tracker.absRel).toBe(query.absRel);
    expect(tracker.ate).toBe(query.ate);
    expect(typeof tracker.apd3d).toBe('number');
    expect(tracker.apd3d === query.apd3d && tracker.aj === query.aj && tracker.oa === query.oa).toBe(false);
  });
});
