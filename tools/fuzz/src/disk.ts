/**
 * What a case left on disk: the entries under a folder before and after, and the difference that
 * should not be there.
 *
 * @module
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every entry under `dir` (relative paths, folders with a trailing `/`), or none when it does not exist. */
export async function listTree(dir: string, rel = ''): Promise<Set<string>> {
  const out = new Set<string>();
  let entries;
  try {
    entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) {
      out.add(`${r}/`);
      for (const x of await listTree(dir, r)) out.add(x);
    } else out.add(r);
  }
  return out;
}

/**
 * The entries of `after` that are neither in `before` nor allowed (`allowed(rel)`), and any
 * temporary file of the writers (`.d4rt-tmp-*`) wherever it is: what a failed or finished write
 * should not have left.
 */
export function leftovers(before: Set<string>, after: Set<string>, allowed: (rel: string) => boolean = () => false): string[] {
  return [...after].filter((r) => (!before.has(r) && !allowed(r)) || /(^|\/)\.d4rt-tmp-/.test(r)).sort();
}
