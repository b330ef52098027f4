/** Test helper: reads a `d4rt-clip/1` fixture folder (see training/CLIP_FORMAT.md) into typed arrays. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClipJson {
  format: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  aspect: number;
  intrinsics: number[][];
  cameraToWorld: number[][];
  files: Record<string, string>;
  shapes: Record<string, number[]>;
  tracks: { count: number };
}

export interface Clip {
  json: ClipJson;
  frames: Uint8Array;
  depth: Float32Array;
  tracksQuery: Float32Array;
  tracksUv: Float32Array;
  tracksXyzCamera: Float32Array;
  tracksXyzCam0: Float32Array;
  tracksVisible: Uint8Array;
}

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function u8(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export function readClip(folder: string): Clip {
  const json = JSON.parse(readFileSync(join(folder, 'clip.json'), 'utf8')) as ClipJson;
  const file = (key: string): string => {
    const name = json.files[key];
    if (!name) throw new Error(`readClip: ${folder}/clip.json has no files.${key}`);
    return join(folder, name);
  };
  return {
    json,
    frames: u8(file('frames')),
    depth: f32(file('depth')),
    tracksQuery: f32(file('tracksQuery')),
    tracksUv: f32(file('tracksUv')),
    tracksXyzCamera: f32(file('tracksXyzCamera')),
    tracksXyzCam0: f32(file('tracksXyzCam0')),
    tracksVisible: u8(file('tracksVisible')),
  };
}
