/**
 * The onnxruntime-web backend: runs a model's graphs with WebAssembly (SIMD; threads when the page
 * is cross-origin isolated) or WebGPU, implementing `@d4rt/core`'s `Backend` contract.
 *
 * Each provider loads its own onnxruntime-web build on first use: `onnxruntime-web/wasm` (the
 * plain SIMD-threaded runtime, `ort-wasm-simd-threaded.wasm`) for `'wasm'`, and
 * `onnxruntime-web/webgpu` (`ort-wasm-simd-threaded.asyncify.wasm`) for `'webgpu'`. The plain
 * build runs the CPU kernels about 1.8x faster than the combined WebGPU build, whose asyncify
 * instrumentation slows every wasm call. Settings from {@link configureWasm} apply to both, per
 * JavaScript realm (page or worker).
 *
 * @module
 */
import { OrtSession, RunQueue, type Backend, type BackendSession } from '@d4rt/core';
import type * as Ort from 'onnxruntime-web';

type OrtModule = typeof Ort;

/** An onnxruntime-web execution provider the SDK supports. */
export type WebExecutionProvider = 'wasm' | 'webgpu';

/**
 * Where to run: `'wasm'`, `'webgpu'`, `'auto'` (WebGPU when a hardware adapter exists, then wasm),
 * or an explicit order to try, e.g. `['webgpu', 'wasm']`.
 */
export type WebDevice = 'auto' | WebExecutionProvider | readonly WebExecutionProvider[];

/** Options of {@link configureWasm}. */
export interface WasmOptions {
  /**
   * URL prefix (ending in `/`) of onnxruntime-web's `ort-wasm-simd-threaded*.wasm` / `.mjs` files,
   * e.g. `'/ort/'`; copy them from `onnxruntime-web/dist`. Default: next to onnxruntime-web's module.
   */
  wasmPaths?: string;
  /**
   * WebAssembly threads (default: `navigator.hardwareConcurrency`, at most 4, when the page is
   * cross-origin isolated; 1 otherwise, as browsers allow threads only then).
   */
  threads?: number;
}

function isolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The thread count {@link configureWasm} uses when none is given. */
export function defaultWasmThreads(): number {
  if (!isolated()) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Sets onnxruntime-web's wasm settings for this realm (page or worker). Call it before the first
 * session is created (`loadModel` calls it); onnxruntime-web reads them when it first initialises,
 * so later calls change nothing for a runtime already started.
 * @param options - `wasmPaths`, `threads`
 * @returns the settings in effect
 * @throws RangeError for threads outside [1, 64] or threads > 1 on a page that is not cross-origin isolated;
 *   TypeError for a `wasmPaths` that is not a string
 */
export function configureWasm(options: WasmOptions = {}): { wasmPaths: string | undefined; threads: number } {
  const { wasmPaths } = options;
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string') {
    throw new TypeError(`configureWasm: options.wasmPaths (${typeof wasmPaths}) must be a URL prefix string such as '/ort/'`);
  }
  const threads = options.threads ?? defaultWasmThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new RangeError(`configureWasm: options.threads (${String(threads)}) must be an integer in [1, 64]`);
  }
  if (threads > 1 && !isolated()) {
    throw new RangeError(
      `configureWasm: options.threads (${threads}) needs a cross-origin isolated page (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); use threads: 1 otherwise`,
    );
  }
  settings = { wasmPaths, threads };
  return { wasmPaths, threads };
}

let settings: { wasmPaths: string | undefined; threads: number } | null = null;
const modules: Partial<Record<WebExecutionProvider, Promise<OrtModule>>> = {};
/**
 * One run queue per onnxruntime-web build (one WebAssembly instance each): a run keeps its inputs on
 * the instance's stack across `await`s, so no two runs of any of its sessions may overlap.
 */
const queues: Record<WebExecutionProvider, RunQueue> = { wasm: new RunQueue(), webgpu: new RunQueue() };

/** The onnxruntime-web build of `provider`, loaded once, with the wasm settings applied. */
async function ortFor(provider: WebExecutionProvider): Promise<OrtModule> {
  modules[provider] ??= (provider === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')) as Promise<OrtModule>;
  const ort = await modules[provider];
  const s = settings ?? configureWasm();
  if (s.wasmPaths !== undefined) ort.env.wasm.wasmPaths = s.wasmPaths;
  ort.env.wasm.numThreads = s.threads;
  ort.env.wasm.proxy = false;
  return ort;
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null>;
}

/**
 * Whether WebGPU has an adapter here.
 * @param options - `allowFallback`: count a software (fallback) adapter too (default false)
 */
export async function hasWebGpuAdapter(options: { allowFallback?: boolean } = {}): Promise<boolean> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined) return false;
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return false;
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    return options.allowFallback === true || !fallback;
  } catch {
    return false;
  }
}

const PROVIDERS: readonly WebExecutionProvider[] = ['wasm', 'webgpu'];

/**
 * Resolves a {@link WebDevice} to the ordered list of execution providers to try.
 * @returns for `'auto'`: `['webgpu', 'wasm']` when a hardware WebGPU adapter exists, else `['wasm']`;
 *   the one provider or the given order otherwise
 * @throws RangeError for an unknown device, an empty list or a repeated provider
 */
export async function resolveWebDevice(device: WebDevice): Promise<WebExecutionProvider[]> {
  if (device === 'auto') return (await hasWebGpuAdapter()) ? ['webgpu', 'wasm'] : ['wasm'];
  const list = typeof device === 'string' ? [device] : Array.isArray(device) ? [...device] : null;
  if (list === null || list.length === 0 || list.some((d) => !PROVIDERS.includes(d)) || new Set(list).size !== list.length) {
    throw new RangeError(
      `resolveWebDevice: device (${JSON.stringify(device)}) must be 'auto', 'wasm', 'webgpu' or a non-empty list of distinct 'wasm' / 'webgpu'`,
    );
  }
  return list;
}

/** One external data file of a graph: the name the graph gives it and its bytes. */
export interface ExternalDataFile {
  /** The file name as the graph names it (its tensors' `location`, e.g. `'encoder.onnx.data'`). */
  path: string;
  /** The file's bytes. */
  data: Uint8Array;
}

/** An onnxruntime-web {@link Backend}: `createSession` also takes a graph's external data files. */
export interface WebBackend extends Backend {
  /**
   * Loads one graph.
   * @param model - the ONNX bytes, or a URL onnxruntime-web fetches itself
   * @param options - `externalData`: the graph's external data files (weights kept beside it), handed to onnxruntime-web's `externalData` session option
   */
  createSession(model: Uint8Array | string, options?: { externalData?: readonly ExternalDataFile[] }): Promise<BackendSession>;
}

/**
 * An onnxruntime-web {@link Backend} on one execution provider. Wasm settings come from
 * {@link configureWasm} (call it first to set `wasmPaths` or threads). Every session of a provider
 * in this realm (all models) shares one `RunQueue`: one graph runs at a time, in call order, and a
 * session is released only once its run under way has finished. Overlapping runs would share the
 * WebAssembly stack, and a session released under its run leaves that run unsettled. See `OrtSession`.
 * @param options - `executionProvider` (default `'wasm'`)
 * @returns a new backend named `onnxruntime-web:<provider>`
 * @throws RangeError for an unknown provider
 */
export function createWebBackend(options: { executionProvider?: WebExecutionProvider } = {}): WebBackend {
  const provider = options.executionProvider ?? 'wasm';
  if (!PROVIDERS.includes(provider)) {
    throw new RangeError(`createWebBackend: options.executionProvider (${JSON.stringify(provider)}) must be 'wasm' or 'webgpu'`);
  }
  const name = `onnxruntime-web:${provider}`;
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  };
  return {
    name,
    async createSession(model: Uint8Array | string, options: { externalData?: readonly ExternalDataFile[] } = {}): Promise<BackendSession> {
      if (provider === 'webgpu' && (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === undefined) {
        throw new Error('WebGPU is not available in this browser (navigator.gpu is undefined)');
      }
      const ort = await ortFor(provider);
      const withData = options.externalData !== undefined && options.externalData.length > 0 ? { ...sessionOptions, externalData: options.externalData.map(({ path, data }) => ({ path, data })) } : sessionOptions;
      const session =
        typeof model === 'string' ? await ort.InferenceSession.create(model, withData) : await ort.InferenceSession.create(model, withData);
      return new OrtSession(name, session, (t) => new ort.Tensor(t.type, t.data, t.dims as number[]), { queue: queues[provider] });
    },
  };
}
