/**
 * The built site as a whole: every internal link (and its #anchor) resolves; API pages stay small
 * (each used to carry the whole API sidebar, ~220 KB); the preview server answers unknown URLs with
 * the site's 404 page; and every page loads in headless Chromium (1280 x 900) without a console
 * error, a page error or a failed request, styled, with no table or code block wider than the text
 * column.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hasChromium, launchChromium } from '@d4rt/browser-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSite } from '../scripts/site-server.mjs';
import { DIST, siteBuilt } from './demo-page.js';
import { idsIn, linksIn, readPage, resolveUrlPath, sitePages, type SitePage } from './site-files.js';
import { modelDigest } from '../scripts/pictures.mjs';

const built = siteBuilt();
if (!built) console.warn('skipped: the docs site is not built (pnpm docs:build)');

/** Largest page under api/ (bytes). */
const API_PAGE_LIMIT = 60_000;

describe.skipIf(!built)('the built docs site', () => {
  let pages: SitePage[];
  beforeAll(async () => {
    pages = await sitePages(DIST);
  });

  it('has no broken internal links or anchors', async () => {
    const ids = new Map<string, Set<string>>();
    const idsOf = async (file: string): Promise<Set<string>> => {
      let s = ids.get(file);
      if (s === undefined) ids.set(file, (s = idsIn(await readPage(DIST, path.relative(DIST, file)))));
      return s;
    };
    const broken: string[] = [];
    let checked = 0;
    let external = 0;
    for (const page of pages) {
      const html = await readPage(DIST, page.file);
      for (const link of linksIn(html, page.url)) {
        const v = link.value;
        if (v === '' || /^(mailto:|data:|javascript:)/.test(v)) continue;
        if (/^[a-z]+:\/\//i.test(v)) {
          external++;
          continue;
        }
        const url = new URL(v, `http://site${page.url}`);
        checked++;
        const file = resolveUrlPath(DIST, decodeURIComponent(url.pathname));
        if (file === null) {
          broken.push(`${page.url}: ${link.attr}="${v}" (no file)`);
          continue;
        }
        if (url.hash.length > 1 && file.endsWith('.html') && !(await idsOf(file)).has(decodeURIComponent(url.hash.slice(1)))) {
          broken.push(`${page.url}: ${link.attr}="${v}" (no #${decodeURIComponent(url.hash.slice(1))} in ${path.relative(DIST, file)})`);
        }
      }
    }
    console.info(`link check: ${pages.length} pages, ${checked} internal links and anchors checked, ${broken.length} broken, ${external} external links not fetched`);
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it(`keeps every API page under ${API_PAGE_LIMIT / 1000} KB`, () => {
    const api = pages.filter((p) => p.file.startsWith('api/'));
    const largest = [...api].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
    console.info(`api pages: ${api.length}; largest ${largest.map((p) => `${p.url} ${(p.bytes / 1000).toFixed(1)} KB`).join(', ')}`);
    expect(api.length).toBeGreaterThan(100);
    expect(largest[0]!.bytes).toBeLessThan(API_PAGE_LIMIT);
  });

  it('shows pictures of outputs made with the current model (else: node apps/docs/scripts/pictures.mjs)', async () => {
    const made = JSON.parse(await readFile(path.join(DIST, 'img/outputs/pictures.json'), 'utf8')) as { model: unknown; files: Record<string, number> };
    expect(made.model, 'the model changed since the pictures were made: pnpm docs:build && node apps/docs/scripts/pictures.mjs && pnpm docs:build').toEqual(await modelDigest());
    for (const name of ['hero.png', 'depth.png', 'tracks.png', 'poses.png', 'point-cloud.png']) {
      expect(made.files[name], name).toBeGreaterThan(10_000);
    }
    const home = await readPage(DIST, 'index.html');
    expect(home).toContain('/img/outputs/hero.png');
    for (const [page, img] of [['guide/depth.html', 'depth.png'], ['guide/tracks.html', 'tracks.png'], ['guide/poses.html', 'poses.png'], ['guide/point-clouds.html', 'point-cloud.png']]) {
      expect(await readPage(DIST, page!), page).toContain(`/img/outputs/${img}`);
    }
  });

  it('the preview server answers unknown URLs with the site 404 page and status 404', async () => {
    const server = await serveSite(DIST);
    try {
      const res = await fetch(`${server.url}/guide/no-such-page`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/<title>404 \| d4rt-js<\/title>/);
      expect((await fetch(`${server.url}/guide/depth`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  describe.skipIf(!hasChromium())('in headless Chromium', () => {
    let server: Awaited<ReturnType<typeof serveSite>>;
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    beforeAll(async () => {
      server = await serveSite(DIST);
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('loads every page without console errors, page errors or failed requests', async () => {
      const problems: string[] = [];
      const queue = [...pages.map((p) => p.url), '/no-such-page'];
      const started = performance.now();
      let visited = 0;
      const worker = async (): Promise<void> => {
        const page = await browser.context.newPage();
        let current = '';
        page.on('console', (m) => {
          // The 404 page's own document answers 404 on purpose.
          if (m.type() === 'error' && !(current === '/no-such-page' && /status of 404/.test(m.text()))) problems.push(`${current}: [console.error] ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`${current}: [pageerror] ${e.message}`));
        page.on('requestfailed', (r) => {
          // Prefetches of linked pages' chunks are cut off when the next page is opened.
          if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${current}: [requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`);
        });
        page.on('response', (r) => {
          if (r.status() >= 400 && !(current === '/no-such-page' && r.request().isNavigationRequest())) problems.push(`${current}: [HTTP ${r.status()}] ${r.url()}`);
        });
        for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
          current = url;
          await page.goto(`${server.url}${url}`, { waitUntil: 'domcontentloaded' });
          // Vue has hydrated the page (mismatches are reported as console errors).
          await page.waitForFunction(() => (document.querySelector('#app') as { __vue_app__?: unknown } | null)?.__vue_app__ !== undefined, null, { timeout: 30_000 });
          // The theme's stylesheet applied, and no table or code block wider than the text column (1280 px window).
          const layout = await page.evaluate(() => ({
            styled: getComputedStyle(document.querySelector('.VPNav') ?? document.body).position !== 'static',
            wide: [...document.querySelectorAll('.vp-doc table, .vp-doc pre')].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.tagName.toLowerCase()} ${e.scrollWidth - e.clientWidth} px too wide`),
          }));
          if (!layout.styled) problems.push(`${url}: the theme's stylesheet is not applied`);
          for (const w of layout.wide) problems.push(`${url}: ${w}`);
          visited++;
        }
        await page.close();
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      console.info(`console check: ${visited} pages (with the 404 page) in ${((performance.now() - started) / 1000).toFixed(1)} s, ${problems.length} problems`);
      expect(problems).toEqual([]);
      expect(visited).toBe(pages.length + 1);
    }, 400_000); // ~430 pages: 60-160 s on two busy cores
  });
});
