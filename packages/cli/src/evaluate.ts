/**
 * Evaluation of a model on a ground-truth sequence, with the same protocols as training
 * (`training/d4rt_train/evaluate.py`), so the SDK reproduces training's numbers.
 *
 * Evaluated frames: the source frames when the sequence has at most T of them (each through the
 * first model frame showing it), else the T source frames the model picked.
 *
 * - `'fixture'` protocol (`d4rt-fixture-eval/1`, for `d4rt-clip/1` clips with exact ground truth):
 *   depth on the full source-resolution pixel grid, one query per pixel as training (or, with
 *   `upsample`, `Scene.depth`'s grid of the model's size upsampled); camera-frame 3D tracks of the clip's tracks
 *   (TAPVid-3D with the intrinsics of the first frame); poses; focal error of the first frame.
 * - `'real'` protocol (datasets: pi3-room, Open3D RGB-D, TUM RGB-D, Sintel, TAPVid-3D, images +
 *   poses): depth on the model's `H x W` grid against the nearest ground-truth pixel; poses; focal
 *   error as the median over frames; camera-frame 3D tracks when the sequence has tracks
 *   (TAPVid-3D, thresholds with the tracks' `metricIntrinsics`: tapnet's 256-pixel short side).
 * A metric whose ground truth the sequence lacks is NaN (see {@link EvalSequence}).
 *
 * Depth: AbsRel and delta < 1.25 after one median scale per sequence (`depthMetrics`); poses: ATE
 * and RPE after a Sim(3) fit of the camera centres (`trajectoryMetrics`); focal error
 * `mean(|fx - fx_gt| / fx_gt, |fy - fy_gt| / fy_gt)`.
 *
 * Baselines ({@link EvalBaselines}), on the same frames with the same metric code:
 * - `constant`: depth 1 everywhere;
 * - `ramp`: depth `exp(-RAMP_K v)`, `v` the normalised row of each depth query (the `v` the model is
 *   queried with), {@link RAMP_K} fitted on training clips: the input-free layout of a room;
 * - `prior`: the model on {@link blankVideo} (every RGB byte 128, same frames and size) asked the
 *   same queries, every metric: what the model answers without seeing the input;
 * - `static`: points that never move (always visible); `identity`: identity poses; `fov60`: a 60
 *   degree horizontal field of view.
 *
 * `inputDependence`: the Pearson correlation between `log(model depth) - log(prior depth)` and
 * `log(gt depth)`, pooled over the sequence's depth samples where gt > 0 and both predictions are
 * finite and > 0 (0 when the model answers exactly its prior; near 0 when what it adds to the prior
 * does not follow the scene).
 *
 * @module
 */
import { depthMetrics, pearsonCorrelation, tapVid3dMetrics, trajectoryMetrics, type Intrinsics } from '@d4rt/geometry';
import { medianInPlace } from '@d4rt/geometry/select';
import { mat4 } from 'gl-matrix';
import {
  gridUv,
  type Cameras,
  type D4rtModel,
  type DepthMaps,
  type GroundTruthSequence,
  type GroundTruthTracks,
  type ProgressCallback,
  type Scene,
  type TrackPoints,
  type Tracks,
  type UpsampleMode,
  type VideoFrames,
} from '@d4rt/runtime-node';

/**
 * What the evaluation reads of a `GroundTruthSequence` (`@d4rt/runtime-node`'s dataset readers).
 * Without `depth`, the depth metrics (and the constant, ramp and inputDependence numbers) are NaN;
 * without `cameraToWorld`, the pose metrics and the identity baseline; without `intrinsics`, the
 * focal error and the fov60 baseline; without `tracks`, the track metrics and the static baseline.
 */
export type EvalSequence = Pick<GroundTruthSequence, 'name' | 'video' | 'depth' | 'intrinsics' | 'cameraToWorld'> & {
  tracks?: Pick<GroundTruthTracks, 'count' | 'query' | 'xyzCamera' | 'visible' | 'metricIntrinsics'>;
};

/** The metrics of one run (NaN where a metric does not apply). */
export interface EvalMetrics {
  absRel: number;
  delta1: number;
  apd3d: number;
  aj: number;
  oa: number;
  ate: number;
  rpeTrans: number;
  rpeRot: number;
  focalErr: number;
}

/** Each trivial baseline with the metrics it answers (see the module notes). */
export interface EvalBaselines {
  /** Depth 1 everywhere. */
  constant: Pick<EvalMetrics, 'absRel' | 'delta1'>;
  /** Depth `exp(-RAMP_K v)`. */
  ramp: Pick<EvalMetrics, 'absRel' | 'delta1'>;
  /** The model on a blank video (NaN when not run). */
  prior: EvalMetrics;
  /** Points that never move, always visible (NaN without tracks). */
  static: Pick<EvalMetrics, 'apd3d' | 'aj' | 'oa'>;
  /** Identity poses. */
  identity: Pick<EvalMetrics, 'ate' | 'rpeTrans' | 'rpeRot'>;
  /** fx = fy = W / 2 / tan(30 deg). */
  fov60: Pick<EvalMetrics, 'focalErr'>;
}

/** Result of {@link evaluateSequence}. */
export interface EvalResult {
  name: string;
  protocol: 'fixture' | 'real';
  frames: number;
  model: EvalMetrics;
  /** The combined baseline row: constant + static + identity + fov60. */
  baseline: EvalMetrics;
  baselines: EvalBaselines;
  /** Correlation of log(model / prior depth) with log gt depth (NaN without the prior). */
  inputDependence: number;
}

/** Metric keys in table order. */
export const METRIC_KEYS: readonly (keyof EvalMetrics)[] = ['absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr'];

/** The metric keys of each baseline, in table order (the keys training's `BASELINE_KEYS` has). */
export const BASELINE_KEYS: { readonly [B in keyof EvalBaselines]: readonly (keyof EvalBaselines[B])[] } = {
  constant: ['absRel', 'delta1'],
  ramp: ['absRel', 'delta1'],
  prior: METRIC_KEYS,
  static: ['apd3d', 'aj', 'oa'],
  identity: ['ate', 'rpeTrans', 'rpeRot'],
  fov60: ['focalErr'],
};

/**
 * Slope of the ramp baseline, depth = `exp(-RAMP_K v)`: the least-squares slope of the mean row
 * profile of log depth over training clips, fitted by `training/tools/fit_ramp.py` (-0.716);
 * `training/d4rt_train/evaluate.py` has the same constant.
 */
export const RAMP_K = 0.716;

/** The byte every RGB channel of {@link blankVideo} holds. */
export const BLANK_BYTE = 128;

/**
 * The prior baseline's input: a video of the same frames, size, fps and source indices as `video`
 * with every RGB byte {@link BLANK_BYTE}.
 * @returns a new {@link VideoFrames} (fresh arrays)
 */
export function blankVideo(video: VideoFrames): VideoFrames {
  return {
    data: new Uint8Array(video.frames * video.height * video.width * 3).fill(BLANK_BYTE),
    frames: video.frames,
    width: video.width,
    height: video.height,
    ...(video.fps !== undefined && { fps: video.fps }),
    ...(video.sourceIndices && { sourceIndices: video.sourceIndices.slice() }),
    ...(video.sourceFrames !== undefined && { sourceFrames: video.sourceFrames }),
  };
}

const NO_METRICS: EvalMetrics = Object.freeze({
  absRel: Number.NaN, delta1: Number.NaN, apd3d: Number.NaN, aj: Number.NaN, oa: Number.NaN,
  ate: Number.NaN, rpeTrans: Number.NaN, rpeRot: Number.NaN, focalErr: Number.NaN,
});

const focalErr = (f: Pick<Intrinsics, 'fx' | 'fy'>, g: Pick<Intrinsics, 'fx' | 'fy'>): number =>
  (Math.abs(f.fx - g.fx) / g.fx + Math.abs(f.fy - g.fy) / g.fy) / 2;

/** Round half to even, as NumPy's `rint`. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source frame and model frame of each evaluated frame (see the module notes). */
export function evaluatedFrames(scene: Pick<Scene, 'frames' | 'sourceIndices' | 'frameOfSource'>, sourceFrames: number): { source: number[]; model: number[] } {
  if (sourceFrames <= scene.frames) {
    const source = Array.from({ length: sourceFrames }, (_, i) => i);
    return { source, model: source.map((i) => scene.frameOfSource(i)) };
  }
  const model = Array.from({ length: scene.frames }, (_, k) => k);
  return { source: model.map((k) => scene.sourceIndices[k]!), model };
}

/**
 * Encodes `seq.video` with `model` (and, unless `prior: false`, a blank video of the same size for
 * the prior baseline) and computes the model's and the baselines' metrics.
 * @param model - a loaded model
 * @param seq - the sequence and its ground truth
 * @param options - `protocol` (default `'fixture'` when the sequence has tracks and depth, else `'real'`), `prior`, `chunkSize`, `onProgress`, `signal`
 * @returns a new {@link EvalResult}
 * @throws `signal.reason` when `signal` aborts (scenes are disposed)
 */
export async function evaluateSequence(model: D4rtModel, seq: EvalSequence, options: EvalOptions = {}): Promise<EvalResult> {
  const { prior = true, onOutputs, ...rest } = options;
  const enc = { ...(options.onProgress && { onProgress: options.onProgress }), ...(options.signal && { signal: options.signal }) };
  const scene = await model.encode(seq.video, enc);
  try {
    const priorScene = prior ? await model.encode(blankVideo(seq.video), enc) : undefined;
    try {
      const outputs = await evaluateScene(scene, seq, { ...rest, ...(priorScene && { priorScene }) });
      await onOutputs?.(outputs, scene);
      return outputs.result;
    } finally {
      priorScene?.dispose();
    }
  } finally {
    scene.dispose();
  }
}

/** Options of {@link evaluateSequence}. */
export interface EvalOptions {
  /** Default `'fixture'` when the sequence has tracks and depth (a d4rt-clip/1 clip), else `'real'`. */
  protocol?: 'fixture' | 'real';
  /**
   * Run the prior baseline: one more encode (of {@link blankVideo}) and the model's queries again.
   * Default true; with false, `baselines.prior` and `inputDependence` are NaN.
   */
  prior?: boolean;
  chunkSize?: number;
  /**
   * `Scene.depth`'s `upsample` for the fixture protocol's source-size depth. Default `'none'`: one
   * query per pixel, training's protocol (`Scene.depth`'s own default, `'joint-bilateral'`, moves the
   * prior baseline's delta1 by up to 1.1 % on the held-out fixtures, past the 1 % this evaluation
   * reproduces training within).
   */
  upsample?: UpsampleMode;
  /**
   * `Scene.track`'s `decoder` for the fixture protocol's tracks (default `'query'`); `'tracker'`
   * needs a model with a tracker graph (a clip's tracks are one set of up to 1024 points per run).
   */
  decoder?: 'query' | 'tracker';
  onProgress?: ProgressCallback;
  /** Cancels the encodes and every scene call; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Called once with the outputs {@link evaluateScene} computed and the model's scene, before the
   * scene is disposed (e.g. to draw them: `d4rt eval --figure`).
   */
  onOutputs?: (outputs: EvalOutputs, scene: Scene) => void | Promise<void>;
}

/** Options of {@link evaluateScene}. */
export interface EvalSceneOptions extends Omit<EvalOptions, 'prior' | 'onOutputs'> {
  /**
   * The same model's scene of {@link blankVideo}`(seq.video)`, for the prior baseline and
   * `inputDependence`; without it they are NaN.
   */
  priorScene?: Scene;
}

/** What {@link evaluateScene} returns: the result and the model's outputs it was computed from. */
export interface EvalOutputs {
  result: EvalResult;
  /** The model's depth maps of the evaluated frames (source size with the fixture protocol, else the model's). */
  depth: DepthMaps;
  cameras: Cameras;
  /** Camera-frame tracks of the clip's tracks, over the T model frames (fixture protocol only). */
  tracks?: Tracks;
  /** The queries of `tracks`. */
  trackPoints?: TrackPoints;
  /**
   * The one median scale per sequence that the depth metric applied to `depth` (aligned depth =
   * `depthScale * depth`).
   */
  depthScale: number;
}

/** The outputs of one scene that the metrics read (and callers may write). */
interface SceneOutputs {
  depth: DepthMaps;
  cameras: Cameras;
  tracks?: Tracks;
}

/**
 * Computes the metrics of an already encoded scene of `seq.video`, and returns the outputs it
 * computed on the way (depth maps of the evaluated frames, cameras, and with the fixture protocol
 * the camera-frame tracks of the clip's tracks), so callers can write them without querying again.
 * With `priorScene`, it asks that scene the same queries for the prior baseline.
 * @throws RangeError when `priorScene` differs from `scene` in frames, size or source frames
 */
export async function evaluateScene(
  scene: Scene,
  seq: EvalSequence,
  options: EvalSceneOptions = {},
): Promise<EvalOutputs> {
  const protocol = options.protocol ?? (seq.tracks && seq.depth ? 'fixture' : 'real');
  const q = { ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }), ...(options.onProgress && { onProgress: options.onProgress }), ...(options.signal && { signal: options.signal }) };
  const { width: Ws, height: Hs } = seq.video;
  const { source, model: frames } = evaluatedFrames(scene, seq.video.frames);
  const n = source.length;
  const plane = Ws * Hs;
  const T = scene.frames;
  const ps = options.priorScene;
  if (ps && (ps.width !== scene.width || ps.height !== scene.height || ps.frames !== T || ps.sourceIndices.some((s, k) => s !== scene.sourceIndices[k]))) {
    throw new RangeError(
      `evaluateScene: options.priorScene (${ps.frames} frames of ${ps.width}x${ps.height}, source frames ${ps.sourceIndices.join(',')}) must be the model's scene of blankVideo(seq.video): ` +
        `${T} frames of ${scene.width}x${scene.height}, source frames ${scene.sourceIndices.join(',')}`,
    );
  }
  // the sequence's track queries: (u, v) in the first model frame showing source frame s
  let trackPoints: TrackPoints | undefined;
  if (seq.tracks) {
    const N = seq.tracks.count;
    const points = { u: new Float32Array(N), v: new Float32Array(N), frame: new Int32Array(N) };
    for (let i = 0; i < N; i++) {
      points.u[i] = seq.tracks.query[3 * i]!;
      points.v[i] = seq.tracks.query[3 * i + 1]!;
      points.frame[i] = scene.frameOfSource(seq.tracks.query[3 * i + 2]!);
    }
    trackPoints = points;
  }
  const run = async (s: Scene): Promise<SceneOutputs> => {
    const depth = protocol === 'fixture' ? await s.depth({ ...q, frames, width: Ws, height: Hs, upsample: options.upsample ?? 'none' }) : await s.depth({ ...q, frames });
    const cameras = await s.cameras(q);
    const tracks = trackPoints && (await s.track(trackPoints, { ...q, frame: 'camera', ...(options.decoder && { decoder: options.decoder }) }));
    return { depth, cameras, ...(tracks && { tracks }) };
  };
  const out = await run(scene);
  const prior = ps && (await run(ps));

  // depth ground truth at each depth sample, and the normalised row v of each sample of a frame
  const d = out.depth;
  const mapSize = d.width * d.height;
  const gtDepth = seq.depth;
  const gt = new Float32Array(gtDepth ? n * mapSize : 0);
  const { u, v } = gridUv(d.width, d.height);
  if (!gtDepth) {
    // no depth ground truth: the depth metrics are NaN
  } else if (protocol === 'fixture') {
    source.forEach((s, i) => gt.set(gtDepth.subarray(s * plane, (s + 1) * plane), i * plane));
  } else {
    // ground truth at the nearest source pixel of each query's (u, v)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < mapSize; j++) {
        gt[i * mapSize + j] = gtDepth[source[i]! * plane + rint(v[j]! * (Hs - 1)) * Ws + rint(u[j]! * (Ws - 1))]!;
      }
    }
  }
  // camera ground truth relative to the first evaluated frame
  const c2w = seq.cameraToWorld;
  // float64 throughout: ground-truth poses keep their precision up to the metric
  const inv0 = c2w && (mat4.invert(new Float64Array(16) as unknown as mat4, c2w[source[0]!]!) as Float64Array | null);
  const gtPoses = c2w && inv0 ? source.map((s) => mat4.multiply(new Float64Array(16) as unknown as mat4, inv0, c2w[s]!) as Float64Array) : undefined;
  // track ground truth of the T model frames, and the points that never move
  let trackTruth: { gxyz: Float32Array; gvis: Uint8Array; still: Float32Array; opts: { frames: number; points: number; intrinsics: Intrinsics } } | undefined;
  if (trackPoints && seq.tracks) {
    const N = seq.tracks.count;
    const gxyz = new Float32Array(T * N * 3);
    const gvis = new Uint8Array(T * N);
    const still = new Float32Array(T * N * 3);
    for (let k = 0; k < T; k++) {
      const s = scene.sourceIndices[k]!;
      gxyz.set(seq.tracks.xyzCamera.subarray(s * N * 3, (s + 1) * N * 3), k * N * 3);
      gvis.set(seq.tracks.visible.subarray(s * N, (s + 1) * N), k * N);
      for (let i = 0; i < N; i++) {
        const s0 = seq.tracks.query[3 * i + 2]!;
        for (let c = 0; c < 3; c++) still[(k * N + i) * 3 + c] = seq.tracks.xyzCamera[(s0 * N + i) * 3 + c]!;
      }
    }
    const intrinsics = seq.tracks.metricIntrinsics ?? seq.intrinsics?.[scene.sourceIndices[0]!];
    if (!intrinsics) throw new RangeError(`evaluateScene: seq.tracks needs seq.intrinsics or seq.tracks.metricIntrinsics for the TAPVid-3D thresholds (${seq.name} has neither)`);
    trackTruth = { gxyz, gvis, still, opts: { frames: T, points: N, intrinsics } };
  }
  const K = seq.intrinsics;
  const focalOf = (f: (gt: Intrinsics, i: number) => number): number =>
    !K
      ? Number.NaN
      : protocol === 'fixture'
        ? f(K[source[0]!]!, 0)
        : medianInPlace(Float64Array.from(source, (s, i) => f(K[s]!, i)), n);
  const NO_DEPTH = { absRel: Number.NaN, delta1: Number.NaN };
  const NO_POSES = { ate: Number.NaN, rpeTranslation: Number.NaN, rpeRotation: Number.NaN };

  let depthScale = Number.NaN;
  /** Every metric of one scene's outputs. */
  const score = (o: SceneOutputs): EvalMetrics => {
    const dm = gtDepth ? depthMetrics(o.depth.data, gt, { alignment: 'median', frames: n }) : undefined;
    if (o === out) depthScale = dm?.alignment?.scale ?? Number.NaN;
    const pm = gtPoses ? poseMetrics(frames.map((k) => o.cameras.cameraToWorld[k]!), gtPoses) : NO_POSES;
    const m: EvalMetrics = {
      ...NO_METRICS,
      absRel: dm?.absRel ?? Number.NaN,
      delta1: dm?.delta1 ?? Number.NaN,
      ate: pm.ate,
      rpeTrans: pm.rpeTranslation,
      rpeRot: pm.rpeRotation,
      focalErr: focalOf((g, i) => focalErr(o.cameras.intrinsics[frames[i]!]!, g)),
    };
    if (trackTruth && o.tracks) {
      const tm = tapVid3dMetrics({ xyz: o.tracks.xyz, visible: o.tracks.visible }, { xyz: trackTruth.gxyz, visible: trackTruth.gvis }, trackTruth.opts);
      Object.assign(m, { apd3d: tm.averagePtsWithin, aj: tm.averageJaccard, oa: tm.occlusionAccuracy });
    }
    return m;
  };

  const model = score(out);
  const dc = gtDepth ? depthMetrics(new Float32Array(gt.length).fill(1), gt, { alignment: 'median', frames: n }) : NO_DEPTH;
  const ramp = new Float64Array(gt.length);
  if (gtDepth) for (let i = 0; i < n; i++) for (let j = 0; j < mapSize; j++) ramp[i * mapSize + j] = Math.exp(-RAMP_K * v[j]!);
  const dr = gtDepth ? depthMetrics(ramp, gt, { alignment: 'median', frames: n }) : NO_DEPTH;
  const still = { apd3d: Number.NaN, aj: Number.NaN, oa: Number.NaN };
  if (trackTruth) {
    const sm = tapVid3dMetrics({ xyz: trackTruth.still, visible: new Uint8Array(trackTruth.gvis.length).fill(1) }, { xyz: trackTruth.gxyz, visible: trackTruth.gvis }, trackTruth.opts);
    Object.assign(still, { apd3d: sm.averagePtsWithin, aj: sm.averageJaccard, oa: sm.occlusionAccuracy });
  }
  const ident = gtPoses ? identityBaseline(gtPoses) : { ate: Number.NaN, rpeTranslation: Number.NaN, rpeRotation: Number.NaN };
  const f60 = (Ws / 2) / Math.tan(Math.PI / 6);
  const baselines: EvalBaselines = {
    constant: { absRel: dc.absRel, delta1: dc.delta1 },
    ramp: { absRel: dr.absRel, delta1: dr.delta1 },
    prior: prior ? score(prior) : { ...NO_METRICS },
    static: still,
    identity: { ate: ident.ate, rpeTrans: ident.rpeTranslation, rpeRot: ident.rpeRotation },
    fov60: { focalErr: focalOf((g) => focalErr({ fx: f60, fy: f60 }, g)) },
  };
  const result: EvalResult = {
    name: seq.name,
    protocol,
    frames: n,
    model,
    baseline: combinedBaseline(baselines),
    baselines,
    inputDependence: prior && gtDepth ? inputDependence(out.depth.data, prior.depth.data, gt) : Number.NaN,
  };
  return { result, depth: out.depth, cameras: out.cameras, ...(out.tracks && { tracks: out.tracks }), ...(trackPoints && { trackPoints }), depthScale };
}

/**
 * The inputDependence of a sequence: Pearson's r between `log(predModel) - log(predPrior)` and
 * `log(gt)` over the samples where `gt > 0` and both predictions are finite and `> 0` (three
 * arrays of the same layout; the samples are pooled).
 */
export function inputDependence(predModel: ArrayLike<number>, predPrior: ArrayLike<number>, gt: ArrayLike<number>): number {
  const x = new Float64Array(gt.length);
  const y = new Float64Array(gt.length);
  const mask = new Uint8Array(gt.length);
  for (let i = 0; i < gt.length; i++) {
    const pm = predModel[i]!, pp = predPrior[i]!, g = gt[i]!;
    if (!(g > 0 && pm > 0 && pp > 0 && Number.isFinite(pm) && Number.isFinite(pp))) continue;
    mask[i] = 1;
    x[i] = Math.log(pm) - Math.log(pp);
    y[i] = Math.log(g);
  }
  return pearsonCorrelation(x, y, { mask });
}

/** The `baseline` row: constant + static + identity + fov60. */
function combinedBaseline(b: EvalBaselines): EvalMetrics {
  return { ...b.constant, ...b.static, ...b.identity, ...b.fov60 };
}

/** Metrics of identity poses (see {@link poseMetrics}: their camera centres coincide). */
function identityBaseline(gt: readonly mat4[]): { ate: number; rpeTranslation: number; rpeRotation: number } {
  return poseMetrics(gt.map(() => mat4.create()), gt);
}

/**
 * ATE and RPE of predicted poses (`trajectoryMetrics`, Sim(3)-aligned). When the predicted camera
 * centres all coincide (identity poses; one source frame behind every model frame), a Sim(3) fit has
 * no scale; as in training (Umeyama with zero source variance gives s = 1, R = I), the ATE is then
 * the RMS spread of the ground-truth centres about their mean, and RPE is computed without alignment.
 */
function poseMetrics(pred: readonly mat4[], gt: readonly mat4[]): { ate: number; rpeTranslation: number; rpeRotation: number } {
  const coincide = pred.every((m) => m[12] === pred[0]![12] && m[13] === pred[0]![13] && m[14] === pred[0]![14]);
  if (!coincide) return trajectoryMetrics(pred, gt);
  const n = gt.length;
  const mean = [0, 1, 2].map((c) => gt.reduce((a, m) => a + m[12 + c]!, 0) / n);
  const ate = Math.sqrt(gt.reduce((a, m) => a + (m[12]! - mean[0]!) ** 2 + (m[13]! - mean[1]!) ** 2 + (m[14]! - mean[2]!) ** 2, 0) / n);
  const r = trajectoryMetrics(pred, gt, { alignment: 'none' });
  return { ate, rpeTranslation: r.rpeTranslation, rpeRotation: r.rpeRotation };
}

/** Mean of each metric over results (ignoring NaN). */
export function meanMetrics(rows: readonly EvalMetrics[]): EvalMetrics {
  return meanOf(rows, METRIC_KEYS);
}

function meanOf<T extends Partial<EvalMetrics>>(rows: readonly T[], keys: readonly (keyof T)[]): T {
  const out = {} as Record<keyof T, number>;
  for (const k of keys) out[k] = meanValue(rows.map((r) => r[k] as number));
  return out as T;
}

const meanValue = (xs: readonly number[]): number => {
  const vals = xs.filter((x) => Number.isFinite(x));
  return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
};

/** The mean over results of `model`, `baseline`, each of `baselines` and `inputDependence` (ignoring NaN). */
export function meanResult(results: readonly EvalResult[]): Pick<EvalResult, 'model' | 'baseline' | 'baselines' | 'inputDependence'> {
  const of = <B extends keyof EvalBaselines>(name: B): EvalBaselines[B] => meanOf(results.map((r) => r.baselines[name]), BASELINE_KEYS[name]);
  return {
    model: meanMetrics(results.map((r) => r.model)),
    baseline: meanMetrics(results.map((r) => r.baseline)),
    baselines: { constant: of('constant'), ramp: of('ramp'), prior: of('prior'), static: of('static'), identity: of('identity'), fov60: of('fov60') },
    inputDependence: meanValue(results.map((r) => r.inputDependence)),
  };
}

/**
 * A Markdown table of results: per sequence a model row, the combined baseline row, the ramp row
 * and (when it was run) the prior row; then a line with each sequence's inputDependence.
 */
export function formatTable(results: readonly EvalResult[]): string {
  const head = `| sequence | what | ${METRIC_KEYS.join(' | ')} |`;
  const rule = `|---|---|${METRIC_KEYS.map(() => '---:').join('|')}|`;
  const fmt = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(4) : '-');
  const row = (name: string, what: string, m: Partial<EvalMetrics>): string => `| ${name} | ${what} | ${METRIC_KEYS.map((k) => fmt(m[k])).join(' | ')} |`;
  const ran = (m: EvalMetrics): boolean => METRIC_KEYS.some((k) => Number.isFinite(m[k]));
  const rows = results.flatMap((r) => [
    row(r.name, 'model', r.model),
    row(r.name, 'baseline', r.baseline),
    row(r.name, 'ramp', r.baselines.ramp),
    ...(ran(r.baselines.prior) ? [row(r.name, 'prior', r.baselines.prior)] : []),
  ]);
  const lines = [head, rule, ...rows];
  if (results.some((r) => Number.isFinite(r.inputDependence))) {
    lines.push('', `inputDependence (corr. of log model/prior depth with log gt; ~0 = ignores the input): ${results.map((r) => `${r.name} ${fmt(r.inputDependence)}`).join(', ')}`);
  }
  return lines.join('\n');
}
