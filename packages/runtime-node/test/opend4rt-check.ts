/**
 * `pnpm -s check:opend4rt`: converts the OpenD4RT golden fixture with training's converter (with a
 * K/V graph, then with `--no-kv`), runs it through the SDK and prints the largest relative error of
 * each output against upstream's own answers as one JSON object (the last line; `noKv…` keys for
 * the second model). Exits 1 when an error passes 1e-4 or the conversion
 * fails, 2 when training's Python is not available.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pythonMissing } from './helpers.js';
import { convertOpenD4rtFixture, openD4rtErrors } from './opend4rt.js';

const missing = pythonMissing();
if (missing !== null) {
  console.error(`check:opend4rt: training's Python cannot run (${missing})`);
  process.exit(2);
}
// the model with a K/V graph (the converter's default), then the one whose decoder takes the memory
// (--no-kv): its errors are printed with the prefix 'noKv'
const errors: Record<string, number> = {};
for (const kv of [true, false]) {
  const folder = convertOpenD4rtFixture({ kv });
  try {
    for (const [k, v] of Object.entries(await openD4rtErrors(folder))) errors[kv ? k : `noKv${k[0]!.toUpperCase()}${k.slice(1)}`] = v;
  } finally {
    rmSync(dirname(folder), { recursive: true, force: true });
  }
}
const worst = Math.max(...Object.values(errors));
console.log(JSON.stringify(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, Number(v.toPrecision(3))]))));
process.exit(worst <= 1e-4 ? 0 : 1);
