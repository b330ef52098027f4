/**
 * `d4rt convert opend4rt` as a user runs it: a real child process on the built CLI running the real
 * Python converter on the OpenD4RT golden fixture (packages/models/fixtures/opend4rt-tiny), the
 * model it writes run by `d4rt depth`, and the failures: bad arguments (exit 2), no Python, a Python
 * without torch, a checkpoint that does not fit its model.yaml (exit 1, no output folder left).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const MODELS = resolve(here, '../../models');
const FIXTURE = join(MODELS, 'fixtures/opend4rt-tiny');
const CKPT = join(FIXTURE, 'opend4rt.ckpt');
const YAML = join(FIXTURE, 'model.yaml');
const DEMO_MP4 = join(MODELS, 'fixtures/demo/demo.mp4');
/** The Python with torch, onnx, numpy and PyYAML here (the repository's training Python). */
const PYTHON = '/usr/bin/python3';
const pythonOk = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy, yaml']).status === 0;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'd4rt-convert-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function d4rt(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, D4RT_DEBUG: '', D4RT_PYTHON: PYTHON, OPENBLAS_NUM_THREADS: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const noStack = (stderr: string): void => expect(stderr).not.toMatch(/\n\s+at |Traceback/);
/** Nothing but `names` in `folder` (no converter temp folder left behind). */
const only = (folder: string, names: string[]): void => expect(readdirSync(folder).sort()).toEqual([...names].sort());

describe('d4rt convert: usage', () => {
  it('is in d4rt --help and has its own help', () => {
    const main = d4rt(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^ {2}d4rt convert opend4rt +an OpenD4RT checkpoint \+ model\.yaml as a model folder \(needs Python with torch\)$/m);
    const help = d4rt(['convert', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^d4rt convert opend4rt <checkpoint> <model\.yaml> -o <dir> \[options\]/);
    expect(help.stdout).toMatch(/pip install torch onnx numpy pyyaml/);
    expect(help.stdout).toMatch(/sudo apt install python3-torch python3-onnx python3-numpy python3-yaml/);
    expect(d4rt(['convert', 'opend4rt', '--help']).stdout).toBe(help.stdout);
  });

  it.each([
    [['convert'], /^d4rt convert: name the checkpoint family first: d4rt convert opend4rt <checkpoint> <model\.yaml> -o <dir>/m],
    [['convert', 'tensorflow', 'a', 'b'], /^d4rt convert: unknown checkpoint family "tensorflow"; the families are opend4rt/m],
    [['convert', 'opend4rt', CKPT, '-o', 'x'], /^d4rt convert opend4rt: expected the checkpoint and its model\.yaml, got ".*opend4rt\.ckpt"/m],
    [['convert', 'opend4rt', CKPT, YAML], /^d4rt convert opend4rt: -o <dir> \(the model folder to write\) is required$/m],
    [['convert', 'opend4rt', CKPT, YAML, '-o', 'x', '--dtype', 'bf16'], /^d4rt convert opend4rt: --dtype \("bf16"\) must be one of fp32, fp16, int8$/m],
    [['convert', 'opend4rt', CKPT, YAML, '-o', 'x', '--external-data', 'never'], /^d4rt convert opend4rt: --external-data \("never"\) must be one of auto, always$/m],
    [['convert', 'opend4rt', CKPT, YAML, '-o', 'x', '--fp16'], /^d4rt convert opend4rt: unknown option "--fp16" \(see d4rt convert opend4rt --help\)$/m],
    [['convert', 'opend4rt', 'missing.ckpt', YAML, '-o', 'x'], /^d4rt convert opend4rt: checkpoint "missing\.ckpt" does not exist$/m],
    [['convert', 'opend4rt', CKPT, FIXTURE, '-o', 'x'], /^d4rt convert opend4rt: model\.yaml ".*opend4rt-tiny" is not a file$/m],
    [['convert', 'opend4rt', CKPT, YAML, '-o', FIXTURE], /^d4rt convert opend4rt: -o ".*opend4rt-tiny" exists and is not an empty folder; choose a new folder$/m],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = d4rt(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});

describe('d4rt convert: Python missing', () => {
  it('D4RT_PYTHON that does not exist: exit 1, what to install, no output folder', () => {
    const out = join(dir, 'no-python');
    const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', out], { D4RT_PYTHON: '/nonexistent/python3' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'd4rt convert: Python not found: D4RT_PYTHON ("/nonexistent/python3") does not exist. The converter needs Python 3 with torch, onnx, numpy and PyYAML: install Python 3, then pip install torch onnx numpy pyyaml (Debian / Ubuntu: sudo apt install python3-torch python3-onnx python3-numpy python3-yaml), or set D4RT_PYTHON to a Python 3 that has them',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('no python3 on PATH (D4RT_PYTHON unset) says so', () => {
    const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', join(dir, 'no-path')], { D4RT_PYTHON: '', PATH: join(dir, 'empty-bin') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^d4rt convert: Python not found: python3 on PATH is not installed or not on PATH\. .*pip install torch onnx numpy pyyaml/m);
  });

  describe.skipIf(!existsSync(PYTHON))('a Python whose torch import fails', () => {
    // A python3 that is the real one with a torch module that fails to import in front of the real one.
    let bin = '';
    beforeAll(() => {
      bin = join(dir, 'fake-bin');
      mkdirSync(join(bin, 'shadow'), { recursive: true });
      writeFileSync(join(bin, 'shadow', 'torch.py'), "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n");
      writeFileSync(join(bin, 'python3'), `#!/bin/sh\nPYTHONPATH="${join(bin, 'shadow')}\${PYTHONPATH:+:$PYTHONPATH}" exec ${PYTHON} "$@"\n`);
      chmodSync(join(bin, 'python3'), 0o755);
    });

    it('as D4RT_PYTHON: exit 1, names the Python and the module, says what to install', () => {
      const out = join(dir, 'no-torch');
      const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', out], { D4RT_PYTHON: join(bin, 'python3') });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^d4rt convert: D4RT_PYTHON \(".*fake-bin\/python3": Python 3\.\d+\.\d+ at \/\S+\) cannot import torch \(ModuleNotFoundError: No module named 'torch'\)\. Install: pip install torch \(Debian \/ Ubuntu: sudo apt install python3-torch\), or set D4RT_PYTHON to a Python 3 that has them$/m,
      );
      noStack(r.stderr);
      expect(existsSync(out)).toBe(false);
    });

    it('as python3 on PATH', () => {
      const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', join(dir, 'no-torch-path')], { D4RT_PYTHON: '', PATH: `${bin}:${process.env.PATH}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^d4rt convert: python3 on PATH \(Python 3\.\d+\.\d+ at \/\S+\) cannot import torch \(ModuleNotFoundError: No module named 'torch'\)\. Install: pip install torch /m);
    });
  });
});

describe.skipIf(!pythonOk)('d4rt convert opend4rt on the golden fixture', () => {
  it('writes the model folder, streams the converter\'s progress, and the model runs (d4rt depth)', () => {
    const out = join(dir, 'fp32');
    const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^d4rt convert: converter \/\S+\/opend4rt \((checkout|bundled)\) on Python 3\.\d+\.\d+ \(\/\S+\)$/m);
    expect(r.stderr).toMatch(/^d4rt convert: read \S+opend4rt\.ckpt \(388,029 parameters, [\d.]+ s\)$/m);
    expect(r.stderr).toMatch(/^d4rt convert: wrote \S+fp32 in [\d.]+ s: .*encoder\.onnx 1\.34 MB/m);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'd4rt-model/1', name: 'opend4rt-tiny', info: { dtype: 'fp32', parameters: 388029 } });
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out}: model 'opend4rt-tiny' \\(fp32, 388,029 parameters\\), [\\d.]+ MB in \\d files: decoder\\.onnx [\\d.]+ MB, encoder\\.onnx 1\\.34 MB, .*manifest\\.json [\\d.]+ MB\\nuse it: d4rt depth <video> --model ${out}\\n$`));
    // the converter's temporary folder (.fp32-*) was renamed into place
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    const depth = d4rt(['depth', DEMO_MP4, '--model', out, '-o', join(dir, 'depth-out'), '--width', '14', '--height', '8', '-q']);
    expect(depth.code, depth.stderr).toBe(0);
    expect(readdirSync(join(dir, 'depth-out'))).toEqual(expect.arrayContaining(['depth.npy']));
  });

  it('--dtype int8 --external-data always -q: weights in .onnx.data files, no progress', () => {
    const out = join(dir, 'int8');
    const r = d4rt(['convert', 'opend4rt', CKPT, YAML, '-o', out, '--dtype', 'int8', '--external-data', 'always', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.info.dtype).toBe('int8');
    expect(manifest.files.externalData.encoder).toEqual(['encoder.onnx.data']);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['encoder.onnx', 'encoder.onnx.data', 'decoder.onnx', 'decoder.onnx.data', 'manifest.json']));
  });

  it('a checkpoint that does not fit its model.yaml: exit 1 with the converter\'s message, no output folder, no temp folder', () => {
    const parent = join(dir, 'bad');
    mkdirSync(parent);
    const yaml = join(parent, 'model.yaml');
    // One more decoder block than the checkpoint has.
    writeFileSync(yaml, readFileSync(YAML, 'utf8').replace(/( {2}decoder:\n(?: {4}.*\n)*? {4}num_layers: )2/, '$13'));
    expect(readFileSync(yaml, 'utf8')).not.toBe(readFileSync(YAML, 'utf8'));
    const out = join(parent, 'model');
    const r = d4rt(['convert', 'opend4rt', CKPT, yaml, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^d4rt convert: the conversion failed: .*opend4rt\.ckpt: has no tensor 'decoder\.blocks\.2\.norm_q\.weight' .* \(no output folder was written\)$/m);
    noStack(r.stderr);
    only(parent, ['model.yaml']);
  });

  it('the copy of the converter inside the built CLI (dist/python) converts on its own', () => {
    const out = join(dir, 'bundled');
    const r = spawnSync(PYTHON, ['-m', 'opend4rt.convert_opend4rt', CKPT, YAML, '-o', out], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: resolve(here, '../dist/python'), OPENBLAS_NUM_THREADS: '1', PYTHONWARNINGS: 'ignore' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });
});
