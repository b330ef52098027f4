"""Preprocessing shared by training, evaluation and (bit for bit) the SDK's @d4rt/core.

- Frame selection: a clip of n source frames maps to the model's T frames by
  ``round(linspace(0, n - 1, T))`` (rounding half away from zero), which subsamples long videos and
  repeats frames of short ones.
- Resize: align-corners bilinear (``x_src = x_dst * (W_src - 1) / (W_dst - 1)``, the convention
  ``u = x / (W - 1)``) with a box prefilter for downscaling: each output pixel averages s_y x s_x
  bilinear taps, s = max(1, ceil(src / dst)) per axis, at offsets ((k + 0.5) / s - 0.5) * step
  around the centre, where step = (src - 1) / (dst - 1) source pixels. Taps are border-clamped.
- Normalisation: (rgb / 255 - mean) / std per channel.
- Query patches: the p x p patch around (x, y) = (u (W - 1), v (H - 1)) of the *normalised* frame
  tSrc at model resolution, one-pixel spacing, bilinear, border-clamped; flattened channel-major
  (c, row, col).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def select_frames(n: int, T: int) -> np.ndarray:
    """Indices of the source frames that fill the model's T frames."""
    if n < 1:
        raise ValueError(f'select_frames: n ({n}) must be >= 1')
    if n == 1 or T == 1:
        return np.zeros(T, dtype=np.int64)
    pos = np.arange(T, dtype=np.float64) * (n - 1) / (T - 1)
    return np.floor(pos + 0.5).astype(np.int64)


def _taps(src: int, dst: int) -> tuple[np.ndarray, int]:
    """Source coordinates [dst, s] of the taps of each output pixel along one axis."""
    step = (src - 1) / (dst - 1) if dst > 1 else 0.0
    s = max(1, math.ceil(src / dst))
    centre = np.arange(dst, dtype=np.float64) * step
    off = ((np.arange(s, dtype=np.float64) + 0.5) / s - 0.5) * step
    return np.clip(centre[:, None] + off[None, :], 0, src - 1), s


def resize_frames(frames: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """frames float [T, 3, Hs, Ws] -> [T, 3, H, W] with the antialiased align-corners bilinear above."""
    T, C, Hs, Ws = frames.shape
    if (Hs, Ws) == (H, W):
        return frames.clone()
    ys, sy = _taps(Hs, H)
    xs, sx = _taps(Ws, W)
    gy = torch.from_numpy(2 * ys / max(Hs - 1, 1) - 1).float()  # [H, sy]
    gx = torch.from_numpy(2 * xs / max(Ws - 1, 1) - 1).float()  # [W, sx]
    # grid [1, H*sy, W*sx, 2], then average sy x sx blocks
    gyy = gy.reshape(H * sy)[:, None].expand(H * sy, W * sx)
    gxx = gx.reshape(W * sx)[None, :].expand(H * sy, W * sx)
    grid = torch.stack([gxx, gyy], -1)[None].expand(T, -1, -1, -1).to(frames)
    out = F.grid_sample(frames, grid, mode='bilinear', padding_mode='border', align_corners=True)
    return out.reshape(T, C, H, sy, W, sx).mean(dim=(3, 5))


def normalise(frames01: torch.Tensor, mean, std) -> torch.Tensor:
    """[.., 3, H, W] in [0, 1] -> normalised."""
    m = torch.tensor(mean, dtype=frames01.dtype, device=frames01.device).reshape(3, 1, 1)
    s = torch.tensor(std, dtype=frames01.dtype, device=frames01.device).reshape(3, 1, 1)
    return (frames01 - m) / s


def bilinear_gather(flat: torch.Tensor, base: torch.Tensor, x: torch.Tensor, y: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """Bilinear samples of images stored as rows of ``flat`` [*, C] (an H x W image starts at row
    ``base``), at pixel coordinates (x, y), border-clamped. ``base``, ``x`` and ``y`` broadcast
    together to the output's leading shape; returns [..., C]. Plain gathers, so it exports to ONNX.
    """
    x = x.clamp(0, W - 1)
    y = y.clamp(0, H - 1)
    x0 = x.floor().clamp(max=max(W - 2, 0))
    y0 = y.floor().clamp(max=max(H - 2, 0))
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    x0 = x0.long()
    y0 = y0.long()
    x1 = (x0 + 1).clamp(max=W - 1)
    y1 = (y0 + 1).clamp(max=H - 1)

    def at(yy, xx):
        return flat[base + yy * W + xx]

    return (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy


def extract_patches(frames: torch.Tensor, u: torch.Tensor, v: torch.Tensor, t: torch.Tensor, p: int) -> torch.Tensor:
    """frames [T, 3, H, W] (normalised), u, v [Q] in [0, 1], t [Q] int -> [Q, 3 p p]."""
    T, C, H, W = frames.shape
    off = torch.arange(p, device=frames.device, dtype=frames.dtype) - (p - 1) / 2
    x = u[:, None] * (W - 1) + off[None]        # [Q, p] columns
    y = v[:, None] * (H - 1) + off[None]        # [Q, p] rows
    flat = frames.permute(0, 2, 3, 1).reshape(T * H * W, C)
    base = t.long()[:, None, None] * (H * W)
    out = bilinear_gather(flat, base, x[:, None, :], y[:, :, None], H, W)   # [Q, p, p, C]
    return out.permute(0, 3, 1, 2).reshape(-1, C * p * p)
