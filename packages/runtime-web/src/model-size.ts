/**
 * Whether a model can load in the browser, judged from its files' sizes before they are downloaded
 * (the manifest's `hashes`, else the responses' `Content-Length`).
 *
 * onnxruntime-web's wasm backend is a wasm32 instance: everything it holds lives in one
 * WebAssembly memory of at most 4 GiB. Loading a graph needs, at the least (measured in Chromium's
 * and Node's onnxruntime-web 1.30 on MatMul graphs of 64 to 256 MiB of weights; the memory reached
 * was 1.0x to 1.3x this bound):
 *
 * - the weights as onnxruntime holds them: the files' bytes, with float16-stored weights twice
 *   their size (onnxruntime folds the graph's `Cast` to float32 when it makes the session);
 * - two more transient copies of each graph file whose weights are inside it (the bytes copied
 *   into wasm memory and the parsed protobuf); weights in external data files are read once.
 *
 * That bound leaves out activations (a full-size ViT-g encoder's global attention scores alone are
 * 16 x 4097^2 float32, about 1.07 GB), so a model under the limit may still run out of memory;
 * one over it cannot load. WebGPU keeps weights in GPU memory and is not judged here, except that
 * no runtime parses a graph file over protobuf's 2 GiB.
 *
 * @module
 */
import { ModelTooLargeError, modelGraphs, type ModelGraph, type ModelManifest } from '@d4rt/core';
import type { WebExecutionProvider } from './web-backend.js';

/** The most a wasm32 WebAssembly memory can hold: 4 GiB. */
export const WASM_MEMORY_LIMIT = 2 ** 32;
/** The largest graph file protobuf parses: 2 GiB (larger weights go to external data files). */
export const GRAPH_FILE_LIMIT = 2 ** 31;
/** When the converter moves a graph's weights to external data: past 0.9 x 2 GiB (training/opend4rt). */
const EXTERNAL_THRESHOLD = 0.9 * GRAPH_FILE_LIMIT;

type Dtype = 'fp32' | 'fp16' | 'int8';

/** One file of a model and its size. */
export interface ModelFileSize {
  /** File name in the model folder. */
  name: string;
  /** Its graph. */
  role: ModelGraph;
  /** Whether it is an external data file (else the graph itself). */
  external: boolean;
  bytes: number;
}

/** What {@link estimateModelSize} answers. */
export interface ModelSizeEstimate {
  /** Every file, graphs first. */
  files: ModelFileSize[];
  /** Their sum. */
  totalBytes: number;
  /** The weights' storage type: the manifest's `info.dtype`, else `'fp32'` (assumed). */
  dtype: Dtype;
  /** Whether `dtype` came from the manifest. */
  dtypeKnown: boolean;
  /** The least WebAssembly memory the wasm backend needs to load the graphs (see the module notes). */
  wasmBytes: number;
}

/** Bytes -> '4.70 GB' (decimal, as file managers and download bars show them). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The least wasm memory for graphs of `dtype` holding `weights` bytes each, inline or not. */
function wasmNeed(graphs: { bytes: number; inlineBytes: number }[], dtype: Dtype): number {
  const widen = dtype === 'fp16' ? 2 : 1;
  return graphs.reduce((sum, g) => sum + g.bytes * widen + 2 * g.inlineBytes, 0);
}

/**
 * The files of `manifest` with their sizes, and the least wasm memory they need.
 * @param manifest - a checked manifest
 * @param sizes - file name -> bytes; default the manifest's `hashes`
 * @returns the estimate, or `null` when a file's size is unknown
 */
export function estimateModelSize(manifest: ModelManifest, sizes?: Readonly<Record<string, number | undefined>>): ModelSizeEstimate | null {
  const hashes = manifest.hashes;
  const roles = modelGraphs(manifest);
  const files: ModelFileSize[] = [];
  for (const role of roles) {
    const entries = [{ name: manifest.files[role]!, external: false }, ...(manifest.files.externalData?.[role] ?? []).map((name) => ({ name, external: true }))];
    for (const { name, external } of entries) {
      const bytes = sizes !== undefined ? sizes[name] : external ? hashes?.externalData?.[name]?.bytes : hashes?.[role]?.bytes;
      if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return null;
      files.push({ name, role, external, bytes });
    }
  }
  const declared = manifest.info?.dtype;
  const dtypeKnown = declared === 'fp32' || declared === 'fp16' || declared === 'int8';
  const dtype: Dtype = dtypeKnown ? (declared as Dtype) : 'fp32';
  return { files, totalBytes: files.reduce((s, f) => s + f.bytes, 0), dtype, dtypeKnown, wasmBytes: wasmNeed(graphsOf(files, roles), dtype) };
}

/** Each graph's total bytes and the bytes of its graph file when its weights are inside it. */
function graphsOf(files: readonly ModelFileSize[], roles: readonly ModelGraph[]): { bytes: number; inlineBytes: number }[] {
  return roles.map((role) => {
    const mine = files.filter((f) => f.role === role);
    const bytes = mine.reduce((s, f) => s + f.bytes, 0);
    return { bytes, inlineBytes: mine.some((f) => f.external) ? mine.find((f) => !f.external)!.bytes : bytes };
  });
}

/** The same model converted to `to`: its files' total and its least wasm memory (the converter's external-data rule). */
function asDtype(estimate: ModelSizeEstimate, to: Dtype): { totalBytes: number; wasmBytes: number } {
  const perByte = { fp32: 4, fp16: 2, int8: 1 };
  const ratio = perByte[to] / perByte[estimate.dtype];
  const roles = [...new Set(estimate.files.map((f) => f.role))];
  const graphs = roles.map((role) => {
    const bytes = estimate.files.filter((f) => f.role === role).reduce((s, f) => s + f.bytes, 0) * ratio;
    return { bytes, inlineBytes: bytes > EXTERNAL_THRESHOLD ? 0 : bytes };
  });
  return { totalBytes: graphs.reduce((s, g) => s + g.bytes, 0), wasmBytes: wasmNeed(graphs, to) };
}

/** The conversions that would need less: the same dtype with external data, the smaller dtypes. */
function alternatives(estimate: ModelSizeEstimate): string[] {
  const verdict = (bytes: number): string => (bytes <= WASM_MEMORY_LIMIT ? 'fits' : 'does not fit either');
  const out: string[] = [];
  if (estimate.files.some((f) => !f.external && f.bytes > 0)) {
    const external = wasmNeed([{ bytes: estimate.totalBytes, inlineBytes: 0 }], estimate.dtype);
    if (external < estimate.wasmBytes) out.push(`--external-data always (weights read once: ≥ ${formatBytes(external)}, ${verdict(external)})`);
  }
  const order: Dtype[] = ['fp32', 'fp16', 'int8'];
  for (const to of order.slice(order.indexOf(estimate.dtype) + 1)) {
    const alt = asDtype(estimate, to);
    const widened = to === 'fp16' ? ', as onnxruntime widens fp16 weights to float32' : '';
    out.push(`--dtype ${to} (files ≈ ${formatBytes(alt.totalBytes)}, ≥ ${formatBytes(alt.wasmBytes)} of wasm memory${widened}: ${verdict(alt.wasmBytes)})`);
  }
  return out;
}

/**
 * Checks a model's sizes against the browser's limits and says which providers can load it.
 * @param estimate - from {@link estimateModelSize}
 * @param providers - the providers the load would try, in order
 * @param subject - how messages name the model, e.g. `"loadModel: model 'opend4rt' ('https://…/')"`
 * @returns the providers that may load it, in order, and the error of each left out
 * @throws {@link ModelTooLargeError} when a graph file passes 2 GiB, or when no provider in the list can hold the model
 */
export function checkModelSize(
  estimate: ModelSizeEstimate,
  providers: readonly WebExecutionProvider[],
  subject: string,
): { providers: WebExecutionProvider[]; refused: Partial<Record<WebExecutionProvider, ModelTooLargeError>> } {
  const graph = estimate.files.find((f) => !f.external && f.bytes > GRAPH_FILE_LIMIT);
  if (graph !== undefined) {
    throw new ModelTooLargeError(
      `${subject}: graph file '${graph.name}' is ${formatBytes(graph.bytes)}, more than the ${formatBytes(GRAPH_FILE_LIMIT)} (2 GiB) protobuf can parse; nothing was downloaded. Convert it with its weights in external data files (d4rt convert ... --external-data always)`,
      { bytes: graph.bytes, limit: GRAPH_FILE_LIMIT },
    );
  }
  const refused: Partial<Record<WebExecutionProvider, ModelTooLargeError>> = {};
  if (estimate.wasmBytes > WASM_MEMORY_LIMIT && providers.includes('wasm')) {
    const work: string[] = [];
    if (!providers.includes('webgpu')) work.push(`device: 'webgpu' (weights in GPU memory; not judged by this check)`);
    const conversions = alternatives(estimate);
    if (conversions.length > 0) work.push(`a conversion that needs less: ${conversions.join(', ')}`);
    refused.wasm = new ModelTooLargeError(
      `${subject}: its files (${formatBytes(estimate.totalBytes)}, ${estimate.dtype}${estimate.dtypeKnown ? '' : ' assumed'}) need at least ${formatBytes(estimate.wasmBytes)} of WebAssembly memory on the wasm backend, more than the ${formatBytes(WASM_MEMORY_LIMIT)} (4 GiB) a wasm32 instance can hold; nothing was downloaded.${work.length > 0 ? ` What works: ${work.join('; or ')}` : ''}`,
      { bytes: estimate.wasmBytes, limit: WASM_MEMORY_LIMIT },
    );
  }
  const left = providers.filter((p) => refused[p] === undefined);
  if (left.length === 0) throw refused.wasm!;
  return { providers: left, refused };
}
