/**
 * The picture of `d4rt eval --figure <file.png>`: one row per evaluated sequence, the model's
 * outputs beside the ground truth, for the model card and the docs.
 *
 * Columns, in this fixed order ({@link FIGURE_COLUMNS}):
 * 1. `input`: the middle evaluated frame (`source[(n - 1) >> 1]` of `evaluatedFrames`), at the
 *    source resolution;
 * 2. `GT depth`: its ground-truth depth;
 * 3. `predicted depth`: the model's depth of the same frame times the one median scale per
 *    sequence that the depth metric applied ({@link EvalOutputs.depthScale}), with the SAME colour
 *    limits as the ground truth of that row (its 2nd and 98th percentiles), so colours compare
 *    (turbo by inverse depth: near = red, far = dark blue; no value = grey);
 * 4. `GT tracks`: up to {@link FIGURE_MAX_TRACKS} of the clip's tracks (evenly chosen), their
 *    camera-frame points projected with the ground-truth intrinsics of each frame, drawn over the
 *    input frame with 8-frame tails (`@d4rt/viz`'s `drawTracks`);
 * 5. `predicted tracks`: the model's tracks of the same queries with its visibility flags, the same
 *    colour per track.
 * Columns 4 and 5 exist when some sequence has tracks (fixture clips; real datasets have none:
 * those cells say so). Each row has a title line above it (sequence, frame, AbsRel), the figure a
 * header of column titles and footer notes, drawn with a built-in bitmap font (`bitmap-font.ts`).
 *
 * Panels are scaled to a common height with nearest-neighbour sampling ({@link figurePanelSize}:
 * an integer factor up to {@link FIGURE_PANEL_HEIGHT} pixels, e.g. 3x for 120 x 80 clips; larger
 * sources are sampled down to it) and separated by {@link FIGURE_GUTTER} pixels of white. The
 * result depends only on its inputs (no randomness, no system fonts) and is written atomically
 * with `@d4rt/runtime-node`'s `writeRgbPng`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { writeRgbPng, type Scene } from '@d4rt/runtime-node';
import { depthToRgba, drawTracks, rgbToRgba, trackColors } from '@d4rt/viz';
import { GLYPH_HEIGHT, drawText, textWidth } from './bitmap-font.js';
import { evaluatedFrames, type EvalOutputs, type EvalSequence } from './evaluate.js';
import { UsageError } from './options.js';

/** Column titles, in order; the last two only when some sequence has tracks. */
export const FIGURE_COLUMNS = ['input', 'GT depth', 'predicted depth', 'GT tracks', 'predicted tracks'] as const;
/** Most tracks drawn per sequence (evenly chosen among the clip's). */
export const FIGURE_MAX_TRACKS = 48;
/** Panel height the nearest-neighbour scaling aims at, in pixels. */
export const FIGURE_PANEL_HEIGHT = 240;
/** White space between panels and around the figure, in pixels. */
export const FIGURE_GUTTER = 4;
/** Pixels per font cell of the titles. */
export const FIGURE_TEXT_SCALE = 2;
/** Frames of trail behind each track's current position. */
export const FIGURE_TAIL = 8;

/** Height of one line of text with its padding. */
const LINE = GLYPH_HEIGHT * FIGURE_TEXT_SCALE + 2 * FIGURE_GUTTER;
/** Colour of depth pixels without a value. */
const NO_DEPTH = [128, 128, 128, 255] as const;
const FOOTER = [
  'depth: turbo by 1/depth, red = near, blue = far, grey = no value',
  "a row's GT and predicted depth share the GT's 2-98 % colour limits",
  "predicted depth x the depth metric's median scale of the sequence",
];
const TRACKS_FOOTER = `tracks: up to ${FIGURE_MAX_TRACKS} per sequence, ${FIGURE_TAIL}-frame tails, same colour = same track`;

/** An RGBA image. */
export interface FigurePanel {
  /** Row-major RGBA, `width * height * 4`. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** One row of the figure: a sequence's panels, in {@link FIGURE_COLUMNS} order. */
export interface FigureRow {
  /** The sequence's name. */
  name: string;
  /** The title line drawn above the row. */
  label: string;
  /** Panels of the same size; the track panels are null without tracks. */
  panels: [FigurePanel, FigurePanel, FigurePanel, FigurePanel | null, FigurePanel | null];
}

/** Where everything of a figure goes ({@link figureLayout}). */
export interface FigureLayout {
  width: number;
  height: number;
  /** 3, or 5 when some row has tracks. */
  columns: number;
  /** Width of every column's cell. */
  cellWidth: number;
  /** Per row, per column, the panel's rectangle (a panel is centred in its cell). */
  panels: { x: number; y: number; width: number; height: number }[][];
  /** Top of each row's title line. */
  labelY: number[];
  /** Left edge of each column's cell. */
  cellX: number[];
  /** Top of the footer notes. */
  footerY: number;
  /** The footer lines. */
  footer: string[];
}

/**
 * The display size of a panel of a `width x height` source: scaled by the integer
 * `max(1, floor(FIGURE_PANEL_HEIGHT / height))` when the source is lower than
 * {@link FIGURE_PANEL_HEIGHT}, else down to that height (the width keeps the aspect).
 */
export function figurePanelSize(width: number, height: number): { width: number; height: number } {
  if (height < FIGURE_PANEL_HEIGHT) {
    const s = Math.max(1, Math.floor(FIGURE_PANEL_HEIGHT / height));
    return { width: width * s, height: height * s };
  }
  return { width: Math.max(1, Math.round((width * FIGURE_PANEL_HEIGHT) / height)), height: FIGURE_PANEL_HEIGHT };
}

/**
 * Where the panels and the text of a figure go: a header line of column titles, then per row a
 * title line and its panels (one cell per column, all cells {@link FigureLayout.cellWidth} wide,
 * panels centred in them), {@link FIGURE_GUTTER} pixels of white between and around, then the footer.
 * @param rows - each row's panel size and whether it has track panels
 */
export function figureLayout(rows: readonly { width: number; height: number; tracks: boolean }[]): FigureLayout {
  const G = FIGURE_GUTTER;
  const anyTracks = rows.some((r) => r.tracks);
  const columns = anyTracks ? 5 : 3;
  const cellWidth = Math.max(1, ...rows.map((r) => r.width));
  const width = G + columns * (cellWidth + G);
  const cellX = Array.from({ length: columns }, (_, c) => G + c * (cellWidth + G));
  let y = LINE;
  const labelY: number[] = [];
  const panels = rows.map((r) => {
    labelY.push(y);
    const top = y + LINE;
    y = top + r.height + G;
    return cellX.map((x) => ({ x: x + ((cellWidth - r.width) >> 1), y: top, width: r.width, height: r.height }));
  });
  const footer = anyTracks ? [...FOOTER, TRACKS_FOOTER] : FOOTER.slice();
  const footerY = y;
  return { width, height: footerY + footer.length * (LINE - G) + G, columns, cellWidth, panels, labelY, cellX, footerY, footer };
}

/** Nearest-neighbour resampling of an RGBA image to `width x height`: a new image. */
export function resizeNearest(src: FigurePanel, width: number, height: number): FigurePanel {
  const rgba = new Uint8ClampedArray(width * height * 4);
  const xs = Int32Array.from({ length: width }, (_, x) => Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / width)));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / height));
    for (let x = 0; x < width; x++) {
      const s = 4 * (sy * src.width + xs[x]!);
      const o = 4 * (y * width + x);
      rgba[o] = src.rgba[s]!;
      rgba[o + 1] = src.rgba[s + 1]!;
      rgba[o + 2] = src.rgba[s + 2]!;
      rgba[o + 3] = src.rgba[s + 3]!;
    }
  }
  return { rgba, width, height };
}

/**
 * Ground-truth 2D tracks over the model frames: the clip's camera-frame points of source frame
 * `sourceIndices[k]` projected with that frame's intrinsics, `u = (fx x / z + cx) / (W - 1)`,
 * `v = (fy y / z + cy) / (H - 1)` (NaN behind the camera), with the clip's visibility.
 * @param seq - the sequence (with tracks)
 * @param sourceIndices - source frame of each model frame
 * @param pick - which tracks, in order
 * @returns new frame-major arrays `uv` (`frames * pick.length * 2`) and `visible`
 */
export function projectGroundTruthTracks(
  seq: Pick<EvalSequence, 'video' | 'intrinsics'> & { tracks: NonNullable<EvalSequence['tracks']> },
  sourceIndices: ArrayLike<number>,
  pick: readonly number[],
): { uv: Float32Array; visible: Uint8Array } {
  const { count: N, xyzCamera, visible: vis } = seq.tracks;
  const T = sourceIndices.length;
  const M = pick.length;
  const uv = new Float32Array(T * M * 2);
  const visible = new Uint8Array(T * M);
  const sx = Math.max(1, seq.video.width - 1);
  const sy = Math.max(1, seq.video.height - 1);
  for (let k = 0; k < T; k++) {
    const s = sourceIndices[k]!;
    const K = seq.intrinsics?.[s];
    for (let j = 0; j < M; j++) {
      const i = pick[j]!;
      const o = (s * N + i) * 3;
      const z = xyzCamera[o + 2]!;
      const ok = z > 0 && K !== undefined;
      uv[2 * (k * M + j)] = ok ? (K!.fx * xyzCamera[o]! / z + K!.cx) / sx : Number.NaN;
      uv[2 * (k * M + j) + 1] = ok ? (K!.fy * xyzCamera[o + 1]! / z + K!.cy) / sy : Number.NaN;
      visible[k * M + j] = ok ? vis[s * N + i]! : 0;
    }
  }
  return { uv, visible };
}

/** `count` indices evenly spread over `0 .. total - 1` (`floor(i total / count)`), all of them when `total <= count`. */
export function evenPick(total: number, count: number): number[] {
  const m = Math.min(total, count);
  return Array.from({ length: m }, (_, i) => Math.floor((i * total) / m));
}

/**
 * The row of one evaluated sequence (see the module notes for the panels).
 * @param seq - the sequence and its ground truth
 * @param outputs - what `evaluateScene` returned for it
 * @param scene - the model's scene of `seq.video` (only its frame bookkeeping is read)
 * @returns a new {@link FigureRow}
 */
export function figureRow(seq: EvalSequence, outputs: EvalOutputs, scene: Pick<Scene, 'frames' | 'sourceIndices' | 'frameOfSource'>): FigureRow {
  const { width: W, height: H } = seq.video;
  const plane = W * H;
  const { source, model } = evaluatedFrames(scene, seq.video.frames);
  const m = (source.length - 1) >> 1;
  const s = source[m]!;
  const k = model[m]!;
  const size = figurePanelSize(W, H);
  const up = (p: FigurePanel): FigurePanel => resizeNearest(p, size.width, size.height);

  const input = up({ rgba: rgbToRgba(undefined, seq.video.data.subarray(s * plane * 3, (s + 1) * plane * 3), W, H), width: W, height: H });
  // no depth ground truth: an all-invalid panel
  const gt = depthToRgba(seq.depth?.subarray(s * plane, (s + 1) * plane) ?? new Float32Array(plane), { width: W, height: H, invalidColor: NO_DEPTH });
  const d = outputs.depth;
  const dPlane = d.width * d.height;
  if (d.frameIndices[m] !== k) throw new RangeError(`figureRow: outputs.depth.frameIndices[${m}] (${d.frameIndices[m]}) must be the evaluated model frame ${k}`);
  const scale = outputs.depthScale > 0 && Number.isFinite(outputs.depthScale) ? outputs.depthScale : 1;
  const pred = Float32Array.from(d.data.subarray(m * dPlane, (m + 1) * dPlane), (z) => z * scale);
  const limits = gt.min > 0 && Number.isFinite(gt.max) ? ([gt.min, gt.max] as const) : 'auto';
  const predicted = depthToRgba(pred, { width: d.width, height: d.height, limits, invalidColor: NO_DEPTH });

  let gtTracks: FigurePanel | null = null;
  let predTracks: FigurePanel | null = null;
  if (seq.tracks && outputs.tracks) {
    const tr = outputs.tracks;
    const pick = evenPick(seq.tracks.count, FIGURE_MAX_TRACKS);
    const M = pick.length;
    const uv = new Float32Array(tr.frames * M * 2);
    const visible = new Uint8Array(tr.frames * M);
    for (let t = 0; t < tr.frames; t++) {
      pick.forEach((i, j) => {
        uv[2 * (t * M + j)] = tr.uv[2 * (t * tr.points + i)]!;
        uv[2 * (t * M + j) + 1] = tr.uv[2 * (t * tr.points + i) + 1]!;
        visible[t * M + j] = tr.visible[t * tr.points + i]!;
      });
    }
    const truth = projectGroundTruthTracks({ ...seq, tracks: seq.tracks }, scene.sourceIndices, pick);
    const radius = Math.max(2, size.height / 80);
    const style = { width: size.width, height: size.height, frame: k, tail: FIGURE_TAIL, radius, lineWidth: Math.max(1, radius * 0.6), colors: trackColors(M) };
    const over = (tracks: { uv: Float32Array; visible: Uint8Array }): FigurePanel => ({
      rgba: drawTracks(input.rgba.slice(), { ...style, tracks: { frames: tr.frames, points: M, ...tracks } }),
      width: size.width,
      height: size.height,
    });
    gtTracks = over(truth);
    predTracks = over({ uv, visible });
  }
  const absRel = outputs.result.model.absRel;
  return {
    name: seq.name,
    label: `${seq.name} - source frame ${s} - depth absRel ${Number.isFinite(absRel) ? absRel.toFixed(3) : '-'}`,
    panels: [input, up(gt), up(predicted), gtTracks, predTracks],
  };
}

/**
 * Lays the rows out ({@link figureLayout}) on a white canvas with the column titles, the row titles
 * and the footer.
 * @returns a new RGB image (`width * height * 3`, row-major) and the column titles drawn
 */
export function composeFigure(rows: readonly FigureRow[]): { rgb: Uint8Array; width: number; height: number; columns: string[] } {
  if (rows.length === 0) throw new RangeError('composeFigure: rows (0) must hold at least one row');
  const layout = figureLayout(rows.map((r) => ({ width: r.panels[0].width, height: r.panels[0].height, tracks: r.panels[3] !== null })));
  const { width, height } = layout;
  const image = new Uint8ClampedArray(width * height * 4).fill(255);
  const text = (t: string, x: number, y: number): void => {
    drawText(image, width, height, t, { x, y: y + FIGURE_GUTTER, scale: FIGURE_TEXT_SCALE });
  };
  const centred = (t: string, c: number, y: number): void => text(t, layout.cellX[c]! + Math.max(0, (layout.cellWidth - textWidth(t, FIGURE_TEXT_SCALE)) >> 1), y);
  const columns = FIGURE_COLUMNS.slice(0, layout.columns);
  columns.forEach((t, c) => centred(t, c, 0));
  rows.forEach((row, r) => {
    text(row.label, FIGURE_GUTTER, layout.labelY[r]!);
    for (let c = 0; c < layout.columns; c++) {
      const rect = layout.panels[r]![c]!;
      const p = row.panels[c];
      if (!p) {
        centred('no ground-truth tracks', c, rect.y + ((rect.height - LINE) >> 1));
        continue;
      }
      for (let y = 0; y < p.height; y++) {
        image.set(p.rgba.subarray(4 * y * p.width, 4 * (y + 1) * p.width), 4 * ((rect.y + y) * width + rect.x));
      }
    }
  });
  layout.footer.forEach((t, i) => text(t, FIGURE_GUTTER, layout.footerY + i * (LINE - FIGURE_GUTTER)));
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    // panels are opaque; composite anything translucent over white
    const a = image[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(image[4 * i + c]! * a + 255 * (1 - a));
  }
  return { rgb, width, height, columns };
}

/**
 * Checks the value of `--figure` before any work: a path ending in `.png` (any case) that is not a
 * folder, in a folder that exists.
 * @returns the absolute path
 * @throws UsageError naming the option and the value otherwise
 */
export async function checkFigurePath(value: string): Promise<string> {
  const option = `--figure (${JSON.stringify(value)})`;
  if (extname(value).toLowerCase() !== '.png') throw new UsageError(`d4rt eval: ${option} must be the path of a .png file`);
  return checkOutputFilePath(option, value, 'a .png file');
}

/**
 * Checks the path of a file an eval option writes, before the model loads: not a folder, in a folder
 * that exists.
 * @param option - the option and its value, for messages
 * @param what - what the file is, for messages (`'a .png file'`)
 * @returns the absolute path
 * @throws {@link UsageError} naming the option and what is wrong
 */
export async function checkOutputFilePath(option: string, value: string, what: string): Promise<string> {
  const file = resolve(value);
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new UsageError(`d4rt eval: ${option} is a folder; give the path of ${what} to write`);
  const dir = dirname(file);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new UsageError(`d4rt eval: ${option}: the folder ${JSON.stringify(dir)} does not exist`);
  return file;
}

/**
 * Writes the figure of `rows` to `file` as an 8-bit RGB PNG (atomic: a failure leaves no file).
 * @returns its size and a one-line caption (rows and columns)
 */
export async function writeFigure(file: string, rows: readonly FigureRow[]): Promise<{ width: number; height: number; caption: string }> {
  const { rgb, width, height, columns } = composeFigure(rows);
  await writeRgbPng(file, rgb, { width, height, channels: 3 });
  const caption = `${file} (${width}x${height}): one row per sequence (${rows.map((r) => r.name).join(', ')}); columns: ${columns.join(' | ')}`;
  return { width, height, caption };
}
