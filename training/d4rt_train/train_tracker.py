"""Trains the trajectory decoder (:mod:`d4rt_train.tracker`) on top of the frozen D4RT-tiny encoder.

    /usr/bin/python3 -m d4rt_train.train_tracker --out runs/tracker --max-minutes 40 [--resume]
    /usr/bin/python3 -m d4rt_train.train_tracker --out runs/abl-noglobal --max-minutes 9 --set use_global=false

The encoder (and the query decoder's dense depth head and correlation temperature, which the
tracker copies) come from ``--encoder`` (default ``checkpoints/d4rt-tiny.pt``) and stay frozen: the
memory and the feature layers of each training clip are computed once, with no gradient, when the
clip enters the pool. Why frozen: (1) both decoders must read the same encoder outputs, so the
shipped query decoder (trained on this encoder) keeps its answers and the SDK runs one encoder for
both; (2) on 2 CPU cores, backpropagating through the encoder would cost several times the
tracker's own step, and the encoder features of a clip could not be computed once and reused.

Data: the synthetic scenes of :mod:`d4rt_train.train` (``render_training_clip``, seeds counted up
from 0), a pool of ``pool`` clips with one re-rendered every ``refresh_every`` steps; per step
``batch`` clips with ``points`` query points each (the point count varies per step between
``min_points`` and ``points``, so the self-attention across trajectories sees sets of varying size),
sampled by :func:`d4rt_train.clip_io.sample_tracks` (half of them on objects, the fixture
protocol's sampling), answered exactly for every frame in that frame's camera. Losses: those of the
query decoder (:func:`d4rt_train.losses.d4rt_loss`: 3D L1 on signed log with confidence weighting,
2D two-hot cross-entropy + soft-argmax L1, visibility BCE) over every (point, frame).

Writes ``last.pt`` (resumable), ``log.jsonl`` (train losses every 10 steps; validation AJ, APD3D,
OA, 2D <delta_avg on fixed clips every ``val_minutes``) and ``config.json``. The LR follows a
warm-up and a cosine decay over ``max_minutes`` of wall time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch

from .clip_io import sample_tracks
from .config import preset
from .export import load_checkpoint
from .losses import d4rt_loss
from .metrics import tapvid3d_metrics
from .model import decode_outputs
from .tracker import Tracker, TrackerConfig, count_trainable, tracker_config_from_dict
from .train import VAL_SEED, render_training_clip

TRAINING_DIR = Path(__file__).resolve().parents[1]
DEFAULT_ENCODER = TRAINING_DIR / 'checkpoints' / 'd4rt-tiny.pt'


@dataclass(frozen=True)
class TrackerTrainConfig:
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    batch: int = 2                    # clips per step
    points: int = 256                 # query points per clip (at most)
    min_points: int = 64
    lr: float = 5e-4
    min_lr: float = 2e-5
    warmup: int = 100
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    pool: int = 64
    refresh_every: int = 2
    conf_alpha: float = 0.2
    w3d: float = 1.0
    w2d: float = 0.5
    wvis: float = 0.2
    val_clips: int = 4
    val_points: int = 256
    val_minutes: float = 4.0
    ckpt_minutes: float = 2.0
    max_minutes: float = 40.0
    steps: int = 10 ** 9
    threads: int = 1
    seed: int = 0


def lr_at(step: int, cfg: TrackerTrainConfig, minutes: float) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = min(1.0, minutes / cfg.max_minutes)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * p))


class FrozenEncoder:
    """The encoder of a D4RT checkpoint, run once per clip without gradient."""

    def __init__(self, path: Path, layers: tuple):
        self.model, self.cfg, _ = load_checkpoint(path)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.layers = tuple(layers)

    @torch.no_grad()
    def __call__(self, video: torch.Tensor, aspect: float):
        mem, layers = self.model.encoder(video[None], torch.tensor([aspect], dtype=torch.float32), layers=self.layers)
        return mem[0], layers[0]


def track_targets(clip, n: int, seed: int) -> dict:
    """n query points of ``clip`` and their exact answers in every frame (frame-major), the 3D points
    divided by the clip's mean depth (the losses' unit)."""
    tr = sample_tracks(clip, n, seed)
    scale = float(clip.depth.mean())
    q = torch.from_numpy(tr['query'])
    return {'coords': q[:, :2].float(), 'frames': q[:, 2].long(),
            'xyz': torch.from_numpy(tr['xyz_camera']).float() / scale, 'uv': torch.from_numpy(tr['uv']).float(),
            'visible': torch.from_numpy(tr['visible']).float(), 'xyz_m': tr['xyz_camera'],
            'fx': float(clip.K[0, 0, 0]), 'fy': float(clip.K[0, 1, 1])}


def delta_avg_2d(pred_uv, gt_uv, gt_vis, W: int, H: int, thresholds=(1, 2, 4, 8, 16)) -> float:
    """TAP-Vid < delta^x_avg: mean over thresholds of the fraction of gt-visible (frame, point)
    pairs whose 2D error, in the 256 x 256 raster (pixel coordinates x = u (W - 1) scaled by 256 / W,
    likewise y), is below the threshold. pred_uv, gt_uv [T, N, 2] normalised, gt_vis [T, N]; every
    frame is evaluated (as the 3D metrics here)."""
    d = (np.asarray(pred_uv, np.float64) - np.asarray(gt_uv, np.float64)) * np.array([(W - 1) * 256 / W, (H - 1) * 256 / H])
    err = np.linalg.norm(d, axis=-1)
    vis = np.asarray(gt_vis).astype(bool)
    if not vis.any():
        return float('nan')
    return float(np.mean([np.mean(err[vis] < t) for t in thresholds]))


@torch.no_grad()
def validate(tracker: Tracker, val: list, window: int) -> dict:
    tracker.eval()
    acc = {'aj': [], 'apd3d': [], 'oa': [], 'delta2d': []}
    cfg = tracker.cfg
    for it in val:
        raw = tracker(it['memory'][None], it['layers'][None], it['coords'][None], it['frames'][None])
        dec = decode_outputs(*[r[0] for r in raw], window=window)
        tm = tapvid3d_metrics(dec['xyz'].numpy().astype(np.float64), it['xyz_m'].astype(np.float64),
                              dec['visibility'].numpy() > 0.5, it['visible'].numpy() > 0.5, it['fx'], it['fy'])
        for k in ('aj', 'apd3d', 'oa'):
            acc[k].append(tm[k])
        acc['delta2d'].append(delta_avg_2d(dec['uv'].numpy(), it['uv'].numpy(), it['visible'].numpy(), cfg.W, cfg.H))
    tracker.train()
    return {k: float(np.mean(v)) for k, v in acc.items()}


def train_tracker(cfg: TrackerTrainConfig, out: Path, encoder: Path = DEFAULT_ENCODER, resume: bool = False,
                  log=print) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    enc = FrozenEncoder(encoder, cfg.tracker.layers)
    mcfg = enc.cfg
    tcfg_train = preset('cpu')
    tcfg_train = replace(tcfg_train, model=mcfg)
    tracker = Tracker(mcfg, cfg.tracker).init_from_decoder(enc.model.decoder)
    opt = torch.optim.AdamW(tracker.trainable_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    step, seed_counter, minutes0 = 0, cfg.seed * 1_000_003, 0.0
    ckpt = out / 'last.pt'
    if resume and ckpt.exists():
        st = torch.load(ckpt)
        tracker.load_state_dict(st['tracker'])
        opt.load_state_dict(st['opt'])
        step, seed_counter, minutes0 = st['step'], st['seed_counter'], st['minutes']
        log(f'resumed from {ckpt} at step {step} ({minutes0:.1f} min)')
    (out / 'config.json').write_text(json.dumps({'train': asdict(cfg), 'encoder': str(encoder)}, indent=2))
    log(f'tracker: {count_trainable(tracker):,} trainable parameters; encoder {encoder} frozen')

    def make_item(seed):
        clip, fn = render_training_clip(seed, tcfg_train)
        mem, layers = enc(fn, clip.aspect)
        return {'clip': clip, 'memory': mem, 'layers': layers}

    pool = []
    for _ in range(cfg.pool):
        pool.append(make_item(seed_counter))
        seed_counter += 1
    val = []
    for i in range(cfg.val_clips):
        it = make_item(VAL_SEED + i)
        it.update(track_targets(it['clip'], cfg.val_points, VAL_SEED + i))
        del it['clip']
        val.append(it)
    log(f'pool of {len(pool)} clips and {len(val)} validation clips ready')
    rng = random.Random(cfg.seed * 7919 + step)
    log_f = (out / 'log.jsonl').open('a')
    t_start = time.time()
    elapsed = minutes0
    last_val, last_ckpt = elapsed, elapsed
    res = {}

    def save():
        tmp = out / 'last.pt.tmp'
        torch.save({'tracker': tracker.state_dict(), 'opt': opt.state_dict(), 'step': step,
                    'seed_counter': seed_counter, 'minutes': elapsed, 'tracker_config': asdict(cfg.tracker),
                    'train_config': asdict(cfg), 'model_config': asdict(mcfg), 'encoder': str(encoder)}, tmp)
        os.replace(tmp, ckpt)

    tracker.train()
    while step < cfg.steps:
        for grp in opt.param_groups:
            grp['lr'] = lr_at(step, cfg, elapsed)
        n = rng.randint(cfg.min_points // 32, cfg.points // 32) * 32
        items = [pool[rng.randrange(len(pool))] for _ in range(cfg.batch)]
        tg = [track_targets(it['clip'], n, rng.randrange(1 << 30)) for it in items]
        mem = torch.stack([it['memory'] for it in items])
        layers = torch.stack([it['layers'] for it in items])
        cat = lambda k: torch.stack([t[k] for t in tg])
        out_ = tracker(mem, layers, cat('coords'), cat('frames'))
        batch = {'xyz': cat('xyz'), 'uv': cat('uv'), 'visible': cat('visible')}
        loss, parts = d4rt_loss(out_, batch, cfg.conf_alpha, cfg.w3d, cfg.w2d, cfg.wvis, mcfg.uv_window)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tracker.trainable_parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        if step % cfg.refresh_every == 0:
            pool[rng.randrange(len(pool))] = make_item(seed_counter)
            seed_counter += 1
        elapsed = minutes0 + (time.time() - t_start) / 60
        if step % 10 == 0 or step == 1:
            rec = {'kind': 'train', 'step': step, 'lr': lr_at(step, cfg, elapsed), 'min': elapsed, 'points': n, **parts}
            log_f.write(json.dumps(rec) + '\n'); log_f.flush()
            if step % 50 == 0 or step == 1:
                log(f"step {step} {elapsed:.1f} min loss {parts['loss']:.4f} l3d {parts['l3d']:.4f} "
                    f"l2d {parts['l2d']:.3f} lvis {parts['lvis']:.3f}")
        stop = elapsed > cfg.max_minutes or step >= cfg.steps
        if elapsed - last_val >= cfg.val_minutes or stop:
            last_val = elapsed
            res = validate(tracker, val, mcfg.uv_window)
            log_f.write(json.dumps({'kind': 'val', 'step': step, 'min': elapsed, **res}) + '\n'); log_f.flush()
            log(f'val step {step}: ' + ' '.join(f'{k} {v:.4f}' for k, v in res.items()))
        if elapsed - last_ckpt >= cfg.ckpt_minutes or stop:
            last_ckpt = elapsed
            save()
        if stop:
            break
    log_f.close()
    save()
    return {'step': step, 'minutes': elapsed, 'val': res}


def load_tracker(path: Path, model_cfg=None):
    """(Tracker, TrackerConfig, state) from a ``train_tracker`` checkpoint (``last.pt`` or the
    committed weights-only file)."""
    st = torch.load(path, map_location='cpu')
    from .config import model_from_dict
    mcfg = model_cfg or model_from_dict(st['model_config'])
    tcfg = tracker_config_from_dict(st['tracker_config'])
    tr = Tracker(mcfg, tcfg)
    tr.load_state_dict({k: v.float() for k, v in st['tracker'].items()})
    return tr.eval(), tcfg, st


def release(src: Path, dst: Path) -> None:
    """Writes the weights-only tracker checkpoint (no optimiser state) to ``dst``."""
    st = torch.load(src, map_location='cpu')
    keep = {k: st[k] for k in ('tracker', 'step', 'minutes', 'tracker_config', 'train_config', 'model_config')}
    keep['encoder'] = 'checkpoints/d4rt-tiny.pt'
    tmp = dst.with_suffix('.tmp')
    torch.save(keep, tmp)
    os.replace(tmp, dst)


def apply_overrides(cfg: TrackerTrainConfig, items) -> TrackerTrainConfig:
    top, trk = {}, {}
    tnames = {f.name for f in fields(TrackerConfig)}
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
        if key in tnames:
            trk[key] = val
        elif key in {f.name for f in fields(TrackerTrainConfig)}:
            top[key] = val
        else:
            raise SystemExit(f'--set: {key!r} is not a field of TrackerConfig or TrackerTrainConfig')
    return replace(cfg, tracker=replace(cfg.tracker, **trk), **top)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, type=Path)
    ap.add_argument('--encoder', type=Path, default=DEFAULT_ENCODER)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--max-minutes', type=float)
    ap.add_argument('--steps', type=int)
    ap.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                    help='a TrackerConfig field (use_global=false, stages=3) or a TrackerTrainConfig field')
    ap.add_argument('--release', type=Path, metavar='DST', help='only write the weights-only checkpoint of --out/last.pt to DST')
    args = ap.parse_args(argv)
    if args.release:
        release(args.out / 'last.pt', args.release)
        return
    cfg = TrackerTrainConfig()
    over = {k: v for k, v in {'max_minutes': args.max_minutes, 'steps': args.steps}.items() if v is not None}
    cfg = apply_overrides(replace(cfg, **over), args.set)
    res = train_tracker(cfg, args.out, encoder=args.encoder, resume=args.resume, log=lambda s: print(s, flush=True))
    print(json.dumps(res))


if __name__ == '__main__':
    main()
