"""Dump training's preprocessing of a clip for the SDK's parity test (@d4rt/runtime-node).

    /usr/bin/python3 tools/dump_preprocess.py --clip ../packages/models/fixtures/heldout-0 \
        --queries queries.f32 --out DIR [--first N] [--T 16 --H 64 --W 96 --patch 9]

Reads a ``d4rt-clip/1`` folder's frames (``--first N``: only its first N frames), applies ``select_frames`` + ``resize_frames`` +
``normalise`` (the manifest's defaults: mean 0.45, std 0.225) and ``extract_patches`` at the
queries in ``queries.f32`` (float32 triples u, v, tSrc as model frame indices), and writes
``video.f32`` [T, 3, H, W], ``patches.f32`` [Q, 3 p p] and ``frames.i32`` (the selected source
frames) into DIR. Raw little-endian, no header.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from d4rt_train.clip_io import read_clip  # noqa: E402
from d4rt_train.preprocess import extract_patches, normalise, resize_frames, select_frames  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clip', type=Path, required=True)
    ap.add_argument('--queries', type=Path, required=True)
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--first', type=int, help='use only the first N source frames')
    ap.add_argument('--T', type=int, default=16)
    ap.add_argument('--H', type=int, default=64)
    ap.add_argument('--W', type=int, default=96)
    ap.add_argument('--patch', type=int, default=9)
    ap.add_argument('--mean', type=float, default=0.45)
    ap.add_argument('--std', type=float, default=0.225)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    frames = read_clip(a.clip)['frames'][: a.first]
    sel = select_frames(len(frames), a.T)
    x = torch.from_numpy(frames[sel]).permute(0, 3, 1, 2).float() / 255.0
    video = normalise(resize_frames(x, a.H, a.W), (a.mean,) * 3, (a.std,) * 3)
    q = torch.from_numpy(np.fromfile(a.queries, dtype='<f4').reshape(-1, 3))
    patches = extract_patches(video, q[:, 0], q[:, 1], q[:, 2].long(), a.patch)
    a.out.mkdir(parents=True, exist_ok=True)
    video.numpy().astype('<f4').tofile(a.out / 'video.f32')
    patches.numpy().astype('<f4').tofile(a.out / 'patches.f32')
    sel.astype('<i4').tofile(a.out / 'frames.i32')


if __name__ == '__main__':
    main()
