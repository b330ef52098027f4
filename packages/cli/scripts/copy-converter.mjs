/**
 * Build step: copies training's OpenD4RT converter (training/opend4rt/convert_opend4rt.py and the
 * modules it imports, followed through `from . import x` / `from .x import y`) into
 * dist/python/opend4rt, so an installed @d4rt/cli can run `d4rt convert opend4rt` without a checkout
 * (it still needs Python with torch, onnx, numpy and PyYAML). In a checkout the CLI runs
 * training/opend4rt itself; this copy is its fallback.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(here, '../../../training/opend4rt');
const target = resolve(here, '../dist/python/opend4rt');
if (!existsSync(join(source, 'convert_opend4rt.py'))) {
  console.error(`copy-converter: ${source}/convert_opend4rt.py not found`);
  process.exit(1);
}
const modules = new Set(['__init__', 'convert_opend4rt']);
const queue = ['convert_opend4rt'];
while (queue.length > 0) {
  const text = readFileSync(join(source, `${queue.pop()}.py`), 'utf8');
  const found = [...text.matchAll(/^from \.(\w*) import ([\w, ]+)/gm)].flatMap(([, mod, names]) => (mod ? [mod] : names.split(',').map((n) => n.trim())));
  for (const m of found) {
    if (!modules.has(m) && existsSync(join(source, `${m}.py`))) {
      modules.add(m);
      queue.push(m);
    }
  }
}
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const m of [...modules].sort()) copyFileSync(join(source, `${m}.py`), join(target, `${m}.py`));
