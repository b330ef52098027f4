import { describe, expect, it } from 'vitest';
import { encodePointCloudSequenceGlb, pointCloudSequenceFrame, type PointCloudSequence } from './point-cloud-sequence.js';

const seq: PointCloudSequence = {
  frames: 3,
  offsets: Uint32Array.of(0, 2, 2, 5),
  positions: Float32Array.from({ length: 15 }, (_, i) => i),
  colors: Uint8Array.from({ length: 15 }, (_, i) => 10 * i),
  ids: Uint32Array.of(7, 8, 7, 9, 10),
};

function parse(bytes: Uint8Array): { json: Record<string, any>; bin: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(dv.getUint32(0, true)).toBe(0x46546c67);
  expect(dv.getUint32(8, true)).toBe(bytes.length);
  const jl = dv.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jl)));
  const bl = dv.getUint32(20 + jl, true);
  return { json, bin: bytes.subarray(28 + jl, 28 + jl + bl) };
}

describe('pointCloudSequenceFrame', () => {
  it('returns views of one frame for the renderer', () => {
    const f = pointCloudSequenceFrame(seq, 2);
    expect(f.count).toBe(3);
    expect(Array.from(f.positions)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(f.positions.buffer).toBe(seq.positions.buffer);
    expect(Array.from(f.ids!)).toEqual([7, 9, 10]);
    expect(pointCloudSequenceFrame(seq, 1).count).toBe(0);
    expect(() => pointCloudSequenceFrame(seq, 3)).toThrow(/pointCloudSequenceFrame: t \(3\) must be <= 2/);
    expect(() => pointCloudSequenceFrame({ ...seq, offsets: Uint32Array.of(0, 2, 1, 5) }, 0)).toThrow(/sequence\.offsets\[2\] \(1\) must not be below sequence\.offsets\[1\] \(2\)/);
  });
});

describe('encodePointCloudSequenceGlb', () => {
  it('one node per frame, each shown for 1 / fps by a STEP scale animation', () => {
    const { json, bin } = parse(encodePointCloudSequenceGlb(seq, { fps: 4 }));
    expect(json.nodes.map((n: { name: string }) => n.name)).toEqual(['d4rt-world', 'frame-0', 'frame-1', 'frame-2']);
    expect(json.nodes[0].children).toEqual([1, 2, 3]);
    expect(json.nodes[1].scale).toEqual([1, 1, 1]);
    expect(json.nodes[3].scale).toEqual([0, 0, 0]);
    expect(json.nodes[2].mesh).toBeUndefined(); // an empty frame
    expect(json.meshes).toHaveLength(2);
    const anim = json.animations[0];
    expect(anim.channels).toHaveLength(3);
    const read = (acc: number): number[] => {
      const a = json.accessors[acc];
      const v = json.bufferViews[a.bufferView];
      const n = a.count * (a.type === 'VEC3' ? 3 : 1);
      return Array.from(new Float32Array(bin.buffer, bin.byteOffset + v.byteOffset + (a.byteOffset ?? 0), n));
    };
    const keys = anim.channels.map((c: { sampler: number }) => {
      const s = anim.samplers[c.sampler];
      expect(s.interpolation).toBe('STEP');
      return { t: read(s.input), s: read(s.output).filter((_, i) => i % 3 === 0) };
    });
    expect(keys[0]).toEqual({ t: [0, 0.25], s: [1, 0] });
    expect(keys[1]).toEqual({ t: [0, 0.25, 0.5], s: [0, 1, 0] });
    expect(keys[2]).toEqual({ t: [0, 0.5], s: [0, 1] });
    // frame 2's points with their colours
    const mesh = json.meshes[1].primitives[0];
    expect(read(mesh.attributes.POSITION)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(json.accessors[mesh.attributes.POSITION].min).toEqual([6, 7, 8]);
    expect(json.accessors[mesh.attributes.COLOR_0]).toMatchObject({ normalized: true, count: 3, type: 'VEC3', componentType: 5121 });
    for (const v of json.bufferViews) expect(v.byteOffset % 4).toBe(0);
  });

  it('one frame: no animation; bad options are named', () => {
    const one = parse(encodePointCloudSequenceGlb({ frames: 1, offsets: Uint32Array.of(0, 1), positions: Float32Array.of(1, 2, 3) }));
    expect(one.json.animations).toBeUndefined();
    expect(() => encodePointCloudSequenceGlb(seq, { fps: 0 })).toThrow(/encodePointCloudSequenceGlb: options\.fps \(0\) must be > 0/);
  });
});
