/**
 * The MPI Sintel layout (Butler et al., ECCV 2012; depth and cameras from the "MPI-Sintel-depth"
 * training data, http://sintel.is.tue.mpg.de/depth).
 *
 * @module
 */
import path from 'node:path';
import { InvalidVideoError } from '@d4rt/core';
import { invertPose, poseFromRowMajor, type Intrinsics } from '@d4rt/geometry';
import { assertFolder, checkOptions, isFolder, listFolder, readBuffer, rebase } from './dataset-files.js';
import type { CompleteGroundTruthSequence, ReadDatasetOptions } from './datasets.js';
import { IMAGE_EXTENSIONS } from './image-file.js';
import { readFrames } from './read-frames.js';

/** The tag float that starts Sintel's `.dpt` and `.cam` files (the bytes 'PIEH' read as a little-endian float32). */
export const SINTEL_TAG = 202021.25;

const badFile = (fn: string, file: string, what: string): InvalidVideoError => new InvalidVideoError('bad-frames', `${fn}: ${file}: ${what}`);

/**
 * Parses a Sintel `.dpt` depth file: float32 tag {@link SINTEL_TAG}, int32 width, int32 height,
 * then `width * height` float32 depths, row-major, all little-endian.
 * @returns the size and a fresh `Float32Array` of depths
 * @throws {@link InvalidVideoError} `'bad-frames'` naming the file for a wrong tag, size or length
 */
export function parseSintelDepth(fn: string, file: string, bytes: Uint8Array): { width: number; height: number; depth: Float32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || view.getFloat32(0, true) !== SINTEL_TAG) throw badFile(fn, file, `not a Sintel .dpt depth file (the first 4 bytes must be the tag 'PIEH' = ${SINTEL_TAG})`);
  const width = view.getInt32(4, true), height = view.getInt32(8, true);
  if (!(width > 0 && height > 0 && width < 1e5 && height < 1e5)) throw badFile(fn, file, `size ${width}x${height} is not a picture size`);
  if (bytes.length !== 12 + width * height * 4) throw badFile(fn, file, `holds ${bytes.length} bytes; 12 + ${width} * ${height} * 4 = ${12 + width * height * 4} expected`);
  const depth = new Float32Array(width * height);
  for (let i = 0; i < depth.length; i++) depth[i] = view.getFloat32(12 + 4 * i, true);
  return { width, height, depth };
}

/**
 * Parses a Sintel `.cam` camera file: float32 tag {@link SINTEL_TAG}, then the 3x3 intrinsics `M`
 * and the 3x4 world-to-camera extrinsics `N = [R | t]` as row-major float64, little-endian.
 * @returns the intrinsics and the camera-to-world pose (the inverse of `N`), column-major
 * @throws {@link InvalidVideoError} `'bad-frames'` naming the file for a wrong tag or length
 */
export function parseSintelCamera(fn: string, file: string, bytes: Uint8Array): { intrinsics: Intrinsics; cameraToWorld: Float64Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getFloat32(0, true) !== SINTEL_TAG) throw badFile(fn, file, `not a Sintel .cam camera file (the first 4 bytes must be the tag 'PIEH' = ${SINTEL_TAG})`);
  if (bytes.length !== 4 + 21 * 8) throw badFile(fn, file, `holds ${bytes.length} bytes; 4 + (9 + 12) * 8 = 172 expected`);
  const v = Array.from({ length: 21 }, (_, i) => view.getFloat64(4 + 8 * i, true));
  if (!v.every(Number.isFinite)) throw badFile(fn, file, 'holds a value that is not finite');
  const intrinsics = { fx: v[0]!, fy: v[4]!, cx: v[2]!, cy: v[5]! };
  const worldToCamera = poseFromRowMajor(new Float64Array(16), [v.slice(9, 13), v.slice(13, 17), v.slice(17, 21), [0, 0, 0, 1]]);
  return { intrinsics, cameraToWorld: invertPose(new Float64Array(16), worldToCamera) as Float64Array };
}

/**
 * Reads one MPI Sintel sequence laid out as in Sintel's training data, with the scene's folders
 * side by side: `final/` (or `clean/` when there is no `final/`) with the frames
 * (`frame_0001.png`, ...), `depth/` with `.dpt` files and `camdata_left/` with `.cam` files of the
 * same names (`frame_0001.dpt`, `frame_0001.cam`). From Sintel's own tree
 * (`training/final/alley_1`, `training/depth/alley_1`, `training/camdata_left/alley_1`), make a
 * folder that links those three as `final`, `depth` and `camdata_left`.
 *
 * Depth: as Sintel's depth README defines it, the z coordinate of each pixel's point in the camera
 * frame, in the scene's units (Blender units, not metres; evaluation aligns scale). Intrinsics from
 * each `.cam`'s `M` (pixels); poses the inverse of its world-to-camera `[R | t]` (OpenCV axes).
 *
 * @param folder - the sequence folder
 * @param options - `{ world }` (default `'source'`: Sintel's world)
 * @returns a new {@link CompleteGroundTruthSequence} (without tracks)
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'`
 *   (missing folder, no images, an image without its `.dpt` or `.cam`), `'bad-frames'` (a file
 *   that is not a `.dpt` / `.cam`, depth of another size than the images), and the errors of
 *   `readFrames`
 */
export async function readSintel(folder: string, options: ReadDatasetOptions = {}): Promise<CompleteGroundTruthSequence> {
  const fn = 'readSintel';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const pass = (await isFolder(path.join(dir, 'final'))) ? 'final' : 'clean';
  const imageDir = path.join(dir, pass);
  const images = (await listFolder(imageDir)).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).slice(1).toLowerCase()));
  if (images.length === 0) throw new InvalidVideoError('not-found', `${fn}: ${imageDir} holds no images`);
  const stems = images.map((n) => path.basename(n, path.extname(n)));
  const video = await readFrames(images.map((n) => path.join(imageDir, n)), { signal: options.signal });
  const { width: W, height: H } = video;
  const T = images.length;
  const depth = new Float32Array(T * W * H);
  const intrinsics: Intrinsics[] = [];
  const cameraToWorld: Float64Array[] = [];
  for (let i = 0; i < T; i++) {
    options.signal?.throwIfAborted();
    const dpt = path.join(dir, 'depth', `${stems[i]}.dpt`);
    const d = parseSintelDepth(fn, dpt, await readBuffer(fn, dpt));
    if (d.width !== W || d.height !== H) throw badFile(fn, dpt, `depth is ${d.width}x${d.height} but ${images[i]} is ${W}x${H}`);
    depth.set(d.depth, i * W * H);
    const cam = path.join(dir, 'camdata_left', `${stems[i]}.cam`);
    const c = parseSintelCamera(fn, cam, await readBuffer(fn, cam));
    intrinsics.push(c.intrinsics);
    cameraToWorld.push(c.cameraToWorld);
  }
  return {
    name: path.basename(dir),
    layout: 'sintel',
    video,
    depth,
    intrinsics,
    cameraToWorld: rebase(cameraToWorld, options),
    notes: [`frames from ${pass}/; depth in Sintel's scene units (not metres)`],
  };
}
