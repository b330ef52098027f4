"""The fixture clip format ``d4rt-clip/1``: a folder with ``clip.json`` and little-endian binary arrays.

See ``training/CLIP_FORMAT.md`` for the full description. In short::

    clip.json                 metadata: sizes, fps, seed, aspect, per-frame intrinsics and poses, files
    frames.u8                 uint8   [T, H, W, 3]  RGB, row-major
    depth.f32                 float32 [T, H, W]     camera z in metres (> 0 everywhere)
    tracks-query.f32          float32 [N, 3]        (u, v, tSrc) of each track
    tracks-uv.f32             float32 [T, N, 2]     normalised (u, v) of the track in frame t (frame-major)
    tracks-xyz-camera.f32     float32 [T, N, 3]     the point at frame t in camera t
    tracks-xyz-cam0.f32       float32 [T, N, 3]     the point at frame t in camera 0 (= the SDK's world)
    tracks-visible.u8         uint8   [T, N]        1 if visible in frame t
    tracks-object.u8          uint8   [N]           object id of the track (0 = static room)

``cameraToWorld`` in clip.json uses the same world as the SDK: camera 0 (so frame 0 is the identity);
``sceneFromWorld`` maps that world back to the generator's scene world.

:func:`write_clip` writes into a temporary sibling folder and renames it into place at the end, so a
failure never leaves a half-written clip (nor the temporary folder) behind. :func:`read_clip` reads a
folder back into numpy arrays and checks the sizes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import torch

from .synth import VIS_REL_TOL, Clip

FORMAT = 'd4rt-clip/1'
FPS = 12

# key -> (file name, dtype); shapes are written to clip.json ("shapes")
FILES = {
    'frames': ('frames.u8', '<u1'),
    'depth': ('depth.f32', '<f4'),
    'tracksQuery': ('tracks-query.f32', '<f4'),
    'tracksUv': ('tracks-uv.f32', '<f4'),
    'tracksXyzCamera': ('tracks-xyz-camera.f32', '<f4'),
    'tracksXyzCam0': ('tracks-xyz-cam0.f32', '<f4'),
    'tracksVisible': ('tracks-visible.u8', '<u1'),
    'tracksObject': ('tracks-object.u8', '<u1'),
}


def sample_tracks(clip: Clip, n_tracks: int, seed: int, object_fraction: float = 0.5) -> dict:
    """Sample ``n_tracks`` query points (u, v, tSrc) on surfaces seen in the clip and answer them for
    every target frame. About ``object_fraction`` of them start on objects (when the source frame
    shows any), the rest anywhere (mostly room). u, v are continuous: a pixel centre plus a sub-pixel
    offset of up to +-0.4 px. Deterministic in ``seed``.

    Returns numpy arrays: query [N, 3], uv [T, N, 2], xyz_camera [T, N, 3], xyz_cam0 [T, N, 3],
    visible [T, N] (bool), obj [N] (int64)."""
    T, H, W = clip.T, clip.H, clip.W
    rng = np.random.default_rng([int(seed), 0x7AC5])
    t_src = np.sort(rng.integers(0, T, n_tracks))
    obj_id = clip.obj_id.cpu().numpy()
    xs = np.empty(n_tracks, np.int64)
    ys = np.empty(n_tracks, np.int64)
    want_obj = rng.random(n_tracks) < object_fraction
    for t in np.unique(t_src):
        sel = np.nonzero(t_src == t)[0]
        on = np.flatnonzero(obj_id[t].reshape(-1) > 0)
        anyp = rng.integers(0, H * W, len(sel))
        if len(on):
            objp = on[rng.integers(0, len(on), len(sel))]
            anyp = np.where(want_obj[sel], objp, anyp)
        ys[sel], xs[sel] = np.divmod(anyp, W)
    jit = rng.uniform(-0.4, 0.4, (2, n_tracks))
    u = np.clip((xs + jit[0]) / (W - 1), 0.0, 1.0).astype(np.float32)
    v = np.clip((ys + jit[1]) / (H - 1), 0.0, 1.0).astype(np.float32)
    dev = clip.frames.device
    uq = torch.from_numpy(u).to(dev).repeat(T)
    vq = torch.from_numpy(v).to(dev).repeat(T)
    sq = torch.from_numpy(t_src).to(dev).repeat(T)
    tq = torch.arange(T, device=dev).repeat_interleave(n_tracks)
    a = clip.query(uq, vq, sq, tq, tq)
    b = clip.query(uq, vq, sq, tq, torch.zeros_like(tq))
    return dict(
        query=np.stack([u, v, t_src.astype(np.float32)], -1),
        uv=a['uv'].cpu().numpy().reshape(T, n_tracks, 2),
        xyz_camera=a['xyz'].cpu().numpy().reshape(T, n_tracks, 3),
        xyz_cam0=b['xyz'].cpu().numpy().reshape(T, n_tracks, 3),
        visible=a['visible'].cpu().numpy().reshape(T, n_tracks),
        obj=a['obj'].cpu().numpy()[:n_tracks],
    )


def _dumps(meta: dict) -> str:
    """JSON with one top-level key per line and every list of numbers (or of number lists) on one line
    per element, e.g. one line per frame for ``intrinsics`` / ``cameraToWorld``."""
    def flat(x):
        return json.dumps(x, separators=(', ', ': '))
    lines = []
    for k, v in meta.items():
        if isinstance(v, list) and v and isinstance(v[0], list):
            inner = ',\n  '.join(flat(e) for e in v)
            lines.append(f'{json.dumps(k)}: [\n  {inner}\n ]')
        else:
            lines.append(f'{json.dumps(k)}: {flat(v)}')
    return '{\n ' + ',\n '.join(lines) + '\n}\n'


def _write_array(folder: Path, key: str, arr: np.ndarray) -> list:
    name, dtype = FILES[key]
    a = np.ascontiguousarray(arr, dtype=np.dtype(dtype))
    (folder / name).write_bytes(a.tobytes())
    return list(a.shape)


def encode_mp4(path: Path, frames_u8: np.ndarray, fps: int = FPS, crf: int = 12) -> None:
    """Encode uint8 frames [T, H, W, 3] (H, W even) to an H.264 mp4 with ffmpeg (yuv420p)."""
    T, H, W, _ = frames_u8.shape
    if H % 2 or W % 2:
        raise ValueError(f'mp4 (yuv420p) needs even sizes, got {H}x{W}')
    cmd = ['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{W}x{H}', '-r', str(fps),
           '-i', '-', '-c:v', 'libx264', '-crf', str(crf), '-pix_fmt', 'yuv420p', '-threads', '1',
           '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-movflags', '+faststart', str(path)]
    subprocess.run(cmd, input=np.ascontiguousarray(frames_u8).tobytes(), check=True, capture_output=True)


def write_clip(folder, clip: Clip, n_tracks: int, seed: int, fps: int = FPS, video: str | None = None) -> Path:
    """Write ``clip`` with ``n_tracks`` sampled tracks (track sampling seeded by ``seed``) as a
    ``d4rt-clip/1`` folder. ``video``: optional mp4 file name to encode the frames into (inside the
    folder). The folder is written under a temporary name and renamed at the end (an existing folder
    of that name is replaced); on any error nothing is left behind and the error is re-raised."""
    folder = Path(folder)
    tmp = folder.parent / f'.{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}'
    try:
        if not isinstance(n_tracks, (int, np.integer)) or isinstance(n_tracks, bool) or n_tracks < 1:
            raise ValueError(f'write_clip: n_tracks must be a positive int, got {n_tracks!r}')
        if video is not None and (not video.endswith('.mp4') or '/' in video):
            raise ValueError(f'write_clip: video must be a plain *.mp4 file name, got {video!r}')
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        T, H, W = clip.T, clip.H, clip.W
        frames = (clip.frames.permute(0, 2, 3, 1).cpu().numpy() * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
        c2w = clip.c2w.double().cpu().numpy()
        w2c0 = np.linalg.inv(c2w[0])
        c2w0 = w2c0[None] @ c2w                              # camera-to-(camera 0)
        c2w0[0] = np.eye(4)                                  # exactly, not up to rounding
        K = clip.K.double().cpu().numpy()
        tr = sample_tracks(clip, int(n_tracks), seed)
        shapes = {}
        shapes['frames'] = _write_array(tmp, 'frames', frames)
        shapes['depth'] = _write_array(tmp, 'depth', clip.depth.cpu().numpy())
        shapes['tracksQuery'] = _write_array(tmp, 'tracksQuery', tr['query'])
        shapes['tracksUv'] = _write_array(tmp, 'tracksUv', tr['uv'])
        shapes['tracksXyzCamera'] = _write_array(tmp, 'tracksXyzCamera', tr['xyz_camera'])
        shapes['tracksXyzCam0'] = _write_array(tmp, 'tracksXyzCam0', tr['xyz_cam0'])
        shapes['tracksVisible'] = _write_array(tmp, 'tracksVisible', tr['visible'].astype(np.uint8))
        shapes['tracksObject'] = _write_array(tmp, 'tracksObject', tr['obj'].astype(np.uint8))
        sc = clip.scene
        meta = {
            'format': FORMAT,
            'frames': T, 'width': W, 'height': H, 'fps': int(fps), 'seed': int(sc.seed),
            'aspect': float(clip.aspect),
            'times': [float(x) for x in clip.times.cpu().numpy()],
            'intrinsics': [[float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])] for k in K],
            'cameraToWorld': [[float(x) for x in m.reshape(-1)] for m in c2w0],
            'world': 'camera0',
            'sceneFromWorld': [float(x) for x in c2w[0].reshape(-1)],
            'depth': 'camera z in metres',
            'files': {k: FILES[k][0] for k in shapes},
            'shapes': shapes,
            'tracks': {
                'count': int(n_tracks), 'seed': int(seed), 'layout': 'frame-major [T, N, ...]',
                'visibleRelTolerance': VIS_REL_TOL,
                'objects': int((tr['obj'] > 0).sum()),
            },
            'generator': {'module': 'd4rt_train.synth', 'cameraMotion': sc.camera_motion,
                          'objects': list(sc.obj_shape), 'fovDeg': float(sc.fov_deg)},
        }
        if video is not None:
            encode_mp4(tmp / video, frames, fps=fps)
            meta['video'] = video
        (tmp / 'clip.json').write_text(_dumps(meta))
        old = None
        if folder.exists():
            old = folder.parent / f'.{folder.name}.old-{uuid.uuid4().hex[:8]}'
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read_clip(folder) -> dict:
    """Read a ``d4rt-clip/1`` folder. Returns a dict of numpy arrays keyed like ``files`` in clip.json
    (frames uint8 [T, H, W, 3], depth float32 [T, H, W], tracksQuery, tracksUv, tracksXyzCamera,
    tracksXyzCam0, tracksVisible, tracksObject) plus ``intrinsics`` [T, 4] (fx, fy, cx, cy),
    ``cameraToWorld`` [T, 4, 4] (world = camera 0), ``times`` [T], and ``meta`` (the parsed clip.json)."""
    folder = Path(folder)
    meta = json.loads((folder / 'clip.json').read_text())
    if meta.get('format') != FORMAT:
        raise ValueError(f'{folder}: format {meta.get("format")!r} is not {FORMAT!r}')
    out = {'meta': meta}
    for key, name in meta['files'].items():
        dtype = np.dtype(FILES[key][1]) if key in FILES else np.dtype('<u1' if name.endswith('.u8') else '<f4')
        shape = tuple(meta['shapes'][key])
        raw = (folder / name).read_bytes()
        if len(raw) != int(np.prod(shape)) * dtype.itemsize:
            raise ValueError(f'{folder / name}: {len(raw)} bytes, expected shape {shape} of {dtype}')
        out[key] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    out['intrinsics'] = np.asarray(meta['intrinsics'], np.float64)
    out['cameraToWorld'] = np.asarray(meta['cameraToWorld'], np.float64).reshape(-1, 4, 4)
    out['times'] = np.asarray(meta['times'], np.float64)
    return out


__all__ = ['FORMAT', 'FILES', 'sample_tracks', 'write_clip', 'read_clip', 'encode_mp4']
