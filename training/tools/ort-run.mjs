// Runs an ONNX model with onnxruntime-node on raw tensors, for training's parity check.
// usage: node tools/ort-run.mjs spec.json
// spec: { "model": "path.onnx", "threads": 1,
//         "inputs": { name: { "file": "x.bin", "dtype": "float32"|"int64", "dims": [..] } },
//         "outDir": "dir" }
// writes outDir/<output>.bin (little-endian) and outDir/outputs.json { name: { dtype, dims, file } }.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const session = await ort.InferenceSession.create(spec.model, {
  intraOpNumThreads: spec.threads ?? 1,
  graphOptimizationLevel: 'all',
});
const feeds = {};
for (const [name, t] of Object.entries(spec.inputs)) {
  const buf = readFileSync(t.file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const data = t.dtype === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab);
  feeds[name] = new ort.Tensor(t.dtype, data, t.dims);
}
const t0 = performance.now();
const results = await session.run(feeds);
const ms = performance.now() - t0;
const meta = { _ms: ms };
for (const [name, tensor] of Object.entries(results)) {
  const file = join(spec.outDir, `${name}.bin`);
  writeFileSync(file, Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  meta[name] = { dtype: tensor.type, dims: tensor.dims, file };
}
writeFileSync(join(spec.outDir, 'outputs.json'), JSON.stringify(meta));
await session.release();
