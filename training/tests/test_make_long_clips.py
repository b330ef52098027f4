"""tools/make_long_clips.py: a d4rt-oracle/1 folder holds what reproduces Clip.query exactly.

Run: cd training && OPENBLAS_NUM_THREADS=2 /usr/bin/python3 -m pytest tests/test_make_long_clips.py -q
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)
_spec = importlib.util.spec_from_file_location('make_long_clips', Path(__file__).resolve().parents[1] / 'tools' / 'make_long_clips.py')
mlc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mlc)


def test_writes_frames_poses_and_reference(tmp_path):
    path = mlc.write_clip(tmp_path, 'd-5', 'dynamic', 5, 20, 30, chunk=2, refs=16)
    meta = json.loads((path / 'oracle.json').read_text())
    assert meta['format'] == 'd4rt-oracle/1' and meta['frames'] == 5 and meta['cameraMotion'] in mlc.MOVING
    M = len(meta['objects'])
    assert M >= 3 and not any(o['static'] for o in meta['objects'])
    frames = np.fromfile(path / 'frames.u8', dtype=np.uint8).reshape(5, 20, 30, 3)
    c2s = np.fromfile(path / 'camera-to-scene.f64').reshape(5, 4, 4)
    R = np.fromfile(path / 'object-rotation.f64').reshape(5, M, 3, 3)
    C = np.fromfile(path / 'object-centre.f64').reshape(5, M, 3)
    # the stored poses are the scene's at the stored times, and the frames its render (chunking does not matter)
    seed, sc = mlc.pick_scene('dynamic', 20, 30)
    assert seed == meta['seed']
    taus = np.array(meta['taus'])
    np.testing.assert_allclose(c2s, sc.camera_to_world(taus), atol=1e-12)
    np.testing.assert_allclose(R, sc.object_poses(taus)[0], atol=1e-12)
    np.testing.assert_allclose(C, sc.object_poses(taus)[1], atol=1e-12)
    whole = (sc.render(5, 20, 30, time_map=taus).frames.permute(0, 2, 3, 1).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    assert np.abs(whole.astype(int) - frames.astype(int)).max() <= 1
    ref = json.loads((path / 'reference.json').read_text())
    assert len(ref['u']) == 16 and len(ref['xyz']) == 48 and set(ref['visible']) <= {0, 1}
    assert not list(tmp_path.glob('.tmp-*'))


def test_static_clips_have_still_objects(tmp_path):
    path = mlc.write_clip(tmp_path, 's-3', 'static', 3, 16, 24, refs=4)
    meta = json.loads((path / 'oracle.json').read_text())
    assert all(o['static'] for o in meta['objects'])
    C = np.fromfile(path / 'object-centre.f64').reshape(3, len(meta['objects']), 3)
    np.testing.assert_allclose(C[0], C[-1], atol=1e-12)
