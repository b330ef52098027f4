/**
 * PointCloudRenderer in a real browser: headless Debian Chromium (WebGL2 on SwiftShader, no GPU
 * needed) renders test/pages/renderer-page.ts, bundled here with esbuild. Saves a screenshot to
 * test-artifacts/renderer.png. Skipped when Chromium is not installed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasChromium, launchChromium, recordConsole, serveStatic } from '@d4rt/browser-harness';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisposeCheck, RendererPageResult } from './pages/renderer-page.js';

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, '..', 'test-artifacts');
// WebGL2 on SwiftShader (software). Debian's Chromium 156 also falls back to it without these
// flags, but that automatic fallback is deprecated; asking for it keeps the test working after.
const CHROMIUM_WEBGL_ARGS = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

if (!hasChromium()) {
  console.warn('renderer.browser.test.ts: skipped, no Chromium at /usr/bin/chromium (set D4RT_CHROMIUM to another executable)');
}

describe.skipIf(!hasChromium())('PointCloudRenderer in headless Chromium (WebGL2)', () => {
  let dir = '';
  let server: Awaited<ReturnType<typeof serveStatic>> | null = null;
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  let result: RendererPageResult | undefined;
  let disposeCheck: DisposeCheck | undefined;
  let log: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'd4rt-viz-renderer-'));
    await build({
      entryPoints: [join(here, 'pages', 'renderer-page.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outdir: dir,
      logLevel: 'silent',
    });
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>renderer</title><body><script type="module" src="./renderer-page.js"></script></body>\n');
    server = await serveStatic(dir);
    browser = await launchChromium({ args: CHROMIUM_WEBGL_ARGS, viewport: { width: 400, height: 300 } });
    const page = await browser.context.newPage();
    log = recordConsole(page);
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.__result !== undefined || window.__error !== undefined, undefined, { timeout: 60_000 });
    const error = await page.evaluate(() => window.__error);
    if (error !== undefined) throw new Error(`the page failed: ${error}\n${log.join('\n')}`);
    result = await page.evaluate(() => window.__result);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.locator('canvas').screenshot({ path: join(ARTIFACTS, 'renderer.png') });
    disposeCheck = await page.evaluate(() => window.__disposeCheck!());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('draws the point cloud over much of the canvas without GL errors', () => {
    expect(result, log.join('\n')).toBeDefined();
    expect(result!.glError).toBe(0);
    expect(result!.nonBackgroundPixels).toBeGreaterThan(0.2 * result!.pixels);
  });

  it('draws the frustums in the frustum colour, the highlighted one in the highlight colour, and the track', () => {
    expect(result!.frustumPixels).toBeGreaterThan(100);
    expect(result!.highlightPixels).toBeGreaterThan(30);
    expect(result!.trackPixels).toBeGreaterThan(30);
  });

  it('works with the default options (MSAA) on an OffscreenCanvas, and drawTracksOnCanvas draws on a real 2D canvas', () => {
    expect(result!.offscreenDefaultsPixels).toBeGreaterThan(0.2 * 160 * 120);
    expect(result!.canvasTrackPixels).toBeGreaterThan(40);
  });

  it('renders a different view after an orbit rotate', () => {
    expect(result!.changedAfterRotate).toBeGreaterThan(0.05 * result!.pixels);
    expect(result!.nonBackgroundAfterRotate).toBeGreaterThan(0.05 * result!.pixels);
  });

  it('dispose() frees every GL object and later calls throw', () => {
    expect(disposeCheck).toBeDefined();
    expect(disposeCheck!.disposedFlag).toBe(true);
    expect(disposeCheck!.renderThrew).toBe('PointCloudRenderer.render: the renderer was disposed');
    expect(disposeCheck!.setPointCloudThrew).toBe('PointCloudRenderer.setPointCloud: the renderer was disposed');
    // one renderer alive (the OffscreenCanvas one was disposed): 3 layers x 2 buffers, 3 vertex arrays, 1 program
    expect(result!.liveObjects).toEqual({ Buffer: 6, VertexArray: 3, Program: 1, Shader: 0 });
    expect(disposeCheck!.liveObjects).toEqual({ Buffer: 0, VertexArray: 0, Program: 0, Shader: 0 });
    expect(disposeCheck!.glError).toBe(0);
  });
});
