/**
 * Readers for sequences with ground truth (frames + depth + cameras, and tracks for fixture clips),
 * for evaluation and tests. Three layouts:
 *
 * - `d4rt-clip/1` fixture folders (`clip.json` + raw arrays; see `training/CLIP_FORMAT.md`);
 * - the `pi3-room` layout (`cameras.json`, `rgb/{i}.png`, `depth/{i}.f32`);
 * - the Open3D RGB-D layout (`rgbd.match`, 16-bit millimetre depth PNGs, `trajectory.log`).
 *
 * Poses are camera-to-world, OpenCV axes, column-major `Float32Array(16)` (gl-matrix `mat4`).
 *
 * @module
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { InvalidVideoError, describeValue, type VideoFrames } from '@d4rt/core';
import { intrinsicsFromMatrix, poseFromRowMajor, relativePose, type Intrinsics } from '@d4rt/geometry';
import { readFrames } from './read-frames.js';

/** Which layout a folder holds. */
export type DatasetLayout = 'd4rt-clip' | 'pi3-room' | 'open3d-rgbd';

/** Ground-truth tracks of a fixture clip; all arrays frame-major (`[t, n, ...]`). */
export interface GroundTruthTracks {
  /** Number of tracks N. */
  count: number;
  /** `N * 3`: (u, v, tSrc) of each track's query; u, v in [0, 1], tSrc a frame index. */
  query: Float32Array;
  /** `T * N * 2`: normalised (u, v) of track n in frame t (may lie outside [0, 1]). */
  uv: Float32Array;
  /** `T * N * 3`: the point of track n at frame t, in camera t. */
  xyzCamera: Float32Array;
  /** `T * N * 3`: the point of track n at frame t, in camera 0. */
  xyzCam0: Float32Array;
  /** `T * N`: 1 when track n is visible in frame t, else 0. */
  visible: Uint8Array;
  /** `N`: object id of the surface each track starts on (0 = static background), when the clip has it. */
  object?: Uint8Array;
}

/** A sequence with ground truth. */
export interface GroundTruthSequence {
  /** The folder's name. */
  name: string;
  /** The layout it was read from. */
  layout: DatasetLayout;
  /** The frames (8-bit RGB). */
  video: VideoFrames;
  /** `frames * height * width` depths (camera z, metres for all three layouts); 0 = no value. */
  depth: Float32Array;
  /** Per-frame intrinsics in pixels. */
  intrinsics: Intrinsics[];
  /** Per-frame camera-to-world pose, column-major `Float32Array(16)`; see {@link ReadDatasetOptions.world}. */
  cameraToWorld: Float32Array[];
  /** Ground-truth tracks (fixture clips only). */
  tracks?: GroundTruthTracks;
}

/** Options of the dataset readers. */
export interface ReadDatasetOptions {
  /**
   * World frame of `cameraToWorld`: `'source'` (default) keeps the dataset's own world;
   * `'camera0'` re-expresses every pose in camera 0's frame (`inverse(pose0) * pose`, so frame 0 is
   * the identity), the SDK's convention. Fixture clips are stored with world = camera 0 already.
   */
  world?: 'source' | 'camera0';
}

const LAYOUTS =
  '`clip.json` (a d4rt-clip/1 fixture), `cameras.json` + `rgb/` + `depth/` (the pi3-room layout), or `rgbd.match` + `trajectory.log` (the Open3D RGB-D layout)';

/**
 * Reads a ground-truth folder of any of the three layouts, chosen by the files it holds:
 * `clip.json` -> {@link readClip}, `cameras.json` with `rgb/` -> {@link readPi3Room},
 * `rgbd.match` -> {@link readOpen3dRgbd}.
 *
 * @param folder - the sequence folder
 * @param options - `{ world }`
 * @returns a new {@link GroundTruthSequence} (all arrays are fresh copies)
 * @throws TypeError for bad arguments; {@link InvalidVideoError} `'not-found'` when the folder is
 *   missing or holds none of the three layouts (the message lists them), and the errors of the
 *   reader it picks
 */
export async function readDataset(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
  const fn = 'readDataset';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const has = async (name: string): Promise<boolean> => (await stat(path.join(dir, name)).catch(() => undefined)) !== undefined;
  if (await has('clip.json')) return readClip(folder, options);
  if ((await has('cameras.json')) && (await has('rgb'))) return readPi3Room(folder, options);
  if (await has('rgbd.match')) return readOpen3dRgbd(folder, options);
  const entries = (await readdir(dir).catch(() => [] as string[])).slice(0, 8);
  throw new InvalidVideoError(
    'not-found',
    `${fn}: ${JSON.stringify(folder)} holds no ground-truth sequence: expected ${LAYOUTS}; it holds ${entries.length === 0 ? 'nothing' : entries.map((e) => JSON.stringify(e)).join(', ')}`,
  );
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
export async function readClip(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
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
  const depth = await readFloats(fn, file('depth'), T * H * W, `frames * height * width = ${T} * ${H} * ${W}`);
  const video: VideoFrames = { data: frames, frames: T, width: W, height: H };
  if (typeof json.fps === 'number' && json.fps > 0) video.fps = json.fps;

  const sequence: GroundTruthSequence = { name: path.basename(dir), layout: 'd4rt-clip', video, depth, intrinsics, cameraToWorld: rebase(cameraToWorld, options) };
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
export async function readPi3Room(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
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
  const video = await readFrames(rgb);
  if (video.width !== W || video.height !== H) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${rgb[0]} is ${video.width}x${video.height} but cameras.json says ${W}x${H}`);
  }
  const depth = new Float32Array(T * H * W);
  for (let i = 0; i < T; i++) {
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
export async function readOpen3dRgbd(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
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
  const cameraToWorld: Float32Array[] = [];
  for (let i = 0; i < T; i++) {
    const rows = lines.slice(i * 5 + 1, i * 5 + 5).map((l) => l.split(/\s+/).map(Number));
    try {
      cameraToWorld.push(poseFromRowMajor(new Float32Array(16), rows) as Float32Array);
    } catch (error) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${logPath}: pose ${i} (lines ${i * 5 + 2}-${i * 5 + 5}) is not a 4x4 matrix (${(error as Error).message})`);
    }
  }
  const video = await readFrames(pairs.map((p) => p.colour));
  if (video.width !== 640 || video.height !== 480) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${pairs[0]!.colour} is ${video.width}x${video.height}, but the Open3D intrinsics hold for 640x480 only`);
  }
  const { width: W, height: H } = video;
  const depth = new Float32Array(T * H * W);
  for (let i = 0; i < T; i++) {
    const file = pairs[i]!.depth;
    let raw: { data: Buffer; info: sharp.OutputInfo };
    try {
      const meta = await sharp(file).metadata();
      if (meta.depth !== 'ushort' || (meta.channels ?? 0) !== 1) {
        throw new InvalidVideoError('bad-frames', `${fn}: ${file} must be a 16-bit greyscale PNG (it is ${meta.channels}-channel ${meta.depth})`);
      }
      raw = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    } catch (error) {
      if (error instanceof InvalidVideoError) throw error;
      const missing = (error as Error).message.includes('missing') || (await stat(file).catch(() => undefined)) === undefined;
      throw new InvalidVideoError(missing ? 'not-found' : 'bad-frames', `${fn}: ${file} could not be read as a depth PNG (${(error as Error).message})`, { cause: error });
    }
    if (raw.info.width !== W || raw.info.height !== H || raw.info.channels !== 1) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file} is ${raw.info.width}x${raw.info.height} (${raw.info.channels} channels), expected ${W}x${H} greyscale`);
    }
    const mm = new Uint16Array(raw.data.buffer, raw.data.byteOffset, W * H);
    const out = depth.subarray(i * W * H, (i + 1) * W * H);
    for (let p = 0; p < mm.length; p++) out[p] = mm[p]! / 1000;
  }
  const intrinsics = pairs.map(() => ({ ...OPEN3D_INTRINSICS }));
  return { name: path.basename(dir), layout: 'open3d-rgbd', video, depth, intrinsics, cameraToWorld: rebase(cameraToWorld, options) };
}

// ---------------------------------------------------------------------------------------------

async function assertFolder(fn: string, folder: unknown): Promise<string> {
  if (typeof folder !== 'string') throw new TypeError(`${fn}: folder (${describeValue(folder)}) must be a string (a folder path)`);
  if (folder === '') throw new RangeError(`${fn}: folder ("") must be a non-empty folder path`);
  const dir = path.resolve(folder);
  const s = await stat(dir).catch(() => undefined);
  if (!s) throw new InvalidVideoError('not-found', `${fn}: folder ${JSON.stringify(folder)} does not exist (resolved to ${dir})`);
  if (!s.isDirectory()) throw new InvalidVideoError('not-found', `${fn}: folder ${JSON.stringify(folder)} is not a folder (resolved to ${dir})`);
  return dir;
}

function checkOptions(fn: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { world? }`);
  const { world } = options as ReadDatasetOptions;
  if (world !== undefined && world !== 'source' && world !== 'camera0') {
    throw new RangeError(`${fn}: options.world (${describeValue(world)}) must be 'source' or 'camera0'`);
  }
}

function positiveInt(value: unknown, error: () => Error): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw error();
  return value;
}

async function readBuffer(fn: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new InvalidVideoError('not-found', `${fn}: ${file} ${why}`, { cause: error });
  }
}

async function readText(fn: string, file: string): Promise<string> {
  return (await readBuffer(fn, file)).toString('utf8');
}

async function readJson(fn: string, file: string): Promise<unknown> {
  const text = await readText(fn, file);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value;
  } catch (error) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} is not a JSON object (${(error as Error).message})`, { cause: error });
  }
}

async function readBytes(fn: string, file: string, length: number, what: string): Promise<Uint8Array> {
  const buf = await readBuffer(fn, file);
  if (buf.length !== length) throw new InvalidVideoError('bad-frames', `${fn}: ${file} holds ${buf.length} bytes, expected ${what} = ${length}`);
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Little-endian float32 file -> a fresh Float32Array of `length` values. */
async function readFloats(fn: string, file: string, length: number, what: string): Promise<Float32Array> {
  const buf = await readBuffer(fn, file);
  if (buf.length !== length * 4) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} holds ${buf.length} bytes, expected ${what} = ${length} float32 values (${length * 4} bytes)`);
  }
  const copy = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (endianness() === 'BE') Buffer.from(copy.buffer).swap32();
  return new Float32Array(copy.buffer);
}

function readPoses(fn: string, file: string, poses: unknown, T: number): Float32Array[] {
  if (!Array.isArray(poses) || poses.length !== T) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${file}: cameraToWorld must hold ${T} row-major 4x4 matrices (it holds ${describeValue(poses)})`);
  }
  return poses.map((m: unknown, i) => {
    try {
      return poseFromRowMajor(new Float32Array(16), m as number[]) as Float32Array;
    } catch (error) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file}: cameraToWorld[${i}] is not a 4x4 matrix (${(error as Error).message})`);
    }
  });
}

/** With `world: 'camera0'`, `inverse(pose0) * pose` for every pose (frame 0 becomes the identity). */
function rebase(poses: Float32Array[], options: ReadDatasetOptions): Float32Array[] {
  if (options.world !== 'camera0') return poses;
  const out = poses.map((p) => relativePose(new Float32Array(16), poses[0]!, p) as Float32Array);
  out[0]!.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  return out;
}
