/**
 * A 5 x 7 pixel bitmap font for the titles of `d4rt eval --figure`: capital letters, digits and a
 * little punctuation, drawn into an RGBA image at an integer scale.
 *
 * A bitmap font keeps the figure free of a font library and of the fonts installed on the machine
 * (an SVG rasterised by librsvg would pick whatever fontconfig finds, or draw nothing without
 * fonts), so the same inputs give the same pixels everywhere.
 *
 * Lower-case letters are drawn as capitals; any other character without a glyph as `?`. A glyph
 * takes {@link GLYPH_WIDTH} x {@link GLYPH_HEIGHT} cells of `scale` x `scale` pixels, and the
 * advance is one cell more ({@link textWidth}).
 *
 * @module
 */

/** Glyph width in cells. */
export const GLYPH_WIDTH = 5;
/** Glyph height in cells. */
export const GLYPH_HEIGHT = 7;

/** Each glyph as 7 rows of 5 cells, top row first, `#` = ink. */
const GLYPHS: Record<string, string> = {
  ' ': '...../...../...../...../...../...../.....',
  A: '.###./#...#/#...#/#####/#...#/#...#/#...#',
  B: '####./#...#/#...#/####./#...#/#...#/####.',
  C: '.###./#...#/#..../#..../#..../#...#/.###.',
  D: '####./#...#/#...#/#...#/#...#/#...#/####.',
  E: '#####/#..../#..../####./#..../#..../#####',
  F: '#####/#..../#..../####./#..../#..../#....',
  G: '.###./#...#/#..../#.###/#...#/#...#/.####',
  H: '#...#/#...#/#...#/#####/#...#/#...#/#...#',
  I: '.###./..#../..#../..#../..#../..#../.###.',
  J: '..###/...#./...#./...#./...#./#..#./.##..',
  K: '#...#/#..#./#.#../##.../#.#../#..#./#...#',
  L: '#..../#..../#..../#..../#..../#..../#####',
  M: '#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#',
  N: '#...#/#...#/##..#/#.#.#/#..##/#...#/#...#',
  O: '.###./#...#/#...#/#...#/#...#/#...#/.###.',
  P: '####./#...#/#...#/####./#..../#..../#....',
  Q: '.###./#...#/#...#/#...#/#.#.#/#..#./.##.#',
  R: '####./#...#/#...#/####./#.#../#..#./#...#',
  S: '.####/#..../#..../.###./....#/....#/####.',
  T: '#####/..#../..#../..#../..#../..#../..#..',
  U: '#...#/#...#/#...#/#...#/#...#/#...#/.###.',
  V: '#...#/#...#/#...#/#...#/#...#/.#.#./..#..',
  W: '#...#/#...#/#...#/#.#.#/#.#.#/#.#.#/.#.#.',
  X: '#...#/#...#/.#.#./..#../.#.#./#...#/#...#',
  Y: '#...#/#...#/.#.#./..#../..#../..#../..#..',
  Z: '#####/....#/...#./..#../.#.../#..../#####',
  '0': '.###./#...#/#..##/#.#.#/##..#/#...#/.###.',
  '1': '..#../.##../..#../..#../..#../..#../.###.',
  '2': '.###./#...#/....#/...#./..#../.#.../#####',
  '3': '#####/...#./..#../...#./....#/#...#/.###.',
  '4': '...#./..##./.#.#./#..#./#####/...#./...#.',
  '5': '#####/#..../####./....#/....#/#...#/.###.',
  '6': '..##./.#.../#..../####./#...#/#...#/.###.',
  '7': '#####/....#/...#./..#../.#.../.#.../.#...',
  '8': '.###./#...#/#...#/.###./#...#/#...#/.###.',
  '9': '.###./#...#/#...#/.####/....#/...#./.##..',
  '-': '...../...../...../.###./...../...../.....',
  _: '...../...../...../...../...../...../#####',
  '.': '...../...../...../...../...../.##../.##..',
  ',': '...../...../...../...../.##../..#../.#...',
  ':': '...../.##../.##../...../.##../.##../.....',
  '/': '...../....#/...#./..#../.#.../#..../.....',
  '(': '...#./..#../.#.../.#.../.#.../..#../...#.',
  ')': '.#.../..#../...#./...#./...#./..#../.#...',
  '=': '...../...../#####/...../#####/...../.....',
  '+': '...../..#../..#../#####/..#../..#../.....',
  '%': '##.../##..#/...#./..#../.#.../#..##/...##',
  "'": '..#../..#../.#.../...../...../...../.....',
  '|': '..#../..#../..#../..#../..#../..#../..#..',
  '?': '.###./#...#/....#/...#./..#../...../..#..',
};

/** Ink cells of each glyph as bit masks per row (bit 4 = leftmost cell), built once. */
const MASKS: ReadonlyMap<string, Uint8Array> = new Map(
  Object.entries(GLYPHS).map(([ch, rows]) => [ch, Uint8Array.from(rows.split('/'), (r) => [...r].reduce((m, c) => (m << 1) | (c === '#' ? 1 : 0), 0))]),
);

function mask(ch: string): Uint8Array {
  return MASKS.get(ch.toUpperCase()) ?? MASKS.get('?')!;
}

/** Width in pixels of `text` drawn at `scale` (`(GLYPH_WIDTH + 1) * scale` per character, no trailing gap). */
export function textWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** Options of {@link drawText}. */
export interface DrawTextOptions {
  /** Left edge of the first glyph, in pixels. */
  x: number;
  /** Top edge of the glyphs, in pixels. */
  y: number;
  /** Pixels per glyph cell (integer >= 1); default 1. */
  scale?: number;
  /** RGB of the ink; default near-black `[32, 32, 32]`. */
  color?: readonly [number, number, number];
}

/**
 * Draws `text` into an RGBA image, in place (opaque ink, no anti-aliasing), clipped to the image.
 *
 * @param image - RGBA `width * height * 4`, modified
 * @param width - image width in pixels
 * @param height - image height in pixels
 * @param text - the text (one line)
 * @param options - position, scale, colour
 * @returns `image`
 * @throws RangeError when `options.scale` is not an integer >= 1
 */
export function drawText(image: Uint8ClampedArray, width: number, height: number, text: string, options: DrawTextOptions): Uint8ClampedArray {
  const { x, y, scale = 1, color = [32, 32, 32] } = options;
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`drawText: options.scale (${scale}) must be an integer >= 1`);
  let left = Math.round(x);
  const top = Math.round(y);
  for (const ch of text) {
    const m = mask(ch);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (((m[row]! >> (GLYPH_WIDTH - 1 - col)) & 1) === 0) continue;
        for (let dy = 0; dy < scale; dy++) {
          const py = top + row * scale + dy;
          if (py < 0 || py >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const px = left + col * scale + dx;
            if (px < 0 || px >= width) continue;
            const o = 4 * (py * width + px);
            image[o] = color[0];
            image[o + 1] = color[1];
            image[o + 2] = color[2];
            image[o + 3] = 255;
          }
        }
      }
    }
    left += (GLYPH_WIDTH + 1) * scale;
  }
  return image;
}
