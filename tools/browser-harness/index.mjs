/**
 * Test-only helpers for d4rt-js browser tests and benchmarks: a static file server that sends the
 * cross-origin isolation headers onnxruntime-web's wasm threads need, and a headless launcher for
 * Debian's Chromium through playwright-core (no browser download).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, wasm threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = process.env.D4RT_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the Chromium executable exists (tests skip with a message when it does not). */
export function hasChromium() {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Serves `root` over HTTP on 127.0.0.1 with isolation headers. `mounts` maps URL prefixes to other
 * folders (e.g. `{ '/models/': '/path/to/d4rt-tiny/' }`). Directory URLs serve `index.html`;
 * `clean URLs` (`/demo` -> `/demo.html`) as VitePress builds them.
 */
export async function serveStatic(root, options = {}) {
  const mounts = Object.entries(options.mounts ?? {}).map(([prefix, dir]) => [prefix, resolve(dir)]);
  const rootDir = resolve(root);
  const isolate = options.isolate ?? true;
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let pathname = decodeURIComponent(url.pathname);
      let base = rootDir;
      for (const [prefix, dir] of mounts) {
        if (pathname.startsWith(prefix)) {
          base = dir;
          pathname = '/' + pathname.slice(prefix.length);
          break;
        }
      }
      let file = normalize(join(base, pathname));
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside root'), { status: 403 });
      let st = await stat(file).catch(() => null);
      if (st?.isDirectory()) {
        file = join(file, 'index.html');
        st = await stat(file).catch(() => null);
      } else if (st === null && extname(file) === '') {
        file += '.html';
        st = await stat(file).catch(() => null);
      }
      if (st === null || !st.isFile()) throw Object.assign(new Error('not found'), { status: 404 });
      let body = await readFile(file);
      const headers = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Accept-Ranges': 'bytes',
        'Cache-Control': 'no-store',
        ...(isolate ? ISOLATION_HEADERS : {}),
      };
      // Byte ranges (media elements seek with them).
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      let status = 200;
      if (range !== null && (range[1] !== '' || range[2] !== '')) {
        const size = body.length;
        const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
        const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(size - 1, Number(range[2]));
        if (start > end || start >= size) {
          res.writeHead(416, { 'Content-Range': `bytes */${size}`, ...headers });
          res.end();
          return;
        }
        body = body.subarray(start, end + 1);
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
        status = 206;
      }
      headers['Content-Length'] = body.length;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const status = error.status ?? 500;
      res.writeHead(status, { 'Content-Type': 'text/plain', ...(isolate ? ISOLATION_HEADERS : {}) });
      res.end(String(error.message));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** The flags d4rt-js runs headless Chromium with. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Debian Chromium headless with a fresh user data dir. `webgpu: true` adds
 * `--enable-unsafe-webgpu` (a software adapter). Returns `{ context, close }`; `close` also removes
 * the profile folder.
 */
export async function launchChromium(options = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'd4rt-chromium-'));
  const args = [...CHROMIUM_ARGS, ...(options.webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'] : []), ...(options.args ?? [])];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Collects a page's console messages and uncaught errors (to print when a test fails). */
export function recordConsole(page) {
  const lines = [];
  page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  return lines;
}
