/**
 * Checking a model file's bytes against the SHA-256 and size its manifest's `hashes` give. The
 * digest is WebCrypto's (`crypto.subtle`, in Node and in secure browser contexts), or a portable
 * implementation where that is missing (a page served over plain HTTP from another host than
 * `localhost`).
 *
 * @module
 */
import { ModelIntegrityError } from './errors.js';
import type { ModelFileDigest } from './manifest.js';

interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * SHA-256 of `bytes` as 64 lower-case hex digits.
 * @param bytes - the data (not modified)
 * @returns the digest
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto?.subtle;
  if (subtle === undefined) return sha256HexPortable(bytes);
  return hex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * SHA-256 (FIPS 180-4) in plain JavaScript, for runtimes without `crypto.subtle`.
 * @internal Exported for tests; use {@link sha256Hex}.
 */
export function sha256HexPortable(bytes: Uint8Array): string {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  // The message, a 0x80 byte, zeros, and the bit length as 64 bits big-endian, in 64-byte blocks.
  const blocks = Math.ceil((bytes.length + 9) / 64);
  const tail = new Uint8Array((blocks - Math.floor(bytes.length / 64)) * 64);
  const rest = bytes.length % 64;
  tail.set(bytes.subarray(bytes.length - rest));
  tail[rest] = 0x80;
  const tailView = new DataView(tail.buffer);
  tailView.setUint32(tail.length - 8, Math.floor(bytes.length / 0x20000000));
  tailView.setUint32(tail.length - 4, (bytes.length * 8) >>> 0);
  const full = bytes.length - rest;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let block = 0; block < blocks; block++) {
    const at = block * 64;
    for (let i = 0; i < 16; i++) w[i] = at < full ? view.getUint32(at + 4 * i) : tailView.getUint32(at - full + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) >>> 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i]!);
  return hex(out);
}

/** Options of {@link verifyModelFile}. */
export interface VerifyModelFileOptions {
  /** How messages start, e.g. `'loadModel'`. */
  fn: string;
  /** What the file is, e.g. `'encoder graph'`. */
  what: string;
  /** The file's URL or path, for the message and {@link ModelIntegrityError.file}. */
  file: string;
  /** The manifest's SHA-256 and size of it. */
  expected: ModelFileDigest;
}

/**
 * Checks `bytes` against the SHA-256 and size the manifest gives.
 * @param bytes - the file's bytes (not modified)
 * @param options - `fn`, `what`, `file`, `expected`
 * @throws {@link ModelIntegrityError} naming the file, the expected and the actual SHA-256 and sizes
 */
export async function verifyModelFile(bytes: Uint8Array, options: VerifyModelFileOptions): Promise<void> {
  const { expected } = options;
  const sha256 = await sha256Hex(bytes);
  if (bytes.length === expected.bytes && sha256 === expected.sha256) return;
  throw new ModelIntegrityError(
    `${options.fn}: ${options.what} '${options.file}' is ${bytes.length} bytes with SHA-256 ${sha256}; its manifest expects ${expected.bytes} bytes with SHA-256 ${expected.sha256} (a corrupted download, or the file was replaced without its manifest)`,
    { file: options.file, expected, actual: { sha256, bytes: bytes.length } },
  );
}
