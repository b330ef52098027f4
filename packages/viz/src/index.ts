/**
 * `@d4rt/viz`: colormaps, depth images and their colour bars, 2D track overlays (RGBA arrays and
 * canvas), a WebGL2 point-cloud / camera / track viewer with an orbit camera, and exporters (PLY,
 * glTF, cameras and tracks JSON) for D4RT results.
 *
 * The pure functions work on plain typed arrays and run anywhere (Node, browsers, workers); only
 * `drawTracksOnCanvas` (a 2D context), `PointCloudRenderer` (WebGL2) and `attachOrbitControls`
 * (pointer events) need a browser, and nothing imports Node APIs.
 *
 * Images are row-major RGBA `Uint8ClampedArray`s of `width * height * 4` (what `ImageData` holds);
 * image coordinates are normalised, `x = u (W - 1)`, `y = v (H - 1)`. 3D data is in the d4rt-js
 * world (OpenCV axes: x right, y down, z forward; world = camera of frame 0); matrices are
 * column-major `mat4`s. Every function says whether it returns a view or a copy and what it
 * allocates; bad types throw `TypeError`, bad sizes and values `RangeError`, with messages that
 * name the function, the argument, its value and what is allowed.
 *
 * @packageDocumentation
 */

export { applyColormap, colormapLut, COLORMAP_NAMES, TRANSPARENT } from './colormap.js';
export type { ApplyColormapOptions, ColormapName, Rgb, Rgba } from './colormap.js';

export { depthLegend, depthToRgba } from './depth-image.js';
export type { DepthImage, DepthLegend, DepthLegendOptions, DepthToRgbaOptions, LegendTick } from './depth-image.js';

export { rgbToRgba } from './rgba.js';

export { trackColors } from './track-colors.js';
export type { TrackColorsOptions } from './track-colors.js';
export type { Tracks2dInput, TrackStyleOptions } from './track-tail.js';
export { drawTracks } from './track-overlay.js';
export type { DrawTracksOptions } from './track-overlay.js';
export { drawTracksOnCanvas } from './track-canvas.js';
export type { Canvas2dContext, DrawTracksOnCanvasOptions } from './track-canvas.js';

export { robustBounds } from './robust-bounds.js';
export type { RobustBounds, RobustBoundsOptions } from './robust-bounds.js';
export { OrbitCamera } from './orbit-camera.js';
export type { FrameBoundsOptions, MatrixOut, OrbitCameraOptions } from './orbit-camera.js';
export { frustumLines } from './frustum.js';
export type { FrustumLinesOptions } from './frustum.js';
export { PointCloudRenderer } from './point-cloud-renderer.js';
export type { AnyCanvas, PointCloudRendererOptions, RendererCameras, RendererPixels, RendererPointCloud, RendererTracks } from './point-cloud-renderer.js';
export { attachOrbitControls } from './orbit-controls.js';
export type { OrbitControlsElement, OrbitControlsOptions, OrbitControlsRenderer } from './orbit-controls.js';

export { decodePly, encodePly } from './ply.js';
export type { DecodedPly, EncodePlyOptions, PointCloud } from './ply.js';
export { encodeGlb } from './glb.js';
export { encodePointCloudSequenceGlb, pointCloudSequenceFrame } from './point-cloud-sequence.js';
export type { EncodeSequenceGlbOptions, PointCloudSequence } from './point-cloud-sequence.js';
export type { EncodeGlbOptions, GlbInput } from './glb.js';
export { CAMERAS_JSON_CONVENTIONS, CAMERAS_JSON_SCHEMA, decodeCamerasJson, encodeCamerasJson } from './cameras-json.js';
export type { CamerasJsonInput, DecodedCameras, EncodeCamerasJsonOptions } from './cameras-json.js';
export { decodeTracksJson, encodeTracksJson, TRACKS_JSON_CONVENTIONS, TRACKS_JSON_SCHEMA } from './tracks-json.js';
export type { DecodedTracks, EncodeTracksJsonOptions, TracksJsonInput, TracksJsonQuery } from './tracks-json.js';
