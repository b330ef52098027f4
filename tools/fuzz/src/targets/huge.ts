/**
 * 10^7 queries in one call of the real model's scene. Answering them takes minutes on a CPU (about
 * 15,000 queries a second for d4rt-tiny on one thread), so the valid ones run under a time budget:
 * the call must answer, or reject with the budget's `signal.reason` after a chunk, never hang past
 * it or fail otherwise. The invalid ones (one NaN, one frame out of range, lengths that differ, a
 * track of 10^7 / T points) must be refused before anything runs.
 *
 * @module
 */
import type { CaseContext } from '../case.js';
import { sharedScene } from '../model.js';

/** Queries per case. */
const HUGE = 10_000_000;

/** Time budget of a valid call, milliseconds. */
const BUDGET_MS = 8_000;

export async function run(ctx: CaseContext): Promise<void> {
  const { rng } = ctx;
  const { scene } = await sharedScene(ctx.seeds);
  const T = scene.frames;
  const u = new Float32Array(HUGE), v = new Float32Array(HUGE);
  for (let i = 0; i < HUGE; i++) {
    u[i] = (i % 997) / 996;
    v[i] = (i % 991) / 990;
  }
  const t = Int32Array.from({ length: HUGE }, (_, i) => i % T);
  const kind = (['valid', 'nan', 'frame', 'lengths', 'track'] as const)[Number(ctx.id.split(':')[1]) % 5]!;
  const controller = new AbortController();
  const reason = new DOMException(`fuzz: the ${BUDGET_MS / 1000} s budget of a 10^7-query call ran out`, 'TimeoutError');
  ctx.expectOwnError(reason);
  const timer = setTimeout(() => controller.abort(reason), BUDGET_MS);
  const at = rng.int(HUGE / 2, HUGE - 1);
  try {
    if (kind === 'valid') {
      ctx.describe(`Scene.query(10^7 valid queries, chunkSize 4096, a ${BUDGET_MS / 1000} s budget)`);
      const r = await scene.query({ u, v, tSrc: t, tTgt: t, tCam: t }, { signal: controller.signal });
      if (r.count !== HUGE) throw new Error(`Scene.query answered ${r.count} of ${HUGE} queries`);
    } else if (kind === 'nan') {
      u[at] = NaN;
      ctx.describe(`Scene.query(10^7 queries with u[${at}] = NaN)`);
      await scene.query({ u, v, tSrc: t, tTgt: t, tCam: t }, { signal: controller.signal });
    } else if (kind === 'frame') {
      const bad = Int32Array.from(t);
      bad[at] = T;
      ctx.describe(`Scene.query(10^7 queries with tTgt[${at}] = ${T})`);
      await scene.query({ u, v, tSrc: t, tTgt: bad, tCam: t }, { signal: controller.signal });
    } else if (kind === 'lengths') {
      ctx.describe('Scene.query(10^7 queries, tCam one shorter)');
      await scene.query({ u, v, tSrc: t, tTgt: t, tCam: t.subarray(1) }, { signal: controller.signal });
    } else {
      const n = Math.ceil(HUGE / T);
      ctx.describe(`Scene.track(${n} points = 10^7 queries, a ${BUDGET_MS / 1000} s budget)`);
      await scene.track({ u: u.subarray(0, n), v: v.subarray(0, n), frame: t.subarray(0, n) }, { signal: controller.signal });
    }
  } finally {
    clearTimeout(timer);
  }
}
