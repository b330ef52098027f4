/**
 * Mutations: of bytes (truncation, flipped bytes, overwritten and repeated spans, header fields of
 * PNG, JPEG, BMP, Netpbm and MP4 set to huge or zero sizes) and of JSON values (missing, extra and
 * retyped keys, edge-case numbers, shapes of the wrong length). Each returns a description of what
 * it did, for the failure report.
 *
 * @module
 */
import type { Rng } from './rng.js';

/** Edge-case numbers. */
export const EDGE_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 0.5, 1 + 1e-7, 1 - 1e-7, -1e-7, 2, 3, 15, 16, 17, 255, 256, 65535, 65536,
  2 ** 31 - 1, 2 ** 31, 2 ** 32, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, 1e15, 1e21, 1e300, -1e300,
  Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 0.1, 1.5, -3.7,
];

/** A value of a random JSON-ish type (and some that JSON cannot hold: NaN, Infinity, undefined). */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 5 : 8)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick(EDGE_NUMBERS);
    case 3: return rng.pick(['', 'x', '16', '1e3', 'NaN', 'd4rt-model/1', '../encoder.onnx', 'chw', '\u0000', 'é'.repeat(rng.int(1, 200))]);
    case 4: return undefined;
    case 5: return rng.int(-5, 5);
    case 6: return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, (_, i) => [`k${i}`, randomValue(rng, depth + 1)]));
    default: return rng.chance(0.5) ? [] : {};
  }
}

type Json = Record<string, unknown> | unknown[];

/** Every container in `value` with the path to it. */
function containers(value: unknown, at = '$', out: { path: string; node: Json }[] = []): { path: string; node: Json }[] {
  if (typeof value === 'object' && value !== null) {
    out.push({ path: at, node: value as Json });
    for (const [k, v] of Object.entries(value)) containers(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`, out);
  }
  return out;
}

/**
 * Applies one random mutation to `root` in place (a deep copy is the caller's business); returns
 * what it did. `root` must be an object or array.
 */
export function mutateJson(rng: Rng, root: Json): string {
  const all = containers(root);
  const { path, node } = rng.pick(all);
  const keys = Object.keys(node);
  const key = keys.length > 0 ? rng.pick(keys) : undefined;
  const set = (k: string, v: unknown): void => {
    (node as Record<string, unknown>)[k] = v;
  };
  const kind = rng.weighted({ delete: 3, retype: 4, number: 4, extra: 2, resize: 2, swap: 1, proto: 0.3 });
  if (key === undefined || kind === 'extra') {
    const k = rng.pick(['extra', 'constructor', '__proto__', 'toString', 'length', '0', '']);
    const v = randomValue(rng);
    if (Array.isArray(node)) node.push(v);
    else Object.defineProperty(node, k, { value: v, enumerable: true, writable: true, configurable: true });
    return `${path}: added ${Array.isArray(node) ? 'an element' : JSON.stringify(k)} = ${show(v)}`;
  }
  const old = (node as Record<string, unknown>)[key];
  switch (kind) {
    case 'delete':
      if (Array.isArray(node)) node.splice(Number(key), 1);
      else delete (node as Record<string, unknown>)[key];
      return `${path}.${key}: removed`;
    case 'number': {
      const v = typeof old === 'number' && rng.chance(0.5) ? rng.pick([old + 1, old - 1, old * 2, old * 1e9, -old, old + 0.5, old + 1e-7]) : rng.pick(EDGE_NUMBERS);
      set(key, v);
      return `${path}.${key}: ${show(old)} -> ${show(v)}`;
    }
    case 'resize':
      if (Array.isArray(old)) {
        const v = rng.chance(0.5) ? old.slice(0, rng.int(0, Math.max(0, old.length - 1))) : [...old, ...Array.from({ length: rng.int(1, 3) }, () => rng.pick(old.length ? old : [0]))];
        set(key, v);
        return `${path}.${key}: array of ${old.length} -> ${v.length}`;
      }
      set(key, Array.from({ length: rng.int(0, 4) }, () => old));
      return `${path}.${key}: wrapped in an array`;
    case 'swap':
      if (keys.length >= 2) {
        const other = rng.pick(keys);
        const v = (node as Record<string, unknown>)[other];
        set(other, old);
        set(key, v);
        return `${path}: swapped ${key} and ${other}`;
      }
      set(key, randomValue(rng));
      return `${path}.${key}: replaced`;
    case 'proto':
      set(key, JSON.parse('{"__proto__": {"polluted": 1}, "length": 3}'));
      return `${path}.${key}: an object with an own __proto__ key`;
    default: {
      const v = randomValue(rng);
      set(key, v);
      return `${path}.${key}: ${show(old)} -> ${show(v)}`;
    }
  }
}

/** A short text of a value for descriptions. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 30 ? `${v.slice(0, 27)}...` : v);
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'object' && v !== null) return '{...}';
  return String(v);
}

/** Mutations of a text (for JSON and line-based files): truncation, a flipped character, junk. */
export function mutateText(rng: Rng, text: string): { text: string; what: string } {
  const at = rng.int(0, text.length);
  switch (rng.int(0, 5)) {
    case 0: return { text: text.slice(0, at), what: `text truncated at ${at} of ${text.length}` };
    case 1: {
      const c = rng.pick(['{', '}', '"', ',', 'x', '\n', ' ', '-', 'e', '9', '\u0000', 'NaN']);
      return { text: text.slice(0, at) + c + text.slice(at + 1), what: `character ${at} -> ${JSON.stringify(c)}` };
    }
    case 2: return { text: text.slice(0, at) + text.slice(at, at + rng.int(1, 40)).repeat(rng.int(2, 5)) + text.slice(at), what: `span at ${at} repeated` };
    case 3: return { text: '', what: 'empty text' };
    case 4: return { text: text.replace(/\d+(\.\d+)?/g, (m) => (rng.chance(0.15) ? rng.pick(['NaN', '1e999', '-1', 'x', '0x10', '1,5', '']) : m)), what: 'some numbers made unparsable' };
    default: return { text: text.replace(/\n/g, rng.pick(['\r\n', '\r', '\n\n', ' '])), what: 'line endings changed' };
  }
}

/** CRC-32 (PNG's and zip's), for rewriting PNG chunks. */
export function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Huge, zero and odd sizes for header fields. */
const HUGE_SIZES = [0, 1, 65535, 65536, 100000, 1 << 20, 2 ** 31 - 1, 2 ** 32 - 1];

/** Index of `ascii` in `bytes` at or after `from`, or -1. */
function indexOf(bytes: Uint8Array, ascii: string, from = 0): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(ascii, from, 'latin1');
}

/**
 * Rewrites the image or video size in a file's header to a huge (or zero) size where the format is
 * recognised: PNG IHDR (with its CRC fixed, so decoders trust it), JPEG SOF, BMP, Netpbm, MP4 `tkhd`
 * and `avc1`. Returns null when no size field was found.
 */
function hugeDimensions(rng: Rng, input: Uint8Array): { bytes: Uint8Array; what: string } | null {
  const b = Buffer.from(input);
  const w = rng.pick(HUGE_SIZES), h = rng.pick(HUGE_SIZES);
  if (b.length >= 33 && b.toString('latin1', 12, 16) === 'IHDR') {
    b.writeUInt32BE(w >>> 0, 16);
    b.writeUInt32BE(h >>> 0, 20);
    b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
    return { bytes: b, what: `PNG IHDR ${w}x${h} (CRC fixed)` };
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let i = 2; i + 9 < b.length; i++) {
      if (b[i] === 0xff && b[i + 1]! >= 0xc0 && b[i + 1]! <= 0xc2) {
        b.writeUInt16BE(h & 0xffff, i + 5);
        b.writeUInt16BE(w & 0xffff, i + 7);
        return { bytes: b, what: `JPEG SOF ${w & 0xffff}x${h & 0xffff}` };
      }
    }
    return null;
  }
  if (b.toString('latin1', 0, 2) === 'BM' && b.length >= 26) {
    b.writeInt32LE(w | 0, 18);
    b.writeInt32LE(rng.chance(0.3) ? -(h | 0) : h | 0, 22);
    return { bytes: b, what: `BMP ${w | 0}x${b.readInt32LE(22)}` };
  }
  const pnm = /^(P[1-6])\s+(?:#[^\n]*\n\s*)?(\d+)\s+(\d+)/.exec(b.toString('latin1', 0, 64));
  if (pnm) {
    const head = `${pnm[1]}\n${w} ${h}`;
    return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), b.subarray(pnm[0].length)]), what: `Netpbm ${w}x${h}` };
  }
  if (b.toString('latin1', 0, 3) === 'P7\n') {
    const t = b.toString('latin1').replace(/WIDTH \d+/, `WIDTH ${w}`).replace(/HEIGHT \d+/, `HEIGHT ${h}`);
    return { bytes: Buffer.from(t, 'latin1'), what: `PAM ${w}x${h}` };
  }
  const avc1 = indexOf(b, 'avc1');
  const tkhd = indexOf(b, 'tkhd');
  if (avc1 > 0 || tkhd > 0) {
    const what: string[] = [];
    if (avc1 > 0 && avc1 + 32 <= b.length) {
      b.writeUInt16BE(w & 0xffff, avc1 + 4 + 24);
      b.writeUInt16BE(h & 0xffff, avc1 + 4 + 26);
      what.push(`avc1 ${w & 0xffff}x${h & 0xffff}`);
    }
    if (tkhd > 0) {
      const size = b.readUInt32BE(tkhd - 4);
      const end = tkhd - 4 + size;
      if (size >= 92 && end <= b.length) {
        b.writeUInt32BE((w & 0xffff) * 65536, end - 8);
        b.writeUInt32BE((h & 0xffff) * 65536, end - 4);
        what.push(`tkhd ${w & 0xffff}x${h & 0xffff}`);
      }
    }
    return what.length ? { bytes: b, what: what.join(', ') } : null;
  }
  return null;
}

/**
 * One random byte-level mutation: truncation at a random offset (sometimes to zero length), flipped
 * bytes (anywhere or in the header), an overwritten span, a repeated span, junk appended, or huge
 * sizes in the header ({@link hugeDimensions}).
 */
export function mutateBytes(rng: Rng, input: Uint8Array): { bytes: Uint8Array; what: string } {
  const n = input.length;
  const kind = rng.weighted({ truncate: 3, zero: 0.5, flip: 3, header: 3, span: 1, repeat: 1, append: 0.5, huge: 2 });
  const b = Buffer.from(input);
  switch (kind) {
    case 'truncate': {
      const at = rng.chance(0.5) ? rng.int(0, Math.min(n, 256)) : rng.int(0, n);
      return { bytes: b.subarray(0, at), what: `truncated at ${at} of ${n} bytes` };
    }
    case 'zero':
      return { bytes: new Uint8Array(0), what: 'zero-length' };
    case 'flip':
    case 'header': {
      const k = rng.int(1, 16);
      const limit = kind === 'header' ? Math.min(n, 128) : n;
      const at: number[] = [];
      for (let i = 0; i < k && limit > 0; i++) {
        const p = rng.int(0, limit - 1);
        b[p] = rng.chance(0.5) ? b[p]! ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
        at.push(p);
      }
      return { bytes: b, what: `${at.length} bytes changed ${kind === 'header' ? 'in the first 128' : ''} at ${at.slice(0, 8).join(',')}` };
    }
    case 'span': {
      const at = rng.int(0, Math.max(0, n - 1));
      const len = rng.int(1, 512);
      b.set(rng.bytes(Math.min(len, n - at)), at);
      return { bytes: b, what: `${Math.min(len, n - at)} random bytes at ${at}` };
    }
    case 'repeat': {
      const at = rng.int(0, n), len = rng.int(1, 256);
      const span = b.subarray(at, at + len);
      return { bytes: Buffer.concat([b.subarray(0, at), span, span, b.subarray(at)]), what: `span ${at}+${span.length} repeated` };
    }
    case 'append':
      return { bytes: Buffer.concat([b, Buffer.from(rng.bytes(rng.int(1, 4096)))]), what: 'junk appended' };
    default:
      return hugeDimensions(rng, b) ?? { bytes: b.subarray(0, rng.int(0, n)), what: 'truncated (no size field found)' };
  }
}
