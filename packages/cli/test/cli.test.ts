/**
 * The `d4rt` command line as a user runs it: a real child process on the built CLI, the real
 * embedded model, real ffmpeg. Bad inputs end with a named error and exit code, no stack, and no
 * new files in the output folder.
 */
import { spawn, spawnSync } from 'node:child_process';
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
    [['depth', 'a.mp4', '--bogus'], /d4rt depth: unknown option "--bogus" \(see d4rt depth --help\)/],
    [['depth', 'a.mp4', '--frames', '82'], /d4rt depth: unknown option "--frames"; to process every frame use --all-frames, or --fps <n> for n frames per second \(see/],
    [['depth', 'a.mp4', '--scale-from', 'depth:1,2'], /--scale-from \("depth:1,2"\) must give 3 numbers after 'depth:'; the forms are depth:<x>,<y>,<metres> \| distance:/],
    [['depth', 'a.mp4', '--scale-from', 'size:3'], /--scale-from \("size:3"\) is not one of the forms/],
    [['depth', 'a.mp4', '--overlap', '3'], /--overlap \(3\) needs --all-frames or --fps/],
    [['depth', 'a.mp4', '--all-frames', '--fps', '5'], /give --all-frames or --fps, not both/],
    [['track', 'a.mp4', '--dense'], /--dense needs --all-frames or --fps/],
    [['depth', 'a.mp4', '--upsample', 'bicubic'], /d4rt depth: --upsample \("bicubic"\) must be one of none, bilinear, joint-bilateral/],
    [['depth', 'a.mp4', '--fps', '5', '--upsample', 'none'], /--upsample works on one window; with --all-frames or --fps/],
    [['demo', '--upsample', 'nearest'], /d4rt demo: --upsample \("nearest"\) must be one of none, bilinear, joint-bilateral/],
    [['eval', '--fixtures', '--upsample', 'x'], /d4rt eval: --upsample \("x"\) must be one of none, bilinear, joint-bilateral/],
    // needs the model's T, so it comes after the input (which must exist) is checked
    [['depth', DEMO_MP4, '--all-frames', '--overlap', '16'], /--overlap \(16\) must be in \[1, 15\]: the model's windows have 16 frames/],
    [['track', 'a.mp4', '--all-frames', '--dense', '--dense-size', '48'], /--dense-size \("48"\) must be <width>x<height>/],
    [['eval'], /give at least one folder, or --fixtures/],
    [['eval', '.', '--intrinsics', '500,500,320'], /--intrinsics \("500,500,320"\) must be fx,fy,cx,cy in pixels/],
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
    copyFileSync(join(MODELS, 'd4rt-tiny/tracker.onnx'), join(corrupt, 'tracker.onnx'));
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
    // training's evaluation runs the float32 PyTorch model: the float32 export is what must
    // reproduce it (the default d4rt-tiny is its int8 quantisation, which the model card compares)
    const json = join(dir, 'eval.json');
    const r = d4rt('eval', '--fixtures', '--model', join(MODELS, 'd4rt-tiny-fp32'), '--json', json, '-q');
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
    // 122 s alone; 470 s on CI's two cores beside the other packages' tests
  }, 900_000);

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

  it('Ctrl-C during d4rt eval stops it at once: exit 130, no --json file', async () => {
    const json = join(dir, 'eval-cancelled.json');
    const child = spawn(process.execPath, [BIN, 'eval', '--fixtures', '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sentAt = 0;
    const code = await new Promise<number | null>((resolveCode) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        // the first clip's queries are under way (before, eval ran on to the end and exited 0)
        if (sentAt === 0 && /querying/.test(stderr)) {
          sentAt = performance.now();
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => resolveCode(c));
    });
    const stopSeconds = (performance.now() - sentAt) / 1000;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/d4rt: cancelled by SIGINT; no output was written/);
    expect(stderr).not.toMatch(/heldout-1/);
    expect(existsSync(json)).toBe(false);
    expect(stopSeconds).toBeLessThan(30);
  }, 300_000);

  it('d4rt eval --help names every dataset layout', () => {
    const r = d4rt('eval', '--help');
    expect(r.code).toBe(0);
    for (const layout of ['d4rt-clip', 'pi3-room', 'open3d-rgbd', 'tum-rgbd', 'sintel', 'tapvid3d', 'image-poses']) expect(r.stdout).toMatch(new RegExp(`^  ${layout} +\\S`, 'm'));
    expect(r.stdout).toMatch(/groundtruth\.txt \+ rgb\.txt/);
    expect(r.stdout).toMatch(/depth\/\*\.dpt \+ camdata_left\/\*\.cam/);
  });

  it('d4rt eval on a folder in no supported layout lists the layouts, before the model loads', () => {
    const unknown = join(dir, 'holiday-photos');
    mkdirSync(unknown, { recursive: true });
    writeFileSync(join(unknown, 'notes.txt'), 'hi');
    // a model folder that does not exist: had the model loaded first, its error would show
    const r = d4rt('eval', unknown, '--model', join(dir, 'no-such-model'), '-q');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: readDataset: ".*holiday-photos" holds no ground-truth sequence in a supported layout; the layouts are: tapvid3d: .*; d4rt-clip: .*; pi3-room: .*; open3d-rgbd: .*; tum-rgbd: .*; sintel: .*; image-poses: .*It holds "notes\.txt"/);
    expect(r.stderr).not.toMatch(/no-such-model/);
    noStack(r.stderr);
    // the same order when a good input comes first
    const r2 = d4rt('eval', join(MODELS, 'fixtures/heldout-0'), unknown, '--model', join(dir, 'no-such-model'), '-q');
    expect(r2.stderr).toMatch(/holiday-photos" holds no ground-truth sequence/);
  });

  it('d4rt eval reads a TAPVid-3D .npz and an images + poses folder (ppm frames, poses.txt, depth/*.npy)', () => {
    const seq = join(dir, 'walk');
    mkdirSync(join(seq, 'depth'), { recursive: true });
    const W = 24, H = 16;
    const npy = (v: number): Buffer => {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${H}, ${W}), }`.padEnd(53) + '\n';
      const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
      return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(W * H).map((_, i) => v + (i % W) / W).buffer)]);
    };
    const poses: string[] = [];
    for (let t = 0; t < 5; t++) {
      const px = Buffer.alloc(W * H * 3);
      for (let i = 0; i < W * H; i++) px.set([(i * 7 + t * 30) & 255, (i * 3) & 255, 90], i * 3);
      writeFileSync(join(seq, `${t}.ppm`), Buffer.concat([Buffer.from(`P6\n${W} ${H}\n255\n`), px]));
      writeFileSync(join(seq, 'depth', `${t}.npy`), npy(2 + 0.1 * t));
      poses.push(`${t} ${0.1 * t} 0 ${0.02 * t} 0 0 0 1`);
    }
    writeFileSync(join(seq, 'poses.txt'), poses.join('\n') + '\n');
    const npz = resolve(here, '../../runtime-node/test/fixtures/tapvid3d/sample.npz');
    const json = join(dir, 'datasets.json');
    const r = d4rt('eval', npz, seq, '--no-prior', '--json', json, '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| sample \| model \|/);
    expect(r.stdout).toMatch(/\| walk \| model \|/);
    expect(r.stderr).toMatch(/d4rt eval: walk \(image-poses\): no intrinsics/);
    const results = JSON.parse(readFileSync(json, 'utf8')).results as Record<string, Record<string, number | null>>[];
    const [tap, walk] = [results[0]!.model!, results[1]!.model!];
    // TAPVid-3D: tracks and focal (and poses from extrinsics_w2c), no depth
    for (const k of ['apd3d', 'aj', 'oa', 'focalErr', 'ate']) expect(tap[k], `sample ${k}`).toEqual(expect.any(Number));
    expect(tap.absRel).toBeNull();
    // images + poses: poses and depth; no tracks, no intrinsics
    for (const k of ['absRel', 'delta1', 'ate', 'rpeTrans']) expect(walk[k], `walk ${k}`).toEqual(expect.any(Number));
    for (const k of ['apd3d', 'focalErr']) expect(walk[k], `walk ${k}`).toBeNull();
  }, 180_000);

  // found by pnpm -s fuzz: one source frame behind every model frame gave coincident camera centres,
  // and the Sim(3) fit's RangeError ("the predicted camera centres all coincide") ended the run
  it('d4rt eval of a one-frame sequence scores its poses as training does (no Sim(3) scale)', () => {
    const seq = join(dir, 'still');
    mkdirSync(seq, { recursive: true });
    const W = 24, H = 16;
    writeFileSync(join(seq, '0.ppm'), Buffer.concat([Buffer.from(`P6\n${W} ${H}\n255\n`), Buffer.alloc(W * H * 3, 120)]));
    writeFileSync(join(seq, 'poses.txt'), '0 0.5 0 0.2 0 0 0 1\n');
    const json = join(dir, 'still.json');
    const r = d4rt('eval', seq, '--no-prior', '--json', json, '-q');
    expect(r.code, r.stderr).toBe(0);
    const still = (JSON.parse(readFileSync(json, 'utf8')).results as Record<string, Record<string, number | null>>[])[0]!;
    // the spread of the ground-truth centres about their mean: one centre, 0; the identity baseline alike
    expect(still.model!.ate).toBe(0);
    expect(still.baselines!.identity).toMatchObject({ ate: 0 });
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

describe('whole videos (--all-frames, --fps)', () => {
  let clip: string;
  beforeAll(() => {
    clip = join(dir, 'clip40.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=20', '-frames:v', '40', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip);
  });

  it('depth --all-frames: one map per source frame, named by it, in one stitched scale', () => {
    const out = join(dir, 'all-depth');
    const r = d4rt('depth', clip, '--all-frames', '-o', out, '--stats');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/depth: 40 maps of 64x48 \(3 windows\)/);
    for (const k of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`^windows: ${k}/3$`, 'm'));
    const stats = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(stats).toMatchObject({ frames: 40 });
    expect(stats.maxRssMB).toBeGreaterThan(0);
    const names = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(6, '0')}.png`);
    expect(readdirSync(join(out, 'depth')).sort()).toEqual(names);
    expect(readdirSync(join(out, 'depth-color')).sort()).toEqual(names);
    const meta = JSON.parse(readFileSync(join(out, 'depth.json'), 'utf8'));
    expect(meta).toMatchObject({ frames: 40, width: 64, height: 48, windows: { count: 3, windowFrames: 16, overlap: 4, stride: 12 } });
    expect(meta.sourceFrames).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(meta.timestamps[39]).toBeCloseTo(39 / 20, 9);
    const npy = readFileSync(join(out, 'depth.npy'));
    expect(npy.subarray(0, 128).toString('latin1')).toMatch(/'shape': \(40, 48, 64\)/);
    expect(npy.length).toBe(128 + 40 * 48 * 64 * 4);
  }, 300_000);

  it('pose --fps: real timestamps in trajectory.tum, from a variable-frame-rate video', () => {
    const vfr = join(dir, 'vfr.mp4');
    // 30 frames at 10 fps, then a jump of 2 s: timestamps 0 .. 2.9, 5.0 .. 5.9
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '40', '-vf', "setpts='N+20*gte(N,30)'", '-fps_mode', 'passthrough', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', vfr);
    const out = join(dir, 'vfr-pose');
    const r = d4rt('pose', vfr, '--fps', '5', '-o', out, '-q');
    expect(r.code, r.stderr).toBe(0);
    const t = readFileSync(join(out, 'trajectory.tum'), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
    expect(t.slice(0, 3)).toEqual([0, 0.2, 0.4]);
    expect(t.slice(-5)).toEqual([5, 5.2, 5.4, 5.6, 5.8]);
    expect(t).toHaveLength(20);
    const cams = JSON.parse(readFileSync(join(out, 'cameras.json'), 'utf8'));
    expect(cams.frames).toBe(t.length);
  }, 300_000);

  it('track --all-frames --dense: tracks, an overlay of every frame, dense point clouds per frame and an animated GLB', () => {
    const out = join(dir, 'all-track');
    const r = d4rt('track', clip, '--all-frames', '--grid', '4', '--dense', '--dense-size', '16x12', '-o', out, '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dense: \d+ tracks, \d+ queries \(\d+\.\d % of the naive 122880\), coverage \d+\.\d %/);
    expect(readdirSync(out).sort()).toEqual(['dense', 'dense.glb', 'dense.json', 'tracks.json', 'tracks.mp4']);
    expect(readdirSync(join(out, 'dense'))).toHaveLength(40);
    const tracks = JSON.parse(readFileSync(join(out, 'tracks.json'), 'utf8'));
    expect(tracks).toMatchObject({ schema: 'd4rt-tracks/1', frames: 40, points: 16 });
    const dense = JSON.parse(readFileSync(join(out, 'dense.json'), 'utf8'));
    expect(dense.queryRatio).toBeLessThan(1);
    expect(dense.windows).toHaveLength(3);
    const glb = readFileSync(join(out, 'dense.glb'));
    expect(glb.subarray(0, 4).toString()).toBe('glTF');
    // the overlay plays every processed frame at the source's 20 fps
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-i', join(out, 'tracks.mp4'), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], { encoding: 'utf8' });
    expect(probe.stderr).toMatch(/, 20 fps/);
    expect(probe.stderr).toMatch(/frame=\s*40 /);
  }, 300_000);

  it('Ctrl-C mid-video leaves no partial output and no ffmpeg behind', async () => {
    const long = join(dir, 'long.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-frames:v', '300', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', long);
    const out = outDir('cancel');
    const child = spawn(process.execPath, [BIN, 'depth', long, '--all-frames', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolveCode) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        // once: a second Ctrl-C ends the process at once, as usual
        if (!sent && /windows: 2\/25/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => resolveCode(c));
    });
    expect(code, `${stderr} signal ${child.signalCode}`).toBe(130);
    expect(stderr).toMatch(/d4rt: cancelled by SIGINT; no output was written/);
    expect(stderr).not.toMatch(/windows: 25\/25/);
    onlyKeep(out);
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(ps).not.toContain(long);
  }, 300_000);
});

describe('single window outputs', () => {
  it('names depth files by source frame, plays tracks.mp4 at a watchable rate, scales to metres', () => {
    const out = join(dir, 'single');
    const r = d4rt('depth', DEMO_MP4, '-o', out, '-q', '--width', '24', '--height', '16', '--scale-from', 'depth:96,64,2.5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/metric scale: x[\d.e+-]+ from --scale-from depth/);
    expect(readdirSync(join(out, 'depth')).sort()).toEqual(Array.from({ length: 16 }, (_, i) => `${String(i).padStart(6, '0')}.png`));
    expect(JSON.parse(readFileSync(join(out, 'depth.json'), 'utf8')).units).toMatch(/^metres/);
    const t = join(dir, 'single-track');
    expect(d4rt('track', DEMO_MP4, '--grid', '2', '-o', t, '-q').code).toBe(0);
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-i', join(t, 'tracks.mp4')], { encoding: 'utf8' });
    // 16 frames of a 12 fps clip: 8 fps, 2 s
    expect(probe.stderr).toMatch(/, 8 fps/);
  }, 300_000);

  it('an image folder whose names are times gives those times in trajectory.tum', () => {
    const frames = join(dir, 'timed');
    mkdirSync(frames);
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '5', join(frames, 'f%d.png'));
    for (let i = 1; i <= 5; i++) copyFileSync(join(frames, `f${i}.png`), join(frames, `1305031102.${(100 + 33 * i).toString()}.png`));
    for (let i = 1; i <= 5; i++) rmSync(join(frames, `f${i}.png`));
    const out = join(dir, 'timed-pose');
    const r = d4rt('pose', frames, '-o', out, '-q');
    expect(r.code, r.stderr).toBe(0);
    const t = readFileSync(join(out, 'trajectory.tum'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(t).toEqual(['1305031102.133', '1305031102.166', '1305031102.199', '1305031102.232', '1305031102.265']);
  }, 300_000);
});
