/**
 * Browser page for test/renderer.browser.test.ts: renders a synthetic point cloud, three camera
 * frustums (one highlighted) and a 3D track with PointCloudRenderer, and reports what the canvas
 * shows in `window.__result`. `window.__disposeCheck()` then disposes the renderer and reports
 * whether every GL object was freed and later calls throw.
 *
 * Bundled with esbuild by the test; imports the sources directly.
 */
import { attachOrbitControls, drawTracksOnCanvas, PointCloudRenderer } from '../../src/index.js';

export const WIDTH = 320;
export const HEIGHT = 240;
export const BACKGROUND = [17, 19, 24, 255] as const;
export const FRUSTUM = [255, 0, 255] as const;
export const HIGHLIGHT = [255, 255, 0] as const;
export const TRACK = [0, 255, 255] as const;

export interface RendererPageResult {
  webgl2: boolean;
  width: number;
  height: number;
  pixels: number;
  nonBackgroundPixels: number;
  frustumPixels: number;
  highlightPixels: number;
  trackPixels: number;
  /** Pixels that differ between the view before and after `camera.rotate(0.5, 0.3)`. */
  changedAfterRotate: number;
  /** Non-background pixels of the rotated view. */
  nonBackgroundAfterRotate: number;
  glError: number;
  liveObjects: Record<string, number>;
  /** Non-background pixels of the same scene with the default options (antialias on) on an OffscreenCanvas. */
  offscreenDefaultsPixels: number;
  /** Red pixels drawn by drawTracksOnCanvas on a real 2D canvas (one red track). */
  canvasTrackPixels: number;
}

export interface DisposeCheck {
  renderThrew: string | null;
  setPointCloudThrew: string | null;
  disposedFlag: boolean;
  liveObjects: Record<string, number>;
  glError: number;
}

declare global {
  interface Window {
    __result?: RendererPageResult;
    __error?: string;
    __disposeCheck?: () => DisposeCheck;
  }
}

// Count the GL objects created and deleted (by kind), to check that dispose() frees them all.
const live: Record<string, number> = { Buffer: 0, VertexArray: 0, Program: 0, Shader: 0 };
const proto = WebGL2RenderingContext.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
for (const kind of Object.keys(live)) {
  const create = proto[`create${kind}`]!;
  const remove = proto[`delete${kind}`]!;
  proto[`create${kind}`] = function (this: unknown, ...args: unknown[]) {
    const object = create.apply(this, args);
    if (object !== null) live[kind]!++;
    return object;
  };
  proto[`delete${kind}`] = function (this: unknown, ...args: unknown[]) {
    if (args[0] !== null && args[0] !== undefined) live[kind]!--;
    return remove.apply(this, args);
  };
}

/** Camera-to-world: yaw about y, then translation (column-major). */
function pose(yaw: number, t: [number, number, number]): Float32Array {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return new Float32Array([c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, t[0], t[1], t[2], 1]);
}

function count(rgba: Uint8ClampedArray, match: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) if (match(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!)) n++;
  return n;
}

const near = (c: readonly number[], tolerance = 24) => (r: number, g: number, b: number): boolean =>
  Math.abs(r - c[0]!) <= tolerance && Math.abs(g - c[1]!) <= tolerance && Math.abs(b - c[2]!) <= tolerance;

function main(): void {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  canvas.style.cssText = `width: ${WIDTH}px; height: ${HEIGHT}px; display: block`;
  document.body.style.margin = '0';
  document.body.append(canvas);

  // A wall at z = 4 and a floor at y = 1.2 (OpenCV: y down), greens and blues only; plus a few
  // far outliers that the robust framing must ignore.
  const wall = 100 * 75;
  const floor = 100 * 60;
  const outliers = 20;
  const n = wall + floor + outliers;
  const positions = new Float32Array(n * 3);
  const colors = new Uint8Array(n * 3);
  let k = 0;
  for (let j = 0; j < 75; j++) {
    for (let i = 0; i < 100; i++, k++) {
      positions.set([-2 + (4 * i) / 99, -1.5 + (2.7 * j) / 74, 4], 3 * k);
      colors.set([40, 120 + ((i * 3 + j) % 100), 60 + (j % 50)], 3 * k);
    }
  }
  for (let j = 0; j < 60; j++) {
    for (let i = 0; i < 100; i++, k++) {
      positions.set([-2 + (4 * i) / 99, 1.2, 1 + (3 * j) / 59], 3 * k);
      colors.set([30, 60 + (j % 40), 150 + (i % 100)], 3 * k);
    }
  }
  for (let o = 0; o < outliers; o++, k++) positions.set([1e4 * (o + 1), -1e4, 1e5], 3 * k);

  const cameraToWorld = [pose(-0.15, [-0.4, 0, 0]), pose(0, [0, -0.1, 0.3]), pose(0.15, [0.4, 0, 0])];
  const K = { fx: 300, fy: 300, cx: (WIDTH - 1) / 2, cy: (HEIGHT - 1) / 2 };

  // One track: a helix in front of the wall, visible everywhere but frames 10..12.
  const frames = 40;
  const xyz = new Float32Array(frames * 3);
  const visible = new Uint8Array(frames).fill(1);
  for (let t = 0; t < frames; t++) xyz.set([0.8 * Math.cos(t / 4), 0.8 * Math.sin(t / 4) - 0.3, 2 + t / 20], 3 * t);
  visible.fill(0, 10, 13);

  let renderer: PointCloudRenderer;
  try {
    renderer = new PointCloudRenderer(canvas, { pointSize: 3, background: BACKGROUND, frustumColor: FRUSTUM, highlightColor: HIGHLIGHT, antialias: false });
  } catch (error) {
    window.__error = String((error as Error).message);
    return;
  }
  renderer
    .setPointCloud({ positions, colors, count: n })
    .setCameras({ cameraToWorld, intrinsics: [K, K, K], width: WIDTH, height: HEIGHT, highlight: 1, scale: 0.6 })
    .setTracks({ xyz, frames, points: 1, visible, colors: new Uint8Array(TRACK) })
    .frame();
  const detach = attachOrbitControls(canvas, { renderer });

  const before = renderer.readPixels().rgba;
  renderer.camera.rotate(0.5, 0.3);
  const after = renderer.readPixels().rgba;
  let changed = 0;
  for (let i = 0; i < before.length; i += 4) {
    if (before[i] !== after[i] || before[i + 1] !== after[i + 1] || before[i + 2] !== after[i + 2]) changed++;
  }
  renderer.camera.rotate(-0.5, -0.3);
  renderer.render(); // what the screenshot shows
  const gl = canvas.getContext('webgl2')!;
  const isBackground = near(BACKGROUND, 0);

  // The same scene with the default options (MSAA on) on an OffscreenCanvas.
  const offscreen = new PointCloudRenderer(new OffscreenCanvas(160, 120));
  offscreen.setPointCloud({ positions, colors, count: n }).setCameras({ cameraToWorld, intrinsics: [K, K, K], width: WIDTH, height: HEIGHT }).frame();
  const defaultsRgba = offscreen.readPixels().rgba;
  const offscreenDefaultsPixels = count(defaultsRgba, (r, g, b) => !near([17, 19, 24], 0)(r, g, b));
  offscreen.dispose();

  // drawTracksOnCanvas on a real 2D context: one red track over 5 frames.
  const canvas2d = document.createElement('canvas');
  canvas2d.width = 64;
  canvas2d.height = 48;
  const ctx = canvas2d.getContext('2d')!;
  const uv = new Float32Array([0.1, 0.1, 0.3, 0.2, 0.5, 0.4, 0.7, 0.6, 0.9, 0.8]);
  drawTracksOnCanvas(ctx, { frame: 4, tracks: { frames: 5, points: 1, uv, visible: [1, 1, 1, 1, 1] }, tail: 4, colors: new Uint8Array([255, 0, 0]) });
  const canvasTrackPixels = count(ctx.getImageData(0, 0, 64, 48).data, (r, g, b) => r > 200 && g < 40 && b < 40);
  window.__result = {
    webgl2: true,
    width: WIDTH,
    height: HEIGHT,
    pixels: WIDTH * HEIGHT,
    nonBackgroundPixels: count(before, (r, g, b) => !isBackground(r, g, b)),
    frustumPixels: count(before, near(FRUSTUM)),
    highlightPixels: count(before, near(HIGHLIGHT)),
    trackPixels: count(before, near(TRACK)),
    changedAfterRotate: changed,
    nonBackgroundAfterRotate: count(after, (r, g, b) => !isBackground(r, g, b)),
    glError: gl.getError(),
    liveObjects: { ...live },
    offscreenDefaultsPixels,
    canvasTrackPixels,
  };

  window.__disposeCheck = (): DisposeCheck => {
    detach();
    renderer.dispose();
    renderer.dispose(); // harmless
    const message = (f: () => unknown): string | null => {
      try {
        f();
        return null;
      } catch (error) {
        return String((error as Error).message);
      }
    };
    return {
      renderThrew: message(() => renderer.render()),
      setPointCloudThrew: message(() => renderer.setPointCloud(null)),
      disposedFlag: renderer.disposed,
      liveObjects: { ...live },
      glError: gl.getError(),
    };
  };
}

main();
