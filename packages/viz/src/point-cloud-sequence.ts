/**
 * Time-varying point clouds (the dense 4D reconstruction of a video: per frame, the visible points
 * of the dense tracks), stored frame by frame in one set of arrays, with a view per frame for the
 * {@link PointCloudRenderer} and an animated binary glTF export.
 *
 * Layout (CSR by frame): the points of frame `t` are `offsets[t] .. offsets[t + 1] - 1` of
 * `positions` (interleaved xyz, d4rt-js world: OpenCV axes), `colors` (RGB bytes) and `ids` (the
 * track each point belongs to, so one surface point has one id in every frame).
 *
 * The glTF holds one node per frame (a `POINTS` mesh) under the root `d4rt-world`, and one
 * animation, `frames`, that shows each frame's node for `1 / fps` seconds (a `STEP` animation of
 * the node's scale: 1 while shown, 0 otherwise); viewers without animation show frame 0.
 *
 * @packageDocumentation
 */

import type { RendererPointCloud } from './point-cloud-renderer.js';
import { assertMinLength, assertNumber, assertObject, describe } from './validate.js';

/** A time-varying point cloud (see the module notes). */
export interface PointCloudSequence {
  /** Number of frames (integer >= 1). */
  frames: number;
  /** `frames + 1` offsets into the point arrays, non-decreasing, `offsets[0] = 0`. */
  offsets: Uint32Array;
  /** Interleaved xyz of every point of every frame. */
  positions: Float32Array;
  /** RGB bytes per point; optional. */
  colors?: Uint8Array | Uint8ClampedArray;
  /** Track id per point; optional. */
  ids?: Uint32Array;
}

/** Options of {@link encodePointCloudSequenceGlb}. */
export interface EncodeSequenceGlbOptions {
  /** Frames per second of the animation (> 0); default 10. */
  fps?: number;
  /** Rotate OpenCV axes to glTF axes in the root node (180 degrees about x); default true. */
  convertAxes?: boolean;
  /** The `asset.generator` string; default `'@d4rt/viz'`. */
  generator?: string;
}

function checkSequence(fn: string, seq: unknown): asserts seq is PointCloudSequence {
  assertObject(fn, 'sequence', seq);
  const s = seq as unknown as PointCloudSequence;
  assertNumber(fn, 'sequence.frames', s.frames, { integer: true, min: 1 });
  if (!(s.offsets instanceof Uint32Array)) throw new TypeError(`${fn}: sequence.offsets (${describe(s.offsets)}) must be a Uint32Array of frames + 1 offsets`);
  if (s.offsets.length !== s.frames + 1) throw new RangeError(`${fn}: sequence.offsets.length (${s.offsets.length}) must equal sequence.frames + 1 (${s.frames + 1})`);
  if (s.offsets[0] !== 0) throw new RangeError(`${fn}: sequence.offsets[0] (${s.offsets[0]}) must be 0`);
  for (let t = 0; t < s.frames; t++) {
    if (s.offsets[t + 1]! < s.offsets[t]!) throw new RangeError(`${fn}: sequence.offsets[${t + 1}] (${s.offsets[t + 1]}) must not be below sequence.offsets[${t}] (${s.offsets[t]})`);
  }
  const n = s.offsets[s.frames]!;
  if (!(s.positions instanceof Float32Array)) throw new TypeError(`${fn}: sequence.positions (${describe(s.positions)}) must be a Float32Array (interleaved xyz)`);
  assertMinLength(fn, 'sequence.positions', s.positions, 3 * n, 'sequence.offsets[frames] * 3');
  if (s.colors !== undefined) {
    if (!(s.colors instanceof Uint8Array || s.colors instanceof Uint8ClampedArray)) throw new TypeError(`${fn}: sequence.colors (${describe(s.colors)}) must be a Uint8Array (RGB bytes)`);
    assertMinLength(fn, 'sequence.colors', s.colors, 3 * n, 'sequence.offsets[frames] * 3');
  }
  if (s.ids !== undefined) {
    if (!(s.ids instanceof Uint32Array)) throw new TypeError(`${fn}: sequence.ids (${describe(s.ids)}) must be a Uint32Array`);
    assertMinLength(fn, 'sequence.ids', s.ids, n, 'sequence.offsets[frames]');
  }
}

/**
 * The point cloud of frame `t` of a sequence, for `PointCloudRenderer.setPointCloud` (call it
 * again with the next frame to play the sequence).
 *
 * @param sequence - the sequence
 * @param t - frame index in `[0, frames - 1]`
 * @returns a new object whose arrays are **views** of the sequence's arrays
 * @throws TypeError / RangeError for a malformed sequence or a frame out of range
 */
export function pointCloudSequenceFrame(sequence: PointCloudSequence, t: number): RendererPointCloud & { ids?: Uint32Array } {
  const fn = 'pointCloudSequenceFrame';
  checkSequence(fn, sequence);
  assertNumber(fn, 't', t, { integer: true, min: 0, max: sequence.frames - 1 });
  const a = sequence.offsets[t]!, b = sequence.offsets[t + 1]!;
  return {
    positions: sequence.positions.subarray(3 * a, 3 * b),
    count: b - a,
    ...(sequence.colors !== undefined && { colors: sequence.colors.subarray(3 * a, 3 * b) }),
    ...(sequence.ids !== undefined && { ids: sequence.ids.subarray(a, b) }),
  };
}

const FLOAT = 5126;
const UNSIGNED_BYTE = 5121;
const ARRAY_BUFFER = 34962;
const MODE_POINTS = 0;

/**
 * Encodes a sequence as an animated binary glTF 2.0 file (see the module notes). Points with a
 * non-finite coordinate are left out; a frame without points gets a node without a mesh.
 *
 * @param sequence - the sequence
 * @param options - `fps`, `convertAxes`, `generator`
 * @returns a new `Uint8Array` (the whole `.glb`)
 * @throws TypeError / RangeError for a malformed sequence or options
 */
export function encodePointCloudSequenceGlb(sequence: PointCloudSequence, options: EncodeSequenceGlbOptions = {}): Uint8Array {
  const fn = 'encodePointCloudSequenceGlb';
  checkSequence(fn, sequence);
  assertObject(fn, 'options', options);
  const { fps = 10, convertAxes = true, generator = '@d4rt/viz' } = options;
  assertNumber(fn, 'options.fps', fps, { min: 0, exclusiveMin: true });
  if (typeof convertAxes !== 'boolean') throw new TypeError(`${fn}: options.convertAxes (${describe(convertAxes)}) must be a boolean`);
  if (typeof generator !== 'string') throw new TypeError(`${fn}: options.generator (${describe(generator)}) must be a string`);
  const F = sequence.frames;
  const parts: Uint8Array[] = [];
  const bufferViews: Record<string, unknown>[] = [];
  const accessors: Record<string, unknown>[] = [];
  let byteLength = 0;
  const addView = (bytes: Uint8Array, target?: number, byteStride?: number): number => {
    const view: Record<string, unknown> = { buffer: 0, byteOffset: byteLength, byteLength: bytes.byteLength };
    if (target !== undefined) view['target'] = target;
    if (byteStride !== undefined) view['byteStride'] = byteStride;
    bufferViews.push(view);
    const padded = new Uint8Array((bytes.byteLength + 3) & ~3);
    padded.set(bytes);
    parts.push(padded);
    byteLength += padded.byteLength;
    return bufferViews.length - 1;
  };
  const floats = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const unlit = { KHR_materials_unlit: {} };
  const materials = [{ name: 'points', pbrMetallicRoughness: { baseColorFactor: [1, 1, 1, 1], metallicFactor: 0, roughnessFactor: 1 }, extensions: unlit }];
  const meshes: Record<string, unknown>[] = [];
  const children: number[] = [];
  const nodes: Record<string, unknown>[] = [{ name: 'd4rt-world', ...(convertAxes ? { rotation: [1, 0, 0, 0] } : {}), children }];
  const samplers: Record<string, unknown>[] = [];
  const channels: Record<string, unknown>[] = [];
  const { positions, colors } = sequence;
  // shared output values of the scale animation: hidden and shown
  const scales = addView(floats(Float32Array.of(0, 0, 0, 1, 1, 1, 0, 0, 0)));
  for (let t = 0; t < F; t++) {
    const a = sequence.offsets[t]!, b = sequence.offsets[t + 1]!;
    let kept = 0;
    for (let i = a; i < b; i++) if (Number.isFinite(positions[3 * i]!) && Number.isFinite(positions[3 * i + 1]!) && Number.isFinite(positions[3 * i + 2]!)) kept++;
    const node: Record<string, unknown> = { name: `frame-${t}`, scale: t === 0 ? [1, 1, 1] : [0, 0, 0] };
    if (kept > 0) {
      const xyz = new Float32Array(3 * kept);
      const rgbx = colors === undefined ? null : new Uint8Array(4 * kept);
      const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
      for (let i = a, o = 0; i < b; i++) {
        const x = positions[3 * i]!, y = positions[3 * i + 1]!, z = positions[3 * i + 2]!;
        if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
        xyz[3 * o] = x;
        xyz[3 * o + 1] = y;
        xyz[3 * o + 2] = z;
        for (let c = 0; c < 3; c++) {
          const v = xyz[3 * o + c]!;
          if (v < min[c]!) min[c] = v;
          if (v > max[c]!) max[c] = v;
        }
        if (rgbx) {
          rgbx[4 * o] = colors![3 * i]!;
          rgbx[4 * o + 1] = colors![3 * i + 1]!;
          rgbx[4 * o + 2] = colors![3 * i + 2]!;
        }
        o++;
      }
      accessors.push({ bufferView: addView(floats(xyz), ARRAY_BUFFER), componentType: FLOAT, count: kept, type: 'VEC3', min, max });
      const attributes: Record<string, number> = { POSITION: accessors.length - 1 };
      if (rgbx) {
        accessors.push({ bufferView: addView(rgbx, ARRAY_BUFFER, 4), componentType: UNSIGNED_BYTE, normalized: true, count: kept, type: 'VEC3' });
        attributes['COLOR_0'] = accessors.length - 1;
      }
      meshes.push({ name: `frame-${t}`, primitives: [{ attributes, mode: MODE_POINTS, material: 0 }] });
      node['mesh'] = meshes.length - 1;
    }
    nodes.push(node);
    children.push(nodes.length - 1);
    if (F > 1) {
      // key times: hidden from 0 (unless t = 0), shown at t / fps, hidden at (t + 1) / fps (unless last)
      const times: number[] = [];
      let first = 0;
      if (t > 0) times.push(0);
      else first = 1;
      times.push(t / fps);
      if (t < F - 1) times.push((t + 1) / fps);
      const input = addView(floats(Float32Array.from(times)));
      accessors.push({ bufferView: input, componentType: FLOAT, count: times.length, type: 'SCALAR', min: [times[0]], max: [times[times.length - 1]] });
      const inputAccessor = accessors.length - 1;
      accessors.push({ bufferView: scales, byteOffset: first * 12, componentType: FLOAT, count: times.length, type: 'VEC3' });
      samplers.push({ input: inputAccessor, output: accessors.length - 1, interpolation: 'STEP' });
      channels.push({ sampler: samplers.length - 1, target: { node: nodes.length - 1, path: 'scale' } });
    }
  }
  const gltf: Record<string, unknown> = {
    asset: { version: '2.0', generator },
    scene: 0,
    scenes: [{ name: 'd4rt', nodes: [0] }],
    nodes,
    extensionsUsed: ['KHR_materials_unlit'],
    materials,
    accessors,
    bufferViews,
    buffers: [{ byteLength }],
  };
  if (meshes.length > 0) gltf['meshes'] = meshes;
  if (channels.length > 0) gltf['animations'] = [{ name: 'frames', samplers, channels }];
  const json = new TextEncoder().encode(JSON.stringify(gltf));
  const jsonLength = (json.length + 3) & ~3;
  const total = 12 + 8 + jsonLength + 8 + byteLength;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x46546c67, true);
  dv.setUint32(4, 2, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, jsonLength, true);
  dv.setUint32(16, 0x4e4f534a, true);
  out.set(json, 20);
  out.fill(0x20, 20 + json.length, 20 + jsonLength);
  const bin = 20 + jsonLength;
  dv.setUint32(bin, byteLength, true);
  dv.setUint32(bin + 4, 0x004e4942, true);
  let o = bin + 8;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
