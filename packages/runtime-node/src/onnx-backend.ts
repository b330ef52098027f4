/**
 * The onnxruntime-node backend: runs a model's graphs on the CPU, on CUDA where the platform's
 * onnxruntime-node has the CUDA provider, or on WebGPU (Dawn) where onnxruntime-node bundles it and
 * the machine has a GPU Dawn accepts, implementing `@d4rt/core`'s `Backend` contract.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OrtSession, RunQueue, type Backend, type BackendSession } from '@d4rt/core';
import * as ort from 'onnxruntime-node';

/** An onnxruntime-node execution provider the SDK supports. */
export type NodeExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/**
 * Where to run: `'cpu'`, `'cuda'`, `'webgpu'`, `'auto'` (CUDA when its provider library is
 * installed, then the CPU; never WebGPU, see {@link resolveDevice}), or an explicit order to try,
 * e.g. `['webgpu', 'cpu']`.
 */
export type NodeDevice = 'auto' | NodeExecutionProvider | readonly NodeExecutionProvider[];

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /** Execution provider (default `'cpu'`). */
  device?: NodeExecutionProvider;
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

const PROVIDERS: readonly NodeExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];

/**
 * Resolves a device to the ordered list of backends to try (see {@link NodeDevice}).
 *
 * `'auto'` never tries WebGPU (unlike runtime-web's `'auto'`): onnxruntime-node's WebGPU runs on
 * Dawn, which on Linux needs a GPU's Vulkan driver, and where there is none every load would pay
 * for a failed WebGPU attempt (a child process, see {@link webGpuUnavailable}) to land on the CPU
 * anyway. Ask for it: `'webgpu'`, or `['webgpu', 'cpu']` to fall back to the CPU.
 * @returns for `'auto'`: `['cuda', 'cpu']` when the CUDA provider library is installed, else `['cpu']`;
 *   the one device or the given order otherwise
 * @throws RangeError for an unknown device, an empty list or a repeated device
 */
export function resolveDevice(device: NodeDevice): NodeExecutionProvider[] {
  if (device === 'auto') return hasCudaProvider() ? ['cuda', 'cpu'] : ['cpu'];
  const list = typeof device === 'string' ? [device] : Array.isArray(device) ? [...(device as readonly NodeExecutionProvider[])] : null;
  if (list === null || list.length === 0 || list.some((d) => !PROVIDERS.includes(d)) || new Set(list).size !== list.length) {
    throw new RangeError(
      `resolveDevice: device (${JSON.stringify(device)}) must be 'auto', 'cpu', 'cuda', 'webgpu' or a non-empty list of distinct 'cpu' / 'cuda' / 'webgpu'`,
    );
  }
  return list;
}

/**
 * The smallest ONNX model: `y = Identity(x)`, `x` and `y` float32 `[1]` (IR 8, opset 13). Making a
 * WebGPU session of it initialises the WebGPU execution provider, which is what the probe tests.
 */
function identityModel(): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    out.push(n);
    return out;
  };
  // protobuf: a length-delimited field (wire type 2), a string field, a varint field (wire type 0)
  const field = (tag: number, payload: number[]): number[] => [...varint((tag << 3) | 2), ...varint(payload.length), ...payload];
  const text = (tag: number, s: string): number[] => field(tag, [...new TextEncoder().encode(s)]);
  const int = (tag: number, n: number): number[] => [...varint(tag << 3), ...varint(n)];
  // TypeProto.tensor_type { elem_type: FLOAT, shape { dim { dim_value: 1 } } }
  const float1 = field(1, [...int(1, 1), ...field(2, field(1, int(1, 1)))]);
  const valueInfo = (name: string): number[] => [...text(1, name), ...field(2, float1)];
  // GraphProto { node { input, output, op_type }, name, input, output }
  const graph = [...field(1, [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')]), ...text(2, 'webgpu-probe'), ...field(11, valueInfo('x')), ...field(12, valueInfo('y'))];
  // ModelProto { ir_version: 8, graph, opset_import { version: 13 } }
  return Uint8Array.from([...int(1, 8), ...field(7, graph), ...field(8, int(2, 13))]);
}

/** Longest wait for the WebGPU probe process. */
const WEBGPU_PROBE_TIMEOUT_MS = 60_000;

/** What the probe process prints on stdout: whether a WebGPU session could be made, and onnxruntime's error. */
interface ProbeResult {
  ok: boolean;
  message?: string;
}

/** The part of an onnxruntime error worth reading: without the C++ file, function and failed check before it. */
function ortMessage(message: string): string {
  const m = message.trim();
  return /\bwas false\. ([^]*)$/.exec(m)?.[1]?.trim() ?? m;
}

/**
 * Dawn's own lines from the probe's stderr, one sentence each: its warnings (why no adapter was
 * accepted) with their "While ..." context, without stack lines, repeats, or mesa's note that
 * `XDG_RUNTIME_DIR` is not set (about windows, not compute).
 */
function dawnLines(stderr: string): string[] {
  const out: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('at ') || /XDG_RUNTIME_DIR/.test(line)) continue;
    if (line.startsWith('- ') && out.length > 0) out[out.length - 1] = `${out[out.length - 1]!.replace(/\.$/, '')}, ${line.slice(2).replace(/^While/, 'while')}`;
    else if (!out.includes(line.replace(/^Warning: /, ''))) out.push(line.replace(/^Warning: /, ''));
  }
  return out;
}

/** What Dawn needs on this platform, for the message of a WebGPU that has no adapter. */
function webGpuNeeds(dawn: string): string {
  if (process.platform !== 'linux') return `WebGPU needs a GPU and driver Dawn accepts on ${process.platform}; or use device 'cpu'`;
  const why = /Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER/.test(dawn)
    ? 'no Vulkan driver is installed'
    : /required/.test(dawn)
      ? 'the Vulkan driver installed lacks a feature Dawn requires (mesa\'s software lavapipe is refused this way)'
      : 'no Vulkan device was accepted';
  return `${why}; on Linux onnxruntime-node's WebGPU runs on Dawn's Vulkan backend, which needs a GPU's Vulkan driver (its ICD file in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d; \`vulkaninfo --summary\` lists the devices), or use device 'cpu'`;
}

let webGpuProbe: Promise<string | null> | undefined;

/**
 * Why onnxruntime-node cannot run WebGPU here, or null when it can make a WebGPU session.
 *
 * The attempt runs in a child Node process, once per process (the answer is kept): where Dawn
 * finds no adapter it says why only on stderr (onnxruntime's error is just "No supported
 * adapters"), which a child's can be read and the parent's cannot, and a driver that crashes Dawn
 * takes down the child, not the caller. It costs one Node start and one WebGPU initialisation
 * (on the 2-core CPU-only machine this was written on, where it fails: about 0.13 s without a
 * Vulkan driver, 0.2–0.5 s with mesa's software lavapipe).
 * @returns null, or a sentence naming onnxruntime's error, Dawn's own reason and what WebGPU needs
 */
export function webGpuUnavailable(): Promise<string | null> {
  webGpuProbe ??= probeWebGpu();
  return webGpuProbe;
}

/**
 * Whether onnxruntime-node can make WebGPU sessions on this machine (a GPU with a driver Dawn
 * accepts); see {@link webGpuUnavailable} for why not.
 */
export async function hasWebGpuAdapter(): Promise<boolean> {
  return (await webGpuUnavailable()) === null;
}

async function probeWebGpu(): Promise<string | null> {
  const listed = ort.listSupportedBackends().find((b) => b.name === 'webgpu');
  if (listed === undefined) {
    return `this platform's onnxruntime-node (${process.platform}-${process.arch}) has no WebGPU execution provider (listSupportedBackends() does not list it)`;
  }
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch (error) {
    return `onnxruntime-node cannot be found (${(error as Error).message})`;
  }
  const script = [
    `const ort = require(${JSON.stringify(main)});`,
    `ort.env.logLevel = 'fatal';`,
    // exit once the verdict is out: a GPU device's threads must not keep the probe waiting
    `const say = (v) => process.stdout.write(JSON.stringify(v), () => process.exit(0));`,
    `ort.InferenceSession.create(Buffer.from(${JSON.stringify(Buffer.from(identityModel()).toString('base64'))}, 'base64'), { executionProviders: ['webgpu'], logSeverityLevel: 4 })`,
    `  .then((s) => s.release()).then(() => say({ ok: true }), (e) => say({ ok: false, message: String(e && e.message || e) }));`,
  ].join('\n');
  // The child is plain Node: no loaders or flags of the parent's NODE_OPTIONS (tsx, a debugger).
  const { NODE_OPTIONS: _, ...env } = process.env;
  const r = await new Promise<{ error: (Error & { code?: unknown; signal?: unknown; killed?: boolean }) | null; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: WEBGPU_PROBE_TIMEOUT_MS, maxBuffer: 1 << 20, windowsHide: true }, (error, stdout, stderr) => done({ error, stdout, stderr }));
  });
  const dawn = dawnLines(r.stderr);
  const said = dawn.length > 0 ? `; Dawn: ${dawn.map((l) => JSON.stringify(l)).join(', ')}` : '';
  let result: ProbeResult | null = null;
  try {
    result = JSON.parse(r.stdout) as ProbeResult;
  } catch {
    // no verdict: the process failed (below)
  }
  if (result?.ok === true) return null;
  if (result !== null) {
    const message = ortMessage(result.message ?? 'unknown error');
    return `WebGPU ${/adapter/i.test(message) ? 'has no usable adapter' : 'cannot start'} (onnxruntime: ${JSON.stringify(message)}${said}): ${webGpuNeeds(dawn.join(' '))}`;
  }
  const how = r.error?.killed === true && r.error.signal === 'SIGTERM' ? `did not finish in ${WEBGPU_PROBE_TIMEOUT_MS / 1000} s` : r.error?.signal ? `was killed by ${String(r.error.signal)}` : `failed (${r.error?.message.split('\n')[0] ?? `no answer on stdout`})`;
  return `the WebGPU probe (a child Node process making a WebGPU session) ${how}${said.replace(/^; /, ' (') + (said ? ')' : '')}; use device 'cpu'`;
}

/**
 * An onnxruntime-node {@link Backend}. Its sessions share one `RunQueue`: one graph runs at a time
 * (onnxruntime-node runs a graph on the JavaScript thread anyway), in call order, and a session is
 * released only once its run under way has finished (onnxruntime-node would otherwise reject that
 * run with a raw `Error: Session already disposed`). See `OrtSession`.
 * @param options - `device` (default `'cpu'`), `intraOpThreads`, `interOpThreads`, `logLevel` (default `'fatal'`)
 *
 * For `'webgpu'` the first `createSession` first asks {@link webGpuUnavailable} (a child process,
 * once per process) whether WebGPU works here, so that a machine without a usable GPU gets an
 * error saying why, and none of Dawn's stderr lines; nodes the WebGPU provider has no kernel for
 * run on the CPU inside the same session (onnxruntime's own placement).
 * @returns a new backend named `onnxruntime-node:<device>`
 * @throws RangeError for a bad option. Its `createSession` throws, for `'cuda'` where the CUDA provider
 *   libraries are not installed, an `Error` naming the missing files, and for `'webgpu'` where WebGPU
 *   has no usable adapter, an `Error` with {@link webGpuUnavailable}'s reason (onnxruntime is not
 *   called in this process in either case)
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): Backend {
  const device = options.device ?? 'cpu';
  if (!PROVIDERS.includes(device)) {
    throw new RangeError(`createOnnxBackend: options.device (${JSON.stringify(device)}) must be 'cpu', 'cuda' or 'webgpu'`);
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
      // Where WebGPU has no adapter, Dawn prints its reasons to stderr: find out in a child process.
      const missing = device === 'cuda' ? cudaProviderMissing() : device === 'webgpu' ? await webGpuUnavailable() : null;
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
