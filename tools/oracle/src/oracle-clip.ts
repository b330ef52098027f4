/**
 * Reading `d4rt-oracle/1` clips (written by `training/tools/make_long_clips.py`): the RGB frames
 * plus what answers any query exactly (room box, object shapes, per-frame camera and object poses).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VideoFrames } from '@d4rt/core';
import { RayCaster, type PrimitiveType } from './ray-cast.js';

/** The format string of the clips. */
export const ORACLE_FORMAT = 'd4rt-oracle/1';

/** Queries answered by training's `Clip.query`, stored with a clip for cross-checking. */
export interface ReferenceAnswers {
  u: number[];
  v: number[];
  tSrc: number[];
  tTgt: number[];
  tCam: number[];
  /** Interleaved xyz (camera tCam, metres). */
  xyz: number[];
  /** Interleaved uv. */
  uv: number[];
  visible: number[];
}

/** A long synthetic clip with exact ground truth. */
export interface OracleClip {
  name: string;
  folder: string;
  kind: 'static' | 'dynamic';
  seed: number;
  frames: number;
  width: number;
  height: number;
  fps: number;
  cameraMotion: string;
  /** Every frame (`frames * height * width * 3` RGB bytes), `fps` set. */
  video: VideoFrames;
  /** Exact answers. */
  caster: RayCaster;
  /** Intrinsics in pixels of the clip (constant over frames). */
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  /**
   * Ground-truth camera-to-world of source frame `f`, column-major 4x4 (float64), in the world of
   * the camera of source frame `origin` (the SDK's convention for a run starting there).
   */
  cameraToWorld(f: number, origin?: number): Float64Array;
  /** Answers of training's `Clip.query` for a few queries (source frame indices). */
  reference: ReferenceAnswers;
}

async function readF64(file: string, count: number): Promise<Float64Array> {
  const b = await readFile(file);
  if (b.byteLength !== count * 8) throw new Error(`readOracleClip: ${file} has ${b.byteLength} bytes, expected ${count * 8}`);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * Reads a clip folder.
 * @param folder - a `d4rt-oracle/1` folder
 * @returns the clip (new arrays)
 * @throws Error naming the file for a missing or inconsistent folder
 */
export async function readOracleClip(folder: string): Promise<OracleClip> {
  const metaText = await readFile(join(folder, 'oracle.json'), 'utf8').catch((error: Error) => {
    throw new Error(`readOracleClip: ${JSON.stringify(folder)} has no readable oracle.json (${error.message})`);
  });
  const meta = JSON.parse(metaText) as {
    format: string; name: string; kind: 'static' | 'dynamic'; seed: number; frames: number; width: number; height: number; fps: number;
    intrinsics: { fx: number; fy: number; cx: number; cy: number };
    room: { lo: [number, number, number]; hi: [number, number, number] };
    objects: { type: PrimitiveType; half: [number, number, number] }[];
    cameraMotion: string;
    files: Record<string, string>;
  };
  if (meta.format !== ORACLE_FORMAT) throw new Error(`readOracleClip: ${folder}/oracle.json format (${JSON.stringify(meta.format)}) must be '${ORACLE_FORMAT}'`);
  const { frames: N, width: W, height: H } = meta;
  const M = meta.objects.length;
  const rgb = await readFile(join(folder, meta.files.frames!));
  if (rgb.byteLength !== N * H * W * 3) throw new Error(`readOracleClip: ${folder}/${meta.files.frames} has ${rgb.byteLength} bytes, expected ${N * H * W * 3}`);
  const data = new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const cameraToScene = await readF64(join(folder, meta.files.cameraToScene!), N * 16);
  const objectRotation = await readF64(join(folder, meta.files.objectRotation!), N * M * 9);
  const objectCentre = await readF64(join(folder, meta.files.objectCentre!), N * M * 3);
  const reference = JSON.parse(await readFile(join(folder, meta.files.reference!), 'utf8')) as ReferenceAnswers;
  const caster = new RayCaster({ width: W, height: H, intrinsics: meta.intrinsics, room: meta.room, objects: meta.objects, cameraToScene, objectRotation, objectCentre });
  const colMajor = (f: number): Float64Array => {
    const out = new Float64Array(16);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) out[4 * c + r] = cameraToScene[16 * f + 4 * r + c]!;
    return out;
  };
  return {
    name: meta.name,
    folder,
    kind: meta.kind,
    seed: meta.seed,
    frames: N,
    width: W,
    height: H,
    fps: meta.fps,
    cameraMotion: meta.cameraMotion,
    video: { data, frames: N, width: W, height: H, fps: meta.fps },
    caster,
    intrinsics: meta.intrinsics,
    reference,
    cameraToWorld(f: number, origin = 0): Float64Array {
      // inverse(P_origin) * P_f, both rigid
      const a = colMajor(origin), b = colMajor(f);
      const inv = new Float64Array(16);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) inv[4 * c + r] = a[4 * r + c]!;
      for (let r = 0; r < 3; r++) inv[12 + r] = -(inv[r]! * a[12]! + inv[4 + r]! * a[13]! + inv[8 + r]! * a[14]!);
      inv[15] = 1;
      const out = new Float64Array(16);
      for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) out[4 * c + r] = inv[r]! * b[4 * c]! + inv[4 + r]! * b[4 * c + 1]! + inv[8 + r]! * b[4 * c + 2]! + inv[12 + r]! * b[4 * c + 3]!;
      return out;
    },
  };
}
