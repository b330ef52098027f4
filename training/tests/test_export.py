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


def test_shipped_manifest_hashes_are_its_graphs():
    man = json.loads((SHIPPED / 'manifest.json').read_text())
    assert man['hashes'] == {role: digest(SHIPPED / name) for role, name in man['files'].items()}
CKPT = Path(__file__).resolve().parents[1] / 'checkpoints' / 'd4rt-tiny.pt'


@pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')
def test_shipped_model_matches_its_checkpoint():
    """The committed ONNX files are the committed checkpoint: onnxruntime on them vs PyTorch."""
    model, cfg, _ = load_checkpoint(CKPT)
    man = json.loads((SHIPPED / 'manifest.json').read_text())
    assert man['config']['local_sample'] == cfg.local_sample
    assert man['memory'] == {'tokens': cfg.tokens, 'channels': cfg.width}
    diffs = parity(model, cfg, SHIPPED, q=64)
    print('shipped model: max abs differences', diffs)
    assert_parity(diffs)
