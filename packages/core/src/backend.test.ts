import { describe, expect, it } from 'vitest';
import { createSessionsWithFallback, type Backend, type BackendSession } from './backend.js';
import { BackendUnavailableError } from './errors.js';

// Backends here are small in-test implementations of the contract: the fallback logic is what is
// under test, and a backend that fails on demand cannot be had from a real runtime portably.
function backend(name: string, failOn: number | null, log: string[]): Backend {
  let created = 0;
  return {
    name,
    async createSession(): Promise<BackendSession> {
      if (failOn !== null && created === failOn) throw new Error(`${name} cannot load graph ${created}`);
      created++;
      return {
        inputNames: [],
        outputNames: [],
        run: async () => ({}),
        dispose: async () => void log.push(`${name} disposed`),
      };
    },
  };
}

describe('createSessionsWithFallback', () => {
  it('uses the first backend that loads every graph, disposing half-loaded sessions', async () => {
    const log: string[] = [];
    const { backend: used, sessions } = await createSessionsWithFallback([backend('a', 1, log), backend('b', null, log)], ['enc', 'dec']);
    expect(used.name).toBe('b');
    expect(sessions).toHaveLength(2);
    expect(log).toEqual(['a disposed']);
  });

  it('lists every backend cause when none works', async () => {
    const err = await createSessionsWithFallback([backend('webgpu', 0, []), backend('wasm', 0, [])], ['enc']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as BackendUnavailableError;
    expect(e.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(e.failures.map((f) => f.backend)).toEqual(['webgpu', 'wasm']);
    expect(e.message).toMatch(/webgpu: webgpu cannot load graph 0\n {2}- wasm: wasm cannot load graph 0/);
  });

  it('rejects an empty list', async () => {
    await expect(createSessionsWithFallback([], ['x'])).rejects.toThrow(RangeError);
  });
});
