/**
 * The docs site's live demo in headless Debian Chromium: it loads, runs d4rt-tiny on the wasm
 * backend (in a worker), draws depth (not uniform), tracks and the 3D view, and its depth equals
 * onnxruntime-node's on the same frames within 1e-3; bad inputs show a message and leave the page
 * usable. Screenshots go to apps/docs/test-artifacts/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasChromium } from '@d4rt/browser-harness';
import { loadModel, readVideo } from '@d4rt/runtime-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, MODELS, demoSettled, openSite, siteBuilt, type Site } from './demo-page.js';

const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : undefined;
const skip = !hasChromium() ? 'skipped: /usr/bin/chromium not found (apt-get install chromium)' : !siteBuilt() ? 'skipped: the docs site is not built (pnpm --filter @d4rt/docs build)' : '';
if (skip) console.warn(skip);

/** Pixels of a canvas: [distinct colours, non-transparent pixels, total]. */
async function canvasStats(page: Page, testId: string): Promise<{ distinct: number; opaque: number; total: number; std: number }> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement;
    let data: Uint8ClampedArray;
    const ctx2d = c.getContext('2d');
    if (ctx2d !== null) data = ctx2d.getImageData(0, 0, c.width, c.height).data;
    else {
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const cc = copy.getContext('2d')!;
      cc.drawImage(c, 0, 0);
      data = cc.getImageData(0, 0, c.width, c.height).data;
    }
    const colours = new Set<number>();
    let opaque = 0;
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      if (data[i + 3]! > 0) opaque++;
      const g = data[i]! + data[i + 1]! + data[i + 2]!;
      sum += g;
      sum2 += g * g;
    }
    const n = data.length / 4;
    return { distinct: colours.size, opaque, total: n, std: Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2)) };
  }, testId);
}

describe.skipIf(skip !== '')('docs live demo in headless Chromium', () => {
  let site: Site;
  beforeAll(async () => {
    site = await openSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it('runs d4rt-tiny on wasm in a worker; depth equals onnxruntime-node on the same clip within 1e-3; depth, tracks and 3D are drawn', async () => {
    const { page, consoleLines } = await site.open('/demo?device=wasm');
    const state = await demoSettled(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo.png'), fullPage: true });
    expect(state, consoleLines.join('\n')).toBe('done');
    const r = await page.evaluate(() => {
      const d = (window as unknown as { __d4rtDemo: { result: Record<string, any> } }).__d4rtDemo.result;
      return {
        backend: d.backend as string,
        decoder: d.decoder as string,
        isolated: crossOriginIsolated,
        video: { data: Array.from(d.video.data as Uint8Array), frames: d.video.frames, width: d.video.width, height: d.video.height },
        depth: { data: Array.from(d.depth.data as Float32Array), width: d.depth.width, height: d.depth.height, frames: d.depth.frames },
        visible: Array.from(d.tracks.visible as Uint8Array).reduce((a: number, b: number) => a + b, 0),
        cloud: d.cloud.count as number,
      };
    });
    expect(r.backend).toBe('onnxruntime-web:wasm');
    expect(r.isolated).toBe(true);
    expect(r.decoder).toBe('webcodecs');
    expect(await page.locator('[data-testid="error"]').count()).toBe(0);

    // The same clip through onnxruntime-node, on the frames the page decoded.
    const model = await loadModel(undefined, { device: 'cpu' });
    const scene = await model.encode({ data: Uint8Array.from(r.video.data), frames: r.video.frames, width: r.video.width, height: r.video.height });
    const depth = await scene.depth();
    // And the `d4rt demo` pipeline: the clip decoded by ffmpeg instead of the browser.
    const ffmpegVideo = FFMPEG ? await readVideo(path.join(MODELS, 'fixtures/demo/demo.mp4'), { frames: model.manifest.clip.frames }) : null;
    const ffmpegDepth = ffmpegVideo ? (await (await model.encode(ffmpegVideo)).depth()).data : null;
    await model.dispose();
    let maxDiff = 0;
    let maxFfmpeg = 0;
    let maxRel = 0;
    for (let i = 0; i < depth.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(r.depth.data[i]! - depth.data[i]!));
      if (ffmpegDepth) {
        maxFfmpeg = Math.max(maxFfmpeg, Math.abs(r.depth.data[i]! - ffmpegDepth[i]!));
        maxRel = Math.max(maxRel, Math.abs(r.depth.data[i]! - ffmpegDepth[i]!) / ffmpegDepth[i]!);
      }
    }
    const note = `demo page depth vs onnxruntime-node: same frames max |diff| ${maxDiff.toExponential(2)}; vs the ffmpeg-decoded clip max |diff| ${maxFfmpeg.toExponential(2)} (max rel ${maxRel.toExponential(2)})`;
    console.info(note);
    await writeFile(path.join(ARTIFACTS, 'demo-parity.txt'), `${note}\n`);
    expect(maxDiff).toBeLessThan(1e-3);
    // The browser decodes the clip's H.264 as ffmpeg does (same YUV -> RGB arithmetic), so the `d4rt demo` pipeline agrees too.
    if (ffmpegDepth) expect(maxFfmpeg).toBeLessThan(1e-3);

    // Depth canvas: many colours, not one flat colour.
    const depthPixels = await canvasStats(page, 'depth');
    expect(depthPixels.distinct).toBeGreaterThan(50);
    expect(depthPixels.std).toBeGreaterThan(10);
    // Tracks: visible points drawn on the transparent overlay.
    expect(r.visible).toBeGreaterThan(0);
    const overlay = await canvasStats(page, 'tracks');
    expect(overlay.opaque).toBeGreaterThan(100);
    expect(overlay.opaque).toBeLessThan(overlay.total / 2);
    // 3D view: points and frustums on the dark background.
    expect(r.cloud).toBeGreaterThan(1000);
    const cloud = await canvasStats(page, 'cloud');
    expect(cloud.distinct).toBeGreaterThan(50);

    // Scrubbing the timeline redraws: the tracks move.
    const before = await page.locator('[data-testid="tracks"]').screenshot();
    await page.locator('[data-testid="frame"]').fill('12');
    await page.waitForTimeout(200);
    const after = await page.locator('[data-testid="tracks"]').screenshot();
    expect(Buffer.compare(before, after)).not.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-frame12.png'), fullPage: true });
    await page.close();
  });

  it('a model URL that 404s shows a message naming the URL, and the page stays usable', async () => {
    const { page } = await site.open('/demo?device=wasm&model=/models/nope/');
    expect(await demoSettled(page, 60_000)).toBe('error');
    const alert = page.locator('[data-testid="error"]');
    await expect.poll(() => alert.isVisible()).toBe(true);
    expect(await alert.textContent()).toMatch(/^ModelLoadError: loadModel: manifest 'http:\/\/127\.0\.0\.1:\d+\/models\/nope\/manifest\.json' answered HTTP 404/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'error-model-404.png'), fullPage: true });
    // Not hung: the controls are enabled again and the page answers.
    expect(await page.getByRole('button', { name: 'Run on the demo clip' }).isEnabled()).toBe(true);
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
    await page.close();
  });

  it.skipIf(!FFMPEG)('a non-video file and a video the browser cannot decode show a message; the page stays usable', async () => {
    const { page } = await site.open('/demo?device=wasm');
    expect(await demoSettled(page)).toBe('done');
    const cases = [
      { name: 'notes.txt', mime: 'text/plain', buffer: Buffer.from('these are not frames\n'.repeat(50)), expected: /^InvalidVideoError: readVideo: file 'notes.txt' is not a video this browser recognises/ },
    ];
    const tmp = path.join(ARTIFACTS, 'part2.mp4');
    await promisify(execFile)(FFMPEG!, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10:duration=1', '-c:v', 'mpeg4', tmp]);
    const { readFile } = await import('node:fs/promises');
    cases.push({ name: 'part2.mp4', mime: 'video/mp4', buffer: await readFile(tmp), expected: /^InvalidVideoError: readVideo: file 'part2.mp4' \(mp4 container, codec 'mp4v[^']*', not supported by WebCodecs\) cannot be decoded by this browser/ });
    for (const c of cases) {
      await page.locator('[data-testid="file"]').setInputFiles({ name: c.name, mimeType: c.mime, buffer: c.buffer });
      await page.waitForFunction(() => (window as unknown as { __d4rtDemo: { state: string } }).__d4rtDemo.state !== 'running', null, { timeout: 60_000 });
      const alert = page.locator('[data-testid="error"]');
      expect(await alert.isVisible()).toBe(true);
      expect(await alert.textContent()).toMatch(c.expected);
      await page.screenshot({ path: path.join(ARTIFACTS, `error-${c.name.replace('.', '-')}.png`), fullPage: true });
      expect(await page.getByRole('button', { name: 'Run on the demo clip' }).isEnabled()).toBe(true);
    }
    await page.close();
  });
});
