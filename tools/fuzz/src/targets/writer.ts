/**
 * The atomic writers: `writeOutputFolder` with writers that write some files (with good or bad
 * arguments) and then fail, into a new or an existing folder; and the file writers (`writeNpy`,
 * `writeJson`, `writeDepthPng`, `writeRgbPng`, `createNpyWriter`) with bad arguments. Whatever the
 * end, nothing may be left that was not there before, except what a finished write wrote.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createNpyWriter, writeDepthPng, writeJson, writeNpy, writeOutputFolder, writeRgbPng } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { leftovers, listTree } from '../disk.js';
import { EDGE_NUMBERS, randomValue, show } from '../mutate.js';
import type { Rng } from '../rng.js';

/** A dimension: usually right, sometimes not. */
const dim = (rng: Rng, right: number): unknown => (rng.chance(0.8) ? right : rng.chance(0.7) ? rng.pick(EDGE_NUMBERS) : randomValue(rng));

/** A value that is not JSON: a cycle. */
function cycle(): unknown {
  const c: Record<string, unknown> = {};
  c.self = c;
  return c;
}

/** A size the writers allow: an integer >= 1. */
const sizeOk = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
/** Dimensions of an array the writers allow: integers >= 0. */
const dimsOk = (dims: unknown[]): boolean => dims.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
const product = (dims: unknown[]): number => dims.reduce<number>((p, v) => p * (v as number), 1);

/**
 * One file write (arguments usually right) into the folder it is given; returns what it does and
 * whether an argument is not allowed (`bad`).
 */
function oneWrite(rng: Rng, k: number): { what: string; bad: boolean; run: (dir: string) => Promise<unknown> } {
  const w = 4, h = 3;
  const kind = rng.pick(['npy', 'json', 'depth', 'rgb', 'stream'] as const);
  // the destination folder exists, as the writers require (a missing one is the file system's error)
  const rel = rng.chance(0.95) ? `f${k}` : '';
  const at = (dir: string, ext: string): string => (rel === '' ? '' : `${path.join(dir, rel)}.${ext}`);
  switch (kind) {
    case 'npy': {
      const data = rng.chance(0.85) ? new Float32Array(w * h) : randomValue(rng);
      const shape = rng.chance(0.8) ? [h, w] : [dim(rng, h), dim(rng, w)];
      const bad = rel === '' || !(data instanceof Float32Array) || !dimsOk(shape) || product(shape) !== w * h;
      return { what: `writeNpy(${show(rel)}, ${show(data)}, [${shape.map(show).join(', ')}])`, bad, run: (dir) => writeNpy(at(dir, 'npy'), data as Float32Array, shape as number[]) };
    }
    case 'json': {
      const good = rng.chance(0.8);
      const value = good ? { a: [1, NaN, -0], b: new Float32Array(2) } : rng.pick([undefined, 1n, cycle(), () => 0]);
      return { what: `writeJson(${show(rel)}, ${show(value)})`, bad: rel === '' || !good, run: (dir) => writeJson(at(dir, 'json'), value) };
    }
    case 'depth': {
      const depth = rng.chance(0.85) ? Float32Array.from({ length: w * h }, (_, i) => rng.pick([1, 0, -1, NaN, Infinity, 1e9, i])) : randomValue(rng);
      const o = { width: dim(rng, w), height: dim(rng, h), ...(rng.chance(0.3) && { scale: dim(rng, 1000) }) };
      const scaleOk = !('scale' in o) || (typeof o.scale === 'number' && Number.isFinite(o.scale) && o.scale > 0);
      const bad = rel === '' || !(depth instanceof Float32Array) || !sizeOk(o.width) || !sizeOk(o.height) || depth.length !== (o.width as number) * (o.height as number) || !scaleOk;
      return { what: `writeDepthPng(${show(rel)}, ${show(depth)}, { ${Object.entries(o).map(([x, v]) => `${x}: ${show(v)}`).join(', ')} })`, bad, run: (dir) => writeDepthPng(at(dir, 'png'), depth as Float32Array, o as never) };
    }
    case 'rgb': {
      const channels = rng.chance(0.8) ? rng.pick([3, 4]) : rng.pick([1, 2, 5, 0, NaN]);
      const pixels = new Uint8Array(w * h * (Number.isInteger(channels) && channels > 0 ? channels : 3));
      const o = { width: dim(rng, w), height: dim(rng, h), channels };
      const bad = rel === '' || (channels !== 3 && channels !== 4) || !sizeOk(o.width) || !sizeOk(o.height) || pixels.length !== (o.width as number) * (o.height as number) * channels;
      return { what: `writeRgbPng(${show(rel)}, { ${Object.entries(o).map(([x, v]) => `${x}: ${show(v)}`).join(', ')} })`, bad, run: (dir) => writeRgbPng(at(dir, 'png'), pixels, o as never) };
    }
    default: {
      const shape = rng.chance(0.8) ? [2, 3] : [dim(rng, 2), dim(rng, 3)];
      const pieces = Array.from({ length: rng.int(0, 3) }, () => new Float32Array(rng.pick([3, 3, 2, 6])));
      const end = rng.pick(['close', 'close', 'abort', 'none'] as const);
      const sum = pieces.reduce((a, p) => a + p.length, 0);
      const bad = rel === '' || !dimsOk(shape) || sum > product(shape) || (end === 'close' && sum !== product(shape));
      return {
        bad,
        what: `createNpyWriter(${show(rel)}, [${shape.map(show).join(', ')}]) + ${pieces.map((p) => p.length).join('+') || 'nothing'}, ${end}`,
        run: async (dir) => {
          const writer = await createNpyWriter(at(dir, 'npy'), { dtype: 'float32', shape: shape as number[] });
          try {
            for (const p of pieces) await writer.write(p);
            if (end === 'close') await writer.close();
          } finally {
            if (end !== 'close') await writer.abort();
          }
        },
      };
    }
  }
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng, dir } = ctx;
  const out = path.join(dir, rng.chance(0.3) ? 'a/b/out' : 'out');
  if (rng.chance(0.5)) {
    // an existing output folder with a file the write may replace
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'f0.json'), '"old"\n');
  }
  if (rng.chance(0.3)) {
    // a file writer on its own: a failed write leaves nothing, a finished one its file
    await mkdir(out, { recursive: true });
    const before = await listTree(dir);
    const w = oneWrite(rng, 0);
    if (w.bad) ctx.badArgument();
    ctx.describe(w.what);
    try {
      await w.run(out);
    } catch (error) {
      ctx.leftover(leftovers(before, await listTree(dir)));
      throw error;
    }
    ctx.leftover(leftovers(before, await listTree(dir), (rel) => /^(a\/b\/)?out\/f0\.\w+$/.test(rel)));
    return;
  }
  const before = await listTree(dir);
  const writes = Array.from({ length: rng.int(0, 4) }, (_, k) => oneWrite(rng, k));
  const failAt = rng.chance(0.5) ? rng.int(0, writes.length) : -1;
  const failure = new Error('fuzz: the writer failed part-way');
  if (failAt >= 0) ctx.expectOwnError(failure);
  if (writes.some((w, k) => w.bad && (failAt < 0 || k < failAt))) ctx.badArgument();
  ctx.describe(`writeOutputFolder(${show(path.relative(dir, out))}, [${writes.map((w) => w.what).join('; ')}]${failAt >= 0 ? `, fails after ${failAt}` : ''})`);
  let files: string[];
  try {
    files = await writeOutputFolder(out, async (tmp) => {
      for (let k = 0; k < writes.length; k++) {
        if (k === failAt) throw failure;
        await writes[k]!.run(tmp);
      }
      if (failAt === writes.length) throw failure;
    });
  } catch (error) {
    ctx.leftover(leftovers(before, await listTree(dir)));
    throw error;
  }
  const written = [path.relative(dir, out), ...files.map((f) => path.relative(dir, f))];
  ctx.leftover(leftovers(before, await listTree(dir), (rel) => written.some((f) => f === rel || `${f}/`.startsWith(rel))));
}
