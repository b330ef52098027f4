/**
 * A fuzz worker: a child process that runs the cases the parent hands it, one at a time, and
 * reports each end over IPC. An uncaught exception or unhandled rejection is reported as a crash of
 * the case in flight, and the worker exits (the parent starts a fresh one); a hang is the parent's
 * to see (it kills the worker's process group).
 *
 * @module
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CaseContext, CaseEnd, CaseRunner } from './case.js';
import { classifyError, type Outcome } from './outcome.js';
import { targetOf, type TargetName } from './plan.js';
import { Rng } from './rng.js';

/** The parent's messages. */
export type ToWorker =
  | { type: 'init'; seed: number; seeds: string; work: string; strict: boolean; keep: boolean }
  | { type: 'run'; id: string }
  | { type: 'exit' };

/** The worker's messages. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'note'; id: string; text: string }
  | { type: 'done'; id: string; outcome: Outcome; partial: string[]; detail: string; ms: number; dir?: string }
  | { type: 'crash'; id: string | null; error: string; detail: string };

const send = (m: FromWorker): void => void process.send?.(m);
let init: Extract<ToWorker, { type: 'init' }> | undefined;
let current: { id: string; notes: string[] } | null = null;
const runners = new Map<TargetName, CaseRunner>();

async function runnerFor(target: TargetName): Promise<CaseRunner> {
  let r = runners.get(target);
  if (!r) {
    r = ((await import(`./targets/${target}.js`)) as { run: CaseRunner }).run;
    runners.set(target, r);
  }
  return r;
}

let crashed = false;

function crash(kind: string, error: unknown): void {
  if (crashed) return;
  crashed = true;
  const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : String(error);
  const m: FromWorker = { type: 'crash', id: current?.id ?? null, error: `${kind}: ${text}`, detail: current?.notes.join('; ') ?? '' };
  // exit once the message is sent; the parent starts a fresh worker for the remaining cases
  process.send?.(m, () => process.exit(70));
  setTimeout(() => process.exit(70), 2000).unref();
}

process.on('uncaughtException', (e) => crash('uncaught exception', e));
process.on('unhandledRejection', (e) => crash('unhandled rejection', e));
process.on('disconnect', () => process.exit(0));

async function runCase(id: string): Promise<void> {
  const cfg = init!;
  const notes: string[] = [];
  current = { id, notes };
  await mkdir(cfg.work, { recursive: true });
  const dir = await mkdtemp(path.join(cfg.work, `${id.replace(/[^\w-]/g, '-')}-`));
  let ownError: unknown;
  let badArgument = false;
  const partial: string[] = [];
  const ctx: CaseContext = {
    id,
    rng: Rng.forCase(cfg.seed, id),
    dir,
    seeds: cfg.seeds,
    strict: cfg.strict,
    describe: (text) => {
      notes.push(text);
      send({ type: 'note', id, text });
    },
    expectOwnError: (error) => void (ownError = error),
    leftover: (paths) => void partial.push(...paths),
    badArgument: () => void (badArgument = true),
  };
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    const end: CaseEnd | void = await (await runnerFor(targetOf(id)))(ctx);
    outcome = end?.outcome ?? { kind: 'result' };
  } catch (error) {
    outcome = classifyError(error, { strict: cfg.strict, badArgument, ...(ownError !== undefined && { ownError }) });
  }
  const ms = performance.now() - t0;
  if (!cfg.keep) await rm(dir, { recursive: true, force: true });
  current = null;
  send({ type: 'done', id, outcome, partial, detail: notes.join('; '), ms, ...(cfg.keep && { dir }) });
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    init = m;
    send({ type: 'ready' });
  } else if (m.type === 'run') {
    runCase(m.id).catch((error) => crash('harness error', error));
  } else process.exit(0);
});
