/**
 * The targets, their share of a run's cases, and their per-case time limits. Cheap targets
 * (parsers, argument checks) get most cases; the ones that decode media or run the model fewer.
 *
 * @module
 */

/** One target's entry. */
export interface TargetInfo {
  /** Cases out of 10,000 (scaled to `--cases`). */
  per10k: number;
  /** A case over this is a hang (the worker is killed). */
  timeoutMs: number;
  /** What it fuzzes. */
  summary: string;
}

/**
 * The targets in the order their cases are handed out: the slow ones first, so that they spread
 * over the workers and no worker is left with a long tail.
 */
export const TARGETS = {
  huge: { per10k: 5, timeoutMs: 120_000, summary: '10^7 queries through Scene.query / track: an answer, InvalidQueryError, or the abort of a time budget' },
  cli: { per10k: 48, timeoutMs: 90_000, summary: 'the d4rt CLI (in process, and every 8th case as a child process) on bad inputs and options into a fresh output folder' },
  'model-load': { per10k: 60, timeoutMs: 60_000, summary: 'loadModel on a folder with a mutated manifest.json (text or structure) beside the real graphs' },
  video: { per10k: 130, timeoutMs: 60_000, summary: 'readVideo / openVideo on mutated MP4, AVI and WebM files (truncated, flipped bytes, huge sizes, wrong extensions)' },
  encode: { per10k: 300, timeoutMs: 30_000, summary: 'D4rtModel.encode on malformed VideoFrames (sizes, types, lengths) and on the frames of mutated images' },
  dataset: { per10k: 1000, timeoutMs: 30_000, summary: 'readDataset / detectDatasetLayout on TUM RGB-D, Sintel, TAPVid-3D, images + poses and clip folders with missing files, mismatched counts and unparsable numbers' },
  image: { per10k: 900, timeoutMs: 30_000, summary: 'readFrames / openFrames on mutated PNG, JPEG, WebP, TIFF, PPM, PGM, PBM, PAM and BMP files' },
  npz: { per10k: 1400, timeoutMs: 20_000, summary: 'readTapVid3d on mutated .npz archives; parseSintelDepth / parseSintelCamera on mutated bytes' },
  query: { per10k: 2527, timeoutMs: 30_000, summary: 'Scene.query / track / depth / cameras / pointCloud / frameOfSource with NaN, +-Infinity, -0, 1 + 1e-7, wrong typed arrays, mismatched lengths, bad options' },
  writer: { per10k: 300, timeoutMs: 20_000, summary: 'writeOutputFolder with writers that fail part-way, and the file writers with bad arguments: nothing partial is left' },
  manifest: { per10k: 3330, timeoutMs: 10_000, summary: 'parseManifest on mutated manifest JSON (types, shapes, missing and extra keys, huge numbers)' },
} as const satisfies Record<string, TargetInfo>;

/** A target's name. */
export type TargetName = keyof typeof TARGETS;

/** Whether `name` names a target. */
export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

/**
 * The case ids of a run of `cases` cases over `targets`: each target's share (largest remainders),
 * in the order of {@link TARGETS}, as `<target>:<index>`.
 */
export function planCases(cases: number, targets: readonly TargetName[] = Object.keys(TARGETS) as TargetName[]): string[] {
  const total = targets.reduce((s, t) => s + TARGETS[t].per10k, 0);
  const exact = targets.map((t) => (cases * TARGETS[t].per10k) / total);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0, left = cases - counts.reduce((s, c) => s + c, 0); k < left; k++) counts[order[k % order.length]!.i]!++;
  return targets.flatMap((t, i) => Array.from({ length: counts[i]! }, (_, k) => `${t}:${k}`));
}

/** The target of a case id. */
export function targetOf(id: string): TargetName {
  const name = id.slice(0, id.lastIndexOf(':'));
  if (!isTargetName(name)) throw new Error(`fuzz: case id ${JSON.stringify(id)} names no target; the targets are ${Object.keys(TARGETS).join(', ')}`);
  return name;
}
