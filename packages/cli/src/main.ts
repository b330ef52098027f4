/**
 * The `d4rt` command line: dispatch, help, and exit codes (0 success, 1 the work failed with a
 * named error, 2 a usage mistake, 130 cancelled by SIGINT / SIGTERM). Errors print one line, never
 * a stack (set `D4RT_DEBUG=1` for it).
 *
 * @module
 */
import { createRequire } from 'node:module';
import { D4rtError } from '@d4rt/core';
import { runBench } from './bench.js';
import { isVideoCommand, runVideoCommand, videoCommandSummaries, type CommandResult } from './commands.js';
import { CONVERT_SUMMARY, ConvertError, runConvert } from './convert.js';
import { runDemo, runEval } from './demo-eval.js';
import { UsageError } from './options.js';

/** The commands of the main help: usage and summary, printed in two aligned columns. */
const COMMANDS: [string, string][] = [
  ['d4rt demo', 'run the embedded model on the bundled demo clip, print its metrics'],
  ...videoCommandSummaries(),
  ['d4rt eval <folder...>', 'metrics on fixture clips / datasets (--fixtures: the bundled ones)'],
  ['d4rt bench', 'speed: encoder, decoder, SDK overhead, PyTorch vs onnxruntime'],
  CONVERT_SUMMARY,
];

/** The top-level help: every summary starts in one column, two spaces after the longest usage. */
function mainHelp(): string {
  const column = Math.max(...COMMANDS.map(([usage]) => usage.length)) + 2;
  return `d4rt: 4D scenes (depth, tracks, cameras, point clouds) from a monocular video.

Usage:
${COMMANDS.map(([usage, summary]) => `  ${usage.padEnd(column)}${summary}`).join('\n')}

A <video> is a video file or a folder of images (frames in name order).
Run d4rt <command> --help for a command's options.`;
}

function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code; output goes to
 * stdout/stderr.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Ctrl-C (SIGINT) or SIGTERM cancels the work: the output folder is left as it was.
  const cancel = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => cancel.abort(new CancelledError(`cancelled by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let result: CommandResult;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') result = { stdout: `${mainHelp()}\n` };
    else if (command === '--version' || command === '-v') result = { stdout: `${version()}\n` };
    else if (command === 'demo') result = await runDemo(rest, cancel.signal);
    else if (command === 'eval') result = await runEval(rest, cancel.signal);
    else if (command === 'bench') result = await runBench(rest);
    else if (command === 'convert') result = await runConvert(rest, cancel.signal);
    else if (isVideoCommand(command)) result = await runVideoCommand(command, rest, cancel.signal);
    else throw new UsageError(`d4rt: unknown command ${JSON.stringify(command)}; the commands are demo, depth, track, pose, recon, eval, bench, convert (see d4rt --help)`);
    process.stdout.write(result.stdout);
    return 0;
  } catch (error) {
    process.stderr.write('\n');
    if (process.env.D4RT_DEBUG) console.error(error);
    if (cancel.signal.aborted) {
      process.stderr.write(`d4rt: ${(cancel.signal.reason as Error).message}; no output was written\n`);
      return 130;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof ConvertError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof D4rtError) {
      process.stderr.write(`d4rt: ${error.name}: ${error.message}\n`);
      return 1;
    }
    const e = error as Error;
    process.stderr.write(`d4rt: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}${process.env.D4RT_DEBUG ? '' : ' (set D4RT_DEBUG=1 for details)'}\n`);
    return e instanceof TypeError || e instanceof RangeError ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The work was cancelled (SIGINT / SIGTERM); exit code 130. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}
