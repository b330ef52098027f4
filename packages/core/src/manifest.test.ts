import { describe, expect, it } from 'vitest';
import { plainManifestJson, shippedManifestJson } from './test-utils.js';
import { UnsupportedModelError } from './errors.js';
import { checkSessionIo, parseManifest, type SessionIo } from './manifest.js';

const shipped = shippedManifestJson;
const raw = plainManifestJson;

function expectUnsupported(json: unknown, message: RegExp): void {
  let err: unknown;
  try {
    parseManifest(json);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UnsupportedModelError);
  expect((err as UnsupportedModelError).code).toBe('ERR_UNSUPPORTED_MODEL');
  expect((err as Error).message).toMatch(message);
}

describe('parseManifest', () => {
  it('reads the reference model manifest', () => {
    const m = parseManifest(raw());
    expect(m.clip).toMatchObject({ frames: 16, height: 64, width: 96 });
    expect(m.decoder.outputs.uv).toMatchObject({ bins: 64, window: 3, range: [0, 1], decode: 'truncated-soft-argmax' });
    expect(m.patch.size).toBe(9);
  });

  it('rejects another format version', () => {
    expectUnsupported({ ...raw(), format: 'd4rt-model/2' }, /manifest\.format \("d4rt-model\/2"\) must be 'd4rt-model\/1'/);
  });

  it('rejects a missing section', () => {
    const j = raw();
    delete j.memory;
    expectUnsupported(j, /manifest\.memory \(undefined\) must be an object/);
  });

  it('rejects shapes that disagree with the rest of the manifest', () => {
    const j = raw();
    j.decoder.inputs.patches.shape = [1, 'Q', 100];
    expectUnsupported(j, /manifest\.decoder\.inputs\.patches\.shape\[2\] \(100\) must be 243/);
    const k = raw();
    k.encoder.inputs.video.shape = [1, 8, 3, 64, 96];
    expectUnsupported(k, /manifest\.encoder\.inputs\.video\.shape\[1\] \(8\) must be 16/);
    const l = raw();
    l.decoder.outputs.xyz.decode = 'linear';
    expectUnsupported(l, /manifest\.decoder\.outputs\.xyz\.decode \("linear"\) must be one of 'log-depth'/);
  });

  it('keeps the graphs\' SHA-256 and sizes; a manifest without hashes (written before them) still reads', () => {
    const m = parseManifest(raw());
    expect(m.hashes?.encoder.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.hashes?.decoder.bytes).toBeGreaterThan(10_000);
    const j = raw();
    delete j.hashes;
    const legacy = parseManifest(j);
    expect(legacy.hashes).toBeUndefined();
    expect('hashes' in legacy).toBe(false);
  });

  it('rejects hashes that are not a lower-case hex SHA-256 and an integer size for both graphs', () => {
    const sha = 'ab'.repeat(32);
    const j = raw();
    j.hashes = { encoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.decoder \(undefined\) must be an object/);
    j.hashes = { encoder: { sha256: sha.toUpperCase(), bytes: 10 }, decoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.encoder\.sha256 \("ABAB.*"\) must be the file's SHA-256 as 64 lower-case hex digits/);
    j.hashes = { encoder: { sha256: sha, bytes: 10 }, decoder: { sha256: sha.slice(1), bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.decoder\.sha256 .* must be the file's SHA-256/);
    j.hashes = { encoder: { sha256: sha, bytes: 10.5 }, decoder: { sha256: sha, bytes: 10 } };
    expectUnsupported(j, /manifest\.hashes\.encoder\.bytes \(10\.5\) must be an integer >= 1/);
    j.hashes = 'sha256';
    expectUnsupported(j, /manifest\.hashes \("sha256"\) must be an object/);
  });

  it('rejects non-objects', () => {
    expectUnsupported(null, /manifest \(null\) must be an object/);
    expectUnsupported([], /manifest \(Array\(0\)\) must be an object/);
  });

  it('leaves the fields added for other model families out of an older manifest', () => {
    const m = parseManifest(raw());
    expect(m.clip.aspect).toBeUndefined();
    expect(m.cameras).toBeUndefined();
    expect(m.files.externalData).toBeUndefined();
    expect(Object.keys(m.decoder.outputs)).toEqual(['xyz', 'uv', 'visibility', 'confidence']);
  });
});

/** d4rt-tiny's manifest grown as the OpenD4RT converter writes one (training/opend4rt). */
function openD4rt(): Record<string, any> {
  const j = raw();
  const q3 = { dtype: 'float32', shape: [1, 'Q', 3] };
  j.clip = { ...j.clip, resize: 'opencv-area-linear', aspect: 'clip' };
  j.normalization = { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] };
  j.files.externalData = { encoder: ['encoder.onnx.data'] };
  j.hashes.externalData = { 'encoder.onnx.data': { sha256: 'ab'.repeat(32), bytes: 4_200_000_000 } };
  j.decoder.outputs = {
    xyz: { ...q3, decode: 'direct' },
    uv: { dtype: 'float32', shape: [1, 'Q', 2], decode: 'direct' },
    visibility: j.decoder.outputs.visibility,
    confidence: j.decoder.outputs.confidence,
    normal: { ...q3, decode: 'normalize' },
    displacement: { ...q3, decode: 'direct' },
  };
  j.cameras = { recipe: 'opend4rt', grid: 32 };
  return j;
}

describe('parseManifest: the growth for OpenD4RT', () => {
  it('reads direct xyz and uv, normal and displacement, the resize and aspect policies, external data and the camera recipe', () => {
    const m = parseManifest(openD4rt());
    expect(m.clip).toMatchObject({ resize: 'opencv-area-linear', aspect: 'clip' });
    expect(m.decoder.outputs.xyz.decode).toBe('direct');
    expect(m.decoder.outputs.uv).toEqual({ dtype: 'float32', shape: [1, 'Q', 2], decode: 'direct' });
    expect(m.decoder.outputs.normal).toEqual({ dtype: 'float32', shape: [1, 'Q', 3], decode: 'normalize' });
    expect(m.decoder.outputs.displacement?.decode).toBe('direct');
    expect(m.files.externalData).toEqual({ encoder: ['encoder.onnx.data'] });
    expect(m.hashes?.externalData).toEqual({ 'encoder.onnx.data': { sha256: 'ab'.repeat(32), bytes: 4_200_000_000 } });
    expect(m.cameras).toEqual({ recipe: 'opend4rt', grid: 32 });
  });

  it('names the field that does not fit', () => {
    let j = openD4rt();
    j.decoder.outputs.uv.shape = [1, 'Q', 2, 64];
    expectUnsupported(j, /manifest\.decoder\.outputs\.uv\.shape \(Array\(4\)\) must be an array of 3 dimensions like \[1, Q, 2\]/);
    j = openD4rt();
    j.decoder.outputs.normal.decode = 'direct';
    expectUnsupported(j, /manifest\.decoder\.outputs\.normal\.decode \("direct"\) must be one of 'normalize'/);
    j = openD4rt();
    j.decoder.outputs.xyz.decode = 'exp';
    expectUnsupported(j, /manifest\.decoder\.outputs\.xyz\.decode \("exp"\) must be one of 'log-depth', 'direct'/);
    j = openD4rt();
    j.clip.resize = 'lanczos';
    expectUnsupported(j, /manifest\.clip\.resize \("lanczos"\) must be one of 'bilinear-align-corners-box', 'opencv-area-linear'/);
    j = openD4rt();
    j.clip.aspect = 1.5;
    expectUnsupported(j, /manifest\.clip\.aspect \(1\.5\) must be a non-empty string/);
    j = openD4rt();
    j.files.externalData.encoder = ['../weights.bin'];
    expectUnsupported(j, /manifest\.files\.externalData\.encoder\[0\] \("\.\.\/weights\.bin"\) must be a plain file name in the manifest's folder/);
    j = openD4rt();
    j.files.externalData.decoder = [];
    expectUnsupported(j, /manifest\.files\.externalData\.decoder \(Array\(0\)\) must be a non-empty array of file names/);
    j = openD4rt();
    j.hashes.externalData['encoder.onnx.data'].sha256 = 'x';
    expectUnsupported(j, /manifest\.hashes\.externalData\.encoder\.onnx\.data\.sha256 \("x"\) must be the file's SHA-256/);
    j = openD4rt();
    j.cameras = { recipe: 'vggt', grid: 32 };
    expectUnsupported(j, /manifest\.cameras\.recipe \("vggt"\) must be one of 'opend4rt'/);
    j = openD4rt();
    j.cameras.grid = 1;
    expectUnsupported(j, /manifest\.cameras\.grid \(1\) must be an integer >= 2/);
  });

  it('checks the optional outputs of a loaded decoder like the others', () => {
    const m = parseManifest(openD4rt());
    const io: SessionIo = {
      inputNames: ['memory', 'coords', 'times', 'patches'],
      outputNames: ['xyz', 'uv', 'visibility', 'confidence', 'normal'],
    };
    expect(() => checkSessionIo(m, 'decoder', io)).toThrow(/the decoder has no output 'displacement'/);
    expect(() => checkSessionIo(m, 'decoder', { ...io, outputNames: [...io.outputNames, 'displacement'] })).not.toThrow();
  });
});

describe('checkSessionIo', () => {
  const m = parseManifest(raw());
  const N = m.memory.tokens;
  const decoder: SessionIo = {
    inputNames: ['memory', 'coords', 'times', 'patches'],
    outputNames: ['xyz', 'uv', 'visibility', 'confidence'],
    inputMetadata: [
      { name: 'memory', type: 'float32', shape: [1, N, 128] },
      { name: 'coords', type: 'float32', shape: [1, 'Q', 2] },
      { name: 'times', type: 'int64', shape: [1, 'Q', 3] },
      { name: 'patches', type: 'float32', shape: [1, 'Q', 243] },
    ],
  };

  it('accepts matching sessions (symbolic dims match any size)', () => {
    expect(() => checkSessionIo(m, 'decoder', decoder)).not.toThrow();
  });

  it('names a missing tensor and what the graph has', () => {
    expect(() => checkSessionIo(m, 'decoder', { ...decoder, outputNames: ['xyz', 'uv', 'vis', 'confidence'] })).toThrow(
      /the decoder has no output 'visibility' \(the manifest expects float32 \[1, Q\]\); its outputs are 'xyz', 'uv', 'vis', 'confidence'/,
    );
  });

  it('names a wrong type or shape', () => {
    const wrongType = { ...decoder, inputMetadata: decoder.inputMetadata!.map((x) => (x.name === 'times' ? { ...x, type: 'int32' } : x)) };
    expect(() => checkSessionIo(m, 'decoder', wrongType)).toThrow(/decoder input 'times' is int32; the manifest expects int64/);
    const wrongShape = { ...decoder, inputMetadata: decoder.inputMetadata!.map((x) => (x.name === 'memory' ? { ...x, shape: [1, 100, 128] } : x)) };
    expect(() => checkSessionIo(m, 'decoder', wrongShape)).toThrow(`decoder input 'memory' has shape [1, 100, 128]; the manifest expects [1, ${N}, 128]`);
  });
});

/** d4rt-tiny's manifest grown into the K/V layout the OpenD4RT converter writes (2 blocks, 4 heads). */
function withKv(options: { keepMemory?: boolean } = {}): Record<string, any> {
  const j = raw();
  const N = j.memory.tokens;
  const kv: Record<string, any> = {};
  for (const b of [0, 1]) {
    kv[`k${b}`] = { dtype: 'float32', shape: [1, 4, 32, N] };
    kv[`v${b}`] = { dtype: 'float32', shape: [1, 4, N, 32] };
  }
  j.files.kv = 'kv.onnx';
  j.hashes.kv = { sha256: 'cd'.repeat(32), bytes: 4096 };
  j.kv = { inputs: { memory: structuredClone(j.encoder.outputs.memory) }, outputs: kv };
  if (!options.keepMemory) delete j.decoder.inputs.memory;
  Object.assign(j.decoder.inputs, structuredClone(kv));
  return j;
}

describe('parseManifest: the K/V graph', () => {
  it('reads the kv section, its file and hash, and a decoder that takes its outputs instead of the memory', () => {
    const m = parseManifest(withKv());
    expect(m.files.kv).toBe('kv.onnx');
    expect(m.hashes?.kv).toEqual({ sha256: 'cd'.repeat(32), bytes: 4096 });
    expect(m.kv?.inputs.memory).toEqual({ dtype: 'float32', shape: [1, 2305, 128] });
    expect(Object.keys(m.kv!.outputs)).toEqual(['k0', 'v0', 'k1', 'v1']);
    expect(m.kv!.outputs.v1).toEqual({ dtype: 'float32', shape: [1, 4, 2305, 32] });
    expect(Object.keys(m.decoder.inputs)).toEqual(['coords', 'times', 'patches', 'k0', 'v0', 'k1', 'v1']);
    expect(m.decoder.inputs.memory).toBeUndefined();
    expect(m.decoder.inputs.k0).toEqual(m.kv!.outputs.k0);
  });

  it('keeps the memory as a decoder input when the decoder still reads it (d4rt-tiny reads it by lookup)', () => {
    const m = parseManifest(withKv({ keepMemory: true }));
    expect(Object.keys(m.decoder.inputs)).toEqual(['memory', 'coords', 'times', 'patches', 'k0', 'v0', 'k1', 'v1']);
  });

  it('leaves it out of an older manifest, whose decoder must take the memory', () => {
    const m = parseManifest(raw());
    expect(m.kv).toBeUndefined();
    expect('kv' in m.files).toBe(false);
    expect(m.hashes && 'kv' in m.hashes).toBe(false);
    const j = raw();
    delete j.decoder.inputs.memory;
    expectUnsupported(j, /manifest\.decoder\.inputs\.memory \(undefined\) must be an object/);
  });

  it('names the field that does not fit', () => {
    let j = withKv();
    delete j.files.kv;
    expectUnsupported(j, /manifest\.files\.kv \(undefined\) must be a non-empty string/);
    j = withKv();
    delete j.kv;
    expectUnsupported(j, /manifest\.kv \(undefined\) must be an object \(manifest\.files\.kv names a K\/V graph\)/);
    j = withKv();
    delete j.hashes.kv;
    expectUnsupported(j, /manifest\.hashes\.kv \(undefined\) must be an object/);
    j = withKv();
    j.kv.inputs.memory.shape = [1, 100, 128];
    expectUnsupported(j, /manifest\.kv\.inputs\.memory\.shape\[1\] \(100\) must be 2305/);
    j = withKv();
    j.kv.outputs = {};
    expectUnsupported(j, /manifest\.kv\.outputs \(Object\) must be an object with at least one output/);
    j = withKv();
    j.kv.outputs.k0.shape = [1, 4, 'N', 2305];
    expectUnsupported(j, /manifest\.kv\.outputs\.k0\.shape\[2\] \("N"\) must be an integer >= 1/);
    j = withKv();
    j.kv.outputs.v0.dtype = 'int64';
    expectUnsupported(j, /manifest\.kv\.outputs\.v0\.dtype \("int64"\) must be one of 'float32'/);
    j = withKv();
    j.kv.outputs.coords = { dtype: 'float32', shape: [1] };
    expectUnsupported(j, /manifest\.kv\.outputs\.coords .* must be named other than 'memory', 'coords', 'times', 'patches'/);
    j = withKv();
    delete j.decoder.inputs.v1;
    expectUnsupported(j, /manifest\.decoder\.inputs\.v1 \(undefined\) must be the K\/V graph's output 'v1' \(float32 \[1, 4, 2305, 32\]\)/);
    j = withKv();
    j.decoder.inputs.k1.shape = [1, 4, 2305, 32];
    expectUnsupported(j, /manifest\.decoder\.inputs\.k1\.shape\[2\] \(2305\) must be 32/);
    j = raw();
    j.files.externalData = { kv: ['kv.onnx.data'] };
    expectUnsupported(j, /manifest\.files\.externalData\.kv \(Array\(1\)\) must be left out: the manifest has no K\/V graph/);
  });

  it('reads external data of the K/V graph', () => {
    const j = withKv();
    j.files.externalData = { kv: ['kv.onnx.data'] };
    expect(parseManifest(j).files.externalData).toEqual({ kv: ['kv.onnx.data'] });
  });

  it('checks a loaded K/V graph and the decoder against it', () => {
    const m = parseManifest(withKv());
    const N = m.memory.tokens;
    const kvIo: SessionIo = {
      inputNames: ['memory'],
      outputNames: ['k0', 'v0', 'k1', 'v1'],
      outputMetadata: [{ name: 'k0', type: 'float32', shape: [1, 4, 32, N] }],
    };
    expect(() => checkSessionIo(m, 'kv', kvIo)).not.toThrow();
    expect(() => checkSessionIo(m, 'kv', { ...kvIo, outputNames: ['k0', 'v0', 'k1'] })).toThrow(
      /d4rt-tiny\/kv\.onnx: the K\/V graph has no output 'v1' \(the manifest expects float32 \[1, 4, 2305, 32\]\); its outputs are 'k0', 'v0', 'k1'/,
    );
    expect(() => checkSessionIo(m, 'kv', { ...kvIo, outputMetadata: [{ name: 'k0', type: 'float32', shape: [1, 4, N, 32] }] })).toThrow(
      `d4rt-tiny/kv.onnx: K/V graph output 'k0' has shape [1, 4, ${N}, 32]; the manifest expects [1, 4, 32, ${N}]`,
    );
    const decoder: SessionIo = { inputNames: ['coords', 'times', 'patches', 'k0', 'v0', 'k1'], outputNames: ['xyz', 'uv', 'visibility', 'confidence'] };
    expect(() => checkSessionIo(m, 'decoder', decoder)).toThrow(/the decoder has no input 'v1'/);
    expect(() => checkSessionIo(parseManifest(raw()), 'kv', kvIo)).toThrow(RangeError);
  });
});

/** d4rt-tiny's manifest with the encoder's `layers` output and a tracker graph, as training's exporter writes them. */
function withTracker(): Record<string, any> {
  const j = raw();
  const layers = { dtype: 'float32', shape: [1, 3, 769, 128] };
  j.files.tracker = 'tracker.onnx';
  j.hashes.tracker = { sha256: 'ef'.repeat(32), bytes: 8192 };
  j.encoder.outputs.layers = structuredClone(layers);
  j.tracker = {
    inputs: {
      memory: structuredClone(j.encoder.outputs.memory),
      layers: structuredClone(layers),
      coords: { dtype: 'float32', shape: [1, 'N', 2] },
      frames: { dtype: 'int64', shape: [1, 'N'] },
    },
    outputs: {
      xyz: { dtype: 'float32', shape: [1, 16, 'N', 3], decode: 'log-depth' },
      uv: { dtype: 'float32', shape: [1, 16, 'N', 2, 64], decode: 'truncated-soft-argmax', bins: 64, range: [0, 1], window: 3 },
      visibility: { dtype: 'float32', shape: [1, 16, 'N'], decode: 'sigmoid' },
      confidence: { dtype: 'float32', shape: [1, 16, 'N'], decode: 'sigmoid' },
    },
  };
  return j;
}

describe('parseManifest: the tracker graph', () => {
  it('reads the shipped d4rt-tiny manifest, whose tracker graph and layers output the trainer exported', () => {
    const m = parseManifest(shipped());
    expect(m.files.tracker).toBe('tracker.onnx');
    expect(m.hashes?.tracker?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.encoder.outputs.layers?.shape).toEqual([1, 3, 769, 128]);
    expect(m.tracker?.outputs.uv?.shape).toEqual([1, 16, 'N', 2, 64]);
  });
  it("reads the tracker section, its file and hash, and the encoder's layers output", () => {
    const m = parseManifest(withTracker());
    expect(m.files.tracker).toBe('tracker.onnx');
    expect(m.hashes?.tracker).toEqual({ sha256: 'ef'.repeat(32), bytes: 8192 });
    expect(m.encoder.outputs.layers).toEqual({ dtype: 'float32', shape: [1, 3, 769, 128] });
    expect(m.tracker?.inputs).toEqual({
      memory: { dtype: 'float32', shape: [1, 2305, 128] },
      layers: { dtype: 'float32', shape: [1, 3, 769, 128] },
      coords: { dtype: 'float32', shape: [1, 'N', 2] },
      frames: { dtype: 'int64', shape: [1, 'N'] },
    });
    expect(m.tracker?.outputs.uv).toEqual({ dtype: 'float32', shape: [1, 16, 'N', 2, 64], decode: 'truncated-soft-argmax', bins: 64, range: [0, 1], window: 3 });
    expect(m.tracker?.outputs.visibility).toEqual({ dtype: 'float32', shape: [1, 16, 'N'], decode: 'sigmoid' });
  });

  it('leaves both out of an older manifest; layers without a tracker read', () => {
    const m = parseManifest(raw());
    expect(m.tracker).toBeUndefined();
    expect('tracker' in m).toBe(false);
    expect('tracker' in m.files).toBe(false);
    expect(m.hashes && 'tracker' in m.hashes).toBe(false);
    expect('layers' in m.encoder.outputs).toBe(false);
    const j = withTracker();
    delete j.tracker;
    delete j.files.tracker;
    delete j.hashes.tracker;
    const l = parseManifest(j);
    expect(l.encoder.outputs.layers?.shape).toEqual([1, 3, 769, 128]);
    expect(l.tracker).toBeUndefined();
  });

  it('reads a direct uv and direct xyz head, as the decoder may have', () => {
    const j = withTracker();
    j.tracker.outputs.uv = { dtype: 'float32', shape: [1, 16, 'N', 2], decode: 'direct' };
    j.tracker.outputs.xyz.decode = 'direct';
    const m = parseManifest(j);
    expect(m.tracker?.outputs.uv).toEqual({ dtype: 'float32', shape: [1, 16, 'N', 2], decode: 'direct' });
    expect(m.tracker?.outputs.xyz.decode).toBe('direct');
  });

  it('names the field that does not fit', () => {
    let j = withTracker();
    delete j.files.tracker;
    expectUnsupported(j, /^parseManifest: manifest\.files\.tracker \(undefined\) must be a non-empty string$/);
    j = withTracker();
    delete j.tracker;
    expectUnsupported(j, /^parseManifest: manifest\.tracker \(undefined\) must be an object \(manifest\.files\.tracker names a tracker graph\)$/);
    j = withTracker();
    delete j.hashes.tracker;
    expectUnsupported(j, /^parseManifest: manifest\.hashes\.tracker \(undefined\) must be an object$/);
    j = withTracker();
    delete j.encoder.outputs.layers;
    expectUnsupported(j, /^parseManifest: manifest\.encoder\.outputs\.layers \(undefined\) must be an object like .*: the tracker \(manifest\.tracker\) reads the encoder's layers$/);
    j = withTracker();
    j.encoder.outputs.layers.shape = [1, 3, 769, 64];
    expectUnsupported(j, /manifest\.encoder\.outputs\.layers\.shape\[3\] \(64\) must be 128 \(manifest\.memory\.channels\)/);
    j = withTracker();
    j.encoder.outputs.layers.shape = [1, 'L', 769, 128];
    expectUnsupported(j, /manifest\.encoder\.outputs\.layers\.shape\[1\] \("L"\) must be an integer >= 1/);
    j = withTracker();
    j.tracker.inputs.layers.shape = [1, 2, 769, 128];
    expectUnsupported(j, /manifest\.tracker\.inputs\.layers\.shape\[1\] \(2\) must be 3/);
    j = withTracker();
    j.tracker.inputs.memory.shape = [1, 100, 128];
    expectUnsupported(j, /manifest\.tracker\.inputs\.memory\.shape\[1\] \(100\) must be 2305/);
    j = withTracker();
    j.tracker.inputs.coords.shape = [1, 8, 2];
    expectUnsupported(j, /manifest\.tracker\.inputs\.coords\.shape\[1\] \(8\) must be the symbolic dimension 'N'/);
    j = withTracker();
    j.tracker.inputs.frames.dtype = 'float32';
    expectUnsupported(j, /manifest\.tracker\.inputs\.frames\.dtype \("float32"\) must be one of 'int64'/);
    j = withTracker();
    j.tracker.inputs.times = { dtype: 'int64', shape: [1, 'N', 3] };
    expectUnsupported(j, /manifest\.tracker\.inputs\.times \(Object\) must be left out: the tracker takes exactly 'memory', 'layers', 'coords', 'frames'/);
    j = withTracker();
    j.tracker.outputs.xyz.shape = [1, 8, 'N', 3];
    expectUnsupported(j, /manifest\.tracker\.outputs\.xyz\.shape\[1\] \(8\) must be 16/);
    j = withTracker();
    j.tracker.outputs.visibility.shape = [1, 'N'];
    expectUnsupported(j, /manifest\.tracker\.outputs\.visibility\.shape \(Array\(2\)\) must be an array of 3 dimensions like \[1, 16, N\]/);
    j = withTracker();
    j.tracker.outputs.confidence.decode = 'log-depth';
    expectUnsupported(j, /manifest\.tracker\.outputs\.confidence\.decode \("log-depth"\) must be one of 'sigmoid'/);
    j = withTracker();
    delete j.tracker.outputs.uv.window;
    expectUnsupported(j, /manifest\.tracker\.outputs\.uv\.window \(undefined\) must be an integer >= 0/);
    j = raw();
    j.files.externalData = { tracker: ['tracker.onnx.data'] };
    expectUnsupported(j, /manifest\.files\.externalData\.tracker \(Array\(1\)\) must be left out: the manifest has no tracker graph/);
  });

  it('checks a loaded tracker graph and an encoder with layers', () => {
    const m = parseManifest(withTracker());
    const io: SessionIo = {
      inputNames: ['memory', 'layers', 'coords', 'frames'],
      outputNames: ['xyz', 'uv', 'visibility', 'confidence'],
      outputMetadata: [{ name: 'xyz', type: 'float32', shape: [1, 16, 'N', 3] }],
    };
    expect(() => checkSessionIo(m, 'tracker', io)).not.toThrow();
    expect(() => checkSessionIo(m, 'tracker', { ...io, inputNames: ['memory', 'coords', 'frames'] })).toThrow(
      "d4rt-tiny/tracker.onnx: the tracker graph has no input 'layers' (the manifest expects float32 [1, 3, 769, 128]); its inputs are 'memory', 'coords', 'frames'",
    );
    expect(() => checkSessionIo(m, 'tracker', { ...io, outputMetadata: [{ name: 'xyz', type: 'float32', shape: [1, 8, 'N', 3] }] })).toThrow(
      "d4rt-tiny/tracker.onnx: tracker graph output 'xyz' has shape [1, 8, N, 3]; the manifest expects [1, 16, N, 3]",
    );
    expect(() => checkSessionIo(m, 'encoder', { inputNames: ['video', 'aspect'], outputNames: ['memory'] })).toThrow(/the encoder has no output 'layers'/);
    expect(() => checkSessionIo(parseManifest(raw()), 'tracker', io)).toThrow(/^checkSessionIo: graph \('tracker'\) must be one of 'encoder', 'decoder': d4rt-tiny's manifest has no tracker graph$/);
  });
});
