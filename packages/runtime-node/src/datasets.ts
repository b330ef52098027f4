/**
 * Readers for sequences with ground truth (frames, and depth, cameras or tracks as the layout has
 * them), for evaluation and tests. Seven layouts, each with its reader; {@link readDataset} picks
 * one by the files a folder holds ({@link detectDatasetLayout}):
 *
 * | layout | what identifies it | ground truth |
 * |---|---|---|
 * | `d4rt-clip` | `clip.json` (a `d4rt-clip/1` fixture; `training/CLIP_FORMAT.md`) | depth, intrinsics, poses, tracks |
 * | `pi3-room` | `cameras.json` + `rgb/` (`depth/{i}.f32`) | depth, intrinsics, poses |
 * | `open3d-rgbd` | `rgbd.match` (+ `trajectory.log`, 16-bit millimetre depth PNGs) | depth, intrinsics (fixed), poses |
 * | `tum-rgbd` | `groundtruth.txt` + `rgb.txt` or `rgb/` ({@link readTumRgbd}) | depth (when present), intrinsics, poses |
 * | `sintel` | `depth/` + `camdata_left/` + `final/` or `clean/` ({@link readSintel}) | depth, intrinsics, poses |
 * | `tapvid3d` | a `.npz` file ({@link readTapVid3d}) | 3D tracks, intrinsics (poses when the file has them) |
 * | `image-poses` | images + `poses.txt`, `trajectory.tum` or `poses.json` ({@link readImagePoses}) | poses (depth with `depth/`) |
 *
 * Poses are camera-to-world, OpenCV axes (x right, y down, z forward), column-major
 * `Float64Array(16)` (gl-matrix `mat4` layout, kept in float64 so evaluation loses no precision). What a layout does not provide is absent from the
 * sequence (`depth`, `intrinsics`, `cameraToWorld`, `tracks` are then `undefined`), and how
 * something was chosen (default intrinsics, dropped frames) is said in `notes`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidVideoError, describeValue, type VideoFrames } from '@d4rt/core';
import { intrinsicsFromMatrix, type Intrinsics } from '@d4rt/geometry';
import { assertFolder, checkOptions, exists, isFolder, listFolder, positiveInt, readBytes, readDepthPng16, readFloats, readJson, readPoses, readText, rebase } from './dataset-files.js';
import { readFrames } from './read-frames.js';
import { readImagePoses, IMAGE_POSES_FILES } from './dataset-image-poses.js';
import { readSintel } from './dataset-sintel.js';
import { readTapVid3d } from './dataset-tapvid3d.js';
import { readTumRgbd } from './dataset-tum.js';
import { poseFromRowMajor } from '@d4rt/geometry';

/** Which layout a sequence was read from (see the module notes). */
export type DatasetLayout = 'd4rt-clip' | 'pi3-room' | 'open3d-rgbd' | 'tum-rgbd' | 'sintel' | 'tapvid3d' | 'image-poses';

/** The layouts in the order {@link detectDatasetLayout} tries them. */
export const DATASET_LAYOUTS: readonly DatasetLayout[] = Object.freeze(['tapvid3d', 'd4rt-clip', 'pi3-room', 'open3d-rgbd', 'tum-rgbd', 'sintel', 'image-poses'] as const);

/** What identifies each layout, for messages and help texts (`d4rt eval --help`). */
export const DATASET_LAYOUT_FILES: Readonly<Record<DatasetLayout, string>> = Object.freeze({
  'd4rt-clip': '`clip.json` (a d4rt-clip/1 fixture)',
  'pi3-room': '`cameras.json` + `rgb/` + `depth/` (pi3-room)',
  'open3d-rgbd': '`rgbd.match` + `trajectory.log` (Open3D RGB-D)',
  'tum-rgbd': '`groundtruth.txt` + `rgb.txt` (+ `depth.txt`) or `rgb/` (TUM RGB-D)',
  sintel: '`final/` or `clean/` + `depth/*.dpt` + `camdata_left/*.cam` (MPI Sintel)',
  tapvid3d: 'a `.npz` file with `tracks_XYZ`, `visibility`, `fx_fy_cx_cy` (TAPVid-3D)',
  'image-poses': `images (in the folder or \`images/\`) + ${IMAGE_POSES_FILES} (images and poses)`,
});

/** Ground-truth tracks; all arrays frame-major (`[t, n, ...]`). */
export interface GroundTruthTracks {
  /** Number of tracks N. */
  count: number;
  /** `N * 3`: (u, v, tSrc) of each track's query; u, v in [0, 1], tSrc a frame index. */
  query: Float32Array;
  /** `T * N * 2`: normalised (u, v) of track n in frame t (may lie outside [0, 1]). */
  uv: Float32Array;
  /** `T * N * 3`: the point of track n at frame t, in camera t. */
  xyzCamera: Float32Array;
  /** `T * N * 3`: the point of track n at frame t, in camera 0 (absent when the cameras are unknown). */
  xyzCam0?: Float32Array;
  /** `T * N`: 1 when track n is visible in frame t, else 0. */
  visible: Uint8Array;
  /** `N`: object id of the surface each track starts on (0 = static background), when the clip has it. */
  object?: Uint8Array;
  /**
   * The intrinsics the TAPVid-3D pixel thresholds are computed with, when the benchmark fixes them
   * (TAPVid-3D: the video's intrinsics scaled to a 256-pixel short side, as tapnet's
   * `evaluate_model.py`); else the first frame's.
   */
  metricIntrinsics?: Intrinsics;
}

/** A sequence with ground truth. */
export interface GroundTruthSequence {
  /** The folder's name (the file's name without `.npz` for TAPVid-3D). */
  name: string;
  /** The layout it was read from. */
  layout: DatasetLayout;
  /** The frames (8-bit RGB). */
  video: VideoFrames;
  /**
   * `frames * height * width` depths (camera z; metres, except Sintel's scene units); 0 = no value.
   * Absent when the layout has no depth (TAPVid-3D; image-poses without `depth/`; TUM's folder
   * form without `depth/`).
   */
  depth?: Float32Array;
  /** Per-frame intrinsics in pixels; absent when unknown (image-poses without `options.intrinsics`). */
  intrinsics?: Intrinsics[];
  /**
   * Per-frame camera-to-world pose, column-major `Float64Array(16)` (float64 from file to metric); see
   * {@link ReadDatasetOptions.world}. Absent when unknown (TAPVid-3D files without `extrinsics_w2c`).
   */
  cameraToWorld?: Float64Array[];
  /** Ground-truth tracks (fixture clips, TAPVid-3D). */
  tracks?: GroundTruthTracks;
  /** What the reader chose or dropped that a user should know (default intrinsics, unmatched frames). */
  notes?: string[];
}

/** A sequence with depth, intrinsics and poses: what `readClip`, `readPi3Room`, `readOpen3dRgbd` and `readSintel` return. */
export type CompleteGroundTruthSequence = GroundTruthSequence & Required<Pick<GroundTruthSequence, 'depth' | 'intrinsics' | 'cameraToWorld'>>;

/** Options of the dataset readers. */
export interface ReadDatasetOptions {
  /**
   * World frame of `cameraToWorld`: `'source'` (default) keeps the dataset's own world;
   * `'camera0'` re-expresses every pose in camera 0's frame (`inverse(pose0) * pose`, so frame 0 is
   * the identity), the SDK's convention. Fixture clips are stored with world = camera 0 already.
   */
  world?: 'source' | 'camera0';
  /**
   * Intrinsics in pixels for every frame, replacing what the layout has or guesses (TUM RGB-D's
   * published values, image-poses' none). Checked like `validateIntrinsics`.
   */
  intrinsics?: Intrinsics;
  /**
   * Cancels the read: checked before each file (image, depth map, camera), and passed on to
   * `readFrames` / `readVideo`. The promise rejects with `signal.reason`.
   */
  signal?: AbortSignal;
}

/**
 * The layout of a sequence folder (or `.npz` file), from the files it holds, without reading them:
 * a `.npz` file is `tapvid3d`; a folder is tried in the order of {@link DATASET_LAYOUTS} with what
 * {@link DATASET_LAYOUT_FILES} lists. Cheap: callers can check every input before loading a model.
 *
 * @param folder - the sequence folder, or a TAPVid-3D `.npz` file
 * @returns the layout
 * @throws TypeError / RangeError for a non-string or empty path; {@link InvalidVideoError}
 *   `'not-found'` when the path is missing, or is a folder that holds none of the layouts (the
 *   message lists them and what the folder holds)
 */
export async function detectDatasetLayout(folder: string): Promise<DatasetLayout> {
  const fn = 'detectDatasetLayout';
  if (typeof folder !== 'string') throw new TypeError(`${fn}: folder (${describeValue(folder)}) must be a string (a folder path)`);
  if (folder === '') throw new RangeError(`${fn}: folder ("") must be a non-empty folder path`);
  const s = await stat(folder).catch(() => undefined);
  if (s?.isFile() && folder.toLowerCase().endsWith('.npz')) return 'tapvid3d';
  const dir = await assertFolder(fn, folder);
  const has = (name: string): Promise<boolean> => exists(path.join(dir, name));
  if (await has('clip.json')) return 'd4rt-clip';
  if ((await has('cameras.json')) && (await has('rgb'))) return 'pi3-room';
  if (await has('rgbd.match')) return 'open3d-rgbd';
  if ((await has('groundtruth.txt')) && ((await has('rgb.txt')) || (await isFolder(path.join(dir, 'rgb'))))) return 'tum-rgbd';
  if ((await isFolder(path.join(dir, 'depth'))) && (await isFolder(path.join(dir, 'camdata_left'))) && ((await isFolder(path.join(dir, 'final'))) || (await isFolder(path.join(dir, 'clean'))))) return 'sintel';
  if ((await has('poses.txt')) || (await has('trajectory.tum')) || (await has('poses.json'))) return 'image-poses';
  const entries = await listFolder(dir);
  const shown = entries.slice(0, 8).map((e) => JSON.stringify(e)).join(', ') + (entries.length > 8 ? `, ... (${entries.length} entries)` : '');
  throw new InvalidVideoError(
    'not-found',
    `readDataset: ${JSON.stringify(folder)} holds no ground-truth sequence in a supported layout; the layouts are: ${DATASET_LAYOUTS.map((l) => `${l}: ${DATASET_LAYOUT_FILES[l]}`).join('; ')}. It holds ${entries.length === 0 ? 'nothing' : shown}`,
  );
}

/**
 * Reads a ground-truth sequence of any supported layout, chosen by {@link detectDatasetLayout}.
 *
 * @param folder - the sequence folder, or a TAPVid-3D `.npz` file
 * @param options - `{ world, intrinsics }`
 * @returns a new {@link GroundTruthSequence} (all arrays are fresh copies)
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'` when
 *   the path is missing or holds none of the layouts (the message lists them), and the errors of
 *   the reader it picks
 */
export async function readDataset(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
  const fn = 'readDataset';
  checkOptions(fn, options);
  const layout = await detectDatasetLayout(folder);
  switch (layout) {
    case 'd4rt-clip': return readClip(folder, options);
    case 'pi3-room': return readPi3Room(folder, options);
    case 'open3d-rgbd': return readOpen3dRgbd(folder, options);
    case 'tum-rgbd': return readTumRgbd(folder, options);
    case 'sintel': return readSintel(folder, options);
    case 'tapvid3d': return readTapVid3d(folder, options);
    case 'image-poses': return readImagePoses(folder, options);
  }
}

interface ClipJson {
  format?: unknown;
  frames?: unknown;
  width?: unknown;
  height?: unknown;
  fps?: unknown;
  intrinsics?: unknown;
  cameraToWorld?: unknown;
  files?: Record<string, unknown>;
  tracks?: { count?: unknown };
}

/**
 * Reads a `d4rt-clip/1` fixture folder (format in `training/CLIP_FORMAT.md`): frames, depth (camera z,
 * metres), intrinsics, camera-to-world poses (world = camera 0: frame 0 is exactly the identity)
 * and the ground-truth tracks.
 *
 * @param folder - the clip folder (holding `clip.json`)
 * @param options - `{ world }` (both values give the same poses for a clip)
 * @returns a new {@link GroundTruthSequence} with `tracks` (fresh arrays, `video.fps` from the clip)
 * @throws TypeError for bad arguments; {@link InvalidVideoError} `'not-found'` (missing folder or
 *   file), `'bad-frames'` (unsupported format, malformed `clip.json`, arrays of the wrong size)
 */
export async function readClip(folder: string, options: ReadDatasetOptions = {}): Promise<CompleteGroundTruthSequence> {
  const fn = 'readClip';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const json = (await readJson(fn, path.join(dir, 'clip.json'))) as ClipJson;
  const bad = (what: string): InvalidVideoError => new InvalidVideoError('bad-frames', `${fn}: ${path.join(dir, 'clip.json')}: ${what}`);
  if (json.format !== 'd4rt-clip/1') throw bad(`format (${describeValue(json.format)}) must be "d4rt-clip/1"`);
  const T = positiveInt(json.frames, () => bad(`frames (${describeValue(json.frames)}) must be an integer >= 1`));
  const W = positiveInt(json.width, () => bad(`width (${describeValue(json.width)}) must be an integer >= 1`));
  const H = positiveInt(json.height, () => bad(`height (${describeValue(json.height)}) must be an integer >= 1`));
  const files = json.files ?? {};
  const file = (key: string): string => {
    const name = files[key];
    if (typeof name !== 'string') throw bad(`files.${key} (${describeValue(name)}) must name a file`);
    return path.join(dir, name);
  };
  if (!Array.isArray(json.intrinsics) || json.intrinsics.length !== T) throw bad(`intrinsics must be ${T} rows of [fx, fy, cx, cy]`);
  const intrinsics = json.intrinsics.map((k: unknown, i) => {
    if (!Array.isArray(k) || k.length !== 4 || !k.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw bad(`intrinsics[${i}] (${describeValue(k)}) must be [fx, fy, cx, cy]`);
    }
    return { fx: k[0] as number, fy: k[1] as number, cx: k[2] as number, cy: k[3] as number };
  });
  const cameraToWorld = readPoses(fn, path.join(dir, 'clip.json'), json.cameraToWorld, T);

  const frames = await readBytes(fn, file('frames'), T * H * W * 3, `frames * height * width * 3 = ${T} * ${H} * ${W} * 3`);
  options.signal?.throwIfAborted();
  const depth = await readFloats(fn, file('depth'), T * H * W, `frames * height * width = ${T} * ${H} * ${W}`);
  const video: VideoFrames = { data: frames, frames: T, width: W, height: H };
  if (typeof json.fps === 'number' && json.fps > 0) video.fps = json.fps;

  const sequence: CompleteGroundTruthSequence = { name: path.basename(dir), layout: 'd4rt-clip', video, depth, intrinsics, cameraToWorld: rebase(cameraToWorld, options) };
  if (json.tracks !== undefined && files['tracksQuery'] !== undefined) {
    const N = positiveInt(json.tracks.count, () => bad(`tracks.count (${describeValue(json.tracks?.count)}) must be an integer >= 1`));
    const tracks: GroundTruthTracks = {
      count: N,
      query: await readFloats(fn, file('tracksQuery'), N * 3, `count * 3 = ${N} * 3`),
      uv: await readFloats(fn, file('tracksUv'), T * N * 2, `frames * count * 2 = ${T} * ${N} * 2`),
      xyzCamera: await readFloats(fn, file('tracksXyzCamera'), T * N * 3, `frames * count * 3 = ${T} * ${N} * 3`),
      xyzCam0: await readFloats(fn, file('tracksXyzCam0'), T * N * 3, `frames * count * 3 = ${T} * ${N} * 3`),
      visible: await readBytes(fn, file('tracksVisible'), T * N, `frames * count = ${T} * ${N}`),
    };
    if (files['tracksObject'] !== undefined) tracks.object = await readBytes(fn, file('tracksObject'), N, `count = ${N}`);
    sequence.tracks = tracks;
  }
  return sequence;
}

/**
 * Reads the `pi3-room` layout: `cameras.json` (`width`, `height`, `frames`, `intrinsics[i]` row-major
 * 3x3 in pixels, `cameraToWorld[i]` row-major 4x4), `rgb/{i}.png`, `depth/{i}.f32` (little-endian
 * float32, row-major `height x width`, metres, 0 = no value).
 *
 * @param folder - the sequence folder
 * @param options - `{ world }` (default `'source'`: the poses as stored)
 * @returns a new {@link GroundTruthSequence} without tracks (fresh arrays)
 * @throws TypeError for bad arguments; {@link InvalidVideoError} `'not-found'` (missing folder or
 *   file), `'bad-frames'` (malformed `cameras.json`, images or depth of the wrong size), and the
 *   errors of {@link readFrames} for the images
 */
export async function readPi3Room(folder: string, options: ReadDatasetOptions = {}): Promise<CompleteGroundTruthSequence> {
  const fn = 'readPi3Room';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const jsonPath = path.join(dir, 'cameras.json');
  const cams = (await readJson(fn, jsonPath)) as { width?: unknown; height?: unknown; frames?: unknown; intrinsics?: unknown; cameraToWorld?: unknown };
  const bad = (what: string): InvalidVideoError => new InvalidVideoError('bad-frames', `${fn}: ${jsonPath}: ${what}`);
  const W = positiveInt(cams.width, () => bad(`width (${describeValue(cams.width)}) must be an integer >= 1`));
  const H = positiveInt(cams.height, () => bad(`height (${describeValue(cams.height)}) must be an integer >= 1`));
  const n = typeof cams.frames === 'number' ? cams.frames : Array.isArray(cams.intrinsics) ? cams.intrinsics.length : NaN;
  const T = positiveInt(n, () => bad(`frames (${describeValue(cams.frames)}) must be an integer >= 1`));
  if (!Array.isArray(cams.intrinsics) || cams.intrinsics.length !== T) throw bad(`intrinsics must hold ${T} row-major 3x3 matrices`);
  const intrinsics = cams.intrinsics.map((k: unknown, i) => {
    try {
      return intrinsicsFromMatrix(k as number[][]);
    } catch (error) {
      throw bad(`intrinsics[${i}] is not a 3x3 intrinsics matrix (${(error as Error).message})`);
    }
  });
  const cameraToWorld = readPoses(fn, jsonPath, cams.cameraToWorld, T);
  const rgb = Array.from({ length: T }, (_, i) => path.join(dir, 'rgb', `${i}.png`));
  const video = await readFrames(rgb, { signal: options.signal });
  if (video.width !== W || video.height !== H) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${rgb[0]} is ${video.width}x${video.height} but cameras.json says ${W}x${H}`);
  }
  const depth = new Float32Array(T * H * W);
  for (let i = 0; i < T; i++) {
    options.signal?.throwIfAborted();
    depth.set(await readFloats(fn, path.join(dir, 'depth', `${i}.f32`), H * W, `height * width = ${H} * ${W}`), i * H * W);
  }
  return { name: path.basename(dir), layout: 'pi3-room', video, depth, intrinsics, cameraToWorld: rebase(cameraToWorld, options) };
}

/** Intrinsics of the Open3D RGB-D test data (PrimeSense default, 640 x 480). */
export const OPEN3D_INTRINSICS: Readonly<Intrinsics> = Object.freeze({ fx: 525, fy: 525, cx: 319.5, cy: 239.5 });

/**
 * Reads the Open3D RGB-D layout: `rgbd.match` (one `depth/x.png colour/x.jpg` pair per line, in
 * frame order), 16-bit depth PNGs in millimetres (0 = no value; returned in metres), and
 * `trajectory.log` (per frame a header line then 4 rows of a camera-to-world matrix; the first
 * `frames` entries are used). Intrinsics are the PrimeSense defaults {@link OPEN3D_INTRINSICS}
 * (fx = fy = 525, cx = 319.5, cy = 239.5), which hold for 640 x 480 images only.
 *
 * @param folder - the sequence folder
 * @param options - `{ world }` (default `'source'`: the poses as stored)
 * @returns a new {@link GroundTruthSequence} without tracks (fresh arrays)
 * @throws TypeError for bad arguments; {@link InvalidVideoError} `'not-found'` (missing folder or
 *   file), `'bad-frames'` (malformed `rgbd.match` / `trajectory.log`, fewer poses than frames,
 *   images that are not 640 x 480, depth that is not 16-bit greyscale), and the errors of
 *   {@link readFrames} for the colour images
 */
export async function readOpen3dRgbd(folder: string, options: ReadDatasetOptions = {}): Promise<CompleteGroundTruthSequence> {
  const fn = 'readOpen3dRgbd';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const matchPath = path.join(dir, 'rgbd.match');
  const pairs = (await readText(fn, matchPath))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l, i) => {
      const parts = l.split(/\s+/);
      if (parts.length < 2) throw new InvalidVideoError('bad-frames', `${fn}: ${matchPath}: line ${i + 1} (${JSON.stringify(l)}) must be "depth-file colour-file"`);
      return { depth: path.join(dir, parts[0]!), colour: path.join(dir, parts[1]!) };
    });
  if (pairs.length === 0) throw new InvalidVideoError('bad-frames', `${fn}: ${matchPath} lists no frames`);
  const T = pairs.length;
  const logPath = path.join(dir, 'trajectory.log');
  const lines = (await readText(fn, logPath)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (Math.floor(lines.length / 5) < T) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${logPath} holds ${Math.floor(lines.length / 5)} poses (${lines.length} lines, 5 per pose) but rgbd.match lists ${T} frames`);
  }
  const cameraToWorld: Float64Array[] = [];
  for (let i = 0; i < T; i++) {
    const rows = lines.slice(i * 5 + 1, i * 5 + 5).map((l) => l.split(/\s+/).map(Number));
    try {
      cameraToWorld.push(poseFromRowMajor(new Float64Array(16), rows) as Float64Array);
    } catch (error) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${logPath}: pose ${i} (lines ${i * 5 + 2}-${i * 5 + 5}) is not a 4x4 matrix (${(error as Error).message})`);
    }
  }
  const video = await readFrames(pairs.map((p) => p.colour), { signal: options.signal });
  if (video.width !== 640 || video.height !== 480) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${pairs[0]!.colour} is ${video.width}x${video.height}, but the Open3D intrinsics hold for 640x480 only`);
  }
  const { width: W, height: H } = video;
  const depth = new Float32Array(T * H * W);
  for (let i = 0; i < T; i++) {
    options.signal?.throwIfAborted();
    await readDepthPng16(fn, pairs[i]!.depth, W, H, 1000, depth.subarray(i * W * H, (i + 1) * W * H));
  }
  const intrinsics = pairs.map(() => ({ ...OPEN3D_INTRINSICS }));
  return { name: path.basename(dir), layout: 'open3d-rgbd', video, depth, intrinsics, cameraToWorld: rebase(cameraToWorld, options) };
}
