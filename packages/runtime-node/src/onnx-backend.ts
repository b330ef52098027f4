/**
 * The onnxruntime-node backend: runs a model's graphs on the CPU (or CUDA where the platform's
 * onnxruntime-node has the CUDA provider), implementing `@d4rt/core`'s `Backend` contract.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OrtSession, type Backend, type BackendSession } from '@d4rt/core';
import * as ort from 'onnxruntime-node';

/** Where to run: `'cpu'`, `'cuda'`, or `'auto'` (CUDA when its provider library is installed, else the CPU). */
export type NodeDevice = 'auto' | 'cpu' | 'cuda';

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /** Execution provider (default `'cpu'`). */
  device?: 'cpu' | 'cuda';
  /** Threads of one operator (default: onnxruntime's choice, the number of physical cores). */
  intraOpThreads?: number;
  /** Threads across operators (default 1). */
  interOpThreads?: number;
}

/**
 * Whether this platform's onnxruntime-node has the CUDA execution provider library (it is
 * downloaded by onnxruntime-node's install script, which the SDK's workspace does not run by default).
 */
export function hasCudaProvider(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    return existsSync(join(root, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/**
 * Resolves a device to the ordered list of backends to try (see {@link NodeDevice}).
 * @returns `['cuda', 'cpu']` or `['cpu']` for `'auto'`; the one device otherwise
 */
export function resolveDevice(device: NodeDevice): ('cpu' | 'cuda')[] {
  if (device === 'auto') return hasCudaProvider() ? ['cuda', 'cpu'] : ['cpu'];
  if (device === 'cpu' || device === 'cuda') return [device];
  throw new RangeError(`resolveDevice: device (${JSON.stringify(device)}) must be 'auto', 'cpu' or 'cuda'`);
}

/**
 * An onnxruntime-node {@link Backend}.
 * @param options - `device` (default `'cpu'`), `intraOpThreads`, `interOpThreads`
 * @returns a new backend named `onnxruntime-node:<device>`
 * @throws RangeError for a bad option
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const device = options.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw new RangeError(`createOnnxBackend: options.device (${JSON.stringify(device)}) must be 'cpu' or 'cuda'`);
  }
  for (const key of ['intraOpThreads', 'interOpThreads'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 1024)) {
      throw new RangeError(`createOnnxBackend: options.${key} (${String(v)}) must be an integer in [1, 1024]`);
    }
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads !== undefined && { intraOpNumThreads: options.intraOpThreads }),
    interOpNumThreads: options.interOpThreads ?? 1,
  };
  return {
    name: `onnxruntime-node:${device}`,
    async createSession(model: Uint8Array | string): Promise<BackendSession> {
      const session =
        typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
      return new OrtSession(`onnxruntime-node:${device}`, session, (t) => new ort.Tensor(t.type, t.data, t.dims as number[]));
    },
  };
}
