/**
 * The TAPVid-3D benchmark format (Koppula et al., NeurIPS 2024; `tapnet/tapvid3d` in
 * google-deepmind/tapnet): one `.npz` per video.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { InvalidVideoError, type VideoFrames } from '@d4rt/core';
import { invertPose, poseFromRowMajor, relativePose, type Intrinsics } from '@d4rt/geometry';
import { checkOptions, readBuffer, rebase } from './dataset-files.js';
import type { GroundTruthSequence, GroundTruthTracks, ReadDatasetOptions } from './datasets.js';
import { parseNpz, type NpyArray } from './npz.js';
import { DEFAULT_MAX_BYTES, readVideo } from './read-video.js';

/** The short side tapnet's `evaluate_model.py` scales the intrinsics to for the metric thresholds. */
export const TAPVID3D_METRIC_SHORT_SIDE = 256;

/** Video extensions looked for next to a `.npz` without `images_jpeg_bytes`. */
const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'webm', 'avi'];

const KEYS = ['tracks_XYZ', 'visibility', 'fx_fy_cx_cy', 'queries_xyt', 'images_jpeg_bytes', 'extrinsics_w2c', 'depth_map'];

/**
 * Reads one TAPVid-3D `.npz` file, as tapnet's `generate_*.py` write them and its
 * `evaluate_model.py` reads them:
 * - `tracks_XYZ` `[T, N, 3]`: each track's point in the camera frame of each frame, metres;
 * - `visibility` `[T, N]` (bool);
 * - `fx_fy_cx_cy` `[4]`: the video's intrinsics in pixels;
 * - `queries_xyt` `[N, 3]` (optional): each track's query, pixel `(x, y)` and frame `t`; without
 *   it, each track is queried at its first visible frame where it projects;
 * - `images_jpeg_bytes` `[T]`: the frames as JPEG bytes (an object array of `bytes`, or fixed-width
 *   `S<n>` as `np.savez` stores a list of bytes); without it, a video of the same name next to the
 *   file (`<name>.mp4`, `.mov`, `.mkv`, `.webm` or `.avi`) with `T` frames;
 * - `extrinsics_w2c` `[T, 4, 4]` or `[T, 3, 4]` (optional): world-to-camera poses, giving
 *   `cameraToWorld` and `tracks.xyzCam0`;
 * - `depth_map` `[T, H, W]` (optional, not part of the benchmark): depth, camera z.
 *
 * The tracks' `metricIntrinsics` are the intrinsics scaled to a {@link TAPVID3D_METRIC_SHORT_SIDE}
 * pixel short side, as `evaluate_model.py` computes the metric thresholds. `query` and `uv` are
 * normalised with the SDK's convention `u = x / (W - 1)`, `v = y / (H - 1)`.
 *
 * @param file - the `.npz` file
 * @param options - `{ world }` (default `'source'`: the file's world, when it has extrinsics)
 * @returns a new {@link GroundTruthSequence} with `tracks`, `intrinsics`, and `cameraToWorld` only
 *   when the file has `extrinsics_w2c`; no `depth` unless the file has `depth_map`
 * @throws TypeError / RangeError for bad arguments; {@link InvalidVideoError} `'not-found'`
 *   (missing file; no frames in the file and no video next to it), `'bad-frames'` (not an `.npz`,
 *   a missing or misshapen array, JPEGs that do not decode or differ in size, a video with another
 *   frame count), `'too-large'` (frames over 2 GiB), and the errors of `readVideo`
 */
export async function readTapVid3d(file: string, options: ReadDatasetOptions = {}): Promise<GroundTruthSequence> {
  const fn = 'readTapVid3d';
  if (typeof file !== 'string') throw new TypeError(`${fn}: file (${typeof file}) must be a string (an .npz path)`);
  if (file === '') throw new RangeError(`${fn}: file ("") must be a non-empty .npz path`);
  checkOptions(fn, options);
  const abs = path.resolve(file);
  const arrays = parseNpz(fn, abs, await readBuffer(fn, abs), KEYS);
  const bad = (what: string): InvalidVideoError => new InvalidVideoError('bad-frames', `${fn}: ${abs}: ${what}`);
  const get = (key: string, shape: (number | undefined)[]): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw bad(`has no ${key} array (a TAPVid-3D file holds tracks_XYZ, visibility, fx_fy_cx_cy and images_jpeg_bytes)`);
    if (a.shape.length !== shape.length || shape.some((n, i) => n !== undefined && a.shape[i] !== n)) {
      throw bad(`${key} has shape (${a.shape.join(', ')}); expected (${shape.map((n) => n ?? '*').join(', ')})`);
    }
    if (Array.isArray(a.data)) throw bad(`${key} is ${a.descr}, not numbers`);
    return a;
  };
  const xyz = get('tracks_XYZ', [undefined, undefined, 3]);
  const [T, N] = xyz.shape as [number, number];
  if (T < 1 || N < 1) throw bad(`tracks_XYZ has shape (${xyz.shape.join(', ')}): at least one frame and one track are needed`);
  const vis = get('visibility', [T, N]);
  const k = get('fx_fy_cx_cy', [4]).data as ArrayLike<number>;
  const intrinsics0: Intrinsics = { fx: k[0]!, fy: k[1]!, cx: k[2]!, cy: k[3]! };
  if (![k[0], k[1], k[2], k[3]].every((v) => Number.isFinite(v)) || !(k[0]! > 0 && k[1]! > 0)) throw bad(`fx_fy_cx_cy (${Array.from(k).join(', ')}) must be finite with fx, fy > 0`);

  const video = await readTapVidFrames(fn, abs, arrays.get('images_jpeg_bytes'), T, bad, options.signal);
  const { width: W, height: H } = video;
  const notes: string[] = [];

  const xyzCamera = Float32Array.from(xyz.data as ArrayLike<number>);
  const visible = Uint8Array.from(vis.data as ArrayLike<number>, (v) => (v ? 1 : 0));
  const uv = new Float32Array(T * N * 2);
  for (let i = 0; i < T * N; i++) {
    const z = xyzCamera[3 * i + 2]!;
    uv[2 * i] = (intrinsics0.fx * xyzCamera[3 * i]! / z + intrinsics0.cx) / (W - 1);
    uv[2 * i + 1] = (intrinsics0.fy * xyzCamera[3 * i + 1]! / z + intrinsics0.cy) / (H - 1);
  }
  const query = new Float32Array(N * 3);
  const queries = arrays.get('queries_xyt');
  if (queries) {
    const q = get('queries_xyt', [N, 3]).data as ArrayLike<number>;
    for (let n = 0; n < N; n++) {
      const t = Math.round(q[3 * n + 2]!);
      if (!(t >= 0 && t < T)) throw bad(`queries_xyt[${n}] has frame ${q[3 * n + 2]}, outside 0..${T - 1}`);
      query.set([q[3 * n]! / (W - 1), q[3 * n + 1]! / (H - 1), t], 3 * n);
    }
  } else {
    for (let n = 0; n < N; n++) {
      let t = 0;
      while (t < T && !(visible[t * N + n] && xyzCamera[(t * N + n) * 3 + 2]! > 0)) t++;
      if (t === T) t = 0;
      query.set([uv[(t * N + n) * 2]!, uv[(t * N + n) * 2 + 1]!, t], 3 * n);
    }
    notes.push('no queries_xyt: each track is queried at its first visible frame');
  }

  let cameraToWorld: Float64Array[] | undefined;
  let xyzCam0: Float32Array | undefined;
  if (arrays.has('extrinsics_w2c')) {
    const e = arrays.get('extrinsics_w2c')!;
    const rows = e.shape[1];
    const ed = get('extrinsics_w2c', [T, rows === 3 ? 3 : 4, 4]).data as ArrayLike<number>;
    cameraToWorld = [];
    for (let t = 0; t < T; t++) {
      const m = Array.from({ length: 12 }, (_, i) => ed[t * (rows === 3 ? 12 : 16) + i]!);
      let w2c: Float64Array;
      try {
        w2c = poseFromRowMajor(new Float64Array(16), [m.slice(0, 4), m.slice(4, 8), m.slice(8, 12), [0, 0, 0, 1]]) as Float64Array;
      } catch (error) {
        throw new InvalidVideoError('bad-frames', `${fn}: ${abs}: extrinsics_w2c[${t}] is not a pose (${(error as Error).message})`, { cause: error });
      }
      cameraToWorld.push(invertPose(new Float64Array(16), w2c) as Float64Array);
    }
    // the point of frame t in camera 0: inverse(c2w_0) * c2w_t * p
    xyzCam0 = new Float32Array(T * N * 3);
    for (let t = 0; t < T; t++) {
      const m = relativePose(new Float64Array(16), cameraToWorld[0]!, cameraToWorld[t]!);
      for (let n = 0; n < N; n++) {
        const i = (t * N + n) * 3;
        const x = xyzCamera[i]!, y = xyzCamera[i + 1]!, z = xyzCamera[i + 2]!;
        for (let c = 0; c < 3; c++) xyzCam0[i + c] = m[c]! * x + m[4 + c]! * y + m[8 + c]! * z + m[12 + c]!;
      }
    }
  }
  let depth: Float32Array | undefined;
  if (arrays.has('depth_map')) depth = Float32Array.from(get('depth_map', [T, H, W]).data as ArrayLike<number>, (d) => (Number.isFinite(d) && d > 0 ? d : 0));

  const s = TAPVID3D_METRIC_SHORT_SIDE / Math.min(W, H);
  const tracks: GroundTruthTracks = {
    count: N,
    query,
    uv,
    xyzCamera,
    ...(xyzCam0 && { xyzCam0 }),
    visible,
    metricIntrinsics: { fx: intrinsics0.fx * s, fy: intrinsics0.fy * s, cx: intrinsics0.cx * s, cy: intrinsics0.cy * s },
  };
  return {
    name: path.basename(abs, path.extname(abs)),
    layout: 'tapvid3d',
    video,
    ...(depth && { depth }),
    intrinsics: Array.from({ length: T }, () => ({ ...intrinsics0 })),
    ...(cameraToWorld && { cameraToWorld: rebase(cameraToWorld, options) }),
    tracks,
    ...(notes.length > 0 && { notes }),
  };
}

/** The frames of a TAPVid-3D file: its JPEGs, or the video of the same name next to it. */
async function readTapVidFrames(fn: string, abs: string, jpegs: NpyArray | undefined, T: number, bad: (what: string) => InvalidVideoError, signal: AbortSignal | undefined): Promise<VideoFrames> {
  if (jpegs) {
    if (!Array.isArray(jpegs.data) || jpegs.data.length !== T) throw bad(`images_jpeg_bytes (${jpegs.descr}, shape (${jpegs.shape.join(', ')})) must hold ${T} JPEG images, one per frame of tracks_XYZ`);
    let video: VideoFrames | undefined;
    for (let t = 0; t < T; t++) {
      signal?.throwIfAborted();
      let raw: { data: Buffer; info: sharp.OutputInfo };
      try {
        raw = await sharp(jpegs.data[t]!).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      } catch (error) {
        throw new InvalidVideoError('bad-frames', `${fn}: ${abs}: images_jpeg_bytes[${t}] is not an image (${(error as Error).message})`, { cause: error });
      }
      const { width, height, channels } = raw.info;
      if (channels !== 3) throw bad(`images_jpeg_bytes[${t}] decodes to ${channels} channels, not RGB`);
      if (!video) {
        if (T * width * height * 3 > DEFAULT_MAX_BYTES) {
          throw new InvalidVideoError('too-large', `${fn}: ${abs}: ${T} frames of ${width}x${height} need ${T * width * height * 3} bytes, more than ${DEFAULT_MAX_BYTES}`);
        }
        video = { data: new Uint8Array(T * width * height * 3), frames: T, width, height };
      } else if (width !== video.width || height !== video.height) {
        throw bad(`images_jpeg_bytes[${t}] is ${width}x${height}, images_jpeg_bytes[0] ${video.width}x${video.height}`);
      }
      video.data.set(raw.data, t * width * height * 3);
    }
    return video!;
  }
  const dir = path.dirname(abs), stem = path.basename(abs, path.extname(abs));
  const names = await readdir(dir).catch(() => [] as string[]);
  const companion = names.find((n) => path.basename(n, path.extname(n)) === stem && VIDEO_EXTENSIONS.includes(path.extname(n).slice(1).toLowerCase()));
  if (!companion || !(await stat(path.join(dir, companion))).isFile()) {
    throw new InvalidVideoError('not-found', `${fn}: ${abs} has no images_jpeg_bytes and no video ${stem}.{${VIDEO_EXTENSIONS.join(',')}} next to it`);
  }
  const video = await readVideo(path.join(dir, companion), { signal });
  if (video.frames !== T) throw new InvalidVideoError('bad-frames', `${fn}: ${path.join(dir, companion)} has ${video.frames} frames but ${abs}'s tracks_XYZ has ${T}`);
  return video;
}
