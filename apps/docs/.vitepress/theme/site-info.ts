/** What the site config hands the theme's components (`useData().theme.value.d4rt`), computed at build time in config.mts. */
export interface SiteInfo {
  /** The packages' version (they share one). */
  version: string;
  license: string;
  /** The repository's URL once the root package.json names one; null until then. */
  repositoryUrl: string | null;
  /** Bytes the live demo downloads: the reference model's files, onnxruntime-web's wasm for device 'wasm' and for 'webgpu'. */
  demoDownload: { model: number; wasm: number; webgpu: number };
}
