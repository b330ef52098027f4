/**
 * The `d4rt` command line as a user runs it: a real child process on the built CLI, the real
 * embedded model, real ffmpeg. Bad inputs end with a named error and exit code, no stack, and no
 * new files in the output folder.
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
const DEMO_MP4 = join(MODELS, 'fixtures/demo/demo.mp4');
const SHARED = resolve(here, '../../../../shared/data');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, D4RT_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ffmpeg(...args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** An output folder holding one file of the user's; the test checks nothing else appears. */
function outDir(name: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'keep.txt'), 'mine');
  return out;
}
const onlyKeep = (out: string): void => expect(readdirSync(out)).toEqual(['keep.txt']);
const noStack = (stderr: string): void => expect(stderr).not.toMatch(/\n\s+at /);

describe('usage', () => {
  it('prints help and the version', () => {
    const r = d4rt('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/d4rt demo/);
    expect(d4rt('depth', '--help').stdout).toMatch(/--width <n>/);
    expect(d4rt('--version').stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['fly'], /unknown command "fly"/],
    [['depth'], /expected one video \(or image folder\), got none/],
    [['depth', 'a.mp4', '--chunk-size', '0'], /--chunk-size \("0"\) must be an integer in \[1, 1048576\]/],
    [['depth', 'a.mp4', '--device', 'tpu'], /--device \("tpu"\) must be one of auto, cpu, cuda/],
    [['depth', 'a.mp4', '--bogus'], /Unknown option '--bogus'/],
    [['eval'], /give at least one folder, or --fixtures/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = d4rt(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});

describe('bad inputs', () => {
  const small = ['--width', '12', '--height', '8', '-q'];

  it('a missing file', () => {
    const out = outDir('missing');
    const r = d4rt('depth', join(dir, 'nope.mp4'), '-o', out, ...small);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: .*nope\.mp4/);
    noStack(r.stderr);
    onlyKeep(out);
  });

  it('a text file named .mp4', () => {
    const file = join(dir, 'notes.mp4');
    writeFileSync(file, 'these are my notes, not a video\n');
    const out = outDir('text');
    const r = d4rt('depth', file, '-o', out, ...small);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: .*notes\.mp4/);
    noStack(r.stderr);
    onlyKeep(out);
  });

  it('a truncated mp4', () => {
    const bytes = readFileSync(DEMO_MP4);
    const file = join(dir, 'truncated.mp4');
    writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    const out = outDir('truncated');
    const r = d4rt('depth', file, '-o', out, ...small);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: .*truncated\.mp4/);
    onlyKeep(out);
  });

  it('an invalid model folder', () => {
    const out = outDir('model');
    const missing = d4rt('depth', DEMO_MP4, '--model', join(dir, 'no-model'), '-o', out, ...small);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ModelLoadError: loadModel: model folder '.*no-model' does not exist/);
    const bad = join(dir, 'bad-model');
    mkdirSync(bad);
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ format: 'd4rt-model/9' }));
    const r = d4rt('depth', DEMO_MP4, '--model', bad, '-o', out, ...small);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/UnsupportedModelError: parseManifest: manifest\.format \("d4rt-model\/9"\) must be 'd4rt-model\/1'/);
    // a valid manifest whose graphs are not ONNX
    const corrupt = join(dir, 'corrupt-model');
    mkdirSync(corrupt);
    copyFileSync(join(MODELS, 'd4rt-tiny/manifest.json'), join(corrupt, 'manifest.json'));
    writeFileSync(join(corrupt, 'encoder.onnx'), 'not a graph');
    writeFileSync(join(corrupt, 'decoder.onnx'), 'not a graph');
    const c = d4rt('depth', DEMO_MP4, '--model', corrupt, '--device', 'cpu', '-o', out, ...small);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/BackendUnavailableError: .*no backend could load the model.*\n\s+- onnxruntime-node:cpu: /s);
    noStack(c.stderr);
    onlyKeep(out);
  });

  it('out-of-range query points', () => {
    const pts = join(dir, 'points.json');
    writeFileSync(pts, JSON.stringify([[0.5, 0.5, 0], [1.5, 0.2, 0]]));
    const out = outDir('points');
    const r = d4rt('track', DEMO_MP4, '--points', pts, '-o', out, '-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidQueryError: Scene\.track: queries\.u\[1\] \(1\.5\) must be in \[0, 1\]/);
    onlyKeep(out);
    writeFileSync(pts, JSON.stringify([[0.5, 0.5, 16]]));
    const t = d4rt('track', DEMO_MP4, '--points', pts, '-o', out, '-q');
    expect(t.stderr).toMatch(/queries\.tSrc\[0\] \(16\) must be an integer frame index in \[0, 15\]/);
    onlyKeep(out);
  });

  it('a 1-frame video gives depth maps (its one frame fills the model\'s 16)', () => {
    const file = join(dir, 'one.mp4');
    ffmpeg('-i', DEMO_MP4, '-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file);
    const out = join(dir, 'one-out');
    const r = d4rt('depth', file, '-o', out, ...small);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'depth.json'), 'utf8'));
    expect(meta).toMatchObject({ frames: 16, width: 12, height: 8, sourceFrames: new Array(16).fill(0) });
    const npy = readFileSync(join(out, 'depth.npy'));
    const data = new Float32Array(npy.buffer.slice(npy.byteOffset + npy.length - 16 * 96 * 4, npy.byteOffset + npy.length));
    expect(data.every((z) => Number.isFinite(z) && z > 0)).toBe(true);
  });

  it('an 8K video gives a correct result', () => {
    const file = join(dir, '8k.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=7680x4320:rate=4', '-frames:v', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file);
    const out = join(dir, '8k-out');
    const r = d4rt('pose', file, '-o', out, '-q');
    expect(r.code, r.stderr).toBe(0);
    const cams = JSON.parse(readFileSync(join(out, 'cameras.json'), 'utf8'));
    expect(cams).toMatchObject({ width: 7680, height: 4320, frames: 16 });
    expect(cams.intrinsics[0].cx).toBe(7679 / 2);
    expect(cams.sourceFrames[0]).toBe(0);
    expect(cams.sourceFrames[15]).toBe(1);
  }, 240_000);
});

describe('outputs', () => {
  const KEYS = ['absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr'];
  const BASELINES: Record<string, string[]> = {
    constant: ['absRel', 'delta1'],
    ramp: ['absRel', 'delta1'],
    prior: KEYS,
    static: ['apd3d', 'aj', 'oa'],
    identity: ['ate', 'rpeTrans', 'rpeRot'],
    fov60: ['focalErr'],
  };
  type Numbers = Record<string, number | null>;
  /** Every number of a result (or mean) as 'model.absRel', 'baselines.prior.ate', ..., 'inputDependence'. */
  const numbers = (r: { model: Numbers; baseline: Numbers; baselines: Record<string, Numbers>; inputDependence: number | null }): Numbers => ({
    ...Object.fromEntries(KEYS.flatMap((k) => [[`model.${k}`, r.model[k]!], [`baseline.${k}`, r.baseline[k]!]])),
    ...Object.fromEntries(Object.entries(BASELINES).flatMap(([name, keys]) => keys.map((k) => [`baselines.${name}.${k}`, r.baselines[name]![k]!]))),
    inputDependence: r.inputDependence,
  });
  /** Within 1 % relative (inputDependence, which can be near 0: within 1e-3 absolute); null / NaN skipped. */
  const expectClose = (mine: Numbers, ref: Numbers, what: string): void => {
    for (const [key, want] of Object.entries(ref)) {
      if (want === null || !Number.isFinite(want)) continue;
      const got = mine[key];
      expect(got, `${what} ${key}`).toBeTypeOf('number');
      if (key === 'inputDependence') expect(Math.abs(got! - want), `${what} ${key}`).toBeLessThan(1e-3);
      else expect(Math.abs(got! / want - 1), `${what} ${key}`).toBeLessThan(0.01);
    }
  };

  it('d4rt eval --fixtures reproduces training (evaluate.py --fixtures) within 1 %', () => {
    const json = join(dir, 'eval.json');
    const r = d4rt('eval', '--fixtures', '--json', json, '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| heldout-0 \| ramp \|/);
    expect(r.stdout).toMatch(/\| mean \| prior \|/);
    expect(r.stdout).toMatch(/^inputDependence .*heldout-0 -?\d\.\d{4}, .*mean -?\d\.\d{4}$/m);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(Object.keys(last)).toEqual([...KEYS, 'baselines', 'inputDependence']);
    expect(Object.keys(last.baselines)).toEqual(Object.keys(BASELINES));
    for (const [name, keys] of Object.entries(BASELINES)) expect(Object.keys(last.baselines[name]), name).toEqual(keys);
    const ref = JSON.parse(readFileSync(join(MODELS, 'd4rt-tiny/eval-fixtures.json'), 'utf8'));
    const ours = JSON.parse(readFileSync(json, 'utf8'));
    // the committed reference has every number, so no comparison is skipped for lack of one
    expect(Object.values(numbers(ref.mean)).every((x) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    const b = last.baselines;
    expectClose(numbers({ ...last, model: last, baseline: { ...b.constant, ...b.static, ...b.identity, ...b.fov60 } }), numbers(ref.mean), 'last line');
    expectClose(numbers(ours.mean), numbers(ref.mean), 'mean');
    expect(ours.results.map((x: { name: string }) => x.name)).toEqual(ref.clips.map((c: { name: string }) => c.name));
    for (const clip of ref.clips) {
      const mine = ours.results.find((x: { name: string }) => x.name === clip.name);
      expectClose(numbers(mine), numbers(clip), clip.name);
    }
  }, 360_000);

  it.skipIf(!existsSync(join(SHARED, 'pi3-room')))('d4rt eval on pi3-room prints a table and a last-line JSON', () => {
    const r = d4rt('eval', join(SHARED, 'pi3-room'), '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| pi3-room \| model \|/);
    expect(r.stdout).toMatch(/\| pi3-room \| prior \|/);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(Object.keys(last)).toEqual([...KEYS, 'baselines', 'inputDependence']);
    expect(last.absRel).toBeGreaterThan(0);
    expect(last.apd3d).toBeNull();
    // no tracks: the prior's and the static baseline's track metrics are null, the rest numbers
    expect(last.baselines.prior).toMatchObject({ apd3d: null, aj: null, oa: null });
    expect(last.baselines.static).toEqual({ apd3d: null, aj: null, oa: null });
    for (const k of ['absRel', 'delta1', 'ate', 'focalErr']) expect(last.baselines.prior[k], k).toBeGreaterThan(0);
    expect(last.baselines.ramp.absRel).toBeGreaterThan(0);
    expect(Math.abs(last.inputDependence)).toBeLessThanOrEqual(1);
    // --no-prior: the same model numbers, prior and inputDependence null
    const np = d4rt('eval', join(SHARED, 'pi3-room'), '--no-prior', '-q');
    expect(np.code, np.stderr).toBe(0);
    expect(np.stdout).not.toMatch(/\| prior \|/);
    const lastNp = JSON.parse(np.stdout.trim().split('\n').pop()!);
    expect(lastNp.absRel).toBe(last.absRel);
    expect(lastNp.baselines.ramp).toEqual(last.baselines.ramp);
    expect(Object.values(lastNp.baselines.prior).every((x) => x === null)).toBe(true);
    expect(lastNp.inputDependence).toBeNull();
  }, 180_000);

  it('d4rt demo writes every output and prints metrics against the ground truth', () => {
    const out = join(dir, 'demo-out');
    const r = d4rt('demo', '-o', out, '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| demo \| model \|/);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['cameras.json', 'depth', 'depth-color', 'depth.json', 'depth.npy', 'metrics.json', 'pointcloud.ply', 'tracks.json', 'tracks.mp4', 'trajectory.tum']);
    expect(readdirSync(join(out, 'depth'))).toHaveLength(16);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    // the model beats constant depth on its own demo clip
    expect(metrics.model.absRel).toBeLessThan(metrics.baseline.absRel);
    expect(metrics.baselines.constant.absRel).toBe(metrics.baseline.absRel);
    expect(metrics.baselines.ramp.absRel).toBeGreaterThan(0);
    // the prior is an option of the demo (one more encode): not run by default
    expect(metrics.baselines.prior.absRel).toBeNull();
    expect(metrics.inputDependence).toBeNull();
    expect(readFileSync(join(out, 'pointcloud.ply')).subarray(0, 3).toString()).toBe('ply');
  }, 240_000);
});
