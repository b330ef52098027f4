/**
 * The parent of a fuzz run: makes the seeds, starts the worker processes, hands out the cases, times
 * each one, and counts how they end.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCases, targetOf, TARGETS, type TargetName } from './plan.js';
import { makeSeeds } from './seeds.js';
import type { FromWorker, ToWorker } from './worker.js';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  seed: number;
  cases: number;
  jobs: number;
  /** Only these targets (default all). */
  targets?: TargetName[];
  /** Only these case ids (overrides `cases` and `targets`). */
  only?: string[];
  strict?: boolean;
  keep?: boolean;
  verbose?: boolean;
  /** Where progress and failures go (default stderr). */
  log?: (line: string) => void;
  /** The worker script (default `worker.js` beside this module, in dist/). */
  workerPath?: string;
}

/** The counts of a run: the last line of `pnpm -s fuzz`. */
export interface FuzzCounts {
  cases: number;
  crashes: number;
  hangs: number;
  unnamedErrors: number;
  partialOutputs: number;
}

interface Slot {
  child: ChildProcess;
  busy: string | null;
  timer: NodeJS.Timeout | null;
  settled: boolean;
  stderr: string;
  started: number;
  /** What the case in flight said it does (its `describe` calls). */
  notes: string[];
}

/** Runs the cases and returns the counts (progress and failures go to `log`). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzCounts> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const ids = options.only ?? planCases(options.cases, options.targets);
  const root = await mkdtemp(path.join(tmpdir(), 'd4rt-fuzz-'));
  const t0 = performance.now();
  const seeds = await makeSeeds(path.join(root, 'seeds'));
  const counts: FuzzCounts = { cases: 0, crashes: 0, hangs: 0, unnamedErrors: 0, partialOutputs: 0 };
  const perTarget = new Map<TargetName, { cases: number; results: number; ms: number; names: Map<string, number> }>();
  const queue = [...ids];
  const replay = (id: string): string => `pnpm -s fuzz --seed ${options.seed} --only ${id}${options.strict ? ' --strict-names' : ''} --keep`;
  const jobs = Math.max(1, Math.min(options.jobs, ids.length));
  log(`fuzz: seed ${options.seed}, ${ids.length} cases, ${jobs} workers; seeds made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const record = (id: string, kind: 'result' | string, ms: number): void => {
    counts.cases++;
    const t = targetOf(id);
    const s = perTarget.get(t) ?? { cases: 0, results: 0, ms: 0, names: new Map<string, number>() };
    s.cases++;
    s.ms += ms;
    if (kind === 'result') s.results++;
    else s.names.set(kind, (s.names.get(kind) ?? 0) + 1);
    perTarget.set(t, s);
  };

  let lastProgress = performance.now();
  const progress = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastProgress < 5000) return;
    lastProgress = now;
    const { cases, crashes, hangs, unnamedErrors, partialOutputs } = counts;
    log(`fuzz: ${cases}/${ids.length} cases, ${((now - t0) / 1000).toFixed(0)} s; crashes ${crashes}, hangs ${hangs}, unnamed ${unnamedErrors}, partial ${partialOutputs}`);
  };

  const workerPath = options.workerPath ?? fileURLToPath(new URL('./worker.js', import.meta.url));
  const work = path.join(root, 'work');

  await new Promise<void>((resolve) => {
    let live = 0;
    let startFailures = 0;
    const finishIfDone = (): void => {
      if (live === 0 && queue.length === 0) resolve();
    };
    const start = (): void => {
      if (queue.length === 0) return finishIfDone();
      live++;
      // its own process group, so that a hang kills the worker and its ffmpeg children together
      const child = fork(workerPath, [], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      const slot: Slot = { child, busy: null, timer: null, settled: true, stderr: '', started: 0, notes: [] };
      let ready = false;
      // a message to a worker that just died is lost; its 'exit' handler takes over
      const send = (m: ToWorker): void => {
        if (child.connected) child.send(m, () => undefined);
      };
      child.on('error', (error) => log(`fuzz: worker ${child.pid}: ${error.message}`));
      child.stderr!.on('data', (d: Buffer) => {
        slot.stderr = (slot.stderr + d.toString('utf8')).slice(-4000);
      });
      const next = (): void => {
        const id = queue.shift();
        if (id === undefined) {
          send({ type: 'exit' });
          return;
        }
        slot.busy = id;
        slot.settled = false;
        slot.started = performance.now();
        slot.notes = [];
        slot.timer = setTimeout(() => {
          if (slot.settled) return;
          slot.settled = true;
          counts.hangs++;
          record(id, 'hang', performance.now() - slot.started);
          log(`fuzz: HANG ${id}: over ${TARGETS[targetOf(id)].timeoutMs / 1000} s (${slot.notes.join('; ') || 'no detail'}); replay: ${replay(id)}`);
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, TARGETS[targetOf(id)].timeoutMs);
        send({ type: 'run', id });
      };
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          next();
        }
        else if (m.type === 'crash') {
          if (slot.timer) clearTimeout(slot.timer);
          const id = m.id ?? slot.busy;
          if (id !== null && !slot.settled) {
            slot.settled = true;
            record(id, 'crash', performance.now() - slot.started);
          }
          counts.crashes++;
          log(`fuzz: CRASH ${id ?? '(between cases)'}: ${m.error}${m.detail ? `\n  case: ${m.detail}` : ''}${id ? `\n  replay: ${replay(id)}` : ''}`);
        } else if (m.type === 'done') {
          if (slot.timer) clearTimeout(slot.timer);
          if (slot.settled) return; // already counted as a hang
          slot.settled = true;
          const { outcome } = m;
          const kind = outcome.kind === 'result' ? 'result' : outcome.kind === 'crash' ? 'crash' : outcome.name;
          record(m.id, kind, m.ms);
          if (outcome.kind === 'crash') {
            counts.crashes++;
            log(`fuzz: CRASH ${m.id}: ${outcome.message}\n  case: ${m.detail}${m.dir ? `\n  files: ${m.dir}` : ''}\n  replay: ${replay(m.id)}`);
          }
          const where = m.dir ? `\n  files: ${m.dir}` : '';
          if (outcome.kind === 'unnamed') {
            counts.unnamedErrors++;
            log(`fuzz: UNNAMED ${m.id}: ${outcome.name}: ${outcome.message}\n  case: ${m.detail}${where}\n  replay: ${replay(m.id)}`);
          }
          if (m.partial.length > 0) {
            counts.partialOutputs++;
            log(`fuzz: PARTIAL ${m.id}: left ${m.partial.slice(0, 5).join(', ')}${m.partial.length > 5 ? ` and ${m.partial.length - 5} more` : ''}\n  case: ${m.detail}${where}\n  replay: ${replay(m.id)}`);
          }
          if (options.verbose) log(`fuzz: ${m.id} ${kind}${outcome.kind === 'named' && outcome.message ? ` (${outcome.message})` : ''} ${m.ms.toFixed(0)} ms: ${m.detail}${where}`);
          progress();
          next();
        } else if (m.type === 'note' && m.id === slot.busy) slot.notes.push(m.text);
      });
      child.on('exit', (code, signal) => {
        if (slot.timer) clearTimeout(slot.timer);
        live--;
        if (!slot.settled && slot.busy !== null) {
          // died without a word: a native crash, or killed from outside
          slot.settled = true;
          counts.crashes++;
          record(slot.busy, 'crash', performance.now() - slot.started);
          log(`fuzz: CRASH ${slot.busy}: the worker died (${signal ?? `exit code ${code}`})\n  case: ${slot.notes.join('; ')}\n  stderr: ${slot.stderr.trim().split('\n').slice(-5).join('\n  ')}\n  replay: ${replay(slot.busy)}`);
        }
        if (!ready && ++startFailures >= 3) {
          // the worker cannot start (a broken build?): stop rather than start workers forever
          counts.crashes++;
          log(`fuzz: CRASH: workers die before they start (${signal ?? `exit code ${code}`}); ${queue.length} cases not run\n  stderr: ${slot.stderr.trim().split('\n').slice(-5).join('\n  ')}`);
          queue.length = 0;
        }
        if (queue.length > 0) start();
        else finishIfDone();
      });
      send({ type: 'init', seed: options.seed, seeds, work, strict: options.strict ?? false, keep: options.keep ?? false });
    };
    for (let j = 0; j < jobs; j++) start();
  });

  progress(true);
  const seconds = (performance.now() - t0) / 1000;
  for (const [t, s] of [...perTarget].sort((a, b) => b[1].ms - a[1].ms)) {
    const names = [...s.names].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`).join(', ');
    log(`fuzz:   ${t.padEnd(10)} ${String(s.cases).padStart(5)} cases, ${(s.ms / 1000).toFixed(1).padStart(6)} s in workers; results ${s.results}${names ? `; ${names}` : ''}`);
  }
  log(`fuzz: done in ${seconds.toFixed(1)} s`);
  if (!options.keep) await rm(root, { recursive: true, force: true });
  else log(`fuzz: kept ${root}`);
  return counts;
}
