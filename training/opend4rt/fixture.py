"""The golden fixture ``make_fixture`` writes, read back, and a converted model checked against it.

    fx = read_fixture(folder)                  # name -> array, plus fx['meta'] (fixture.json)
    errors = check_model(model_folder, fx)     # name -> largest relative error, via onnxruntime-node

A relative error here is ``max |ours - golden| / max |golden|`` over the whole output: the error in
units of the output's own scale (element-wise ratios blow up where the golden value crosses zero).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

DTYPES = {'float32': np.float32, 'int64': np.int64, 'uint8': np.uint8}
HEADS = ('xyz', 'uv', 'visibility', 'confidence', 'normal', 'displacement')


def read_fixture(folder: Path) -> dict:
    folder = Path(folder)
    meta = json.loads((folder / 'fixture.json').read_text())
    fx = {'meta': meta, 'folder': folder}
    for key, f in meta['files'].items():
        fx[key] = np.fromfile(folder / f['file'], dtype=np.dtype(DTYPES[f['dtype']]).newbyteorder('<')).reshape(f['shape'])
    return fx


def relative_error(ours, golden) -> float:
    ours, golden = np.asarray(ours, np.float64), np.asarray(golden, np.float64)
    if ours.shape != golden.shape:
        raise ValueError(f'shapes differ: {ours.shape} vs golden {golden.shape}')
    return float(np.abs(ours - golden).max() / max(np.abs(golden).max(), 1e-12))


def video_input(fx: dict) -> np.ndarray:
    """The encoder's ``video`` input: the fixture's frames / 255 as [1, T, 3, H, W]."""
    return (fx['frames'].astype(np.float32) / 255.0).transpose(0, 3, 1, 2)[None].copy()


def sample_patches(video: np.ndarray, uv: np.ndarray, frame: np.ndarray, p: int) -> np.ndarray:
    """The SDK's patch definition (model-format.md): the p x p patch of frame ``frame`` around
    ``(u (W - 1), v (H - 1))`` at one-pixel spacing, bilinear, border-clamped, (c, row, col).
    ``video`` [T, 3, H, W]; returns [Q, 3 p p]. Float64, written independently of upstream's
    grid_sample, to check that the two definitions agree."""
    _, _, H, W = video.shape
    off = np.arange(p) - (p - 1) / 2
    x = uv[:, 0, None].astype(np.float64) * (W - 1) + off           # [Q, p] columns
    y = uv[:, 1, None].astype(np.float64) * (H - 1) + off           # [Q, p] rows
    x, y = np.clip(x, 0, W - 1), np.clip(y, 0, H - 1)
    x0, y0 = np.minimum(np.floor(x).astype(int), W - 2), np.minimum(np.floor(y).astype(int), H - 2)
    fx_, fy_ = x - x0, y - y0
    f = video[frame].astype(np.float64)                               # [Q, 3, H, W]
    q = np.arange(len(uv))[:, None, None, None]
    c = np.arange(3)[None, :, None, None]
    r0, r1 = y0[:, None, :, None], y0[:, None, :, None] + 1
    c0, c1 = x0[:, None, None, :], x0[:, None, None, :] + 1
    wy, wx = fy_[:, None, :, None], fx_[:, None, None, :]
    out = ((1 - wy) * ((1 - wx) * f[q, c, r0, c0] + wx * f[q, c, r0, c1])
           + wy * ((1 - wx) * f[q, c, r1, c0] + wx * f[q, c, r1, c1]))
    return out.reshape(len(uv), -1).astype(np.float32)


def check_model(model_folder: Path, fx: dict, threads: int = 1) -> dict:
    """Runs the converted graphs in onnxruntime-node on the fixture's clip and queries; returns the
    largest relative error of ``memory`` and of each head (the decoder is fed the golden memory, or
    the K/V graph's answer to it, and upstream's patches, so each graph is judged on its own), plus
    each graph's run time in ms."""
    from d4rt_train.export import ort_run

    model_folder = Path(model_folder)
    files = json.loads((model_folder / 'manifest.json').read_text())['files']
    aspect = np.array([fx['meta']['aspect']], np.float32)
    enc = ort_run(model_folder / files['encoder'], {'video': video_input(fx), 'aspect': aspect}, threads)
    queries = {'coords': fx['queryUv'][None], 'times': fx['queryTimes'][None], 'patches': fx['patches'][None]}
    if 'kv' in files:   # the memory's keys and values, once, then the decoder on them
        kv = ort_run(model_folder / files['kv'], {'memory': fx['memory']}, threads)
        dec = ort_run(model_folder / files['decoder'], {**queries, **{k: v for k, v in kv.items() if k[0] != '_'}},
                      threads)
    else:
        dec = ort_run(model_folder / files['decoder'], {'memory': fx['memory'], **queries}, threads)
    errors = {'memory': relative_error(enc['memory'], fx['memory'])}
    for h in HEADS:
        errors[h] = relative_error(dec[h][0], fx[h])
    errors['encoderMs'] = enc['_ms']
    errors['decoderMs'] = dec['_ms']
    if 'kv' in files:
        errors['kvMs'] = kv['_ms']
    return errors
