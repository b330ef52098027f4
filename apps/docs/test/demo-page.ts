/** Serves the built docs site (`.vitepress/dist`) with isolation headers and opens pages in headless Chromium. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, recordConsole } from '@d4rt/browser-harness';
import { serveSite } from '../scripts/site-server.mjs';
import type { BrowserContext, Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built site. */
export const DIST = path.resolve(here, '../.vitepress/dist');
/** Screenshots kept by the tests (git-ignored). */
export const ARTIFACTS = path.resolve(here, '../test-artifacts');
/** `packages/models`. */
export const MODELS = path.resolve(here, '../../../packages/models');

/** Whether the site is built (`pnpm --filter @d4rt/docs build`). */
export function siteBuilt(): boolean {
  return existsSync(path.join(DIST, 'demo.html'));
}

export interface Site {
  url: string;
  context: BrowserContext;
  /** Opens `pathAndQuery` in a new page and records its console. */
  open(pathAndQuery: string): Promise<{ page: Page; consoleLines: string[] }>;
  close(): Promise<void>;
}

export async function openSite(): Promise<Site> {
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await serveSite(DIST);
  const browser = await launchChromium();
  return {
    url: server.url,
    context: browser.context,
    async open(pathAndQuery) {
      const page = await browser.context.newPage();
      const consoleLines = recordConsole(page);
      await page.goto(`${server.url}${pathAndQuery}`);
      return { page, consoleLines };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Waits until the demo reports `done` or `error` (window.__d4rtDemo.state). */
export async function demoSettled(page: Page, timeout = 180_000): Promise<string> {
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { __d4rtDemo?: { state: string } }).__d4rtDemo?.state;
      return s === 'done' || s === 'error';
    },
    null,
    { timeout, polling: 100 },
  );
  return page.evaluate(() => (window as unknown as { __d4rtDemo: { state: string } }).__d4rtDemo.state);
}
