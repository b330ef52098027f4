"""Does a D4RT checkpoint read the video? The diagnosis of issue 10, as a tool to run on every candidate.

    cd training
    PYTHONPATH=. /usr/bin/python3 tools/diagnose.py --ckpt checkpoints/d4rt-tiny.pt [--clips 16] [--json out.json]

On the fixed validation clips of ``train.build_validation`` (seeds 900_000 + i; depth queries on a
32 x 48 grid of 4 frames, 48 camera-frame tracks over all frames), it prints one JSON object:

- ``absRel`` / ``uvErrPx``: depth AbsRel (one median scale per clip) and the median 2D track error
  in model pixels, with the clip's own memory.
- ``swap``: the same with another clip's memory (clip i + 1), patches and queries unchanged:
  ``gapAbsRel`` (mean, with its standard error) and ``gapUvPx``. A decoder that ignores the memory
  has a gap of ~0. ``grey``: the same with the memory *and* the patches of a grey video (so
  nothing of the clip is left): ``absRel`` and ``uvErrPx``.
- ``posR2``: the share of the variance of predicted log-depth (each clip's mean removed) that the
  query position alone explains (the per-position mean over clips); ``gtPosR2`` the same for the
  ground truth. A model that answers from the query's position has posR2 near 1.
- ``attention`` per decoder block: the mean entropy of the cross-attention (over heads and
  queries), as effective tokens exp(H), against the uniform entropy; and the attention weight, as
  a multiple of chance, on (a) the tokens of the query's own tubelet slice (tSrc), (b) the 3 x 3
  tokens around the true target point in the tTgt slice, (c) the token of the true target point.
- ``queryNorm``: each summand's share of the squared norm of the query token (Fourier(u, v), the
  time embeddings, the RGB patch, the local memory samples).
- ``encoderProbe`` (models trained with the dense depth head): the head's position R^2 on full
  frames and the correlation of its position-free part with the truth's.
- ``patchAblation``: depth AbsRel with the RGB patches zeroed (how much the patch alone carries).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d4rt_train.config import preset  # noqa: E402
from d4rt_train.export import load_checkpoint  # noqa: E402
from d4rt_train.metrics import depth_metrics  # noqa: E402
from d4rt_train.model import decode_outputs  # noqa: E402
from d4rt_train.preprocess import extract_patches  # noqa: E402
from d4rt_train.train import build_validation, dense_depth_target, position_r2, render_training_clip, VAL_SEED  # noqa: E402


def _decode(model, mem, it, sl=slice(None), patches=None):
    p = it['patches'][sl] if patches is None else patches[sl]
    raw = model.decoder(mem, it['coords'][None, sl], it['times'][None, sl], p[None])
    return decode_outputs(*[r[0] for r in raw], window=model.cfg.uv_window)


def _uv_err(dec, it, cfg):
    nd, n = it['n_depth'], it['n_track']
    uv = dec['uv'][nd:].reshape(cfg.T, n, 2).numpy()
    vis = it['track_vis']
    err = np.abs(uv - it['track_uv']) * np.array([cfg.W - 1, cfg.H - 1])
    return float(np.median(np.linalg.norm(err, axis=-1)[vis])) if vis.any() else float('nan')


class _AttnRecorder:
    """Forward hooks on the decoder's cross-attention modules that recompute their weights [B, h, Q, N]."""

    def __init__(self, model):
        self.weights = []
        self.handles = [blk.attn.register_forward_hook(self._hook) for blk in model.decoder.blocks]

    def _hook(self, mod, inputs, _out):
        x, mem = inputs[0], inputs[1]
        bias = inputs[2] if len(inputs) > 2 else None
        b, q, c = x.shape
        h = mod.heads
        qh = mod.q(x).reshape(b, q, h, c // h).transpose(1, 2)
        k = mod.kv(mem).reshape(b, mem.shape[1], 2, h, c // h).permute(2, 0, 3, 1, 4)[0]
        w = torch.matmul(qh, k.transpose(-1, -2)) * (qh.shape[-1] ** -0.5)
        if bias is not None:
            w = w + bias[:, None]
        self.weights.append(torch.softmax(w, dim=-1))

    def close(self):
        for hd in self.handles:
            hd.remove()


def _token_index(cfg, t, uv):
    """Token (without the aspect token) holding pixel (u, v) of frame t, and its grid (i, j)."""
    gh, gw = cfg.H // cfg.patch, cfg.W // cfg.patch
    i = np.clip(np.floor(uv[:, 1] * (cfg.H - 1) / cfg.patch), 0, gh - 1).astype(int)
    j = np.clip(np.floor(uv[:, 0] * (cfg.W - 1) / cfg.patch), 0, gw - 1).astype(int)
    s = t // cfg.tubelet_t
    return s, i, j


def attention_stats(model, mem, it, cfg) -> list:
    """Per decoder block: entropy and weight on the own slice / 3 x 3 target neighbourhood / target
    token, as multiples of chance (track queries visible in tTgt, and all depth queries)."""
    rec = _AttnRecorder(model)
    try:
        _decode(model, mem, it)
    finally:
        rec.close()
    gh, gw = cfg.H // cfg.patch, cfg.W // cfg.patch
    per = gh * gw
    times = it['times'].numpy()
    nd, n = it['n_depth'], it['n_track']
    # target (u, v) of every query: depth queries = their own point; track queries = gt uv
    tgt_uv = np.concatenate([it['coords'][:nd].numpy(), it['track_uv'].reshape(-1, 2)])
    keep = np.concatenate([np.ones(nd, bool), it['track_vis'].reshape(-1).astype(bool)])
    s_src = times[:, 0] // cfg.tubelet_t
    s_t, i_t, j_t = _token_index(cfg, times[:, 1], tgt_uv)
    out = []
    for w in rec.weights:
        # the tokens the attention reads (the memory may hold more rows, e.g. correlation features)
        n_read = w.shape[-1]
        n_tok = n_read - 1
        w = w[0].mean(0).numpy()[:, 1:]          # heads averaged, aspect token dropped -> [Q, n_tok]
        ent = []
        for head_w in rec.weights[len(out)][0].numpy():   # entropy per head, then averaged
            p = np.clip(head_w, 1e-12, 1)
            ent.append(-(p * np.log(p)).sum(-1))
        ent = np.mean(ent)
        q_idx = np.arange(len(w))
        own = np.stack([w[q, s_src[q] * per:(s_src[q] + 1) * per].sum() for q in q_idx])
        tok = s_t * per + i_t * gw + j_t
        tgt = w[q_idx, tok]
        nb = np.zeros(len(w))
        cnt = np.zeros(len(w))
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                ii, jj = i_t + di, j_t + dj
                ok = (ii >= 0) & (ii < gh) & (jj >= 0) & (jj < gw)
                idx = s_t * per + np.clip(ii, 0, gh - 1) * gw + np.clip(jj, 0, gw - 1)
                nb += np.where(ok, w[q_idx, idx], 0)
                cnt += ok
        out.append({
            'entropyEffTokens': float(math.exp(ent)), 'uniformTokens': int(n_read),
            'ownSliceXChance': float(own[keep].mean() / (per / n_tok)),
            'nbhd3x3XChance': float((nb[keep] / (cnt[keep] / n_tok)).mean()),
            'targetXChance': float(tgt[keep].mean() / (1 / n_tok)),
        })
    return out


@torch.no_grad()
def diagnose(model, cfg_train, clips: int = 16, log=print) -> dict:
    cfg = model.cfg
    val = build_validation(replace(cfg_train, val_clips=clips))
    mems = [model.encoder(it['video'][None], torch.tensor([it['aspect']])) for it in val]
    grey_video = torch.zeros_like(val[0]['video'])     # normalised zeros = the mean grey
    own, swp, grey, nopatch, uv_own, uv_swp, uv_grey = [], [], [], [], [], [], []
    logd, logg = [], []
    attn = []
    shares = []
    for i, it in enumerate(val):
        nd = it['n_depth']
        gt = it['depth_gt']
        dec = _decode(model, mems[i], it)
        z = dec['xyz'][:nd, 2].numpy()
        own.append(depth_metrics(z, gt)['absRel'])
        uv_own.append(_uv_err(dec, it, cfg))
        d2 = _decode(model, mems[(i + 1) % len(val)], it)
        swp.append(depth_metrics(d2['xyz'][:nd, 2].numpy(), gt)['absRel'])
        uv_swp.append(_uv_err(d2, it, cfg))
        gmem = model.encoder(grey_video[None], torch.tensor([it['aspect']]))
        gp = extract_patches(grey_video, it['coords'][:, 0], it['coords'][:, 1], it['times'][:, 0], cfg.query_patch)
        d3 = _decode(model, gmem, it, patches=gp)
        grey.append(depth_metrics(d3['xyz'][:nd, 2].numpy(), gt)['absRel'])
        uv_grey.append(_uv_err(d3, it, cfg))
        d4 = _decode(model, mems[i], it, slice(0, nd), patches=torch.zeros_like(it['patches']))
        nopatch.append(depth_metrics(d4['xyz'][:, 2].numpy(), gt)['absRel'])
        ld = np.log(np.maximum(z, 1e-6))
        lg = np.log(np.maximum(gt, 1e-6))
        logd.append(ld - ld.mean())
        logg.append(lg - lg.mean())
        if i < 4:
            attn.append(attention_stats(model, mems[i], it, cfg))
        parts = model.decoder.query_parts(mems[i], it['coords'][None], it['times'][None], it['patches'][None])
        sq = torch.stack([(p[0] ** 2).sum(-1) for p in parts])          # [parts, Q]
        shares.append((sq / sq.sum(0, keepdim=True)).mean(1).numpy())
        log(f'  clip {i}: absRel own {own[-1]:.3f} swapped {swp[-1]:.3f} grey {grey[-1]:.3f}')
    gap = np.array(swp) - np.array(own)
    names = model.decoder.part_names()
    res = {
        'clips': len(val),
        'absRel': float(np.mean(own)), 'uvErrPx': float(np.mean(uv_own)),
        'swap': {'absRel': float(np.mean(swp)), 'gapAbsRel': float(gap.mean()),
                 'gapAbsRelStdErr': float(gap.std(ddof=1) / math.sqrt(len(gap))) if len(gap) > 1 else float('nan'),
                 'gapUvPx': float(np.mean(uv_swp) - np.mean(uv_own)),
                 'clipsWorse': int((gap > 0).sum())},
        'grey': {'absRel': float(np.mean(grey)), 'uvErrPx': float(np.mean(uv_grey))},
        'patchAblation': {'absRelNoPatch': float(np.mean(nopatch))},
        'posR2': position_r2(np.stack(logd)), 'gtPosR2': position_r2(np.stack(logg)),
        'attention': [{k: float(np.mean([a[b][k] for a in attn])) for k in attn[0][b]} for b in range(len(attn[0]))],
        'queryNorm': {n: float(v) for n, v in zip(names, np.mean(shares, 0))},
    }
    res['encoderProbe'] = encoder_probe(model, cfg_train, clips)
    return res


@torch.no_grad()
def encoder_probe(model, cfg_train, clips: int) -> dict | None:
    """The dense depth head (when trained) on full frames of the validation clips: its position R^2
    and the correlation of its position-free part with the truth's."""
    if not getattr(model, 'aux_trained', False):
        return None
    m = model.cfg
    preds, gts = [], []
    for i in range(clips):
        clip, fn = render_training_clip(VAL_SEED + i, cfg_train)
        mem = model.encoder(fn[None], torch.tensor([clip.aspect]))
        preds.append(model.dense_depth(mem)[0].reshape(-1).numpy())
        gts.append(dense_depth_target(clip.depth, m).reshape(-1).numpy())
    P, G = np.stack(preds), np.stack(gts)
    pr = P - P.mean(1, keepdims=True)
    gr = G - G.mean(1, keepdims=True)
    pres = pr - pr.mean(0, keepdims=True)
    gres = gr - gr.mean(0, keepdims=True)
    corr = float(np.corrcoef(pres.reshape(-1), gres.reshape(-1))[0, 1])
    return {'posR2': position_r2(P), 'gtPosR2': position_r2(G), 'residualCorr': corr,
            'absRel': float(np.mean([depth_metrics(np.exp(p), np.exp(g))['absRel'] for p, g in zip(P, G)]))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', required=True, type=Path)
    ap.add_argument('--clips', type=int, default=16)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--json', type=Path)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, mcfg, st = load_checkpoint(args.ckpt)
    model.aux_trained = any(k.startswith('aux_depth.') for k in st['model']) and \
        float(st['config'].get('waux', 0) or 0) > 0
    cfg_train = replace(preset('cpu'), model=mcfg)
    res = diagnose(model, cfg_train, args.clips, log=lambda s: print(s, file=sys.stderr))
    res['checkpoint'] = str(args.ckpt)
    text = json.dumps(res, indent=2)
    if args.json:
        args.json.write_text(text + '\n')
    print(text)


if __name__ == '__main__':
    main()
