import { readFileSync } from 'node:fs';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { viteOptions } from './vite-options.mts';

/**
 * The API reference sidebar that typedoc-vitepress-theme writes next to the generated pages
 * (`npx typedoc` -> `api/typedoc-sidebar.json`). Read with fs rather than imported, so that a
 * build without the generated reference (e.g. `vitepress dev` before the first typedoc run) still
 * works: the API group is then empty.
 */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  try {
    const text = readFileSync(new URL('../api/typedoc-sidebar.json', import.meta.url), 'utf8');
    const items: unknown = JSON.parse(text);
    return Array.isArray(items) ? (items as DefaultTheme.SidebarItem[]) : [];
  } catch {
    return [];
  }
}

const sidebar: DefaultTheme.SidebarItem[] = [
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
  {
    text: 'API reference',
    link: '/api/',
    collapsed: true,
    items: apiSidebar(),
  },
];

export default defineConfig({
  title: 'd4rt-js',
  description:
    'Depth, point tracks, camera poses and point clouds from a monocular video, in JavaScript: a D4RT encoder runs once, a light decoder answers (u, v, tSrc, tTgt, tCam) queries. Node and browser.',
  cleanUrls: true,
  srcExclude: ['README.md', 'test/**', 'bench/**', 'scripts/**'],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Concepts', link: '/concepts', activeMatch: '^/(concepts|model-format|reference-model)' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Demo', link: '/demo' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar,
    outline: [2, 3],
    search: { provider: 'local' },
  },
  vite: viteOptions,
});
