"""Evaluation metrics in NumPy, mirroring @d4rt/geometry (same protocols, same definitions).

- Depth (Eigen et al. 2014; the video-depth protocol of DepthCrafter): one median scale per
  sequence, predictions clipped to >= 1e-3, AbsRel and delta < 1.25 per frame over pixels with
  gt > 0, averaged over frames (``@d4rt/geometry`` ``depthMetrics`` with its defaults).
- 3D tracks (TAPVid-3D, Koppula et al. 2024, as its reference code): one global median scale per
  clip (median |X_gt| / median |X_pred| over points visible in gt and prediction), thresholds
  tau = delta * z_gt / sqrt(fx fy) for delta in {1, 2, 4, 8, 16}; APD3D = mean over deltas of the
  fraction of gt-visible points within tau; AJ = mean over deltas of TP / (TP + FP + FN); OA =
  accuracy of the predicted visibility (threshold 0.5).
- Poses (Sturm et al. 2012, as evo computes them): ATE = RMSE of camera centres after a Sim3
  Umeyama fit of predicted to gt centres; RPE over consecutive frames, RMSE of the translation
  error (after the Sim3 scale) and of the rotation angle in degrees.
"""
from __future__ import annotations

import numpy as np

DELTAS = (1, 2, 4, 8, 16)


def median_scale(pred: np.ndarray, gt: np.ndarray) -> float:
    m = (gt > 0) & np.isfinite(pred) & (pred > 0)
    return float(np.median(gt[m]) / np.median(pred[m]))


def depth_metrics(pred: np.ndarray, gt: np.ndarray, align: str = 'median') -> dict:
    """pred, gt: depth [frames, ...] of one sequence (same shape); gt 0 = invalid."""
    pred = pred.reshape(pred.shape[0], -1).astype(np.float64)
    gt = gt.reshape(gt.shape[0], -1).astype(np.float64)
    m = (gt > 0) & np.isfinite(pred)
    s = float(np.median(gt[m]) / np.median(pred[m])) if align == 'median' else 1.0
    rel, d1 = [], []
    for p, g, mm in zip(pred, gt, m):
        if not mm.any():
            continue
        p = np.maximum(p[mm] * s, 1e-3)
        g = g[mm]
        rel.append(np.mean(np.abs(p - g) / g))
        d1.append(np.mean(np.maximum(p / g, g / p) < 1.25))
    return {'absRel': float(np.mean(rel)), 'delta1': float(np.mean(d1))}


def tapvid3d_metrics(pred_xyz, gt_xyz, pred_vis, gt_vis, fx: float, fy: float) -> dict:
    """pred_xyz, gt_xyz [T, N, 3] in each frame's camera; pred_vis, gt_vis bool [T, N]."""
    gv = gt_vis.astype(bool)
    pv = pred_vis.astype(bool)
    both = gv & pv
    s = float('nan')   # as tapnet: no point visible in both -> no scale, every point misses (APD3D 0)
    if both.any():
        ng = np.maximum(np.linalg.norm(gt_xyz[both], axis=-1), 1e-6)
        npd = np.maximum(np.linalg.norm(pred_xyz[both], axis=-1), 1e-6)
        s = float(np.median(ng) / np.median(npd))
    err = np.linalg.norm(pred_xyz * s - gt_xyz, axis=-1)
    f = np.sqrt(fx * fy)
    apd, aj = [], []
    for d in DELTAS:
        tau = d * gt_xyz[..., 2] / f
        within = err < tau
        apd.append(float(np.mean(within[gv])))
        tp = np.sum(gv & pv & within)
        fp = np.sum(pv & ~(gv & within))
        fn = np.sum(gv & ~(pv & within))
        aj.append(float(tp / max(tp + fp + fn, 1)))
    return {'apd3d': float(np.mean(apd)), 'aj': float(np.mean(aj)), 'oa': float(np.mean(pv == gv)),
            'scale': s}


def umeyama(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None, scale: bool = True):
    """(s, R, t) minimising sum w |s R src + t - dst|^2 (Umeyama 1991, reflection fixed);
    src, dst [N, 3]; uniform weights when ``weights`` is None; s = 1 when ``scale`` is False."""
    w = np.full(len(src), 1.0 / len(src)) if weights is None else weights / weights.sum()
    mu_s = w @ src
    mu_d = w @ dst
    xs, xd = src - mu_s, dst - mu_d
    cov = (xd * w[:, None]).T @ xs
    U, S, Vt = np.linalg.svd(cov)
    D = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        D[2, 2] = -1
    R = U @ D @ Vt
    s = 1.0
    if scale:
        var = w @ (xs ** 2).sum(-1)
        s = float(np.trace(np.diag(S) @ D) / var) if var > 0 else 1.0
    return s, R, mu_d - s * R @ mu_s


def pose_metrics(pred_c2w: np.ndarray, gt_c2w: np.ndarray) -> dict:
    """pred_c2w, gt_c2w [T, 4, 4] camera-to-world."""
    pc, gc = pred_c2w[:, :3, 3], gt_c2w[:, :3, 3]
    s, R, t = umeyama(pc, gc)
    aligned = (s * (R @ pc.T)).T + t
    ate = float(np.sqrt(np.mean(np.sum((aligned - gc) ** 2, -1))))
    rt, rr = [], []
    for i in range(len(pred_c2w) - 1):
        dp = np.linalg.inv(pred_c2w[i]) @ pred_c2w[i + 1]
        dg = np.linalg.inv(gt_c2w[i]) @ gt_c2w[i + 1]
        rt.append(np.linalg.norm(s * dp[:3, 3] - dg[:3, 3]))
        dR = dp[:3, :3].T @ dg[:3, :3]
        rr.append(np.degrees(np.arccos(np.clip((np.trace(dR) - 1) / 2, -1, 1))))
    rms = lambda x: float(np.sqrt(np.mean(np.square(x)))) if x else float('nan')
    return {'ate': ate, 'rpeTrans': rms(rt), 'rpeRot': rms(rr)}


def weighted_rigid(src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> np.ndarray:
    """4x4 rigid transform M minimising sum w |R src + t - dst|^2 (weighted Umeyama, no scale)."""
    _, R, t = umeyama(src, dst, w, scale=False)
    M = np.eye(4)
    M[:3, :3] = R
    M[:3, 3] = t
    return M
