/**
 * Figures of a whole-video run against a clip's exact ground truth, and of the single-window
 * (T frames spread over the clip) way beside it; the same code measures the oracle and a real
 * model.
 *
 * - `ateFraction`: ATE (RMSE of camera centres after a Sim(3) fit, `trajectoryMetrics`) divided by
 *   the length of the ground-truth path over the same frames.
 * - `scaleDrift`: per window, the median ratio of its depth (in world units) to the true depth
 *   over its reported frames; `|last / first - 1|`. `maxScaleDeviation`: the largest `|r_k / r_0 - 1|`.
 * - `withinTrackErr` / `boundaryTrackErr`: mean 2D error in pixels of the clip of a grid of points
 *   tracked from the first frame, at frames where the point is truly visible and the track alive,
 *   split by the window that answered: the first window (within) or a later one, reached through
 *   chaining across one or more window boundaries. `trackLost`: the share of truly visible samples
 *   whose track was lost.
 * - Dense: `denseQueryRatio` = queries / (frames * cells * T), `denseCoverage` = share of grid
 *   cells holding a visible dense point, and the seconds of the dense run.
 * - `rssGrowth`: this process's RSS sampled after each window: the peak over all windows over the
 *   peak over the first 10 % of them, minus 1.
 *
 * @module
 */
import { denseTrack, frameSourceFromVideo, gridUv, processVideo, selectFrames, type D4rtModel, type FrameSource, type VideoFrames } from '@d4rt/core';
import { trajectoryLength, trajectoryMetrics } from '@d4rt/geometry';
import type { ReadonlyMat4 } from 'gl-matrix';
import type { OracleClip } from './oracle-clip.js';
import { emptyAnswer } from './ray-cast.js';

/** Options of {@link evaluateLongRun}. */
export interface LongEvalOptions {
  /** The model (oracle or real). */
  model: D4rtModel;
  /** The clip with ground truth. */
  clip: OracleClip;
  /** Processing rate (default every frame). */
  fps?: number;
  /** Window overlap (default processVideo's). */
  overlap?: number;
  /** Side of the grid of tracked points (default 8: 64 points). */
  trackGrid?: number;
  /** Size of the depth maps compared with the truth (default 32 x 24). */
  depth?: { width: number; height: number };
  /** Dense tracking grid (default 32 x 24); false skips the dense run. */
  dense?: { width: number; height: number } | false;
  /** Queries per decoder run. */
  chunkSize?: number;
  /** Called after each window of the main run. */
  onWindow?: (done: number, total: number) => void;
}

/** What {@link evaluateLongRun} and {@link evaluateSingleWindow} measure (see the module notes). */
export interface LongEvalFigures {
  clip: string;
  kind: string;
  mode: 'windows' | 'single-window';
  frames: number;
  windows: number;
  seconds: number;
  secondsPerFrame: number;
  ate: number;
  pathLength: number;
  ateFraction: number;
  scaleDrift: number;
  maxScaleDeviation: number;
  withinTrackErr: number;
  boundaryTrackErr: number;
  withinSamples: number;
  boundarySamples: number;
  trackLost: number;
  stitchResidual: number;
  denseQueries: number;
  denseNaive: number;
  denseQueryRatio: number;
  denseCoverage: number;
  denseTracks: number;
  denseSeconds: number;
  rssGrowth: number;
}

/** The tracked points: a `g x g` grid with 5 % margins. */
export function trackGrid(g: number): { u: Float32Array; v: Float32Array } {
  const { u, v } = gridUv(g, g);
  for (let i = 0; i < u.length; i++) {
    u[i] = 0.05 + 0.9 * u[i]!;
    v[i] = 0.05 + 0.9 * v[i]!;
  }
  return { u, v };
}

const median = (a: number[]): number => {
  if (a.length === 0) return Number.NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};

/** Runs the whole-video pipeline on the clip and measures it (see the module notes). */
export async function evaluateLongRun(options: LongEvalOptions): Promise<LongEvalFigures> {
  const { model, clip } = options;
  const g = options.trackGrid ?? 8;
  const depthSize = options.depth ?? { width: 32, height: 24 };
  const pts = trackGrid(g);
  const source = frameSourceFromVideo(clip.video, { name: clip.name });
  const t0 = performance.now();
  const run = processVideo(model, source, {
    ...(options.fps !== undefined && { fps: options.fps }),
    ...(options.overlap !== undefined && { overlap: options.overlap }),
    cameras: true,
    depth: depthSize,
    tracks: { points: { u: pts.u, v: pts.v, frame: new Int32Array(pts.u.length).fill(0) }, frame: 'world' },
    ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
  });
  const origin = run.frames[0]!;
  const pred: Float32Array[] = [];
  const gt: Float64Array[] = [];
  const ratios: number[] = [];
  const residuals: number[] = [];
  const err = { within: 0, nw: 0, boundary: 0, nb: 0, lost: 0, visible: 0 };
  const a = emptyAnswer();
  const n = pts.u.length;
  const { u: du, v: dv } = gridUv(depthSize.width, depthSize.height);
  const rssByWindow: number[] = [];
  for await (const r of run) {
    for (let t = 0; t < r.frames.length; t++) {
      const s = r.frames[t]!;
      pred.push(r.cameras!.cameraToWorld[t]!);
      gt.push(clip.cameraToWorld(s, origin));
      for (let i = 0; i < n; i++) {
        clip.caster.query(pts.u[i]!, pts.v[i]!, origin, s, s, a);
        if (!a.visible) continue;
        err.visible++;
        const b = t * n + i;
        if (r.tracks!.alive[b] !== 1) {
          err.lost++;
          continue;
        }
        const e = Math.hypot((r.tracks!.uv[2 * b]! - a.u) * (clip.width - 1), (r.tracks!.uv[2 * b + 1]! - a.v) * (clip.height - 1));
        if (r.tracks!.window[b] === 0) {
          err.within += e;
          err.nw++;
        } else {
          err.boundary += e;
          err.nb++;
        }
      }
    }
    const d = r.depth!;
    const rs: number[] = [];
    const plane = d.width * d.height;
    for (let t = 0; t < d.frames; t++) {
      for (let k = 0; k < plane; k++) {
        const z = clip.caster.depthAt(du[k]!, dv[k]!, r.frames[t]!);
        const p = d.data[t * plane + k]!;
        if (z > 0 && p > 0 && Number.isFinite(p)) rs.push(p / z);
      }
    }
    ratios.push(median(rs));
    if (r.stitch) residuals.push(r.stitch.residual);
    rssByWindow.push(process.memoryUsage().rss);
    options.onWindow?.(r.window.index + 1, r.windows);
  }
  const seconds = (performance.now() - t0) / 1000;
  const tm = trajectoryMetrics(pred as unknown as ReadonlyMat4[], gt as unknown as ReadonlyMat4[]);
  const pathLength = trajectoryLength(gt as unknown as ReadonlyMat4[]);
  const r0 = ratios[0]!;
  const dense = options.dense === false ? null : await denseRun(model, source, options.dense ?? { width: 32, height: 24 }, options);
  return {
    clip: clip.name,
    kind: clip.kind,
    mode: 'windows',
    frames: run.frames.length,
    windows: run.plan.windows.length,
    seconds,
    secondsPerFrame: seconds / run.frames.length,
    ate: tm.ate,
    pathLength,
    ateFraction: tm.ate / pathLength,
    scaleDrift: Math.abs(ratios[ratios.length - 1]! / r0 - 1),
    maxScaleDeviation: Math.max(...ratios.map((x) => Math.abs(x / r0 - 1))),
    withinTrackErr: err.nw > 0 ? err.within / err.nw : Number.NaN,
    boundaryTrackErr: err.nb > 0 ? err.boundary / err.nb : Number.NaN,
    withinSamples: err.nw,
    boundarySamples: err.nb,
    trackLost: err.visible > 0 ? err.lost / err.visible : 0,
    stitchResidual: median(residuals),
    ...(dense ?? { denseQueries: 0, denseNaive: 0, denseQueryRatio: Number.NaN, denseCoverage: Number.NaN, denseTracks: 0, denseSeconds: 0 }),
    rssGrowth: rssGrowth(rssByWindow),
  };
}

/** Peak RSS over all windows over the peak over the first 10 % of them (at least one), minus 1. */
function rssGrowth(rss: number[]): number {
  if (rss.length === 0) return Number.NaN;
  const early = Math.max(...rss.slice(0, Math.max(1, Math.ceil(0.1 * rss.length))));
  return Math.max(...rss) / early - 1;
}

async function denseRun(
  model: D4rtModel,
  source: FrameSource,
  size: { width: number; height: number },
  options: Pick<LongEvalOptions, 'fps' | 'overlap' | 'chunkSize'>,
): Promise<Pick<LongEvalFigures, 'denseQueries' | 'denseNaive' | 'denseQueryRatio' | 'denseCoverage' | 'denseTracks' | 'denseSeconds'>> {
  const t0 = performance.now();
  const run = processVideo(model, source, {
    ...(options.fps !== undefined && { fps: options.fps }),
    ...(options.overlap !== undefined && { overlap: options.overlap }),
    dense: size,
    ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
  });
  let queries = 0, naive = 0, cells = 0, covered = 0, maxId = -1;
  for await (const r of run) {
    const d = r.dense!;
    queries += d.queries;
    naive += d.naive;
    cells += d.cells;
    covered += d.covered;
    for (const id of d.ids) if (id > maxId) maxId = id;
  }
  return { denseQueries: queries, denseNaive: naive, denseQueryRatio: queries / naive, denseCoverage: covered / cells, denseTracks: maxId + 1, denseSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The single-window way on the same clip: the model's T frames spread evenly over the whole clip
 * (`selectFrames`), one encode; the same figures on those T frames (scale drift 0 by construction,
 * every track error "within").
 */
export async function evaluateSingleWindow(options: Omit<LongEvalOptions, 'fps' | 'overlap' | 'onWindow'>): Promise<LongEvalFigures> {
  const { model, clip } = options;
  const T = model.manifest.clip.frames;
  const g = options.trackGrid ?? 8;
  const depthSize = options.depth ?? { width: 32, height: 24 };
  const pts = trackGrid(g);
  const sel = selectFrames(clip.frames, T);
  const frameBytes = clip.width * clip.height * 3;
  const data = new Uint8Array(T * frameBytes);
  sel.forEach((s, k) => data.set(clip.video.data.subarray(s * frameBytes, (s + 1) * frameBytes), k * frameBytes));
  const video: VideoFrames = { data, frames: T, width: clip.width, height: clip.height, sourceIndices: sel, sourceFrames: clip.frames };
  const t0 = performance.now();
  const q = options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {};
  const scene = await model.encode(video);
  try {
    const cams = await scene.cameras(q);
    const depth = await scene.depth({ ...q, ...depthSize });
    const tracks = await scene.track({ u: pts.u, v: pts.v, frame: new Int32Array(pts.u.length).fill(0) }, { ...q, frame: 'world' });
    const seconds = (performance.now() - t0) / 1000;
    const gt = Array.from(sel, (s) => clip.cameraToWorld(s, sel[0]!));
    const tm = trajectoryMetrics(cams.cameraToWorld as unknown as ReadonlyMat4[], gt as unknown as ReadonlyMat4[]);
    const pathLength = trajectoryLength(gt as unknown as ReadonlyMat4[]);
    const a = emptyAnswer();
    const n = pts.u.length;
    let within = 0, nw = 0, visible = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < n; i++) {
        clip.caster.query(pts.u[i]!, pts.v[i]!, sel[0]!, sel[t]!, sel[t]!, a);
        if (!a.visible) continue;
        visible++;
        const b = t * n + i;
        within += Math.hypot((tracks.uv[2 * b]! - a.u) * (clip.width - 1), (tracks.uv[2 * b + 1]! - a.v) * (clip.height - 1));
        nw++;
      }
    }
    const t1 = performance.now();
    const dsize = options.dense === false ? null : (options.dense ?? { width: 32, height: 24 });
    let dense = { denseQueries: 0, denseNaive: 0, denseQueryRatio: Number.NaN, denseCoverage: Number.NaN, denseTracks: 0, denseSeconds: 0 };
    if (dsize !== null) {
      const d = await denseTrack(scene, { ...q, ...dsize });
      // coverage as the video run counts it: cells holding a visible point of some track
      const plane = d.width * d.height;
      const occ = new Uint8Array(T * plane);
      let covered = 0;
      for (let j = 0; j < d.targets.length; j++) {
        for (let i = 0; i < d.count; i++) {
          const k = j * d.count + i;
          if (!(d.visibility[k]! > 0.5)) continue;
          const x = Math.round(d.uv[2 * k]! * (d.width - 1)), y = Math.round(d.uv[2 * k + 1]! * (d.height - 1));
          const c = j * plane + y * d.width + x;
          if (x >= 0 && x < d.width && y >= 0 && y < d.height && occ[c] === 0) {
            occ[c] = 1;
            covered++;
          }
        }
      }
      dense = { denseQueries: d.queries, denseNaive: d.naive, denseQueryRatio: d.queries / d.naive, denseCoverage: covered / d.cells, denseTracks: d.count, denseSeconds: (performance.now() - t1) / 1000 };
    }
    const dplane = depth.width * depth.height;
    const { u: du, v: dv } = gridUv(depth.width, depth.height);
    const rs: number[] = [];
    for (let t = 0; t < T; t++) for (let k = 0; k < dplane; k++) {
      const z = clip.caster.depthAt(du[k]!, dv[k]!, sel[t]!);
      const p = depth.data[t * dplane + k]!;
      if (z > 0 && p > 0) rs.push(p / z);
    }
    return {
      clip: clip.name,
      kind: clip.kind,
      mode: 'single-window',
      frames: T,
      windows: 1,
      seconds,
      secondsPerFrame: seconds / T,
      ate: tm.ate,
      pathLength,
      ateFraction: tm.ate / pathLength,
      scaleDrift: 0,
      maxScaleDeviation: 0,
      withinTrackErr: nw > 0 ? within / nw : Number.NaN,
      boundaryTrackErr: Number.NaN,
      withinSamples: nw,
      boundarySamples: 0,
      trackLost: visible > 0 ? (visible - nw) / visible : 0,
      stitchResidual: Number.NaN,
      ...dense,
      rssGrowth: Number.NaN,
    };
  } finally {
    scene.dispose();
  }
}
