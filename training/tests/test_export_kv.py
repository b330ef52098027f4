"""The K/V variant of the d4rt-tiny export (``export_model(..., kv=True)``): the decoder fed the K/V
graph's outputs answers as the decoder fed the memory, in PyTorch and in onnxruntime."""
import json
import shutil
from dataclasses import replace

import pytest
import torch

from d4rt_train.config import preset
from d4rt_train.export import _KV, _DecKV, export_model, kv_names, parity
from d4rt_train.model import D4RT

node_missing = shutil.which('node') is None

CONFIGS = {
    'v2': {},
    'v2-slice': {'dec_attn': 'tg'},
    'corr': {'depth_decoder': 'unet', 'width': 128, 'track_refine': True, 'dec_depth': 2, 'corr_track': True},
    'narrow-decoder': {'dec_width': 64},
}


def _model(options):
    cfg = replace(preset('tiny').model, **options)
    torch.manual_seed(0)
    model = D4RT(cfg).eval()
    for p in model.parameters():   # zero-initialised layers would hide parts of the graph
        if float(p.abs().sum()) == 0:
            torch.nn.init.normal_(p, std=0.1)
    return model, cfg


@pytest.mark.parametrize('options', CONFIGS.values(), ids=CONFIGS.keys())
def test_decoder_from_kv_equals_decoder_from_memory(options):
    model, cfg = _model(options)
    g = torch.Generator().manual_seed(3)
    video = torch.randn(1, cfg.T, 3, cfg.H, cfg.W, generator=g)
    coords, patches = torch.rand(1, 9, 2, generator=g), torch.randn(1, 9, 3 * cfg.query_patch ** 2, generator=g)
    times = torch.randint(0, cfg.T, (1, 9, 3), generator=g)
    with torch.no_grad():
        mem = model.encoder(video, torch.tensor([1.5]))
        kv = _KV(model)(mem)
        a = model.decoder(mem, coords, times, patches)
        b = _DecKV(model)(mem, coords, times, patches, *kv)
        c = model.decoder(mem, coords, times, patches)   # the blocks are restored after _DecKV
    assert len(kv) == cfg.dec_depth and kv[0].shape == (1, 1 + cfg.tubelets, 2 * cfg.dec_width)
    for x, y, z in zip(a, b, c):
        assert torch.equal(x, y) and torch.equal(x, z)


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
@pytest.mark.parametrize('options', [CONFIGS['v2-slice'], CONFIGS['corr']], ids=['v2-slice', 'corr'])
def test_kv_export_and_onnxruntime_parity(tmp_path, options):
    model, cfg = _model(options)
    out = export_model(model, cfg, tmp_path / 'model', kv=True)
    assert sorted(p.name for p in out.iterdir()) == ['decoder.onnx', 'encoder.onnx', 'kv.onnx', 'manifest.json']
    man = json.loads((out / 'manifest.json').read_text())
    names = kv_names(cfg)
    assert man['files']['kv'] == 'kv.onnx' and set(man['hashes']) == {'encoder', 'decoder', 'kv'}
    assert list(man['kv']['outputs']) == names
    assert list(man['decoder']['inputs']) == ['memory', 'coords', 'times', 'patches', *names]
    assert man['decoder']['inputs'][names[0]] == {'dtype': 'float32', 'shape': [1, 1 + cfg.tubelets, 2 * cfg.dec_width]}
    diffs = parity(model, cfg, out, q=101)
    scale = diffs.pop('uvLogitScale')
    for k, v in diffs.items():
        assert v < (max(1e-4, 1e-5 * scale) if k == 'uv' else 1e-4), (k, v, diffs)
