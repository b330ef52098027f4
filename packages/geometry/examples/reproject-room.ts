/**
 * Demo of @d4rt/geometry on real data (`pnpm example`): loads the `pi3-room` fixture (metric depth,
 * intrinsics and camera-to-world poses of a rendered room), unprojects frame 0's depth, moves the
 * points into frame 1 with the ground-truth poses, projects them and compares with frame 1's depth;
 * then measures the ATE of the ground-truth trajectory against itself after a random Sim(3).
 *
 * Usage: `pnpm example [path/to/pi3-room]` (default: `../shared/data/pi3-room` next to the repo).
 * Exits 0 with a message when the data folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  estimateFocal,
  intrinsicsFromMatrix,
  poseFromRowMajor,
  projectPoints,
  relativePose,
  trajectoryMetrics,
  transformPoints,
  transformPose,
  unprojectDepth,
} from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.resolve(process.argv[2] ?? path.join(here, '../../../../shared/data/pi3-room'));

if (!existsSync(path.join(dataDir, 'cameras.json'))) {
  console.log(`pi3-room data not found at ${dataDir}.`);
  console.log('It is test data that lives outside the repository; pass its folder as an argument to run this demo:');
  console.log('  pnpm --filter @d4rt/geometry example /path/to/pi3-room');
  process.exit(0);
}

const cameras = JSON.parse(readFileSync(path.join(dataDir, 'cameras.json'), 'utf8')) as {
  width: number;
  height: number;
  frames: number;
  intrinsics: number[][][];
  cameraToWorld: number[][][];
};
const { width: W, height: H } = cameras;
const intrinsics = cameras.intrinsics.map((k) => intrinsicsFromMatrix(k));
const poses = cameras.cameraToWorld.map((m) => poseFromRowMajor(new Float32Array(16), m) as Float32Array);
const readDepth = (i: number): Float32Array => {
  const buf = readFileSync(path.join(dataDir, 'depth', `${i}.f32`));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
};

console.log(`pi3-room: ${cameras.frames} frames of ${W} x ${H}, fx = ${intrinsics[0]!.fx.toFixed(2)} px`);

// 1. Frame 0's depth -> camera-0 points -> camera-1 points -> pixels of frame 1.
const depth0 = readDepth(0);
const depth1 = readDepth(1);
const points = new Float32Array(3 * W * H);
const count = unprojectDepth(points, depth0, W, H, intrinsics[0]!);
const cam0ToCam1 = relativePose(new Float32Array(16), poses[1]!, poses[0]!);
transformPoints(points, cam0ToCam1, points);
const pixels = projectPoints(new Float32Array(2 * count), points.subarray(0, 3 * count), intrinsics[1]!);

// 2. Compare with frame 1's depth at the nearest pixel (skip points outside, without depth, or occluded).
const errors: number[] = [];
for (let i = 0; i < count; i++) {
  const x = Math.round(pixels[2 * i]!);
  const y = Math.round(pixels[2 * i + 1]!);
  if (x < 0 || x >= W || y < 0 || y >= H) continue;
  const ref = depth1[y * W + x]!;
  const z = points[3 * i + 2]!;
  if (!(ref > 0) || z > ref * 1.05) continue;
  errors.push(Math.abs(z - ref) / ref);
}
errors.sort((a, b) => a - b);
const median = errors[errors.length >> 1]!;
console.log(`reprojection 0 -> 1: median relative depth error ${(100 * median).toFixed(3)} % over ${errors.length} of ${count} points`);

// 3. Focal length from frame 0's point map alone (principal point at the centre).
const dense = new Float32Array(3 * W * H);
for (let p = 0; p < W * H; p++) {
  const z = depth0[p]!;
  const k = intrinsics[0]!;
  dense[3 * p] = (((p % W) - k.cx) * z) / k.fx;
  dense[3 * p + 1] = ((Math.floor(p / W) - k.cy) * z) / k.fy;
  dense[3 * p + 2] = z;
}
const focal = estimateFocal(dense, { width: W, height: H })!;
console.log(`focal from the point map: fx = ${focal.fx.toFixed(2)} px, fy = ${focal.fy.toFixed(2)} px (ground truth ${intrinsics[0]!.fx.toFixed(2)})`);

// 4. ATE / RPE of the ground truth against itself after a random Sim(3) (should be ~0).
const angle = Math.random() * 2 * Math.PI;
const scale = 0.25 + 2 * Math.random();
const sim = new Float32Array(16);
sim[0] = scale * Math.cos(angle);
sim[1] = scale * Math.sin(angle);
sim[4] = -scale * Math.sin(angle);
sim[5] = scale * Math.cos(angle);
sim[10] = scale;
sim.set([10 * Math.random(), 10 * Math.random(), 10 * Math.random(), 1], 12);
const moved = poses.map((p) => transformPose(new Float32Array(16), sim, p));
const m = trajectoryMetrics(moved, poses, { alignment: 'sim3' });
console.log(
  `gt vs gt after a random Sim(3) (scale ${scale.toFixed(3)}): ATE ${m.ate.toExponential(2)} m, ` +
    `RPE ${m.rpeTranslation.toExponential(2)} m / ${m.rpeRotation.toExponential(2)} deg, recovered scale ${(1 / m.scale).toFixed(6)}`,
);
