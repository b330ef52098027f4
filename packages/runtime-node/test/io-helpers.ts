/** Test helpers of the I/O modules: fixture and data paths, temp folders, ffmpeg, error checks. */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect } from 'vitest';
import { InvalidVideoError, type InvalidVideoReason } from '@d4rt/core';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `packages/models/fixtures` (d4rt-clip/1 fixtures, in the repository). */
export const FIXTURES = path.resolve(here, '../../models/fixtures');
/** The demo clip's video (16 frames, 192 x 128, 12 fps, H.264 crf 12). */
export const DEMO_MP4 = path.join(FIXTURES, 'demo', 'demo.mp4');
/** Real test data outside the repository (`../shared/data` from the repository root); may be absent. */
export const DATA = path.resolve(here, '../../../../shared/data');
/** Skip message for tests that need `DATA/<name>`. */
export function dataMissing(name: string): string | undefined {
  return existsSync(path.join(DATA, name)) ? undefined : `skipped: real test data ${path.join(DATA, name)} not found (../shared/data is outside the repository)`;
}

/** Debian's ffmpeg (5.x), when installed. */
export const SYSTEM_FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : undefined;
/** The static 2018 ffmpeg of `@ffmpeg-installer/linux-x64`, when installed (its real path in the pnpm store). */
export const BUNDLED_FFMPEG = (() => {
  const p = path.resolve(here, '../node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
  return existsSync(p) ? realpathSync(p) : undefined;
})();
/** Any ffmpeg to make test videos with. */
export const ANY_FFMPEG = SYSTEM_FFMPEG ?? BUNDLED_FFMPEG;

/** Runs ffmpeg (for making test inputs); rejects with its stderr on failure. */
export async function ffmpeg(args: string[], bin = ANY_FFMPEG): Promise<void> {
  if (!bin) throw new Error('no ffmpeg to make test videos');
  await promisify(execFile)(bin, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { maxBuffer: 1 << 20 });
}

/** A fresh temp folder, removed after the test file. Call it at the top level of a test file (where `afterAll` registers). */
export async function tempDir(prefix = 'd4rt-io-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Awaits `promise`, expects an InvalidVideoError with `reason` and a message matching `message`. */
export async function expectInvalidVideo(promise: Promise<unknown>, reason: InvalidVideoReason, message: RegExp): Promise<InvalidVideoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidVideoError);
  const e = error as InvalidVideoError;
  expect(e.code).toBe('ERR_INVALID_VIDEO');
  expect({ reason: e.reason, message: e.message }).toMatchObject({ reason, message: expect.stringMatching(message) });
  return e;
}

/** Mean absolute difference of two byte arrays of one length. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** True when bytes [start, start + length) of a and b are equal. */
export function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset + aStart, length), Buffer.from(b.buffer, b.byteOffset + bStart, length)) === 0;
}

/** Process ids of running processes whose command line contains `text`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes(' ps -eo'))
    .map((l) => l.trim().split(/\s+/)[0]!);
}
