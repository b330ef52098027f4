"""Long synthetic clips for the whole-video checks of d4rt-js (format ``d4rt-oracle/1``).

    cd training && PYTHONPATH=. /usr/bin/python3 tools/make_long_clips.py --out DIR \
        --clip dynamic-1000:dynamic:1000 --clip static-300:static:300 [--height 120 --width 180]

Each ``--clip NAME:KIND:FRAMES`` renders one scene of training's generator (``d4rt_train.synth``) at
``FRAMES`` frames spread over its whole motion (scene time tau = linspace(0, 1, FRAMES)), and writes
``DIR/NAME/`` with what an exact "oracle" needs to answer any D4RT query ``(u, v, tSrc, tTgt, tCam)``
by ray casting, as ``Clip.query`` does:

    oracle.json              format "d4rt-oracle/1", sizes, fps, seed, kind, taus, intrinsics,
                             room box, object shapes and half extents, file names and shapes
    frames.u8                uint8   [N, H, W, 3]  RGB
    camera-to-scene.f64      float64 [N, 4, 4]     camera-to-scene poses, row-major
    object-rotation.f64      float64 [N, M, 3, 3]  object-to-scene rotations, row-major
    object-centre.f64        float64 [N, M, 3]     object centres in the scene
    reference.json           queries answered by Clip.query (u, v, tSrc, tTgt, tCam, xyz, uv,
                             visible) for checking another implementation of the oracle

The scene world is the generator's (metres, y down, floor y = 0, the room an axis-aligned box);
answers are in camera frames, so the world choice does not matter. Scenes are picked by seed so
that the camera translates (orbit, forward or free motion): ``static`` clips have only static
objects, ``dynamic`` clips only moving ones. Aspect is forced to W / H (square pixels). Everything is
deterministic; the folder is written to a temporary sibling and renamed into place.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from d4rt_train.synth import BOX, CYLINDER, ELLIPSOID, SceneConfig, make_scene

FORMAT = 'd4rt-oracle/1'
FPS = 30
SEED0 = {'static': 2_000_000, 'dynamic': 3_000_000}
MOVING = ('orbit', 'forward', 'free')
TYPES = {BOX: 'box', ELLIPSOID: 'ellipsoid', CYLINDER: 'cylinder'}


def pick_scene(kind: str, H: int, W: int, skip: int = 0):
    """The first scene (by seed from SEED0[kind]) whose camera translates, for this kind."""
    if kind == 'static':
        cfg = replace(SceneConfig(), aspect=(W / H, W / H), static_scene_prob=1.0)
    else:
        cfg = replace(SceneConfig(), aspect=(W / H, W / H), static_scene_prob=0.0, static_object_prob=0.0)
    seed = SEED0[kind]
    found = 0
    while True:
        sc = make_scene(seed, cfg)
        if sc.camera_motion in MOVING and sc.n_objects >= 3:
            if found == skip:
                return seed, sc
            found += 1
        seed += 1


def write_clip(out: Path, name: str, kind: str, N: int, H: int, W: int, chunk: int = 64, refs: int = 256) -> Path:
    seed, sc = pick_scene(kind, H, W)
    taus = np.linspace(0.0, 1.0, N) if N > 1 else np.zeros(1)
    final = out / name
    tmp = out / f'.tmp-{name}-{uuid.uuid4().hex[:8]}'
    tmp.mkdir(parents=True)
    try:
        with open(tmp / 'frames.u8', 'wb') as f:
            for a in range(0, N, chunk):
                clip = sc.render(min(chunk, N - a), H, W, time_map=taus[a:a + chunk])
                rgb = (clip.frames.permute(0, 2, 3, 1).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
                f.write(np.ascontiguousarray(rgb).tobytes())
        c2s = sc.camera_to_world(taus)                       # [N, 4, 4] float64, scene world
        R, C = sc.object_poses(taus)                         # [N, M, 3, 3], [N, M, 3]
        c2s.astype('<f8').tofile(tmp / 'camera-to-scene.f64')
        R.astype('<f8').tofile(tmp / 'object-rotation.f64')
        C.astype('<f8').tofile(tmp / 'object-centre.f64')
        K = sc.intrinsics(H, W)
        # reference answers from Clip.query, on a clip of a few frames of the sequence
        g = np.random.default_rng(seed)
        sel = np.unique(g.choice(N, size=min(N, 8), replace=False))
        small = sc.render(len(sel), H, W, time_map=taus[sel])
        k = len(sel)
        qs = dict(u=g.random(refs), v=g.random(refs), tSrc=g.integers(0, k, refs), tTgt=g.integers(0, k, refs),
                  tCam=g.integers(0, k, refs))
        ans = small.query(torch.tensor(qs['u']), torch.tensor(qs['v']), torch.tensor(qs['tSrc']),
                          torch.tensor(qs['tTgt']), torch.tensor(qs['tCam']))
        reference = {
            'u': qs['u'].tolist(), 'v': qs['v'].tolist(),
            'tSrc': sel[qs['tSrc']].tolist(), 'tTgt': sel[qs['tTgt']].tolist(), 'tCam': sel[qs['tCam']].tolist(),
            'xyz': ans['xyz'].double().numpy().reshape(-1).tolist(),
            'uv': ans['uv'].double().numpy().reshape(-1).tolist(),
            'visible': ans['visible'].numpy().astype(int).tolist(),
        }
        (tmp / 'reference.json').write_text(json.dumps(reference))
        M = sc.n_objects
        meta = {
            'format': FORMAT,
            'name': name,
            'kind': kind,
            'seed': seed,
            'frames': N, 'width': W, 'height': H, 'fps': FPS,
            'taus': taus.tolist(),
            'intrinsics': {'fx': float(K[0, 0]), 'fy': float(K[1, 1]), 'cx': float(K[0, 2]), 'cy': float(K[1, 2])},
            'room': {'lo': sc.room_lo.tolist(), 'hi': sc.room_hi.tolist()},
            'objects': [{'shape': sc.obj_shape[m], 'type': TYPES[sc.obj_type[m]], 'half': sc.obj_half[m].tolist(),
                         'static': bool(sc.obj_static[m])} for m in range(M)],
            'cameraMotion': sc.camera_motion,
            'visibleRelTolerance': 1e-3,
            'files': {'frames': 'frames.u8', 'cameraToScene': 'camera-to-scene.f64',
                      'objectRotation': 'object-rotation.f64', 'objectCentre': 'object-centre.f64',
                      'reference': 'reference.json'},
            'shapes': {'frames': [N, H, W, 3], 'cameraToScene': [N, 4, 4], 'objectRotation': [N, M, 3, 3],
                       'objectCentre': [N, M, 3]},
            'generator': 'training/tools/make_long_clips.py (d4rt_train.synth)',
        }
        (tmp / 'oracle.json').write_text(json.dumps(meta, indent=1))
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--clip', action='append', required=True, help='NAME:KIND:FRAMES, KIND static or dynamic')
    ap.add_argument('--height', type=int, default=120)
    ap.add_argument('--width', type=int, default=180)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    for spec in a.clip:
        name, kind, frames = spec.split(':')
        if kind not in SEED0:
            raise SystemExit(f'--clip {spec}: KIND must be static or dynamic')
        t0 = time.perf_counter()
        path = write_clip(a.out, name, kind, int(frames), a.height, a.width)
        meta = json.loads((path / 'oracle.json').read_text())
        print(f'{path}: {kind}, seed {meta["seed"]}, camera {meta["cameraMotion"]}, {frames} x {a.height} x {a.width}, '
              f'{len(meta["objects"])} objects, {time.perf_counter() - t0:.1f} s', flush=True)


if __name__ == '__main__':
    main()
