"""Training query sampling: the mix of query tuples of D4RT, with exact targets from the generator.

Per clip: depth queries (tSrc = tTgt = tCam), camera-frame tracks (tCam = tTgt), world-frame
tracks (tCam fixed: frame 0 most of the time, as the SDK's world is camera 0), free tuples, and
extra depth queries on depth edges (where the depth map jumps) so boundaries are learnt sharply.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .preprocess import extract_patches

MIX = {'depth': 0.25, 'edge': 0.1, 'camera_track': 0.3, 'world_track': 0.2, 'free': 0.15}


@dataclass
class QueryBatch:
    coords: torch.Tensor    # [Q, 2] (u, v)
    times: torch.Tensor     # int64 [Q, 3] (tSrc, tTgt, tCam)
    patches: torch.Tensor   # [Q, 3 p p]
    xyz: torch.Tensor       # [Q, 3] target point in camera tCam, divided by the clip's mean depth
    uv: torch.Tensor        # [Q, 2] target 2D position in frame tTgt
    visible: torch.Tensor   # float [Q]
    kind: torch.Tensor      # int64 [Q] index into MIX


def _edge_pixels(depth: torch.Tensor, n: int, g: torch.Generator):
    """n (t, u, v) samples near depth discontinuities (relative jump > 5 %), jittered by < 1 px."""
    T, H, W = depth.shape
    ld = torch.log(depth)
    gx = (ld[:, :, 1:] - ld[:, :, :-1]).abs()
    gy = (ld[:, 1:, :] - ld[:, :-1, :]).abs()
    e = torch.zeros_like(depth, dtype=torch.bool)
    e[:, :, 1:] |= gx > 0.05
    e[:, :, :-1] |= gx > 0.05
    e[:, 1:, :] |= gy > 0.05
    e[:, :-1, :] |= gy > 0.05
    idx = e.reshape(-1).nonzero()[:, 0]
    if idx.numel() == 0:
        idx = torch.arange(T * H * W)
    pick = idx[torch.randint(0, idx.numel(), (n,), generator=g)]
    t = pick // (H * W)
    y = (pick % (H * W)) // W
    x = pick % W
    jx = torch.rand(n, generator=g) - 0.5
    jy = torch.rand(n, generator=g) - 0.5
    u = ((x.float() + jx) / (W - 1)).clamp(0, 1)
    v = ((y.float() + jy) / (H - 1)).clamp(0, 1)
    return t, u, v


def sample_queries(clip, frames_norm: torch.Tensor, n: int, patch: int, g: torch.Generator) -> QueryBatch:
    """Samples n queries of the mix for one clip and their exact targets.

    ``frames_norm`` is the clip's normalised frames [T, 3, H, W] (the model input), used for patches.
    """
    T = clip.depth.shape[0]
    counts = {k: int(round(w * n)) for k, w in MIX.items()}
    counts['free'] += n - sum(counts.values())
    us, vs, ts, kinds = [], [], [], []
    for ki, (k, c) in enumerate(counts.items()):
        if c <= 0:
            continue
        if k == 'edge':
            t_src, u, v = _edge_pixels(clip.depth, c, g)
        else:
            t_src = torch.randint(0, T, (c,), generator=g)
            u = torch.rand(c, generator=g)
            v = torch.rand(c, generator=g)
        if k in ('depth', 'edge'):
            t_tgt = t_src
            t_cam = t_src
        elif k == 'camera_track':
            t_tgt = torch.randint(0, T, (c,), generator=g)
            t_cam = t_tgt
        elif k == 'world_track':
            t_tgt = torch.randint(0, T, (c,), generator=g)
            zero = torch.rand(c, generator=g) < 0.7
            t_cam = torch.where(zero, torch.zeros_like(t_tgt), torch.randint(0, T, (c,), generator=g))
        else:
            t_tgt = torch.randint(0, T, (c,), generator=g)
            t_cam = torch.randint(0, T, (c,), generator=g)
        us.append(u)
        vs.append(v)
        ts.append(torch.stack([t_src, t_tgt, t_cam], -1))
        kinds.append(torch.full((c,), ki, dtype=torch.long))
    u = torch.cat(us)
    v = torch.cat(vs)
    times = torch.cat(ts).long()
    gt = clip.query(u, v, times[:, 0], times[:, 1], times[:, 2])
    scale = clip.depth.mean()
    patches = extract_patches(frames_norm, u, v, times[:, 0], patch)
    return QueryBatch(
        coords=torch.stack([u, v], -1).float(), times=times, patches=patches,
        xyz=gt['xyz'].float() / scale, uv=gt['uv'].float(), visible=gt['visible'].float(),
        kind=torch.cat(kinds))
