/**
 * A progress display for the CLI on stderr: one redrawn line on a terminal, one line per finished
 * stage otherwise (logs and CI; one line per window of a whole-video run), nothing with `quiet`.
 *
 * @module
 */
import type { Progress, ProgressCallback } from '@d4rt/core';

const LABELS: Record<Progress['stage'], string> = {
  read: 'reading model',
  'decode-video': 'decoding video',
  preprocess: 'preprocessing',
  encode: 'encoding',
  query: 'querying',
  write: 'writing',
  window: 'windows',
};

/** Creates a progress callback that draws on `stream` (default stderr); `label` prefixes the line. */
export function progressBar(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressCallback & { label: (text: string) => void; done: () => void } {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  let prefix = '';
  let last = 0;
  let open = false;
  const cb = ((p: Progress) => {
    if (options.quiet) return;
    const name = `${prefix}${LABELS[p.stage]}`;
    if (tty) {
      const now = Date.now();
      if (p.done !== p.total && now - last < 80) return;
      last = now;
      const width = 24;
      const frac = p.total > 0 ? p.done / p.total : 1;
      const fill = Math.round(frac * width);
      stream.write(`\r${name.padEnd(28)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.done}/${p.total}\x1b[K`);
      open = true;
      if (p.done === p.total) {
        stream.write('\n');
        open = false;
      }
    } else if (p.stage === 'window' && p.done > 0) {
      // whole videos: one line per window, so logs show how far a long run is
      stream.write(`${name}: ${p.done}/${p.total}\n`);
    } else if (p.done === p.total) {
      stream.write(`${name}: ${p.total} done\n`);
    }
  }) as ProgressCallback & { label: (text: string) => void; done: () => void };
  cb.label = (text: string) => {
    prefix = text ? `${text}: ` : '';
  };
  cb.done = () => {
    if (open) stream.write('\n');
    open = false;
  };
  return cb;
}
