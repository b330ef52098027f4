"""A tiny-config training run whose loss falls, and the head math the SDK mirrors."""
import json

import numpy as np
import torch

from d4rt_train.config import preset
from d4rt_train.losses import two_hot
from d4rt_train.model import decode_xyz, encode_xyz, truncated_soft_argmax
from d4rt_train.train import train


def test_log_depth_round_trip():
    xyz = torch.tensor([[0.3, -0.2, 2.0], [-1.0, 0.5, 0.25]])
    assert torch.allclose(decode_xyz(encode_xyz(xyz)), xyz, atol=1e-6)


def test_truncated_soft_argmax_recovers_two_hot_positions():
    bins = 32
    x = torch.tensor([0.0, 0.137, 0.5, 0.9, 1.0])
    logits = torch.log(two_hot(x, bins) + 1e-12)
    assert torch.allclose(truncated_soft_argmax(logits, 3), x, atol=1e-5)


def test_truncation_ignores_far_modes():
    bins = 21
    logits = torch.full((bins,), -5.0)
    logits[5] = 4.0     # main mode at 0.25
    logits[18] = 3.9    # a far second mode that a plain soft-argmax would average in
    pos = truncated_soft_argmax(logits, 2)
    assert abs(pos.item() - 0.25) < 0.01


def test_tiny_training_run_loss_falls(tmp_path):
    cfg = preset('tiny')
    res = train(cfg, tmp_path, log=lambda s: None)
    rows = [json.loads(l) for l in (tmp_path / 'log.jsonl').read_text().splitlines()]
    losses = [r['loss'] for r in rows if r['kind'] == 'train']
    assert res['step'] == cfg.steps
    first, last = np.mean(losses[:2]), np.mean(losses[-2:])
    assert last < 0.8 * first, f'loss did not fall: {first:.4f} -> {last:.4f}'
    assert (tmp_path / 'last.pt').exists() and (tmp_path / 'curves.png').exists()


def test_training_resumes_from_checkpoint(tmp_path):
    from dataclasses import replace
    cfg = replace(preset('tiny'), steps=4, ckpt_every=2)
    train(cfg, tmp_path, log=lambda s: None)
    st = torch.load(tmp_path / 'last.pt')
    assert st['step'] == 4
    msgs = []
    train(replace(cfg, steps=6), tmp_path, resume=True, log=msgs.append)
    assert any('resumed' in m and 'step 4' in m for m in msgs)
    assert torch.load(tmp_path / 'last.pt')['step'] == 6


def test_dense_depth_layout_matches_the_decoders_source_depth():
    """The training-only dense target (per memory token, (tt, p, p)) and the decoder's per-pixel
    lookup (depth_skip) agree: with an identity depth head, the lookup at pixel centres returns
    log(depth / mean depth) of that pixel and frame."""
    from dataclasses import replace
    from d4rt_train.model import Decoder
    from d4rt_train.train import dense_depth_target
    cfg = preset('tiny').model
    cfg = replace(cfg, depth_skip=True, width=cfg.tubelet_t * cfg.patch ** 2)
    dec = Decoder(cfg)
    with torch.no_grad():
        dec.depth_head.weight.copy_(torch.eye(cfg.width))
        dec.depth_head.bias.zero_()
    g = torch.Generator().manual_seed(0)
    depth = 1 + 4 * torch.rand(cfg.T, cfg.H, cfg.W, generator=g)
    memory = torch.cat([torch.zeros(1, cfg.width), dense_depth_target(depth, cfg)])[None]
    t = torch.randint(0, cfg.T, (50,), generator=g)
    y = torch.randint(0, cfg.H, (50,), generator=g)
    x = torch.randint(0, cfg.W, (50,), generator=g)
    coords = torch.stack([x / (cfg.W - 1), y / (cfg.H - 1)], -1)[None].float()
    times = torch.stack([t, t, t], -1)[None]
    got = dec.source_depth(memory, coords, times)[0]
    want = torch.log(depth / depth.mean())[t, y, x]
    assert torch.allclose(got, want, atol=1e-5)


def test_unet_depth_tokens_use_the_dense_target_layout():
    """depth_decoder='unet' packs per-pixel maps into tubelet tokens in the layout of the dense
    depth targets, and the decoder reads them back per pixel."""
    from dataclasses import replace
    from d4rt_train.model import D4RT, depth_to_tokens
    from d4rt_train.train import dense_depth_target
    cfg = replace(preset('tiny').model, depth_decoder='unet', width=128)
    g = torch.Generator().manual_seed(1)
    depth = 1 + 4 * torch.rand(cfg.T, cfg.H, cfg.W, generator=g)
    logd = torch.log(depth / depth.mean())
    assert torch.equal(depth_to_tokens(logd, cfg)[0], dense_depth_target(depth, cfg))
    model = D4RT(cfg).eval()
    memory = torch.cat([torch.zeros(1, 1 + cfg.tubelets, cfg.width), depth_to_tokens(logd, cfg)], 1)
    t = torch.randint(0, cfg.T, (40,), generator=g)
    y = torch.randint(0, cfg.H, (40,), generator=g)
    x = torch.randint(0, cfg.W, (40,), generator=g)
    coords = torch.stack([x / (cfg.W - 1), y / (cfg.H - 1)], -1)[None].float()
    got = model.decoder.source_depth(memory, coords, torch.stack([t, t, t], -1)[None])[0]
    assert torch.allclose(got, logd[t, y, x], atol=1e-5)
    assert torch.equal(model.dense_depth(memory)[0], depth_to_tokens(logd, cfg)[0])


def test_correlation_finds_the_moved_feature():
    """corr_track: a source feature matched against frame tTgt's map lands where that feature moved."""
    import math
    from dataclasses import replace
    from d4rt_train.model import D4RT
    cfg = replace(preset('tiny').model, depth_decoder='unet', width=128, track_refine=True, dec_depth=2,
                  corr_track=True)
    model = D4RT(cfg).eval()
    with torch.no_grad():
        model.decoder.corr_logit_scale.fill_(math.log(1000.0))
    h4, w4, cf = cfg.H // 4, cfg.W // 4, cfg.corr_channels
    g = torch.Generator().manual_seed(2)
    f0 = torch.randn(h4, w4, cf, generator=g)
    frames = [f0, torch.roll(f0, shifts=(1, 2), dims=(0, 1))] + [torch.randn(h4, w4, cf, generator=g)
                                                                  for _ in range(cfg.T - 2)]
    corr = torch.stack(frames).reshape(1, cfg.corr_tokens, cfg.width)
    memory = torch.cat([torch.zeros(1, 1 + 2 * cfg.tubelets, cfg.width), corr], 1)
    i, j = torch.tensor([3, 5, 2]), torch.tensor([4, 1, 7])          # feature positions in frame 0
    u = (4 * j + 1.5) / (cfg.W - 1)
    v = (4 * i + 1.5) / (cfg.H - 1)
    times = torch.tensor([[0, 1, 1]] * 3)[None]
    uv, peak = model.decoder.correlate(memory, torch.stack([u, v], -1)[None], times)
    want = torch.stack([(4 * (j + 2) + 1.5) / (cfg.W - 1), (4 * (i + 1) + 1.5) / (cfg.H - 1)], -1)
    assert torch.allclose(uv[0], want, atol=1e-4) and (peak > 0.99).all()
