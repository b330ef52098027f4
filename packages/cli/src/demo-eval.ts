/**
 * `d4rt demo` (the embedded model on the bundled demo clip, every output plus metrics against the
 * clip's ground truth) and `d4rt eval` (metrics on fixture clips or datasets).
 *
 * @module
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Intrinsics } from '@d4rt/geometry';
import { DATASET_LAYOUTS, DATASET_LAYOUT_FILES, DEFAULT_UPSAMPLE, UPSAMPLE_MODES, detectDatasetLayout, readDataset, readVideo, writeJson, writeOutputFolder, type Scene } from '@d4rt/runtime-node';
import { BASELINE_KEYS, METRIC_KEYS, blankVideo, evaluateScene, evaluateSequence, formatTable, meanResult, type EvalBaselines, type EvalMetrics, type EvalOutputs, type EvalResult } from './evaluate.js';
import type { CommandResult } from './commands.js';
import { checkFigurePath, checkOutputFilePath, figureRow, writeFigure, type FigureRow } from './figure.js';
import { COMMON_HELP, COMMON_OPTIONS, UPSAMPLE_HELP, UsageError, choiceOption, intOption, parse } from './options.js';
import { watchableFps, writeCameraOutputs, writeDepthOutputs, writePointCloud, writeTrackOutputs, writeTrackOverlay } from './outputs.js';
import { checkDecoder, decoderHelp, decoderOption } from './decoder-option.js';
import { progressBar } from './progress-bar.js';
import { openModel } from './session.js';

/** Folder of the bundled fixtures (`@d4rt/models/fixtures`). */
export function fixturesPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@d4rt/models/package.json')), 'fixtures');
}

/** The held-out fixture clips bundled with `@d4rt/models`. */
export function heldoutFixtures(): string[] {
  const root = fixturesPath();
  return readdirSync(root)
    .filter((d) => d.startsWith('heldout-'))
    .sort()
    .map((d) => join(root, d));
}

/** 6 significant digits; NaN and infinities as null. */
const round6 = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

/**
 * `d4rt eval`'s last line: the mean model metrics (METRIC_KEYS), then `baselines` (each baseline's
 * mean metrics, BASELINE_KEYS) and `inputDependence`.
 */
function lastLine(mean: ReturnType<typeof meanResult>): string {
  const pick = (m: Partial<EvalMetrics>, keys: readonly (keyof EvalMetrics)[]): Record<string, number | null> =>
    Object.fromEntries(keys.map((k) => [k, round6(m[k]!)]));
  const names = Object.keys(BASELINE_KEYS) as (keyof EvalBaselines)[];
  return JSON.stringify({
    ...pick(mean.model, METRIC_KEYS),
    baselines: Object.fromEntries(names.map((name) => [name, pick(mean.baselines[name], BASELINE_KEYS[name])])),
    inputDependence: round6(mean.inputDependence),
  });
}

/** `d4rt demo`. */
export async function runDemo(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
  const { values } = parse('demo', argv, { ...COMMON_OPTIONS, stats: { type: 'boolean', default: false }, prior: { type: 'boolean', default: false }, upsample: { type: 'string' } }, false);
  if (values.help) {
    return {
      stdout: `d4rt demo [options]

Runs the model (default: the embedded d4rt-tiny) on the bundled synthetic demo clip
(@d4rt/models/fixtures/demo/demo.mp4, decoded with ffmpeg) and writes into --out:
depth.npy, depth/*.png (16-bit), depth-color/*.png, tracks.json, tracks.mp4 (overlay),
pointcloud.ply, cameras.json, trajectory.tum and metrics.json; then prints the metrics
against the clip's exact ground truth beside trivial baselines (constant and ramp depth, points
that never move, identity poses, a 60 degree FOV).

  --prior              also run the prior baseline: the model on a blank video (one more encode
                       and the same queries again), and the inputDependence it gives
  --stats              print {"seconds", "maxRssMB"} as the last line (for benchmarks)
${UPSAMPLE_HELP.demo}

${COMMON_HELP}
`,
    };
  }
  const t0 = performance.now();
  const chunkSize = intOption('demo', 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const upsample = choiceOption('demo', 'upsample', values.upsample as string | undefined, UPSAMPLE_MODES);
  const out = resolve(values.out as string);
  const progress = progressBar({ quiet: values.quiet as boolean });
  const model = await openModel('demo', values, progress);
  try {
    const folder = join(fixturesPath(), 'demo');
    const abort = signal ? { signal } : {};
    const gt = await readDataset(folder, abort);
    const video = await readVideo(join(folder, 'demo.mp4'), { frames: model.manifest.clip.frames, onProgress: progress, ...abort });
    const scene = await model.encode(video, { onProgress: progress, ...abort });
    let priorScene: Scene | undefined;
    try {
      if (values.prior) priorScene = await model.encode(blankVideo(video), { onProgress: progress, ...abort });
      const seq = { ...gt, video };
      const ev = await evaluateScene(scene, seq, { protocol: 'fixture', chunkSize, onProgress: progress, ...abort, ...(priorScene && { priorScene }), upsample: upsample ?? DEFAULT_UPSAMPLE });
      const cloud = await scene.pointCloud({ chunkSize, onProgress: progress, ...abort });
      const files = await writeOutputFolder(out, async (dir) => {
        await writeDepthOutputs(dir, ev.depth, scene, undefined, video);
        await writeCameraOutputs(dir, ev.cameras, scene, video.fps);
        await writeTrackOutputs(dir, ev.tracks!, ev.trackPoints!, scene);
        await writeTrackOverlay(dir, ev.tracks!, video, watchableFps(ev.tracks!.frames, video.fps, scene.sourceIndices));
        await writePointCloud(dir, cloud);
        await writeJson(join(dir, 'metrics.json'), { modelName: model.manifest.name, protocolVersion: 'd4rt-fixture-eval/1', ...ev.result });
      });
      progress.done();
      const seconds = (performance.now() - t0) / 1000;
      const lines = [
        `d4rt demo: ${model.manifest.name} on ${gt.name} (${video.width}x${video.height}, ${video.frames} frames) via ${model.backend}`,
        '',
        formatTable([ev.result]),
        '',
        `wrote ${files.length} files to ${out} in ${seconds.toFixed(1)} s`,
      ];
      if (values.stats) lines.push(JSON.stringify({ seconds: Number(seconds.toFixed(3)), maxRssMB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)) }));
      return { stdout: lines.join('\n') + '\n', files };
    } finally {
      priorScene?.dispose();
      scene.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** The layouts `d4rt eval` reads, one line each, for its help. */
const LAYOUT_HELP = DATASET_LAYOUTS.map((l) => `  ${l.padEnd(12)} ${DATASET_LAYOUT_FILES[l].replaceAll('`', '')}`).join('\n');

/** `--intrinsics fx,fy,cx,cy` (pixels). */
function intrinsicsOption(value: string | undefined): Intrinsics | undefined {
  if (value === undefined) return undefined;
  const v = value.split(',').map((x) => Number(x.trim()));
  if (v.length !== 4 || !v.every(Number.isFinite) || !(v[0]! > 0 && v[1]! > 0)) {
    throw new UsageError(`d4rt eval: --intrinsics (${JSON.stringify(value)}) must be fx,fy,cx,cy in pixels: four numbers, fx and fy > 0`);
  }
  return { fx: v[0]!, fy: v[1]!, cx: v[2]!, cy: v[3]! };
}

/** `d4rt eval`. */
export async function runEval(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
  const { out: _unused, ...common } = COMMON_OPTIONS;
  const { values, positionals } = parse('eval', argv, { ...common, fixtures: { type: 'boolean', default: false }, json: { type: 'string' }, figure: { type: 'string' }, 'no-prior': { type: 'boolean', default: false }, intrinsics: { type: 'string' }, upsample: { type: 'string' }, decoder: { type: 'string' } });
  if (values.help) {
    return {
      stdout: `d4rt eval <folder | file.npz ...> [options]
d4rt eval --fixtures [options]

Evaluates the model on d4rt-clip/1 fixture clips (exact ground truth; the same protocol as
training's evaluate.py --fixtures) or on datasets, beside trivial baselines on the same frames.
Each input's layout is recognised by the files it holds (checked for every input before the
model loads):
${LAYOUT_HELP}
A metric whose ground truth a layout lacks is "-" in the table and null in the JSON. Baselines:
  constant   depth 1                      ramp      depth exp(-0.716 v), v = row / (H - 1)
  prior      the model on a blank video (every RGB byte 128), every metric
  static     points that never move       identity  identity poses
  fov60      a 60 degree horizontal FOV
and inputDependence: the correlation of log(model depth / prior depth) with log(gt depth) over
the depth samples (about 0 when the model's depth does not follow the input beyond its prior).

Prints a table (model, baseline = constant + static + identity + fov60, ramp and prior rows per
sequence) and an inputDependence line; the last line is one JSON object of means over the
sequences: absRel, delta1, apd3d, aj, oa, ate, rpeTrans, rpeRot, focalErr (the model), then
"baselines": {"constant", "ramp", "prior", "static", "identity", "fov60"} with the same metric
names inside, and "inputDependence" (6 significant digits; null where a metric does not apply).

  --fixtures           evaluate the held-out clips bundled with @d4rt/models
  --json <file>        also write every result (and the means) as JSON
  --no-prior           skip the prior baseline (half the time; prior and inputDependence null)
  --intrinsics <fx,fy,cx,cy>
                       the camera's intrinsics in pixels, for the layouts without their own
                       (tum-rgbd: else TUM's fr1/fr2/fr3 values by the folder name, or ROS's
                       default with a note; image-poses: else no focal error)
${decoderHelp(23)}
                       (it makes the tracks behind apd3d, aj and oa; the last line keeps its keys)
${UPSAMPLE_HELP.eval}
  --figure <file.png>  also draw a picture: one row per sequence (the middle evaluated frame),
                       columns in this order, titled in the picture:
                         1 input frame (source resolution)   2 ground-truth depth
                         3 predicted depth (x the metric's median scale; same colour limits
                           as 2: the GT's 2-98 %; turbo by 1/depth, red = near)
                         4 ground-truth 2D tracks   5 predicted 2D tracks (up to 48 tracks,
                           8-frame tails; columns 4-5 only when some sequence has tracks)
                       panels scaled with nearest neighbour (3x for 120x80 clips); the caption
                       goes to stderr; the folder must exist

${COMMON_HELP.replace(/\n {2}-o, --out.*$/m, '')}
`,
    };
  }
  const folders = [...(values.fixtures ? heldoutFixtures() : []), ...positionals];
  if (folders.length === 0) throw new UsageError('d4rt eval: give at least one folder, or --fixtures (see d4rt eval --help)');
  const chunkSize = intOption('eval', 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const upsample = choiceOption('eval', 'upsample', values.upsample as string | undefined, UPSAMPLE_MODES);
  const intrinsics = intrinsicsOption(values.intrinsics as string | undefined);
  const decoder = decoderOption('eval', values.decoder as string | undefined);
  const figure = values.figure === undefined ? undefined : await checkFigurePath(values.figure as string);
  const json = values.json === undefined ? undefined : await checkOutputFilePath(`--json (${JSON.stringify(values.json)})`, values.json as string, 'a .json file');
  // every input's layout before the model loads: a folder in no known layout fails at once
  for (const folder of folders) await detectDatasetLayout(folder);
  const progress = progressBar({ quiet: values.quiet as boolean });
  const model = await openModel('eval', values, progress);
  const results: EvalResult[] = [];
  const rows: FigureRow[] = [];
  try {
    checkDecoder('eval', decoder, model.manifest);
    for (const folder of folders) {
      const seq = await readDataset(folder, { ...(intrinsics && { intrinsics }), ...(signal && { signal }) });
      progress.label(seq.name);
      for (const note of seq.notes ?? []) process.stderr.write(`d4rt eval: ${seq.name} (${seq.layout}): ${note}\n`);
      const onOutputs = figure ? { onOutputs: (o: EvalOutputs, scene: Scene) => void rows.push(figureRow(seq, o, scene)) } : {};
      results.push(await evaluateSequence(model, seq, { chunkSize, onProgress: progress, prior: !values['no-prior'], ...onOutputs, ...(signal && { signal }), ...(upsample && { upsample }), decoder }));
    }
  } finally {
    progress.done();
    await model.dispose();
  }
  const mean = meanResult(results);
  if (json) {
    await writeJson(json, { model: model.manifest.name, decoder, results, mean });
  }
  if (figure) process.stderr.write(`d4rt eval: figure ${(await writeFigure(figure, rows)).caption}\n`);
  const meanRow: EvalResult = { name: 'mean', protocol: results[0]!.protocol, frames: 0, ...mean };
  const table = formatTable(results.length > 1 ? [...results, meanRow] : results);
  return { stdout: `${table}\n${lastLine(mean)}\n` };
}
