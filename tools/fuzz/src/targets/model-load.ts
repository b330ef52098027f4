/**
 * `loadModel` on a model folder made for the case: the real `encoder.onnx` / `decoder.onnx` (linked)
 * beside a mutated `manifest.json` (broken text, or a mutated structure), sometimes with a graph
 * missing, truncated or flipped, or a folder where a file should be.
 *
 * @module
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { embeddedModelPath, loadModel } from '@d4rt/runtime-node';
import type { CaseContext } from '../case.js';
import { mutateBytes, mutateText } from '../mutate.js';
import { MANIFEST_TEXT, mutatedManifest } from './manifest.js';

export async function run(ctx: CaseContext): Promise<void> {
  const { rng, dir } = ctx;
  const what: string[] = [];
  const src = embeddedModelPath();
  const manifest = rng.weighted({ text: 3, structure: 4, shipped: 2 });
  if (manifest === 'text') {
    const t = mutateText(rng, MANIFEST_TEXT);
    await writeFile(path.join(dir, 'manifest.json'), t.text);
    what.push(`manifest.json: ${t.what}`);
  } else if (manifest === 'structure') {
    const m = mutatedManifest(rng);
    // JSON.stringify drops undefined and writes NaN / Infinity as null, as a hand-edited file would
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m.value) ?? '');
    what.push(`manifest.json: ${m.what.join('; ')}`);
  } else await writeFile(path.join(dir, 'manifest.json'), MANIFEST_TEXT);
  // every graph the shipped manifest names (the tracker's too)
  for (const graph of Object.values((JSON.parse(MANIFEST_TEXT) as { files: Record<string, string> }).files)) {
    const change = rng.weighted({ link: 8, missing: 1, mutated: 1, folder: 0.3 });
    const to = path.join(dir, graph);
    if (change === 'link') await symlink(path.join(src, graph), to);
    else if (change === 'folder') await mkdir(to);
    else if (change === 'mutated') {
      const m = mutateBytes(rng, await readFile(path.join(src, graph)));
      await writeFile(to, m.bytes);
      what.push(`${graph}: ${m.what}`);
    }
    if (change !== 'link' && change !== 'mutated') what.push(`${graph}: ${change}`);
  }
  ctx.describe(`loadModel(folder with ${what.join('; ') || 'the shipped files'})`);
  const model = await loadModel(dir, { device: 'cpu', threads: 1 });
  await model.dispose();
}
