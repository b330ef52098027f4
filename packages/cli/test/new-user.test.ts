/**
 * Faults found by trying the CLI as a new user would (issue 15): each test runs the built CLI in a
 * child process, as a user does, and fails on the old behaviour.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-new-user-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: options.cwd ?? dir, env: { ...process.env, D4RT_DEBUG: '', ...options.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('d4rt --help', () => {
  it('starts every command summary in one column', () => {
    const r = d4rt(['--help']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('  d4rt '));
    expect(rows.map((l) => l.trim().split(' ')[1])).toEqual(['demo', 'depth', 'track', 'pose', 'recon', 'eval', 'bench']);
    const columns = new Set(rows.map((l) => /^ {2}\S.*?\S {2,}(?=\S)/.exec(l)![0].length));
    expect(columns.size).toBe(1);
  });
});
