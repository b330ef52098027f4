"""Benchmark of PyTorch CPU eager inference of a D4RT checkpoint, on raw input files that a Node
benchmark (onnxruntime-node) reads too, so the two run on identical inputs.

    cd training
    OPENBLAS_NUM_THREADS=2 PYTHONPATH=. /usr/bin/python3 tools/bench_torch.py \\
        --ckpt checkpoints/d4rt-tiny.pt --inputs DIR [--threads N] [--warmup 2] [--runs 7]
    # a deterministic set of inputs (numpy PCG64 seeded by S), so the script can run alone:
    /usr/bin/python3 tools/bench_torch.py --ckpt checkpoints/d4rt-tiny.pt --write-inputs DIR --queries Q --seed S

DIR holds raw little-endian arrays, no header (T, H, W, p from the checkpoint's model config):

    video.f32    float32 [1, T, 3, H, W]   normalised frames (encoder input)
    aspect.f32   float32 [1]               source width / height
    coords.f32   float32 [1, Q, 2]         (u, v) in [0, 1]
    times.i64    int64   [1, Q, 3]         (tSrc, tTgt, tCam) model frame indices in [0, T)
    patches.f32  float32 [1, Q, 3 p p]     query patches

Q is inferred from the size of coords.f32. Under ``torch.no_grad()`` and ``model.eval()`` it times
``model.encoder(video, aspect)`` and ``model.decoder(memory, coords, times, patches)`` separately
(``time.perf_counter``; ``--warmup`` untimed runs, then ``--runs`` timed runs; the decoder reuses the
memory of the last encoder run) and prints ONE JSON line on stdout::

    {"encoderMs": median, "decoderMs": median, "queries": Q, "threads": N, "torch": "1.13.1",
     "encoderRunsMs": [...], "decoderRunsMs": [...]}

``--save-outputs DIR2`` also writes the raw outputs (memory.f32, xyz.f32, uv.f32, visibility.f32,
confidence.f32) of the last run, for a parity check on the Node side.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d4rt_train.export import load_checkpoint  # noqa: E402

FILES = {
    'video': ('video.f32', '<f4'),
    'aspect': ('aspect.f32', '<f4'),
    'coords': ('coords.f32', '<f4'),
    'times': ('times.i64', '<i8'),
    'patches': ('patches.f32', '<f4'),
}


def shapes(cfg, q: int) -> dict:
    p = cfg.query_patch
    return {'video': (1, cfg.T, 3, cfg.H, cfg.W), 'aspect': (1,), 'coords': (1, q, 2), 'times': (1, q, 3),
            'patches': (1, q, 3 * p * p)}


def make_inputs(cfg, q: int, seed: int) -> dict:
    """Deterministic inputs (numpy arrays of the file dtypes), independent of the torch version."""
    if q < 1:
        raise ValueError(f'--queries must be >= 1, got {q}')
    rng = np.random.default_rng([int(seed), 0xBE7C])
    sh = shapes(cfg, q)
    return {
        'video': rng.standard_normal(sh['video'], dtype=np.float32),
        'aspect': np.array([1.5], np.float32),
        'coords': rng.random(sh['coords'], dtype=np.float32),
        'times': rng.integers(0, cfg.T, sh['times'], dtype=np.int64),
        'patches': rng.standard_normal(sh['patches'], dtype=np.float32),
    }


def write_inputs(folder: Path, arrays: dict) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for key, (name, dtype) in FILES.items():
        tmp = folder / f'.{name}.tmp'
        tmp.write_bytes(np.ascontiguousarray(arrays[key], dtype=np.dtype(dtype)).tobytes())
        tmp.replace(folder / name)


def read_inputs(folder: Path, cfg) -> dict:
    """Reads DIR's files, checks their sizes against the model config, returns numpy arrays."""
    folder = Path(folder)
    raw = {}
    for key, (name, dtype) in FILES.items():
        path = folder / name
        if not path.is_file():
            raise SystemExit(f'bench_torch: missing input file {path}')
        raw[key] = np.frombuffer(path.read_bytes(), dtype=np.dtype(dtype))
    if raw['coords'].size % 2 or raw['coords'].size == 0:
        raise SystemExit(f'bench_torch: coords.f32 holds {raw["coords"].size} floats, not [1, Q, 2] with Q >= 1')
    q = raw['coords'].size // 2
    out = {}
    for key, shape in shapes(cfg, q).items():
        if raw[key].size != int(np.prod(shape)):
            raise SystemExit(f'bench_torch: {FILES[key][0]} holds {raw[key].size} values, '
                             f'expected {list(shape)} (Q = {q} from coords.f32)')
        out[key] = raw[key].reshape(shape).copy()
    t = out['times']
    if t.min() < 0 or t.max() >= cfg.T:
        raise SystemExit(f'bench_torch: times.i64 must lie in [0, {cfg.T}), got [{t.min()}, {t.max()}]')
    return out


def _timed(fn, warmup: int, runs: int):
    for _ in range(warmup):
        out = fn()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        ms.append((time.perf_counter() - t0) * 1000.0)
    return out, ms


@torch.no_grad()
def bench(model, arrays: dict, threads: int, warmup: int = 2, runs: int = 7, save_outputs: Path | None = None) -> dict:
    if runs < 1 or warmup < 0:
        raise ValueError('bench: runs must be >= 1 and warmup >= 0')
    torch.set_num_threads(threads)
    model = model.eval()
    x = {k: torch.from_numpy(v) for k, v in arrays.items()}
    memory, enc_ms = _timed(lambda: model.encoder(x['video'], x['aspect']), warmup, runs)
    outs, dec_ms = _timed(lambda: model.decoder(memory, x['coords'], x['times'], x['patches']), warmup, runs)
    if save_outputs is not None:
        save_outputs = Path(save_outputs)
        save_outputs.mkdir(parents=True, exist_ok=True)
        for name, t in zip(('memory', 'xyz', 'uv', 'visibility', 'confidence'), (memory, *outs)):
            (save_outputs / f'{name}.f32').write_bytes(t.contiguous().numpy().astype('<f4').tobytes())
    r = lambda v: round(v, 4)
    return {'encoderMs': r(statistics.median(enc_ms)), 'decoderMs': r(statistics.median(dec_ms)),
            'queries': int(arrays['coords'].shape[1]), 'threads': int(threads), 'torch': torch.__version__,
            'encoderRunsMs': [r(v) for v in enc_ms], 'decoderRunsMs': [r(v) for v in dec_ms]}


def main(argv=None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', required=True, type=Path)
    ap.add_argument('--inputs', type=Path, help='folder of raw input files to benchmark on')
    ap.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (default 1)')
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--runs', type=int, default=7)
    ap.add_argument('--save-outputs', type=Path, help='also write the raw outputs of the last run here')
    ap.add_argument('--write-inputs', type=Path, help='write a deterministic set of inputs to this folder and exit')
    ap.add_argument('--queries', type=int, default=4096, help='Q for --write-inputs')
    ap.add_argument('--seed', type=int, default=0, help='seed for --write-inputs')
    args = ap.parse_args(argv)
    if (args.inputs is None) == (args.write_inputs is None):
        ap.error('give exactly one of --inputs DIR and --write-inputs DIR')
    if args.threads < 1:
        ap.error('--threads must be >= 1')
    model, cfg, _ = load_checkpoint(args.ckpt)
    if args.write_inputs is not None:
        write_inputs(args.write_inputs, make_inputs(cfg, args.queries, args.seed))
        print(f'wrote {args.queries} queries (seed {args.seed}) to {args.write_inputs}', file=sys.stderr)
        return None
    res = bench(model, read_inputs(args.inputs, cfg), args.threads, args.warmup, args.runs, args.save_outputs)
    print(json.dumps(res), flush=True)
    return res


if __name__ == '__main__':
    main()
