"""tools/bench_torch.py: deterministic inputs, then a timed run printing one JSON line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

TRAINING = Path(__file__).resolve().parents[1]
CKPT = TRAINING / 'checkpoints' / 'd4rt-tiny.pt'
TOOL = TRAINING / 'tools' / 'bench_torch.py'


def _run(*args):
    env = {**os.environ, 'PYTHONPATH': str(TRAINING), 'OPENBLAS_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, str(TOOL), '--ckpt', str(CKPT), *args], cwd=TRAINING, env=env,
                          capture_output=True, text=True, check=True, timeout=120)


def test_write_inputs_then_bench(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    _run('--write-inputs', str(a), '--queries', '64', '--seed', '5')
    _run('--write-inputs', str(b), '--queries', '64', '--seed', '5')
    names = sorted(p.name for p in a.iterdir())
    assert names == ['aspect.f32', 'coords.f32', 'patches.f32', 'times.i64', 'video.f32']
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n                    # deterministic
    assert (a / 'coords.f32').stat().st_size == 64 * 2 * 4
    assert (a / 'times.i64').stat().st_size == 64 * 3 * 8
    times = np.fromfile(a / 'times.i64', '<i8')
    assert times.min() >= 0 and times.max() < 16
    out = _run('--inputs', str(a), '--threads', '1', '--warmup', '0', '--runs', '1', '--save-outputs',
               str(tmp_path / 'out'))
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    res = json.loads(lines[0])
    assert res['queries'] == 64 and res['threads'] == 1 and isinstance(res['torch'], str)
    assert len(res['encoderRunsMs']) == 1 and len(res['decoderRunsMs']) == 1
    assert res['encoderMs'] > 0 and res['decoderMs'] > 0
    xyz = np.fromfile(tmp_path / 'out' / 'xyz.f32', '<f4')
    assert xyz.shape == (64 * 3,) and np.isfinite(xyz).all()


def test_bad_inputs_are_refused(tmp_path):
    a = tmp_path / 'a'
    _run('--write-inputs', str(a), '--queries', '8')
    (a / 'patches.f32').write_bytes(b'\0' * 12)
    env = {**os.environ, 'PYTHONPATH': str(TRAINING), 'OPENBLAS_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, str(TOOL), '--ckpt', str(CKPT), '--inputs', str(a), '--runs', '1'],
                       cwd=TRAINING, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'patches.f32' in r.stderr
