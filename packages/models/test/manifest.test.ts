/**
 * The shipped reference models (d4rt-tiny and d4rt-tiny-fp32): each manifest is a valid d4rt-model/1 manifest that agrees with the
 * files beside it (names, SHA-256 and sizes) and with itself (memory shape, patch size, bins), and
 * the ONNX files are there.
 * Running the model is the runtime packages' business (their tests load it with onnxruntime).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

for (const name of ['d4rt-tiny', 'd4rt-tiny-fp32']) {
  const dir = fileURLToPath(new URL(`../${name}/`, import.meta.url));
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));

  describe(`${name} manifest`, () => {
    it('is named after its folder', () => {
      expect(manifest.name).toBe(name);
    });

    it('is format d4rt-model/1 and names files that exist', () => {
      expect(manifest.format).toBe('d4rt-model/1');
      for (const key of ['encoder', 'decoder'] as const) {
        const size = statSync(`${dir}/${manifest.files[key]}`).size;
        expect(size).toBeGreaterThan(10_000);
        expect(size).toBeLessThan(16 * 2 ** 20);
      }
    });

    it('gives the SHA-256 and size of each graph file beside it', () => {
      for (const key of ['encoder', 'decoder'] as const) {
        const bytes = readFileSync(`${dir}/${manifest.files[key]}`);
        expect(manifest.hashes[key]).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
      }
    });

    it('gives shapes that agree with one another', () => {
      const { frames: T, height: H, width: W } = manifest.clip;
      const { tokens: N, channels: C } = manifest.memory;
      const p = manifest.patch.size;
      expect(T).toBeGreaterThanOrEqual(16);
      expect(manifest.encoder.inputs.video.shape).toEqual([1, T, 3, H, W]);
      expect(manifest.encoder.inputs.aspect.shape).toEqual([1]);
      expect(manifest.encoder.outputs.memory.shape).toEqual([1, N, C]);
      expect(manifest.decoder.inputs.memory.shape).toEqual([1, N, C]);
      expect(manifest.decoder.inputs.coords.shape).toEqual([1, 'Q', 2]);
      expect(manifest.decoder.inputs.times).toEqual({ dtype: 'int64', shape: [1, 'Q', 3] });
      expect(manifest.decoder.inputs.patches.shape).toEqual([1, 'Q', 3 * p * p]);
      const uv = manifest.decoder.outputs.uv;
      expect(uv.shape).toEqual([1, 'Q', 2, uv.bins]);
      expect(uv.decode).toBe('truncated-soft-argmax');
      expect(manifest.decoder.outputs.xyz.decode).toBe('log-depth');
      expect(manifest.decoder.outputs.visibility.decode).toBe('sigmoid');
      expect(manifest.decoder.outputs.confidence.decode).toBe('sigmoid');
      // memory rows = aspect token + one per tubelet (config.tubelet_t x config.patch^2) + with
      // corr_track, every frame's stride-4 correlation features (corr_channels per position) packed
      // into rows of C
      const c = manifest.config;
      const tubelets = (T / c.tubelet_t) * (H / c.patch) * (W / c.patch);
      const corrRows = c.corr_track ? (T * (H / 4) * (W / 4) * c.corr_channels) / C : 0;
      expect(N).toBe(1 + tubelets + corrRows);
      expect(manifest.normalization.mean).toHaveLength(3);
      expect(manifest.normalization.std).toHaveLength(3);
    });
  });
}
