"""OpenD4RT converter: config, safe checkpoint reading, the re-implementation against upstream's
golden outputs (packages/models/fixtures/opend4rt-tiny), and the converted graphs in onnxruntime."""
import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from opend4rt import graph
from opend4rt.checkpoint import CheckpointError, read_state_dict
from opend4rt.config import ConfigError, parse_config, read_config
from opend4rt.convert_opend4rt import convert, main
from opend4rt.fixture import check_model, read_fixture, relative_error, sample_patches, video_input
from opend4rt.model import OUTPUTS, ConversionError, OpenD4rt, load_state

FIXTURE = Path(__file__).resolve().parents[2] / 'packages' / 'models' / 'fixtures' / 'opend4rt-tiny'
node_missing = shutil.which('node') is None
needs_node = pytest.mark.skipif(node_missing, reason='node is needed to run onnxruntime-node')


@pytest.fixture(scope='module')
def fx():
    return read_fixture(FIXTURE)


@pytest.fixture(scope='module')
def model():
    cfg = read_config(FIXTURE / 'model.yaml')
    state, _ = read_state_dict(FIXTURE / 'opend4rt.ckpt')
    m = OpenD4rt(cfg).eval()
    load_state(m, state)
    return m


def tiny_doc() -> dict:
    return yaml.safe_load((FIXTURE / 'model.yaml').read_text())


def full_doc(frames: int) -> dict:
    """The fixture's model.yaml at the released sizes (upstream's checkpoints/*/model.yaml)."""
    doc = tiny_doc()
    m = doc['model']
    m['input'].update(clip_frames=frames, image_size=[256, 256])
    m['encoder'].update(num_layers=40, hidden_dim=1408, num_heads=16)
    m['decoder'].update(num_layers=8, hidden_dim=1280, num_heads=16)
    return doc


# --- config ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('frames,tokens', [(32, 4097), (48, 6145)])
def test_config_resolves_the_released_architectures(frames, tokens):
    cfg = parse_config(full_doc(frames))
    assert (cfg.enc_width, cfg.enc_heads, cfg.enc_layers, cfg.enc_ff) == (1408, 16, 40, 6144)
    assert (cfg.dec_width, cfg.dec_heads, cfg.dec_layers, cfg.dec_ff) == (1280, 16, 8, 4480)
    assert cfg.memory_tokens == tokens and cfg.grid == (frames // 2, 16, 16)
    assert cfg.block_modes()[:3] == ['local', 'global', 'local'] and cfg.camera_grid == (32, 32)


def test_config_fills_upstream_defaults():
    doc = tiny_doc()
    for k in ('hidden_dim', 'num_heads', 'num_layers', 'mlp_ratio'):
        del doc['model']['encoder'][k]
        del doc['model']['decoder'][k]
    doc['model']['input']['image_size'] = [256, 256]
    cfg = parse_config(doc)   # vit-g defaults; decoder width = encoder width, heads = min(16, width / 64)
    assert (cfg.enc_width, cfg.enc_layers, cfg.dec_width, cfg.dec_heads, cfg.dec_layers) == (1408, 40, 1408, 16, 8)


@pytest.mark.parametrize('edit,message', [
    (lambda m: m['encoder'].update(rope=True), 'model.encoder.rope is not a key this converter understands'),
    (lambda m: m['decoder'].update(query_self_attention=True), 'model.decoder.query_self_attention (True)'),
    (lambda m: m['input'].update(image_size=[64, 100]), 'must be multiples of model.encoder.patch_size_t_h_w'),
    (lambda m: m['query_embedding']['uv_encoding'].update(num_bands=6), 'uv_encoding.num_bands (6) differs'),
    (lambda m: m['encoder'].update(max_tokens=100), 'model.encoder.max_tokens (100) is below the 112'),
    (lambda m: m['encoder'].update(attention_pattern='swin'), "attention_pattern ('swin') must be one of"),
    (lambda m: m['heads'].update(normal=4), 'model.heads.normal (4) must be 3'),
    (lambda m: m['query_embedding']['local_rgb_patch'].update(enabled=False), 'local_rgb_patch.enabled (false)'),
    (lambda m: m.pop('input'), 'model.input is missing'),
])
def test_config_refuses_what_it_does_not_understand(edit, message):
    doc = tiny_doc()
    edit(doc['model'])
    with pytest.raises(ConfigError) as e:
        parse_config(doc)
    assert message in str(e.value)


# --- checkpoint reader ----------------------------------------------------------------------------

def test_reader_reads_the_weights_torch_load_reads(fx):
    state, info = read_state_dict(FIXTURE / 'opend4rt.ckpt')
    ref = torch.load(FIXTURE / 'opend4rt.ckpt', map_location='cpu')
    assert set(state) == set(ref['model'])
    for k, v in ref['model'].items():
        assert torch.equal(state[k], v), k
    assert info['stateDict'] == 'model' and info['global_step'] == 0


def test_reader_reads_half_precision_and_ddp_prefixes(tmp_path):
    w = torch.randn(5, 3)
    torch.save({'state_dict': {'module.a.weight': w.half(), 'module.b.bias': w[0].bfloat16()}}, tmp_path / 'c.pt')
    state, info = read_state_dict(tmp_path / 'c.pt')
    assert info['stateDict'] == 'state_dict' and set(state) == {'a.weight', 'b.bias'}
    assert state['a.weight'].dtype == torch.float32 and torch.equal(state['a.weight'], w.half().float())
    assert torch.equal(state['b.bias'], w[0].bfloat16().float())


def test_reader_reads_views_with_offsets_and_strides(tmp_path):
    base = torch.arange(24, dtype=torch.float32)
    torch.save({'model': {'t': base.view(4, 6).t()[1:], 'u': base[5:9]}}, tmp_path / 'c.pt')
    state, _ = read_state_dict(tmp_path / 'c.pt')
    assert torch.equal(state['t'], base.view(4, 6).t()[1:]) and torch.equal(state['u'], base[5:9])


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path('/tmp/opend4rt-pwned'),))


def test_reader_never_executes_what_the_pickle_names(tmp_path):
    """A pickle that calls a function when loaded: the reader turns the call into an inert
    placeholder, and the file is refused for having no tensors."""
    target = Path('/tmp/opend4rt-pwned')
    target.unlink(missing_ok=True)
    buf = io.BytesIO()
    pickle.dump({'model': {'w': _Boom()}}, buf, protocol=2)
    with zipfile.ZipFile(tmp_path / 'evil.ckpt', 'w') as z:
        z.writestr('evil/data.pkl', buf.getvalue())
    with pytest.raises(CheckpointError, match='no state dict of tensors'):
        read_state_dict(tmp_path / 'evil.ckpt')
    assert not target.exists()


def test_reader_refuses_legacy_and_non_checkpoint_files(tmp_path):
    (tmp_path / 'x.ckpt').write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='not a zip-format PyTorch checkpoint'):
        read_state_dict(tmp_path / 'x.ckpt')


# --- the re-implementation against upstream's own outputs -----------------------------------------

def test_memory_equals_upstream(fx, model):
    with torch.no_grad():
        mem = model.encode(torch.from_numpy(video_input(fx)), torch.tensor([fx['meta']['aspect']]))
    assert relative_error(mem.numpy(), fx['memory']) <= 1e-5


def test_heads_equal_upstream(fx, model):
    with torch.no_grad():
        out = model.decode(torch.from_numpy(fx['memory']), torch.from_numpy(fx['queryUv'])[None],
                           torch.from_numpy(fx['queryTimes'])[None], torch.from_numpy(fx['patches'])[None])
    for (name, _), o in zip(OUTPUTS, out):
        assert relative_error(o[0].numpy(), fx[name]) <= 1e-5, name


def test_depth_equals_upstream(fx, model):
    """Depth = z of (u, v, k, k, k) on the pixel grid; checked on frames 0 and 5 (patches from the
    SDK's definition, which the next test shows equals upstream's grid_sample)."""
    video = video_input(fx)[0]
    T, _, H, W = video.shape
    ys, xs = np.meshgrid(np.arange(H), np.arange(W), indexing='ij')
    uv = np.stack([xs.ravel() / (W - 1), ys.ravel() / (H - 1)], 1).astype(np.float32)
    for k in (0, 5):
        t = np.full((len(uv), 3), k, np.int64)
        with torch.no_grad():
            xyz = model.decode(torch.from_numpy(fx['memory']), torch.from_numpy(uv)[None], torch.from_numpy(t)[None],
                               torch.from_numpy(sample_patches(video, uv, t[:, 0], 9))[None])[0]
        assert relative_error(xyz[0, :, 2].numpy().reshape(H, W), fx['depth'][k]) <= 1e-5


def test_patch_definition_equals_upstream(fx):
    ours = sample_patches(video_input(fx)[0], fx['queryUv'], fx['queryTimes'][:, 0], 9)
    assert relative_error(ours, fx['patches']) <= 1e-5


def test_load_state_names_the_tensor_that_does_not_fit(model):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    bad = dict(state)
    del bad['decoder.blocks.1.norm_kv.weight']
    with pytest.raises(ConversionError, match="has no tensor 'decoder.blocks.1.norm_kv.weight'"):
        load_state(OpenD4rt(model.cfg), bad)
    bad = {**state, 'encoder.blocks.4.attn.in_proj_weight': torch.zeros(192, 64)}
    with pytest.raises(ConversionError, match=r"tensor 'encoder.blocks.4.attn.in_proj_weight' \[192, 64\] is not part"):
        load_state(OpenD4rt(model.cfg), bad)
    freq = model.query_embedder.uv_encoder.freq
    load_state(OpenD4rt(model.cfg), {**state, 'query_embedder.uv_encoder.frequencies': freq.clone()})  # older checkpoints
    with pytest.raises(ConversionError, match='are not pi 2\\^k'):
        load_state(OpenD4rt(model.cfg), {**state, 'query_embedder.uv_encoder.frequencies': freq * 2})
    bad = {**state, 'heads.uv_head.weight': torch.zeros(2, 64)}
    with pytest.raises(ConversionError, match=r"'heads.uv_head.weight' has shape \[2, 64\]; .* needs \[2, 48\]"):
        load_state(OpenD4rt(model.cfg), bad)


# --- conversion -----------------------------------------------------------------------------------

def _convert(tmp_path, **kw):
    return convert(FIXTURE / 'opend4rt.ckpt', FIXTURE / 'model.yaml', tmp_path / 'model', log=lambda *_: None, **kw)


def test_memory_kv_is_what_decode_reads(fx, model):
    """decode = decode_kv of memory_kv: the K/V once per scene changes nothing."""
    coords, times, patches = (torch.from_numpy(fx[k])[None] for k in ('queryUv', 'queryTimes', 'patches'))
    memory = torch.from_numpy(fx['memory'])
    with torch.no_grad():
        kv = model.memory_kv(memory)
        a = model.decode(memory, coords, times, patches)
        b = model.decode_kv(coords, times, patches, kv)
    assert [tuple(t.shape) for t in kv[:2]] == [(1, 4, 12, 113), (1, 4, 113, 12)] and len(kv) == 4
    for x, y in zip(a, b):
        assert torch.equal(x, y)


@needs_node
def test_fp32_graphs_match_upstream_in_onnxruntime(tmp_path, fx):
    out = _convert(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ['decoder.onnx', 'encoder.onnx', 'kv.onnx', 'manifest.json']
    errors = check_model(out, fx)
    print('fp32 relative errors', errors)
    for k in ('memory', *[o for o, _ in OUTPUTS]):
        assert errors[k] <= 1e-4, (k, errors)
    man = json.loads((out / 'manifest.json').read_text())
    assert man['files'] == {'encoder': 'encoder.onnx', 'decoder': 'decoder.onnx', 'kv': 'kv.onnx'}
    assert man['kv']['inputs'] == {'memory': {'dtype': 'float32', 'shape': [1, 113, 48]}}
    assert list(man['kv']['outputs']) == ['k0', 'v0', 'k1', 'v1']
    assert man['kv']['outputs']['k1'] == {'dtype': 'float32', 'shape': [1, 4, 12, 113]}
    assert man['kv']['outputs']['v1'] == {'dtype': 'float32', 'shape': [1, 4, 113, 12]}
    assert list(man['decoder']['inputs']) == ['coords', 'times', 'patches', 'k0', 'v0', 'k1', 'v1']
    assert man['decoder']['inputs']['k0'] == man['kv']['outputs']['k0']
    assert man['memory'] == {'tokens': 113, 'channels': 48}
    assert man['decoder']['outputs']['uv'] == {'dtype': 'float32', 'shape': [1, 'Q', 2], 'decode': 'direct'}
    assert man['decoder']['outputs']['normal']['decode'] == 'normalize'
    assert man['clip'] == {'frames': 8, 'height': 64, 'width': 112, 'frameSelection': 'round-linspace',
                           'resize': 'opencv-area-linear', 'aspect': 'source'}
    for role in ('encoder', 'kv', 'decoder'):
        assert man['hashes'][role]['bytes'] == (out / man['files'][role]).stat().st_size
    assert man['info']['parameters'] == 388029 and man['info']['dtype'] == 'fp32' and man['info']['trainedSteps'] == 0
    assert man['cameras'] == {'recipe': 'opend4rt', 'grid': 32}


@needs_node
def test_no_kv_writes_a_decoder_that_takes_the_memory(tmp_path, fx):
    out = _convert(tmp_path, kv=False)
    assert sorted(p.name for p in out.iterdir()) == ['decoder.onnx', 'encoder.onnx', 'manifest.json']
    errors = check_model(out, fx)
    for k in ('memory', *[o for o, _ in OUTPUTS]):
        assert errors[k] <= 1e-4, (k, errors)
    man = json.loads((out / 'manifest.json').read_text())
    assert 'kv' not in man and 'kv' not in man['files'] and 'kv' not in man['hashes']
    assert list(man['decoder']['inputs']) == ['memory', 'coords', 'times', 'patches']


@needs_node
@pytest.mark.parametrize('dtype,limit,shrink', [('fp16', 2e-3, 0.6), ('int8', 6e-2, 0.45)])
def test_smaller_dtypes_stay_close(tmp_path, fx, dtype, limit, shrink):
    out = _convert(tmp_path, dtype=dtype)
    errors = check_model(out, fx)
    print(dtype, 'relative errors', errors)
    for k in ('memory', *[o for o, _ in OUTPUTS]):
        assert errors[k] <= limit, (k, errors)
    size = (out / 'encoder.onnx').stat().st_size
    assert size < shrink * 1.34e6, size   # the fp32 encoder is 1.34 MB
    assert json.loads((out / 'manifest.json').read_text())['info']['dtype'] == dtype


@needs_node
def test_external_data(tmp_path, fx):
    out = _convert(tmp_path, external='always')
    man = json.loads((out / 'manifest.json').read_text())
    assert man['files']['externalData'] == {'encoder': ['encoder.onnx.data'], 'kv': ['kv.onnx.data'],
                                            'decoder': ['decoder.onnx.data']}
    assert man['hashes']['externalData']['encoder.onnx.data']['bytes'] == (out / 'encoder.onnx.data').stat().st_size
    assert (out / 'encoder.onnx').stat().st_size < 100_000
    errors = check_model(out, fx)
    assert max(errors[k] for k in ('memory', 'xyz', 'uv')) <= 1e-4, errors


def test_failed_conversion_leaves_nothing(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise RuntimeError('disk full')
    monkeypatch.setattr(graph, 'save', fail)
    with pytest.raises(RuntimeError, match='disk full'):
        _convert(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_bad_config_and_writes_nothing(tmp_path, capsys):
    doc = tiny_doc()
    doc['model']['decoder']['hidden_dim'] = 64
    (tmp_path / 'model.yaml').write_text(yaml.safe_dump(doc))
    code = main([str(FIXTURE / 'opend4rt.ckpt'), str(tmp_path / 'model.yaml'), '-o', str(tmp_path / 'out')])
    assert code == 2
    assert "tensor 'memory_proj.weight' [48, 64] is not part of the architecture" in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
