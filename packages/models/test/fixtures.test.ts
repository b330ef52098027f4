/**
 * The fixture clips (d4rt-clip/1) read from TypeScript, checked for internal consistency with
 * @d4rt/geometry: sizes match the shapes, world = camera 0, poses are rigid, camera-frame and
 * camera-0 track points agree through the poses, tracks project onto their uv, and visible track
 * points sit on the depth map.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invertPose, poseFromRowMajor, projectPoint, transformPoints } from '@d4rt/geometry';
import { describe, expect, it } from 'vitest';
import { readClip } from './read-clip.js';

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));
const names = readdirSync(root).filter((n) => existsSync(`${root}/${n}/clip.json`));

describe('fixture clips', () => {
  it('has the held-out clips and the demo clip', () => {
    expect(names.sort()).toEqual(['demo', 'heldout-0', 'heldout-1', 'heldout-2']);
  });

  for (const name of names) {
    describe(name, () => {
      const clip = readClip(`${root}/${name}`);
      const { frames: T, width: W, height: H } = clip.json;
      const N = clip.json.tracks.count;

      it('has arrays of the sizes its clip.json gives', () => {
        expect(clip.json.format).toBe('d4rt-clip/1');
        expect(clip.frames.length).toBe(T * H * W * 3);
        expect(clip.depth.length).toBe(T * H * W);
        expect(clip.tracksQuery.length).toBe(N * 3);
        expect(clip.tracksUv.length).toBe(T * N * 2);
        expect(clip.tracksXyzCamera.length).toBe(T * N * 3);
        expect(clip.tracksVisible.length).toBe(T * N);
        expect(clip.json.intrinsics).toHaveLength(T);
        expect(clip.json.cameraToWorld).toHaveLength(T);
      });

      it('has positive finite depth everywhere', () => {
        let bad = 0;
        for (const d of clip.depth) if (!(d > 0 && Number.isFinite(d))) bad++;
        expect(bad).toBe(0);
      });

      it('uses camera 0 as the world and rigid poses', () => {
        expect(Array.from(clip.json.cameraToWorld[0]!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        for (const rows of clip.json.cameraToWorld) {
          const m = poseFromRowMajor(new Float32Array(16), rows);
          for (let i = 0; i < 3; i++) {
            for (let j = 0; j < 3; j++) {
              let dot = 0;
              for (let k = 0; k < 3; k++) dot += m[i * 4 + k]! * m[j * 4 + k]!;
              expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
            }
          }
        }
      });

      it('agrees between camera-frame and camera-0 track points through the poses', () => {
        for (let t = 0; t < T; t++) {
          const c2w = poseFromRowMajor(new Float32Array(16), clip.json.cameraToWorld[t]!);
          const w2c = invertPose(new Float32Array(16), c2w);
          const world = clip.tracksXyzCam0.subarray(t * N * 3, (t + 1) * N * 3);
          const cam = transformPoints(new Float32Array(N * 3), w2c, world);
          const ref = clip.tracksXyzCamera.subarray(t * N * 3, (t + 1) * N * 3);
          for (let i = 0; i < N * 3; i++) expect(Math.abs(cam[i]! - ref[i]!)).toBeLessThan(1e-3 * (1 + Math.abs(ref[i]!)));
        }
      });

      it('projects visible track points onto their uv and onto the depth map', () => {
        let checked = 0;
        const relErr: number[] = [];
        const out = new Float32Array(2);
        for (let t = 0; t < T; t++) {
          const [fx, fy, cx, cy] = clip.json.intrinsics[t]!;
          const K = { fx: fx!, fy: fy!, cx: cx!, cy: cy! };
          for (let n = 0; n < N; n++) {
            if (!clip.tracksVisible[t * N + n]) continue;
            const p = clip.tracksXyzCamera.subarray((t * N + n) * 3, (t * N + n) * 3 + 3);
            projectPoint(out, p, K);
            const u = clip.tracksUv[(t * N + n) * 2]!;
            const v = clip.tracksUv[(t * N + n) * 2 + 1]!;
            expect(Math.abs(out[0]! - u * (W - 1))).toBeLessThan(1e-2);
            expect(Math.abs(out[1]! - v * (H - 1))).toBeLessThan(1e-2);
            const d = clip.depth[t * H * W + Math.round(out[1]!) * W + Math.round(out[0]!)]!;
            relErr.push(Math.abs(d - p[2]!) / p[2]!);
            checked++;
          }
        }
        relErr.sort((a, b) => a - b);
        expect(checked).toBeGreaterThan(N);
        // nearest-pixel depth vs the exact point: small except on depth edges
        expect(relErr[Math.floor(relErr.length / 2)]!).toBeLessThan(0.01);
      });
    });
  }
});
