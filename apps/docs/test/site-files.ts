/** The built site's pages and the links in them, read from `.vitepress/dist` (no browser). */
import { readFile, readdir } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export interface SitePage {
  /** Path of the HTML file under dist, with `/`. */
  file: string;
  /** The URL the site links to it by (clean URLs: `/guide/depth`, `/api/`). */
  url: string;
  bytes: number;
}

/** Every HTML page of the site but the 404 page. */
export async function sitePages(dist: string): Promise<SitePage[]> {
  const files = (await readdir(dist, { recursive: true })).map((f) => f.split(path.sep).join('/')).filter((f) => f.endsWith('.html') && f !== '404.html');
  return files.sort().map((file) => ({
    file,
    url: '/' + file.replace(/(^|\/)index\.html$/, '$1').replace(/\.html$/, ''),
    bytes: statSync(path.join(dist, file)).size,
  }));
}

/** The file a site URL path resolves to (as the site server does), or null. */
export function resolveUrlPath(dist: string, pathname: string): string | null {
  const file = path.join(dist, pathname);
  const candidates = pathname.endsWith('/') ? [path.join(file, 'index.html')] : [file, `${file}.html`, path.join(file, 'index.html')];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

export interface Link {
  from: string;
  attr: string;
  value: string;
}

const ATTR = /\s(href|src|srcset|poster)="([^"]*)"/g;

/** Links in a page's HTML (`href`, `src`, `srcset`, `poster`), entities decoded. */
export function linksIn(html: string, from: string): Link[] {
  const out: Link[] = [];
  for (const m of html.matchAll(ATTR)) {
    const value = m[2]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"');
    if (m[1] === 'srcset') for (const part of value.split(',')) out.push({ from, attr: 'srcset', value: part.trim().split(/\s+/)[0]! });
    else out.push({ from, attr: m[1]!, value });
  }
  return out;
}

/** The ids in a page's HTML (anchors a link may point at). */
export function idsIn(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')));
}

export async function readPage(dist: string, file: string): Promise<string> {
  return readFile(path.join(dist, file), 'utf8');
}
