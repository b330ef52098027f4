"""Export to d4rt-model/1 and onnxruntime parity (through onnxruntime-node)."""
import hashlib
import json
import shutil
from pathlib import Path

import onnx
import pytest
import torch

from d4rt_train.config import preset
from d4rt_train.export import FORMAT, export_model, load_checkpoint, main, parity, rehash
from d4rt_train.model import D4RT

node_missing = shutil.which('node') is None


V1 = {'stem': 'linear', 'query_norm': False, 'depth_skip': False, 'track_refine': False, 'corr_track': False}
V2_SLICE = {'dec_attn': 'tg'}   # the tiny preset is v2; this adds slice-restricted cross-attention
V3 = {'track_refine': True, 'dec_depth': 2}
UNET = {'depth_decoder': 'unet', 'width': 128, 'track_refine': True, 'dec_depth': 2}
CORR = {**UNET, 'corr_track': True}



def assert_parity(diffs):
    """Every output within 1e-4; the uv logits within 1e-4 or 1e-5 of their own scale (float32
    rounding of logits in the tens), and the decoded uv within 1e-5."""
    scale = diffs['uvLogitScale']
    for k, v in diffs.items():
        if k == 'uvLogitScale':
            continue
        limit = max(1e-4, 1e-5 * scale) if k == 'uv' else (1e-5 if k == 'uvDecoded' else 1e-4)
        assert v < limit, (k, v, limit, diffs)

@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
@pytest.mark.parametrize('options', [V1, {}, V2_SLICE, V3, UNET, CORR], ids=['v1', 'v2', 'v2-slice', 'v3-refine', 'unet', 'corr'])
def test_export_and_onnxruntime_parity(tmp_path, options):
    from dataclasses import replace
    cfg = replace(preset('tiny').model, **options)
    torch.manual_seed(0)
    model = D4RT(cfg).eval()
    for p in model.parameters():   # zero-initialised layers would hide parts of the graph
        if float(p.abs().sum()) == 0:
            torch.nn.init.normal_(p, std=0.1)
    out = export_model(model, cfg, tmp_path / 'model')
    man = json.loads((out / 'manifest.json').read_text())
    assert man['format'] == FORMAT
    assert man['memory'] == {'tokens': cfg.tokens, 'channels': cfg.width}
    assert man['decoder']['outputs']['uv']['shape'] == [1, 'Q', 2, cfg.uv_bins]
    diffs = parity(model, cfg, out, q=101)
    print('max abs differences', diffs)
    assert_parity(diffs)


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
@pytest.mark.parametrize('graph', ['fast', 'legacy'])
def test_both_decoder_graphs_match_pytorch(tmp_path, graph):
    """--graph fast (fused attention, the target frame's correlation only) and --graph legacy (the
    first export) both give PyTorch's answers; a blocked-attention block ('t') keeps plain ops."""
    from dataclasses import replace
    cfg = replace(preset('tiny').model, **CORR, dec_attn='tg')
    torch.manual_seed(0)
    model = D4RT(cfg).eval()
    for p in model.parameters():
        if float(p.abs().sum()) == 0:
            torch.nn.init.normal_(p, std=0.1)
    out = export_model(model, cfg, tmp_path / 'model', graph=graph)
    ops = {n.op_type for n in onnx.load(str(out / 'decoder.onnx')).graph.node}
    assert ('MultiHeadAttention' in ops) == (graph == 'fast')
    assert ('Unique' in ops) == (graph == 'fast')
    assert json.loads((out / 'manifest.json').read_text())['info']['graph'] == graph
    assert_parity(parity(model, cfg, out, q=101))


@pytest.mark.parametrize('batch', [1, 3])
def test_target_frame_correlation_equals_the_masked_softmax(batch):
    """The correlation over the target frame's positions only (one clip: over the frames the
    queries target) is the first export's softmax over every frame with -1e4 off the target."""
    from dataclasses import replace
    from d4rt_train.model import Decoder
    cfg = replace(preset('tiny').model, **CORR)
    torch.manual_seed(1)
    model = D4RT(cfg).eval()
    g = torch.Generator().manual_seed(2)
    memory = torch.randn(batch, cfg.tokens, cfg.width, generator=g)
    coords = torch.rand(batch, 50, 2, generator=g)
    times = torch.randint(0, cfg.T, (batch, 50, 3), generator=g)
    times[:, :20, 1] = 3      # repeated target frames, as in a chunk of dense queries
    with torch.no_grad():
        new = model.decoder.correlate(memory, coords, times)
        Decoder.legacy_correlation = True
        try:
            old = model.decoder.correlate(memory, coords, times)
        finally:
            Decoder.legacy_correlation = False
    for a, b in zip(new, old):
        assert torch.allclose(a, b, atol=1e-5), float((a - b).abs().max())


def test_unknown_graph_is_named():
    cfg = preset('tiny').model
    with pytest.raises(ValueError, match="graph \\('fused'\\) must be one of fast, legacy"):
        export_model(D4RT(cfg).eval(), cfg, Path('/nonexistent/never-written'), graph='fused')


def test_failed_export_leaves_nothing(tmp_path):
    cfg = preset('tiny').model
    model = D4RT(cfg).eval()
    model.decoder.head_uv = None  # breaks the decoder export mid-way
    with pytest.raises(Exception):
        export_model(model, cfg, tmp_path / 'model')
    assert list(tmp_path.iterdir()) == []



def test_export_over_a_model_folder_keeps_its_other_files(tmp_path):
    # a model folder also holds its card, evaluations and pictures: only the exported files change
    cfg = preset('tiny').model
    out = tmp_path / 'model'
    export_model(D4RT(cfg).eval(), cfg, out)
    (out / 'MODEL_CARD.md').write_text('card')
    (out / 'extra').mkdir()
    (out / 'extra' / 'figure.png').write_bytes(b'png')
    before = (out / 'encoder.onnx').read_bytes()
    torch.manual_seed(1)
    export_model(D4RT(cfg).eval(), cfg, out)
    assert (out / 'MODEL_CARD.md').read_text() == 'card'
    assert (out / 'extra' / 'figure.png').read_bytes() == b'png'
    assert (out / 'encoder.onnx').read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model']

def digest(path):
    data = Path(path).read_bytes()
    return {'sha256': hashlib.sha256(data).hexdigest(), 'bytes': len(data)}


def test_export_writes_each_graphs_sha256_and_size(tmp_path):
    cfg = preset('tiny').model
    out = export_model(D4RT(cfg).eval(), cfg, tmp_path / 'model')
    man = json.loads((out / 'manifest.json').read_text())
    assert list(man)[:4] == ['format', 'name', 'files', 'hashes']
    assert man['hashes'] == {role: digest(out / name) for role, name in man['files'].items()}


def test_rehash_rewrites_only_the_hashes(tmp_path, capsys):
    cfg = preset('tiny').model
    out = export_model(D4RT(cfg).eval(), cfg, tmp_path / 'model')
    before = json.loads((out / 'manifest.json').read_text())
    decoder = out / 'decoder.onnx'
    decoder.write_bytes(decoder.read_bytes() + b'\0')   # a graph replaced by hand
    del before['hashes']['encoder']                       # and a damaged entry
    (out / 'manifest.json').write_text(json.dumps(before))
    main(['--rehash', str(out)])
    after = json.loads((out / 'manifest.json').read_text())
    assert list(after) == list(before)
    assert after['hashes'] == {'encoder': digest(out / 'encoder.onnx'), 'decoder': digest(decoder)}
    assert {k: v for k, v in after.items() if k != 'hashes'} == {k: v for k, v in before.items() if k != 'hashes'}
    assert f"decoder: {digest(decoder)['bytes']} bytes, sha256 {digest(decoder)['sha256']}" in capsys.readouterr().out
    # a manifest written before hashes existed gets them after its files
    legacy = {k: v for k, v in after.items() if k != 'hashes'}
    (out / 'manifest.json').write_text(json.dumps(legacy))
    assert rehash(out) == after['hashes']
    assert list(json.loads((out / 'manifest.json').read_text()))[:4] == ['format', 'name', 'files', 'hashes']


SHIPPED = Path(__file__).resolve().parents[2] / 'packages' / 'models' / 'd4rt-tiny'
SHIPPED_FP32 = SHIPPED.with_name('d4rt-tiny-fp32')


@pytest.mark.parametrize('folder', [SHIPPED, SHIPPED_FP32], ids=['d4rt-tiny', 'd4rt-tiny-fp32'])
def test_shipped_manifest_hashes_are_its_graphs(folder):
    man = json.loads((folder / 'manifest.json').read_text())
    assert man['hashes'] == {role: digest(folder / name) for role, name in man['files'].items()}
CKPT = Path(__file__).resolve().parents[1] / 'checkpoints' / 'd4rt-tiny.pt'


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
def test_shipped_model_matches_its_checkpoint():
    """The committed float32 ONNX files are the committed checkpoint: onnxruntime on them vs PyTorch."""
    model, cfg, _ = load_checkpoint(CKPT)
    man = json.loads((SHIPPED_FP32 / 'manifest.json').read_text())
    assert man['config']['local_sample'] == cfg.local_sample
    assert man['memory'] == {'tokens': cfg.tokens, 'channels': cfg.width}
    diffs = parity(model, cfg, SHIPPED_FP32, q=64)
    print('shipped model: max abs differences', diffs)
    assert_parity(diffs)


def test_shipped_int8_model_is_the_float32_one_quantised():
    """d4rt-tiny (the default) is d4rt-tiny-fp32 with its decoder quantised by export --int8 with the
    committed calibration ranges: the same encoder file, and a decoder equal to quantising the
    float32 decoder now (the same nodes, the same int8 weights and scales)."""
    from opend4rt.graph import to_int8_static
    from onnx import numpy_helper
    from d4rt_train.quantize import QUANTISED, load_ranges
    assert digest(SHIPPED / 'encoder.onnx') == digest(SHIPPED_FP32 / 'encoder.onnx')
    want = onnx.load(str(SHIPPED_FP32 / 'decoder.onnx'))
    ranges = load_ranges(CKPT.with_name('d4rt-tiny-int8-ranges.json'))
    # every product the calibration meant to quantise is in the graph, under the name calibrated
    assert set(ranges) == {n.name for n in want.graph.node if n.op_type == 'MatMul' and QUANTISED.match(n.name)}
    assert to_int8_static(want, ranges) == len(ranges)
    got = onnx.load(str(SHIPPED / 'decoder.onnx'))
    assert [(n.op_type, list(n.input), list(n.output)) for n in got.graph.node] == \
        [(n.op_type, list(n.input), list(n.output)) for n in want.graph.node]
    w = {t.name: numpy_helper.to_array(t) for t in want.graph.initializer}
    g = {t.name: numpy_helper.to_array(t) for t in got.graph.initializer}
    assert w.keys() == g.keys()
    for name in w:
        assert w[name].dtype == g[name].dtype and (w[name] == g[name]).all(), name
    man = json.loads((SHIPPED / 'manifest.json').read_text())
    assert man['name'] == 'd4rt-tiny' and man['info']['dtype'].startswith('int8 (decoder: weights per column, activations calibrated')


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
@pytest.mark.parametrize('mode', ['static', 'dynamic'])
def test_int8_static_answers_do_not_depend_on_the_batch(tmp_path, mode):
    """A query answered alone and inside a batch of 200: the same with static int8 (fixed scales),
    not the same with dynamic int8 (one scale per input tensor), which is why static is shipped."""
    import numpy as np
    from d4rt_train.export import example_inputs, ort_run
    from d4rt_train.quantize import calibration_ranges
    model, cfg, _ = load_checkpoint(CKPT)
    ranges = calibration_ranges(model, cfg, clips=1, queries=256) if mode == 'static' else None
    out = export_model(model, cfg, tmp_path / 'm', int8=mode, int8_ranges=ranges)
    video, aspect, coords, times, patches = example_inputs(cfg, q=200, seed=3)
    with torch.no_grad():
        mem = model.encoder(video, aspect).numpy()
    run = lambda k: ort_run(out / 'decoder.onnx', {'memory': mem, 'coords': coords[:, :k].numpy(),
                                                 'times': times[:, :k].numpy(), 'patches': patches[:, :k].numpy()})
    alone, batch = run(1), run(200)
    diff = max(float(np.abs(alone[k][:, 0] - batch[k][:, 0]).max()) for k in ('xyz', 'visibility', 'confidence'))
    if mode == 'static':
        assert diff < 1e-5, diff
    else:
        assert diff > 1e-4, diff


def test_static_int8_needs_ranges():
    cfg = preset('tiny').model
    with pytest.raises(ValueError, match="int8 'static' needs int8_ranges"):
        export_model(D4RT(cfg).eval(), cfg, Path('/nonexistent/never-written'), int8='static')
