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
import { readDataset, readVideo, writeJson, writeOutputFolder } from '@d4rt/runtime-node';
import { METRIC_KEYS, evaluateScene, evaluateSequence, formatTable, meanMetrics, type EvalResult } from './evaluate.js';
import type { CommandResult } from './commands.js';
import { COMMON_HELP, COMMON_OPTIONS, UsageError, intOption, parse } from './options.js';
import { writeCameraOutputs, writeDepthOutputs, writePointCloud, writeTrackOutputs, writeTrackOverlay } from './outputs.js';
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

const lastLine = (metrics: Record<string, number>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? Number(v.toPrecision(6)) : null])));

/** `d4rt demo`. */
export async function runDemo(argv: string[]): Promise<CommandResult> {
  const { values } = parse('demo', argv, { ...COMMON_OPTIONS, stats: { type: 'boolean', default: false } }, false);
  if (values.help) {
    return {
      stdout: `d4rt demo [options]

Runs the model (default: the embedded d4rt-tiny) on the bundled synthetic demo clip
(@d4rt/models/fixtures/demo/demo.mp4, decoded with ffmpeg) and writes into --out:
depth.npy, depth/*.png (16-bit), depth-color/*.png, tracks.json, tracks.mp4 (overlay),
pointcloud.ply, cameras.json, trajectory.tum and metrics.json; then prints the metrics
against the clip's exact ground truth beside trivial baselines.

  --stats              print {"seconds", "maxRssMB"} as the last line (for benchmarks)

${COMMON_HELP}
`,
    };
  }
  const t0 = performance.now();
  const chunkSize = intOption('demo', 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const out = resolve(values.out as string);
  const progress = progressBar({ quiet: values.quiet as boolean });
  const model = await openModel('demo', values, progress);
  try {
    const folder = join(fixturesPath(), 'demo');
    const gt = await readDataset(folder);
    const video = await readVideo(join(folder, 'demo.mp4'), { frames: model.manifest.clip.frames, onProgress: progress });
    const scene = await model.encode(video, { onProgress: progress });
    try {
      const seq = { ...gt, video };
      const ev = await evaluateScene(scene, seq, { protocol: 'fixture', chunkSize, onProgress: progress });
      const cloud = await scene.pointCloud({ chunkSize, onProgress: progress });
      const files = await writeOutputFolder(out, async (dir) => {
        await writeDepthOutputs(dir, ev.depth, scene);
        await writeCameraOutputs(dir, ev.cameras, scene, video.fps);
        await writeTrackOutputs(dir, ev.tracks!, ev.trackPoints!, scene);
        await writeTrackOverlay(dir, ev.tracks!, video, video.fps ?? 12);
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
      scene.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** `d4rt eval`. */
export async function runEval(argv: string[]): Promise<CommandResult> {
  const { out: _unused, ...common } = COMMON_OPTIONS;
  const { values, positionals } = parse('eval', argv, { ...common, fixtures: { type: 'boolean', default: false }, json: { type: 'string' } });
  if (values.help) {
    return {
      stdout: `d4rt eval <folder...> [options]
d4rt eval --fixtures [options]

Evaluates the model on d4rt-clip/1 fixture clips (exact ground truth; the same protocol as
training's evaluate.py --fixtures) or datasets with depth and poses (pi3-room, Open3D RGB-D
layouts), beside trivial baselines. Prints a table; the last line is one JSON object with the
mean model metrics: absRel, delta1, apd3d, aj, oa, ate, rpeTrans, rpeRot, focalErr.

  --fixtures           evaluate the held-out clips bundled with @d4rt/models
  --json <file>        also write every result as JSON

${COMMON_HELP.replace(/\n {2}-o, --out.*$/m, '')}
`,
    };
  }
  const folders = [...(values.fixtures ? heldoutFixtures() : []), ...positionals];
  if (folders.length === 0) throw new UsageError('d4rt eval: give at least one folder, or --fixtures (see d4rt eval --help)');
  const chunkSize = intOption('eval', 'chunk-size', values['chunk-size'] as string, 1, 1 << 20)!;
  const progress = progressBar({ quiet: values.quiet as boolean });
  const model = await openModel('eval', values, progress);
  const results: EvalResult[] = [];
  try {
    for (const folder of folders) {
      const seq = await readDataset(folder);
      progress.label(seq.name);
      results.push(await evaluateSequence(model, seq, { chunkSize, onProgress: progress }));
    }
  } finally {
    progress.done();
    await model.dispose();
  }
  const mean = meanMetrics(results.map((r) => r.model));
  if (values.json) {
    await writeJson(resolve(values.json as string), { model: model.manifest.name, results, mean: { model: mean, baseline: meanMetrics(results.map((r) => r.baseline)) } });
  }
  const meanRow: EvalResult = { name: 'mean', protocol: results[0]!.protocol, frames: 0, model: mean, baseline: meanMetrics(results.map((r) => r.baseline)) };
  const table = formatTable(results.length > 1 ? [...results, meanRow] : results);
  return { stdout: `${table}\n${lastLine(Object.fromEntries(METRIC_KEYS.map((k) => [k, mean[k]])))}\n` };
}
