import { describe, expect, it } from 'vitest';
import { decodeTracksJson, encodeTracksJson, TRACKS_JSON_CONVENTIONS, TRACKS_JSON_SCHEMA } from './tracks-json.js';

const frames = 3;
const points = 2;
const n = frames * points;
const f32 = (length: number, f: (i: number) => number): Float32Array => Float32Array.from({ length }, (_, i) => f(i));

const tracks = {
  frames,
  points,
  frame: 'world' as const,
  uv: f32(2 * n, (i) => 0.1 + i / 17),
  xyz: f32(3 * n, (i) => (i === 4 ? Number.NaN : Math.sin(i) * 3)),
  visibility: f32(n, (i) => i / n),
  visible: Uint8Array.from({ length: n }, (_, i) => (i / n > 0.5 ? 1 : 0)),
  confidence: f32(n, (i) => 1 - i / 10),
};
const query = { u: new Float32Array([0.25, 0.75]), v: new Float32Array([0.5, 0.125]), frame: new Int32Array([0, 2]) };

describe('encodeTracksJson / decodeTracksJson', () => {
  it('round-trips exactly into core Tracks layout', () => {
    const back = decodeTracksJson(encodeTracksJson(tracks, { query, sourceFrames: [0, 2, 4] }));
    expect(back.schema).toBe(TRACKS_JSON_SCHEMA);
    expect(back).toMatchObject({ frames, points, frame: 'world', sourceFrames: [0, 2, 4], conventions: TRACKS_JSON_CONVENTIONS });
    expect(back.uv).toEqual(tracks.uv);
    expect(Array.from(back.xyz!)).toEqual(Array.from(tracks.xyz)); // NaN compares equal with toEqual on arrays of numbers
    expect(Number.isNaN(back.xyz![4])).toBe(true);
    expect(back.visibility).toEqual(tracks.visibility);
    expect(back.visible).toEqual(tracks.visible);
    expect(back.confidence).toEqual(tracks.confidence);
    expect(back.query!.u).toEqual(query.u);
    expect(back.query!.v).toEqual(query.v);
    expect(back.query!.frame).toEqual(query.frame);
  });

  it('writes the CLI tracks.json fields, one array per frame', () => {
    const json = JSON.parse(encodeTracksJson(tracks, { query, sourceFrames: [0, 2, 4] }));
    expect(Object.keys(json)).toEqual(['schema', 'frames', 'points', 'frame', 'sourceFrames', 'conventions', 'query', 'uv', 'xyz', 'visibility', 'confidence']);
    expect(json.uv).toHaveLength(frames);
    expect(json.uv[1]).toHaveLength(2 * points);
    expect(json.xyz[0]).toHaveLength(3 * points);
    expect(json.xyz[0][4]).toBeNull();
    expect(json.visibility[2]).toHaveLength(points);
    expect(json.query).toEqual([[0.25, 0.5, 0], [0.75, 0.125, 2]]);
    // float32 values written with the fewest digits that read back exactly
    expect(json.uv[0][0]).toBe(Number(Math.fround(0.1).toPrecision(1)));
  });

  it('leaves out what is not given and reads CLI files without schema or confidence', () => {
    const minimal = { frames: 1, points: 1, uv: [0.5, 0.5], visibility: [0.9] };
    const json = JSON.parse(encodeTracksJson(minimal, { conventions: '' }));
    expect(Object.keys(json)).toEqual(['schema', 'frames', 'points', 'frame', 'uv', 'visibility']);
    expect(json.frame).toBe('camera');
    delete json.schema;
    const back = decodeTracksJson(JSON.stringify(json));
    expect(back.xyz).toBeUndefined();
    expect(back.confidence).toBeUndefined();
    expect(back.query).toBeUndefined();
    expect(Array.from(back.visible)).toEqual([1]);
  });

  it('handles zero points', () => {
    const back = decodeTracksJson(encodeTracksJson({ frames: 2, points: 0, uv: [], visibility: [], xyz: [] }));
    expect(back.frames).toBe(2);
    expect(back.uv.length).toBe(0);
    expect(back.xyz!.length).toBe(0);
  });

  it('throws TypeError / RangeError naming the argument, the value and what is allowed', () => {
    expect(() => encodeTracksJson({ ...tracks, uv: tracks.uv.subarray(1) })).toThrow(
      new RangeError('encodeTracksJson: tracks.uv.length (11) must equal tracks.frames * tracks.points * 2 (12)'),
    );
    expect(() => encodeTracksJson({ ...tracks, frame: 'cam' as 'camera' })).toThrow(new RangeError("encodeTracksJson: tracks.frame ('cam') must be one of 'camera', 'world'"));
    expect(() => encodeTracksJson(tracks, { query: { ...query, u: [1] } })).toThrow(
      new RangeError('encodeTracksJson: options.query.u.length (1) must equal tracks.points (2)'),
    );
    expect(() => encodeTracksJson(tracks, { indent: 11 })).toThrow(new RangeError('encodeTracksJson: options.indent (11) must be <= 10'));
    const json = JSON.parse(encodeTracksJson(tracks));
    expect(() => decodeTracksJson(JSON.stringify({ ...json, schema: 'x/2' }))).toThrow(RangeError);
    expect(() => decodeTracksJson(JSON.stringify({ ...json, uv: json.uv.slice(1) }))).toThrow(new RangeError('decodeTracksJson: uv.length (2) must equal frames (3)'));
    json.visibility[1][0] = 'a';
    expect(() => decodeTracksJson(JSON.stringify(json))).toThrow(new TypeError('decodeTracksJson: visibility[1][0] (string "a") must be a number or null'));
    expect(() => decodeTracksJson('[1]')).toThrow(new RangeError('decodeTracksJson: text must hold a JSON object, not Array(1)'));
  });
});
