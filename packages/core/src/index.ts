/**
 * `@d4rt/core`: the runtime-agnostic half of d4rt-js: the model format and its checks, the backend
 * contract, preprocessing, query building, decoder head math and the `Scene` tasks (depth,
 * tracks, cameras, point clouds). No onnxruntime, no file system, no DOM: runtimes
 * (`@d4rt/runtime-node`, `@d4rt/runtime-web`) provide backends and I/O.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './video.js';
export * from './frame-selection.js';
export * from './manifest.js';
export { sha256Hex, verifyModelFile } from './model-integrity.js';
export type { VerifyModelFileOptions } from './model-integrity.js';
export * from './backend.js';
export * from './ort-session.js';
export * from './run-queue.js';
export * from './preprocess.js';
export * from './decoder-inputs.js';
export * from './queries.js';
export * from './heads.js';
export { DEFAULT_TRACKER_MAX_POINTS, runTracker, trackerGroups, tracksToReferenceCamera } from './tracker.js';
export type { TrackerRun } from './tracker.js';
export * from './progress.js';
export { D4rtModel } from './model.js';
export type { CreateModelOptions, EncodeOptions, EncoderInput, ModelLoadedFrom } from './model.js';
export { Scene, DEFAULT_CHUNK_SIZE } from './scene.js';
export * from './upsample.js';
export * from './video/window-plan.js';
export * from './video/frame-rate.js';
export * from './video/frame-source.js';
export * from './video/scale-reference.js';
export { fitWindowTransform, CENTRE_WEIGHT } from './video/stitch.js';
export type { StitchPairs, StitchReport } from './video/stitch.js';
export { processVideo } from './video/process-video.js';
export type { ProcessVideoOptions, VideoDenseFrames, VideoRun, VideoTracks, VideoWindowResult } from './video/process-video.js';
export { denseTrack } from './tracking/dense-tracker.js';
export type { DenseTrackOptions, DenseTracks } from './tracking/dense-tracker.js';
export type {
  Cameras,
  CamerasOptions,
  DepthMaps,
  DepthOptions,
  PointCloud,
  PointCloudOptions,
  QueryOptions,
  TrackOptions,
  Tracks,
} from './scene.js';
