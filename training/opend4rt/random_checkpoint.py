"""A random-weight OpenD4RT checkpoint at the size a ``model.yaml`` describes, made by upstream's code.

    cd training && PYTHONPATH=. /usr/bin/python3 -m opend4rt.random_checkpoint \\
        --upstream /work/scratch/open-d4rt \\
        /work/scratch/open-d4rt/checkpoints/OpenD4RT_32CLIP_9Dataset_NoAUG/model.yaml \\
        -o /work/scratch/full/opend4rt.ckpt

For measuring the converter and the SDK at full size without the released weights (sizes, times,
memory, fp16 / int8 deviations; the answers themselves mean nothing). Upstream's ``build_model``
builds the architecture, :func:`opend4rt.make_fixture.randomise` gives every weight a seeded value,
and upstream's ``save_checkpoint`` writes the trainer's keys (model, optimizer, scheduler, scaler,
global_step, ...), as ``make_fixture`` does for the golden fixture. Keep the file outside the
repository: the released 32-frame ViT-g is ~4.5 GB in float32.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import yaml

from .make_fixture import _stub_missing_modules, randomise


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('config', type=Path, help='model.yaml (e.g. upstream\'s released one)')
    ap.add_argument('-o', '--out', type=Path, required=True, help='the checkpoint to write')
    ap.add_argument('--upstream', required=True, type=Path, help='checkout of github.com/0Zhengying0/Open-d4rt')
    ap.add_argument('--seed', type=int, default=20260731)
    args = ap.parse_args(argv)
    if args.out.exists():
        ap.error(f'{args.out} exists; choose a new file')
    t0 = time.time()
    _stub_missing_modules()
    sys.path.insert(0, str(args.upstream.resolve()))
    from src.core.checkpoint import save_checkpoint
    from src.core.config import ConfigNode
    from src.model import build_model

    doc = yaml.safe_load(args.config.read_text())
    torch.manual_seed(args.seed)
    with torch.no_grad():
        model = build_model(ConfigNode(doc['model']))
        randomise(model, args.seed)
    n = sum(p.numel() for p in model.parameters())
    print(f'built {doc["experiment"]["name"]} ({n:,} parameters) with random weights in {time.time() - t0:.1f} s')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0, weight_decay=0.03)
    save_checkpoint(args.out, {
        'model': model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'scheduler': {'step_id': 0},
        'scaler': {},
        'global_step': 0,
        'train_config': {'note': f'random weights (seed {args.seed}): for measurements, not a trained model'},
    })
    print(f'wrote {args.out} ({args.out.stat().st_size / 1e9:.2f} GB) in {time.time() - t0:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
