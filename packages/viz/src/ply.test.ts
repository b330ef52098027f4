import { describe, expect, it } from 'vitest';
import { decodePly, encodePly, type PointCloud } from './ply.js';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** A deterministic pseudo-random cloud (LCG), `n` points with every optional field. */
function cloud(n: number): Required<PointCloud> {
  let s = 12345;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const positions = Float32Array.from({ length: 3 * n }, () => (rand() - 0.5) * 20);
  const normals = Float32Array.from({ length: 3 * n }, () => rand() * 2 - 1);
  const colors = Uint8Array.from({ length: 3 * n }, () => Math.floor(rand() * 256));
  const confidence = Float32Array.from({ length: n }, () => rand());
  return { positions, normals, colors, confidence };
}

describe('encodePly', () => {
  it('writes the expected header and little-endian records for a 2-point cloud', () => {
    const bytes = encodePly(
      {
        positions: new Float32Array([1, 2, 3, -4, 5.5, 6]),
        colors: new Uint8Array([255, 0, 10, 1, 2, 3]),
        confidence: new Float32Array([0.5, 1]),
      },
      { comments: ['d4rt-js test cloud'] },
    );
    const header = [
      'ply',
      'format binary_little_endian 1.0',
      'comment d4rt-js test cloud',
      'element vertex 2',
      'property float x',
      'property float y',
      'property float z',
      'property uchar red',
      'property uchar green',
      'property uchar blue',
      'property float confidence',
      'end_header',
      '',
    ].join('\n');
    expect(text(bytes.subarray(0, header.length))).toBe(header);
    const stride = 12 + 3 + 4;
    expect(bytes.length).toBe(header.length + 2 * stride);
    const view = new DataView(bytes.buffer, bytes.byteOffset + header.length);
    expect([view.getFloat32(0, true), view.getFloat32(4, true), view.getFloat32(8, true)]).toEqual([1, 2, 3]);
    expect([view.getUint8(12), view.getUint8(13), view.getUint8(14)]).toEqual([255, 0, 10]);
    expect(view.getFloat32(15, true)).toBe(0.5);
    expect([view.getFloat32(stride, true), view.getFloat32(stride + 4, true)]).toEqual([-4, 5.5]);
    expect(view.getFloat32(2 * stride - 4, true)).toBe(1);
  });

  it('writes normals between positions and colours, and only the fields given', () => {
    const header = text(encodePly({ positions: new Float32Array(3), normals: new Float32Array(3) }));
    expect(header).toContain('property float z\nproperty float nx\nproperty float ny\nproperty float nz\nend_header\n');
    expect(header).not.toContain('red');
    expect(header.length).toBe(header.indexOf('end_header\n') + 11 + 24);
    const empty = encodePly({ positions: new Float32Array(0) });
    expect(text(empty)).toBe('ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n');
  });

  it('does not modify the cloud', () => {
    const c = cloud(4);
    const before = { positions: c.positions.slice(), colors: c.colors.slice() };
    encodePly(c);
    expect(c.positions).toEqual(before.positions);
    expect(c.colors).toEqual(before.colors);
  });

  it('checks its arguments', () => {
    const positions = new Float32Array(6);
    expect(() => encodePly({ positions: new Float32Array(5) })).toThrow(new RangeError('encodePly: cloud.positions.length (5) must be a multiple of 3'));
    expect(() => encodePly({ positions, colors: new Uint8Array(3) })).toThrow(
      new RangeError('encodePly: cloud.colors.length (3) must equal cloud.positions.length (6)'),
    );
    expect(() => encodePly({ positions, normals: new Float32Array(9) })).toThrow(
      new RangeError('encodePly: cloud.normals.length (9) must equal cloud.positions.length (6)'),
    );
    expect(() => encodePly({ positions, confidence: new Float32Array(6) })).toThrow(
      new RangeError('encodePly: cloud.confidence.length (6) must equal cloud.positions.length / 3 (2)'),
    );
    expect(() => encodePly({ positions: [0, 0, 0] as unknown as Float32Array })).toThrow(
      new TypeError('encodePly: cloud.positions (Array(3)) must be a Float32Array or Float64Array'),
    );
    expect(() => encodePly({ positions, colors: new Float32Array(6) as unknown as Uint8Array })).toThrow(
      new TypeError('encodePly: cloud.colors (Float32Array(6)) must be a Uint8Array or Uint8ClampedArray'),
    );
    expect(() => encodePly(null as unknown as PointCloud)).toThrow(new TypeError('encodePly: cloud (null) must be an object'));
    expect(() => encodePly({ positions }, { comments: ['two\nlines'] })).toThrow(
      new RangeError('encodePly: options.comments[0] (string "two\\nlines") must be printable ASCII without line breaks'),
    );
    expect(() => encodePly({ positions }, { comments: [3 as unknown as string] })).toThrow(TypeError);
  });
});

describe('decodePly', () => {
  it('round-trips every field and the comments', () => {
    const c = cloud(50);
    const decoded = decodePly(encodePly(c, { comments: ['a', 'b c'] }));
    expect(decoded.positions).toEqual(c.positions);
    expect(decoded.normals).toEqual(c.normals);
    expect(decoded.colors).toEqual(c.colors);
    expect(decoded.confidence).toEqual(c.confidence);
    expect(decoded.comments).toEqual(['a', 'b c']);
    const bare = decodePly(encodePly({ positions: c.positions }));
    expect(bare.positions).toEqual(c.positions);
    expect(bare.colors).toBeUndefined();
    expect(bare.normals).toBeUndefined();
    expect(bare.confidence).toBeUndefined();
  });

  it('round-trips float64 positions to float32 and works on a view with an offset', () => {
    const positions = new Float64Array([0.1, 0.2, 0.3]);
    const bytes = encodePly({ positions });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const decoded = decodePly(shifted.subarray(3));
    expect(Array.from(decoded.positions)).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
    expect(decoded.positions.buffer).not.toBe(shifted.buffer);
  });

  it('reads ASCII files with CRLF lines, extra properties and a face element', () => {
    const file = [
      'ply',
      'format ascii 1.0',
      'comment from another tool',
      'element vertex 2',
      'property float x',
      'property float y',
      'property float z',
      'property uchar red',
      'property uchar green',
      'property uchar blue',
      'property uchar alpha',
      'property float confidence',
      'element face 1',
      'property list uchar int vertex_indices',
      'end_header',
      '1 2 3 255 128 0 255 0.25',
      '-1.5 0 1e2 0 1 2 255 1',
      '3 0 1 1',
      '',
    ].join('\r\n');
    const decoded = decodePly(ascii(file));
    expect(Array.from(decoded.positions)).toEqual([1, 2, 3, -1.5, 0, 100]);
    expect(Array.from(decoded.colors!)).toEqual([255, 128, 0, 0, 1, 2]);
    expect(Array.from(decoded.confidence!)).toEqual([0.25, 1]);
    expect(decoded.normals).toBeUndefined();
    expect(decoded.comments).toEqual(['from another tool']);
  });

  it('reads binary files with other property orders and types (double, float colours, skipped properties)', () => {
    const header =
      'ply\nformat binary_little_endian 1.0\nelement vertex 2\n' +
      'property double z\nproperty short intensity\nproperty float x\nproperty float y\n' +
      'property float diffuse_red\nproperty float diffuse_green\nproperty float diffuse_blue\nend_header\n';
    const stride = 8 + 2 + 4 + 4 + 12;
    const bytes = new Uint8Array(header.length + 2 * stride);
    bytes.set(ascii(header));
    const view = new DataView(bytes.buffer, header.length);
    const rows = [
      [3, 7, 1, 2, 1, 0.5, 0],
      [-6, -1, 4, 5, 0, 0.2, 2],
    ];
    rows.forEach((r, i) => {
      const o = i * stride;
      view.setFloat64(o, r[0]!, true);
      view.setInt16(o + 8, r[1]!, true);
      view.setFloat32(o + 10, r[2]!, true);
      view.setFloat32(o + 14, r[3]!, true);
      view.setFloat32(o + 18, r[4]!, true);
      view.setFloat32(o + 22, r[5]!, true);
      view.setFloat32(o + 26, r[6]!, true);
    });
    const decoded = decodePly(bytes);
    expect(Array.from(decoded.positions)).toEqual([1, 2, 3, 4, 5, -6]);
    // Float colours are [0, 1], scaled and clamped to 0..255.
    expect(Array.from(decoded.colors!)).toEqual([255, 128, 0, 0, 51, 255]);
  });

  it('rejects other layouts and broken files with clear errors', () => {
    const ok = 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n';
    expect(() => decodePly(ascii('solid cube\n'))).toThrow(
      new RangeError("decodePly: bytes (Uint8Array(11)) must start with the line 'ply'; this is not a PLY file"),
    );
    expect(() => decodePly(ascii(ok.replace('ascii', 'binary_big_endian') + 'end_header\n'))).toThrow(
      new RangeError("decodePly: format 'binary_big_endian' is not supported; allowed: 'binary_little_endian', 'ascii'"),
    );
    expect(() => decodePly(ascii(ok))).toThrow(new RangeError("decodePly: the header is incomplete: no 'end_header' line"));
    expect(() => decodePly(ascii(ok + 'end_header\n1 2\n'))).toThrow(
      new RangeError('decodePly: the vertex data is truncated: 1 vertices of 3 values expected, the data ends at vertex 0'),
    );
    expect(() => decodePly(ascii(ok + 'end_header\n1 2 abc\n'))).toThrow(new RangeError('decodePly: vertex 0 property \'z\' (string "abc") must be a number'));
    const binary = encodePly({ positions: new Float32Array(6) });
    expect(() => decodePly(binary.subarray(0, binary.length - 1))).toThrow(
      new RangeError('decodePly: the vertex data is truncated: 2 vertices of 12 bytes need 24 bytes after the header, found 23'),
    );
    expect(() => decodePly(ascii(ok.replace('vertex 1', 'vertex NaN') + 'end_header\n'))).toThrow(
      new RangeError('decodePly: header line 3 (string "element vertex NaN") must be \'element <name> <count>\' with an integer count >= 0'),
    );
    expect(() => decodePly(ascii(ok.replace('element vertex 1', 'element face 0\nelement vertex 1') + 'end_header\n'))).toThrow(
      new RangeError("decodePly: the first element (string \"face\") must be 'vertex'; other layouts are not supported"),
    );
    expect(() => decodePly(ascii(ok + 'property list uchar float extra\nend_header\n'))).toThrow(
      new RangeError("decodePly: vertex property 'extra' is a list; only scalar vertex properties are supported"),
    );
    expect(() => decodePly(ascii(ok.replace('property float z\n', '') + 'end_header\n'))).toThrow(
      new RangeError("decodePly: vertex positions are incomplete: 'z' missing"),
    );
    expect(() => decodePly(ascii(ok + 'property float nx\nend_header\n'))).toThrow(
      new RangeError("decodePly: vertex normals are incomplete: 'ny', 'nz' missing"),
    );
    expect(() => decodePly(ascii(ok.replace('float x', 'half x') + 'end_header\n'))).toThrow(RangeError);
    expect(() => decodePly(ascii('ply\nelement vertex 0\nend_header\n'))).toThrow(new RangeError("decodePly: the header has no 'format' line"));
    expect(() => decodePly([112, 108, 121] as unknown as Uint8Array)).toThrow(new TypeError('decodePly: bytes (Array(3)) must be a Uint8Array'));
  });
});
