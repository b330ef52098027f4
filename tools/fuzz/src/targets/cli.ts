/**
 * The `d4rt` command line on bad inputs into a fresh output folder: `depth`, `track`, `pose`,
 * `recon` on mutated videos, image folders with broken, unsupported or no images, missing paths,
 * with fuzzed options (sizes, grids, points files, frames, scales, devices, model folders, unknown
 * options); and `eval` on broken dataset folders. Runs `main()` in the worker, and every 8th case
 * as a child process (`node dist/bin.js`), whose death counts as a crash.
 *
 * The end is read as a user would: exit code 0 is a result; 2 with a usage message, or 1 / 2 with
 * `d4rt: <D4rtError name>: ...`, is named, and so is a TypeError / RangeError the CLI raised about its
 * own option (`d4rt: RangeError: d4rt depth: --scale-from ...`); a line with another error (an SDK
 * function's argument error means the CLI did not check an option) is unnamed. A failed run must
 * leave nothing on disk; a finished one only its output folder.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@d4rt/core';
import { main } from '@d4rt/cli';
import type { CaseContext, CaseEnd } from '../case.js';
import { leftovers, listTree } from '../disk.js';
import { mutateBytes } from '../mutate.js';
import type { Outcome } from '../outcome.js';
import type { Rng } from '../rng.js';
import { build, breakFolder, type Layout } from './dataset.js';
import { caseImage, pickFormat } from './image.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.resolve('@d4rt/cli'))), 'bin.js');

/** The names of the D4rtError subclasses core exports. */
const D4RT_NAMES = new Set(
  (Object.values(core) as unknown[])
    .filter((v): v is typeof core.D4rtError => typeof v === 'function' && v.prototype instanceof core.D4rtError)
    .map((c) => c.name),
);

/** The input of a video command: a file or a folder in `dir`; returns its path and what it is. */
async function makeInput(rng: Rng, ctx: CaseContext): Promise<{ input: string; what: string }> {
  const kind = rng.weighted({ video: 5, images: 3, missing: 0.5, text: 0.5, empty: 0.5 });
  if (kind === 'video') {
    const seed = rng.pick(['tiny.mp4', 'tiny-faststart.mp4', 'tiny.avi', 'tiny.webm']);
    let bytes: Uint8Array = await readFile(path.join(ctx.seeds, seed));
    // mostly broken: a clip that decodes runs the model, seconds per case
    const m = rng.chance(0.8) ? mutateBytes(rng, bytes) : null;
    if (m) bytes = m.bytes;
    const input = path.join(ctx.dir, `in${path.extname(seed)}`);
    await writeFile(input, bytes);
    return { input, what: `${seed}${m ? ` ${m.what}` : ''}` };
  }
  if (kind === 'images') {
    const folder = path.join(ctx.dir, 'frames');
    await mkdir(folder);
    const n = rng.int(1, 4);
    const format = pickFormat(rng);
    const what: string[] = [];
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.1)) {
        await writeFile(path.join(folder, `${i}.${rng.pick(['gif', 'heic', 'txt', 'exr'])}`), 'not an image');
        what.push('an odd file');
        continue;
      }
      const img = await caseImage(rng, ctx.seeds, folder, String(i).padStart(3, '0'), 0.5, format);
      what.push(img.what);
    }
    return { input: folder, what: `image folder [${what.join('; ')}]` };
  }
  if (kind === 'missing') return { input: path.join(ctx.dir, 'nothing.mp4'), what: 'a missing file' };
  if (kind === 'empty') {
    await mkdir(path.join(ctx.dir, 'empty'));
    return { input: path.join(ctx.dir, 'empty'), what: 'an empty folder' };
  }
  await writeFile(path.join(ctx.dir, 'notes.mp4'), 'not a video\n');
  return { input: path.join(ctx.dir, 'notes.mp4'), what: 'a text file named .mp4' };
}

/** Options of a video command: a few, each valid or not. */
async function videoOptions(rng: Rng, ctx: CaseContext, command: string): Promise<string[]> {
  const args: string[] = [];
  const opt = (name: string, values: readonly string[]): void => void args.push(`--${name}`, rng.pick(values));
  const sizes = ['4', '8', '1', '0', '-1', '1.5', 'abc', '', '16384', '16385', '1e9'];
  if (command === 'recon' || command === 'depth') {
    // keep the grids small: a full-size recon is 98,000 queries
    opt('width', rng.chance(0.8) ? ['4', '8'] : sizes);
    opt('height', rng.chance(0.8) ? ['4', '6'] : sizes);
  }
  if (command === 'track' && rng.chance(0.4)) opt('grid', ['1', '3', '0', '257', 'x', '-2']);
  if (command === 'track' && rng.chance(0.2)) {
    const file = path.join(ctx.dir, 'points.json');
    await writeFile(file, rng.pick(['[[0.5,0.5,0]]', '[[0.5,0.5,99]]', '[[NaN,0,0]]', '[[1.0000001,0,0]]', '[]', '{}', '[[0.5,0.5]]', '[["0.5",0.5,0]]', '[[0.5,0.5,-1]]', '[[0.5,0.5,0.5]]', 'not json']));
    args.push('--points', file);
  }
  if (command === 'track' && rng.chance(0.15)) opt('frame', ['camera', 'world', 'both']);
  if (command === 'track' && rng.chance(0.15)) opt('query-frame', ['0', '15', '16', '-1', '1e3']);
  // (not 1: pose's 17,000 camera queries one decoder run each take minutes, a slow run but no hang)
  if (rng.chance(0.15)) opt('chunk-size', ['64', '1048576', '0', '-5', '2.5', '1048577']);
  if (rng.chance(0.1)) opt('device', ['cpu', 'cuda', 'gpu', '']);
  if (rng.chance(0.1)) opt('threads', ['1', '0', '2000', 'many']);
  if (rng.chance(0.1)) opt('fps', ['2', '0', '-1', '1e9', 'NaN']);
  if (rng.chance(0.1)) args.push('--all-frames');
  if (rng.chance(0.08)) opt('overlap', ['1', '4', '15', '16', '0']);
  if (rng.chance(0.1)) opt('scale-from', ['height:1.6', 'depth:1,1,2', 'distance:0,0,5,5,1', 'depth:999,999,2', 'height:-1', 'height:NaN', 'distance:1,1,1,1,1', 'depth:1,1,2@99', 'width:3']);
  if (command === 'recon' && rng.chance(0.2)) opt('min-confidence', ['0.5', '1', '-0.1', '2', 'x']);
  if (command === 'track' && rng.chance(0.1)) args.push('--dense', ...(rng.chance(0.5) ? ['--dense-size', rng.pick(['4x4', '1x1', '8', '2000x2'])] : []));
  if (rng.chance(0.08)) {
    const model = path.join(ctx.dir, 'model');
    const kind = rng.pick(['missing', 'empty', 'garbage', 'file'] as const);
    if (kind === 'empty') await mkdir(model);
    if (kind === 'garbage') {
      await mkdir(model);
      await writeFile(path.join(model, 'manifest.json'), rng.pick(['{', '{"format":"d4rt-model/2"}', '[]', '']));
    }
    if (kind === 'file') await writeFile(model, 'x');
    args.push('--model', model);
  }
  if (rng.chance(0.05)) args.push(rng.pick(['--frames', '--unknown', '--scale=2', '-x', 'extra-positional']));
  if (rng.chance(0.05)) args.push('--stats');
  return args;
}

/** How a run of the CLI ended, from its exit code and its last `d4rt: Name: message` line. */
function readEnd(code: number | null, signal: string | null, stderr: string, strict: boolean): Outcome {
  if (signal) return { kind: 'crash', message: `the CLI was killed by ${signal}` };
  if (/^\s+at .+:\d+:\d+\)?$/m.test(stderr) && !/^d4rt: /m.test(stderr)) return { kind: 'crash', message: `the CLI died with a stack trace: ${stderr.trim().split('\n').slice(0, 3).join(' | ')}` };
  if (code === 0) return { kind: 'result' };
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const named = lines.map((l) => /^d4rt: (\w+): (.*?)( \(set D4RT_DEBUG=1 for details\))?$/.exec(l)).filter((m) => m !== null).at(-1);
  if (named) {
    const [, name, message] = named;
    if (D4RT_NAMES.has(name!)) return { kind: 'named', name: name!, message: message! };
    // a TypeError / RangeError the CLI raised itself about its own option (`d4rt depth: --scale-from ...`);
    // one from an SDK function means the CLI passed a value on without checking it
    if (!strict && (name === 'TypeError' || name === 'RangeError') && /^d4rt \w+: /.test(message!)) return { kind: 'named', name: `${name} (usage)`, message: message! };
    return { kind: 'unnamed', name: name!, message: message! };
  }
  if (code === 2 && lines.some((l) => /^d4rt \w+: /.test(l))) return { kind: 'named', name: 'UsageError' };
  if (code === 1 || code === 2) return { kind: 'unnamed', name: 'Error', message: `exit code ${code} without an error line: ${lines.at(-1) ?? '(no output)'}` };
  return { kind: 'crash', message: `the CLI exited with code ${code}: ${lines.at(-1) ?? '(no output)'}` };
}

/** Runs `main(argv)` here, with stdout and stderr captured. */
async function inProcess(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out = process.stdout.write, err = process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Runs `node bin.js argv` (a minute at most). */
function spawned(argv: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...argv], { timeout: 60_000, maxBuffer: 1 << 24, env: { ...process.env, D4RT_DEBUG: '' } }, (error, _stdout, stderr) => {
      const e = error as (Error & { code?: number | string; signal?: string | null }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stderr });
    });
  });
}

export async function run(ctx: CaseContext): Promise<CaseEnd> {
  const { rng } = ctx;
  const out = path.join(ctx.dir, 'out');
  // pose and recon fit cameras (17,000 queries) and eval runs the model on every frame: fewer of them
  const command = rng.weighted({ depth: 3, track: 3, pose: 1, recon: 1, eval: 0.7 });
  let argv: string[];
  let what: string;
  if (command === 'eval') {
    const layout = rng.pick<Layout>(['tum', 'sintel', 'image-poses', 'clip', 'pi3-room']);
    const seq = path.join(ctx.dir, 'sequence');
    await mkdir(seq);
    const input = await build(rng, layout, seq, ctx.seeds, rng.int(1, 3));
    const broken: string[] = [];
    for (let k = rng.chance(0.1) ? 0 : rng.int(1, 2); k > 0; k--) broken.push(await breakFolder(rng, seq));
    argv = ['eval', input, '--no-prior', '-q', '--json', path.join(out, 'eval.json')];
    if (rng.chance(0.2)) argv.push('--intrinsics', rng.pick(['30,30,11.5,7.5', '0,0,0,0', 'NaN,1,1,1', '1,2,3']));
    if (rng.chance(0.5)) await mkdir(out);
    what = `${layout}${broken.length ? ` (${broken.join('; ')})` : ''}`;
  } else {
    const input = await makeInput(rng, ctx);
    argv = [command, input.input, '-q', '-o', out, ...(await videoOptions(rng, ctx, command))];
    what = input.what;
  }
  const child = Number(ctx.id.split(':')[1]) % 8 === 0;
  const shownArgs = argv.map((a) => (a.startsWith(ctx.dir) ? `<case>${a.slice(ctx.dir.length)}` : a)).join(' ');
  ctx.describe(`${child ? 'node bin.js' : 'main'}(d4rt ${shownArgs}) on ${what}`);
  const before = await listTree(ctx.dir);
  const end = child ? await spawned(argv) : { ...(await inProcess(argv)), signal: null };
  const outcome = readEnd(end.code, end.signal, end.stderr, ctx.strict);
  const outRel = path.relative(ctx.dir, out);
  ctx.leftover(leftovers(before, await listTree(ctx.dir), (rel) => end.code === 0 && (rel === `${outRel}/` || rel.startsWith(`${outRel}/`))));
  return { outcome };
}
