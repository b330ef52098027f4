import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultOverlap, planWindows, type WindowPlan } from './window-plan.js';

/** Every property a plan must have; returns the first broken one (plain checks: this runs ~10^7 times). */
function planProblem(plan: WindowPlan, frames: number, T: number, overlap: number): string | null {
  const { windows } = plan;
  if (plan.frames !== frames) return `plan.frames ${plan.frames}`;
  if (windows.length < 1) return 'no window';
  const count = new Uint8Array(frames);
  for (let k = 0; k < windows.length; k++) {
    const w = windows[k]!;
    if (w.index !== k) return `window ${k}: index ${w.index}`;
    if (w.end - w.start !== Math.min(T, frames)) return `window ${k}: ${w.end - w.start} frames`;
    if (w.start < 0 || w.end > frames) return `window ${k}: [${w.start}, ${w.end}) outside the video`;
    if (w.ownStart < w.start || w.ownEnd > w.end || w.ownEnd <= w.ownStart) return `window ${k}: own [${w.ownStart}, ${w.ownEnd}) not inside [${w.start}, ${w.end})`;
    for (let f = w.ownStart; f < w.ownEnd; f++) count[f]!++;
    if (k > 0) {
      const p = windows[k - 1]!;
      if (w.start <= p.start) return `window ${k} starts at ${w.start}, not after ${p.start}`;
      // consecutive windows share at least `overlap` frames, and own ranges are contiguous
      if (p.end - w.start < overlap) return `windows ${k - 1}, ${k} share ${p.end - w.start} < ${overlap} frames`;
      if (w.ownStart !== p.ownEnd) return `window ${k} own range starts at ${w.ownStart}, not ${p.ownEnd}`;
    }
  }
  if (windows[0]!.ownStart !== 0 || windows.at(-1)!.ownEnd !== frames) return 'own ranges do not span the video';
  for (let f = 0; f < frames; f++) if (count[f] !== 1) return `frame ${f} reported ${count[f]} times`;
  return null;
}

describe('planWindows', () => {
  it('covers every frame exactly once for every length from 1 to 10,000 (T = 16, default overlap)', () => {
    for (let n = 1; n <= 10_000; n++) {
      const plan = planWindows({ frames: n, windowFrames: 16 });
      const problem = planProblem(plan, n, 16, n > 16 ? 4 : 0);
      if (problem !== null) expect.fail(`${n} frames: ${problem}`);
      if (n > 16 && plan.windows.length !== 1 + Math.ceil((n - 16) / 12)) expect.fail(`${n} frames: ${plan.windows.length} windows`);
    }
  });

  it('covers every frame exactly once for any length, window and overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 63 }), (n, T, o) => {
        const overlap = Math.min(o, T - 1);
        const plan = planWindows({ frames: n, windowFrames: T, overlap });
        expect(planProblem(plan, n, T, n > T ? overlap : 0)).toBeNull();
        const byStride = planWindows({ frames: n, windowFrames: T, stride: T - overlap });
        expect(byStride).toEqual(plan);
      }),
      { numRuns: 2000 },
    );
  });

  it('splits a shared range in the middle and moves the last window back to the end', () => {
    const plan = planWindows({ frames: 30, windowFrames: 16 });
    expect(plan).toMatchObject({ overlap: 4, stride: 12 });
    expect(plan.windows).toEqual([
      { index: 0, start: 0, end: 16, ownStart: 0, ownEnd: 14 },
      { index: 1, start: 12, end: 28, ownStart: 14, ownEnd: 21 },
      { index: 2, start: 14, end: 30, ownStart: 21, ownEnd: 30 },
    ]);
    expect(planWindows({ frames: 5, windowFrames: 16 }).windows).toEqual([{ index: 0, start: 0, end: 5, ownStart: 0, ownEnd: 5 }]);
    expect(planWindows({ frames: 1, windowFrames: 1 }).windows).toHaveLength(1);
    expect(defaultOverlap(16)).toBe(4);
    expect(defaultOverlap(2)).toBe(1);
  });

  it('names the option, its value and what is allowed', () => {
    expect(() => planWindows({ frames: 0, windowFrames: 16 })).toThrow(/planWindows: options\.frames \(0\) must be an integer in \[1, /);
    expect(() => planWindows({ frames: 10, windowFrames: 16, overlap: 16 })).toThrow(/options\.overlap \(16\) must be an integer in \[1, 15\]/);
    expect(() => planWindows({ frames: 100, windowFrames: 16, overlap: 4, stride: 10 })).toThrow(/options\.overlap \(4\) and options\.stride \(10\) must add up to options\.windowFrames \(16\)/);
    expect(() => planWindows({ frames: 100, windowFrames: 1 })).toThrow(/options\.windowFrames \(1\) must be >= 2 for a video of 100 frames/);
    expect(() => planWindows({ frames: '9' as never, windowFrames: 16 })).toThrow(TypeError);
  });
});
