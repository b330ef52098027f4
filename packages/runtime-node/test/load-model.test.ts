/** loadModel on invalid model folders and unavailable devices: named errors that say what is wrong. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ModelLoadError, UnsupportedModelError } from '@d4rt/core';
import { embeddedModelPath, hasCudaProvider, loadModel } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'd4rt-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string | 'copy'>): string {
  const f = join(dir, name);
  mkdirSync(f);
  for (const [file, content] of Object.entries(files)) {
    if (content === 'copy') copyFileSync(join(embeddedModelPath(), file), join(f, file));
    else writeFileSync(join(f, file), content);
  }
  return f;
}

describe('loadModel', () => {
  it('loads the embedded model and names its backend', async () => {
    const m = await loadModel(undefined, { device: 'cpu', threads: 1 });
    expect(m.manifest.name).toBe('d4rt-tiny');
    expect(m.backend).toBe('onnxruntime-node:cpu');
    expect(m.loadedFrom).toEqual({ manifest: join(embeddedModelPath(), 'manifest.json'), manifestFrom: 'file', verified: false });
    await m.dispose();
    await m.dispose();
    await expect(m.encode({ data: new Uint8Array(12), frames: 1, width: 2, height: 2 })).rejects.toThrow(/D4rtModel\.encode: the model was disposed/);
  });

  it.each([
    ['a missing folder', () => join(dir, 'nothing'), ModelLoadError, /model folder '.*nothing' does not exist/],
    ['a file instead of a folder', () => folder('file-parent', { 'x.txt': 'x' }) + '/x.txt', ModelLoadError, /is not a folder; pass the folder that holds manifest\.json/],
    ['no manifest', () => folder('empty', {}), ModelLoadError, /manifest '.*manifest\.json' does not exist; a d4rt-model\/1 folder holds manifest\.json, encoder\.onnx and decoder\.onnx/],
    ['a manifest that is not JSON', () => folder('text', { 'manifest.json': 'hello' }), ModelLoadError, /manifest\.json' is not valid JSON/],
    ['another format version', () => folder('v2', { 'manifest.json': '{"format":"d4rt-model/2"}' }), UnsupportedModelError, /manifest\.format \("d4rt-model\/2"\) must be 'd4rt-model\/1'/],
    ['a missing graph', () => folder('no-decoder', { 'manifest.json': 'copy', 'encoder.onnx': 'copy' }), ModelLoadError, /decoder graph '.*decoder\.onnx' does not exist/],
    ['graphs swapped (wrong tensor names)', () => {
      const f = folder('swapped', { 'manifest.json': 'copy', 'tracker.onnx': 'copy' });
      copyFileSync(join(embeddedModelPath(), 'decoder.onnx'), join(f, 'encoder.onnx'));
      copyFileSync(join(embeddedModelPath(), 'encoder.onnx'), join(f, 'decoder.onnx'));
      return f;
    }, UnsupportedModelError, /the encoder has no input 'video'/],
    ['a graph that is not ONNX', () => folder('corrupt', { 'manifest.json': 'copy', 'encoder.onnx': 'junk', 'decoder.onnx': 'junk', 'tracker.onnx': 'copy' }), BackendUnavailableError, /no backend could load the model; tried 1:\n {2}- onnxruntime-node:cpu: /],
  ])('rejects %s', async (_name, make, type, message) => {
    const err = await loadModel(make(), { device: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });

  it.skipIf(hasCudaProvider())('reports an unavailable CUDA device with its cause', async () => {
    const err = await loadModel(undefined, { device: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).failures[0]!.backend).toBe('onnxruntime-node:cuda');
    expect((err as Error).message).toMatch(/onnxruntime-node:cuda: the CUDA execution provider is not installed: libonnxruntime_providers_\w+\.so .*missing from .*ONNXRUNTIME_NODE_INSTALL_CUDA=v12/);
  });

  it.skipIf(hasCudaProvider())('prints none of onnxruntime\'s own log lines for it (only the error reaches the caller)', () => {
    // onnxruntime logs from C++ straight to stderr: only a child process can see it
    const script = `import { loadModel } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
await loadModel(undefined, { device: 'cuda' }).catch((e) => console.log(e.name));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('BackendUnavailableError');
    expect(r.stderr).toBe('');
  });

  it('rejects a bad log level', async () => {
    await expect(loadModel(undefined, { device: 'cpu', logLevel: 'loud' as never })).rejects.toThrow(/createOnnxBackend: options\.logLevel \("loud"\) must be one of 'verbose', 'info', 'warning', 'error', 'fatal'/);
  });

  it('rejects a bad device', async () => {
    await expect(loadModel(undefined, { device: 'tpu' as never })).rejects.toThrow(/device \("tpu"\) must be 'auto', 'cpu', 'cuda', 'webgpu' or a non-empty list/);
  });
});
