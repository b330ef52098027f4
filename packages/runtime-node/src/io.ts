/**
 * The file I/O of `@d4rt/runtime-node`: reading videos (ffmpeg) and image sequences (sharp) into
 * `VideoFrames`, reading ground-truth sequences, and atomic writers for the outputs.
 *
 * @module
 */
export { FFMPEG_ENV, findFfmpeg } from './ffmpeg.js';
export type { FfmpegLocation, FfmpegSource, FindFfmpegOptions } from './ffmpeg.js';
export { DEFAULT_MAX_BYTES, readVideo } from './read-video.js';
export type { ReadVideoOptions } from './read-video.js';
export { readFrames } from './read-frames.js';
export { IMAGE_EXTENSIONS, IMAGE_FORMATS_TEXT } from './image-file.js';
export { openVideo } from './open-video.js';
export type { OpenVideoOptions, VideoFileSource } from './open-video.js';
export { openFrames, timestampsFromNames } from './open-frames.js';
export type { OpenFramesOptions } from './open-frames.js';
export { createMp4Writer, createNpyWriter } from './stream-writers.js';
export type { Mp4StreamOptions, Mp4StreamWriter, NpyDtype, NpyStreamWriter } from './stream-writers.js';
export type { ReadFramesOptions } from './read-frames.js';
export {
  DEFAULT_DEPTH_PNG_SCALE,
  writeDepthPng,
  writeJson,
  writeMp4,
  writeNpy,
  writeOutputFolder,
  writeRgbPng,
} from './write-output.js';
export type {
  NpyArray,
  WriteDepthPngOptions,
  WriteDepthPngResult,
  WriteMp4Options,
  WriteMp4Result,
  WriteRgbPngOptions,
} from './write-output.js';
export { DATASET_LAYOUTS, DATASET_LAYOUT_FILES, OPEN3D_INTRINSICS, detectDatasetLayout, readClip, readDataset, readOpen3dRgbd, readPi3Room } from './datasets.js';
export type { CompleteGroundTruthSequence, DatasetLayout, GroundTruthSequence, GroundTruthTracks, ReadDatasetOptions } from './datasets.js';
export { TUM_DEPTH_FACTOR, TUM_INTRINSICS, TUM_MAX_DIFFERENCE, associateTimestamps, readTumRgbd } from './dataset-tum.js';
export { SINTEL_TAG, parseSintelCamera, parseSintelDepth, readSintel } from './dataset-sintel.js';
export { TAPVID3D_METRIC_SHORT_SIDE, readTapVid3d } from './dataset-tapvid3d.js';
export { readImagePoses } from './dataset-image-poses.js';
