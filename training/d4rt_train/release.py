"""Makes the committed checkpoint from a training run: weights and config without the optimiser
state, plus the training phases that led to it (so later runs can warm-start and the model card can
say how it was made).

    /usr/bin/python3 -m d4rt_train.release --from runs/L4/last.pt --to checkpoints/d4rt-tiny.pt --total-steps 4670 \
        --phase "runs/L1: 1750 steps, 66 min, v2 from scratch" --phase "runs/L4: ... warm start"

Written atomically (temporary file, then rename).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from .export import load_checkpoint


def release(src: Path, dst: Path, phases: list[str], total_steps: int | None = None) -> dict:
    """``total_steps``: the steps of every phase together (a warm-started run counts its own steps
    only); the exporter writes it as the manifest's ``info.trainedSteps``."""
    model, cfg, st = load_checkpoint(src)   # checks that the weights fit the config
    if total_steps is not None and total_steps < st['step']:
        raise ValueError(f'--total-steps {total_steps} is below the run\'s own {st["step"]} steps')
    out = {'model': {k: v for k, v in st['model'].items()}, 'config': st['config'], 'step': st['step'],
           'seed_counter': st['seed_counter'], 'minutes': st.get('minutes', 0.0), 'phases': phases,
           'total_steps': total_steps if total_steps is not None else st['step']}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + '.tmp')
    torch.save(out, tmp)
    os.replace(tmp, dst)
    return {'checkpoint': str(dst), 'step': st['step'], 'bytes': dst.stat().st_size, 'phases': phases}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--from', dest='src', required=True, type=Path)
    ap.add_argument('--to', dest='dst', required=True, type=Path)
    ap.add_argument('--phase', action='append', default=[], help='one line per training phase, in order')
    ap.add_argument('--total-steps', type=int, help='steps of all phases together (default: the run\'s own)')
    args = ap.parse_args(argv)
    print(json.dumps(release(args.src, args.dst, args.phase, args.total_steps)))


if __name__ == '__main__':
    main()
