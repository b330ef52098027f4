/**
 * The TUM RGB-D benchmark layout (Sturm et al., IROS 2012; https://cvg.cit.tum.de/data/datasets/rgbd-dataset).
 *
 * @module
 */
import path from 'node:path';
import { InvalidVideoError } from '@d4rt/core';
import { parseTum, type Intrinsics } from '@d4rt/geometry';
import { assertFolder, checkOptions, compareNames, exists, isFolder, listFolder, readDepthPng16, readText, rebase } from './dataset-files.js';
import type { GroundTruthSequence, ReadDatasetOptions } from './datasets.js';
import { IMAGE_EXTENSIONS } from './image-file.js';
import { readFrames } from './read-frames.js';

/**
 * TUM's published colour-camera intrinsics of its three Kinects (640 x 480; the depth images are
 * registered to the colour camera), by the `freiburg1` / `freiburg2` / `freiburg3` in a sequence's
 * name, and ROS's default (`'default'`, what TUM recommends when the camera is unknown). The lens
 * distortion TUM also publishes (fr1, fr2) is not applied.
 */
export const TUM_INTRINSICS: Readonly<Record<'fr1' | 'fr2' | 'fr3' | 'default', Readonly<Intrinsics>>> = Object.freeze({
  fr1: Object.freeze({ fx: 517.3, fy: 516.5, cx: 318.6, cy: 255.3 }),
  fr2: Object.freeze({ fx: 520.9, fy: 521.0, cx: 325.1, cy: 249.7 }),
  fr3: Object.freeze({ fx: 535.4, fy: 539.2, cx: 320.1, cy: 247.6 }),
  default: Object.freeze({ fx: 525.0, fy: 525.0, cx: 319.5, cy: 239.5 }),
});

/** TUM's depth PNG scale: a value of 5000 is one metre. */
export const TUM_DEPTH_FACTOR = 5000;

/** TUM's `associate.py` default: the largest timestamp difference of a matched pair, seconds (exclusive). */
export const TUM_MAX_DIFFERENCE = 0.02;

/**
 * Matches two timestamp lists as TUM's `associate.py` does: every pair closer than
 * `maxDifference` (strictly) is a candidate; candidates are taken closest first (ties by the first
 * then the second timestamp), each timestamp used at most once; the matches are returned sorted by
 * the first timestamp.
 *
 * @param first - timestamps, seconds (any order)
 * @param second - timestamps, seconds (any order)
 * @param maxDifference - default {@link TUM_MAX_DIFFERENCE}
 * @returns new `[indexInFirst, indexInSecond]` pairs
 */
export function associateTimestamps(first: ArrayLike<number>, second: ArrayLike<number>, maxDifference = TUM_MAX_DIFFERENCE): [number, number][] {
  const order = Array.from({ length: second.length }, (_, j) => j).sort((x, y) => second[x]! - second[y]!);
  const sorted = order.map((j) => second[j]!);
  const candidates: { diff: number; a: number; b: number }[] = [];
  for (let i = 0; i < first.length; i++) {
    const a = first[i]!;
    // first sorted index with second >= a - maxDifference
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= a - maxDifference) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < sorted.length && sorted[k]! < a + maxDifference; k++) {
      const diff = Math.abs(a - sorted[k]!);
      if (diff < maxDifference) candidates.push({ diff, a: i, b: order[k]! });
    }
  }
  candidates.sort((x, y) => x.diff - y.diff || first[x.a]! - first[y.a]! || second[x.b]! - second[y.b]!);
  const usedA = new Uint8Array(first.length), usedB = new Uint8Array(second.length);
  const matches: [number, number][] = [];
  for (const { a, b } of candidates) {
    if (usedA[a] || usedB[b]) continue;
    usedA[a] = 1;
    usedB[b] = 1;
    matches.push([a, b]);
  }
  return matches.sort((x, y) => first[x[0]]! - first[y[0]]!);
}

/** The TUM intrinsics for a sequence folder's name, and whether they were guessed. */
export function tumIntrinsicsFor(name: string): { key: keyof typeof TUM_INTRINSICS; intrinsics: Intrinsics } {
  const m = /(?:freiburg|fr)([123])(?![0-9])/i.exec(name);
  const key = m ? (`fr${m[1]}` as 'fr1' | 'fr2' | 'fr3') : 'default';
  return { key, intrinsics: { ...TUM_INTRINSICS[key] } };
}

/** `timestamp filename` lines of `rgb.txt` / `depth.txt` (comments `#` and blank lines skipped). */
async function readList(fn: string, file: string): Promise<{ time: number[]; file: string[] }> {
  const out = { time: [] as number[], file: [] as string[] };
  const lines = (await readText(fn, file)).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const parts = l.split(/\s+/);
    const t = Number(parts[0]);
    if (parts.length < 2 || !Number.isFinite(t)) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file}: line ${i + 1} (${JSON.stringify(l.slice(0, 80))}) must be "timestamp filename"`);
    }
    out.time.push(t);
    out.file.push(path.join(path.dirname(file), parts[1]!));
  });
  if (out.time.length === 0) throw new InvalidVideoError('bad-frames', `${fn}: ${file} lists no frames`);
  return out;
}

/** The images of a folder named by their timestamps (`1305031102.175304.png`), as `rgb.txt` would list them. */
async function listByTimestamp(fn: string, dir: string, extensions: readonly string[]): Promise<{ time: number[]; file: string[] }> {
  const names = (await listFolder(dir)).filter((n) => extensions.includes(path.extname(n).slice(1).toLowerCase()));
  if (names.length === 0) throw new InvalidVideoError('not-found', `${fn}: ${dir} holds no images (${extensions.join(', ')})`);
  const time = names.map((n) => Number(path.basename(n, path.extname(n))));
  const badName = names.find((_, i) => !Number.isFinite(time[i]!));
  if (badName !== undefined) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${path.join(dir, badName)}: in TUM's folder form each image is named by its timestamp in seconds (e.g. 1305031102.175304.png)`);
  }
  const order = time.map((_, i) => i).sort((a, b) => time[a]! - time[b]! || compareNames(names[a]!, names[b]!));
  return { time: order.map((i) => time[i]!), file: order.map((i) => path.join(dir, names[i]!)) };
}

/**
 * Reads a TUM RGB-D sequence in either of its forms:
 * - the full form: `rgb.txt` and `depth.txt` (`timestamp filename` per line) and `groundtruth.txt`;
 * - the folder form: `rgb/` (and, when present, `depth/`) with images named by their timestamps,
 *   and `groundtruth.txt`.
 *
 * Frames: each colour image is paired with a depth image (when there is depth) and then with a
 * ground-truth pose by {@link associateTimestamps} (TUM's `associate.py`: nearest timestamps,
 * less than 0.02 s apart, each used once, closest pairs first); colour images left without a
 * partner are dropped, and `notes` says how many. Depth: 16-bit PNG / {@link TUM_DEPTH_FACTOR}
 * (5000 = 1 m; 0 = no value). Poses: `groundtruth.txt` lines `timestamp tx ty tz qx qy qz qw`
 * (camera-to-world, read and kept in float64). Intrinsics:
 * `options.intrinsics`, else {@link TUM_INTRINSICS} of the `freiburg1/2/3` in the folder's name
 * (TUM's `rgbd_dataset_freiburg1_xyz` etc.), else ROS's default with a note.
 *
 * @param folder - the sequence folder
 * @param options - `{ world, intrinsics }` (default world `'source'`: the motion-capture world)
 * @returns a new {@link GroundTruthSequence} (`depth` absent in the folder form without `depth/`)
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'`
 *   (missing folder, file or images), `'bad-frames'` (unparsable lines, no frame with a pose,
 *   depth PNGs that are not 16-bit or not the colour size), and the errors of `readFrames`
 */
export async function readTumRgbd(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
  const fn = 'readTumRgbd';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const notes: string[] = [];
  const full = await exists(path.join(dir, 'rgb.txt'));
  const rgb = full ? await readList(fn, path.join(dir, 'rgb.txt')) : await listByTimestamp(fn, path.join(dir, 'rgb'), IMAGE_EXTENSIONS);
  const depthList = full
    ? (await exists(path.join(dir, 'depth.txt'))) ? await readList(fn, path.join(dir, 'depth.txt')) : undefined
    : (await isFolder(path.join(dir, 'depth'))) ? await listByTimestamp(fn, path.join(dir, 'depth'), ['png']) : undefined;
  const gtPath = path.join(dir, 'groundtruth.txt');
  let gt;
  try {
    gt = parseTum(await readText(fn, gtPath));
  } catch (error) {
    if (error instanceof InvalidVideoError) throw error;
    throw new InvalidVideoError('bad-frames', `${fn}: ${gtPath}: ${(error as Error).message}`, { cause: error });
  }
  if (gt.poses.length === 0) throw new InvalidVideoError('bad-frames', `${fn}: ${gtPath} holds no poses`);

  // colour <-> depth, then the matched colour frames <-> ground truth
  let frames = rgb.time.map((_, i) => ({ rgb: i, depth: -1 }));
  if (depthList) {
    frames = associateTimestamps(rgb.time, depthList.time).map(([r, d]) => ({ rgb: r, depth: d }));
    if (frames.length < rgb.time.length) notes.push(`${rgb.time.length - frames.length} of ${rgb.time.length} colour images have no depth image within ${TUM_MAX_DIFFERENCE} s and were dropped`);
  }
  const withPose = associateTimestamps(frames.map((f) => rgb.time[f.rgb]!), gt.timestamps);
  if (withPose.length < frames.length) notes.push(`${frames.length - withPose.length} of ${frames.length} frames have no ground-truth pose within ${TUM_MAX_DIFFERENCE} s and were dropped`);
  if (withPose.length === 0) {
    throw new InvalidVideoError(
      'bad-frames',
      `${fn}: no frame of ${dir} has a ground-truth pose within ${TUM_MAX_DIFFERENCE} s (images ${rgb.time[0]}..${rgb.time[rgb.time.length - 1]} s, groundtruth.txt ${gt.timestamps[0]}..${gt.timestamps[gt.timestamps.length - 1]} s)`,
    );
  }
  const chosen = withPose.map(([f, g]) => ({ ...frames[f]!, pose: g }));

  const video = await readFrames(chosen.map((c) => rgb.file[c.rgb]!), { signal: options.signal });
  const { width: W, height: H } = video;
  const T = chosen.length;
  let depth: Float32Array | undefined;
  if (depthList) {
    depth = new Float32Array(T * H * W);
    for (let i = 0; i < T; i++) {
      options.signal?.throwIfAborted();
      await readDepthPng16(fn, depthList.file[chosen[i]!.depth]!, W, H, TUM_DEPTH_FACTOR, depth.subarray(i * W * H, (i + 1) * W * H));
    }
  }
  let K: Intrinsics;
  if (options.intrinsics) K = { ...options.intrinsics };
  else {
    const { key, intrinsics } = tumIntrinsicsFor(path.basename(dir));
    K = intrinsics;
    if (key === 'default') notes.push(`the folder name ${JSON.stringify(path.basename(dir))} names no freiburg1/2/3 camera: ROS's default intrinsics fx = fy = 525, cx = 319.5, cy = 239.5 were used (give the intrinsics to override)`);
  }
  if (!options.intrinsics && (W !== 640 || H !== 480)) notes.push(`the images are ${W}x${H}, but TUM's intrinsics are for 640x480`);
  const cameraToWorld = chosen.map((c) => Float64Array.from(gt.poses[c.pose]!));
  return {
    name: path.basename(dir),
    layout: 'tum-rgbd',
    video,
    ...(depth && { depth }),
    intrinsics: chosen.map(() => ({ ...K })),
    cameraToWorld: rebase(cameraToWorld, options),
    ...(notes.length > 0 && { notes }),
  };
}
