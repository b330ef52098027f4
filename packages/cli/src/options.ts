/**
 * Command-line parsing shared by the commands (node:util parseArgs), and the usage error.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ScaleReference } from '@d4rt/core';
import type { NodeDevice, NodeExecutionProvider } from '@d4rt/runtime-node';

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
  --device <d>         auto | cpu | cuda | webgpu, or an order to try, e.g. webgpu,cpu
                       (default auto: cuda where its provider is installed, then cpu; never webgpu)
  --threads <n>        onnxruntime threads per operator (default: all cores)
  --chunk-size <n>     queries per decoder run (default 4096; answers depend on it by float32 rounding at most)
  -o, --out <dir>      output folder (default ./d4rt-out); written all-or-nothing
  -q, --quiet          no progress output
  -h, --help           this help`;

/** Help of `--upsample` for the commands that compute depth at the source size: `d4rt demo` (default joint-bilateral), `d4rt eval` (default none). */
export const UPSAMPLE_HELP = {
  demo: `  --upsample <mode>    depth at the clip's size, above the model's input (d4rt-tiny: 96x64):
                       joint-bilateral (default: a grid of the model's size per frame, upsampled
                       guided by the frame's colours) | bilinear (the same grid) | none (one query
                       per pixel, as training's evaluation: 4x the queries)`,
  eval: `  --upsample <mode>    d4rt-clip/1 clips' depth at the source size: none (default: one query per
                       pixel, as training's evaluate.py) | joint-bilateral | bilinear (a grid of
                       the model's size per frame, upsampled: Scene.depth's default)`,
};

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
    throw new UsageError(`d4rt ${command}: ${usageMessage(error as Error & { code?: string })} (see d4rt ${command} --help)`);
  }
}

/** Suggestions for options people try that the commands spell differently. */
const INSTEAD: Record<string, string> = {
  '--frames': 'to process every frame use --all-frames, or --fps <n> for n frames per second',
  '--all': 'to process every frame use --all-frames',
  '--scale': 'for metric scale use --scale-from depth:<x>,<y>,<metres> | distance:<x1>,<y1>,<x2>,<y2>,<metres> | height:<metres>',
};

/**
 * One readable line for a `parseArgs` error. Node's own message for an unknown option suggests
 * quoting it after `--` with unbalanced quotes; this names the option and, for common guesses,
 * the option to use instead.
 */
function usageMessage(error: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const name = unknown[1]!.replace(/=.*$/, '');
    const hint = INSTEAD[name];
    return `unknown option ${JSON.stringify(unknown[1])}${hint ? `; ${hint}` : ''}`;
  }
  const value = /^Option '([^']+)' argument missing/.exec(error.message);
  if (value) return `option ${JSON.stringify(value[1]!.replace(/^-\w, /, ''))} needs a value`;
  return error.message;
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

/** The devices `--device` names, alone or in a comma-separated order. */
const DEVICES: readonly NodeExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];

/**
 * Parses `--device`: `auto`, one device (`cpu`, `cuda`, `webgpu`), or a comma-separated order to
 * try (`webgpu,cpu`), as `loadModel`'s `device` takes them.
 * @returns the device, the list, or undefined when the option is absent
 * @throws {@link UsageError} for an unknown device, an empty entry or a device named twice
 */
export function deviceOption(command: string, value: string | undefined): NodeDevice | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto') return 'auto';
  const list = value.split(',').map((d) => d.trim());
  const bad = list.find((d) => !DEVICES.includes(d as NodeExecutionProvider));
  const twice = list.find((d, i) => list.indexOf(d) !== i);
  if (bad !== undefined || twice !== undefined) {
    const why = bad === undefined ? `; it names ${twice} twice` : bad === '' ? '; it has an empty entry' : list.length > 1 ? `; ${JSON.stringify(bad)} is not a device` : '';
    throw new UsageError(`d4rt ${command}: --device (${JSON.stringify(value)}) must be one of auto, ${DEVICES.join(', ')}, or a comma-separated order of distinct devices to try, e.g. webgpu,cpu${why}`);
  }
  return list.length === 1 ? (list[0] as NodeExecutionProvider) : (list as NodeExecutionProvider[]);
}

/** Grammar of `--scale-from`, for messages. */
export const SCALE_FROM_FORMS = 'depth:<x>,<y>,<metres> | distance:<x1>,<y1>,<x2>,<y2>,<metres> | height:<metres>, each optionally followed by @<source frame>';

/**
 * Parses `--scale-from`: a known depth at a pixel, a known distance between two pixels, or the
 * camera's height above the floor; pixels in source-video pixels, `@<frame>` a source frame.
 * @returns a core `ScaleReference`, or undefined when the option is absent
 */
export function scaleFromOption(command: string, value: string | undefined): ScaleReference | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string): never => {
    throw new UsageError(`d4rt ${command}: --scale-from (${JSON.stringify(value)}) ${why}; the forms are ${SCALE_FROM_FORMS}`);
  };
  const m = /^(depth|distance|height):([^@]*)(?:@(\d+))?$/.exec(value.trim());
  if (!m) return bad('is not one of the forms');
  const nums = m[2]!.split(',').map((x) => x.trim());
  const values = nums.map(Number);
  if (nums.some((x) => x === '') || values.some((x) => !Number.isFinite(x))) return bad('must hold numbers separated by commas');
  const want = { depth: 3, distance: 5, height: 1 }[m[1] as 'depth' | 'distance' | 'height'];
  if (values.length !== want) return bad(`must give ${want} number${want > 1 ? 's' : ''} after '${m[1]}:'`);
  const metres = values[values.length - 1]!;
  if (!(metres > 0)) return bad(`must end with a distance in metres > 0 (got ${metres})`);
  const frame = m[3] === undefined ? {} : { frame: Number(m[3]) };
  if (m[1] === 'depth') return { kind: 'depth', at: [values[0]!, values[1]!], metres, ...frame };
  if (m[1] === 'distance') return { kind: 'distance', from: [values[0]!, values[1]!], to: [values[2]!, values[3]!], metres, ...frame };
  return { kind: 'height', metres, ...frame };
}
