/**
 * `parseManifest` on mutated copies of the shipped `d4rt-tiny` manifest: one to four structural
 * mutations (missing, extra and retyped keys, edge-case and huge numbers, arrays of the wrong
 * length), sometimes kept consistent (the clip size changed in every place that repeats it), and
 * now and then a random JSON value instead of a manifest.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseManifest } from '@d4rt/core';
import type { CaseContext } from '../case.js';
import { EDGE_NUMBERS, mutateJson, randomValue, show } from '../mutate.js';
import type { Rng } from '../rng.js';

const require = createRequire(import.meta.url);

/** The shipped manifest's text. */
export const MANIFEST_TEXT = readFileSync(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'), 'utf8');

/** A parsed manifest, reached into freely (its shape is whatever the mutations made it). */
type Manifest = Record<string, any>;

/**
 * A changed clip or memory size written everywhere the format repeats it, so that the manifest
 * stays self-consistent and the checks further on (graph shapes, allocation) are reached.
 */
function consistentChange(rng: Rng, m: Manifest): string {
  const v = rng.pick([0, 1, 2, 3, 7, 1024, 65536, 2 ** 31, 1e9, 1e15, 2 ** 53, 1e300, 1.5, -4]);
  const which = rng.pick(['frames', 'height', 'width', 'tokens', 'channels', 'patch'] as const);
  const video = m.encoder?.inputs?.video?.shape, memory = [m.encoder?.outputs?.memory?.shape, m.decoder?.inputs?.memory?.shape];
  if (which === 'frames') {
    m.clip.frames = v;
    if (video) video[1] = v;
  } else if (which === 'height' || which === 'width') {
    m.clip[which] = v;
    m.patch[which] = v;
    if (video) video[which === 'height' ? 3 : 4] = v;
  } else if (which === 'patch') {
    m.patch.size = v;
    const p = m.decoder?.inputs?.patches?.shape;
    if (p) p[2] = 3 * v * v;
  } else {
    m.memory[which] = v;
    for (const s of memory) if (s) s[which === 'tokens' ? 1 : 2] = v;
  }
  return `consistent ${which} = ${show(v)}`;
}

/** A mutated manifest value and what was done to it. */
export function mutatedManifest(rng: Rng): { value: unknown; what: string[] } {
  if (rng.chance(0.05)) {
    const value = rng.chance(0.5) ? randomValue(rng) : rng.pick(EDGE_NUMBERS);
    return { value, what: [`a random value ${show(value)}`] };
  }
  const m = JSON.parse(MANIFEST_TEXT) as Manifest;
  const what: string[] = [];
  if (rng.chance(0.25)) what.push(consistentChange(rng, m));
  for (let k = rng.int(what.length ? 0 : 1, 4); k > 0; k--) what.push(mutateJson(rng, m));
  return { value: m, what };
}

export async function run(ctx: CaseContext): Promise<void> {
  const { value, what } = mutatedManifest(ctx.rng);
  ctx.describe(`parseManifest(d4rt-tiny manifest with ${what.join('; ')})`);
  parseManifest(value);
}
