/**
 * A minimal `.npy` / `.npz` writer (version 1 headers, a stored zip), to build TAPVid-3D files with
 * chosen shapes, dtypes and contents, and header text the fuzzer can break.
 *
 * @module
 */
import { inflateRawSync } from 'node:zlib';
import { crc32 } from './mutate.js';

/** One array: its dtype text, shape and raw little-endian bytes (or a header of its own). */
export interface NpyEntry {
  descr: string;
  shape: number[];
  data: Uint8Array;
  /** Replaces the header dict text (for broken headers). */
  header?: string;
}

/** A `.npy` file's bytes. */
export function npyBytes(entry: NpyEntry): Uint8Array {
  const shape = entry.shape.length === 1 ? `(${entry.shape[0]},)` : `(${entry.shape.join(', ')})`;
  let header = entry.header ?? `{'descr': '${entry.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // pad so that the data starts at a multiple of 64, ending in a newline
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), entry.data]);
}

/** A zip archive of `files`, every entry stored (no compression), as `np.savez` writes it. */
export function zipStored(files: Record<string, Uint8Array>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, Buffer.from(data));
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Little-endian bytes of float32 values. */
export function f32(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Little-endian bytes of float64 values. */
export function f64(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

/**
 * The entries of a zip written by NumPy (or {@link zipStored}), read front to back by their local
 * headers (sizes in the header; stored or deflated). For well-formed seeds only.
 */
export function unzipEntries(zip: Uint8Array): Record<string, Uint8Array> {
  const b = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: Record<string, Uint8Array> = {};
  for (let p = 0; p + 30 <= b.length && b.readUInt32LE(p) === 0x04034b50; ) {
    const method = b.readUInt16LE(p + 8), size = b.readUInt32LE(p + 18);
    const nameLength = b.readUInt16LE(p + 26), extraLength = b.readUInt16LE(p + 28);
    const name = b.toString('utf8', p + 30, p + 30 + nameLength);
    const start = p + 30 + nameLength + extraLength;
    const raw = b.subarray(start, start + size);
    out[name] = method === 8 ? inflateRawSync(raw) : Uint8Array.from(raw);
    p = start + size;
  }
  return out;
}
