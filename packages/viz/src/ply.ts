/**
 * Point clouds to and from PLY (the Stanford polygon file format), vertices only.
 *
 * `encodePly` writes `format binary_little_endian 1.0` with one `vertex` element whose
 * properties are, in this order and each group only when present:
 *
 * ```
 * property float x / y / z
 * property float nx / ny / nz            (normals)
 * property uchar red / green / blue      (colours)
 * property float confidence
 * ```
 *
 * `decodePly` reads `binary_little_endian` and `ascii` files whose first element is `vertex` with
 * scalar properties: `x y z` (required), `nx ny nz`, `red green blue` (or `diffuse_red ...`) and
 * `confidence`, in any order and of any PLY scalar type; other scalar vertex properties (alpha,
 * intensity, ...) are skipped and elements after `vertex` (faces, ...) are ignored. Other layouts
 * (big-endian, list properties in `vertex`, another element first) throw a `RangeError` that says
 * what is not supported.
 *
 * The header is ASCII (as the PLY format says): comments must be printable ASCII on one line.
 *
 * @packageDocumentation
 */

import { assertGroups, assertLength, assertObject, describe } from './validate.js';

/** A point cloud as plain typed arrays (interleaved triples, one entry per point otherwise). */
export interface PointCloud {
  /** Interleaved xyz, `n * 3`; written as float32. */
  positions: Float32Array | Float64Array;
  /** Interleaved RGB, `n * 3`, 0..255. */
  colors?: Uint8Array | Uint8ClampedArray;
  /** Interleaved normals, `n * 3`; written as float32. */
  normals?: Float32Array | Float64Array;
  /** One confidence per point, `n`; written as float32. */
  confidence?: Float32Array | Float64Array;
}

/** Options of {@link encodePly}. */
export interface EncodePlyOptions {
  /** Header comments, one `comment` line each (printable ASCII, no line breaks). */
  comments?: readonly string[];
}

/** The result of {@link decodePly}: new arrays (never views of the input bytes) and the header comments. */
export interface DecodedPly {
  /** Interleaved xyz, `n * 3`. */
  positions: Float32Array;
  /** Interleaved RGB, `n * 3`, present when the file has `red green blue`. */
  colors?: Uint8Array;
  /** Interleaved normals, `n * 3`, present when the file has `nx ny nz`. */
  normals?: Float32Array;
  /** One value per point, present when the file has `confidence`. */
  confidence?: Float32Array;
  /** The header's `comment` lines, without the keyword. */
  comments: string[];
}

const FLOAT_TYPES = [Float32Array, Float64Array] as const;

function assertFloatField(fn: string, name: string, value: unknown): asserts value is Float32Array | Float64Array {
  if (!FLOAT_TYPES.some((T) => value instanceof T)) {
    throw new TypeError(`${fn}: ${name} (${describe(value)}) must be a Float32Array or Float64Array`);
  }
}

function encodeAscii(text: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}

/**
 * Encodes a point cloud as a binary little-endian PLY file (layout in the module comment).
 *
 * Returns a **new** `Uint8Array` (header + `n * stride` bytes, stride 12 to 31); the cloud is only
 * read. Values are written as given (non-finite positions included).
 *
 * @param cloud - positions and the optional colours, normals and confidence
 * @param options - header comments
 * @returns the file's bytes
 * @throws TypeError when a field is not of its typed-array type or a comment is not a string;
 *   RangeError when `positions.length` is not a multiple of 3, another field's length does not
 *   match the point count, or a comment is not printable ASCII on one line
 */
export function encodePly(cloud: PointCloud, options: EncodePlyOptions = {}): Uint8Array {
  const fn = 'encodePly';
  assertObject(fn, 'cloud', cloud);
  assertObject(fn, 'options', options);
  const { positions, colors, normals, confidence } = cloud;
  assertFloatField(fn, 'cloud.positions', positions);
  assertGroups(fn, 'cloud.positions', positions, 3);
  const n = positions.length / 3;
  if (normals !== undefined) {
    assertFloatField(fn, 'cloud.normals', normals);
    assertLength(fn, 'cloud.normals', normals, 3 * n, 'cloud.positions.length');
  }
  if (colors !== undefined) {
    if (!(colors instanceof Uint8Array || colors instanceof Uint8ClampedArray)) {
      throw new TypeError(`${fn}: cloud.colors (${describe(colors)}) must be a Uint8Array or Uint8ClampedArray`);
    }
    assertLength(fn, 'cloud.colors', colors, 3 * n, 'cloud.positions.length');
  }
  if (confidence !== undefined) {
    assertFloatField(fn, 'cloud.confidence', confidence);
    assertLength(fn, 'cloud.confidence', confidence, n, 'cloud.positions.length / 3');
  }
  const comments = options.comments ?? [];
  if (!Array.isArray(comments)) throw new TypeError(`${fn}: options.comments (${describe(comments)}) must be an array of strings`);
  comments.forEach((c: unknown, i) => {
    if (typeof c !== 'string') throw new TypeError(`${fn}: options.comments[${i}] (${describe(c)}) must be a string`);
    if (!/^[\x20-\x7e\t]*$/.test(c)) {
      throw new RangeError(`${fn}: options.comments[${i}] (${describe(c)}) must be printable ASCII without line breaks`);
    }
  });

  let header = 'ply\nformat binary_little_endian 1.0\n';
  for (const c of comments) header += `comment ${c}\n`;
  header += `element vertex ${n}\nproperty float x\nproperty float y\nproperty float z\n`;
  if (normals) header += 'property float nx\nproperty float ny\nproperty float nz\n';
  if (colors) header += 'property uchar red\nproperty uchar green\nproperty uchar blue\n';
  if (confidence) header += 'property float confidence\n';
  header += 'end_header\n';

  const stride = 12 + (normals ? 12 : 0) + (colors ? 3 : 0) + (confidence ? 4 : 0);
  const bytes = new Uint8Array(header.length + n * stride);
  let o = encodeAscii(header, bytes, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const k = 3 * i;
    view.setFloat32(o, positions[k]!, true);
    view.setFloat32(o + 4, positions[k + 1]!, true);
    view.setFloat32(o + 8, positions[k + 2]!, true);
    o += 12;
    if (normals) {
      view.setFloat32(o, normals[k]!, true);
      view.setFloat32(o + 4, normals[k + 1]!, true);
      view.setFloat32(o + 8, normals[k + 2]!, true);
      o += 12;
    }
    if (colors) {
      bytes[o] = colors[k]!;
      bytes[o + 1] = colors[k + 1]!;
      bytes[o + 2] = colors[k + 2]!;
      o += 3;
    }
    if (confidence) {
      view.setFloat32(o, confidence[i]!, true);
      o += 4;
    }
  }
  return bytes;
}

type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const SCALAR_TYPES: Record<string, ScalarType> = {
  char: 'int8',
  int8: 'int8',
  uchar: 'uint8',
  uint8: 'uint8',
  short: 'int16',
  int16: 'int16',
  ushort: 'uint16',
  uint16: 'uint16',
  int: 'int32',
  int32: 'int32',
  uint: 'uint32',
  uint32: 'uint32',
  float: 'float32',
  float32: 'float32',
  double: 'float64',
  float64: 'float64',
};

const SIZES: Record<ScalarType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

function readScalar(view: DataView, offset: number, type: ScalarType): number {
  switch (type) {
    case 'int8':
      return view.getInt8(offset);
    case 'uint8':
      return view.getUint8(offset);
    case 'int16':
      return view.getInt16(offset, true);
    case 'uint16':
      return view.getUint16(offset, true);
    case 'int32':
      return view.getInt32(offset, true);
    case 'uint32':
      return view.getUint32(offset, true);
    case 'float32':
      return view.getFloat32(offset, true);
    case 'float64':
      return view.getFloat64(offset, true);
  }
}

interface Property {
  name: string;
  type: ScalarType | 'list';
}

interface Element {
  name: string;
  count: number;
  properties: Property[];
}

/** Where a decoded property goes: which output array, which channel, how to convert. */
interface Target {
  /** Index of the property in the vertex record. */
  index: number;
  array: Float32Array | Uint8Array;
  channel: number;
  stride: number;
  /** For colours: scale (255 for float colours in [0, 1], else 1) then round and clamp. */
  color: boolean;
  scale: number;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

const COLOR_NAMES = [
  ['red', 'green', 'blue'],
  ['diffuse_red', 'diffuse_green', 'diffuse_blue'],
] as const;

/**
 * Decodes a PLY file's vertices: positions and, when present, colours, normals and confidence
 * (supported layouts in the module comment).
 *
 * Returns **new** arrays (copies; the result keeps no reference to `bytes`). Positions, normals
 * and confidence become `Float32Array` (float64 files lose precision); colours stored as floats
 * are taken as [0, 1] and scaled to 0..255, integer colours are clamped to 0..255.
 *
 * @param bytes - the whole file
 * @returns the vertex arrays and the header comments
 * @throws TypeError when `bytes` is not a Uint8Array; RangeError when the file is not PLY, its
 *   header is malformed, its layout is not supported (the message says which part), or its data is
 *   truncated or not numeric
 */
export function decodePly(bytes: Uint8Array): DecodedPly {
  const fn = 'decodePly';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}: bytes (${describe(bytes)}) must be a Uint8Array`);

  // Magic line, then ASCII header lines up to and including `end_header`.
  const magic = latin1(bytes, 0, Math.min(bytes.length, 5));
  if (!(magic.startsWith('ply\n') || magic.startsWith('ply\r\n'))) {
    throw new RangeError(`${fn}: bytes (${describe(bytes)}) must start with the line 'ply'; this is not a PLY file`);
  }
  const lines: string[] = [];
  let pos = 0;
  for (;;) {
    const nl = bytes.indexOf(10, pos);
    if (nl < 0) throw new RangeError(`${fn}: the header is incomplete: no 'end_header' line`);
    const line = latin1(bytes, pos, nl).replace(/\r$/, '');
    pos = nl + 1;
    lines.push(line);
    if (line.trim() === 'end_header') break;
  }

  let format: 'ascii' | 'binary_little_endian' | undefined;
  const comments: string[] = [];
  const elements: Element[] = [];
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    const words = line.trim().split(/\s+/);
    const key = words[0];
    if (key === 'comment') {
      comments.push(line.replace(/^\s*comment\s?/, ''));
    } else if (key === 'obj_info' || key === '' || key === undefined) {
      // Free-form information and blank lines carry nothing we read.
    } else if (key === 'format') {
      const [, name, version] = words;
      if (name === 'binary_big_endian') {
        throw new RangeError(`${fn}: format 'binary_big_endian' is not supported; allowed: 'binary_little_endian', 'ascii'`);
      }
      if (name !== 'ascii' && name !== 'binary_little_endian') {
        throw new RangeError(`${fn}: format (${describe(name)}) must be 'binary_little_endian' or 'ascii'`);
      }
      if (version !== '1.0') throw new RangeError(`${fn}: format version (${describe(version)}) must be '1.0'`);
      format = name;
    } else if (key === 'element') {
      const [, name, countText] = words;
      const count = Number(countText);
      if (name === undefined || countText === undefined || !/^\d+$/.test(countText) || !Number.isSafeInteger(count)) {
        throw new RangeError(`${fn}: header line ${i + 1} (${describe(line)}) must be 'element <name> <count>' with an integer count >= 0`);
      }
      elements.push({ name, count, properties: [] });
    } else if (key === 'property') {
      const element = elements[elements.length - 1];
      if (element === undefined) throw new RangeError(`${fn}: header line ${i + 1} (${describe(line)}) is a property before any element`);
      if (words[1] === 'list') {
        if (words.length !== 5) throw new RangeError(`${fn}: header line ${i + 1} (${describe(line)}) must be 'property list <count type> <item type> <name>'`);
        element.properties.push({ name: words[4]!, type: 'list' });
      } else {
        const type = SCALAR_TYPES[words[1] ?? ''];
        if (type === undefined || words.length !== 3) {
          throw new RangeError(`${fn}: header line ${i + 1} (${describe(line)}) must be 'property <type> <name>' with a PLY scalar type (char, uchar, short, ushort, int, uint, float, double)`);
        }
        element.properties.push({ name: words[2]!, type });
      }
    } else {
      throw new RangeError(`${fn}: header line ${i + 1} (${describe(line)}) has an unknown keyword; allowed: format, comment, obj_info, element, property, end_header`);
    }
  }
  if (format === undefined) throw new RangeError(`${fn}: the header has no 'format' line`);
  const vertex = elements[0];
  if (vertex === undefined || vertex.name !== 'vertex') {
    throw new RangeError(`${fn}: the first element (${describe(vertex?.name)}) must be 'vertex'; other layouts are not supported`);
  }
  const props = vertex.properties;
  for (const p of props) {
    if (p.type === 'list') throw new RangeError(`${fn}: vertex property '${p.name}' is a list; only scalar vertex properties are supported`);
  }
  const indexOf = (name: string): number => props.findIndex((p) => p.name === name);
  const group = (names: readonly string[], what: string): number[] | undefined => {
    const found = names.map(indexOf);
    if (found.every((k) => k < 0)) return undefined;
    const missing = names.filter((_, k) => found[k]! < 0);
    if (missing.length > 0) throw new RangeError(`${fn}: vertex ${what} are incomplete: ${missing.map((m) => `'${m}'`).join(', ')} missing`);
    return found;
  };
  const xyz = group(['x', 'y', 'z'], 'positions');
  if (xyz === undefined) throw new RangeError(`${fn}: vertex properties 'x', 'y', 'z' are missing`);
  const nxyz = group(['nx', 'ny', 'nz'], 'normals');
  const rgb = group(COLOR_NAMES[0], 'colours') ?? group(COLOR_NAMES[1], 'colours');
  const conf = indexOf('confidence');

  const n = vertex.count;
  const positions = new Float32Array(3 * n);
  const normals = nxyz ? new Float32Array(3 * n) : undefined;
  const colors = rgb ? new Uint8Array(3 * n) : undefined;
  const confidence = conf >= 0 ? new Float32Array(n) : undefined;
  const targets: Target[] = [];
  const add = (index: number, array: Float32Array | Uint8Array, channel: number, stride: number, color: boolean): void => {
    const type = props[index]!.type;
    targets.push({ index, array, channel, stride, color, scale: color && (type === 'float32' || type === 'float64') ? 255 : 1 });
  };
  xyz.forEach((k, c) => add(k, positions, c, 3, false));
  if (nxyz && normals) nxyz.forEach((k, c) => add(k, normals, c, 3, false));
  if (rgb && colors) rgb.forEach((k, c) => add(k, colors, c, 3, true));
  if (confidence) add(conf, confidence, 0, 1, false);

  const store = (t: Target, i: number, value: number): void => {
    if (t.color) {
      const v = Math.round(value * t.scale);
      t.array[i * t.stride + t.channel] = v > 255 ? 255 : v > 0 ? v : 0;
    } else {
      t.array[i * t.stride + t.channel] = value;
    }
  };

  if (format === 'binary_little_endian') {
    const offsets: number[] = [];
    let stride = 0;
    for (const p of props) {
      offsets.push(stride);
      stride += SIZES[p.type as ScalarType];
    }
    const need = n * stride;
    if (bytes.length - pos < need) {
      throw new RangeError(`${fn}: the vertex data is truncated: ${n} vertices of ${stride} bytes need ${need} bytes after the header, found ${bytes.length - pos}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const reads = targets.map((t) => ({ t, offset: offsets[t.index]!, type: props[t.index]!.type as ScalarType }));
    for (let i = 0, base = pos; i < n; i++, base += stride) {
      for (const r of reads) store(r.t, i, readScalar(view, base + r.offset, r.type));
    }
  } else {
    // ASCII: whitespace-separated numbers, one vertex per line; read them as a token stream.
    const perVertex = props.length;
    const byIndex: Target[][] = props.map((_, k) => targets.filter((t) => t.index === k));
    let p = pos;
    const end = bytes.length;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < perVertex; k++) {
        while (p < end && (bytes[p] === 32 || bytes[p] === 9 || bytes[p] === 10 || bytes[p] === 13)) p++;
        const start = p;
        while (p < end && bytes[p] !== 32 && bytes[p] !== 9 && bytes[p] !== 10 && bytes[p] !== 13) p++;
        if (start === p) {
          throw new RangeError(`${fn}: the vertex data is truncated: ${n} vertices of ${perVertex} values expected, the data ends at vertex ${i}`);
        }
        const wanted = byIndex[k]!;
        if (wanted.length === 0) continue;
        const token = latin1(bytes, start, p);
        const value = Number(token);
        if (Number.isNaN(value) && token.toLowerCase() !== 'nan') {
          throw new RangeError(`${fn}: vertex ${i} property '${props[k]!.name}' (${describe(token)}) must be a number`);
        }
        for (const t of wanted) store(t, i, value);
      }
    }
  }

  const result: DecodedPly = { positions, comments };
  if (colors) result.colors = colors;
  if (normals) result.normals = normals;
  if (confidence) result.confidence = confidence;
  return result;
}
