"""Trains D4RT-tiny on synthetic 4D clips rendered on the fly.

    /usr/bin/python3 -m d4rt_train.train --preset cpu --out runs/cpu [--resume] [--max-minutes 85]

Clips live in a pool (``pool`` clips; ``refresh`` of them re-rendered every step, so each clip is
seen a few times with fresh queries). Writes to ``--out``: ``last.pt`` (resumable: model,
optimiser, step, data seed counter), ``log.jsonl`` (train losses every 10 steps, validation every
``val_every``), ``curves.png`` and ``config.json``. Validation uses a fixed set of clips (seeds
900_000 + i) and fixed queries, so its curve is comparable across runs.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from .config import TrainConfig, preset, to_dict
from .losses import d4rt_loss, uv_loss
from .metrics import depth_metrics, tapvid3d_metrics
from .model import D4RT, count_parameters, decode_outputs
from .preprocess import extract_patches, normalise, select_frames
from .queries import sample_queries
from .synth import make_scene

VAL_SEED = 900_000


def render_training_clip(seed: int, cfg, device='cpu'):
    """One training clip; 15 % of clips repeat frames (time_map) like short videos padded to T."""
    m = cfg.model
    rng = random.Random(seed)
    scene = make_scene(seed, device=device)
    time_map = None
    if rng.random() < 0.15:
        unique = rng.randint(max(2, m.T // 4), m.T - 1)
        base = np.linspace(0, 1, unique)
        time_map = [float(base[i]) for i in select_frames(unique, m.T)]
    clip = scene.render(m.T, m.H, m.W, time_map=time_map)
    return clip, normalise(clip.frames, m.mean, m.std)


def lr_at(step: int, cfg: TrainConfig, minutes: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to ``min_lr``. Progress is the larger of the step fraction
    and the wall-time fraction of ``max_minutes``, so a time-capped run still ends annealed."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = min(1.0, max((step - cfg.warmup) / max(1, cfg.steps - cfg.warmup), minutes / cfg.max_minutes))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * p))


def make_batch(items, cfg: TrainConfig, g: torch.Generator, device):
    m = cfg.model
    qs = [sample_queries(clip, fn, cfg.queries, m.query_patch, g) for clip, fn in items]
    video = torch.stack([fn for _, fn in items]).to(device)
    aspect = torch.tensor([clip.aspect for clip, _ in items], dtype=torch.float32, device=device)
    cat = lambda name: torch.stack([getattr(q, name) for q in qs]).to(device)
    batch = {k: cat(k) for k in ('coords', 'times', 'patches', 'xyz', 'uv', 'visible')}
    if cfg.waux > 0:
        batch['aux_depth'] = torch.stack([dense_depth_target(clip.depth, m) for clip, _ in items]).to(device)
    return video, aspect, batch


def dense_depth_target(depth: torch.Tensor, m) -> torch.Tensor:
    """depth [T, H, W] -> log(depth / mean depth) per tubelet [S*gh*gw, tt*p*p], laid out (tt, p, p)
    in the order of the memory tokens (the target of the training-only dense depth head)."""
    tt, p = m.tubelet_t, m.patch
    gh, gw = m.H // p, m.W // p
    d = torch.log(depth / depth.mean()).float()
    d = d.reshape(m.T // tt, tt, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5)
    return d.reshape((m.T // tt) * gh * gw, tt * p * p)


def build_validation(cfg: TrainConfig):
    """Fixed validation clips with depth-grid queries and camera-frame track queries."""
    m = cfg.model
    g = torch.Generator().manual_seed(1234)
    out = []
    for i in range(cfg.val_clips):
        clip, fn = render_training_clip(VAL_SEED + i, cfg)
        frames = [0, m.T // 3, (2 * m.T) // 3, m.T - 1]
        gh, gw = m.H // 2, m.W // 2
        ys, xs = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing='ij')
        u = (xs.reshape(-1).float() * 2) / (m.W - 1)
        v = (ys.reshape(-1).float() * 2) / (m.H - 1)
        du = u.repeat(len(frames))
        dv = v.repeat(len(frames))
        dt = torch.tensor(frames).repeat_interleave(u.numel())
        dtimes = torch.stack([dt, dt, dt], -1)
        n = 48
        tu = torch.rand(n, generator=g)
        tv = torch.rand(n, generator=g)
        ts = torch.randint(0, m.T, (n,), generator=g)
        tt = torch.arange(m.T).repeat_interleave(n)
        ttimes = torch.stack([ts.repeat(m.T), tt, tt], -1)
        tu_all, tv_all = tu.repeat(m.T), tv.repeat(m.T)
        gt_d = clip.query(du, dv, dtimes[:, 0], dtimes[:, 1], dtimes[:, 2])
        gt_t = clip.query(tu_all, tv_all, ttimes[:, 0], ttimes[:, 1], ttimes[:, 2])
        coords = torch.cat([torch.stack([du, dv], -1), torch.stack([tu_all, tv_all], -1)])
        times = torch.cat([dtimes, ttimes]).long()
        patches = extract_patches(fn, coords[:, 0], coords[:, 1], times[:, 0], m.query_patch)
        out.append({
            'video': fn, 'aspect': clip.aspect, 'coords': coords, 'times': times, 'patches': patches,
            'n_depth': du.numel(), 'n_track': n, 'depth_gt': gt_d['xyz'][:, 2].numpy(),
            'track_xyz': gt_t['xyz'].reshape(m.T, n, 3).numpy(),
            'track_vis': gt_t['visible'].reshape(m.T, n).numpy(),
            'track_uv': gt_t['uv'].reshape(m.T, n, 2).numpy(),
            'fx': float(clip.K[0, 0, 0]), 'fy': float(clip.K[0, 1, 1]),
        })
    return out


@torch.no_grad()
def validate(model: D4RT, val, cfg: TrainConfig, device, swap: bool = True) -> dict:
    """Validation metrics on the fixed clips, plus two checks that the answers come from the video:

    - ``swapGap``: depth AbsRel with the memory of another clip (the next one) minus with its own
      (patches and queries unchanged): near 0 when the decoder does not read the scene;
    - ``posR2``: the share of the variance of predicted log-depth (each clip's mean removed) that the
      query position (u, v, t) alone explains, i.e. the per-position mean over clips; compare
      ``gtPosR2``, the same for the ground truth.
    """
    model.eval()
    m = cfg.model
    acc = {'absRel': [], 'delta1': [], 'apd3d': [], 'aj': [], 'oa': [], 'uvErrPx': [], 'swapGap': []}
    mems = [model.encoder(it['video'][None].to(device), torch.tensor([it['aspect']], device=device)) for it in val]
    logd, logg = [], []
    for i, it in enumerate(val):
        mem = mems[i]
        raw = model.decoder(mem, it['coords'][None].to(device), it['times'][None].to(device),
                            it['patches'][None].to(device))
        dec = decode_outputs(*[r[0].cpu() for r in raw], window=m.uv_window)
        nd = it['n_depth']
        dm = depth_metrics(dec['xyz'][:nd, 2].numpy(), it['depth_gt'])
        if swap and len(val) > 1:
            other = mems[(i + 1) % len(val)]
            nq = slice(0, nd)
            raw2 = model.decoder(other, it['coords'][None, nq].to(device), it['times'][None, nq].to(device),
                                 it['patches'][None, nq].to(device))
            z2 = torch.exp(raw2[0][0, :, 2].clamp(-8, 8)).cpu().numpy()
            acc['swapGap'].append(depth_metrics(z2, it['depth_gt'])['absRel'] - dm['absRel'])
        ld = np.log(np.maximum(dec['xyz'][:nd, 2].numpy(), 1e-6))
        lg = np.log(np.maximum(it['depth_gt'], 1e-6))
        logd.append(ld - ld.mean())
        logg.append(lg - lg.mean())
        n = it['n_track']
        tx = dec['xyz'][nd:].reshape(m.T, n, 3).numpy()
        tv = (dec['visibility'][nd:] > 0.5).reshape(m.T, n).numpy()
        tm = tapvid3d_metrics(tx, it['track_xyz'], tv, it['track_vis'], it['fx'], it['fy'])
        uv = dec['uv'][nd:].reshape(m.T, n, 2).numpy()
        vis = it['track_vis']
        err = np.abs(uv - it['track_uv']) * np.array([m.W - 1, m.H - 1])
        acc['uvErrPx'].append(float(np.median(np.linalg.norm(err, axis=-1)[vis])) if vis.any() else 0.0)
        for k in ('absRel', 'delta1'):
            acc[k].append(dm[k])
        for k in ('apd3d', 'aj', 'oa'):
            acc[k].append(tm[k])
    model.train()
    res = {k: float(np.mean(v)) for k, v in acc.items() if v}
    res['posR2'] = position_r2(np.stack(logd))
    res['gtPosR2'] = position_r2(np.stack(logg))
    return res


def position_r2(x: np.ndarray) -> float:
    """x [clips, queries] at the same query positions in every clip (each row's mean removed): the
    share of its variance explained by the per-position mean over clips."""
    x = x - x.mean(axis=1, keepdims=True)
    resid = x - x.mean(axis=0, keepdims=True)
    return float(1.0 - (resid ** 2).sum() / max((x ** 2).sum(), 1e-12))


def read_logs(log_paths) -> list:
    """Rows of one or more consecutive runs' log.jsonl (a warm-started run continues the steps
    and minutes of the run before it)."""
    rows, step0, min0 = [], 0, 0.0
    for path in log_paths:
        part = [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]
        for r in part:
            rows.append({**r, 'step': r['step'] + step0, 'min': r['min'] + min0})
        if part:
            step0, min0 = rows[-1]['step'], rows[-1]['min']
    return rows


def plot_curves(log_path, png: Path):
    """Plots losses and validation metrics of ``log_path`` (a path or a list of consecutive runs)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = read_logs(log_path if isinstance(log_path, (list, tuple)) else [log_path])
    tr = [r for r in rows if r['kind'] == 'train']
    va = [r for r in rows if r['kind'] == 'val']
    diag = [k for k in ('swapGap', 'posR2') if any(k in r for r in va)]
    fig, ax = plt.subplots(1, 4 if diag else 3, figsize=(20 if diag else 15, 4))
    for k in ('loss', 'l3d', 'l2d', 'lvis'):
        ax[0].plot([r['step'] for r in tr], [r[k] for r in tr], label=k)
    ax[0].set_yscale('log'); ax[0].set_title('train losses'); ax[0].legend(); ax[0].set_xlabel('step')
    for k in ('absRel',):
        ax[1].plot([r['step'] for r in va], [r[k] for r in va], 'o-', label=k)
    ax[1].set_title('val depth AbsRel (median scale)'); ax[1].set_xlabel('step')
    for k in ('apd3d', 'aj', 'oa', 'delta1'):
        ax[2].plot([r['step'] for r in va], [r[k] for r in va], 'o-', label=k)
    ax[2].set_title('val tracks (TAPVid-3D) and delta1'); ax[2].legend(); ax[2].set_xlabel('step')
    if diag:
        for k in diag:
            pts = [(r['step'], r[k]) for r in va if k in r]
            ax[3].plot([p[0] for p in pts], [p[1] for p in pts], 'o-', label=k)
        ax[3].set_title('val: memory-swap gap (AbsRel), position-only R^2'); ax[3].legend(); ax[3].set_xlabel('step')
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    plt.close(fig)


def _render_worker_init():
    torch.set_num_threads(1)


class ClipSource:
    """Training clips in seed order, rendered inline (``workers`` = 0, deterministic) or by worker
    processes ahead of use, so rendering never starves a fast trainer (a GPU)."""

    def __init__(self, cfg: TrainConfig, first_seed: int, workers: int = 0):
        self.cfg, self.next_seed = cfg, first_seed
        self.pending = collections.deque()
        self.pool = None
        if workers > 0:
            import multiprocessing as mp
            self.pool = mp.get_context('spawn').Pool(workers, initializer=_render_worker_init)
            self.ahead = 4 * workers
            self._fill()

    def _fill(self):
        while len(self.pending) < self.ahead:
            self.pending.append(self.pool.apply_async(render_training_clip, (self.next_seed, self.cfg)))
            self.next_seed += 1

    @property
    def consumed(self) -> int:
        """The seed of the next clip :meth:`take` returns."""
        return self.next_seed - len(self.pending)

    def take(self, block: bool = True):
        """The next clip, or None when ``block`` is false and it is not rendered yet."""
        if self.pool is None:
            self.next_seed += 1
            return render_training_clip(self.next_seed - 1, self.cfg)
        if not block and not self.pending[0].ready():
            return None
        clip = self.pending.popleft().get()
        self._fill()
        return clip

    def close(self):
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None


def train(cfg: TrainConfig, out: Path, resume: bool = False, init_from: Path | None = None, log=print,
          chunk_minutes: float | None = None) -> dict:
    """Trains (or resumes) into ``out``. ``chunk_minutes`` stops this call (with a checkpoint) after
    that much wall time, without touching the schedule, which follows ``cfg.max_minutes`` and
    ``cfg.steps`` over all calls."""
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = D4RT(cfg.model).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            betas=(0.9, 0.98))
    step, seed_counter, minutes0 = 0, cfg.seed * 1_000, 0.0
    ckpt = out / 'last.pt'
    if init_from is not None and not (resume and ckpt.exists()):
        st = torch.load(init_from, map_location=device)
        missing, unexpected = model.load_state_dict(st['model'], strict=False)
        if unexpected:
            raise ValueError(f'--init-from {init_from}: weights {unexpected} do not fit this model')
        seed_counter = st['seed_counter']
        log(f'initialised from {init_from} (step {st["step"]}); new parameters: {missing}')
    if resume and ckpt.exists():
        st = torch.load(ckpt, map_location=device)
        model.load_state_dict(st['model'])
        opt.load_state_dict(st['opt'])
        step, seed_counter, minutes0 = st['step'], st['seed_counter'], st.get('minutes', 0.0)
        log(f'resumed from {ckpt} at step {step}')
    (out / 'config.json').write_text(json.dumps(to_dict(cfg), indent=2))
    log(f'D4RT-tiny: {count_parameters(model):,} parameters, {cfg.model.tokens} memory tokens')
    g = torch.Generator().manual_seed(cfg.seed * 7919 + step)
    source = ClipSource(cfg, seed_counter, cfg.render_workers)
    pool = [source.take() for _ in range(cfg.pool)]
    seed_counter = source.consumed
    val = build_validation(cfg)
    log_f = (out / 'log.jsonl').open('a')
    t_start = time.time()
    last = {}
    elapsed = minutes0

    def save():
        tmp = out / 'last.pt.tmp'
        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step,
                    'seed_counter': seed_counter, 'minutes': elapsed, 'config': to_dict(cfg)}, tmp)
        os.replace(tmp, ckpt)

    model.train()
    while step < cfg.steps:
        for grp in opt.param_groups:
            grp['lr'] = lr_at(step, cfg, elapsed)
        idx = torch.randperm(len(pool), generator=g)[: cfg.batch].tolist()
        video, aspect, batch = make_batch([pool[i] for i in idx], cfg, g, device)
        res = model(video, aspect, batch['coords'], batch['times'], batch['patches'], aux=True)
        loss, parts = d4rt_loss(res['out'], batch, cfg.conf_alpha, cfg.w3d, cfg.w2d, cfg.wvis, cfg.model.uv_window)
        if cfg.waux > 0:
            laux = (res['aux_depth'] - batch['aux_depth']).abs().mean()
            loss = loss + cfg.waux * laux
            parts['laux'] = laux.item()
        if 'uvCorr' in res:   # the correlation's estimate: L1 on visible targets inside the image
            tgt = batch['uv']
            ok = (((tgt >= 0) & (tgt <= 1)).all(-1) & (batch['visible'] > 0.5)).float()
            lcorr = ((res['uvCorr'] - tgt.clamp(0, 1)).abs().sum(-1) * ok).sum() / ok.sum().clamp(min=1)
            loss = loss + 5.0 * cfg.w2d * lcorr
            parts['lcorr'] = lcorr.item()
        if 'uv1' in res:   # deep supervision of the refinement's first 2D estimate
            l2d1 = uv_loss(res['uv1'], batch['uv'], cfg.model.uv_window)
            loss = loss + 0.5 * cfg.w2d * l2d1
            parts['l2d1'] = l2d1.item()
        parts['loss'] = loss.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        for _ in range(cfg.refresh):
            clip = source.take(block=source.pool is None)
            if clip is None:
                break
            pool[int(torch.randint(0, len(pool), (1,), generator=g))] = clip
        seed_counter = source.consumed
        elapsed = minutes0 + (time.time() - t_start) / 60
        if step % 10 == 0 or step == 1:
            rec = {'kind': 'train', 'step': step, 'lr': lr_at(step, cfg, elapsed), 'min': elapsed, **parts}
            log_f.write(json.dumps(rec) + '\n'); log_f.flush()
            if step % 50 == 0 or step == 1:
                log(f"step {step}/{cfg.steps} {elapsed:.1f} min loss {parts['loss']:.4f} l3d {parts['l3d']:.4f} "
                    f"l2d {parts['l2d']:.3f} lvis {parts['lvis']:.3f}")
        stop = elapsed > cfg.max_minutes or (chunk_minutes is not None and (time.time() - t_start) / 60 > chunk_minutes)
        if step % cfg.val_every == 0 or step == cfg.steps or stop:
            last = validate(model, val, cfg, device)
            log_f.write(json.dumps({'kind': 'val', 'step': step, 'min': elapsed, **last}) + '\n'); log_f.flush()
            log(f'val step {step}: ' + ' '.join(f'{k} {v:.4f}' for k, v in last.items()))
            try:
                plot_curves(out / 'log.jsonl', out / 'curves.png')
            except Exception as e:  # plotting is a convenience; training goes on
                log(f'plot failed: {e}')
        if step % cfg.ckpt_every == 0 or step == cfg.steps or stop:
            save()
        if stop:
            log(f'stopping at step {step}: ' + ('--max-minutes reached' if elapsed > cfg.max_minutes
                                                else f'this chunk of {chunk_minutes} min is over'))
            break
    log_f.close()
    source.close()
    save()
    return {'step': step, 'val': last, 'minutes': elapsed}


def apply_overrides(cfg: TrainConfig, items) -> TrainConfig:
    """``KEY=VALUE`` overrides of TrainConfig fields, and of ModelConfig fields as ``model.KEY``."""
    from dataclasses import fields, replace
    top, mod = {}, {}
    for item in items:
        key, sep, raw = item.partition('=')
        if not sep:
            raise SystemExit(f'--set: {item!r} is not KEY=VALUE')
        try:
            val = json.loads(raw)
        except json.JSONDecodeError:
            val = raw
        if isinstance(val, list):
            val = tuple(val)
        target, name = (mod, key[6:]) if key.startswith('model.') else (top, key)
        allowed = {f.name for f in fields(cfg.model if target is mod else cfg)}
        if name not in allowed:
            raise SystemExit(f'--set: {key!r} is not a field; allowed: {sorted(allowed)}')
        target[name] = val
    return replace(cfg, model=replace(cfg.model, **mod), **top)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--preset', default='cpu', choices=['tiny', 'cpu', 'gpu', 'v1'])
    ap.add_argument('--out', required=True, type=Path)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--init-from', type=Path, help='start from these weights (new modules keep their init)')
    ap.add_argument('--steps', type=int)
    ap.add_argument('--batch', type=int)
    ap.add_argument('--queries', type=int)
    ap.add_argument('--max-minutes', type=float)
    ap.add_argument('--lr', type=float)
    ap.add_argument('--warmup', type=int)
    ap.add_argument('--device')
    ap.add_argument('--threads', type=int)
    ap.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                    help='override a TrainConfig field, or a ModelConfig field as model.KEY (JSON value '
                         'or a bare string), e.g. --set waux=1 --set model.stem=conv')
    args = ap.parse_args(argv)
    cfg = preset(args.preset)
    from dataclasses import replace
    over = {k: v for k, v in {'steps': args.steps, 'batch': args.batch, 'queries': args.queries,
                              'max_minutes': args.max_minutes, 'device': args.device, 'lr': args.lr,
                              'warmup': args.warmup, 'threads': args.threads}.items() if v is not None}
    cfg = apply_overrides(replace(cfg, **over), args.set)
    res = train(cfg, args.out, resume=args.resume, init_from=args.init_from, log=lambda s: print(s, flush=True))
    print(json.dumps(res))


if __name__ == '__main__':
    main()
