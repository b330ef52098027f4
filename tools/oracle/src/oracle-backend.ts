/**
 * An oracle `Backend` (test-only): it implements core's `Backend` / `BackendSession` contract, so
 * `D4rtModel`, `Scene` and `processVideo` run on it exactly as on onnxruntime, but its "graphs"
 * answer from a synthetic clip's ground truth instead of a network.
 *
 * - The **encoder** recognises which frames of the clip it was given: it compares each input frame
 *   (the normalised `[3, H, W]` tensor core's preprocessing made) with the clip's frames
 *   preprocessed the same way (hash of the float32 bits). Ambiguities (bit-identical frames) are
 *   resolved by taking the tightest increasing run. Its `memory` carries the source frame of each
 *   model frame and the window's scale.
 * - The **decoder** answers each query `(u, v, tSrc, tTgt, tCam)` by exact ray casting
 *   ({@link RayCaster}) and writes the outputs the way the real decoder's heads are read: `xyz` as
 *   log-depth of the point divided by the window's scale (the mean depth of its frames, as
 *   training normalises clips), `uv` as logits over the bins whose truncated soft-argmax is the
 *   exact position (clamped to [0, 1]), visibility and confidence as saturated logits.
 * - **Noise** (`options.noise`): Gaussian noise on xyz (`xyz`: sigma relative to the depth, per
 *   coordinate) and on uv (`uv`: sigma in pixels of the clip), a deterministic function of the
 *   query and the window (a re-asked query gets the same answer, as from a network).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { D4rtModel, parseManifest, resizeNormalize, type Backend, type BackendSession, type ModelManifest, type Tensor } from '@d4rt/core';
import { embeddedModelPath } from '@d4rt/runtime-node';
import type { OracleClip } from './oracle-clip.js';
import { emptyAnswer } from './ray-cast.js';

/** Controlled noise on the oracle's answers. */
export interface OracleNoise {
  /** Sigma of the noise on each xyz coordinate, relative to the point's depth (e.g. 0.01 = 1 %). */
  xyz?: number;
  /** Sigma of the noise on u and v, in pixels of the clip. */
  uv?: number;
  /** Seed of the noise; default 1. */
  seed?: number;
}

/** Options of {@link createOracleBackend} and {@link createOracleModel}. */
export interface OracleOptions {
  /** Noise on the answers; default none (exact). */
  noise?: OracleNoise;
  /** Manifest to follow (clip size T, H x W, uv bins); default the embedded d4rt-tiny's. */
  manifest?: ModelManifest;
}

const MAGIC = 4242;

/** Two 32-bit FNV-1a style hashes of a float32 range, as one string key. */
function frameKey(a: Float32Array, start: number, length: number): string {
  const w = new Uint32Array(a.buffer, a.byteOffset + start * 4, length);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < w.length; i++) {
    h1 = Math.imul(h1 ^ w[i]!, 0x01000193) >>> 0;
    h2 = (Math.imul(h2 + w[i]!, 0x9e3779b1) ^ (h2 >>> 15)) >>> 0;
  }
  return `${h1.toString(16)}:${h2.toString(16)}:${length}`;
}

/** splitmix32 step. */
function mix(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bits = (x: number): number => {
  f32[0] = x;
  return u32[0]!;
};

/** `n` standard normals, a deterministic function of `key` (Box-Muller). */
function normals(key: number, out: Float64Array, n: number): void {
  let s = key;
  for (let i = 0; i < n; i += 2) {
    s = mix(s);
    const a = (s + 1) / 4294967297;
    s = mix(s);
    const b = s / 4294967296;
    const r = Math.sqrt(-2 * Math.log(a));
    out[i] = r * Math.cos(2 * Math.PI * b);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * b);
  }
}

/**
 * The oracle backend for one clip (see the module notes).
 * @param clip - the clip whose frames the model will be given
 * @param options - noise and manifest
 * @returns a backend named `'oracle'` (or `'oracle:noise(...)'`); `createSession('encoder' | 'decoder')`
 */
export function createOracleBackend(clip: OracleClip, options: OracleOptions & { manifest: ModelManifest }): Backend {
  const { manifest } = options;
  const noise = options.noise ?? {};
  const sxyz = noise.xyz ?? 0, suv = noise.uv ?? 0, seed = noise.seed ?? 1;
  const { frames: T, height: H, width: W } = manifest.clip;
  const plane = 3 * H * W;
  const uvHead = manifest.decoder.outputs.uv;
  const bins = uvHead.bins!;
  const [lo, hi] = uvHead.range!;
  const step = (hi - lo) / (bins - 1);
  const memorySize = manifest.memory.tokens * manifest.memory.channels;
  let index: Map<string, number[]> | null = null;
  const buildIndex = (): Map<string, number[]> => {
    const map = new Map<string, number[]>();
    const out = new Float32Array(plane);
    for (let f = 0; f < clip.frames; f++) {
      resizeNormalize(out, clip.video.data, { srcWidth: clip.width, srcHeight: clip.height, frameIndices: [f], width: W, height: H, normalization: manifest.normalization });
      const key = frameKey(out, 0, plane);
      const list = map.get(key);
      if (list) list.push(f);
      else map.set(key, [f]);
    }
    return map;
  };
  const scaleOf = (frames: number[]): number => {
    let sum = 0, n = 0;
    for (const f of new Set(frames)) {
      for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) {
        sum += clip.caster.depthAt(x / 15, y / 11, f);
        n++;
      }
    }
    return sum / n;
  };

  const encoder: BackendSession = {
    inputNames: ['video', 'aspect'],
    outputNames: ['memory'],
    async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
      index ??= buildIndex();
      const video = feeds.video!.data as Float32Array;
      const candidates: number[][] = [];
      for (let t = 0; t < T; t++) {
        const list = index.get(frameKey(video, t * plane, plane));
        if (!list) throw new Error(`oracle encoder: model frame ${t} of the input is not a frame of clip ${clip.name}`);
        candidates.push(list);
      }
      // tightest assignment: forward greedy (strictly increasing where possible), then pull each
      // frame as late as the next one allows; repeats (short videos) fall back to non-decreasing
      const idx = new Array<number>(T);
      for (let t = 0; t < T; t++) {
        const prev = t > 0 ? idx[t - 1]! : -1;
        const c = candidates[t]!;
        idx[t] = c.find((f) => f > prev) ?? c.find((f) => f >= prev) ?? c[0]!;
      }
      for (let t = T - 2; t >= 0; t--) {
        const nextF = idx[t + 1]!;
        const later = candidates[t]!.filter((f) => f < nextF);
        if (later.length > 0 && idx[t]! < nextF) idx[t] = later[later.length - 1]!;
      }
      const memory = new Float32Array(memorySize);
      memory[0] = MAGIC;
      memory[1] = T;
      for (let t = 0; t < T; t++) memory[2 + t] = idx[t]!;
      memory[2 + T] = scaleOf(idx);
      return { memory: { type: 'float32', data: memory, dims: [1, manifest.memory.tokens, manifest.memory.channels] } };
    },
    async dispose(): Promise<void> {},
  };

  const decoder: BackendSession = {
    inputNames: ['memory', 'coords', 'times', 'patches'],
    outputNames: ['xyz', 'uv', 'visibility', 'confidence'],
    async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
      const mem = feeds.memory!.data as Float32Array;
      if (mem[0] !== MAGIC) throw new Error('oracle decoder: the memory was not made by the oracle encoder');
      const idx = Array.from(mem.subarray(2, 2 + T));
      const scale = mem[2 + T]!;
      const coords = feeds.coords!.data as Float32Array;
      const times = feeds.times!.data as BigInt64Array;
      const Q = feeds.coords!.dims[1]!;
      const xyz = new Float32Array(Q * 3);
      const uv = new Float32Array(Q * 2 * bins).fill(-1e4);
      const visibility = new Float32Array(Q);
      const confidence = new Float32Array(Q).fill(30);
      const a = emptyAnswer();
      const z5 = new Float64Array(6);
      const windowKey = mix((idx[0]! * 7919 + idx[T - 1]!) ^ mix(seed));
      for (let i = 0; i < Q; i++) {
        const u = coords[2 * i]!, v = coords[2 * i + 1]!;
        const ts = Number(times[3 * i]!), tt = Number(times[3 * i + 1]!), tc = Number(times[3 * i + 2]!);
        clip.caster.query(u, v, idx[ts]!, idx[tt]!, idx[tc]!, a);
        let x = a.x, y = a.y, z = a.z, pu = a.u, pv = a.v;
        if (sxyz > 0 || suv > 0) {
          normals(mix(windowKey ^ mix(bits(u) ^ mix(bits(v) ^ mix(ts * 65599 + tt * 257 + tc)))), z5, 5);
          const s = sxyz * Math.abs(z);
          x += s * z5[0]!;
          y += s * z5[1]!;
          z += s * z5[2]!;
          pu += (suv * z5[3]!) / (clip.width - 1);
          pv += (suv * z5[4]!) / (clip.height - 1);
        }
        const zc = Math.max(z, 1e-6);
        xyz[3 * i] = x / zc;
        xyz[3 * i + 1] = y / zc;
        xyz[3 * i + 2] = Math.log(zc / scale);
        for (let axis = 0; axis < 2; axis++) {
          const p = Math.min(hi, Math.max(lo, axis === 0 ? pu : pv));
          const pos = (p - lo) / step;
          const k = Math.min(bins - 2, Math.floor(pos));
          const frac = pos - k;
          const o = (2 * i + axis) * bins;
          uv[o + k] = frac < 1 ? Math.log(1 - frac) : -1e4;
          uv[o + k + 1] = frac > 0 ? Math.log(frac) : -1e4;
        }
        visibility[i] = a.visible ? 30 : -30;
      }
      return {
        xyz: { type: 'float32', data: xyz, dims: [1, Q, 3] },
        uv: { type: 'float32', data: uv, dims: [1, Q, 2, bins] },
        visibility: { type: 'float32', data: visibility, dims: [1, Q] },
        confidence: { type: 'float32', data: confidence, dims: [1, Q] },
      };
    },
    async dispose(): Promise<void> {},
  };

  const label = sxyz > 0 || suv > 0 ? `oracle:noise(xyz ${sxyz}, uv ${suv} px)` : 'oracle';
  return {
    name: label,
    async createSession(graph: Uint8Array | string): Promise<BackendSession> {
      if (graph === 'encoder') return encoder;
      if (graph === 'decoder') return decoder;
      throw new Error(`oracle backend: createSession takes 'encoder' or 'decoder', not ${typeof graph === 'string' ? JSON.stringify(graph) : 'bytes'}`);
    },
  };
}

/**
 * The embedded d4rt-tiny's manifest (what the oracle imitates by default), without its optional
 * tracker graph: the oracle answers the decoder's queries only.
 */
export async function tinyManifest(): Promise<ModelManifest> {
  const json = JSON.parse(await readFile(join(embeddedModelPath(), 'manifest.json'), 'utf8'));
  delete json.files.tracker;
  delete json.hashes?.tracker;
  delete json.tracker;
  delete json.encoder.outputs.layers;
  return parseManifest(json);
}

/**
 * A `D4rtModel` on the oracle backend of `clip`: the same model API as `loadModel()`.
 * @param clip - the clip to answer from
 * @param options - noise and manifest (default d4rt-tiny's: T = 16, 64 x 96)
 */
export async function createOracleModel(clip: OracleClip, options: OracleOptions = {}): Promise<D4rtModel> {
  const manifest = options.manifest ?? (await tinyManifest());
  const backend = createOracleBackend(clip, { ...options, manifest });
  return D4rtModel.create({ manifest, encoder: await backend.createSession('encoder'), decoder: await backend.createSession('decoder'), backend: backend.name });
}
