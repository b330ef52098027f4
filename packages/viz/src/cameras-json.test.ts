import { describe, expect, it } from 'vitest';
import { CAMERAS_JSON_CONVENTIONS, CAMERAS_JSON_SCHEMA, decodeCamerasJson, encodeCamerasJson } from './cameras-json.js';

/** Column-major pose: rotation about z by `a`, translation t. Float32 values. */
function pose(a: number, t: [number, number, number]): Float32Array {
  const c = Math.cos(a);
  const s = Math.sin(a);
  return new Float32Array([c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, t[0], t[1], t[2], 1]);
}

const cameras = {
  frames: 3,
  width: 640,
  height: 480,
  intrinsics: [
    { fx: 500.25, fy: 501, cx: 319.5, cy: 239.5 },
    { fx: 510, fy: 510, cx: 319.5, cy: 239.5 },
    { fx: 1 / 3, fy: 0.1, cx: 319.5, cy: 239.5 },
  ],
  cameraToWorld: [pose(0, [0, 0, 0]), pose(0.3, [0.1, -0.2, 0.7]), new Float32Array(16).fill(Number.NaN)],
};

describe('encodeCamerasJson / decodeCamerasJson', () => {
  it('round-trips exactly, NaN poses included', () => {
    const text = encodeCamerasJson(cameras, { sourceFrames: [0, 4, 8] });
    expect(text.endsWith('}\n')).toBe(true);
    const back = decodeCamerasJson(text);
    expect(back.schema).toBe(CAMERAS_JSON_SCHEMA);
    expect(back).toMatchObject({ frames: 3, width: 640, height: 480, sourceFrames: [0, 4, 8], conventions: CAMERAS_JSON_CONVENTIONS });
    expect(back.intrinsics).toEqual(cameras.intrinsics);
    expect(back.cameraToWorld).toHaveLength(3);
    for (let i = 0; i < 2; i++) {
      expect(back.cameraToWorld[i]).toBeInstanceOf(Float32Array);
      // exact float32 values (JSON has no -0: it reads back as 0)
      expect(Array.from(back.cameraToWorld[i]!)).toEqual(Array.from(cameras.cameraToWorld[i]!, (v) => v + 0));
    }
    expect(back.cameraToWorld[2]!.every(Number.isNaN)).toBe(true);
  });

  it('writes the CLI cameras.json fields, in its order, with cameraToWorld as row-major 4x4 rows', () => {
    const json = JSON.parse(encodeCamerasJson(cameras, { sourceFrames: [0, 4, 8] }));
    expect(Object.keys(json)).toEqual(['schema', 'frames', 'width', 'height', 'sourceFrames', 'conventions', 'intrinsics', 'cameraToWorld']);
    const m = json.cameraToWorld[1];
    expect(m).toHaveLength(4);
    expect(m[0]).toHaveLength(4);
    // translation in the last column of the rows; float32 values written short
    expect([m[0][3], m[1][3], m[2][3], m[3][3]]).toEqual([0.1, -0.2, 0.7, 1]);
    expect(m[3]).toEqual([0, 0, 0, 1]);
    expect(json.cameraToWorld[2][0]).toEqual([null, null, null, null]);
    expect(json.intrinsics[2].fx).toBe(1 / 3); // doubles kept as they are
  });

  it('reads cameras.json files the CLI wrote before the schema field', () => {
    const cli = {
      frames: 1,
      width: 4,
      height: 2,
      sourceFrames: [0],
      conventions: 'x',
      intrinsics: [{ fx: 2, fy: 2, cx: 1.5, cy: 0.5 }],
      cameraToWorld: [[[1, 0, 0, 5], [0, 1, 0, 6], [0, 0, 1, 7], [0, 0, 0, 1]]],
    };
    const back = decodeCamerasJson(JSON.stringify(cli));
    expect(Array.from(back.cameraToWorld[0]!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 6, 7, 1]);
  });

  it('options: indent 0 gives one line, conventions "" leaves it out, sourceFrames optional', () => {
    const text = encodeCamerasJson(cameras, { indent: 0, conventions: '' });
    expect(text.trimEnd().includes('\n')).toBe(false);
    const json = JSON.parse(text);
    expect(json.conventions).toBeUndefined();
    expect(json.sourceFrames).toBeUndefined();
    const back = decodeCamerasJson(text);
    expect(back.sourceFrames).toBeUndefined();
    expect(back.conventions).toBeUndefined();
  });

  it('throws TypeError / RangeError naming the argument, the value and what is allowed', () => {
    expect(() => encodeCamerasJson({ ...cameras, frames: 2 })).toThrow(new RangeError('encodeCamerasJson: cameras.frames (2) must equal cameras.cameraToWorld.length (3)'));
    expect(() => encodeCamerasJson({ ...cameras, intrinsics: cameras.intrinsics.slice(1) })).toThrow(
      new RangeError('encodeCamerasJson: cameras.intrinsics.length (2) must equal cameras.cameraToWorld.length (3)'),
    );
    expect(() => encodeCamerasJson({ ...cameras, cameraToWorld: [pose(0, [0, 0, 0]), new Float32Array(12), pose(0, [0, 0, 0])] })).toThrow(
      new RangeError('encodeCamerasJson: cameras.cameraToWorld[1].length (12) must equal 16 (a 4x4 matrix) (16)'),
    );
    expect(() => encodeCamerasJson(cameras, { sourceFrames: [1] })).toThrow(RangeError);
    expect(() => decodeCamerasJson(42 as unknown as string)).toThrow(new TypeError('decodeCamerasJson: text (42) must be a string'));
    expect(() => decodeCamerasJson('{')).toThrow(RangeError);
    expect(() => decodeCamerasJson('{"schema":"d4rt-tracks/1"}')).toThrow(new RangeError("decodeCamerasJson: schema (string \"d4rt-tracks/1\") must be 'd4rt-cameras/1'"));
    const good = JSON.parse(encodeCamerasJson(cameras));
    expect(() => decodeCamerasJson(JSON.stringify({ ...good, cameraToWorld: good.cameraToWorld.slice(1) }))).toThrow(
      new RangeError('decodeCamerasJson: cameraToWorld.length (2) must equal frames (3)'),
    );
    good.cameraToWorld[0][1] = [1, 2, 3];
    expect(() => decodeCamerasJson(JSON.stringify(good))).toThrow(new RangeError('decodeCamerasJson: cameraToWorld[0][1].length (3) must equal 4'));
    good.cameraToWorld[0] = Array(16).fill(0);
    expect(() => decodeCamerasJson(JSON.stringify(good))).toThrow(
      new RangeError('decodeCamerasJson: cameraToWorld[0].length (16) must equal 4 (rows of a row-major 4x4 matrix)'),
    );
  });
});
