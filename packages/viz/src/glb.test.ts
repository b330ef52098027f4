import { describe, expect, it } from 'vitest';
import { encodeGlb } from './glb.js';

interface Parsed {
  json: {
    asset: { version: string };
    scene: number;
    scenes: { nodes: number[] }[];
    nodes: { name: string; rotation?: number[]; children?: number[]; mesh?: number }[];
    meshes?: { name: string; primitives: { attributes: Record<string, number>; mode: number; material: number }[] }[];
    accessors?: { bufferView: number; componentType: number; normalized?: boolean; count: number; type: string; min?: number[]; max?: number[] }[];
    bufferViews?: { buffer: number; byteOffset: number; byteLength: number; byteStride?: number; target: number }[];
    buffers?: { byteLength: number }[];
    materials?: { extensions?: Record<string, unknown> }[];
    extensionsUsed?: string[];
  };
  bin: Uint8Array | null;
}

/** Reads a GLB container, checking the header and chunk layout. */
function parseGlb(bytes: Uint8Array): Parsed {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(dv.getUint32(0, true)).toBe(0x46546c67); // 'glTF'
  expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('glTF');
  expect(dv.getUint32(4, true)).toBe(2);
  expect(dv.getUint32(8, true)).toBe(bytes.length);
  const jsonLength = dv.getUint32(12, true);
  expect(jsonLength % 4).toBe(0);
  expect(new TextDecoder().decode(bytes.subarray(16, 20))).toBe('JSON');
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength)));
  let bin: Uint8Array | null = null;
  if (20 + jsonLength < bytes.length) {
    const binLength = dv.getUint32(20 + jsonLength, true);
    expect(binLength % 4).toBe(0);
    expect(dv.getUint32(24 + jsonLength, true)).toBe(0x004e4942); // 'BIN\0'
    bin = bytes.subarray(28 + jsonLength, 28 + jsonLength + binLength);
    expect(28 + jsonLength + binLength).toBe(bytes.length);
  }
  return { json, bin };
}

const K = { fx: 100, fy: 100, cx: 31.5, cy: 23.5 };
const identity = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const moved = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0.5, 0, -1, 1]);

describe('encodeGlb', () => {
  const positions = new Float32Array([0.1, -2, 3, 4, 5.5, 6, -7, 8, 9.25, Number.NaN, 0, 0, 1, 1, 1]);
  const colors = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9, 10, 20, 30]);
  const glb = encodeGlb({ pointCloud: { positions, colors }, cameras: { cameraToWorld: [identity, moved], intrinsics: [K, K], width: 64, height: 48, scale: 0.5 } });
  const { json, bin } = parseGlb(glb);

  it('writes a valid GLB container: header, JSON chunk, BIN chunk', () => {
    expect(glb).toBeInstanceOf(Uint8Array);
    expect(json.asset.version).toBe('2.0');
    expect(bin).not.toBeNull();
    expect(json.buffers![0]!.byteLength).toBeLessThanOrEqual(bin!.length);
    expect(json.extensionsUsed).toEqual(['KHR_materials_unlit']);
  });

  it('has a POINTS primitive with float POSITION (exact min / max, non-finite points left out) and normalised byte COLOR_0', () => {
    const mesh = json.meshes!.find((m) => m.name === 'point-cloud')!;
    const prim = mesh.primitives[0]!;
    expect(prim.mode).toBe(0);
    const pos = json.accessors![prim.attributes['POSITION']!]!;
    expect(pos).toMatchObject({ componentType: 5126, count: 4, type: 'VEC3' });
    expect(pos.min).toEqual([-7, -2, 1]);
    expect(pos.max).toEqual([4, 8, 9.25]);
    // POSITION data read back from the BIN chunk
    const view = json.bufferViews![pos.bufferView]!;
    const xyz = new Float32Array(bin!.slice(view.byteOffset, view.byteOffset + view.byteLength).buffer);
    expect(Array.from(xyz)).toEqual(Array.from(positions.subarray(0, 9)).concat([1, 1, 1]));

    const col = json.accessors![prim.attributes['COLOR_0']!]!;
    expect(col).toMatchObject({ componentType: 5121, normalized: true, count: 4, type: 'VEC3' });
    const cview = json.bufferViews![col.bufferView]!;
    expect(cview.byteStride).toBe(4);
    expect(cview.byteOffset % 4).toBe(0);
    const rgb = [];
    for (let i = 0; i < 4; i++) rgb.push(...bin!.subarray(cview.byteOffset + 4 * i, cview.byteOffset + 4 * i + 3));
    expect(rgb).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  });

  it('has a LINES primitive with the frustum segments (22 vertices per camera)', () => {
    const mesh = json.meshes!.find((m) => m.name === 'cameras')!;
    const prim = mesh.primitives[0]!;
    expect(prim.mode).toBe(1);
    const acc = json.accessors![prim.attributes['POSITION']!]!;
    expect(acc.count).toBe(44);
    // apex of camera 0 at the origin, of camera 1 at (0.5, 0, -1); far planes at z = 0.5 and -0.5
    expect(acc.min![2]).toBeCloseTo(-1);
    expect(acc.max![2]).toBeCloseTo(0.5);
    for (const v of json.bufferViews!) expect(v.byteOffset % 4).toBe(0);
  });

  it('puts both meshes under a root node that turns OpenCV axes into glTF axes', () => {
    const root = json.nodes[json.scenes[json.scene]!.nodes[0]!]!;
    expect(root.rotation).toEqual([1, 0, 0, 0]);
    expect(root.children!.map((c) => json.nodes[c]!.name)).toEqual(['point-cloud', 'cameras']);
    const plain = parseGlb(encodeGlb({ pointCloud: { positions: new Float32Array([1, 2, 3]) } }, { convertAxes: false })).json;
    expect(plain.nodes[0]!.rotation).toBeUndefined();
    expect(plain.accessors).toHaveLength(1); // no colours, no cameras
  });

  it('honours count, drops NaN cameras, and writes a valid empty file', () => {
    const some = parseGlb(encodeGlb({ pointCloud: { positions, colors, count: 2 }, cameras: { cameraToWorld: [new Float32Array(16).fill(Number.NaN), identity], intrinsics: [K, K], width: 64, height: 48 } }));
    expect(some.json.accessors![0]!.count).toBe(2);
    expect(some.json.accessors!.at(-1)!.count).toBe(22);
    const empty = parseGlb(encodeGlb({ pointCloud: { positions: new Float32Array(0) } }));
    expect(empty.bin).toBeNull();
    expect(empty.json.meshes).toBeUndefined();
    expect(empty.json.nodes).toHaveLength(1);
  });

  it('throws TypeError / RangeError naming the argument', () => {
    expect(() => encodeGlb({ pointCloud: { positions: [1, 2, 3] as unknown as Float32Array } })).toThrow(
      new TypeError('encodeGlb: input.pointCloud.positions (Array(3)) must be a Float32Array (interleaved xyz)'),
    );
    expect(() => encodeGlb({ pointCloud: { positions, colors: new Uint8Array(3) } })).toThrow(
      new RangeError('encodeGlb: input.pointCloud.colors.length (3) must be at least input.pointCloud.count * 3 (15)'),
    );
    expect(() => encodeGlb({ pointCloud: { positions }, cameras: { cameraToWorld: [identity], intrinsics: [], width: 64, height: 48 } })).toThrow(
      new RangeError('encodeGlb: input.cameras.intrinsics.length (0) must equal input.cameras.cameraToWorld.length (1)'),
    );
    expect(() => encodeGlb({ pointCloud: { positions } }, { frustumColor: [0, 0, 300] })).toThrow(RangeError);
  });
});
