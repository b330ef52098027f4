/**
 * `@d4rt/geometry`: camera geometry, log-depth, poses, Umeyama alignment, scale alignment and 4D
 * reconstruction metrics, as pure functions on typed arrays (gl-matrix style: `fn(out, ...)`
 * returns `out`; column-major, post-multiplied matrices; OpenCV camera axes).
 *
 * @packageDocumentation
 */

export type { FloatArray, NumberArray } from './types.js';

export {
  intrinsicsFromMat3,
  intrinsicsFromMatrix,
  intrinsicsToMat3,
  normalizedToPixel,
  normalizedToPixels,
  pixelToNormalized,
  pixelsToNormalized,
  projectPoint,
  projectPoints,
  resizeIntrinsics,
  sampledPixelCount,
  unprojectDepth,
  unprojectPoint,
  validateIntrinsics,
} from './camera.js';
export type { Intrinsics, UnprojectDepthOptions } from './camera.js';

export { decodeLogDepth, encodeLogDepth } from './log-depth.js';

export {
  cameraCenter,
  cameraCenters,
  composePoses,
  formatTum,
  invertPose,
  parseTum,
  poseFromRowMajor,
  poseRotation,
  poseToRowMajor,
  poseToRowMajorFlat,
  relativePose,
  transformPoints,
  transformPose,
} from './pose.js';
export type { Trajectory } from './pose.js';

export { createSvd3, svd3 } from './svd3.js';
export type { Svd3 } from './svd3.js';

export { umeyama, umeyamaRobust } from './umeyama.js';
export type {
  RobustMethod,
  ScaleEstimator,
  TransformKind,
  UmeyamaOptions,
  UmeyamaResult,
  UmeyamaRobustOptions,
  UmeyamaRobustResult,
} from './umeyama.js';

export { fitPlane, fitPlaneRansac } from './plane.js';
export type { FitPlaneOptions, FitPlaneRansacOptions, Plane, PlaneRansacResult } from './plane.js';

export { floorPlane, scaleFromCameraHeight, scaleFromDepth, scaleFromDistance } from './metric-scale.js';
export type { CameraHeightScale, FloorPlane, FloorPlaneOptions } from './metric-scale.js';

export { estimateFocal } from './focal.js';
export type { EstimateFocalOptions } from './focal.js';

export { alignScale, applyScaleAlignment } from './scale-align.js';
export type {
  AlignmentSpace,
  ApplyScaleAlignmentOptions,
  DepthValidityOptions,
  ScaleAlignMethod,
  ScaleAlignOptions,
  ScaleAlignment,
} from './scale-align.js';

export { depthMetrics } from './metrics/depth.js';
export type { DepthAlignmentMethod, DepthMetrics, DepthMetricsOptions } from './metrics/depth.js';

export { tapVid3dMetrics } from './metrics/tracks-3d.js';
export type { TapVid3dMetrics, TapVid3dOptions, TapVid3dScaling, TapVid3dTrackMetrics, Tracks3d } from './metrics/tracks-3d.js';

export { tapVidMetrics } from './metrics/tracks-2d.js';
export type { TapVidMetrics, TapVidOptions, Tracks2d } from './metrics/tracks-2d.js';

export { pearsonCorrelation } from './metrics/correlation.js';
export type { PearsonOptions } from './metrics/correlation.js';

export { absoluteTrajectoryError, relativePoseError, trajectoryLength, trajectoryMetrics } from './metrics/trajectory.js';
export type { TrajectoryAlignment, TrajectoryMetrics, TrajectoryMetricsOptions } from './metrics/trajectory.js';
