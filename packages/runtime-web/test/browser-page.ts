/**
 * Builds the runtime-web test page (esbuild: the package's API on `window.d4rt`, and the worker
 * entry as `worker.js`; `crash-worker.js` is that worker with a way to crash it), serves it with
 * cross-origin isolation and opens it in headless Chromium.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, recordConsole, serveStatic } from '@d4rt/browser-harness';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** `packages/models`. */
export const MODELS = path.resolve(here, '../../models');
/** onnxruntime-web's `dist` (the `.wasm` and `.mjs` files it loads at run time). */
export const ORT_DIST = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

export interface TestPage {
  page: Page;
  url: string;
  /** Folder served at `/files/` (put test inputs there). */
  files: string;
  consoleLines: string[];
  close(): Promise<void>;
}

/** Bundles and serves the test page; `/models/` serves `packages/models`, `/ort/` onnxruntime-web's dist. */
export async function openTestPage(options: { webgpu?: boolean; isolate?: boolean } = {}): Promise<TestPage> {
  const out = await mkdtemp(path.join(tmpdir(), 'd4rt-web-test-'));
  const files = path.join(out, 'files');
  await build({
    entryPoints: { entry: path.join(here, 'pages/entry.ts'), worker: path.join(here, '../src/worker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // As the docs site: onnxruntime-web loads its wasm files from wasmPaths (/ort/).
    conditions: ['onnxruntime-web-use-extern-wasm'],
    outdir: out,
    logLevel: 'error',
  });
  // index.html, and crash-worker.js: worker.js with a message that throws an uncaught error in it.
  for (const file of ['index.html', 'crash-hook.js', 'crash-worker.js']) await copyFile(path.join(here, 'pages', file), path.join(out, file));
  await mkdir(files);
  const server = await serveStatic(out, { mounts: { '/models/': MODELS, '/ort/': ORT_DIST }, isolate: options.isolate ?? true });
  const browser = await launchChromium({ webgpu: options.webgpu ?? false });
  const page = await browser.context.newPage();
  const consoleLines = recordConsole(page);
  // tsx (esbuild keepNames) wraps functions in page.evaluate callbacks with __name(); give the page one.
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 30_000 });
  return {
    page,
    url: server.url,
    files,
    consoleLines,
    async close() {
      await browser.close();
      await server.close();
      await rm(out, { recursive: true, force: true });
    },
  };
}
