/**
 * `device: 'webgpu'` on the real onnxruntime-node and the real d4rt-tiny, no mocks. Which case
 * applies is read from a real attempt, not guessed: where WebGPU cannot run (no Vulkan driver, or
 * one Dawn refuses) `'webgpu'` alone is a `BackendUnavailableError` naming the device and Dawn's
 * reason, and `['webgpu', 'cpu']` loads on the CPU with a fallback warning and the CPU's answers;
 * where it runs, both load on WebGPU and answer as the CPU does to 1e-3.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, randomQueries, type D4rtModel, type QueryResult } from '@d4rt/core';
import { BACKEND_FALLBACK_WARNING, hasWebGpuAdapter, loadModel, resolveDevice, webGpuUnavailable } from '../src/index.js';
import { fixtureVideo, maxAbsDiff } from './helpers.js';

const QUERIES = randomQueries({ count: 200, frames: 16, seed: 11 });
const KEYS = ['xyz', 'uv', 'visibility', 'confidence'] as const;

/** The decoder's answers to {@link QUERIES} on the held-out clip. */
async function answers(model: D4rtModel): Promise<QueryResult> {
  const scene = await model.encode(await fixtureVideo('heldout-1'));
  try {
    return await scene.query(QUERIES);
  } finally {
    scene.dispose();
  }
}

/** The `D4RT_BACKEND_FALLBACK` warnings emitted while `fn` runs (Node emits them on the next tick). */
async function fallbackWarnings<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: (Error & { code?: string })[] }> {
  const warnings: (Error & { code?: string })[] = [];
  const listen = (w: Error & { code?: string }): void => {
    if (w.code === BACKEND_FALLBACK_WARNING) warnings.push(w);
  };
  process.on('warning', listen);
  try {
    const value = await fn();
    await new Promise((r) => setTimeout(r, 20));
    return { value, warnings };
  } finally {
    process.off('warning', listen);
  }
}

let cpu: D4rtModel;
let cpuAnswers: QueryResult;
/** The real attempt: the model on WebGPU, or why it cannot load there. */
let attempt: { model: D4rtModel } | { error: unknown };

beforeAll(async () => {
  cpu = await loadModel(undefined, { device: 'cpu', threads: 1 });
  cpuAnswers = await answers(cpu);
  attempt = await loadModel(undefined, { device: 'webgpu', threads: 1 }).then(
    (model) => ({ model }),
    (error: unknown) => ({ error }),
  );
});
afterAll(async () => {
  await cpu?.dispose();
  if (attempt !== undefined && 'model' in attempt) await attempt.model.dispose();
});

describe("device: 'webgpu'", () => {
  it('either loads on WebGPU and answers as the CPU does, or is a BackendUnavailableError naming webgpu and the cause', async () => {
    if ('model' in attempt) {
      expect(attempt.model.backend).toBe('onnxruntime-node:webgpu');
      expect(await hasWebGpuAdapter()).toBe(true);
      const gpu = await answers(attempt.model);
      for (const key of KEYS) expect(maxAbsDiff(gpu[key], cpuAnswers[key]), key).toBeLessThanOrEqual(1e-3);
      return;
    }
    const err = attempt.error as BackendUnavailableError;
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(err.failures.map((f) => f.backend)).toEqual(['onnxruntime-node:webgpu']);
    // onnxruntime's own words, Dawn's reason where it gave one, what WebGPU needs, and the way out
    expect(err.message).toMatch(/^createSessionsWithFallback: no backend could load the model; tried 1:\n {2}- onnxruntime-node:webgpu: \S/);
    expect(err.message).toMatch(/^ {2}- onnxruntime-node:webgpu: (WebGPU has no usable adapter \(onnxruntime: ".+"(; Dawn: ".+")?\): |this platform's onnxruntime-node |the WebGPU probe )/m);
    expect(err.message).toMatch(/use device 'cpu'$/);
    if (process.platform === 'linux' && /no usable adapter/.test(err.message)) {
      expect(err.message).toMatch(/Failed to get a WebGPU adapter/);
      expect(err.message).toMatch(/needs a GPU's Vulkan driver/);
      // with no Vulkan ICD the loader finds no driver; with mesa's lavapipe Dawn refuses the device
      expect(err.message).toMatch(/no Vulkan driver is installed|Vulkan driver installed lacks a feature Dawn requires|no Vulkan device was accepted/);
    }
    expect((err.failures[0]!.error as Error).message).toBe(await webGpuUnavailable());
    expect(await hasWebGpuAdapter()).toBe(false);
  });

  it("['webgpu', 'cpu'] loads on the first that works, reports a fallback, and answers as the CPU does", async () => {
    const { value: model, warnings } = await fallbackWarnings(() => loadModel(undefined, { device: ['webgpu', 'cpu'], threads: 1 }));
    try {
      const got = await answers(model);
      if ('model' in attempt) {
        expect(model.backend).toBe('onnxruntime-node:webgpu');
        expect(warnings).toEqual([]);
        for (const key of KEYS) expect(maxAbsDiff(got[key], cpuAnswers[key]), key).toBeLessThanOrEqual(1e-3);
      } else {
        expect(model.backend).toBe('onnxruntime-node:cpu');
        expect(warnings).toHaveLength(1);
        const cause = (attempt.error as BackendUnavailableError).failures[0]!.error as Error;
        expect(warnings[0]!.message).toBe(`loadModel: skipped device 'webgpu' of ["webgpu","cpu"], which could not load the model, and loaded it on onnxruntime-node:cpu instead: ${cause.message}`);
        // the same backend, threads and graphs: the very same numbers
        for (const key of KEYS) expect(maxAbsDiff(got[key], cpuAnswers[key]), key).toBe(0);
      }
    } finally {
      await model.dispose();
    }
  });

  it("'auto' and 'cpu' never try WebGPU, and warn about nothing", async () => {
    expect(resolveDevice('auto')).not.toContain('webgpu');
    const { value: model, warnings } = await fallbackWarnings(() => loadModel(undefined, { device: 'auto', threads: 1 }));
    expect(model.backend).not.toBe('onnxruntime-node:webgpu');
    expect(warnings).toEqual([]);
    await model.dispose();
  });

  it('prints none of Dawn\'s or onnxruntime\'s own lines where WebGPU cannot run (only the error reaches the caller)', () => {
    if ('model' in attempt) return;
    // Dawn and onnxruntime write from C++ straight to stderr: only a child process can see it
    const script = `import { loadModel } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
await loadModel(undefined, { device: 'webgpu' }).catch((e) => console.log(e.name, e.failures.map((f) => f.backend).join()));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('BackendUnavailableError onnxruntime-node:webgpu');
    expect(r.stderr).toBe('');
  });
});

describe('resolveDevice', () => {
  it.each([
    ['webgpu', ['webgpu']],
    [['webgpu', 'cpu'], ['webgpu', 'cpu']],
    [['cpu', 'webgpu'], ['cpu', 'webgpu']],
    [['cuda', 'webgpu', 'cpu'], ['cuda', 'webgpu', 'cpu']],
  ] as const)('resolves %j to %j, in the order given', (device, want) => {
    expect(resolveDevice(device)).toEqual(want);
  });

  it.each([['gpu'], [[]], [['webgpu', 'webgpu']], [['webgpu', 'wasm']], [['auto']], [null]])('rejects %j with a RangeError naming the value and what is allowed', (device) => {
    expect(() => resolveDevice(device as never)).toThrow(RangeError);
    expect(() => resolveDevice(device as never)).toThrow(
      `resolveDevice: device (${JSON.stringify(device)}) must be 'auto', 'cpu', 'cuda', 'webgpu' or a non-empty list of distinct 'cpu' / 'cuda' / 'webgpu'`,
    );
  });

  it('is what loadModel checks: a bad list rejects before anything loads', async () => {
    await expect(loadModel(undefined, { device: ['webgpu', 'webgpu'] })).rejects.toThrow(/resolveDevice: device \(\["webgpu","webgpu"\]\) must be/);
  });
});
