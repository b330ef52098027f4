/**
 * Real-data checks on the `pi3-room` fixture (8 rendered frames, 434 x 350, metric depth, intrinsics,
 * camera-to-world poses): the camera, pose and metric conventions of this package must reproduce
 * the ground truth. Skipped with a message when the data folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  estimateFocal,
  formatTum,
  intrinsicsFromMatrix,
  parseTum,
  poseFromRowMajor,
  projectPoints,
  relativePose,
  trajectoryMetrics,
  transformPoints,
  transformPose,
  unprojectDepth,
  type Intrinsics,
} from './index.js';
import { mulberry32, randomRotation } from './test-utils.js';

// packages/geometry/src -> /work/main -> ../shared/data/pi3-room
const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.resolve(here, '../../../../shared/data/pi3-room');
const present = existsSync(path.join(dataDir, 'cameras.json'));
if (!present) console.warn(`pi3-room not found at ${dataDir}, skipping the real-data tests`);

interface Room {
  width: number;
  height: number;
  frames: number;
  intrinsics: Intrinsics[];
  poses: Float32Array[];
  depth: (i: number) => Float32Array;
}

function loadRoom(): Room {
  const cameras = JSON.parse(readFileSync(path.join(dataDir, 'cameras.json'), 'utf8')) as {
    width: number;
    height: number;
    frames: number;
    intrinsics: number[][][];
    cameraToWorld: number[][][];
  };
  return {
    width: cameras.width,
    height: cameras.height,
    frames: cameras.frames,
    intrinsics: cameras.intrinsics.map((k) => intrinsicsFromMatrix(k)),
    poses: cameras.cameraToWorld.map((m) => poseFromRowMajor(new Float32Array(16), m) as Float32Array),
    depth: (i) => {
      const buf = readFileSync(path.join(dataDir, 'depth', `${i}.f32`));
      // Little-endian float32 on a little-endian host; copy into an aligned buffer.
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    },
  };
}

/**
 * Unprojects frame `a`, moves the points into frame `b` with the ground-truth poses, projects them
 * and compares their depth with frame `b`'s depth at the nearest pixel. Points that land outside,
 * on a pixel without depth, or more than 5 % behind the surface (occluded in `b`) are skipped.
 */
function reprojectionErrors(room: Room, a: number, b: number): { median: number; used: number; total: number } {
  const { width: w, height: h } = room;
  const da = room.depth(a);
  const db = room.depth(b);
  const pts = new Float32Array(3 * w * h);
  const n = unprojectDepth(pts, da, w, h, room.intrinsics[a]!);
  const aToB = relativePose(new Float32Array(16), room.poses[b]!, room.poses[a]!);
  transformPoints(pts, aToB, pts);
  const px = projectPoints(new Float32Array(2 * n), pts.subarray(0, 3 * n), room.intrinsics[b]!);
  const errors = new Float64Array(n);
  let used = 0;
  for (let i = 0; i < n; i++) {
    const x = Math.round(px[2 * i]!);
    const y = Math.round(px[2 * i + 1]!);
    if (!(x >= 0 && x < w && y >= 0 && y < h)) continue;
    const ref = db[y * w + x]!;
    const z = pts[3 * i + 2]!;
    if (!(ref > 0) || z > ref * 1.05) continue;
    errors[used++] = Math.abs(z - ref) / ref;
  }
  const sorted = errors.subarray(0, used).sort();
  return { median: sorted[used >> 1]!, used, total: n };
}

describe.skipIf(!present)('pi3-room (real data)', () => {
  const room = present ? loadRoom() : (undefined as unknown as Room);

  it('loads 8 frames of 434 x 350 with pixel intrinsics and rigid poses', () => {
    expect([room.width, room.height, room.frames]).toEqual([434, 350, 8]);
    expect(room.depth(0).length).toBe(434 * 350);
    expect(room.intrinsics[0]!.cx).toBeCloseTo(216.5, 6);
  });

  it('unproject frame 0, move to frame 1 with the gt poses, project: median relative depth error < 1 %', () => {
    const r = reprojectionErrors(room, 0, 1);
    console.info(`pi3-room 0 -> 1: median relative depth error ${(100 * r.median).toFixed(3)} % over ${r.used} of ${r.total} points`);
    expect(r.used).toBeGreaterThan(0.5 * r.total);
    expect(r.median).toBeLessThan(0.01);
  });

  it('every overlapping pair of frames reprojects with median error < 1 %', () => {
    // The 8 views are not one continuous sweep (frames 3 and 4 do not overlap): test the ordered
    // pairs where at least 2 % of the points land on a valid, unoccluded pixel of the other view.
    let overlapping = 0;
    for (let a = 0; a < room.frames; a++) {
      for (let b = 0; b < room.frames; b++) {
        if (a === b) continue;
        const r = reprojectionErrors(room, a, b);
        if (r.used < 0.02 * r.total) continue;
        overlapping++;
        expect(r.median, `frames ${a} -> ${b}`).toBeLessThan(0.01);
      }
    }
    expect(overlapping).toBeGreaterThanOrEqual(6);
  });

  it('estimateFocal recovers the focal length from the unprojected depth of each frame', () => {
    const { width: w, height: h } = room;
    const pts = new Float32Array(3 * w * h);
    for (let i = 0; i < room.frames; i++) {
      const d = room.depth(i);
      // Dense map: unproject with every pixel kept in place (missing depth -> z = 0, skipped).
      pts.fill(0);
      const k = room.intrinsics[i]!;
      for (let p = 0; p < w * h; p++) {
        const z = d[p]!;
        pts[3 * p] = ((p % w) - k.cx) * z / k.fx;
        pts[3 * p + 1] = (Math.floor(p / w) - k.cy) * z / k.fy;
        pts[3 * p + 2] = z;
      }
      const est = estimateFocal(pts, { width: w, height: h })!;
      expect(Math.abs(est.fx / k.fx - 1)).toBeLessThan(1e-4);
      expect(Math.abs(est.fy / k.fy - 1)).toBeLessThan(1e-4);
    }
  });

  it('ATE of the gt trajectory against itself after a random Sim(3) is ~0 (< 1e-5 relative)', () => {
    const rng = mulberry32(2024);
    const r = randomRotation(rng);
    const s = 0.37;
    const sim = new Float64Array(16);
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) sim[4 * c + k] = s * r[3 * c + k]!;
    sim[12] = 4;
    sim[13] = -2;
    sim[14] = 7;
    sim[15] = 1;
    const moved = room.poses.map((p) => transformPose(new Float32Array(16), sim, p));
    const m = trajectoryMetrics(moved, room.poses);
    // Relative to the RMS distance of the gt camera centres from their centroid.
    const c = [0, 0, 0];
    for (const p of room.poses) for (let k = 0; k < 3; k++) c[k] = c[k]! + p[12 + k]! / room.frames;
    let spread = 0;
    for (const p of room.poses) for (let k = 0; k < 3; k++) spread += (p[12 + k]! - c[k]!) ** 2 / room.frames;
    spread = Math.sqrt(spread);
    console.info(`pi3-room ATE after random Sim(3): ${m.ate.toExponential(3)} m (trajectory spread ${spread.toFixed(3)} m), RPE ${m.rpeTranslation.toExponential(2)} m / ${m.rpeRotation.toExponential(2)} deg`);
    expect(m.ate / spread).toBeLessThan(1e-5);
    expect(m.scale * s).toBeCloseTo(1, 5);
    expect(m.rpeRotation).toBeLessThan(1e-3);
  });

  it('the gt trajectory survives a TUM format round trip', () => {
    const timestamps = Float64Array.from({ length: room.frames }, (_, i) => i / 30);
    const back = parseTum(formatTum({ timestamps, poses: room.poses }));
    expect(trajectoryMetrics(back.poses, room.poses, { alignment: 'none' }).ate).toBeLessThan(1e-6);
  });
});
