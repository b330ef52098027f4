#!/usr/bin/env node
/**
 * `pnpm -s fuzz`: a seeded fuzzing run over the SDK's inputs (see README.md). Runs the cases in
 * worker processes, watches each case's time, and prints progress and every failure (with how to
 * replay it) to stderr; the last line on stdout is
 * `{"cases":N,"crashes":0,"hangs":0,"unnamedErrors":0,"partialOutputs":0}`. Exit code 1 when any
 * count but `cases` is non-zero, 2 for a usage mistake.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzOptions } from './run.js';
import { TARGETS, isTargetName, type TargetName } from './plan.js';

const HELP = `pnpm -s fuzz [options]

A seeded fuzzing run of the SDK: mutated manifests, videos, images, .npz files, dataset folders,
queries, encoder inputs, writers and CLI command lines. Every case must end in a result or a named
D4rtError (or the SDK's own TypeError / RangeError for an argument), within its time limit, leaving
no partial output folder. The last line on stdout is one JSON object of counts.

Options:
  --seed <n>        seed of the run (default 1); a case replays alone with the same seed
  --cases <n>       number of cases (default 10000), shared among the targets
  --jobs <n>        worker processes (default: 2, or fewer cores)
  --targets <list>  only these targets, comma-separated: ${Object.keys(TARGETS).join(', ')}
  --only <ids>      only these cases, comma-separated ids (e.g. image:17,query:2)
  --strict-names    also count the SDK's own argument TypeError / RangeError as unnamed
  --keep            keep each case's folder (printed with failures) and the seeds
  --verbose         print every case's end
  -h, --help        this help`;

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n(see pnpm -s fuzz --help)\n`);
  process.exit(2);
}

function intArg(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} (${JSON.stringify(value)}) must be an integer >= ${min}`);
  return n;
}

async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        seed: { type: 'string' },
        cases: { type: 'string' },
        jobs: { type: 'string' },
        targets: { type: 'string' },
        only: { type: 'string' },
        'strict-names': { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const targets = v.targets?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of targets ?? []) if (!isTargetName(t)) fail(`--targets: ${JSON.stringify(t)} is not a target; the targets are ${Object.keys(TARGETS).join(', ')}`);
  const only = v.only?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const id of only ?? []) {
    const m = /^(.+):(\d+)$/.exec(id);
    if (!m || !isTargetName(m[1]!)) fail(`--only: ${JSON.stringify(id)} is not a case id <target>:<index>`);
  }
  const options: FuzzOptions = {
    seed: intArg('seed', v.seed, 1, 0),
    cases: intArg('cases', v.cases, 10_000, 1),
    jobs: intArg('jobs', v.jobs, Math.min(2, availableParallelism()), 1),
    strict: v['strict-names'],
    keep: v.keep,
    verbose: v.verbose,
    ...(targets && { targets: targets as TargetName[] }),
    ...(only && { only }),
  };
  const counts = await runFuzz(options);
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  return counts.crashes + counts.hangs + counts.unnamedErrors + counts.partialOutputs > 0 ? 1 : 0;
}

process.exitCode = await cli(process.argv.slice(2));
