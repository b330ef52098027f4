/**
 * The "images and poses" layout: a folder of frames with one camera-to-world pose per frame, for
 * evaluating poses (and depth when given) of any capture.
 *
 * @module
 */
import path from 'node:path';
import { InvalidVideoError, describeValue } from '@d4rt/core';
import { parseTum, poseFromRowMajor } from '@d4rt/geometry';
import { assertFolder, checkOptions, exists, isFolder, listFolder, readBuffer, readDepthPng16, readText, rebase } from './dataset-files.js';
import type { GroundTruthSequence, ReadDatasetOptions } from './datasets.js';
import { IMAGE_EXTENSIONS } from './image-file.js';
import { parseNpy } from './npz.js';
import { readFrames } from './read-frames.js';

/** The pose files of the layout, in the order they are looked for, for messages. */
export const IMAGE_POSES_FILES = '`poses.txt` or `trajectory.tum` (TUM format) or `poses.json` (4x4 matrices)';

const POSE_FILES = ['poses.txt', 'trajectory.tum', 'poses.json'] as const;

/**
 * Reads a folder of images with their camera-to-world poses:
 * - frames: the images (PNG, JPEG, WebP, TIFF, PPM/PGM, BMP) in `images/` when that folder exists,
 *   else in the folder itself, in name order with numbers compared as numbers (`2.png` before
 *   `10.png`);
 * - poses, the first of: `poses.txt` or `trajectory.tum` in the TUM format
 *   (`timestamp tx ty tz qx qy qz qw` per line, camera-to-world; the timestamps are not used),
 *   or `poses.json`: a JSON array of row-major 4x4 camera-to-world matrices (`[[r00, r01, r02, tx],
 *   ...]` or 16 numbers), or an object with such an array as `cameraToWorld`. One pose per image,
 *   in the same order: the counts must be equal;
 * - depth, optional: a `depth/` folder with one file per image of the same name stem, either
 *   `.npy` (float32 or float64, `[height, width]`, camera z, any unit; 0 or non-finite = no
 *   value) or a 16-bit `.png` in millimetres;
 * - intrinsics: `options.intrinsics` when given, else none (the focal error is then not evaluated).
 *
 * Axes are OpenCV's (x right, y down, z forward); convert OpenGL / Blender poses first.
 *
 * @param folder - the sequence folder
 * @param options - `{ world, intrinsics }`
 * @returns a new {@link GroundTruthSequence} without tracks (`depth` only with `depth/`,
 *   `intrinsics` only with `options.intrinsics`)
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'`
 *   (missing folder, no images, an image without its depth file), `'bad-frames'` (unparsable pose
 *   file, pose and image counts that differ, depth of the wrong size or type), and the errors of
 *   `readFrames`
 */
export async function readImagePoses(folder: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
  const fn = 'readImagePoses';
  const dir = await assertFolder(fn, folder);
  checkOptions(fn, options);
  const imageDir = (await isFolder(path.join(dir, 'images'))) ? path.join(dir, 'images') : dir;
  const images = (await listFolder(imageDir)).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).slice(1).toLowerCase()));
  if (images.length === 0) throw new InvalidVideoError('not-found', `${fn}: ${imageDir} holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
  let poseFile: string | undefined;
  for (const name of POSE_FILES) if (!poseFile && (await exists(path.join(dir, name)))) poseFile = path.join(dir, name);
  if (!poseFile) throw new InvalidVideoError('not-found', `${fn}: ${dir} holds no pose file: expected ${IMAGE_POSES_FILES}`);
  const poses = poseFile.endsWith('.json') ? await readJsonPoses(fn, poseFile) : await readTumPoses(fn, poseFile);
  if (poses.length !== images.length) {
    throw new InvalidVideoError('bad-frames', `${fn}: ${poseFile} holds ${poses.length} poses but ${imageDir} holds ${images.length} images; give one pose per image, in name order`);
  }
  const video = await readFrames(images.map((n) => path.join(imageDir, n)), { signal: options.signal });
  const { width: W, height: H } = video;
  const T = images.length;
  let depth: Float32Array | undefined;
  const depthDir = path.join(dir, 'depth');
  if (await isFolder(depthDir)) {
    depth = new Float32Array(T * W * H);
    const files = await listFolder(depthDir);
    for (let i = 0; i < T; i++) {
      options.signal?.throwIfAborted();
      const stem = path.basename(images[i]!, path.extname(images[i]!));
      const name = files.find((f) => path.basename(f, path.extname(f)) === stem && /\.(npy|png)$/i.test(f));
      if (!name) throw new InvalidVideoError('not-found', `${fn}: ${depthDir} has no depth for ${images[i]} (expected ${stem}.npy or ${stem}.png)`);
      const file = path.join(depthDir, name);
      const out = depth.subarray(i * W * H, (i + 1) * W * H);
      if (name.toLowerCase().endsWith('.png')) await readDepthPng16(fn, file, W, H, 1000, out);
      else {
        const a = parseNpy(fn, file, await readBuffer(fn, file));
        if (!(a.data instanceof Float32Array || a.data instanceof Float64Array) || a.shape.length !== 2 || a.shape[0] !== H || a.shape[1] !== W) {
          throw new InvalidVideoError('bad-frames', `${fn}: ${file} is ${a.descr} of shape (${a.shape.join(', ')}); float32 or float64 of shape (${H}, ${W}) expected`);
        }
        for (let p = 0; p < out.length; p++) {
          const d = a.data[p]!;
          out[p] = Number.isFinite(d) && d > 0 ? d : 0;
        }
      }
    }
  }
  return {
    name: path.basename(dir),
    layout: 'image-poses',
    video,
    ...(depth && { depth }),
    ...(options.intrinsics && { intrinsics: images.map(() => ({ ...options.intrinsics! })) }),
    cameraToWorld: rebase(poses, options),
    ...(!options.intrinsics && { notes: ['no intrinsics (give them to evaluate the focal error)'] }),
  };
}

async function readTumPoses(fn: string, file: string): Promise<Float64Array[]> {
  try {
    return parseTum(await readText(fn, file)).poses.map((p) => Float64Array.from(p));
  } catch (error) {
    if (error instanceof InvalidVideoError) throw error;
    throw new InvalidVideoError('bad-frames', `${fn}: ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function readJsonPoses(fn: string, file: string): Promise<Float64Array[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readText(fn, file));
  } catch (error) {
    if (error instanceof InvalidVideoError) throw error;
    throw new InvalidVideoError('bad-frames', `${fn}: ${file} is not JSON (${(error as Error).message})`, { cause: error });
  }
  const list = Array.isArray(json) ? json : (json as { cameraToWorld?: unknown } | null)?.cameraToWorld;
  if (!Array.isArray(list)) throw new InvalidVideoError('bad-frames', `${fn}: ${file} must be an array of 4x4 matrices, or an object with one as cameraToWorld (it is ${describeValue(json)})`);
  return list.map((m: unknown, i) => {
    try {
      return poseFromRowMajor(new Float64Array(16), m as number[]) as Float64Array;
    } catch (error) {
      throw new InvalidVideoError('bad-frames', `${fn}: ${file}: pose ${i} is not a row-major 4x4 matrix (${(error as Error).message})`);
    }
  });
}
