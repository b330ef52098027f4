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
export { OPEN3D_INTRINSICS, readClip, readDataset, readOpen3dRgbd, readPi3Room } from './datasets.js';
export type { DatasetLayout, GroundTruthSequence, GroundTruthTracks, ReadDatasetOptions } from './datasets.js';
