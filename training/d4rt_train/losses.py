"""Training losses (D4RT + the tracking-head losses of the second seed paper).

- 3D: L1 between sign(x) log(1 + |x|) of the decoded prediction and of the target, both in units of
  the clip's ground-truth mean depth; weighted by the confidence c = sigmoid(logit) with a
  -alpha log c penalty (DUSt3R-style aleatoric weighting).
- 2D: per-axis cross-entropy against a two-hot target over the bin centres linspace(0, 1, bins),
  plus L1 on the truncated soft-argmax, on targets inside the image.
- Visibility: binary cross-entropy on the logit.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .model import decode_xyz, truncated_soft_argmax


def signed_log(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.log1p(x.abs())


def two_hot(x: torch.Tensor, bins: int) -> torch.Tensor:
    """x [...] in [0, 1] -> [..., bins] linear-interpolation weights on linspace(0, 1, bins)."""
    pos = x.clamp(0, 1) * (bins - 1)
    lo = pos.floor().clamp(max=bins - 2).long()
    w = pos - lo.float()
    out = torch.zeros(*x.shape, bins, device=x.device, dtype=x.dtype)
    out.scatter_(-1, lo[..., None], (1 - w)[..., None])
    out.scatter_add_(-1, (lo + 1)[..., None], w[..., None])
    return out


def uv_loss(uv_logits, target, window: int):
    """2D loss on targets inside the image: two-hot cross-entropy + 10 x L1 of the truncated soft-argmax."""
    bins = uv_logits.shape[-1]
    inside = ((target >= 0) & (target <= 1)).all(-1).float()
    ce = -(two_hot(target, bins) * F.log_softmax(uv_logits, -1)).sum(-1).sum(-1)
    uv = truncated_soft_argmax(uv_logits, window)
    l1 = (uv - target.clamp(0, 1)).abs().sum(-1)
    return ((ce + 10.0 * l1) * inside).sum() / inside.sum().clamp(min=1)


def d4rt_loss(out, batch, conf_alpha: float, w3d: float, w2d: float, wvis: float, window: int):
    xyz_raw, uv_logits, vis_logit, conf_logit = out
    raw = torch.cat([xyz_raw[..., :2], xyz_raw[..., 2:].clamp(-8, 8)], dim=-1)
    pred = decode_xyz(raw)
    l3 = (signed_log(pred) - signed_log(batch['xyz'])).abs().sum(-1)
    c = torch.sigmoid(conf_logit).clamp(min=1e-4)
    loss3d = (c * l3 - conf_alpha * torch.log(c)).mean()

    loss2d = uv_loss(uv_logits, batch['uv'], window)

    lvis = F.binary_cross_entropy_with_logits(vis_logit, batch['visible'])
    total = w3d * loss3d + w2d * loss2d + wvis * lvis
    return total, {'loss': total.item(), 'l3d': l3.mean().item(), 'l2d': loss2d.item(),
                   'lvis': lvis.item(), 'conf': c.mean().item()}
