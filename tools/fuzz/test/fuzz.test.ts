/**
 * A short fuzzing run (300 cases of seed 1 over every target, in worker processes running the built
 * dist/worker.js): every case ends in a result or a named error, in time, leaving nothing behind.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCases } from '../src/plan.js';
import { runFuzz } from '../src/run.js';

const workerPath = fileURLToPath(new URL('../dist/worker.js', import.meta.url));

describe('pnpm -s fuzz', () => {
  it('300 cases of seed 1: no crash, hang, unnamed error or partial output', async () => {
    const lines: string[] = [];
    const counts = await runFuzz({ seed: 1, cases: 300, jobs: 2, workerPath, log: (line) => void lines.push(line) });
    expect(counts, lines.filter((l) => /CRASH|HANG|UNNAMED|PARTIAL|^\s/.test(l)).join('\n')).toEqual({ cases: 300, crashes: 0, hangs: 0, unnamedErrors: 0, partialOutputs: 0 });
  });

  it('shares the cases among the targets by their weights, and a case id replays alone', () => {
    const ids = planCases(10_000);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids.filter((id) => id.startsWith('huge:'))).toEqual(['huge:0', 'huge:1', 'huge:2', 'huge:3', 'huge:4']);
    expect(planCases(300).filter((id) => id.startsWith('query:')).length).toBeGreaterThan(50);
  });

  it('counts how cases end: a worker that dies, one that hangs (killed, replaced), unnamed errors, leftovers', async () => {
    const lines: string[] = [];
    const fake = fileURLToPath(new URL('./fake-worker.mjs', import.meta.url));
    const only = ['writer:0', 'writer:1', 'writer:2', 'writer:3', 'writer:4', 'writer:5', 'writer:6', 'writer:7', 'writer:8'];
    const counts = await runFuzz({ seed: 1, cases: 1, jobs: 2, only, workerPath: fake, log: (line) => void lines.push(line) });
    expect(counts).toEqual({ cases: 9, crashes: 3, hangs: 2, unnamedErrors: 1, partialOutputs: 1 });
    const text = lines.join('\n');
    expect(text).toMatch(/UNNAMED writer:2: TypeError: x is not a function\n {2}case: case 2\n {2}replay: pnpm -s fuzz --seed 1 --only writer:2 --keep/);
    expect(text).toMatch(/PARTIAL writer:3: left out\/, out\/\.d4rt-tmp-1/);
    expect(text).toMatch(/CRASH writer:4: the worker died \(exit code 9\)/);
    expect(text).toMatch(/CRASH writer:5: the worker died/);
    expect(text).toMatch(/HANG writer:7: over 20 s \(case 7\)/);
  }, 120_000);
});
