/**
 * The oracle itself: its ray caster agrees with training's `Clip.query`, and through core's Scene
 * it answers depth, cameras and tracks exactly (the model API runs on it unchanged).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectFrames, type D4rtModel, type VideoFrames } from '@d4rt/core';
import { trajectoryMetrics } from '@d4rt/geometry';
import type { ReadonlyMat4 } from 'gl-matrix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOracleModel, emptyAnswer, readOracleClip, type OracleClip } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const CLIP = join(here, '../fixtures/dynamic-64');

let clip: OracleClip;
let model: D4rtModel;
beforeAll(async () => {
  clip = await readOracleClip(CLIP);
  model = await createOracleModel(clip);
});
afterAll(() => model?.dispose());

function framesOf(indices: ArrayLike<number>): VideoFrames {
  const fb = clip.width * clip.height * 3;
  const data = new Uint8Array(indices.length * fb);
  Array.from(indices).forEach((s, k) => data.set(clip.video.data.subarray(s * fb, (s + 1) * fb), k * fb));
  return { data, frames: indices.length, width: clip.width, height: clip.height, sourceIndices: Int32Array.from(indices), sourceFrames: clip.frames };
}

describe('ray caster', () => {
  it("agrees with training's Clip.query on its reference queries", () => {
    const ref = clip.reference;
    const a = emptyAnswer();
    let visibleAgree = 0;
    for (let i = 0; i < ref.u.length; i++) {
      clip.caster.query(ref.u[i]!, ref.v[i]!, ref.tSrc[i]!, ref.tTgt[i]!, ref.tCam[i]!, a);
      const z = Math.abs(ref.xyz[3 * i + 2]!);
      expect(Math.abs(a.x - ref.xyz[3 * i]!), `query ${i} x`).toBeLessThan(1e-4 * Math.max(1, z));
      expect(Math.abs(a.y - ref.xyz[3 * i + 1]!), `query ${i} y`).toBeLessThan(1e-4 * Math.max(1, z));
      expect(Math.abs(a.z - ref.xyz[3 * i + 2]!), `query ${i} z`).toBeLessThan(1e-4 * Math.max(1, z));
      if (a.visible === (ref.visible[i] === 1)) visibleAgree++;
    }
    // float32 torch vs float64 here: a grazing ray may flip visibility
    expect(visibleAgree / ref.u.length).toBeGreaterThan(0.99);
  });
});

describe('oracle model through the Scene API', () => {
  it('recognises the frames it is given, also out of order and repeated', async () => {
    const scene = await model.encode(framesOf([5, 9, 9, 20, 33, 34, 40, 41, 42, 50, 51, 52, 60, 61, 62, 63]));
    const mem = scene.memory.data as Float32Array;
    expect(Array.from(mem.subarray(2, 18))).toEqual([5, 9, 9, 20, 33, 34, 40, 41, 42, 50, 51, 52, 60, 61, 62, 63]);
    scene.dispose();
  });

  it('answers depth up to one scale and cameras exactly', async () => {
    const sel = selectFrames(clip.frames, 16);
    const scene = await model.encode(framesOf(sel));
    const depth = await scene.depth({ width: 16, height: 12 });
    const scale = (scene.memory.data as Float32Array)[18]!;
    for (let t = 0; t < 16; t += 5) {
      for (let k = 0; k < 16 * 12; k += 7) {
        const z = clip.caster.depthAt((k % 16) / 15, Math.floor(k / 16) / 11, sel[t]!);
        expect(depth.data[t * 192 + k]! * scale).toBeCloseTo(z, 4);
      }
    }
    const cams = await scene.cameras();
    expect(cams.intrinsics[0]!.fx).toBeCloseTo(clip.intrinsics.fx, 2);
    const gt = Array.from(sel, (s) => clip.cameraToWorld(s, sel[0]!));
    const tm = trajectoryMetrics(cams.cameraToWorld as unknown as ReadonlyMat4[], gt as unknown as ReadonlyMat4[]);
    expect(tm.ate).toBeLessThan(1e-5);
    expect(tm.rpeRotation).toBeLessThan(1e-3);
    scene.dispose();
  });

  it('adds deterministic noise when asked', async () => {
    const noisy = await createOracleModel(clip, { noise: { xyz: 0.02, uv: 1 } });
    const video = framesOf(selectFrames(clip.frames, 16));
    const a = await (await noisy.encode(video)).depth({ width: 8, height: 6 });
    const b = await (await noisy.encode(video)).depth({ width: 8, height: 6 });
    const exact = await (await model.encode(video)).depth({ width: 8, height: 6 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    let rel = 0;
    for (let i = 0; i < a.data.length; i++) rel += Math.abs(a.data[i]! / exact.data[i]! - 1);
    rel /= a.data.length;
    expect(rel).toBeGreaterThan(0.005);
    expect(rel).toBeLessThan(0.05);
    expect(noisy.backend).toBe('oracle:noise(xyz 0.02, uv 1 px)');
  });
});
