/**
 * Reading NumPy `.npy` arrays and `.npz` archives (a zip of `.npy` files, stored or deflated, as
 * `np.savez` / `np.savez_compressed` write them), for the TAPVid-3D reader.
 *
 * Supported: format versions 1, 2 and 3; C order; little-endian (or byte-less) dtypes `f4`, `f8`,
 * `b1`, `u1`, `i1`, `u2`, `i2`, `u4`, `i4`, `i8`, `u8` (64-bit integers read as float64, exact up
 * to 2^53); fixed-width bytes `S<n>` (each element its bytes, trailing NULs removed, as NumPy
 * reads them); and object arrays (`O`) whose elements are `bytes`, which NumPy stores pickled: a
 * small pickle reader that only builds values (tuples, lists, dicts, strings, numbers, bytes and
 * opaque globals) reads them; it never imports or calls anything.
 *
 * @module
 * @internal
 */
import { inflateRawSync } from 'node:zlib';
import { InvalidVideoError } from '@d4rt/core';

/** One array read from a `.npy` file. */
export interface NpyArray {
  /** The dtype as NumPy writes it in the header (`'<f4'`, `'|b1'`, `'|O'`, `'|S1024'`, ...). */
  descr: string;
  /** The shape (empty for a scalar). */
  shape: number[];
  /**
   * The elements in C order, a fresh copy: `Float32Array` (f4), `Float64Array` (f8, i8, u8),
   * `Uint8Array` (b1 as 0/1, u1), `Int8Array`, `Int16Array`, `Uint16Array`, `Int32Array`,
   * `Uint32Array`, or for `S<n>` and `O` arrays one `Uint8Array` per element.
   */
  data: Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Uint8Array[];
}

const bad = (fn: string, what: string): InvalidVideoError => new InvalidVideoError('bad-frames', `${fn}: ${what}`);

/**
 * The file names and contents of a zip archive (no encryption; stored or deflated entries;
 * zip64 sizes and offsets read from the central directory).
 * @param fn - the calling function, for messages
 * @param name - the file's name, for messages
 * @returns a map from each entry's name to its bytes (views of `zip` for stored entries, new
 *   buffers for deflated ones)
 * @throws {@link InvalidVideoError} `'bad-frames'` naming the file when it is not a zip it can read
 */
export function readZip(fn: string, name: string, zip: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(fn, `${name} is not a zip archive (an .npz is one; no end-of-central-directory record)`);
  let count = view.getUint16(eocd + 10, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const z64 = Number(view.getBigUint64(eocd - 12, true));
    if (z64 + 56 > zip.length || view.getUint32(z64, true) !== 0x06064b50) throw bad(fn, `${name}: broken zip64 end-of-central-directory record`);
    count = Number(view.getBigUint64(z64 + 32, true));
    dirOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  let p = dirOffset;
  for (let e = 0; e < count; e++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== 0x02014b50) throw bad(fn, `${name}: zip central directory entry ${e} is broken`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressed = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const extraEnd = p + 46 + nameLength + extraLength;
    if (extraEnd + commentLength > zip.length) throw bad(fn, `${name}: zip central directory entry ${e} is broken (its name and fields run past the end of the file)`);
    const entry = Buffer.from(zip.buffer, zip.byteOffset + p + 46, nameLength).toString('utf8');
    // zip64 extended information: the 64-bit values of the fields that hold 0xffffffff, in order
    for (let x = p + 46 + nameLength; x + 4 <= extraEnd; ) {
      const id = view.getUint16(x, true), len = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const next = (): number => {
          if (q + 8 > Math.min(x + 4 + len, extraEnd)) throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} has a broken zip64 extra field`);
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + len;
    }
    if (flags & 1) throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} is encrypted`);
    if (local + 30 > zip.length || view.getUint32(local, true) !== 0x04034b50) throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} has no local header`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + compressed > zip.length) throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} is truncated (${compressed} bytes at ${start} of ${zip.length})`);
    const raw = zip.subarray(start, start + compressed);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw;
    else if (method === 8) {
      try {
        bytes = inflateRawSync(raw);
      } catch (error) {
        throw new InvalidVideoError('bad-frames', `${fn}: ${name}: zip entry ${JSON.stringify(entry)} does not inflate (${(error as Error).message})`, { cause: error });
      }
    } else throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    if (bytes.length !== size) throw bad(fn, `${name}: zip entry ${JSON.stringify(entry)} holds ${bytes.length} bytes, its header says ${size}`);
    out.set(entry, bytes);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/**
 * Reads the arrays of an `.npz` archive's bytes (entries `<key>.npy`).
 * @param fn - the calling function, for messages
 * @param name - the file's name, for messages
 * @param keys - read only these arrays (default: all); a missing key is simply absent from the result
 * @returns a map from each key (the entry name without `.npy`) to its {@link NpyArray}
 * @throws {@link InvalidVideoError} `'bad-frames'` naming the file and the array
 */
export function parseNpz(fn: string, name: string, bytes: Uint8Array, keys?: readonly string[]): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [entry, data] of readZip(fn, name, bytes)) {
    const key = entry.endsWith('.npy') ? entry.slice(0, -4) : entry;
    if (keys && !keys.includes(key)) continue;
    out.set(key, parseNpy(fn, `${name}:${key}`, data));
  }
  return out;
}

const TYPED: Record<string, { size: number; make: (b: ArrayBuffer) => NpyArray['data'] }> = {
  f4: { size: 4, make: (b) => new Float32Array(b) },
  f8: { size: 8, make: (b) => new Float64Array(b) },
  u1: { size: 1, make: (b) => new Uint8Array(b) },
  i1: { size: 1, make: (b) => new Int8Array(b) },
  u2: { size: 2, make: (b) => new Uint16Array(b) },
  i2: { size: 2, make: (b) => new Int16Array(b) },
  u4: { size: 4, make: (b) => new Uint32Array(b) },
  i4: { size: 4, make: (b) => new Int32Array(b) },
  i8: { size: 8, make: (b) => Float64Array.from(new BigInt64Array(b), Number) },
  u8: { size: 8, make: (b) => Float64Array.from(new BigUint64Array(b), Number) },
};

/**
 * Parses one `.npy` file's bytes.
 * @param fn - the calling function, for messages
 * @param name - the array's name, for messages
 * @returns a new {@link NpyArray} (its data a copy)
 * @throws {@link InvalidVideoError} `'bad-frames'` for a bad header, Fortran order, big-endian or
 *   unsupported dtypes, a size that does not match the shape, or an object array whose elements are
 *   not all `bytes`
 */
export function parseNpy(fn: string, name: string, input: Uint8Array): NpyArray {
  // a plain Uint8Array view, so slice() copies (Buffer's slice() is a view of its pool)
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(6, bytes.length)).toString('latin1');
  if (magic !== '\x93NUMPY' || bytes.length < 10) throw bad(fn, `${name} is not a .npy array (no \\x93NUMPY magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major !== 1 && major !== 2 && major !== 3) throw bad(fn, `${name}: .npy format version ${major} is not supported (1, 2 or 3)`);
  if (major !== 1 && bytes.length < 12) throw bad(fn, `${name}: .npy header is truncated`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = (major === 1 ? 10 : 12) + headerLength;
  if (dataStart > bytes.length) throw bad(fn, `${name}: .npy header is truncated`);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + dataStart - headerLength, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(fn, `${name}: .npy header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((n) => Number.isInteger(n) && n >= 0)) throw bad(fn, `${name}: .npy shape (${shapeText}) is not a tuple of sizes`);
  if (fortran === 'True' && shape.filter((n) => n > 1).length > 1) throw bad(fn, `${name}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(dataStart);
  const order = descr[0]!, kind = descr.slice(1);
  if (kind === 'O') return { descr, shape, data: unpickleBytesArray(fn, name, body, count) };
  if (/^S\d+$/.test(kind)) {
    const width = Number(kind.slice(1));
    if (width === 0) throw bad(fn, `${name}: dtype ${JSON.stringify(descr)} (bytes of length 0) is not supported`);
    if (body.length < count * width) throw bad(fn, `${name}: holds ${body.length} bytes of data, shape (${shape.join(', ')}) of ${descr} needs ${count * width}`);
    const data = Array.from({ length: count }, (_, i) => {
      let end = (i + 1) * width;
      while (end > i * width && body[end - 1] === 0) end--;
      return body.slice(i * width, end);
    });
    return { descr, shape, data };
  }
  if (kind === 'b1') {
    if (body.length < count) throw bad(fn, `${name}: holds ${body.length} bytes of data, shape (${shape.join(', ')}) of ${descr} needs ${count}`);
    return { descr, shape, data: Uint8Array.from(body.subarray(0, count), (b) => (b ? 1 : 0)) };
  }
  const typed = TYPED[kind];
  if (!typed || order === '>' || (typed.size > 1 && order === '|')) {
    throw bad(fn, `${name}: dtype ${JSON.stringify(descr)} is not supported (little-endian f4, f8, b1, u1, i1, u2, i2, u4, i4, i8, u8; S<n>; O of bytes)`);
  }
  if (body.length < count * typed.size) throw bad(fn, `${name}: holds ${body.length} bytes of data, shape (${shape.join(', ')}) of ${descr} needs ${count * typed.size}`);
  const copy = body.slice(0, count * typed.size);
  if (typed.size > 1 && new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    // big-endian host: swap each element
    for (let i = 0; i < copy.length; i += typed.size) copy.subarray(i, i + typed.size).reverse();
  }
  return { descr, shape, data: typed.make(copy.buffer) };
}

/** A global a pickle names (`module.name`); never resolved. */
interface PickleGlobal {
  global: string;
}
/** The result of calling a global (REDUCE / NEWOBJ) and its BUILD state; never run. */
interface PickleCall {
  call: unknown;
  args: unknown;
  state?: unknown;
}
const MARK = Symbol('mark');

/**
 * The elements of a pickled NumPy object array whose elements are `bytes` (how `np.save` stores a
 * `dtype=object` array): runs a pickle stream with a value-only machine, then reads the array's
 * `__setstate__` tuple `(version, shape, dtype, fortran, items)`.
 */
function unpickleBytesArray(fn: string, name: string, body: Uint8Array, count: number): Uint8Array[] {
  const value = unpickle(fn, name, body) as PickleCall;
  const state = value?.state;
  const items = Array.isArray(state) ? state[state.length - 1] : undefined;
  if (!Array.isArray(items) || items.length !== count) {
    throw bad(fn, `${name}: the object array's pickle does not hold ${count} elements (is it a NumPy array of bytes?)`);
  }
  return items.map((item, i) => {
    if (!(item instanceof Uint8Array)) throw bad(fn, `${name}: element ${i} of the object array is not bytes`);
    return item;
  });
}

/** A value-only pickle machine (protocols 2 to 5, the opcodes NumPy's arrays use). */
function unpickle(fn: string, name: string, b: Uint8Array): unknown {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const need = (n: number): number => {
    if (p + n > b.length) throw bad(fn, `${name}: the pickle is truncated`);
    const at = p;
    p += n;
    return at;
  };
  const text = (n: number, enc: 'utf8' | 'latin1' = 'utf8'): string => Buffer.from(b.buffer, b.byteOffset + need(n), n).toString(enc);
  const line = (): string => {
    const end = b.indexOf(10, p);
    if (end < 0) throw bad(fn, `${name}: the pickle is truncated`);
    const s = Buffer.from(b.buffer, b.byteOffset + p, end - p).toString('latin1');
    p = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw bad(fn, `${name}: the pickle pops a mark it never set`);
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw bad(fn, `${name}: the pickle pops an empty stack`);
    return stack.pop();
  };
  const top = (): unknown => stack[stack.length - 1];
  // the list or dict an APPEND / SETITEM adds to: anything else on the stack is a broken pickle
  const list = (op: string): unknown[] => {
    const t = top();
    if (!Array.isArray(t)) throw bad(fn, `${name}: the pickle's ${op} at byte ${p - 1} adds to something that is not a list`);
    return t;
  };
  const dict = (op: string): Map<unknown, unknown> => {
    const t = top();
    if (!(t instanceof Map)) throw bad(fn, `${name}: the pickle's ${op} at byte ${p - 1} adds to something that is not a dict`);
    return t;
  };
  for (;;) {
    const op = b[need(1)]!;
    switch (op) {
      case 0x80: need(1); break; // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const y = pop(), x = pop(); stack.push([x, y]); break; } // TUPLE2
      case 0x87: { const z = pop(), y = pop(), x = pop(); stack.push([x, y, z]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); list('APPEND').push(v); break; } // APPEND
      case 0x65: { const vs = popMark(); const l = list('APPENDS'); for (const v of vs) l.push(v); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x73: { const v = pop(), k = pop(); dict('SETITEM').set(k, v); break; } // SETITEM
      case 0x75: { const kv = popMark(); const d = dict('SETITEMS'); for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]); break; } // SETITEMS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(b[need(1)]); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: { // LONG1
        const n = b[need(1)]!;
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
        if (n > 0 && b[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT
      case 0x58: stack.push(text(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(text(b[need(1)]!)); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(Number(view.getBigUint64(need(8), true)))); break; // BINUNICODE8
      case 0x55: stack.push(text(b[need(1)]!, 'latin1')); break; // SHORT_BINSTRING
      case 0x54: stack.push(text(view.getUint32(need(4), true), 'latin1')); break; // BINSTRING
      case 0x43: { const n = b[need(1)]!; stack.push(b.slice(need(n), p)); break; } // SHORT_BINBYTES
      case 0x42: { const n = view.getUint32(need(4), true); stack.push(b.slice(need(n), p)); break; } // BINBYTES
      case 0x8e: { const n = Number(view.getBigUint64(need(8), true)); stack.push(b.slice(need(n), p)); break; } // BINBYTES8
      case 0x63: { const m = line(); stack.push({ global: `${m}.${line()}` } satisfies PickleGlobal); break; } // GLOBAL
      case 0x93: { const n = pop(), m = pop(); stack.push({ global: `${String(m)}.${String(n)}` } satisfies PickleGlobal); break; } // STACK_GLOBAL
      case 0x52: case 0x81: { const args = pop(), call = pop(); stack.push({ call, args } satisfies PickleCall); break; } // REDUCE, NEWOBJ
      case 0x62: { const state = pop(); const obj = top(); if (typeof obj === 'object' && obj !== null) (obj as PickleCall).state = state; break; } // BUILD
      case 0x71: memo.set(b[need(1)]!, top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memo.get(b[need(1)]!)); break; // BINGET
      case 0x6a: stack.push(memo.get(view.getUint32(need(4), true))); break; // LONG_BINGET
      default:
        throw bad(fn, `${name}: pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not supported (only NumPy object arrays of bytes are read)`);
    }
  }
}
