"""The ablation table of the model card: one row per training run, from its ``log.jsonl``.

    cd training
    PYTHONPATH=. /usr/bin/python3 tools/ablation_table.py runs/v2a="conv stem + dense depth" runs/v2b="..." [--at-step N]

Columns: run, change, steps, wall time (minutes), and the last validation (or the one at
``--at-step``, to compare runs at the same step) of the fixed validation set: AbsRel, APD3D, median
2D error in model pixels, the memory-swap gap (AbsRel with another clip's memory minus with its
own) and the position-only R^2 of predicted log-depth (the ground truth's: ``gtPosR2``).
A warm-started run may list its parent's folder first, joined with ``+``: ``runs/a+runs/b=...``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d4rt_train.train import read_logs  # noqa: E402


def row(spec: str, at_step: int | None):
    paths, _, change = spec.partition('=')
    folders = [Path(p) for p in paths.split('+')]
    rows = read_logs([f / 'log.jsonl' for f in folders])
    val = [r for r in rows if r['kind'] == 'val']
    if at_step is not None:
        val = [r for r in val if r['step'] <= at_step]
    if not val:
        raise SystemExit(f'{paths}: no validation rows' + (f' at or before step {at_step}' if at_step else ''))
    v = val[-1]
    fmt = lambda k, d=3: f"{v[k]:.{d}f}" if k in v else '-'
    return (f"| {folders[-1].name} | {change} | {v['step']} | {v['min']:.0f} | {fmt('absRel')} | {fmt('apd3d')} | "
            f"{fmt('uvErrPx', 2)} | {fmt('swapGap', 4)} | {fmt('posR2', 2)} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('runs', nargs='+', help='FOLDER[+FOLDER...]=change')
    ap.add_argument('--at-step', type=int)
    args = ap.parse_args(argv)
    print('| run | change | steps | min | AbsRel | APD3D | 2D px | swap gap | pos R^2 |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|')
    for spec in args.runs:
        print(row(spec, args.at_step))


if __name__ == '__main__':
    main()
