/**
 * The model format `d4rt-model/1`: a folder (or URL prefix) with `manifest.json`, `encoder.onnx`
 * and `decoder.onnx` (and optionally a K/V graph, `kv.onnx`, and a tracking decoder,
 * `tracker.onnx`). {@link parseManifest} checks a
 * manifest's JSON; {@link checkSessionIo} checks that loaded sessions have the inputs and outputs
 * the manifest promises.
 *
 * @module
 */
import { UnsupportedModelError, describeValue } from './errors.js';

/** The manifest format this SDK reads. */
export const MANIFEST_FORMAT = 'd4rt-model/1';

/** A tensor dimension: a number, or a symbolic name (e.g. `'Q'`, the query count). */
export type Dim = number | string;

/** Element type and shape of one model input or output. */
export interface TensorSpec {
  /** `'float32'` or `'int64'`. */
  dtype: 'float32' | 'int64';
  /** Shape; strings are symbolic dimensions. */
  shape: Dim[];
}

/**
 * How core decodes a decoder output (`heads.ts` holds the one table of them):
 * `'log-depth'` and `'direct'` for `xyz`; `'truncated-soft-argmax'` and `'direct'` for `uv`;
 * `'sigmoid'` for `visibility` and `confidence`; `'normalize'` for `normal`; `'direct'` for
 * `displacement`.
 */
export type HeadDecode = 'log-depth' | 'direct' | 'truncated-soft-argmax' | 'sigmoid' | 'normalize';

/** How source frames are resized to the clip size (see `preprocess.ts`). */
export type ClipResize = 'bilinear-align-corners-box' | 'opencv-area-linear';

/** A decoder output with its parameterisation. */
export interface DecoderOutputSpec extends TensorSpec {
  /** How core decodes it. */
  decode: HeadDecode;
  /** `truncated-soft-argmax`: number of bins per axis. */
  bins?: number;
  /** `truncated-soft-argmax`: the value range of the bin centres (first and last centre). */
  range?: [number, number];
  /** `truncated-soft-argmax`: bins kept on each side of the argmax. */
  window?: number;
}

/**
 * The graphs of a model: always `'encoder'` and `'decoder'`, `'kv'` when the manifest has a K/V
 * graph and `'tracker'` when it has a tracking decoder.
 */
export type ModelGraph = 'encoder' | 'decoder' | 'kv' | 'tracker';

/** The optional graphs, in the order runtimes load them after the encoder and the decoder. */
export const OPTIONAL_GRAPHS = ['kv', 'tracker'] as const;

/** The graphs `manifest` names, in the order runtimes make their sessions: encoder, decoder, then {@link OPTIONAL_GRAPHS} it has. */
export function modelGraphs(manifest: Pick<ModelManifest, 'kv' | 'tracker'>): ModelGraph[] {
  return ['encoder', 'decoder', ...OPTIONAL_GRAPHS.filter((g) => manifest[g] !== undefined)];
}

/** How messages name a graph: `'encoder'`, `'decoder'`, `'K/V graph'`, `'tracker'`. */
export function graphLabel(graph: ModelGraph): string {
  return graph === 'kv' ? 'K/V graph' : graph;
}

/**
 * The optional K/V graph: `memory` → what the decoder reads of the memory that does not depend on
 * the queries (e.g. the keys and values of each cross-attention block), run once per scene.
 */
export interface KvGraphSpec {
  /** Exactly `memory`, as the encoder outputs it. */
  inputs: Record<'memory', TensorSpec>;
  /** One or more float32 tensors of fixed shape, by name; each is also a decoder input with the same spec. */
  outputs: Record<string, TensorSpec>;
}

/** The heads every decoder answers (and the tracker, per frame): `xyz`, `uv`, `visibility`, `confidence`. */
export type HeadOutputs = Record<'xyz' | 'uv' | 'visibility' | 'confidence', DecoderOutputSpec>;

/**
 * The optional tracking decoder ("tracker", VGGTracker-style): a whole trajectory per query point
 * `(u, v, tSrc)` at once, for all `T` frames, the points of one run attending to each other.
 * Inputs: `memory` `[1, tokens, channels]` (the encoder's), `layers` (the encoder's `layers`
 * output, same spec), `coords` float32 `[1, N, 2]` (`(u, v)` in [0, 1] in the source frame) and
 * `frames` int64 `[1, N]` (each point's source frame); `N` is symbolic. Outputs for every model
 * frame `t`: `xyz` `[1, T, N, 3]` (the point at frame `t` in camera `t`), `uv` `[1, T, N, 2, bins]`
 * (or `[1, T, N, 2]` with `'direct'`), `visibility` and `confidence` `[1, T, N]`, decoded per
 * `(t, n)` as the decoder's outputs of the same name ({@link HeadDecode}).
 */
export interface TrackerGraphSpec {
  inputs: Record<'memory' | 'layers' | 'coords' | 'frames', TensorSpec>;
  outputs: HeadOutputs;
}

/**
 * The decoder's inputs: `coords`, `times`, `patches`, and `memory` (a model without a K/V graph
 * always takes it; with one, only when its decoder still reads the memory), plus every output of
 * the K/V graph by name.
 */
export type DecoderInputSpecs = Record<'coords' | 'times' | 'patches', TensorSpec> & Partial<Record<string, TensorSpec>>;

/** A file's SHA-256 and size, as the manifest's `hashes` give them. */
export interface ModelFileDigest {
  /** SHA-256 of the file's bytes, 64 lower-case hex digits. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
}

/** A parsed and checked `manifest.json`. */
export interface ModelManifest {
  /** Always {@link MANIFEST_FORMAT}. */
  format: typeof MANIFEST_FORMAT;
  /** Model name, e.g. `'d4rt-tiny'`. */
  name: string;
  /**
   * File names of the ONNX graphs, relative to the manifest (`kv` exactly when the manifest has a
   * {@link ModelManifest.kv} section, `tracker` exactly when it has a {@link ModelManifest.tracker}
   * section), and (optional) the external data files of each graph:
   * weights kept beside a graph that passes protobuf's 2 GB, named as the graph names them (plain
   * file names in the same folder).
   */
  files: { encoder: string; decoder: string; kv?: string; tracker?: string; externalData?: Partial<Record<ModelGraph, string[]>> };
  /**
   * SHA-256 and size of each graph file (optional; manifests written before it have none; `kv`
   * and `tracker` required with it when there is such a graph), and of each external data file by name. Loaders
   * check the bytes against it, and the browser caches a graph under its hash.
   */
  hashes?: { encoder: ModelFileDigest; decoder: ModelFileDigest; kv?: ModelFileDigest; tracker?: ModelFileDigest; externalData?: Record<string, ModelFileDigest> };
  /**
   * Clip the encoder takes: `frames` (T) of `height` x `width`, how source frames are picked and
   * resized, and (optional) what the encoder's `aspect` input is: `'source'` (the source video's
   * width / height, the default) or `'clip'` (`width / height` of the clip).
   */
  clip: { frames: number; height: number; width: number; frameSelection: 'round-linspace'; resize: ClipResize; aspect?: 'source' | 'clip' };
  /** Pixel normalisation: `(rgb * scale - mean[c]) / std[c]`. */
  normalization: { scale: number; mean: [number, number, number]; std: [number, number, number] };
  /** Token memory shape `[tokens, channels]`. */
  memory: { tokens: number; channels: number };
  /** Query patch: `size` x `size` RGB around (u, v), sampled from the normalised frame at `height` x `width`, channel-major. */
  patch: { size: number; height: number; width: number; layout: 'chw'; values: 'normalized' };
  /**
   * Encoder graph: inputs `video`, `aspect`; output `memory`, and optionally `layers`
   * `[1, L, 1 + tubelets, channels]` (the token sequences after `L` of its blocks, which the
   * tracker reads; required with a {@link ModelManifest.tracker}).
   */
  encoder: { inputs: Record<'video' | 'aspect', TensorSpec>; outputs: Record<'memory', TensorSpec> & Partial<Record<'layers', TensorSpec>> };
  /**
   * The K/V graph (optional): `memory` → tensors the decoder takes instead of recomputing them from
   * the memory for every chunk of queries. Core runs it once per scene, at `encode`.
   */
  kv?: KvGraphSpec;
  /**
   * Decoder graph: inputs `coords`, `times`, `patches`, `memory` (optional with a K/V graph) and
   * the K/V graph's outputs; outputs `xyz`, `uv`, `visibility`, `confidence`, and optionally
   * `normal` and `displacement`.
   */
  decoder: {
    inputs: DecoderInputSpecs;
    outputs: HeadOutputs & Partial<Record<'normal' | 'displacement', DecoderOutputSpec>>;
  };
  /**
   * The tracking decoder (optional): whole trajectories of query points at once, the points of a
   * run interacting (`Scene.track` with `decoder: 'tracker'`).
   */
  tracker?: TrackerGraphSpec;
  /**
   * How `Scene.cameras` estimates cameras for this model (optional; without it the SDK's own
   * method): `'opend4rt'` is OpenD4RT's post-processing on a `grid` x `grid` uv grid.
   */
  cameras?: { recipe: 'opend4rt'; grid: number };
  /** Free-form training configuration (not read by the SDK). */
  config?: Record<string, unknown>;
  /** Free-form information (parameters, training steps, ...). */
  info?: Record<string, unknown>;
}

const fail = (path: string, value: unknown, allowed: string): never => {
  throw new UnsupportedModelError(`parseManifest: ${path} (${describeValue(value)}) must be ${allowed}`);
};

function obj(path: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, v, 'an object');
  return v as Record<string, unknown>;
}

function int(path: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(path, v, `an integer >= ${min}`);
  return v as number;
}

function num(path: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) fail(path, v, positive ? 'a finite number > 0' : 'a finite number');
  return v as number;
}

function str(path: string, v: unknown, allowed?: readonly string[]): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, v, 'a non-empty string');
  if (allowed && !allowed.includes(v as string)) fail(path, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return v as string;
}

function triple(path: string, v: unknown, positive: boolean): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) fail(path, v, 'an array of 3 numbers');
  const a = v as unknown[];
  return [num(`${path}[0]`, a[0], positive), num(`${path}[1]`, a[1], positive), num(`${path}[2]`, a[2], positive)];
}

function spec(path: string, v: unknown, expected: TensorSpec): TensorSpec {
  const o = obj(path, v);
  const dtype = str(`${path}.dtype`, o.dtype, [expected.dtype]) as TensorSpec['dtype'];
  if (!Array.isArray(o.shape) || o.shape.length !== expected.shape.length) {
    fail(`${path}.shape`, o.shape, `an array of ${expected.shape.length} dimensions like [${expected.shape.join(', ')}]`);
  }
  const shape = (o.shape as unknown[]).map((d, i) => {
    const want = expected.shape[i]!;
    if (typeof want === 'string') {
      if (typeof d !== 'string') fail(`${path}.shape[${i}]`, d, `the symbolic dimension '${want}'`);
      return d as string;
    }
    if (d !== want) fail(`${path}.shape[${i}]`, d, `${want}`);
    return d as number;
  });
  return { dtype, shape };
}

/**
 * Parses and checks a `manifest.json` (already JSON-parsed) against the `d4rt-model/1` format:
 * the format version, every section, and that the tensor shapes agree with each other (memory
 * shape, patch size, clip size).
 *
 * @param json - the parsed JSON
 * @returns a new {@link ModelManifest} (a checked copy; unknown extra keys are dropped except `config` and `info`; `hashes` is kept when present)
 * @throws {@link UnsupportedModelError} naming the first field that is missing or wrong and what is allowed
 */
export function parseManifest(json: unknown): ModelManifest {
  const m = obj('manifest', json);
  if (m.format !== MANIFEST_FORMAT) fail('manifest.format', m.format, `'${MANIFEST_FORMAT}' (this SDK reads only that format version)`);
  const name = str('manifest.name', m.name);
  const files = obj('manifest.files', m.files);
  const clipJ = obj('manifest.clip', m.clip);
  const T = int('manifest.clip.frames', clipJ.frames);
  const H = int('manifest.clip.height', clipJ.height, 2);
  const W = int('manifest.clip.width', clipJ.width, 2);
  const clip = {
    frames: T,
    height: H,
    width: W,
    frameSelection: str('manifest.clip.frameSelection', clipJ.frameSelection, ['round-linspace']) as 'round-linspace',
    resize: str('manifest.clip.resize', clipJ.resize, ['bilinear-align-corners-box', 'opencv-area-linear']) as ClipResize,
    ...(clipJ.aspect !== undefined && { aspect: str('manifest.clip.aspect', clipJ.aspect, ['source', 'clip']) as 'source' | 'clip' }),
  };
  const normJ = obj('manifest.normalization', m.normalization);
  const normalization = {
    scale: num('manifest.normalization.scale', normJ.scale, true),
    mean: triple('manifest.normalization.mean', normJ.mean, false),
    std: triple('manifest.normalization.std', normJ.std, true),
  };
  const memJ = obj('manifest.memory', m.memory);
  const memory = { tokens: int('manifest.memory.tokens', memJ.tokens), channels: int('manifest.memory.channels', memJ.channels) };
  const patchJ = obj('manifest.patch', m.patch);
  const p = int('manifest.patch.size', patchJ.size);
  const patch = {
    size: p,
    height: int('manifest.patch.height', patchJ.height, 2),
    width: int('manifest.patch.width', patchJ.width, 2),
    layout: str('manifest.patch.layout', patchJ.layout, ['chw']) as 'chw',
    values: str('manifest.patch.values', patchJ.values, ['normalized']) as 'normalized',
  };
  if (patch.height !== H || patch.width !== W) {
    fail('manifest.patch.height x width', `${patch.height}x${patch.width}`, `the clip size ${H}x${W} (patches are sampled from the encoder's frames)`);
  }
  const enc = obj('manifest.encoder', m.encoder);
  const encIn = obj('manifest.encoder.inputs', enc.inputs);
  const encOut = obj('manifest.encoder.outputs', enc.outputs);
  const memShape = [1, memory.tokens, memory.channels];
  const encoder = {
    inputs: {
      video: spec('manifest.encoder.inputs.video', encIn.video, { dtype: 'float32', shape: [1, T, 3, H, W] }),
      aspect: spec('manifest.encoder.inputs.aspect', encIn.aspect, { dtype: 'float32', shape: [1] }),
    },
    outputs: {
      memory: spec('manifest.encoder.outputs.memory', encOut.memory, { dtype: 'float32', shape: memShape }),
      ...(encOut.layers !== undefined && { layers: layersSpec(encOut.layers, memory.channels) }),
    },
  };
  const kv = m.kv === undefined ? undefined : kvGraph(m.kv, memShape);
  if (kv === undefined && files.kv !== undefined) fail('manifest.kv', m.kv, 'an object (manifest.files.kv names a K/V graph)');
  const dec = obj('manifest.decoder', m.decoder);
  const decIn = obj('manifest.decoder.inputs', dec.inputs);
  const decOut = obj('manifest.decoder.outputs', dec.outputs);
  const inputs: DecoderInputSpecs = {
    // with a K/V graph the decoder may read the memory no more
    ...((kv === undefined || decIn.memory !== undefined) && { memory: spec('manifest.decoder.inputs.memory', decIn.memory, { dtype: 'float32', shape: memShape }) }),
    coords: spec('manifest.decoder.inputs.coords', decIn.coords, { dtype: 'float32', shape: [1, 'Q', 2] }),
    times: spec('manifest.decoder.inputs.times', decIn.times, { dtype: 'int64', shape: [1, 'Q', 3] }),
    patches: spec('manifest.decoder.inputs.patches', decIn.patches, { dtype: 'float32', shape: [1, 'Q', 3 * p * p] }),
  };
  for (const [name, want] of Object.entries(kv?.outputs ?? {})) {
    const path = `manifest.decoder.inputs.${name}`;
    if (decIn[name] === undefined) fail(path, undefined, `the K/V graph's output '${name}' (${want.dtype} [${want.shape.join(', ')}]): the decoder takes every one`);
    inputs[name] = spec(path, decIn[name], want);
  }
  const outputs: ModelManifest['decoder']['outputs'] = headOutputs('manifest.decoder.outputs', decOut, [1, 'Q']);
  if (decOut.normal !== undefined) outputs.normal = decoderOutput('manifest.decoder.outputs.normal', decOut.normal, [1, 'Q', 3], ['normalize']);
  if (decOut.displacement !== undefined) outputs.displacement = decoderOutput('manifest.decoder.outputs.displacement', decOut.displacement, [1, 'Q', 3], ['direct']);
  const tracker = m.tracker === undefined ? undefined : trackerGraph(m.tracker, { memShape, layers: encoder.outputs.layers, T });
  if (tracker === undefined && files.tracker !== undefined) fail('manifest.tracker', m.tracker, 'an object (manifest.files.tracker names a tracker graph)');
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    name,
    files: {
      encoder: str('manifest.files.encoder', files.encoder),
      decoder: str('manifest.files.decoder', files.decoder),
      ...(kv !== undefined && { kv: str('manifest.files.kv', files.kv) }),
      ...(tracker !== undefined && { tracker: str('manifest.files.tracker', files.tracker) }),
    },
    clip,
    normalization,
    memory,
    patch,
    encoder,
    ...(kv !== undefined && { kv }),
    decoder: { inputs, outputs },
    ...(tracker !== undefined && { tracker }),
  };
  if (files.externalData !== undefined) {
    const ext = obj('manifest.files.externalData', files.externalData);
    const lists: Partial<Record<ModelGraph, string[]>> = {};
    for (const role of ['encoder', 'decoder', ...OPTIONAL_GRAPHS] as const) {
      if (ext[role] === undefined) continue;
      if (role === 'kv' && kv === undefined) fail('manifest.files.externalData.kv', ext[role], 'left out: the manifest has no K/V graph');
      if (role === 'tracker' && tracker === undefined) fail('manifest.files.externalData.tracker', ext[role], 'left out: the manifest has no tracker graph');
      lists[role] = fileNames(`manifest.files.externalData.${role}`, ext[role]);
    }
    manifest.files.externalData = lists;
  }
  if (m.hashes !== undefined) {
    const hashes = obj('manifest.hashes', m.hashes);
    manifest.hashes = { encoder: digest('manifest.hashes.encoder', hashes.encoder), decoder: digest('manifest.hashes.decoder', hashes.decoder) };
    if (kv !== undefined) manifest.hashes.kv = digest('manifest.hashes.kv', hashes.kv);
    if (tracker !== undefined) manifest.hashes.tracker = digest('manifest.hashes.tracker', hashes.tracker);
    if (hashes.externalData !== undefined) {
      const ext = obj('manifest.hashes.externalData', hashes.externalData);
      manifest.hashes.externalData = Object.fromEntries(Object.entries(ext).map(([k, v]) => [k, digest(`manifest.hashes.externalData.${k}`, v)]));
    }
  }
  if (m.cameras !== undefined) {
    const cam = obj('manifest.cameras', m.cameras);
    manifest.cameras = { recipe: str('manifest.cameras.recipe', cam.recipe, ['opend4rt']) as 'opend4rt', grid: int('manifest.cameras.grid', cam.grid, 2) };
  }
  if (m.config !== undefined) manifest.config = obj('manifest.config', m.config);
  if (m.info !== undefined) manifest.info = obj('manifest.info', m.info);
  return manifest;
}

/** Names the decoder takes for itself: a K/V output may not use them. */
const QUERY_INPUTS: readonly string[] = ['memory', 'coords', 'times', 'patches'];

/** The `kv` section: `memory` in, one or more float32 outputs of fixed shape. */
function kvGraph(v: unknown, memShape: Dim[]): KvGraphSpec {
  const o = obj('manifest.kv', v);
  const inJ = obj('manifest.kv.inputs', o.inputs);
  const inputs = { memory: spec('manifest.kv.inputs.memory', inJ.memory, { dtype: 'float32', shape: memShape }) };
  const outJ = obj('manifest.kv.outputs', o.outputs);
  if (Object.keys(outJ).length === 0) fail('manifest.kv.outputs', outJ, 'an object with at least one output');
  const outputs: Record<string, TensorSpec> = {};
  for (const [name, t] of Object.entries(outJ)) {
    const path = `manifest.kv.outputs.${name}`;
    if (QUERY_INPUTS.includes(name)) fail(path, t, `named other than ${QUERY_INPUTS.map((n) => `'${n}'`).join(', ')} (the decoder's own inputs)`);
    const tj = obj(path, t);
    const dtype = str(`${path}.dtype`, tj.dtype, ['float32']) as 'float32';
    if (!Array.isArray(tj.shape) || tj.shape.length === 0) fail(`${path}.shape`, tj.shape, 'a non-empty array of fixed dimensions (integers >= 1)');
    outputs[name] = { dtype, shape: (tj.shape as unknown[]).map((d, i) => int(`${path}.shape[${i}]`, d)) };
  }
  return { inputs, outputs };
}

/** The encoder's `layers` output: float32 `[1, L, 1 + tubelets, channels]`, `L` >= 1 and at least one token. */
function layersSpec(v: unknown, channels: number): TensorSpec {
  const path = 'manifest.encoder.outputs.layers';
  const o = obj(path, v);
  const dtype = str(`${path}.dtype`, o.dtype, ['float32']) as 'float32';
  if (!Array.isArray(o.shape) || o.shape.length !== 4) fail(`${path}.shape`, o.shape, `an array of 4 dimensions like [1, L, 1 + tubelets, ${channels}]`);
  const d = o.shape as unknown[];
  if (d[0] !== 1) fail(`${path}.shape[0]`, d[0], '1');
  const layers = int(`${path}.shape[1]`, d[1]);
  const tokens = int(`${path}.shape[2]`, d[2]);
  if (d[3] !== channels) fail(`${path}.shape[3]`, d[3], `${channels} (manifest.memory.channels)`);
  return { dtype, shape: [1, layers, tokens, channels] };
}

/** Names the tracker takes (exactly these). */
const TRACKER_INPUTS = ['memory', 'layers', 'coords', 'frames'] as const;

/** The `tracker` section: `memory`, `layers` (the encoder's), `coords`, `frames` in; the four heads per frame out. */
function trackerGraph(v: unknown, ctx: { memShape: Dim[]; layers: TensorSpec | undefined; T: number }): TrackerGraphSpec {
  const o = obj('manifest.tracker', v);
  if (ctx.layers === undefined) {
    fail('manifest.encoder.outputs.layers', undefined, "an object like { \"dtype\": \"float32\", \"shape\": [1, L, 1 + tubelets, channels] }: the tracker (manifest.tracker) reads the encoder's layers");
  }
  const inJ = obj('manifest.tracker.inputs', o.inputs);
  for (const name of Object.keys(inJ)) {
    if (!(TRACKER_INPUTS as readonly string[]).includes(name)) fail(`manifest.tracker.inputs.${name}`, inJ[name], `left out: the tracker takes exactly ${TRACKER_INPUTS.map((n) => `'${n}'`).join(', ')}`);
  }
  const inputs = {
    memory: spec('manifest.tracker.inputs.memory', inJ.memory, { dtype: 'float32', shape: ctx.memShape }),
    layers: spec('manifest.tracker.inputs.layers', inJ.layers, ctx.layers!),
    coords: spec('manifest.tracker.inputs.coords', inJ.coords, { dtype: 'float32', shape: [1, 'N', 2] }),
    frames: spec('manifest.tracker.inputs.frames', inJ.frames, { dtype: 'int64', shape: [1, 'N'] }),
  };
  const outputs = headOutputs('manifest.tracker.outputs', obj('manifest.tracker.outputs', o.outputs), [1, ctx.T, 'N']);
  return { inputs, outputs };
}

function digest(path: string, v: unknown): ModelFileDigest {
  const o = obj(path, v);
  const sha256 = o.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) fail(`${path}.sha256`, sha256, "the file's SHA-256 as 64 lower-case hex digits");
  return { sha256: sha256 as string, bytes: int(`${path}.bytes`, o.bytes) };
}

function decoderOutput(path: string, v: unknown, shape: Dim[], decodes: readonly HeadDecode[]): DecoderOutputSpec {
  const s = spec(path, v, { dtype: 'float32', shape });
  const decode = str(`${path}.decode`, obj(path, v).decode, decodes) as HeadDecode;
  return { ...s, decode };
}

/**
 * The four heads of a decoder (`lead` = `[1, 'Q']`) or of the tracker (`[1, T, 'N']`), each with
 * the decodes the format allows for it: `xyz` `[...lead, 3]` log-depth or direct; `uv` binned
 * `[...lead, 2, bins]` or direct `[...lead, 2]`; `visibility` and `confidence` `[...lead]` sigmoid.
 */
function headOutputs(path: string, outJ: Record<string, unknown>, lead: Dim[]): HeadOutputs {
  const uvJ = obj(`${path}.uv`, outJ.uv);
  return {
    xyz: decoderOutput(`${path}.xyz`, outJ.xyz, [...lead, 3], ['log-depth', 'direct']),
    uv: uvJ.decode === 'direct' ? decoderOutput(`${path}.uv`, uvJ, [...lead, 2], ['direct']) : binnedUv(`${path}.uv`, uvJ, lead),
    visibility: decoderOutput(`${path}.visibility`, outJ.visibility, lead, ['sigmoid']),
    confidence: decoderOutput(`${path}.confidence`, outJ.confidence, lead, ['sigmoid']),
  };
}

/** `uv` as per-axis logits over bins: `[...lead, 2, bins]` with `bins`, `range` and `window`. */
function binnedUv(path: string, uvJ: Record<string, unknown>, lead: Dim[]): DecoderOutputSpec {
  const bins = int(`${path}.bins`, uvJ.bins, 2);
  const uv = decoderOutput(path, uvJ, [...lead, 2, bins], ['truncated-soft-argmax', 'direct']);
  const range = uvJ.range;
  if (!Array.isArray(range) || range.length !== 2) fail(`${path}.range`, range, 'an array [first, last] of bin centres');
  uv.bins = bins;
  uv.range = [num(`${path}.range[0]`, (range as unknown[])[0]), num(`${path}.range[1]`, (range as unknown[])[1])];
  uv.window = int(`${path}.window`, uvJ.window, 0);
  return uv;
}

/** A list of plain file names (in the manifest's folder: no path separators, not `.` or `..`). */
function fileNames(path: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(path, v, 'a non-empty array of file names');
  return (v as unknown[]).map((f, i) => {
    const name = str(`${path}[${i}]`, f);
    if (/[\\/]/.test(name) || name === '.' || name === '..') fail(`${path}[${i}]`, name, "a plain file name in the manifest's folder");
    return name;
  });
}

/** What a loaded session says about its inputs and outputs (a subset of onnxruntime's metadata). */
export interface SessionIo {
  /** Input names in graph order. */
  readonly inputNames: readonly string[];
  /** Output names in graph order. */
  readonly outputNames: readonly string[];
  /** Per-input element type and shape, when the runtime reports them. */
  readonly inputMetadata?: readonly TensorMetadata[];
  /** Per-output element type and shape, when the runtime reports them. */
  readonly outputMetadata?: readonly TensorMetadata[];
}

/** Element type and shape of one input or output as a runtime reports it (symbolic dims are strings). */
export interface TensorMetadata {
  readonly name: string;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/**
 * Checks that a loaded graph has every input and output the manifest names, with the manifest's
 * element types and fixed dimensions (symbolic ones match any size).
 *
 * @param manifest - the checked manifest
 * @param graph - `'encoder'`, `'decoder'`, or a graph the manifest has (`'kv'`, `'tracker'`)
 * @param io - the session's names and metadata
 * @throws {@link UnsupportedModelError} naming the graph, the tensor, what the manifest expects and what the graph has;
 *   RangeError for `'kv'` or `'tracker'` when the manifest has no such graph
 */
export function checkSessionIo(manifest: ModelManifest, graph: ModelGraph, io: SessionIo): void {
  const section = manifest[graph];
  if (section === undefined) {
    throw new RangeError(`checkSessionIo: graph ('${graph}') must be one of ${modelGraphs(manifest).map((g) => `'${g}'`).join(', ')}: ${manifest.name}'s manifest has no ${graphLabel(graph)}${graph === 'tracker' ? ' graph' : ''}`);
  }
  const label = graph === 'tracker' ? 'tracker graph' : graphLabel(graph);
  for (const [kind, specs, names, meta] of [
    ['input', section.inputs, io.inputNames, io.inputMetadata],
    ['output', section.outputs, io.outputNames, io.outputMetadata],
  ] as const) {
    for (const [name, want] of Object.entries(specs as Record<string, TensorSpec>)) {
      if (!names.includes(name)) {
        throw new UnsupportedModelError(
          `${manifest.name}/${manifest.files[graph]}: the ${label} has no ${kind} '${name}' (the manifest expects ${want.dtype} [${want.shape.join(', ')}]); its ${kind}s are ${names.map((n) => `'${n}'`).join(', ') || 'none'}`,
        );
      }
      const got = meta?.find((m) => m.name === name);
      if (!got) continue;
      if (got.type !== undefined && got.type !== want.dtype) {
        throw new UnsupportedModelError(`${manifest.name}/${manifest.files[graph]}: ${label} ${kind} '${name}' is ${got.type}; the manifest expects ${want.dtype}`);
      }
      const shape = got.shape;
      if (shape === undefined || shape.length === 0) continue;
      const bad =
        shape.length !== want.shape.length ||
        want.shape.some((d, i) => typeof d === 'number' && typeof shape[i] === 'number' && shape[i] !== d);
      if (bad) {
        throw new UnsupportedModelError(
          `${manifest.name}/${manifest.files[graph]}: ${label} ${kind} '${name}' has shape [${shape.join(', ')}]; the manifest expects [${want.shape.join(', ')}]`,
        );
      }
    }
  }
}
