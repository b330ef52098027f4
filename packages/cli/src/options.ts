/**
 * Command-line parsing shared by the commands (node:util parseArgs), and the usage error.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options every model-running command takes. */
export const COMMON_OPTIONS = {
  model: { type: 'string' },
  device: { type: 'string', default: 'auto' },
  threads: { type: 'string' },
  'chunk-size': { type: 'string', default: '4096' },
  out: { type: 'string', short: 'o', default: 'd4rt-out' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Help text of the common options. */
export const COMMON_HELP = `Common options:
  --model <dir>        model folder (d4rt-model/1); default the embedded d4rt-tiny
  --device <d>         auto | cpu | cuda (default auto)
  --threads <n>        onnxruntime threads per operator (default: all cores)
  --chunk-size <n>     queries per decoder run (default 4096; answers do not depend on it)
  -o, --out <dir>      output folder (default ./d4rt-out); written all-or-nothing
  -q, --quiet          no progress output
  -h, --help           this help`;

/** Parses `argv` with `options`, turning parse failures into {@link UsageError}. */
export function parse(
  command: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  positionals = true,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (error) {
    throw new UsageError(`d4rt ${command}: ${(error as Error).message} (see d4rt ${command} --help)`);
  }
}

/** An integer option in [min, max]. */
export function intOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`d4rt ${command}: --${name} (${JSON.stringify(value)}) must be an integer in [${min}, ${max}]`);
  }
  return n;
}

/** A number option in [min, max]. */
export function numberOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`d4rt ${command}: --${name} (${JSON.stringify(value)}) must be a number in [${min}, ${max}]`);
  }
  return n;
}

/** One of `allowed`. */
export function choiceOption<T extends string>(command: string, name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`d4rt ${command}: --${name} (${JSON.stringify(value)}) must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
