"""Runs a D4RT model on a source clip the way the SDK does, for evaluation in Python.

Source frames of any size and count are mapped to the model's T frames (``select_frames``), resized
(``resize_frames``) and normalised; queries are answered in chunks (answers do not depend on the
chunking: queries never attend to each other). Tasks follow ARCHITECTURE.md:
depth (tSrc = tTgt = tCam), tracks, focal length from depth queries, and poses by a
confidence-weighted rigid fit between a frame's grid seen in its own camera and in camera 0.
"""
from __future__ import annotations

import numpy as np
import torch

from .metrics import weighted_rigid
from .model import D4RT, decode_outputs
from .preprocess import extract_patches, normalise, resize_frames, select_frames


class Predictor:
    def __init__(self, model: D4RT, chunk: int = 8192):
        self.model = model.eval()
        self.cfg = model.cfg
        self.chunk = chunk

    @torch.no_grad()
    def encode(self, frames01: torch.Tensor):
        """frames01 float [n, 3, Hs, Ws] in [0, 1] (the source video) -> self (keeps the memory)."""
        cfg = self.cfg
        n, _, Hs, Ws = frames01.shape
        self.n, self.Hs, self.Ws = n, Hs, Ws
        self.sel = select_frames(n, cfg.T)
        self.model_index = {int(s): k for k, s in reversed(list(enumerate(self.sel)))}
        x = resize_frames(frames01[torch.from_numpy(self.sel)].float(), cfg.H, cfg.W)
        self.video = normalise(x, cfg.mean, cfg.std)
        self.aspect = (Ws / Hs)
        self.memory = self.model.encoder(self.video[None], torch.tensor([self.aspect], dtype=torch.float32))
        return self

    def k(self, src_frame: int) -> int:
        """Model frame index of a source frame (the first model frame showing it)."""
        return self.model_index[int(src_frame)]

    @torch.no_grad()
    def query(self, u, v, t_src, t_tgt, t_cam) -> dict:
        """Model frame indices in, decoded outputs out (numpy)."""
        u = torch.as_tensor(u, dtype=torch.float32)
        v = torch.as_tensor(v, dtype=torch.float32)
        times = torch.stack([torch.as_tensor(t, dtype=torch.long).expand(u.shape) for t in (t_src, t_tgt, t_cam)], -1)
        outs = []
        for i in range(0, u.numel(), self.chunk):
            sl = slice(i, i + self.chunk)
            coords = torch.stack([u[sl], v[sl]], -1)
            patches = extract_patches(self.video, u[sl], v[sl], times[sl, 0], self.cfg.query_patch)
            raw = self.model.decoder(self.memory, coords[None], times[sl][None], patches[None])
            outs.append(decode_outputs(*[r[0] for r in raw], window=self.cfg.uv_window))
        return {k: torch.cat([o[k] for o in outs]).numpy() for k in outs[0]}

    def grid(self, gh: int, gw: int):
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing='ij')
        return (xs.reshape(-1) / max(gw - 1, 1)).astype(np.float32), (ys.reshape(-1) / max(gh - 1, 1)).astype(np.float32)

    def depth(self, src_frame: int, gh: int, gw: int) -> np.ndarray:
        """Depth of a source frame on a gh x gw grid of (u, v) (pixel centres at the ends)."""
        k = self.k(src_frame)
        u, v = self.grid(gh, gw)
        return self.query(u, v, k, k, k)['xyz'][:, 2].reshape(gh, gw)

    def focal(self, src_frame: int, g: int = 24) -> tuple[float, float]:
        """(fx, fy) in source pixels: median of z (x_px - cx) / x over a grid (principal point at the centre)."""
        k = self.k(src_frame)
        u, v = self.grid(g, g)
        xyz = self.query(u, v, k, k, k)['xyz']
        cx, cy = (self.Ws - 1) / 2, (self.Hs - 1) / 2
        xp, yp = u * (self.Ws - 1) - cx, v * (self.Hs - 1) - cy
        mx = np.abs(xp) > 0.1 * self.Ws
        my = np.abs(yp) > 0.1 * self.Hs
        fx = np.median(xyz[mx, 2] * xp[mx] / xyz[mx, 0])
        fy = np.median(xyz[my, 2] * yp[my] / xyz[my, 1])
        return float(fx), float(fy)

    def poses(self, src_frames, g: int = 16) -> np.ndarray:
        """Camera-to-world [len, 4, 4] of source frames (each mapped to its first model frame with
        :meth:`k`), with the world = camera of the first model frame."""
        return self.poses_model([self.k(f) for f in src_frames], g)

    def poses_model(self, model_frames, g: int = 16) -> np.ndarray:
        """Camera-to-world [len, 4, 4] of model frames (indices 0 .. T-1), world = camera of model
        frame 0: per frame k, a confidence-weighted rigid fit from the g x g grid's points in camera k
        (tSrc = tTgt = tCam = k) to the same points in camera 0 (tCam = 0), weights = product of the
        two confidences."""
        u, v = self.grid(g, g)
        out = []
        for k in model_frames:
            k = int(k)
            a = self.query(u, v, k, k, k)
            b = self.query(u, v, k, k, 0)
            w = a['confidence'] * b['confidence']
            out.append(weighted_rigid(a['xyz'], b['xyz'], w))
        return np.stack(out)
