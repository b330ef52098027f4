/**
 * Point clouds (and camera frustums) as binary glTF 2.0 (`.glb`), for any 3D viewer, Blender or
 * three.js / Babylon.js scenes.
 *
 * The file holds one scene: a root node `d4rt-world` whose children are the point cloud (a mesh
 * with one `POINTS` primitive: `POSITION` float32 xyz and, when given, `COLOR_0` as normalised
 * unsigned bytes RGB) and the cameras (a mesh with one `LINES` primitive, the segments of
 * {@link frustumLines}, in one colour). Both use unlit materials (`KHR_materials_unlit`, listed
 * as used, not required). Positions keep the d4rt-js world coordinates (OpenCV axes: y down,
 * z forward); the root node turns them into glTF's axes (y up, z towards the viewer) with a
 * rotation of 180 degrees about x, unless `convertAxes` is false.
 *
 * @packageDocumentation
 */

import type { Intrinsics } from '@d4rt/geometry';
import type { Rgb } from './colormap.js';
import { defaultFrustumScale, frustumLinesFor } from './frustum.js';
import { finiteSegments } from './line-segments.js';
import { assertMinLength, assertNumber, assertObject, assertRgb, describe } from './validate.js';

/** What {@link encodeGlb} writes. */
export interface GlbInput {
  /** The point cloud (as `scene.pointCloud()` returns): world coordinates, RGB bytes. */
  pointCloud: {
    /** Interleaved xyz, at least `count * 3`. */
    positions: Float32Array;
    /** RGB per point, at least `count * 3`; optional. */
    colors?: Uint8Array | Uint8ClampedArray;
    /** Number of points (integer >= 0); default `positions.length / 3`. */
    count?: number;
  };
  /** Cameras drawn as frustums (as `scene.cameras()` returns); optional. */
  cameras?: {
    cameraToWorld: readonly ArrayLike<number>[];
    intrinsics: readonly Intrinsics[];
    width: number;
    height: number;
    /** Depth of the far rectangle, world units (> 0); default a tenth of the cloud's robust radius. */
    scale?: number;
  };
}

/** Options of {@link encodeGlb}. */
export interface EncodeGlbOptions {
  /** Colour of the frustum lines, RGB in [0, 255]; default `[255, 176, 0]`. */
  frustumColor?: Rgb;
  /** Rotate OpenCV axes to glTF axes in the root node (180 degrees about x); default true. */
  convertAxes?: boolean;
  /** The `asset.generator` string; default `'@d4rt/viz'`. */
  generator?: string;
}

const GLB_MAGIC = 0x46546c67; // 'glTF'
const CHUNK_JSON = 0x4e4f534a; // 'JSON'
const CHUNK_BIN = 0x004e4942; // 'BIN\0'
const FLOAT = 5126;
const UNSIGNED_BYTE = 5121;
const ARRAY_BUFFER = 34962;
const MODE_POINTS = 0;
const MODE_LINES = 1;

/**
 * Encodes a point cloud and optional camera frustums as a binary glTF 2.0 file (see the module
 * notes). Points with a non-finite coordinate are left out, and so are the frustums of cameras
 * with a non-finite pose; a part with nothing left is not written. `COLOR_0` is stored 4 bytes per
 * vertex (RGB and one padding byte), as glTF aligns vertex attributes to 4 bytes. Accessors carry
 * the exact `min` / `max` of their positions.
 *
 * Returns a **new** `Uint8Array` (the whole file).
 *
 * @param input - `{ pointCloud, cameras? }`
 * @param options - frustum colour, axis conversion, generator
 * @returns the `.glb` bytes
 * @throws TypeError for arguments of the wrong type; RangeError for lengths that do not fit `count`,
 *   bad cameras (as {@link frustumLines}) or colours out of range
 */
export function encodeGlb(input: GlbInput, options: EncodeGlbOptions = {}): Uint8Array {
  const fn = 'encodeGlb';
  assertObject(fn, 'input', input);
  const cloud: unknown = input.pointCloud;
  assertObject(fn, 'input.pointCloud', cloud);
  const { positions, colors } = input.pointCloud;
  if (!(positions instanceof Float32Array)) throw new TypeError(`${fn}: input.pointCloud.positions (${describe(positions)}) must be a Float32Array (interleaved xyz)`);
  const count = input.pointCloud.count ?? Math.floor(positions.length / 3);
  assertNumber(fn, 'input.pointCloud.count', count, { integer: true, min: 0 });
  assertMinLength(fn, 'input.pointCloud.positions', positions, 3 * count, 'input.pointCloud.count * 3');
  if (colors !== undefined) {
    if (!(colors instanceof Uint8Array || colors instanceof Uint8ClampedArray)) {
      throw new TypeError(`${fn}: input.pointCloud.colors (${describe(colors)}) must be a Uint8Array or Uint8ClampedArray (RGB bytes)`);
    }
    assertMinLength(fn, 'input.pointCloud.colors', colors, 3 * count, 'input.pointCloud.count * 3');
  }
  const opts: unknown = options;
  assertObject(fn, 'options', opts);
  const { frustumColor = [255, 176, 0], convertAxes = true, generator = '@d4rt/viz' } = options;
  assertRgb(fn, 'options.frustumColor', frustumColor);
  if (typeof convertAxes !== 'boolean') throw new TypeError(`${fn}: options.convertAxes (${describe(convertAxes)}) must be a boolean`);
  if (typeof generator !== 'string') throw new TypeError(`${fn}: options.generator (${describe(generator)}) must be a string`);

  // Finite points only (glTF min / max must bound real numbers).
  let kept = 0;
  for (let i = 0; i < count; i++) if (isFinite3(positions, 3 * i)) kept++;
  const points = new Float32Array(kept * 3);
  const rgbx = colors === undefined ? null : new Uint8Array(kept * 4);
  for (let i = 0, o = 0; i < count; i++) {
    if (!isFinite3(positions, 3 * i)) continue;
    points[3 * o] = positions[3 * i]!;
    points[3 * o + 1] = positions[3 * i + 1]!;
    points[3 * o + 2] = positions[3 * i + 2]!;
    if (rgbx !== null) {
      rgbx[4 * o] = colors![3 * i]!;
      rgbx[4 * o + 1] = colors![3 * i + 1]!;
      rgbx[4 * o + 2] = colors![3 * i + 2]!;
    }
    o++;
  }

  let lines: Float32Array = new Float32Array(0);
  if (input.cameras !== undefined) {
    const cams: unknown = input.cameras;
    assertObject(fn, 'input.cameras', cams);
    const { cameraToWorld, intrinsics, width, height, scale } = input.cameras;
    // The first call checks the cameras (and the scale when given) before the default scale reads the poses.
    let all = frustumLinesFor(fn, 'input.cameras', { cameraToWorld, intrinsics, width, height, scale: scale ?? 1 });
    if (scale === undefined) all = frustumLinesFor(fn, 'input.cameras', { cameraToWorld, intrinsics, width, height, scale: defaultFrustumScale(points, cameraToWorld) });
    lines = finiteSegments(all, new Uint8Array(all.length)).positions;
  }

  // Binary chunk: [points xyz][colours rgbx][frustum xyz], every part a multiple of 4 bytes.
  const bufferViews: Record<string, unknown>[] = [];
  const accessors: Record<string, unknown>[] = [];
  const parts: Uint8Array[] = [];
  let byteLength = 0;
  const addView = (bytes: Uint8Array, byteStride?: number): number => {
    const view: Record<string, unknown> = { buffer: 0, byteOffset: byteLength, byteLength: bytes.byteLength, target: ARRAY_BUFFER };
    if (byteStride !== undefined) view['byteStride'] = byteStride;
    bufferViews.push(view);
    parts.push(bytes);
    byteLength += bytes.byteLength;
    return bufferViews.length - 1;
  };
  const addPositions = (xyz: Float32Array): number => {
    const view = addView(new Uint8Array(xyz.buffer, xyz.byteOffset, xyz.byteLength));
    const { min, max } = minMax(xyz);
    accessors.push({ bufferView: view, componentType: FLOAT, count: xyz.length / 3, type: 'VEC3', min, max });
    return accessors.length - 1;
  };

  const meshes: Record<string, unknown>[] = [];
  const materials: Record<string, unknown>[] = [];
  const children: number[] = [];
  const nodes: Record<string, unknown>[] = [{ name: 'd4rt-world', ...(convertAxes ? { rotation: [1, 0, 0, 0] } : {}), children }];
  const unlit = { KHR_materials_unlit: {} };
  if (kept > 0) {
    const attributes: Record<string, number> = { POSITION: addPositions(points) };
    if (rgbx !== null) {
      const view = addView(rgbx, 4);
      accessors.push({ bufferView: view, componentType: UNSIGNED_BYTE, normalized: true, count: kept, type: 'VEC3' });
      attributes['COLOR_0'] = accessors.length - 1;
    }
    materials.push({ name: 'points', pbrMetallicRoughness: { baseColorFactor: [1, 1, 1, 1], metallicFactor: 0, roughnessFactor: 1 }, extensions: unlit });
    meshes.push({ name: 'point-cloud', primitives: [{ attributes, mode: MODE_POINTS, material: materials.length - 1 }] });
    nodes.push({ name: 'point-cloud', mesh: meshes.length - 1 });
    children.push(nodes.length - 1);
  }
  if (lines.length > 0) {
    const position = addPositions(lines);
    const [r, g, b] = frustumColor;
    materials.push({ name: 'frustums', pbrMetallicRoughness: { baseColorFactor: [r / 255, g / 255, b / 255, 1], metallicFactor: 0, roughnessFactor: 1 }, extensions: unlit });
    meshes.push({ name: 'cameras', primitives: [{ attributes: { POSITION: position }, mode: MODE_LINES, material: materials.length - 1 }] });
    nodes.push({ name: 'cameras', mesh: meshes.length - 1 });
    children.push(nodes.length - 1);
  }
  if (children.length === 0) delete nodes[0]!['children'];

  const gltf: Record<string, unknown> = { asset: { version: '2.0', generator }, scene: 0, scenes: [{ name: 'd4rt', nodes: [0] }], nodes };
  if (materials.length > 0) gltf['extensionsUsed'] = ['KHR_materials_unlit'];
  if (meshes.length > 0) {
    Object.assign(gltf, { meshes, materials, accessors, bufferViews, buffers: [{ byteLength }] });
  }
  const json = new TextEncoder().encode(JSON.stringify(gltf));
  const jsonLength = pad4(json.length);
  const binLength = pad4(byteLength);
  const total = 12 + 8 + jsonLength + (byteLength > 0 ? 8 + binLength : 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, GLB_MAGIC, true);
  dv.setUint32(4, 2, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, jsonLength, true);
  dv.setUint32(16, CHUNK_JSON, true);
  out.set(json, 20);
  out.fill(0x20, 20 + json.length, 20 + jsonLength); // JSON is padded with spaces
  if (byteLength > 0) {
    const bin = 20 + jsonLength;
    dv.setUint32(bin, binLength, true);
    dv.setUint32(bin + 4, CHUNK_BIN, true);
    let o = bin + 8;
    for (const part of parts) {
      out.set(part, o);
      o += part.byteLength;
    }
    // the padding stays 0
  }
  return out;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function isFinite3(a: Float32Array, i: number): boolean {
  const x = a[i]!, y = a[i + 1]!, z = a[i + 2]!;
  // x - x is NaN for NaN and +-Infinity.
  return x - x === 0 && y - y === 0 && z - z === 0;
}

function minMax(xyz: Float32Array): { min: number[]; max: number[] } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < xyz.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      const v = xyz[i + a]!;
      if (v < min[a]!) min[a] = v;
      if (v > max[a]!) max[a] = v;
    }
  }
  return { min, max };
}
