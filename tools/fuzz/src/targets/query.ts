/**
 * The scene methods of the real model (one encoded demo clip per worker) with fuzzed inputs: query
 * tuples and track points holding NaN, +-Infinity, -0, 1 + 1e-7, frames out of range or not
 * integers, values of the wrong type, in arrays of every typed-array kind (and things that are not
 * arrays), with mismatched lengths; depth / pointCloud / cameras options at the edges; chunk sizes,
 * progress callbacks and signals of the wrong type, aborted signals; a disposed scene.
 *
 * Valid calls are kept small (at most a few hundred queries) so that most cases stay cheap.
 *
 * @module
 */
import type { QueryOptions, Scene } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, randomValue, show } from '../mutate.js';
import { sharedScene } from '../model.js';
import type { Rng } from '../rng.js';

/** Containers an array of numbers is passed in. */
const KINDS = {
  Array: 6,
  Float32Array: 4,
  Float64Array: 2,
  Int32Array: 2,
  Uint8Array: 0.5,
  Int8Array: 0.5,
  Uint16Array: 0.5,
  Int16Array: 0.5,
  Uint32Array: 0.5,
  Uint8ClampedArray: 0.5,
  BigInt64Array: 0.5,
  BigUint64Array: 0.3,
  'array-like': 0.5,
  'not-an-array': 0.6,
} as const;

/** Odd values put into otherwise valid arrays. */
const ODD_VALUES: readonly unknown[] = [NaN, Infinity, -Infinity, -0, 1 + 1e-7, -1e-7, 1, 0, 0.999999, 15, 16, -1, 15.5, 2 ** 31, 2 ** 32 + 1, -(2 ** 53), 1e300, '0.5', '3', '', null, undefined, true, 1n, Symbol('s'), {}, [0.5]];

/** The values an array holds, as `container` (typed arrays convert them the platform's way); `bad` when the container is not an array of numbers. */
function container(rng: Rng, values: unknown[]): { value: unknown; what: string; bad?: boolean } {
  const kind = rng.weighted(KINDS);
  switch (kind) {
    case 'Array': return { value: values, what: `Array(${values.length})` };
    case 'array-like': return { value: Object.assign({ length: values.length }, values), what: `array-like(${values.length})` };
    case 'not-an-array': {
      const v = rng.pick([null, undefined, 0.5, '0.5', {}, new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), new Set([0.5]), new Map(), () => 0, { length: -1 }, { length: 2 ** 32 }, { length: NaN }, { length: '3' }]);
      return { value: v, what: show(v), bad: true };
    }
    case 'BigInt64Array':
    case 'BigUint64Array': {
      const make = kind === 'BigInt64Array' ? BigInt64Array : BigUint64Array;
      const v = make.from(values.map((x) => (typeof x === 'number' && Number.isInteger(x) && Math.abs(x) < 2 ** 53 ? BigInt(Math.abs(x)) : 0n)));
      return { value: v, what: `${kind}(${v.length})`, bad: true };
    }
    default: {
      const make = globalThis[kind] as unknown as { from(a: ArrayLike<number>): ArrayLike<number> };
      const v = make.from(values.map((x) => (typeof x === 'number' ? x : NaN)));
      return { value: v, what: `${kind}(${v.length})` };
    }
  }
}

/** `n` valid values of a field (u, v in [0, 1]; frames in [0, T - 1]), some made odd. */
function fieldValues(rng: Rng, n: number, kind: 'uv' | 'frame', T: number, pOdd: number): { values: unknown[]; odd: string[] } {
  const odd: string[] = [];
  const values = Array.from({ length: n }, (_, i) => {
    if (rng.chance(pOdd)) {
      const v = rng.pick(ODD_VALUES);
      odd.push(`[${i}] = ${typeof v === 'symbol' ? 'Symbol' : typeof v === 'bigint' ? `${v}n` : show(v)}`);
      return v;
    }
    return kind === 'uv' ? rng.pick([0, 1, rng.next(), rng.next()]) : rng.int(0, T - 1);
  });
  return { values, odd };
}

/**
 * An object of number arrays with the given keys, fuzzed (kinds, odd values, lengths, missing keys);
 * `bad` when any of it is not allowed.
 */
function fuzzArrays(rng: Rng, fields: Record<string, 'uv' | 'frame'>, T: number): { value: unknown; what: string; bad: boolean } {
  let bad = false;
  const n = rng.pick([0, 1, 1, 2, 3, 5, 8, 17, 64]);
  const pOdd = rng.pick([0, 0, 0.02, 0.1, 0.5]);
  const out: Record<string, unknown> = {};
  const what: string[] = [];
  for (const [key, kind] of Object.entries(fields)) {
    if (rng.chance(0.03)) {
      what.push(`${key} missing`);
      bad = true;
      continue;
    }
    const len = rng.chance(0.08) ? rng.pick([0, n + 1, Math.max(0, n - 1), n * 2]) : n;
    const { values, odd } = fieldValues(rng, len, kind, T, pOdd);
    const numbers = values.map((x) => (typeof x === 'number' ? x : NaN));
    const c: { value: unknown; what: string; bad?: boolean } = rng.chance(0.7)
      ? { value: kind === 'uv' ? Float32Array.from(numbers) : Int32Array.from(numbers), what: `${kind === 'uv' ? 'Float32Array' : 'Int32Array'}(${len})` }
      : container(rng, values);
    if (len !== n || odd.length > 0 || c.bad) bad = true;
    if (odd.length > 0 && c.what.startsWith(kind === 'uv' ? 'Float32Array' : 'Int32Array') && !rng.chance(0.3)) {
      // keep the odd values visible: a plain array instead of the conversion
      c.value = values;
      c.what = `Array(${len})`;
    }
    out[key] = c.value;
    what.push(`${key}: ${c.what}${odd.length ? ` with ${odd.slice(0, 3).join(', ')}${odd.length > 3 ? '...' : ''}` : ''}`);
  }
  if (rng.chance(0.02)) {
    const v = rng.pick([null, undefined, [], 'queries', 42]);
    return { value: v, what: show(v), bad: true };
  }
  return { value: out, what: `{ ${what.join('; ')} }`, bad };
}

/** Common options: chunk size, progress, signal, usually absent or valid. */
function fuzzCommon(rng: Rng, ctx: CaseContext): { options: QueryOptions & Record<string, unknown>; what: string[] } {
  const o: Record<string, unknown> = {};
  const what: string[] = [];
  if (rng.chance(0.2)) o.chunkSize = rng.chance(0.5) ? rng.pick([1, 2, 7, 64, 4096]) : rng.pick([0, -1, 1.5, NaN, Infinity, '64', null, 2 ** 31, 2 ** 53]);
  if (o.chunkSize !== undefined && !(typeof o.chunkSize === 'number' && Number.isInteger(o.chunkSize) && o.chunkSize >= 1)) ctx.badArgument();
  if (rng.chance(0.05)) o.onProgress = rng.chance(0.5) ? () => undefined : randomValue(rng);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') ctx.badArgument();
  if (rng.chance(0.06)) {
    const s = rng.pick(['aborted', 'timeout', 'junk'] as const);
    if (s === 'aborted') {
      const c = new AbortController();
      c.abort(new Error('fuzz: aborted before the call'));
      ctx.expectOwnError(c.signal.reason);
      o.signal = c.signal;
    } else if (s === 'timeout') {
      const c = new AbortController();
      const reason = new Error('fuzz: aborted during the call');
      ctx.expectOwnError(reason);
      setTimeout(() => c.abort(reason), rng.int(0, 20)).unref();
      o.signal = c.signal;
    } else {
      o.signal = randomValue(rng);
      if (o.signal !== undefined) ctx.badArgument();
    }
    what.push(`signal ${s}`);
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'signal') what.push(`${k}: ${show(v)}`);
  return { options: o as QueryOptions & Record<string, unknown>, what };
}

/** Now and then options that are not an options object at all. */
function notAnObject(rng: Rng, ctx: CaseContext, options: Record<string, unknown>): Record<string, unknown> {
  if (!rng.chance(0.02)) return options;
  ctx.badArgument();
  return rng.pick([null, 5, 'fast', [], true]) as never;
}

/** Whether a grid size is allowed: an integer in [1, 16384]. */
const sizeAllowed = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16384;

/** Whether a list of model frames is allowed. */
const framesAllowed = (v: unknown, T: number): boolean =>
  v === undefined || (typeof v === 'object' && v !== null && typeof (v as ArrayLike<unknown>).length === 'number' && Array.from(v as ArrayLike<unknown>).every((f) => typeof f === 'number' && Number.isInteger(f) && f >= 0 && f < T));

/** A small grid size, or one that is not allowed. */
function size(rng: Rng): unknown {
  return rng.chance(0.85) ? rng.int(1, 6) : rng.pick([0, -1, 1.5, NaN, Infinity, '4', null, 16385, 2 ** 31, 1e9]);
}

/**
 * Grid sizes: mostly small; now and then the largest allowed side for both (16384 x 16384, over
 * 2^28 queries per frame: answering it is not an option, so the call must refuse it up front).
 */
function grid(rng: Rng): [unknown, unknown] {
  return rng.chance(0.03) ? [16384, 16384] : [size(rng), size(rng)];
}

/** A list of model frames, or something else. */
function frames(rng: Rng, T: number): unknown {
  if (rng.chance(0.8)) return Array.from({ length: rng.int(0, 3) }, () => rng.int(0, T - 1));
  return rng.pick([[T], [-1], [0.5], [NaN], ['1'], [0, 0], Int32Array.of(1, 2), Float64Array.of(2), 'all', 3, null, {}, { length: 2 }]);
}

export async function run(ctx: CaseContext): Promise<void> {
  const { rng } = ctx;
  const { model, video, scene: shared } = await sharedScene(ctx.seeds);
  const T = shared.frames;
  let scene: Scene = shared;
  if (rng.chance(0.02)) {
    scene = await model.encode(video);
    scene.dispose();
    ctx.describe('a disposed scene');
  }
  const method = rng.weighted({ query: 40, track: 25, depth: 12, cameras: 6, pointCloud: 8, frameOfSource: 4 });
  const common = fuzzCommon(rng, ctx);
  const opts = common.what.length ? `, ${common.what.join(', ')}` : '';
  switch (method) {
    case 'query': {
      const q = fuzzArrays(rng, { u: 'uv', v: 'uv', tSrc: 'frame', tTgt: 'frame', tCam: 'frame' }, T);
      if (q.bad) ctx.badArgument();
      ctx.describe(`Scene.query(${q.what}${opts})`);
      const r = await scene.query(q.value as never, notAnObject(rng, ctx, common.options));
      if (r.xyz.length !== r.count * 3) throw new Error(`Scene.query: xyz.length ${r.xyz.length} is not 3 x count ${r.count}`);
      return;
    }
    case 'track': {
      const p = fuzzArrays(rng, { u: 'uv', v: 'uv', frame: 'frame' }, T);
      const o: Record<string, unknown> = { ...common.options };
      if (rng.chance(0.3)) o.frame = rng.chance(0.7) ? rng.pick(['camera', 'world']) : rng.pick(['Camera', '', 0, null]);
      if (rng.chance(0.15)) o.referenceFrame = rng.chance(0.5) ? rng.int(0, T - 1) : rng.pick([T, -1, 0.5, NaN, '0', null]);
      const frameOk = o.frame === undefined || o.frame === 'camera' || o.frame === 'world';
      const refOk = o.referenceFrame === undefined || (typeof o.referenceFrame === 'number' && Number.isInteger(o.referenceFrame) && o.referenceFrame >= 0 && o.referenceFrame < T);
      if (p.bad || !frameOk || !refOk) ctx.badArgument();
      ctx.describe(`Scene.track(${p.what}, { frame: ${show(o.frame)}, referenceFrame: ${show(o.referenceFrame)}${opts} })`);
      await scene.track(p.value as never, notAnObject(rng, ctx, o));
      return;
    }
    case 'depth':
    case 'pointCloud': {
      const [width, height] = grid(rng);
      const o: Record<string, unknown> = { ...common.options, frames: frames(rng, T), width, height };
      if (rng.chance(0.05)) delete o.frames;
      if (method === 'pointCloud' && rng.chance(0.3)) o.minConfidence = rng.pick([0, 0.5, 1, -0, 1 + 1e-7, -1e-7, NaN, '0.5', null]);
      const confOk = o.minConfidence === undefined || (typeof o.minConfidence === 'number' && o.minConfidence >= 0 && o.minConfidence <= 1);
      if (!framesAllowed(o.frames, T) || !sizeAllowed(width) || !sizeAllowed(height) || !confOk) ctx.badArgument();
      ctx.describe(`Scene.${method}({ frames: ${show(o.frames)}, width: ${show(o.width)}, height: ${show(o.height)}, minConfidence: ${show(o.minConfidence)}${opts} })`);
      if (method === 'depth') await scene.depth(notAnObject(rng, ctx, o));
      else await scene.pointCloud(notAnObject(rng, ctx, o));
      return;
    }
    case 'cameras': {
      const [poseGrid, focalGrid] = grid(rng);
      const o: Record<string, unknown> = { ...common.options, poseGrid, focalGrid };
      if (!sizeAllowed(poseGrid) || !sizeAllowed(focalGrid)) ctx.badArgument();
      ctx.describe(`Scene.cameras({ poseGrid: ${show(o.poseGrid)}, focalGrid: ${show(o.focalGrid)}${opts} })`);
      await scene.cameras(notAnObject(rng, ctx, o));
      return;
    }
    default: {
      const s = rng.chance(0.5) ? rng.pick([...scene.sourceIndices]) : rng.pick(EDGE_NUMBERS);
      if (!scene.sourceIndices.includes(s)) ctx.badArgument();
      ctx.describe(`Scene.frameOfSource(${show(s)})`);
      scene.frameOfSource(s);
    }
  }
}
