/**
 * The onnxruntime-node backend: runs a model's graphs on the CPU (or CUDA where the platform's
 * onnxruntime-node has the CUDA provider), implementing `@d4rt/core`'s `Backend` contract.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OrtSession, RunQueue, type Backend, type BackendSession } from '@d4rt/core';
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
  /**
   * Least severity of onnxruntime's own log lines, which it prints to stderr (errors in red):
   * default `'fatal'`, so nothing is printed for a failure the caller gets as an error anyway
   * (`createSessionsWithFallback`'s `BackendUnavailableError` lists every backend's cause). Set
   * `'warning'` (onnxruntime's default) or lower to see them. onnxruntime reads its process-wide
   * level once, when the first session of the process is created; later values apply to the
   * session's own log only.
   */
  logLevel?: OnnxLogLevel;
}

/** onnxruntime's log severities, most verbose first. */
export type OnnxLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
const LOG_LEVELS: readonly OnnxLogLevel[] = ['verbose', 'info', 'warning', 'error', 'fatal'];

/** The files onnxruntime-node needs for the CUDA execution provider, in its platform folder. */
const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * Why this platform's onnxruntime-node cannot offer CUDA, or null when its provider libraries are
 * installed (whether the machine's CUDA runtime then loads is only known when a session is made).
 */
function cudaProviderMissing(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `onnxruntime-node has no CUDA provider for ${process.platform}-${process.arch} (only linux-x64)`;
  let dir: string;
  try {
    const require = createRequire(import.meta.url);
    dir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', 'linux', 'x64');
  } catch (error) {
    return `onnxruntime-node cannot be found (${(error as Error).message})`;
  }
  const missing = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return null;
  return `the CUDA execution provider is not installed: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing from ${dir} (onnxruntime-node's install script downloads ${missing.length > 1 ? 'them' : 'it'}; reinstall it with ONNXRUNTIME_NODE_INSTALL_CUDA=v12), or use device 'cpu'`;
}

/**
 * Whether this platform's onnxruntime-node has the CUDA execution provider library (it is
 * downloaded by onnxruntime-node's install script, which the SDK's workspace does not run by default).
 */
export function hasCudaProvider(): boolean {
  return cudaProviderMissing() === null;
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
 * An onnxruntime-node {@link Backend}. Its sessions share one `RunQueue`: one graph runs at a time
 * (onnxruntime-node runs a graph on the JavaScript thread anyway), in call order, and a session is
 * released only once its run under way has finished (onnxruntime-node would otherwise reject that
 * run with a raw `Error: Session already disposed`). See `OrtSession`.
 * @param options - `device` (default `'cpu'`), `intraOpThreads`, `interOpThreads`, `logLevel` (default `'fatal'`)
 * @returns a new backend named `onnxruntime-node:<device>`
 * @throws RangeError for a bad option. Its `createSession` throws, for `'cuda'` where the CUDA provider
 *   libraries are not installed, an `Error` naming the missing files (onnxruntime is not called)
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
  const logLevel = options.logLevel ?? 'fatal';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new RangeError(`createOnnxBackend: options.logLevel (${JSON.stringify(logLevel)}) must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}`);
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    logSeverityLevel: LOG_LEVELS.indexOf(logLevel) as 0 | 1 | 2 | 3 | 4,
    ...(options.intraOpThreads !== undefined && { intraOpNumThreads: options.intraOpThreads }),
    interOpNumThreads: options.interOpThreads ?? 1,
  };
  const queue = new RunQueue();
  return {
    name: `onnxruntime-node:${device}`,
    async createSession(model: Uint8Array | string): Promise<BackendSession> {
      // Without the provider libraries onnxruntime would only log a raw C++ error and fail: say why here.
      const missing = device === 'cuda' ? cudaProviderMissing() : null;
      if (missing !== null) throw new Error(missing);
      // onnxruntime's process-wide logger (which logs provider load failures) takes its level once,
      // from env.logLevel, when the first session of the process is created.
      ort.env.logLevel = logLevel;
      const session =
        typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
      return new OrtSession(`onnxruntime-node:${device}`, session, (t) => new ort.Tensor(t.type, t.data, t.dims as number[]), { queue });
    },
  };
}
