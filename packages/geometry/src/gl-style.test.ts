/**
 * The gl-matrix contract, checked for every public function that takes an `out` argument:
 * it writes into `out`, returns `out` (the same object), and does not modify its inputs.
 */
import { mat3, mat4 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import * as geometry from './index.js';

const K = { fx: 300, fy: 310, cx: 15.5, cy: 11.5 };
const pose = mat4.fromRotationTranslation(new Float32Array(16), [0.1, 0.2, 0.3, 0.927], [1, 2, 3]);
const pose2 = mat4.fromRotationTranslation(new Float32Array(16), [0.3, -0.1, 0.2, 0.927], [-1, 0.5, 2]);
const sim = mat4.fromRotationTranslationScale(new Float32Array(16), [0, 0, 0.6, 0.8], [1, 1, 1], [2, 2, 2]);
const points = Float32Array.of(1, 2, 4, -1, 0.5, 2, 0.25, -0.75, 3);
const pixels = Float32Array.of(1, 2, 30, 20, 15.5, 11.5);
const depth = Float32Array.from({ length: 6 }, (_, i) => 1 + i);
const alignment: geometry.ScaleAlignment = { method: 'lsq-scale-shift', space: 'depth', scale: 2, shift: 0.5, count: 6 };

interface Case {
  name: string;
  out: () => unknown;
  inputs: unknown[];
  call: (out: never, ...inputs: never[]) => unknown;
  returnsOut?: boolean;
}

const cases: Case[] = [
  { name: 'projectPoint', out: () => new Float32Array(2), inputs: [points.subarray(0, 3), K], call: geometry.projectPoint as never },
  { name: 'unprojectPoint', out: () => new Float32Array(3), inputs: [pixels.subarray(0, 2), 2, K], call: geometry.unprojectPoint as never },
  { name: 'projectPoints', out: () => new Float32Array(6), inputs: [points, K], call: geometry.projectPoints as never },
  { name: 'unprojectDepth', out: () => new Float32Array(18), inputs: [depth, 3, 2, K, {}], call: geometry.unprojectDepth as never, returnsOut: false },
  { name: 'pixelToNormalized', out: () => new Float32Array(2), inputs: [pixels.subarray(0, 2), 32, 24], call: geometry.pixelToNormalized as never },
  { name: 'normalizedToPixel', out: () => new Float32Array(2), inputs: [Float32Array.of(0.5, 0.25), 32, 24], call: geometry.normalizedToPixel as never },
  { name: 'pixelsToNormalized', out: () => new Float32Array(6), inputs: [pixels, 32, 24], call: geometry.pixelsToNormalized as never },
  { name: 'normalizedToPixels', out: () => new Float64Array(6), inputs: [Float64Array.of(0, 0, 1, 1, 0.5, 0.5), 32, 24], call: geometry.normalizedToPixels as never },
  { name: 'intrinsicsToMat3', out: () => mat3.create(), inputs: [K], call: geometry.intrinsicsToMat3 as never },
  { name: 'decodeLogDepth', out: () => new Float32Array(9), inputs: [points], call: geometry.decodeLogDepth as never },
  { name: 'encodeLogDepth', out: () => new Float64Array(9), inputs: [points], call: geometry.encodeLogDepth as never },
  { name: 'composePoses', out: () => mat4.create(), inputs: [pose, pose2], call: geometry.composePoses as never },
  { name: 'invertPose', out: () => mat4.create(), inputs: [pose], call: geometry.invertPose as never },
  { name: 'relativePose', out: () => mat4.create(), inputs: [pose, pose2], call: geometry.relativePose as never },
  { name: 'transformPose', out: () => mat4.create(), inputs: [sim, pose], call: geometry.transformPose as never },
  { name: 'cameraCenter', out: () => new Float32Array(3), inputs: [pose], call: geometry.cameraCenter as never },
  { name: 'cameraCenters', out: () => new Float32Array(6), inputs: [[pose, pose2]], call: geometry.cameraCenters as never },
  { name: 'poseRotation', out: () => mat3.create(), inputs: [pose], call: geometry.poseRotation as never },
  { name: 'transformPoints', out: () => new Float32Array(9), inputs: [pose, points], call: geometry.transformPoints as never },
  { name: 'poseFromRowMajor', out: () => mat4.create(), inputs: [geometry.poseToRowMajor(pose)], call: geometry.poseFromRowMajor as never },
  { name: 'poseToRowMajorFlat', out: () => new Array<number>(16).fill(0), inputs: [pose], call: geometry.poseToRowMajorFlat as never },
  { name: 'svd3', out: () => geometry.createSvd3(), inputs: [Float64Array.of(2, 1, 0, 1, 3, 1, 0, 1, 4)], call: geometry.svd3 as never },
  { name: 'applyScaleAlignment', out: () => new Float32Array(6), inputs: [depth, alignment], call: geometry.applyScaleAlignment as never },
];

function snapshot(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(snapshot);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, snapshot(v)]));
  }
  return value;
}

function fillSentinel(out: unknown): void {
  if (ArrayBuffer.isView(out) || Array.isArray(out)) (out as number[]).fill(-12345);
  else for (const v of Object.values(out as object)) (v as Float64Array).fill(-12345);
}

function written(out: unknown): boolean {
  const values: number[] = ArrayBuffer.isView(out) || Array.isArray(out)
    ? Array.from(out as ArrayLike<number>)
    : Object.values(out as object).flatMap((v) => Array.from(v as Float64Array));
  return values.every((v) => v !== -12345);
}

describe('gl-matrix style contract', () => {
  for (const c of cases) {
    describe(c.name, () => {
      it('writes into out', () => {
        const out = c.out();
        fillSentinel(out);
        c.call(out as never, ...(c.inputs as never[]));
        expect(written(out)).toBe(true);
      });
      it(c.returnsOut === false ? 'returns the number of points written' : 'returns out', () => {
        const out = c.out();
        const result = c.call(out as never, ...(c.inputs as never[]));
        if (c.returnsOut === false) expect(typeof result).toBe('number');
        else expect(result).toBe(out);
      });
      it('does not modify its inputs', () => {
        const before = snapshot(c.inputs);
        c.call(c.out() as never, ...(c.inputs as never[]));
        expect(snapshot(c.inputs)).toEqual(before);
      });
    });
  }

  it('covers every exported function with an out argument', () => {
    const withOut = Object.entries(geometry)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .filter((k) => !['validateIntrinsics', 'intrinsicsFromMatrix', 'intrinsicsFromMat3', 'resizeIntrinsics', 'sampledPixelCount', 'poseToRowMajor', 'parseTum', 'formatTum', 'createSvd3', 'umeyama', 'umeyamaRobust', 'estimateFocal', 'alignScale', 'depthMetrics', 'tapVid3dMetrics', 'tapVidMetrics', 'trajectoryMetrics', 'absoluteTrajectoryError', 'relativePoseError', 'pearsonCorrelation', 'trajectoryLength', 'fitPlane', 'fitPlaneRansac', 'floorPlane', 'scaleFromCameraHeight', 'scaleFromDepth', 'scaleFromDistance'].includes(k));
    expect(withOut.sort()).toEqual(cases.map((c) => c.name).sort());
  });
});
