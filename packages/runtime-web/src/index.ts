/**
 * `@d4rt/runtime-web`: run D4RT models in the browser. The onnxruntime-web backend (wasm with
 * SIMD and threads, WebGPU), model loading by URL with download progress and the Cache API,
 * video frames from a `File`/`Blob`/URL/`<video>` (WebCodecs or seeking), and a Web Worker mode
 * with the same API. Re-exports `@d4rt/core`, so one import gives the whole SDK in a page.
 *
 * @packageDocumentation
 */
export * from '@d4rt/core';
export { configureWasm, createWebBackend, defaultWasmThreads, hasWebGpuAdapter, resolveWebDevice } from './web-backend.js';
export type { ExternalDataFile, WasmOptions, WebBackend, WebDevice, WebExecutionProvider } from './web-backend.js';
export { DEFAULT_MODEL_CACHE, clearModelCache, fetchModelFiles } from './fetch-model.js';
export type { FetchModelFilesOptions, ModelFileRequest } from './fetch-model.js';
export { fetchManifest, loadModel, resolveModelUrl } from './load-model.js';
export { GRAPH_FILE_LIMIT, WASM_MEMORY_LIMIT, checkModelSize, estimateModelSize } from './model-size.js';
export type { ModelFileSize, ModelSizeEstimate } from './model-size.js';
export type { FetchedManifest, LoadModelOptions } from './load-model.js';
export { readVideo } from './read-video.js';
export type { ReadVideoOptions, VideoDecoderKind, VideoSource, WebVideoFrames } from './read-video.js';
export { sniffContainer } from './mp4-demux.js';
export type { ContainerKind } from './mp4-demux.js';
export { WorkerModel, WorkerScene, loadModelInWorker } from './worker-model.js';
export type { LoadModelInWorkerOptions, ModelLike, SceneLike, WorkerEncodeOptions } from './worker-model.js';
