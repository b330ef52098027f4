/**
 * Copies what the docs site serves as static files into `public/` (all git-ignored):
 * - `public/models/d4rt-tiny/`: the embedded reference model (manifest.json and every graph it names)
 *   and its model card's pictures (heldout-figure.png, training-curves.png);
 * - `public/fixtures/demo/`: the bundled demo clip (demo.mp4), its description (clip.json) and its
 *   ground-truth depth (depth.f32, the demo draws it beside the prediction);
 * - `public/ort/`: onnxruntime-web's wasm runtime files.
 * Writes into a temporary folder first and renames, so an interrupted run leaves no half-copied tree.
 */
import { cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const publicDir = path.resolve(here, '../public');
const modelDir = path.dirname(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'));
const demoDir = path.dirname(require.resolve('@d4rt/models/fixtures/demo/demo.mp4'));
const ortDir = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

async function place(name, fill) {
  const target = path.join(publicDir, name);
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp);
  await rm(target, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  await rename(tmp, target);
}

const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8'));
await place('models/d4rt-tiny', async (dir) => {
  // Every graph the manifest names (loadModel fetches them all: encoder, decoder, and the K/V or
  // tracker graph when there is one), and the model card's pictures for the reference-model page.
  for (const f of ['manifest.json', ...Object.values(manifest.files), 'heldout-figure.png', 'training-curves.png']) {
    await cp(path.join(modelDir, f), path.join(dir, f));
  }
});
await place('fixtures/demo', async (dir) => {
  for (const f of ['demo.mp4', 'clip.json', 'depth.f32']) await cp(path.join(demoDir, f), path.join(dir, f));
});
await place('ort', async (dir) => {
  // The plain SIMD-threaded runtime (device 'wasm') and the asyncify build (device 'webgpu').
  for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs']) {
    await cp(path.join(ortDir, f), path.join(dir, f));
  }
});
console.log(`prepare: public/models/d4rt-tiny, public/fixtures/demo, public/ort ready`);
