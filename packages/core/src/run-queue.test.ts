import { describe, expect, it } from 'vitest';
import { RunQueue } from './run-queue.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('RunQueue', () => {
  it('runs one task at a time, in call order, each getting its own result', async () => {
    const q = new RunQueue();
    const log: string[] = [];
    let running = 0, most = 0;
    const task = (name: string) => async (): Promise<string> => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((n) => q.run(task(n))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.pending).toBe(0);
  });

  it('a failing task rejects its own call only, and the queue goes on', async () => {
    const q = new RunQueue();
    const a = q.run(async () => {
      await tick();
      throw new RangeError('bad');
    });
    const b = q.run(() => 2);
    await expect(a).rejects.toThrow(RangeError);
    await expect(b).resolves.toBe(2);
  });

  it('idle() resolves once every task queued so far has settled', async () => {
    const q = new RunQueue();
    let done = false;
    void q.run(async () => {
      await tick();
      done = true;
    });
    void q.run(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(q.pending).toBe(2);
    await q.idle();
    expect(done).toBe(true);
    expect(q.pending).toBe(0);
  });
});
