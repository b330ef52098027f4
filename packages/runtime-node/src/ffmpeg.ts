/**
 * Finding and running the `ffmpeg` executable that `readVideo` and `writeMp4` use.
 *
 * Only `ffmpeg` itself is needed (no `ffprobe`): the static build of `@ffmpeg-installer/linux-x64`
 * ships without it, so probing parses `ffmpeg -i` output instead.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { InvalidVideoError, describeValue } from '@d4rt/core';

/** Where {@link findFfmpeg} found the executable. */
export type FfmpegSource = 'option' | 'env' | 'path' | 'bundled';

/** A working ffmpeg executable, as found by {@link findFfmpeg}. */
export interface FfmpegLocation {
  /** Absolute path of the executable. */
  readonly path: string;
  /**
   * Which place it came from: `'option'` (`options.ffmpegPath`), `'env'` (the `D4RT_FFMPEG`
   * environment variable), `'path'` (`ffmpeg` on `PATH`) or `'bundled'` (the binary of the
   * optional dependency `@ffmpeg-installer/<platform>-<arch>`).
   */
  readonly source: FfmpegSource;
}

/** Options of {@link findFfmpeg}. */
export interface FindFfmpegOptions {
  /**
   * Path (or command name, looked up on `PATH`) of the ffmpeg to use. When given, only this one is
   * tried: one that does not work is an error, never a silent fallback.
   */
  ffmpegPath?: string;
}

/** Environment variable naming the ffmpeg to use when no `ffmpegPath` option is given. */
export const FFMPEG_ENV = 'D4RT_FFMPEG';

const VERSION_TIMEOUT_MS = 20_000;
const exe = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
const locations = new Map<string, Promise<FfmpegLocation>>();

/**
 * Finds a working ffmpeg. Tries, in order: `options.ffmpegPath`, the environment variable
 * `D4RT_FFMPEG`, `ffmpeg` on `PATH`, then the binary of the optional dependency
 * `@ffmpeg-installer/<platform>-<arch>` (made executable with `chmod u+x` when the package
 * manager did not run its install script). A candidate works when `<it> -version` exits 0 and
 * prints `ffmpeg version`. An explicit option or environment variable that does not work is an
 * error (the later places are not tried). Successful results are cached per (option, environment,
 * `PATH`).
 *
 * @param options - `{ ffmpegPath }`
 * @returns the executable's absolute path and where it came from (a new object per call)
 * @throws TypeError when `options` is not an object or `ffmpegPath` is not a string;
 *   RangeError when `ffmpegPath` is empty;
 *   {@link InvalidVideoError} (`reason: 'decoder-missing'`) listing every place tried and why it failed
 */
export async function findFfmpeg(options: FindFfmpegOptions = {}): Promise<FfmpegLocation> {
  const fn = 'findFfmpeg';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${fn}: options (${describeValue(options)}) must be an object { ffmpegPath? }`);
  }
  const option = options.ffmpegPath;
  if (option !== undefined) {
    if (typeof option !== 'string') {
      throw new TypeError(`${fn}: options.ffmpegPath (${describeValue(option)}) must be a string (path of an ffmpeg executable)`);
    }
    if (option.trim() === '') throw new RangeError(`${fn}: options.ffmpegPath ("") must be a non-empty path of an ffmpeg executable`);
  }
  const env = process.env[FFMPEG_ENV]?.trim() || undefined;
  const key = JSON.stringify([option ?? null, option === undefined ? (env ?? null) : null, (option ?? env) !== undefined ? null : (process.env['PATH'] ?? '')]);
  let found = locations.get(key);
  if (!found) {
    found = locate(option, env);
    locations.set(key, found);
    found.catch(() => locations.delete(key));
  }
  const { path: file, source } = await found;
  return { path: file, source };
}

/**
 * {@link findFfmpeg} for another public function: its `'decoder-missing'` message starts with `fn`
 * instead of `findFfmpeg`. Returns the executable's path. @internal
 */
export async function ffmpegFor(fn: string, ffmpegPath: string | undefined): Promise<string> {
  try {
    return (await findFfmpeg(ffmpegPath === undefined ? {} : { ffmpegPath })).path;
  } catch (error) {
    if (error instanceof InvalidVideoError && error.message.startsWith('findFfmpeg: ')) {
      throw new InvalidVideoError(error.reason, `${fn}: ${error.message.slice('findFfmpeg: '.length)}`, { cause: error });
    }
    if (error instanceof TypeError || error instanceof RangeError) {
      const Ctor = error instanceof TypeError ? TypeError : RangeError;
      throw new Ctor(error.message.replace(/^findFfmpeg: /, `${fn}: `));
    }
    throw error;
  }
}

async function locate(option: string | undefined, env: string | undefined): Promise<FfmpegLocation> {
  const fn = 'findFfmpeg';
  const hint = `Install ffmpeg (e.g. \`apt install ffmpeg\`), set ${FFMPEG_ENV} to its path, or pass { ffmpegPath }.`;
  if (option !== undefined) {
    const { file, why } = await tryExplicit(option);
    if (why) throw new InvalidVideoError('decoder-missing', `${fn}: options.ffmpegPath (${describeValue(option)}) is not a working ffmpeg: ${why}. ${hint}`);
    return { path: file, source: 'option' };
  }
  if (env !== undefined) {
    const { file, why } = await tryExplicit(env);
    if (why) throw new InvalidVideoError('decoder-missing', `${fn}: ${FFMPEG_ENV} (${describeValue(env)}) is not a working ffmpeg: ${why}. ${hint}`);
    return { path: file, source: 'env' };
  }
  const tried: string[] = [`${FFMPEG_ENV}: not set`, 'options.ffmpegPath: not given'];
  const onPath = await searchPath(exe);
  if (onPath === undefined) {
    tried.push(`PATH: no "${exe}" in its ${pathDirs().length} folders`);
  } else {
    const why = await checkFfmpeg(onPath);
    if (!why) return { path: onPath, source: 'path' };
    tried.push(`PATH: ${onPath}: ${why}`);
  }
  const pkg = `@ffmpeg-installer/${process.platform}-${process.arch}`;
  let bundled: string | undefined;
  try {
    const require = createRequire(import.meta.url);
    bundled = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), exe);
  } catch (error) {
    tried.push(`${pkg}: not installed (${firstLine(error)})`);
  }
  if (bundled !== undefined) {
    const why = (await makeExecutable(bundled)) ?? (await checkFfmpeg(bundled));
    if (!why) return { path: bundled, source: 'bundled' };
    tried.push(`${pkg}: ${bundled}: ${why}`);
  }
  throw new InvalidVideoError('decoder-missing', `${fn}: no working ffmpeg found. Tried: ${tried.join('; ')}. ${hint}`);
}

async function tryExplicit(value: string): Promise<{ file: string; why?: string }> {
  const isName = !value.includes('/') && !value.includes(path.sep);
  if (isName) {
    const file = await searchPath(value);
    if (file === undefined) return { file: value, why: `no "${value}" found on PATH` };
    const why = await checkFfmpeg(file);
    return why ? { file, why } : { file };
  }
  const file = path.resolve(value);
  const why = await checkFfmpeg(file);
  return why ? { file, why } : { file };
}

function pathDirs(): string[] {
  return (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '');
}

async function searchPath(name: string): Promise<string | undefined> {
  for (const dir of pathDirs()) {
    const file = path.resolve(dir, name);
    try {
      const s = await stat(file);
      if (!s.isFile()) continue;
      await access(file, fsConstants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `chmod u+x` the bundled binary when needed; returns why that failed, or undefined. */
async function makeExecutable(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return 'is not a file';
    if (process.platform === 'win32' || s.mode & 0o100) return undefined;
    await chmod(file, s.mode | 0o100);
    return undefined;
  } catch (error) {
    return `could not be made executable (${firstLine(error)})`;
  }
}

/** Runs `file -version`; returns why it is not a working ffmpeg, or undefined when it is. */
async function checkFfmpeg(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) return 'it is a directory';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${firstLine(error)})`;
  }
  let stdout = '';
  try {
    const run = await runFfmpeg(file, ['-hide_banner', '-version'], {
      onStdout: (chunk) => {
        if (stdout.length < 4096) stdout += chunk.toString('latin1');
      },
      timeoutMs: VERSION_TIMEOUT_MS,
    });
    if (run.code !== 0) return `\`-version\` exited with ${run.signal ?? `code ${run.code}`} (${lastLine(run.stderr) || 'no message'})`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'it is not executable';
    if (code === 'ENOENT') return 'it does not exist';
    return `it could not be run (${firstLine(error)})`;
  }
  if (!stdout.startsWith('ffmpeg version')) return `it is not ffmpeg (\`-version\` printed ${describeValue(stdout.split('\n')[0] ?? '')})`;
  return undefined;
}

/** What an ffmpeg build can do, as far as the I/O functions care. @internal */
export interface FfmpegCapabilities {
  /** Knows `-fps_mode` (ffmpeg >= 5.1); older builds only know `-vsync`. */
  fpsMode: boolean;
  /** Names of its encoders (`libx264`, `mpeg4`, ...). */
  encoders: ReadonlySet<string>;
}

const capabilities = new Map<string, Promise<FfmpegCapabilities>>();

/** Asks `ffmpeg -h long` and `ffmpeg -encoders` what this build supports; cached per path. @internal */
export function ffmpegCapabilities(file: string): Promise<FfmpegCapabilities> {
  let caps = capabilities.get(file);
  if (!caps) {
    caps = (async () => {
      const collect = async (args: string[]): Promise<string> => {
        let out = '';
        await runFfmpeg(file, ['-hide_banner', ...args], { onStdout: (c) => void (out += c.toString('latin1')), timeoutMs: VERSION_TIMEOUT_MS });
        return out;
      };
      const [help, encoderList] = await Promise.all([collect(['-h', 'long']), collect(['-encoders'])]);
      const encoders = new Set<string>();
      for (const line of encoderList.split('\n')) {
        const m = /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
        if (m?.[1] && m[1] !== '=') encoders.add(m[1]);
      }
      return { fpsMode: /^-fps_mode\b/m.test(help), encoders };
    })();
    capabilities.set(file, caps);
    caps.catch(() => capabilities.delete(file));
  }
  return caps;
}

/** The output options that keep every decoded frame exactly once (no duplication or dropping). @internal */
export function passthroughArgs(caps: FfmpegCapabilities): string[] {
  return caps.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', '0'];
}

/** Options of {@link runFfmpeg}. @internal */
export interface RunFfmpegOptions {
  /** Kills the child (SIGKILL) and rejects with `signal.reason` when aborted. */
  signal?: AbortSignal;
  /**
   * Called with each chunk of stdout as it arrives (the chunk is only valid during the call).
   * When it throws, the child is killed and the run rejects with that error.
   */
  onStdout?: (chunk: Buffer) => void;
  /** Chunks written to the child's stdin (with backpressure), then stdin is closed. */
  stdin?: Iterable<Uint8Array>;
  /** Called after each stdin chunk was handed to the pipe, with the number of chunks written. */
  onStdinChunk?: (written: number) => void;
  /** Bytes of stderr kept from the start and from the end (each); default 32 KiB. */
  stderrLimit?: number;
  /** Kills the child and rejects after this many milliseconds. */
  timeoutMs?: number;
}

/** How a child ffmpeg ended. @internal */
export interface FfmpegRun {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: NodeJS.Signals | null;
  /** Its stderr: the first and last `stderrLimit` bytes, with a marker where bytes were left out. */
  stderr: string;
}

/**
 * Spawns ffmpeg with `args` (no shell), streams stdout to `onStdout`, keeps a bounded copy of
 * stderr and resolves when the child has exited and its pipes are closed, whatever its exit code.
 * The child never outlives a failure: on abort, timeout, an `onStdout` error or a spawn error it is
 * killed with SIGKILL before the promise rejects.
 *
 * @internal
 */
export function runFfmpeg(file: string, args: readonly string[], options: RunFfmpegOptions = {}): Promise<FfmpegRun> {
  const { signal, onStdout, stdin, onStdinChunk, timeoutMs } = options;
  const limit = options.stderrLimit ?? 32 * 1024;
  return new Promise<FfmpegRun>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(file, args, {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
      env: { ...process.env, AV_LOG_FORCE_NOCOLOR: '1' },
    });
    const stderr = new BoundedText(limit);
    let failure: { error: unknown } | undefined;
    let settled = false;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const finish = (run?: FfmpegRun): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      if (failure) reject(failure.error);
      else resolve(run!);
    };
    const fail = (error: unknown): void => {
      failure ??= { error };
      kill();
      // A child that never started emits no 'close' after 'error' on some Node versions.
      if (child.pid === undefined) finish();
    };
    const onAbort = (): void => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => fail(new Error(`ffmpeg (${file}) did not finish within ${timeoutMs} ms`)), timeoutMs);

    child.on('error', fail);
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (failure || !onStdout) return;
      try {
        onStdout(chunk);
      } catch (error) {
        fail(error);
      }
    });
    if (stdin) {
      const pipe = child.stdin!;
      // EPIPE when ffmpeg exits early: its exit code and stderr tell why, so the write error is dropped.
      pipe.on('error', () => undefined);
      writeAll(pipe, stdin, onStdinChunk, () => failure !== undefined).catch(fail);
    }
    child.on('close', (code, sig) => finish({ code, signal: sig, stderr: stderr.toString() }));
  });
}

async function writeAll(pipe: Writable, chunks: Iterable<Uint8Array>, onChunk: ((n: number) => void) | undefined, stop: () => boolean): Promise<void> {
  let n = 0;
  for (const chunk of chunks) {
    if (stop() || pipe.destroyed || pipe.writableEnded) return;
    const more = pipe.write(chunk);
    onChunk?.(++n);
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          pipe.off('drain', done);
          pipe.off('close', done);
          pipe.off('error', done);
          resolve();
        };
        pipe.on('drain', done);
        pipe.on('close', done);
        pipe.on('error', done);
      });
    }
  }
  if (!pipe.destroyed) pipe.end();
}

/** Keeps the first and the last `limit` bytes of a stream of chunks. */
class BoundedText {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.headBytes < this.limit) {
      const take = Math.min(chunk.length, this.limit - this.headBytes);
      this.head.push(Buffer.from(chunk.subarray(0, take)));
      this.headBytes += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    this.tail.push(Buffer.from(chunk));
    this.tailBytes += chunk.length;
    while (this.tailBytes > this.limit) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.limit;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped > 0 ? `${head}\n[... ${this.dropped} bytes of ffmpeg output left out ...]\n${tail}` : head + tail;
  }
}

/** Lines of ffmpeg's stderr, split on `\n` and the `\r` of its progress lines, trimmed, non-empty. @internal */
export function stderrLines(stderr: string): string[] {
  return stderr
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * The last line of ffmpeg's stderr that says something: progress lines (`frame= ...`, `size= ...`),
 * the summary (`video:...kB`) and the `At least one output file` reminder of a probe are skipped.
 * @internal
 */
export function lastLine(stderr: string): string {
  const lines = stderrLines(stderr).filter(
    (l) => !/^(frame|size)=/.test(l) && !/^video:\d/.test(l) && !/At least one output file must be specified/.test(l) && !l.startsWith('[... '),
  );
  return lines[lines.length - 1] ?? '';
}

/**
 * The last stderr line that reports a problem (error, invalid data, corrupt or partial input, ...),
 * else {@link lastLine}. @internal
 */
export function errorLine(stderr: string): string {
  const lines = stderrLines(stderr).filter((l) => !/^(frame|size)=/.test(l));
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/error|invalid|corrupt|partial file|fail|cannot|could not|not found|unsupported|missing|truncat|no such/i.test(line)) return tidyLine(line);
  }
  return tidyLine(lastLine(stderr));
}

/** `[h264 @ 0x55d...] message` -> `h264: message` (the address says nothing to a reader). @internal */
export function tidyLine(line: string): string {
  return line.replace(/^\[([^\]@]+?) @ (0x)?[0-9a-f]+\] /i, '$1: ');
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}
