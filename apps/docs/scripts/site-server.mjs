/**
 * A static server for the built site (`.vitepress/dist`), used by `pnpm preview` (scripts/serve.mjs),
 * the screenshot and picture scripts and the docs tests: VitePress's clean URLs (`/demo` ->
 * `demo.html`, `/api/` -> `api/index.html`), byte ranges (media elements seek with them), the
 * cross-origin isolation headers the demo's wasm threads need, long caching of the content-hashed
 * `assets/`, and the site's own 404 page (with status 404) for unknown URLs.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

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
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.f32': 'application/octet-stream',
};

/** COOP/COEP/CORP: a cross-origin isolated page (SharedArrayBuffer, so onnxruntime-web's wasm threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

async function fileAt(root, pathname) {
  const file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root + sep)) return null;
  const candidates = [file];
  if (pathname.endsWith('/')) candidates[0] = join(file, 'index.html');
  else if (extname(file) === '') candidates.push(`${file}.html`, join(file, 'index.html'));
  for (const c of candidates) {
    const st = await stat(c).catch(() => null);
    if (st?.isFile()) return c;
  }
  return null;
}

/**
 * Serves `root` on 127.0.0.1 (`port`, default a free one). Returns `{ url, close() }`.
 * @param {string} root
 * @param {{ port?: number, host?: string }} [options]
 */
export async function serveSite(root, options = {}) {
  const rootDir = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let pathname;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        pathname = '/\0';
      }
      let file = await fileAt(rootDir, pathname);
      let status = 200;
      if (file === null) {
        file = join(rootDir, '404.html');
        status = 404;
      }
      let body = await readFile(file).catch(() => null);
      if (body === null) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION_HEADERS });
        res.end(`not found: ${pathname}\n`);
        return;
      }
      // VitePress names what it builds into assets/ by content hash: those never change.
      const immutable = status === 200 && pathname.startsWith('/assets/');
      const headers = {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Accept-Ranges': 'bytes',
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...ISOLATION_HEADERS,
      };
      const range = status === 200 ? /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '') : null;
      if (range !== null && (range[1] !== '' || range[2] !== '')) {
        const size = body.length;
        const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
        const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(size - 1, Number(range[2]));
        if (start > end || start >= size) {
          res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
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
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(String(error?.message ?? error));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
