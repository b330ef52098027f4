/**
 * `--decoder query|tracker` of `d4rt track` and `d4rt eval`: which decoder tracks points
 * (`Scene.track`'s `decoder`), and the check that the model has the tracker graph before any work.
 *
 * @module
 */
import { NoTrackerError, type ModelManifest } from '@d4rt/core';
import { choiceOption } from './options.js';

/** The values of `--decoder`. */
export const DECODERS = ['query', 'tracker'] as const;

/** Which decoder tracks: `'query'` (D4RT's independent queries) or `'tracker'` (the tracking decoder). */
export type TrackDecoder = (typeof DECODERS)[number];

/** Help of `--decoder`, aligned for the command's option column (`width` = where descriptions start). */
export function decoderHelp(width: number): string {
  const pad = ' '.repeat(width);
  return `  ${'--decoder <d>'.padEnd(width - 2)}query (default: D4RT's independent queries, one per point and frame) |
${pad}tracker (the model's tracking decoder: whole trajectories at once, the
${pad}points of a run attend to each other; needs a model with a tracker graph;
${pad}up to 1024 points per run, more in runs of consecutive points of equal size)`;
}

/**
 * Reads `--decoder` (default `'query'`).
 * @throws UsageError for another value
 */
export function decoderOption(command: string, value: string | undefined): TrackDecoder {
  return choiceOption(command, 'decoder', value, DECODERS) ?? 'query';
}

/**
 * Refuses `--decoder tracker` for a model without a tracker graph, before anything runs.
 * @throws {@link NoTrackerError} (exit 1, as other model errors) naming the model and `--decoder query`
 */
export function checkDecoder(command: string, decoder: TrackDecoder, manifest: ModelManifest): void {
  if (decoder === 'tracker' && manifest.tracker === undefined) {
    throw new NoTrackerError(
      `d4rt ${command}: --decoder tracker needs a tracker graph, and the model '${manifest.name}' has none (its manifest has no 'tracker' section); --decoder query (the default) tracks with any model`,
    );
  }
}
