import type { UserConfig } from 'vitepress';

/** Cross-origin isolation (SharedArrayBuffer, so onnxruntime-web's wasm threads) for `vitepress dev` / `preview`. */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Vite settings of the docs site: module workers (the demo's model runs in runtime-web's worker,
 * which imports onnxruntime-web), onnxruntime-web left out of dependency pre-bundling (its wasm
 * files are served from `/ort/`, see scripts/prepare.mjs), isolation headers.
 */
export const viteOptions: NonNullable<UserConfig['vite']> = {
  // onnxruntime-web's build without embedded asset URLs: it loads its wasm glue and binary from
  // `wasmPaths` (/ort/), so Vite neither copies the wasm binaries into assets nor breaks wasm threads.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm'] },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web', '@d4rt/runtime-web'] },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { chunkSizeWarningLimit: 2048 },
};
