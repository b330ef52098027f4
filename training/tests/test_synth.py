"""Tests of the synthetic scene generator (d4rt_train.synth), textures and the fixture clip format.

Run: cd training && OPENBLAS_NUM_THREADS=2 /usr/bin/python3 -m pytest tests/test_synth.py -q
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from d4rt_train import clip_io, textures
from d4rt_train.synth import VIS_REL_TOL, SceneConfig, make_scene

torch.set_num_threads(2)

T, H, W = 6, 40, 56
SEEDS = (3, 11, 27)


@pytest.fixture(scope='module')
def clips():
    return {s: make_scene(s).render(T, H, W) for s in SEEDS}


def _pixel_grid(clip, frames):
    t = torch.as_tensor(frames).repeat_interleave(H * W)
    y = torch.arange(H).repeat_interleave(W).repeat(len(frames))
    x = torch.arange(W).repeat(H * len(frames))
    return x, y, t


def _project(clip, X, t):
    """Camera-frame points X [Q, 3] of frames t -> normalised (u, v) with K[t]."""
    K = clip.K[t]
    px = K[:, 0, 0] * X[:, 0] / X[:, 2] + K[:, 0, 2]
    py = K[:, 1, 1] * X[:, 1] / X[:, 2] + K[:, 1, 2]
    return torch.stack([px / (W - 1), py / (H - 1)], -1)


def _cam_to_world(clip, X, t):
    c2w = clip.c2w[t].double()
    return (c2w[:, :3, :3] @ X.double().unsqueeze(-1)).squeeze(-1) + c2w[:, :3, 3]


def _world_to_cam(clip, Xw, t):
    c2w = clip.c2w[t].double()
    return (c2w[:, :3, :3].transpose(1, 2) @ (Xw - c2w[:, :3, 3]).unsqueeze(-1)).squeeze(-1)


def test_render_shapes_and_ranges(clips):
    for clip in clips.values():
        assert clip.frames.shape == (T, 3, H, W) and clip.frames.dtype == torch.float32
        assert clip.depth.shape == (T, H, W) and clip.depth.dtype == torch.float32
        assert clip.K.shape == (T, 3, 3) and clip.c2w.shape == (T, 4, 4)
        assert clip.obj_id.shape == (T, H, W) and clip.obj_id.dtype == torch.int64
        assert clip.times.shape == (T,)
        assert 0.0 <= clip.frames.min() and clip.frames.max() <= 1.0
        assert torch.isfinite(clip.depth).all() and (clip.depth > 0).all()
        assert (clip.obj_id >= 0).all() and clip.obj_id.max() <= clip.scene.n_objects
        R = clip.c2w[:, :3, :3].double()
        assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(T, 3, 3), atol=1e-5)
        assert clip.frames.std() > 0.03                     # not blank


def test_depth_queries_equal_rendered_depth(clips):
    for clip in clips.values():
        x, y, t = _pixel_grid(clip, [0, T // 2, T - 1])
        u, v = x / (W - 1), y / (H - 1)
        q = clip.query(u, v, t, t, t)
        d = clip.depth[t, y, x]
        rel = ((q['xyz'][:, 2] - d).abs() / d).max().item()
        assert rel < 1e-4, rel
        assert torch.allclose(q['depth_tgt'], q['xyz'][:, 2], rtol=1e-6, atol=0)
        assert (q['uv'] - torch.stack([u, v], -1)).abs().max() < 1e-4
        assert torch.equal(q['obj'], clip.obj_id[t, y, x])
        assert q['visible'].all()


def test_query_projects_back_from_other_cameras(clips):
    g = torch.Generator().manual_seed(0)
    for clip in clips.values():
        Q = 3000
        u, v = torch.rand(Q, generator=g), torch.rand(Q, generator=g)
        s = torch.randint(0, T, (Q,), generator=g)
        c = (s + torch.randint(1, T, (Q,), generator=g)) % T          # c != s
        q = clip.query(u, v, s, s, c)
        Xs = _world_to_cam(clip, _cam_to_world(clip, q['xyz'], c), s).float()
        uv = _project(clip, Xs, s)
        err = (uv - torch.stack([u, v], -1)).abs().max().item()
        assert err < 2e-4, err
        # the same point expressed in camera s directly
        q2 = clip.query(u, v, s, s, s)
        assert (q2['xyz'] - Xs).abs().max() < 1e-3


def test_visibility_agrees_with_depth_maps(clips):
    g = torch.Generator().manual_seed(1)
    agree = total = n_vis = n_occ = 0
    for clip in clips.values():
        Q = 40000
        u, v = torch.rand(Q, generator=g), torch.rand(Q, generator=g)
        s = torch.randint(0, T, (Q,), generator=g)
        tt = torch.randint(0, T, (Q,), generator=g)
        q = clip.query(u, v, s, tt, tt)
        px = q['uv'][:, 0] * (W - 1)
        py = q['uv'][:, 1] * (H - 1)
        ix, iy = px.round(), py.round()
        near = ((px - ix).abs() < 0.2) & ((py - iy).abs() < 0.2) & (ix >= 1) & (ix <= W - 2) & (iy >= 1) & (iy <= H - 2)
        near &= q['depth_tgt'] > 0
        ix, iy = ix.long().clamp(1, W - 2), iy.long().clamp(1, H - 2)
        # away from depth edges: 3x3 neighbourhood of the depth map is smooth
        nb = torch.stack([clip.depth[tt, iy + dy, ix + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)], -1)
        smooth = (nb.max(-1).values - nb.min(-1).values) < 0.05 * nb.min(-1).values
        sel = near & smooth
        dm = clip.depth[tt, iy, ix][sel]
        z = q['depth_tgt'][sel]
        depth_test = dm >= z * (1 - 0.01)
        vis = q['visible'][sel]
        agree += (depth_test == vis).sum().item()
        total += sel.sum().item()
        n_vis += vis.sum().item()
        n_occ += (~vis).sum().item()
        # outside the image / behind the camera is never visible
        outside = (q['uv'] < -1e-4).any(-1) | (q['uv'] > 1 + 1e-4).any(-1) | (q['depth_tgt'] <= 0)
        assert not q['visible'][outside].any()
    assert total > 1000 and n_vis > 100 and n_occ > 100, (total, n_vis, n_occ)
    assert agree / total > 0.98, agree / total


def test_static_room_and_rigid_object_motion(clips):
    g = torch.Generator().manual_seed(2)
    moved = False
    for clip in clips.values():
        sc = clip.scene
        Q = 2000
        u, v = torch.rand(Q, generator=g), torch.rand(Q, generator=g)
        s = torch.randint(0, T, (Q,), generator=g)
        worlds = []
        for tt in range(T):
            tq = torch.full((Q,), tt)
            q = clip.query(u, v, s, tq, tq)
            worlds.append(_cam_to_world(clip, q['xyz'], tq))
        Xw = torch.stack(worlds)                                      # [T, Q, 3]
        obj = q['obj']
        room = obj == 0
        assert room.any()
        assert (Xw[:, room] - Xw[0, room]).abs().max() < 1e-4        # static room points stay put
        # object points: constant object-local coordinates under the object pose at each frame
        Rt, Ct = sc.object_poses(clip.times.double().numpy())
        Rt, Ct = torch.from_numpy(Rt), torch.from_numpy(Ct)
        for m in range(sc.n_objects):
            on = obj == m + 1
            if on.sum() < 2:
                continue
            local = torch.stack([(Rt[tt, m].T @ (Xw[tt, on] - Ct[tt, m]).T).T for tt in range(T)])
            assert (local - local[0]).abs().max() < 1e-4
            # rigid: pairwise distances are preserved
            dists = torch.cdist(Xw[:, on], Xw[:, on])
            assert (dists - dists[0]).abs().max() < 1e-4
            if not sc.obj_static[m] and (Xw[-1, on] - Xw[0, on]).norm(dim=-1).max() > 0.05:
                moved = True
    assert moved, 'no moving object in the test clips'


def test_time_map_repeats_frames():
    sc = make_scene(5)
    clip = sc.render(4, 24, 32, time_map=[0.0, 0.0, 0.5, 0.5])
    assert torch.equal(clip.frames[0], clip.frames[1]) and torch.equal(clip.frames[2], clip.frames[3])
    assert not torch.equal(clip.frames[0], clip.frames[2])
    assert torch.allclose(clip.times, torch.tensor([0.0, 0.0, 0.5, 0.5]))
    ref = sc.render(3, 24, 32)                                       # default: linspace(0, 1, 3)
    assert torch.equal(ref.frames[1], clip.frames[2])
    with pytest.raises(ValueError):
        sc.render(3, 24, 32, time_map=[0.0, 0.5])
    with pytest.raises(ValueError):
        sc.render(2, 24, 32, time_map=[0.0, 1.5])


def test_anisotropic_intrinsics():
    sc = make_scene(8)
    a = sc.aspect
    for (h, w) in ((40, 56), (64, 96), (30, 30)):
        K = sc.render(1, h, w).K[0].double()
        w_src = round(h * a)
        f_src = 0.5 * w_src / math.tan(math.radians(sc.fov_deg) / 2)
        assert abs(K[1, 1] - f_src) < 1e-3 and abs(K[0, 0] - f_src * (w - 1) / (w_src - 1)) < 1e-3
        assert K[0, 2] == (w - 1) / 2 and K[1, 2] == (h - 1) / 2
    sq = make_scene(8, replace(SceneConfig(), aspect=(1.5, 1.5))).render(1, 40, 60).K[0]
    assert abs(sq[0, 0] - sq[1, 1]) < 1e-4                          # aspect = W / H: square pixels


def test_determinism():
    a = make_scene(123).render(3, 24, 32)
    b = make_scene(123).render(3, 24, 32)
    c = make_scene(124).render(3, 24, 32)
    assert torch.equal(a.frames, b.frames) and torch.equal(a.depth, b.depth) and torch.equal(a.c2w, b.c2w)
    assert not torch.equal(a.frames, c.frames)
    args = (torch.tensor([0.3, 0.7]), torch.tensor([0.4, 0.6]), torch.tensor([0, 2]), torch.tensor([2, 1]),
            torch.tensor([1, 0]))
    qa, qb = a.query(*args), b.query(*args)
    assert all(torch.equal(qa[k], qb[k]) for k in qa)


def test_camera_keeps_clear_of_objects():
    for seed in range(12):
        sc = make_scene(seed)
        taus = np.linspace(0, 1, 201)
        cam = sc.camera_to_world(taus)[:, :3, 3]
        R, C = sc.object_poses(taus)
        assert ((cam >= sc.room_lo) & (cam <= sc.room_hi)).all()
        for m in range(sc.n_objects):
            r = sc.objects[m]['r']
            d = np.linalg.norm(C[:, m] - cam, axis=-1) - r
            assert d.min() > sc.cfg.camera_margin - 0.05, (seed, m, d.min())
        assert 1 <= sc.n_objects <= sc.cfg.n_objects[1]


def test_clip_roundtrip(tmp_path):
    clip = make_scene(7, replace(SceneConfig(), aspect=(1.5, 1.5))).render(4, 24, 36)
    out = clip_io.write_clip(tmp_path / 'c', clip, n_tracks=32, seed=5)
    d = clip_io.read_clip(out)
    meta = json.loads((out / 'clip.json').read_text())
    for k in ('format', 'frames', 'width', 'height', 'fps', 'seed', 'aspect', 'intrinsics', 'cameraToWorld',
              'files', 'tracks'):
        assert k in meta, k
    assert meta['format'] == 'd4rt-clip/1' and meta['tracks']['count'] == 32
    assert (meta['frames'], meta['height'], meta['width']) == (4, 24, 36)
    frames = (clip.frames.permute(0, 2, 3, 1).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    assert np.array_equal(d['frames'], frames)
    assert np.array_equal(d['depth'], clip.depth.numpy())
    assert np.allclose(d['intrinsics'][:, 0], clip.K[:, 0, 0].numpy())
    c2w = clip.c2w.double().numpy()
    assert np.allclose(d['cameraToWorld'], np.linalg.inv(c2w[0])[None] @ c2w, atol=1e-6)
    assert np.array_equal(d['cameraToWorld'][0], np.eye(4))
    assert d['tracksQuery'].shape == (32, 3) and d['tracksUv'].shape == (4, 32, 2)
    assert d['tracksXyzCamera'].shape == (4, 32, 3) and d['tracksXyzCam0'].shape == (4, 32, 3)
    assert d['tracksVisible'].shape == (4, 32) and set(np.unique(d['tracksVisible'])) <= {0, 1}
    # tracks agree with the clip: at tSrc the track is at its query (u, v), visible, at the rendered depth
    qs = d['tracksQuery']
    ts = qs[:, 2].astype(int)
    n = np.arange(32)
    assert np.abs(d['tracksUv'][ts, n] - qs[:, :2]).max() < 1e-4
    assert d['tracksVisible'][ts, n].all()
    # cam0 coordinates = camera-t coordinates mapped with the stored (camera-0 world) poses
    X = d['tracksXyzCamera']
    Xw = np.einsum('tij,tnj->tni', d['cameraToWorld'][:, :3, :3], X) + d['cameraToWorld'][:, None, :3, 3]
    assert np.abs(Xw - d['tracksXyzCam0']).max() < 1e-4
    # rewriting replaces the folder atomically; no temporary folders remain
    clip_io.write_clip(tmp_path / 'c', clip, n_tracks=8, seed=5)
    assert clip_io.read_clip(tmp_path / 'c')['tracksQuery'].shape == (8, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['c']


def test_clip_writer_leaves_nothing_on_failure(tmp_path, monkeypatch):
    clip = make_scene(7).render(2, 16, 24)
    with pytest.raises(ValueError):
        clip_io.write_clip(tmp_path / 'bad', clip, n_tracks=-3, seed=0)
    assert list(tmp_path.iterdir()) == []
    # a failure half-way through (after some files were written)
    calls = []
    real = clip_io._write_array

    def flaky(folder, key, arr):
        calls.append(key)
        if len(calls) == 3:
            raise OSError('disk full (simulated)')
        return real(folder, key, arr)
    monkeypatch.setattr(clip_io, '_write_array', flaky)
    with pytest.raises(OSError):
        clip_io.write_clip(tmp_path / 'half', clip, n_tracks=4, seed=0)
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which('ffmpeg') is None, reason='ffmpeg not installed')
def test_make_fixtures_cli(tmp_path):
    from d4rt_train import make_fixtures
    make_fixtures.main(['--out', str(tmp_path), '--frames', '3', '--height', '16', '--width', '24', '--count', '2',
                        '--tracks', '8', '--demo-frames', '2', '--demo-height', '16', '--demo-width', '24'])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['demo', 'heldout-0', 'heldout-1']
    d = clip_io.read_clip(tmp_path / 'heldout-1')
    assert d['meta']['seed'] == make_fixtures.HELDOUT_SEED0 + 1 and d['frames'].shape == (3, 16, 24, 3)
    assert d['meta']['aspect'] == 24 / 16
    assert np.allclose(d['intrinsics'][:, 0], d['intrinsics'][:, 1])             # square pixels
    demo = clip_io.read_clip(tmp_path / 'demo')
    assert demo['meta']['seed'] == make_fixtures.DEMO_SEED and demo['meta']['video'] == 'demo.mp4'
    assert (tmp_path / 'demo' / 'demo.mp4').stat().st_size > 100


def test_textures_periodic_and_varied():
    rng = np.random.default_rng(0)
    tiles = [textures.procedural_texture(rng, 64) for _ in range(12)]
    for t in tiles:
        assert t.shape == (64, 64, 3) and t.dtype == np.float32 and 0 <= t.min() and t.max() <= 1
        assert t.std() > 0.01
        # periodic: the wrap-around step (last -> first column / row) is no larger than the largest
        # step between neighbouring columns / rows inside the tile (sharp pattern edges may sit on it)
        for ax in (0, 1):
            wrap = np.abs(np.take(t, 0, ax) - np.take(t, -1, ax)).mean()
            inner = np.abs(np.diff(t, axis=ax)).mean(axis=tuple(i for i in range(3) if i != ax)).max()
            assert wrap <= 1.25 * inner + 0.02, (wrap, inner)
    means = np.array([t.mean((0, 1)) for t in tiles])
    assert means.std(0).max() > 0.05                                  # different colours
    atlas = textures.TextureAtlas(np.stack(tiles[:3]))
    tex = torch.tensor([1, 1])
    a = torch.tensor([(5 + 0.5) / 64, 3 + (5 + 0.5) / 64])           # wraps by whole tiles
    b = torch.tensor([(9 + 0.5) / 64, -2 + (9 + 0.5) / 64])
    out = atlas.sample(tex, a, b, torch.zeros(2))
    assert torch.allclose(out[0], torch.from_numpy(tiles[1][9, 5]), atol=1e-5)
    assert torch.allclose(out[0], out[1], atol=1e-4)


def test_photo_bank_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('D4RT_SHARED_DATA', str(tmp_path / 'nothing-here'))
    monkeypatch.setattr(textures, 'BANK_PATH', tmp_path / 'bank.npz')
    monkeypatch.setattr(textures, '_BANK', None)
    monkeypatch.setattr(textures, '_BANK_LOADED', False)
    assert textures.photo_bank() is None
    assert textures.photo_bank() is None                              # cached: warned once
    err = capsys.readouterr().err
    assert err.count('warning') == 1
    sc = make_scene(9, replace(SceneConfig(), photo_texture_prob=1.0))
    assert not any(sc.texture_is_photo)
    assert sc.render(1, 16, 24).frames.std() > 0.01


def test_visibility_tolerance_constant():
    assert 0 < VIS_REL_TOL <= 1e-2
