"""Trains the ``gpu`` preset on a lent GPU machine in chunks of under 10 minutes, carrying the state
between chunks in files under 16 MiB; the export stays on the CPU machine.

A device command runs at most 10 minutes and sends back files of at most 16 MiB, and a later
command may start on a fresh machine. So each chunk:

1. restores the state from ``--state`` (the folder the previous chunk wrote, carried back to the
   machine), or warm-starts from ``--init-from`` (default: the committed ``checkpoints/d4rt-tiny.pt``)
   when there is none;
2. trains for ``--chunk-minutes`` of wall time; the learning-rate schedule runs over
   ``--total-minutes`` across all chunks;
3. writes the checkpoint (model, optimiser, step, data seed) to ``--out`` as parts of at most
   ``--part-mib`` MiB with a ``state.json`` (sizes, SHA-256), plus ``log.jsonl`` and ``curves.png``.
   The folder is written beside its place and renamed into place.

On the device (repository root; ``$OUT`` comes back; carry ``training/.cache``, which holds the
photo-texture bank built from ``../shared/data``, a folder that does not travel)::

    bash training/gpu-train.sh                                  # first chunk: warm start
    bash training/gpu-train.sh training/gpu-state               # later chunks (carry training/gpu-state too)

Back on the CPU machine, after copying ``$OUT/gpu-state`` to ``training/gpu-state``::

    cd training && PYTHONPATH=. /usr/bin/python3 -m d4rt_train.gpu assemble gpu-state --to runs/gpu/last.pt
    # then continue on the CPU (--init-from runs/gpu/last.pt) or export it

The CPU path of the same code is tested at tiny size (``tests/test_gpu.py``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

from .config import preset
from .train import apply_overrides, plot_curves, train

TRAINING_DIR = Path(__file__).resolve().parents[1]
DEFAULT_INIT = TRAINING_DIR / 'checkpoints' / 'd4rt-tiny.pt'
PART_MIB = 15


def write_parts(src: Path, out: Path, part_mib: float = PART_MIB, extra: dict | None = None) -> dict:
    """Splits file ``src`` into ``out/ckpt.part-NNN`` of at most ``part_mib`` MiB each and writes
    ``out/state.json`` (part names, sizes, SHA-256 of the whole). Returns the state record."""
    limit = int(part_mib * 1024 * 1024)
    if limit <= 0:
        raise ValueError(f'part_mib: {part_mib} must be > 0')
    data = src.read_bytes()
    parts = []
    for i in range(0, max(1, len(data)), limit):
        name = f'ckpt.part-{i // limit:03d}'
        (out / name).write_bytes(data[i:i + limit])
        parts.append({'name': name, 'bytes': len(data[i:i + limit])})
    rec = {'format': 'd4rt-train-state/1', 'bytes': len(data), 'sha256': hashlib.sha256(data).hexdigest(),
           'parts': parts, **(extra or {})}
    (out / 'state.json').write_text(json.dumps(rec, indent=2) + '\n')
    return rec


def read_parts(state: Path, to: Path) -> dict:
    """Joins the parts of ``state`` into the file ``to`` after checking sizes and SHA-256."""
    meta_path = state / 'state.json'
    if not meta_path.exists():
        raise FileNotFoundError(f'--state {state}: no state.json (not a folder written by d4rt_train.gpu)')
    rec = json.loads(meta_path.read_text())
    chunks = []
    for p in rec['parts']:
        f = state / p['name']
        if not f.exists() or f.stat().st_size != p['bytes']:
            raise ValueError(f'--state {state}: part {p["name"]} is missing or has the wrong size '
                             f'(expected {p["bytes"]} bytes)')
        chunks.append(f.read_bytes())
    data = b''.join(chunks)
    if hashlib.sha256(data).hexdigest() != rec['sha256']:
        raise ValueError(f'--state {state}: the joined parts do not match the SHA-256 in state.json')
    to.parent.mkdir(parents=True, exist_ok=True)
    tmp = to.with_name(to.name + '.tmp')
    tmp.write_bytes(data)
    os.replace(tmp, to)
    return rec


def run_chunk(out: Path, state: Path | None, init_from: Path | None, chunk_minutes: float,
              total_minutes: float, preset_name: str = 'gpu', overrides=(), device: str | None = None,
              part_mib: float = PART_MIB, log=print) -> dict:
    """One chunk (see the module notes). Returns train()'s result with the state record."""
    cfg = preset(preset_name)
    cfg = replace(cfg, max_minutes=total_minutes, **({'device': device} if device else {}))
    cfg = apply_overrides(cfg, overrides)
    if cfg.device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'device {cfg.device!r}: CUDA is not available here (use --device cpu to test the CPU path)')
    if cfg.device.startswith('cuda'):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    work = Path(tempfile.mkdtemp(prefix='d4rt-gpu-'))
    try:
        resume = False
        if state is not None and (state / 'state.json').exists():
            read_parts(state, work / 'last.pt')
            if (state / 'log.jsonl').exists():
                shutil.copy(state / 'log.jsonl', work / 'log.jsonl')
            resume = True
            init_from = None
        elif init_from is not None and not init_from.exists():
            raise FileNotFoundError(f'--init-from {init_from}: no such checkpoint')
        res = train(cfg, work, resume=resume, init_from=init_from, log=log, chunk_minutes=chunk_minutes)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}-', dir=out.parent))
        tmp.chmod(0o755)
        rec = write_parts(work / 'last.pt', tmp, part_mib,
                          extra={'step': res['step'], 'minutes': res['minutes'], 'val': res['val']})
        for name in ('log.jsonl', 'curves.png'):   # few files: a device returns at most 8
            if (work / name).exists():
                shutil.copy(work / name, tmp / name)
        if (tmp / 'log.jsonl').exists() and not (tmp / 'curves.png').exists():
            try:
                plot_curves(tmp / 'log.jsonl', tmp / 'curves.png')
            except Exception as e:  # no matplotlib on the machine: the log is enough
                log(f'plot failed: {e}')
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
        return {**res, 'state': rec}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ['assemble']:
        ap = argparse.ArgumentParser(prog='python -m d4rt_train.gpu assemble',
                                     description='Joins a gpu state folder into one checkpoint file.')
        ap.add_argument('state', type=Path)
        ap.add_argument('--to', type=Path, required=True)
        args = ap.parse_args(argv[1:])
        rec = read_parts(args.state, args.to)
        print(json.dumps({'checkpoint': str(args.to), 'step': rec.get('step'), 'bytes': rec['bytes']}))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, type=Path, help='folder for this chunk\'s state (e.g. $OUT/gpu-state)')
    ap.add_argument('--state', type=Path, help='the previous chunk\'s state folder (absent or empty: warm start)')
    ap.add_argument('--init-from', type=Path, default=DEFAULT_INIT)
    ap.add_argument('--no-init', action='store_true', help='start from scratch instead of --init-from')
    ap.add_argument('--chunk-minutes', type=float, default=8.0)
    ap.add_argument('--total-minutes', type=float, default=24.0, help='the schedule\'s length over all chunks')
    ap.add_argument('--preset', default='gpu')
    ap.add_argument('--device')
    ap.add_argument('--part-mib', type=float, default=PART_MIB)
    ap.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    args = ap.parse_args(argv)
    res = run_chunk(args.out, args.state, None if args.no_init else args.init_from, args.chunk_minutes,
                    args.total_minutes, args.preset, args.set, args.device, args.part_mib,
                    log=lambda s: print(s, flush=True))
    print(json.dumps({'step': res['step'], 'minutes': res['minutes'], 'val': res['val'],
                      'parts': len(res['state']['parts']), 'bytes': res['state']['bytes']}))


if __name__ == '__main__':
    main()
