"""Makes the committed checkpoint from a training run: weights and config without the optimiser
state, plus the training phases that led to it (so later runs can warm-start and the model card can
say how it was made).

    /usr/bin/python3 -m d4rt_train.release --from runs/L4/last.pt --to checkpoints/d4rt-tiny.pt \
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


def release(src: Path, dst: Path, phases: list[str]) -> dict:
    model, cfg, st = load_checkpoint(src)   # checks that the weights fit the config
    out = {'model': {k: v for k, v in st['model'].items()}, 'config': st['config'], 'step': st['step'],
           'seed_counter': st['seed_counter'], 'minutes': st.get('minutes', 0.0), 'phases': phases}
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
    args = ap.parse_args(argv)
    print(json.dumps(release(args.src, args.dst, args.phase)))


if __name__ == '__main__':
    main()
