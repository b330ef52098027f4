/**
 * Screenshots of the built site (`pnpm docs:build` first) in headless Chromium, into
 * `apps/docs/screenshots/` (git-ignored): the home page, a guide page, an API page, and the live
 * demo after a finished run on the bundled clip. `node scripts/screenshots.mjs [--only home,guide,api,demo]`.
 * Prints each file with what it shows.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@d4rt/browser-harness';
import { serveSite } from './site-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../.vitepress/dist');
const out = path.resolve(here, '../screenshots');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;

/** Waits until the demo reports `done` or `error`; returns the state. */
async function demoSettled(page, timeout) {
  await page.waitForFunction(() => ['done', 'error'].includes(window.__d4rtDemo?.state), null, { timeout, polling: 200 });
  return page.evaluate(() => window.__d4rtDemo.state);
}

const SHOTS = [
  { name: 'home', url: '/', what: 'the home page: hero picture from real outputs, the Node and browser examples, packages and their npm status' },
  { name: 'guide', url: '/guide/depth', what: 'the depth guide: predicted depth beside ground truth, options table' },
  { name: 'api', url: '/api/@d4rt/core/classes/Scene', what: 'an API page with the per-package sidebar' },
  {
    name: 'demo',
    url: '/demo',
    what: 'the live demo after a finished run on the bundled clip: video with tracks, predicted and ground-truth depth, 3D view',
    async act(page) {
      await page.getByRole('button', { name: /^Run on the demo clip/ }).click();
      const state = await demoSettled(page, 300_000);
      if (state !== 'done') throw new Error(`screenshots: the demo ended in state '${state}': ${await page.evaluate(() => window.__d4rtDemo.error)}`);
      await page.waitForTimeout(300);
    },
  },
];

await mkdir(out, { recursive: true });
const server = await serveSite(dist);
const browser = await launchChromium({ viewport: { width: 1440, height: 900 } });
try {
  for (const shot of SHOTS) {
    if (only !== null && !only.includes(shot.name)) continue;
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${server.url}${shot.url}`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('#app')?.__vue_app__ !== undefined);
    await shot.act?.(page);
    const file = path.join(out, `${shot.name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`${path.relative(process.cwd(), file)}: ${shot.what}${errors.length ? ` (console errors: ${errors.join('; ')})` : ''}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
