/**
 * `d4rt convert opend4rt <checkpoint> <model.yaml> -o <dir>`: converts an OpenD4RT checkpoint into a
 * model folder (`d4rt-model/1`) by running training's Python converter (`training/opend4rt`).
 *
 * The converter is looked up in the repository checkout the CLI runs from (`training/opend4rt`, so
 * a fresh clone converts with the code beside it), else in the copy the CLI's build puts in
 * `dist/python/opend4rt` (an installed package). Either way it needs a Python 3 with torch, onnx,
 * numpy and PyYAML: `D4RT_PYTHON`, else `python3` on `PATH`. A Python that cannot import them is
 * named, with what to install. The converter writes its folder atomically (a temporary folder
 * renamed into place), so a failed or cancelled conversion leaves no output folder.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandResult } from './commands.js';
import { UsageError, choiceOption, parse } from './options.js';

/** The checkpoint families `d4rt convert` knows. */
const FAMILIES = ['opend4rt'] as const;
const DTYPES = ['fp32', 'fp16', 'int8'] as const;
const EXTERNAL = ['auto', 'always'] as const;
/** What the converter imports, as Python modules and as pip / Debian packages. */
const MODULES = [
  { module: 'torch', pip: 'torch', apt: 'python3-torch' },
  { module: 'onnx', pip: 'onnx', apt: 'python3-onnx' },
  { module: 'numpy', pip: 'numpy', apt: 'python3-numpy' },
  { module: 'yaml', pip: 'pyyaml', apt: 'python3-yaml' },
] as const;

/** `[usage, summary]` for the main help. */
export const CONVERT_SUMMARY: [string, string] = ['d4rt convert opend4rt', 'an OpenD4RT checkpoint + model.yaml as a model folder (needs Python with torch)'];

const HELP = `d4rt convert opend4rt <checkpoint> <model.yaml> -o <dir> [options]

Converts an OpenD4RT checkpoint (github.com/0Zhengying0/Open-d4rt: its *.ckpt and the model.yaml
beside it) into a model folder (d4rt-model/1) that d4rt, @d4rt/runtime-node and @d4rt/runtime-web
load: d4rt depth <video> --model <dir>.

Options:
  -o, --out <dir>           the model folder to write (new or empty); written all-or-nothing
  --dtype <t>               fp32 (default) | fp16 (weights stored as float16, half the files) |
                            int8 (matrix weights quantised per column, a quarter of the files)
  --external-data <when>    auto (default: a graph's weights go to <graph>.onnx.data when they pass
                            2 GB) | always
  --name <name>             the model's name (default model.yaml's experiment.name)
  -q, --quiet               no progress output
  -h, --help                this help

Runs training's Python converter (training/opend4rt in a checkout, else the copy inside this
package). It needs Python 3 with torch, onnx, numpy and PyYAML:
  pip install torch onnx numpy pyyaml
  (Debian / Ubuntu: sudo apt install python3-torch python3-onnx python3-numpy python3-yaml)
The Python is D4RT_PYTHON when set, else python3 on PATH.
`;

const here = dirname(fileURLToPath(import.meta.url));

/** A conversion that could not run or failed; the message (starting `d4rt convert:`) is printed as is, exit code 1. */
export class ConvertError extends Error {
  override name = 'ConvertError';
}

/**
 * Where the converter package (`opend4rt/`) is: the checkout's `training/` when this CLI runs from
 * one, else the copy in `dist/python/`.
 * @returns the folder to put on `PYTHONPATH`, and which one it is
 */
export function converterLocation(): { path: string; from: 'checkout' | 'bundled' } {
  // dist/ or src/ of packages/cli in a checkout: training/ is three folders up.
  const checkout = resolve(here, '../../../training');
  if (existsSync(join(checkout, 'opend4rt/convert_opend4rt.py'))) return { path: checkout, from: 'checkout' };
  // dist/python beside the built CLI (src/ in tests: ../dist/python).
  const bundled = resolve(here, '../dist/python');
  if (existsSync(join(bundled, 'opend4rt/convert_opend4rt.py'))) return { path: bundled, from: 'bundled' };
  throw new ConvertError(`d4rt convert: the OpenD4RT converter is missing: neither ${join(checkout, 'opend4rt')} nor ${join(bundled, 'opend4rt')} exists (rebuild @d4rt/cli)`);
}

/** The Python to run: `D4RT_PYTHON`, else `python3` on `PATH`. */
export function pythonCommand(env: NodeJS.ProcessEnv = process.env): { command: string; fromEnv: boolean } {
  const set = env.D4RT_PYTHON;
  return set !== undefined && set !== '' ? { command: set, fromEnv: true } : { command: 'python3', fromEnv: false };
}

/** The install hint: pip and Debian packages of `modules` (default all the converter needs). */
export function installHint(modules: readonly string[] = MODULES.map((m) => m.module)): string {
  const wanted = MODULES.filter((m) => modules.includes(m.module));
  const list = wanted.length > 0 ? wanted : MODULES;
  return `pip install ${list.map((m) => m.pip).join(' ')} (Debian / Ubuntu: sudo apt install ${list.map((m) => m.apt).join(' ')}), or set D4RT_PYTHON to a Python 3 that has them`;
}

/**
 * The Python program the CLI runs: it says which interpreter it is (`D4RT_PYTHON` on stdout), checks
 * the version (`D4RT_OLD_PYTHON` on stderr, exit 3), imports what the converter needs (each failure
 * one `D4RT_MISSING` line on stderr, exit 3), then runs the converter's `main` with the arguments
 * after `-c`.
 */
const BOOTSTRAP = `
import importlib, sys
sys.stdout.write('D4RT_PYTHON\\t%s\\t%d.%d.%d\\n' % ((sys.executable,) + tuple(sys.version_info[:3]))); sys.stdout.flush()
if sys.version_info < (3, 8):
    sys.stderr.write('D4RT_OLD_PYTHON\\t%d.%d.%d\\n' % sys.version_info[:3]); sys.exit(3)
missing = []
for name in ${JSON.stringify(MODULES.map((m) => m.module))}:
    try:
        importlib.import_module(name)
    except Exception as e:
        missing.append('D4RT_MISSING\\t%s\\t%s: %s\\n' % (name, type(e).__name__, str(e).splitlines()[0] if str(e) else ''))
if missing:
    sys.stderr.write(''.join(missing)); sys.exit(3)
from opend4rt.convert_opend4rt import main
sys.exit(main(sys.argv[1:]))
`;

/** Bytes -> '1.34 MB' as the converter prints them. */
function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(2)} MB`;
}

function checkInput(what: string, path: string): string {
  const abs = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    throw new UsageError(`d4rt convert opend4rt: ${what} ${JSON.stringify(path)} does not exist`);
  }
  if (!isFile) throw new UsageError(`d4rt convert opend4rt: ${what} ${JSON.stringify(path)} is not a file`);
  return abs;
}

/**
 * Runs `d4rt convert <family> ...`.
 * @param argv - the arguments after `convert`
 * @param signal - cancels the conversion (the converter is interrupted and removes its temporary folder)
 * @returns the summary for stdout
 * @throws UsageError for bad arguments; {@link ConvertError} with the converter's message, or what to install, when it fails
 */
export async function runConvert(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
  const [family, ...rest] = argv;
  if (family === '--help' || family === '-h') return { stdout: HELP };
  if (family === undefined || family.startsWith('-')) {
    throw new UsageError(`d4rt convert: name the checkpoint family first: d4rt convert opend4rt <checkpoint> <model.yaml> -o <dir> (see d4rt convert --help)`);
  }
  if (!(FAMILIES as readonly string[]).includes(family)) {
    throw new UsageError(`d4rt convert: unknown checkpoint family ${JSON.stringify(family)}; the families are ${FAMILIES.join(', ')} (see d4rt convert --help)`);
  }
  const { values, positionals } = parse(`convert ${family}`, rest, {
    out: { type: 'string', short: 'o' },
    dtype: { type: 'string', default: 'fp32' },
    'external-data': { type: 'string', default: 'auto' },
    name: { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { stdout: HELP };
  if (positionals.length !== 2) {
    throw new UsageError(
      `d4rt convert opend4rt: expected the checkpoint and its model.yaml, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see d4rt convert --help)`,
    );
  }
  const dtype = choiceOption('convert opend4rt', 'dtype', values.dtype as string, DTYPES)!;
  const external = choiceOption('convert opend4rt', 'external-data', values['external-data'] as string, EXTERNAL)!;
  if (values.out === undefined || values.out === '') throw new UsageError('d4rt convert opend4rt: -o <dir> (the model folder to write) is required');
  const ckpt = checkInput('checkpoint', positionals[0]!);
  const yaml = checkInput('model.yaml', positionals[1]!);
  const out = resolve(values.out as string);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new UsageError(`d4rt convert opend4rt: -o ${JSON.stringify(values.out)} exists and is not an empty folder; choose a new folder`);
  }
  const quiet = values.quiet as boolean;
  const args = [ckpt, yaml, '-o', out, '--dtype', dtype, '--external-data', external, ...(values.name !== undefined ? ['--name', values.name as string] : [])];
  await runConverter(args, { quiet, ...(signal !== undefined && { signal }) });
  return { stdout: summary(out) };
}

/** What the folder holds, and how to use it. */
function summary(out: string): string {
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { name: string; info?: { dtype?: string; parameters?: number } };
  const files = readdirSync(out).sort();
  const sizes = files.map((f) => `${f} ${mb(statSync(join(out, f)).size)}`).join(', ');
  const total = files.reduce((s, f) => s + statSync(join(out, f)).size, 0);
  const info = [manifest.info?.dtype, manifest.info?.parameters !== undefined ? `${manifest.info.parameters.toLocaleString('en-US')} parameters` : undefined].filter(Boolean).join(', ');
  return `wrote ${out}: model '${manifest.name}'${info ? ` (${info})` : ''}, ${mb(total)} in ${files.length} files: ${sizes}
use it: d4rt depth <video> --model ${out}
`;
}

/** Why the converter could not start or run, with what to do. */
function environmentError(
  python: { command: string; fromEnv: boolean },
  stderr: string,
  spawnError?: NodeJS.ErrnoException,
  started?: { executable: string; version: string },
): ConvertError | null {
  const where = started === undefined ? '' : `: Python ${started.version} at ${started.executable}`;
  const who = python.fromEnv ? `D4RT_PYTHON (${JSON.stringify(python.command)}${where})` : `python3 on PATH${started === undefined ? '' : ` (${where.slice(2)})`}`;
  if (spawnError !== undefined) {
    const why = spawnError.code === 'ENOENT' ? (python.fromEnv ? 'does not exist' : 'is not installed or not on PATH') : spawnError.code === 'EACCES' ? 'is not executable' : `cannot start (${spawnError.message})`;
    return new ConvertError(`d4rt convert: Python not found: ${who} ${why}. The converter needs Python 3 with torch, onnx, numpy and PyYAML: install Python 3, then ${installHint()}`);
  }
  const lines = stderr.split('\n');
  const old = lines.find((l) => l.startsWith('D4RT_OLD_PYTHON\t'));
  if (old !== undefined) return new ConvertError(`d4rt convert: ${who} is Python ${old.split('\t')[1]}; the converter needs Python 3.8 or later with torch, onnx, numpy and PyYAML (${installHint()})`);
  const missing = lines.filter((l) => l.startsWith('D4RT_MISSING\t')).map((l) => l.split('\t'));
  if (missing.length > 0) {
    const what = missing.map(([, name, error]) => `${name} (${error})`).join(', ');
    return new ConvertError(`d4rt convert: ${who} cannot import ${what}. Install: ${installHint(missing.map(([, name]) => name!))}`);
  }
  // An import that fails later, inside the converter (a broken install).
  const late = /^(ModuleNotFoundError|ImportError): (?:No module named '([^'.]+)|.*)/m.exec(stderr);
  if (late !== null) return new ConvertError(`d4rt convert: the converter could not import what it needs (${late[0]}). Install: ${installHint(late[2] !== undefined ? [late[2]] : undefined)}`);
  return null;
}

/** Runs the converter with `args`, streaming its lines to stderr (unless `quiet`). */
async function runConverter(args: string[], options: { quiet: boolean; signal?: AbortSignal }): Promise<void> {
  const python = pythonCommand();
  const location = converterLocation();
  const env = {
    ...process.env,
    PYTHONPATH: [location.path, process.env.PYTHONPATH].filter((p) => p !== undefined && p !== '').join(delimiter),
    PYTHONUNBUFFERED: '1',
    ...(process.env.D4RT_DEBUG ? {} : { PYTHONWARNINGS: 'ignore' }),
  };
  options.signal?.throwIfAborted();
  const child = spawn(python.command, ['-c', BOOTSTRAP, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const say = (line: string): void => {
    if (!options.quiet && line.trim() !== '') process.stderr.write(`d4rt convert: ${line}\n`);
  };
  let stderr = '';
  let pending = '';
  let started: { executable: string; version: string } | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /^D4RT_PYTHON\t(.*)\t(.*)$/.exec(line);
      if (m !== null) started = { executable: m[1]!, version: m[2]! };
      say(m ? `converter ${join(location.path, 'opend4rt')} (${location.from}) on Python ${m[2]} (${m[1]})` : line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.D4RT_DEBUG) process.stderr.write(chunk);
  });
  // Cancelled: SIGINT lets the converter remove its temporary folder (it writes atomically).
  const onAbort = (): void => void child.kill('SIGINT');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((done) => {
    child.once('error', (error: NodeJS.ErrnoException) => done({ code: null, error }));
    child.once('close', (code) => done({ code }));
  });
  options.signal?.removeEventListener('abort', onAbort);
  if (pending.trim() !== '') say(pending);
  options.signal?.throwIfAborted();
  const environment = environmentError(python, stderr, result.error, started);
  if (environment !== null) throw environment;
  if (result.code !== 0) {
    // The converter's own message ('convert_opend4rt: ...'), else the last line of a traceback.
    const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const own = lines.find((l) => l.startsWith('convert_opend4rt: '));
    const last = own?.slice('convert_opend4rt: '.length) ?? lines.at(-1) ?? `exit code ${result.code}`;
    const debug = process.env.D4RT_DEBUG || own ? '' : '; set D4RT_DEBUG=1 for the converter\'s output';
    throw new ConvertError(`d4rt convert: the conversion failed: ${last} (no output folder was written${debug})`);
  }
}
