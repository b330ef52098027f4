/**
 * `@d4rt/runtime-node`: run D4RT models in Node. The onnxruntime-node backend, model loading (the
 * embedded reference model or a folder), video and image reading (ffmpeg, sharp), writers, and
 * readers for ground-truth datasets. Re-exports `@d4rt/core`, so one import serves a Node app.
 *
 * @packageDocumentation
 */
export * from '@d4rt/core';
export { createOnnxBackend, hasCudaProvider, hasWebGpuAdapter, resolveDevice, webGpuUnavailable } from './onnx-backend.js';
export type { NodeDevice, NodeExecutionProvider, OnnxBackendOptions, OnnxLogLevel } from './onnx-backend.js';
export { BACKEND_FALLBACK_WARNING, embeddedModelPath, loadModel } from './load-model.js';
export type { LoadModelOptions } from './load-model.js';
export * from './io.js';
