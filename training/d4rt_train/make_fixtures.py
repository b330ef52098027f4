"""Write the held-out fixture clips and the demo clip (format ``d4rt-clip/1``, see CLIP_FORMAT.md).

    /usr/bin/python3 -m d4rt_train.make_fixtures --out ../packages/models/fixtures

writes ``heldout-0`` .. ``heldout-{count-1}`` (scene seeds 1_000_000 + i, far from the training seeds
0 .. 999_999; T=16 frames of 80 x 120 by default, 256 tracks) and ``demo`` (seed 4242, T=16,
128 x 192, 256 tracks, plus ``demo.mp4`` encoded with libx264 -crf 12, yuv420p, 12 fps).

Fixture frames are "source video" frames, so their scenes are forced to aspect = W / H exactly:
square pixels (fx = fy). Everything is deterministic by seed.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from .clip_io import FPS, write_clip
from .synth import SceneConfig, make_scene

HELDOUT_SEED0 = 1_000_000
DEMO_SEED = 4242


def _dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob('*') if f.is_file())


def write_fixture(out: Path, name: str, seed: int, T: int, H: int, W: int, tracks: int,
                  video: str | None = None, device='cpu') -> Path:
    """Render scene ``seed`` at T x H x W with aspect forced to W / H and write it to ``out/name``."""
    cfg = replace(SceneConfig(), aspect=(W / H, W / H))
    clip = make_scene(seed, cfg, device=device).render(T, H, W)
    return write_clip(out / name, clip, tracks, seed, fps=FPS, video=video)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_out = Path(__file__).resolve().parents[2] / 'packages' / 'models' / 'fixtures'
    ap.add_argument('--out', type=Path, default=default_out, help=f'output folder (default {default_out})')
    ap.add_argument('--frames', type=int, default=16, help='frames of the held-out clips')
    ap.add_argument('--height', type=int, default=80, help='height of the held-out clips')
    ap.add_argument('--width', type=int, default=120, help='width of the held-out clips')
    ap.add_argument('--count', type=int, default=3, help='number of held-out clips')
    ap.add_argument('--tracks', type=int, default=256, help='tracks per clip')
    ap.add_argument('--demo-frames', type=int, default=16)
    ap.add_argument('--demo-height', type=int, default=128)
    ap.add_argument('--demo-width', type=int, default=192)
    ap.add_argument('--no-demo', action='store_true', help='skip the demo clip')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    jobs = [(f'heldout-{i}', HELDOUT_SEED0 + i, a.frames, a.height, a.width, None) for i in range(a.count)]
    if not a.no_demo:
        jobs.append(('demo', DEMO_SEED, a.demo_frames, a.demo_height, a.demo_width, 'demo.mp4'))
    total = 0
    for name, seed, T, H, W, video in jobs:
        t0 = time.perf_counter()
        path = write_fixture(a.out, name, seed, T, H, W, a.tracks, video=video, device=a.device)
        size = _dir_size(path)
        total += size
        print(f'{path}: seed {seed}, {T}x{H}x{W}, {a.tracks} tracks, {size / 1e6:.2f} MB, '
              f'{time.perf_counter() - t0:.1f} s')
    print(f'total {total / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
