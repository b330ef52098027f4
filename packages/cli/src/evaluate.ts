/**
 * Evaluation of a model on a ground-truth sequence, with the same protocols as training
 * (`training/d4rt_train/evaluate.py`), so the SDK reproduces training's numbers.
 *
 * Evaluated frames: the source frames when the sequence has at most T of them (each through the
 * first model frame showing it), else the T source frames the model picked.
 *
 * - `'fixture'` protocol (`d4rt-fixture-eval/1`, for `d4rt-clip/1` clips with exact ground truth):
 *   depth on the full source-resolution pixel grid; camera-frame 3D tracks of the clip's tracks
 *   (TAPVid-3D with the intrinsics of the first frame); poses; focal error of the first frame.
 * - `'real'` protocol (datasets with depth and poses, e.g. pi3-room, Open3D RGB-D): depth on the
 *   model's `H x W` grid against the nearest ground-truth pixel; poses; focal error as the median
 *   over frames.
 *
 * Depth: AbsRel and delta < 1.25 after one median scale per sequence (`depthMetrics`); poses: ATE
 * and RPE after a Sim(3) fit of the camera centres (`trajectoryMetrics`); focal error
 * `mean(|fx - fx_gt| / fx_gt, |fy - fy_gt| / fy_gt)`. Baselines on the same frames: constant
 * depth, points that never move (always visible), identity poses, a 60 degree horizontal FOV.
 *
 * @module
 */
import { depthMetrics, tapVid3dMetrics, trajectoryMetrics, type Intrinsics } from '@d4rt/geometry';
import { medianInPlace } from '@d4rt/geometry/select';
import { mat4 } from 'gl-matrix';
import { gridUv, type Cameras, type D4rtModel, type DepthMaps, type GroundTruthSequence, type GroundTruthTracks, type ProgressCallback, type Scene, type TrackPoints, type Tracks } from '@d4rt/runtime-node';

/** What the evaluation reads of a `GroundTruthSequence` (`@d4rt/runtime-node`'s dataset readers). */
export type EvalSequence = Pick<GroundTruthSequence, 'name' | 'video' | 'depth' | 'intrinsics' | 'cameraToWorld'> & {
  tracks?: Pick<GroundTruthTracks, 'count' | 'query' | 'xyzCamera' | 'visible'>;
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

/** Result of {@link evaluateSequence}. */
export interface EvalResult {
  name: string;
  protocol: 'fixture' | 'real';
  frames: number;
  model: EvalMetrics;
  baseline: EvalMetrics;
}

/** Metric keys in table order. */
export const METRIC_KEYS: readonly (keyof EvalMetrics)[] = ['absRel', 'delta1', 'apd3d', 'aj', 'oa', 'ate', 'rpeTrans', 'rpeRot', 'focalErr'];

const focalErr = (f: Pick<Intrinsics, 'fx' | 'fy'>, g: Pick<Intrinsics, 'fx' | 'fy'>): number =>
  (Math.abs(f.fx - g.fx) / g.fx + Math.abs(f.fy - g.fy) / g.fy) / 2;

/** Round half to even, as NumPy's `rint`. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source frame and model frame of each evaluated frame (see the module notes). */
export function evaluatedFrames(scene: Scene, sourceFrames: number): { source: number[]; model: number[] } {
  if (sourceFrames <= scene.frames) {
    const source = Array.from({ length: sourceFrames }, (_, i) => i);
    return { source, model: source.map((i) => scene.frameOfSource(i)) };
  }
  const model = Array.from({ length: scene.frames }, (_, k) => k);
  return { source: model.map((k) => scene.sourceIndices[k]!), model };
}

/**
 * Encodes `seq.video` with `model` and computes the model's and the baselines' metrics.
 * @param model - a loaded model
 * @param seq - the sequence and its ground truth
 * @param options - `protocol` (default `'fixture'` when the sequence has tracks, else `'real'`), `chunkSize`, `onProgress`
 * @returns a new {@link EvalResult}
 */
export async function evaluateSequence(model: D4rtModel, seq: EvalSequence, options: EvalOptions = {}): Promise<EvalResult> {
  const scene = await model.encode(seq.video, { ...(options.onProgress && { onProgress: options.onProgress }) });
  try {
    return (await evaluateScene(scene, seq, options)).result;
  } finally {
    scene.dispose();
  }
}

/** Options of {@link evaluateSequence} and {@link evaluateScene}. */
export interface EvalOptions {
  /** Default `'fixture'` when the sequence has tracks, else `'real'`. */
  protocol?: 'fixture' | 'real';
  chunkSize?: number;
  onProgress?: ProgressCallback;
}

/**
 * Computes the metrics of an already encoded scene of `seq.video`, and returns the outputs it
 * computed on the way (depth maps of the evaluated frames, cameras, and with the fixture protocol
 * the camera-frame tracks of the clip's tracks), so callers can write them without querying again.
 */
export async function evaluateScene(
  scene: Scene,
  seq: EvalSequence,
  options: EvalOptions = {},
): Promise<{ result: EvalResult; depth: DepthMaps; cameras: Cameras; tracks?: Tracks; trackPoints?: TrackPoints }> {
  const protocol = options.protocol ?? (seq.tracks ? 'fixture' : 'real');
  const q = { ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }), ...(options.onProgress && { onProgress: options.onProgress }) };
  const { width: Ws, height: Hs } = seq.video;
  const { source, model: frames } = evaluatedFrames(scene, seq.video.frames);
  const n = source.length;
  const plane = Ws * Hs;
  // depth
  let gt: Float32Array, depthMaps: DepthMaps;
  if (protocol === 'fixture') {
    depthMaps = await scene.depth({ ...q, frames, width: Ws, height: Hs });
    gt = new Float32Array(n * plane);
    source.forEach((s, i) => gt.set(seq.depth.subarray(s * plane, (s + 1) * plane), i * plane));
  } else {
    const d = (depthMaps = await scene.depth({ ...q, frames }));
    const mapSize = d.width * d.height;
    // ground truth at the nearest source pixel of each query's (u, v)
    const { u, v } = gridUv(d.width, d.height);
    gt = new Float32Array(n * mapSize);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < mapSize; j++) {
        gt[i * mapSize + j] = seq.depth[source[i]! * plane + rint(v[j]! * (Hs - 1)) * Ws + rint(u[j]! * (Ws - 1))]!;
      }
    }
  }
  const pred = depthMaps.data;
  const dm = depthMetrics(pred, gt, { alignment: 'median', frames: n });
  const dc = depthMetrics(new Float32Array(pred.length).fill(1), gt, { alignment: 'median', frames: n });
  // cameras
  const cams = await scene.cameras(q);
  const rel = (s: number): mat4 => {
    const inv = mat4.invert(mat4.create(), seq.cameraToWorld[source[0]!]!)!;
    return mat4.multiply(mat4.create(), inv, seq.cameraToWorld[s]!);
  };
  const gtPoses = source.map(rel);
  const predPoses = frames.map((k) => cams.cameraToWorld[k]!);
  const pm = trajectoryMetrics(predPoses, gtPoses);
  const ident = identityBaseline(gtPoses);
  const f60 = (Ws / 2) / Math.tan(Math.PI / 6);
  let fe: number, fb: number;
  if (protocol === 'fixture') {
    fe = focalErr(cams.intrinsics[frames[0]!]!, seq.intrinsics[source[0]!]!);
    fb = focalErr({ fx: f60, fy: f60 }, seq.intrinsics[source[0]!]!);
  } else {
    fe = medianInPlace(Float64Array.from(frames, (k, i) => focalErr(cams.intrinsics[k]!, seq.intrinsics[source[i]!]!)), n);
    fb = medianInPlace(Float64Array.from(source, (s) => focalErr({ fx: f60, fy: f60 }, seq.intrinsics[s]!)), n);
  }
  const model3d = { apd3d: Number.NaN, aj: Number.NaN, oa: Number.NaN };
  const base3d = { ...model3d };
  let tracks: Tracks | undefined;
  let trackPoints: TrackPoints | undefined;
  if (protocol === 'fixture' && seq.tracks) {
    const N = seq.tracks.count;
    const points = { u: new Float32Array(N), v: new Float32Array(N), frame: new Int32Array(N) };
    for (let i = 0; i < N; i++) {
      points.u[i] = seq.tracks.query[3 * i]!;
      points.v[i] = seq.tracks.query[3 * i + 1]!;
      points.frame[i] = scene.frameOfSource(seq.tracks.query[3 * i + 2]!);
    }
    const tr = await scene.track(points, { ...q, frame: 'camera' });
    tracks = tr;
    trackPoints = points;
    const T = scene.frames;
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
    const intr = seq.intrinsics[scene.sourceIndices[0]!]!;
    const opts = { frames: T, points: N, intrinsics: intr };
    const tm = tapVid3dMetrics({ xyz: tr.xyz, visible: tr.visible }, { xyz: gxyz, visible: gvis }, opts);
    const sm = tapVid3dMetrics({ xyz: still, visible: new Uint8Array(T * N).fill(1) }, { xyz: gxyz, visible: gvis }, opts);
    Object.assign(model3d, { apd3d: tm.averagePtsWithin, aj: tm.averageJaccard, oa: tm.occlusionAccuracy });
    Object.assign(base3d, { apd3d: sm.averagePtsWithin, aj: sm.averageJaccard, oa: sm.occlusionAccuracy });
  }
  const result: EvalResult = {
    name: seq.name,
    protocol,
    frames: n,
    model: { absRel: dm.absRel, delta1: dm.delta1, ...model3d, ate: pm.ate, rpeTrans: pm.rpeTranslation, rpeRot: pm.rpeRotation, focalErr: fe },
    baseline: { absRel: dc.absRel, delta1: dc.delta1, ...base3d, ate: ident.ate, rpeTrans: ident.rpeTranslation, rpeRot: ident.rpeRotation, focalErr: fb },
  };
  return { result, depth: depthMaps, cameras: cams, ...(tracks && { tracks }), ...(trackPoints && { trackPoints }) };
}

/**
 * Metrics of identity poses. Their camera centres coincide, so a Sim(3) fit has no scale; as in
 * training (Umeyama with zero source variance gives s = 1, R = I), the ATE is then the RMS spread
 * of the ground-truth centres about their mean, and RPE is computed without alignment.
 */
function identityBaseline(gt: readonly mat4[]): { ate: number; rpeTranslation: number; rpeRotation: number } {
  const n = gt.length;
  const mean = [0, 1, 2].map((c) => gt.reduce((a, m) => a + m[12 + c]!, 0) / n);
  const ate = Math.sqrt(gt.reduce((a, m) => a + (m[12]! - mean[0]!) ** 2 + (m[13]! - mean[1]!) ** 2 + (m[14]! - mean[2]!) ** 2, 0) / n);
  const r = trajectoryMetrics(gt.map(() => mat4.create()), gt, { alignment: 'none' });
  return { ate, rpeTranslation: r.rpeTranslation, rpeRotation: r.rpeRotation };
}

/** Mean of each metric over results (ignoring NaN). */
export function meanMetrics(rows: readonly EvalMetrics[]): EvalMetrics {
  const out = {} as EvalMetrics;
  for (const k of METRIC_KEYS) {
    const vals = rows.map((r) => r[k]).filter((x) => Number.isFinite(x));
    out[k] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
  }
  return out;
}

/** A Markdown table of results: one model row and one baseline row per sequence. */
export function formatTable(results: readonly EvalResult[]): string {
  const head = `| sequence | what | ${METRIC_KEYS.join(' | ')} |`;
  const rule = `|---|---|${METRIC_KEYS.map(() => '---:').join('|')}|`;
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '-');
  const rows = results.flatMap((r) => [
    `| ${r.name} | model | ${METRIC_KEYS.map((k) => fmt(r.model[k])).join(' | ')} |`,
    `| ${r.name} | baseline | ${METRIC_KEYS.map((k) => fmt(r.baseline[k])).join(' | ')} |`,
  ]);
  return [head, rule, ...rows].join('\n');
}
