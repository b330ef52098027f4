import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { shikiClasses } from './shiki-classes.mts';
import type { SiteInfo } from './theme/site-info.ts';
import { viteOptions } from './vite-options.mts';

/**
 * The API reference sidebar that typedoc-vitepress-theme writes next to the generated pages
 * (`npx typedoc` -> `api/typedoc-sidebar.json`): one item per package. Read with fs rather than
 * imported, so that a build without the generated reference (e.g. `vitepress dev` before the first
 * typedoc run) still works: the API sidebars are then empty.
 */
function apiPackages(): DefaultTheme.SidebarItem[] {
  try {
    const text = readFileSync(new URL('../api/typedoc-sidebar.json', import.meta.url), 'utf8');
    const items: unknown = JSON.parse(text);
    return Array.isArray(items) ? (items as DefaultTheme.SidebarItem[]) : [];
  } catch {
    return [];
  }
}

function readJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** The SDK's version (every package of the workspace has the same one) and licence. */
const corePackage = readJson('../../../packages/core/package.json');
const version = String(corePackage.version);
const license = String(corePackage.license);
/** The repository's URL, once the root package.json names one (`repository`); none is set yet. */
const rootRepository = readJson('../../../package.json').repository as string | { url?: string } | undefined;
const repositoryUrl = (typeof rootRepository === 'string' ? rootRepository : rootRepository?.url)?.replace(/^git\+/, '').replace(/\.git$/, '');

/**
 * What the live demo downloads, in bytes, for its "what this downloads" line: the reference
 * model's files and onnxruntime-web's wasm runtime (the plain build for device 'wasm', the
 * asyncify build for 'webgpu'), as scripts/prepare.mjs copies them into public/.
 */
function demoDownload(): { model: number; wasm: number; webgpu: number } {
  const require = createRequire(import.meta.url);
  const modelDir = path.dirname(require.resolve('@d4rt/models/d4rt-tiny/manifest.json'));
  const manifest = JSON.parse(readFileSync(path.join(modelDir, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
  const size = (file: string): number => statSync(file).size;
  const ortDir = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  return {
    model: size(path.join(modelDir, 'manifest.json')) + Object.values(manifest.files).reduce((a, f) => a + size(path.join(modelDir, f)), 0),
    wasm: size(path.join(ortDir, 'ort-wasm-simd-threaded.wasm')),
    webgpu: size(path.join(ortDir, 'ort-wasm-simd-threaded.asyncify.wasm')),
  };
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Guide',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'In the browser', link: '/guide/browser' },
      { text: 'Depth maps', link: '/guide/depth' },
      { text: 'Point tracks', link: '/guide/tracks' },
      { text: 'Camera poses and intrinsics', link: '/guide/poses' },
      { text: 'Point clouds', link: '/guide/point-clouds' },
      { text: 'Long videos', link: '/guide/long-videos' },
      { text: 'Custom models', link: '/guide/custom-models' },
      { text: 'Use OpenD4RT weights', link: '/guide/opend4rt' },
      { text: 'Training a model', link: '/guide/training' },
      { text: 'Errors', link: '/guide/errors' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'Queries, conventions, heads', link: '/concepts' },
      { text: 'Model format (d4rt-model/1)', link: '/model-format' },
      { text: 'The reference model d4rt-tiny', link: '/reference-model' },
    ],
  },
  {
    text: 'Try it',
    items: [
      { text: 'Live demo', link: '/demo' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
  },
  { text: 'API reference', link: '/api/' },
];

/** `'Type Aliases'` -> `'type-aliases'`: the heading's anchor on a package's index page. */
function slug(text: string): string {
  return text.toLowerCase().replace(/\s+/g, '-');
}

/**
 * Sidebars by path. The API reference has about 400 pages; with the whole API in every page's
 * sidebar each page weighed about 220 KB. Guide pages get the guide only; `/api/` lists the
 * packages; a package's index page lists its kinds (Classes, Functions, ...) as links to its own
 * sections; a page of one kind (`/api/@d4rt/core/functions/...`) lists that kind of that package.
 */
function sidebars(): DefaultTheme.SidebarMulti {
  const packages = apiPackages();
  const links = packages.map((p) => ({ text: p.text, link: p.link }));
  const multi: DefaultTheme.SidebarMulti = {
    '/api/': [{ text: 'API reference', link: '/api/', items: links }, { text: 'Guide', link: '/guide/getting-started' }],
    '/': guide,
  };
  for (const p of packages) {
    if (typeof p.link !== 'string') continue;
    const home = p.link;
    const groups = (p.items ?? []).filter((g) => (g.items?.length ?? 0) > 0);
    const kindLinks = (open?: DefaultTheme.SidebarItem): DefaultTheme.SidebarItem[] =>
      groups.map((g) => (g === open ? { text: g.text, items: g.items } : { text: `${g.text} (${g.items!.length})`, link: `${home}#${slug(g.text!)}` }));
    const others = { text: 'Other packages', items: [...links.filter((l) => l.link !== home), { text: 'All packages', link: '/api/' }] };
    multi[home] = [{ text: p.text, link: home, items: kindLinks() }, others];
    for (const g of groups) {
      const first = g.items![0]?.link;
      if (typeof first !== 'string') continue;
      const folder = first.slice(0, first.lastIndexOf('/') + 1); // '/api/@d4rt/core/classes/'
      multi[folder] = [{ text: p.text, link: home, items: kindLinks(g) }, others];
    }
  }
  return multi;
}

/** Code blocks' colours as classes in one stylesheet (build only: `vitepress dev` keeps Shiki's inline styles). */
const building = process.argv.includes('build');
const code = shikiClasses();

export default defineConfig({
  title: 'd4rt-js',
  description:
    'Depth, point tracks, camera poses and point clouds from a monocular video, in JavaScript: a D4RT encoder runs once, a light decoder answers (u, v, tSrc, tTgt, tCam) queries. Node and browser.',
  cleanUrls: true,
  // The page map in a chunk of its own instead of inlined in every page (it names all ~400 pages: 65 KB a page).
  metaChunk: true,
  srcExclude: ['README.md', 'test/**', 'bench/**', 'scripts/**', 'screenshots/**', 'test-artifacts/**'],
  head: [
    ['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
    ...(building ? [['link', { rel: 'stylesheet', href: code.href }] as [string, Record<string, string>]] : []),
  ],
  markdown: building ? { codeTransformers: [code.transformer] } : {},
  themeConfig: {
    logo: '/favicon.svg',
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Concepts', link: '/concepts', activeMatch: '^/(concepts|model-format|reference-model)' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Demo', link: '/demo' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: `v${version}`, items: [{ text: 'Packages (not on npm yet)', link: '/api/#packages' }, { text: 'Reference model', link: '/reference-model' }] },
    ],
    sidebar: sidebars(),
    outline: [2, 3],
    search: { provider: 'local' },
    socialLinks: repositoryUrl ? [{ icon: 'github', link: repositoryUrl }] : [],
    footer: { message: `${license} licence · d4rt-js ${version} · packages not yet published to npm`, copyright: 'd4rt-js contributors' },
    d4rt: { version, license, repositoryUrl: repositoryUrl ?? null, demoDownload: demoDownload() },
  } as DefaultTheme.Config & { d4rt: SiteInfo },
  vite: { ...viteOptions, plugins: [...(viteOptions.plugins ?? []), code.plugin] },
});
