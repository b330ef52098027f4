"""The trajectory decoder (tracker): shapes, permutation equivariance over the set of queries, the
ablation flags, the encoder's optional ``layers`` output, export and onnxruntime parity."""
import json
import shutil
from dataclasses import replace

import onnx
import pytest
import torch

from d4rt_train.config import preset
from d4rt_train.export import export_model, tracker_parity
from d4rt_train.losses import d4rt_loss
from d4rt_train.model import D4RT
from d4rt_train.tracker import Tracker, TrackerConfig, count_trainable

node_missing = shutil.which('node') is None
TINY_TRACKER = TrackerConfig(width=32, heads=2, stages=1, layers=(1, 2))


def tiny(tcfg=TINY_TRACKER, seed=0):
    cfg = preset('tiny').model
    torch.manual_seed(seed)
    model = D4RT(cfg).eval()
    tracker = Tracker(cfg, tcfg).init_from_decoder(model.decoder).eval()
    for p in tracker.parameters():   # zero-initialised layers would hide parts of the graph
        if float(p.abs().sum()) == 0:
            torch.nn.init.normal_(p, std=0.1)
    return cfg, model, tracker


def inputs(model, cfg, tcfg, n, seed=1):
    g = torch.Generator().manual_seed(seed)
    video = torch.randn(1, cfg.T, 3, cfg.H, cfg.W, generator=g)
    with torch.no_grad():
        mem, layers = model.encoder(video, torch.tensor([1.5]), layers=tcfg.layers)
    return mem, layers, torch.rand(1, n, 2, generator=g), torch.randint(0, cfg.T, (1, n), generator=g)


def test_encoder_layers_leave_the_memory_unchanged():
    cfg, model, _ = tiny()
    video = torch.randn(1, cfg.T, 3, cfg.H, cfg.W)
    with torch.no_grad():
        mem = model.encoder(video, torch.tensor([1.5]))
        mem2, layers = model.encoder(video, torch.tensor([1.5]), layers=(1, 2))
    assert torch.equal(mem, mem2)
    assert layers.shape == (1, 2, 1 + cfg.tubelets, cfg.width)
    assert torch.equal(layers[:, -1], mem[:, : 1 + cfg.tubelets])   # block `depth` = the final LayerNorm-ed tokens
    with pytest.raises(ValueError, match='layers'):
        model.encoder(video, torch.tensor([1.5]), layers=(2, 1))


@pytest.mark.parametrize('n', [1, 5, 33])
def test_shapes(n):
    cfg, model, tracker = tiny()
    mem, layers, coords, frames = inputs(model, cfg, TINY_TRACKER, n)
    with torch.no_grad():
        xyz, uv, vis, conf = tracker(mem, layers, coords, frames)
    assert xyz.shape == (1, cfg.T, n, 3)
    assert uv.shape == (1, cfg.T, n, 2, cfg.uv_bins)
    assert vis.shape == (1, cfg.T, n) and conf.shape == (1, cfg.T, n)
    assert all(torch.isfinite(t).all() for t in (xyz, uv, vis, conf))


def test_permutation_equivariance():
    """Queries attend to each other (one call = one set), but not to their order: permuting the
    queries permutes the answers."""
    cfg, model, tracker = tiny()
    mem, layers, coords, frames = inputs(model, cfg, TINY_TRACKER, 17)
    perm = torch.randperm(17, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        a = tracker(mem, layers, coords, frames)
        b = tracker(mem, layers, coords[:, perm], frames[:, perm])
    for x, y in zip(a, b):
        torch.testing.assert_close(x[:, :, perm], y, atol=1e-5, rtol=1e-5)


def test_queries_interact_through_the_set():
    """The documented interaction: another query in the same call changes a query's answer (so
    chunking a set changes the answers); with neither branch's self-attention nor the interaction
    module, answers are independent of the set."""
    cfg, model, tracker = tiny()
    mem, layers, coords, frames = inputs(model, cfg, TINY_TRACKER, 9)
    with torch.no_grad():
        full = tracker(mem, layers, coords, frames)[0][:, :, :4]
        part = tracker(mem, layers, coords[:, :4], frames[:, :4])[0]
    assert (full - part).abs().max() > 1e-6
    cfg, model, lonely = tiny(replace(TINY_TRACKER, use_global=False, use_frame=False))
    with torch.no_grad():
        full = lonely(mem, layers, coords, frames)[0][:, :, :4]
        part = lonely(mem, layers, coords[:, :4], frames[:, :4])[0]
    torch.testing.assert_close(full, part, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('flag', ['use_global', 'use_frame', 'use_interaction'])
def test_ablation_flags(flag):
    cfg, model, full = tiny()
    _, _, ab = tiny(replace(TINY_TRACKER, **{flag: False}))
    assert count_trainable(ab) < count_trainable(full)
    part = {'use_global': 'glob', 'use_frame': 'frame', 'use_interaction': 'inter'}[flag]
    assert all(getattr(st, part) is None for st in ab.stages)
    mem, layers, coords, frames = inputs(model, cfg, TINY_TRACKER, 6)
    out = ab(mem, layers, coords, frames)
    assert out[0].shape == (1, cfg.T, 6, 3)
    batch = {'xyz': torch.rand(1, cfg.T, 6, 3) + 0.5, 'uv': torch.rand(1, cfg.T, 6, 2), 'visible': torch.ones(1, cfg.T, 6)}
    loss, _ = d4rt_loss(out, batch, 0.2, 1.0, 0.5, 0.2, cfg.uv_window)
    loss.backward()
    glob_grad = sum(float(p.grad.abs().sum()) for st in ab.stages if st.glob is not None
                    for p in st.glob.parameters() if p.grad is not None)
    if flag != 'use_global':   # without interaction it reaches the outputs only through (kx, ky)
        assert glob_grad > 0


def test_frozen_cues_are_copied_from_the_decoder():
    cfg, model, tracker = tiny()
    assert torch.equal(tracker.depth_head.weight, model.decoder.depth_head.weight)
    assert not tracker.depth_head.weight.requires_grad and not tracker.corr_logit_scale.requires_grad


def test_export_without_tracker_is_unchanged(tmp_path):
    """A model exported without a tracker (every model so far) has no layers output and no tracker."""
    cfg, model, _ = tiny()
    out = export_model(model, cfg, tmp_path / 'model')
    man = json.loads((out / 'manifest.json').read_text())
    assert list(man['encoder']['outputs']) == ['memory']
    assert 'tracker' not in man and 'tracker' not in man['files'] and 'tracker' not in man['hashes']
    assert not (out / 'tracker.onnx').exists()
    assert [o.name for o in onnx.load(str(out / 'encoder.onnx')).graph.output] == ['memory']


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
@pytest.mark.parametrize('graph', ['fast', 'legacy'])
def test_export_with_tracker_and_onnxruntime_parity(tmp_path, graph):
    cfg, model, tracker = tiny()
    out = export_model(model, cfg, tmp_path / 'model', tracker=tracker, graph=graph)
    man = json.loads((out / 'manifest.json').read_text())
    assert man['files']['tracker'] == 'tracker.onnx' and 'tracker' in man['hashes']
    L = len(TINY_TRACKER.layers)
    assert man['encoder']['outputs']['layers']['shape'] == [1, L, 1 + cfg.tubelets, cfg.width]
    assert list(man['tracker']['inputs']) == ['memory', 'layers', 'coords', 'frames']
    assert man['tracker']['inputs']['frames'] == {'dtype': 'int64', 'shape': [1, 'N']}
    assert man['tracker']['outputs']['uv']['shape'] == [1, cfg.T, 'N', 2, cfg.uv_bins]
    assert man['tracker']['outputs']['xyz']['decode'] == 'log-depth'
    assert man['info']['tracker']['encoderLayers'] == list(TINY_TRACKER.layers)
    diffs = tracker_parity(model, cfg, tracker, out, counts=(1, 300))
    print('max abs differences', diffs)
    for k, v in diffs.items():
        if k.startswith('uvLogitScale'):
            continue
        if k.startswith('uv') and not k.startswith('uvDecoded'):   # logits in the hundreds: float32 rounding
            limit = max(2e-4, 1e-5 * diffs['uvLogitScale' + k[2:]])
        else:
            limit = 1e-5 if k.startswith('uvDecoded') else 2e-4
        assert v < limit, (k, v, limit, diffs)
