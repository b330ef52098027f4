/**
 * `@d4rt/viz`: colormaps, depth images and their colour bars, 2D track overlays and PLY point
 * clouds for D4RT results, as pure functions on plain typed arrays (no DOM, no canvas, no Node
 * APIs: it runs in Node and in browsers).
 *
 * Images are row-major RGBA `Uint8ClampedArray`s of `width * height * 4` (what `ImageData` holds);
 * image coordinates are normalised, `x = u (W - 1)`, `y = v (H - 1)`. Every function says whether
 * it returns a view or a copy and what it allocates; bad types throw `TypeError`, bad sizes and
 * values `RangeError`, with messages that name the function, the argument, its value and what is
 * allowed.
 *
 * @packageDocumentation
 */

export { applyColormap, colormapLut, COLORMAP_NAMES, TRANSPARENT } from './colormap.js';
export type { ApplyColormapOptions, ColormapName, Rgba } from './colormap.js';

export { depthLegend, depthToRgba } from './depth-image.js';
export type { DepthImage, DepthLegend, DepthLegendOptions, DepthToRgbaOptions, LegendTick } from './depth-image.js';

export { rgbToRgba } from './rgba.js';

export { drawTracks, trackColors } from './track-overlay.js';
export type { DrawTracksOptions, TrackColorsOptions, Tracks2dInput } from './track-overlay.js';

export { decodePly, encodePly } from './ply.js';
export type { DecodedPly, EncodePlyOptions, PointCloud } from './ply.js';
