/**
 * Faults found by trying the CLI as a new user would (issue 15): each test runs the built CLI in a
 * child process, as a user does, and fails on the old behaviour.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCudaProvider } from '@d4rt/runtime-node';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const DEMO_MP4 = resolve(here, '../../models/fixtures/demo/demo.mp4');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-new-user-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: options.cwd ?? dir, env: { ...process.env, D4RT_DEBUG: '', ...options.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('d4rt --help', () => {
  it('starts every command summary in one column', () => {
    const r = d4rt(['--help']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('  d4rt '));
    expect(rows.map((l) => l.trim().split(' ')[1])).toEqual(['demo', 'depth', 'track', 'pose', 'recon', 'eval', 'bench', 'convert']);
    const columns = new Set(rows.map((l) => /^ {2}\S.*?\S {2,}(?=\S)/.exec(l)![0].length));
    expect(columns.size).toBe(1);
  });
});

describe('a failed run leaves nothing behind', () => {
  it('track --query-frame 16 (the model has 16 frames): a usage error and no output folder', () => {
    const r = d4rt(['track', DEMO_MP4, '--query-frame', '16', '-o', 'out-x', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/d4rt track: --query-frame \(16\) must be a model frame in \[0, 15\]/);
    expect(existsSync(join(dir, 'out-x'))).toBe(false);
  });

  it('an error while writing removes the output folder (and parents) it created', () => {
    const pts = join(dir, 'outside.json');
    writeFileSync(pts, JSON.stringify([[1.5, 0.2, 0]]));
    const r = d4rt(['track', DEMO_MP4, '--points', pts, '-o', 'new-parent/out-y', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidQueryError: Scene\.track: queries\.u\[0\] \(1\.5\) must be in \[0, 1\]/);
    expect(existsSync(join(dir, 'new-parent'))).toBe(false);
  });
});

describe('inputs are checked before the model loads', () => {
  it('a missing video is reported even when the model could not load', () => {
    const r = d4rt(['depth', 'nope.mp4', '--model', join(dir, 'no-model'), '-o', 'out-z', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: openVideo: "nope\.mp4" does not exist/);
    expect(r.stderr).not.toMatch(/ModelLoadError/);
  });

  it('a missing --points file too', () => {
    const r = d4rt(['track', DEMO_MP4, '--points', 'nope.json', '--model', join(dir, 'no-model'), '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--points "nope\.json" is not a readable JSON file/);
  });
});

describe('--device cuda without CUDA', () => {
  it.skipIf(hasCudaProvider())('prints only our BackendUnavailableError, not onnxruntime\'s log', () => {
    const r = d4rt(['pose', DEMO_MP4, '--device', 'cuda', '-o', 'out-cuda', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^d4rt: BackendUnavailableError: createSessionsWithFallback: no backend could load the model; tried 1:\n {2}- onnxruntime-node:cuda: the CUDA execution provider is not installed: .* or use device 'cpu'$/);
    expect(r.stderr).not.toMatch(/onnxruntime_src|\[E:onnxruntime|\x1b\[/);
    expect(existsSync(join(dir, 'out-cuda'))).toBe(false);
  });
});

describe('a folder of images', () => {
  const ffmpeg = (...args: string[]): void => {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  };

  it.each(['ppm', 'pgm', 'bmp', 'tiff', 'webp'])('of .%s frames gives cameras', (ext) => {
    const frames = join(dir, `frames-${ext}`);
    mkdirSync(frames);
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '3', join(frames, 'f%03d.png'));
    for (let i = 1; i <= 3; i++) {
      const png = join(frames, `f00${i}.png`);
      ffmpeg('-i', png, ...(ext === 'webp' ? ['-lossless', '1'] : []), join(frames, `f00${i}.${ext}`));
      rmSync(png);
    }
    writeFileSync(join(frames, 'notes.txt'), 'not a frame, left out');
    const out = join(dir, `out-${ext}`);
    const r = d4rt(['pose', frames, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'cameras.json'), 'utf8'))).toMatchObject({ width: 64, height: 48, sourceFrames: expect.arrayContaining([0, 1, 2]) });
  });

  it('with images in an unsupported format names them', () => {
    const frames = join(dir, 'frames-gif');
    mkdirSync(frames);
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '2', join(frames, 'f%03d.png'));
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '1', join(frames, 'f003.gif'));
    const r = d4rt(['pose', frames, '-o', 'out-gif', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: the folder ".*frames-gif" holds 1 image in a format the readers do not decode: "f003\.gif"; the supported formats are PNG, JPEG, WebP, TIFF \(sharp\); PPM, PGM, PBM, PAM, BMP \(ffmpeg\): \.png .* \.bmp/);
    expect(existsSync(join(dir, 'out-gif'))).toBe(false);
  });

  it('with no image says what it holds', () => {
    const frames = join(dir, 'frames-none');
    mkdirSync(frames);
    writeFileSync(join(frames, 'rgb.txt'), '');
    const r = d4rt(['pose', frames, '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidVideoError: the folder ".*frames-none" holds no image to read as frames \(it holds "rgb\.txt"\); the supported formats are/);
  });
});

describe('depth outputs a person can read', () => {
  it('16-bit PNGs use the 16-bit range (recoverable with png.scale), colour images at the source size with a legend, depth.json says which end is near', () => {
    const r = d4rt(['depth', DEMO_MP4, '-o', 'out-depth', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'out-depth');
    const meta = JSON.parse(readFileSync(join(out, 'depth.json'), 'utf8'));
    expect(meta.color).toMatchObject({ colormap: 'turbo', near: expect.stringMatching(/^red/), far: expect.stringMatching(/^dark blue/), legend: expect.stringMatching(/near on the left/) });
    // decode the PNGs with ffmpeg (the CLI's tests do not depend on sharp)
    const raw = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(out, 'depth', '000000.png'), '-f', 'rawvideo', '-pix_fmt', 'gray16le', 'pipe:1']).stdout;
    const stored = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const plane = meta.width * meta.height;
    expect(stored.length).toBe(plane);
    expect(Math.max(...stored)).toBeGreaterThan(30000);
    const npy = readFileSync(join(out, 'depth.npy'));
    const depth = new Float32Array(npy.buffer.slice(npy.byteOffset + npy.length - meta.frames * plane * 4, npy.byteOffset + npy.length)).subarray(0, plane);
    for (let i = 0; i < plane; i += 7) expect(Math.abs(stored[i]! / meta.png.scale - depth[i]!)).toBeLessThanOrEqual(0.5 / meta.png.scale + 1e-6);
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-i', join(out, 'depth-color', '000000.png')], { encoding: 'utf8' }).stderr;
    const [, w, h] = /Video: png.*?, (\d+)x(\d+)/.exec(probe)!;
    expect(Number(w)).toBe(192); // the demo clip is 192 x 128
    expect(Number(h)).toBeGreaterThan(128);
    expect(meta.color.height).toBe(Number(h));
    expect(meta.color.picture).toEqual({ width: 192, height: 128 });
  });
});
