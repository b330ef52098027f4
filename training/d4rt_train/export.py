"""Exports a trained D4RT-tiny to the SDK's model format ``d4rt-model/1``.

    /usr/bin/python3 -m d4rt_train.export --ckpt runs/cpu/last.pt --out ../packages/models/d4rt-tiny

Writes ``encoder.onnx`` (video [1, T, 3, H, W], aspect [1] -> memory [1, N, C]), ``decoder.onnx``
(memory, coords [1, Q, 2], times int64 [1, Q, 3], patches [1, Q, 3 p p] -> xyz [1, Q, 3],
uv [1, Q, 2, bins], visibility [1, Q], confidence [1, Q]; Q dynamic), both ONNX opset 17, and
``manifest.json`` with each graph's SHA-256 and size in ``hashes`` (the SDK checks downloaded
graphs against them and caches a graph under its hash). The folder is written next to the target
and renamed into place, so a failed export leaves nothing half-written; other files in the folder (a
model card, evaluations) are kept. ``--rehash FOLDER`` only rewrites the ``hashes`` of an existing
model folder from its graph files (after replacing a graph by hand).
``--parity`` runs both graphs in onnxruntime (through
onnxruntime-node, see tools/ort-run.mjs) and in PyTorch on the same inputs and prints the max abs
difference per output.

``--kv`` also writes ``kv.onnx`` (memory -> ``kv<i>`` [1, 1 + tubelets, 2 C]: the output of decoder
block ``i``'s K/V projection of its LayerNorm-ed memory tokens) and a decoder that takes those
besides the memory (which it still reads for its lookups), so the SDK computes them once per scene
instead of once per chunk of queries (``d4rt-model/1``'s optional K/V graph).

``--graph`` picks how the decoder is written (the same weights and answers either way):
``fast`` (default) exports each cross-attention as one ``com.microsoft::MultiHeadAttention`` node
(onnxruntime's fused kernel, on CPU, wasm and WebGPU) and the correlation's softmax over the
target frame's positions only; ``legacy`` writes the first export's graph (MatMul / Softmax
attention, a softmax over every frame's positions with -1e4 off the target frame), kept so that
``d4rt bench --baseline-model`` can measure the speed-up side by side.
``--int8`` quantises the decoder's query-path matrix products to int8: weights per output column,
inputs to uint8 with fixed scales calibrated on rendered clips (``static``, the default; see
:mod:`d4rt_train.quantize`: a query's answer does not depend on its chunk), or on the fly per input
tensor (``--int8 dynamic``, onnxruntime's dynamic quantisation: answers move with the chunk's other
queries). ``--int8-ranges FILE`` reads the calibration ranges from FILE, or calibrates and writes
them there when it does not exist. The encoder stays float32.

``--tracker CKPT`` (a :mod:`d4rt_train.train_tracker` checkpoint) also writes ``tracker.onnx``
(the trajectory decoder, :mod:`d4rt_train.tracker`: memory, layers [1, L, 1 + tubelets, C],
coords [1, N, 2], frames int64 [1, N] -> xyz [1, T, N, 3], uv [1, T, N, 2, bins], visibility and
confidence [1, T, N]; N dynamic), gives the encoder its optional second output ``layers`` (the
token sequences after the tracker's encoder blocks; ``memory`` is unchanged) and lists both in the
manifest (``files.tracker``, ``hashes.tracker``, ``encoder.outputs.layers``, a ``tracker``
section, ``info.tracker``). ``--parity`` then also compares the encoder's ``layers`` and the
tracker (N = 1 and N = 300) in onnxruntime-node with PyTorch.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .config import ModelConfig, model_from_dict
from .model import D4RT, CrossAttention, Decoder, count_parameters, truncated_soft_argmax

FORMAT = 'd4rt-model/1'
OPSET = 17
GRAPHS = ('fast', 'legacy')


class _GraphStyle:
    """Sets how the decoder exports (see the module notes) for the duration of a ``with``."""

    def __init__(self, graph: str):
        if graph not in GRAPHS:
            raise ValueError(f'graph ({graph!r}) must be one of {", ".join(GRAPHS)}')
        self.graph = graph

    def __enter__(self):
        self.saved = (CrossAttention.fused, Decoder.legacy_correlation)
        CrossAttention.fused = self.graph == 'fast'
        Decoder.legacy_correlation = self.graph == 'legacy'

    def __exit__(self, *exc):
        CrossAttention.fused, Decoder.legacy_correlation = self.saved
TRAINING_DIR = Path(__file__).resolve().parents[1]


class _Enc(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, video, aspect):
        return self.m.encoder(video, aspect)


class _EncLayers(nn.Module):
    """The encoder with the feature layers the tracker reads as a second output."""

    def __init__(self, m, layers):
        super().__init__()
        self.m = m
        self.layers = tuple(layers)

    def forward(self, video, aspect):
        return self.m.encoder(video, aspect, layers=self.layers)


class _Dec(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, memory, coords, times, patches):
        return self.m.decoder(memory, coords, times, patches)


class _KV(nn.Module):
    """memory -> per decoder block the output of its K/V projection (``attn.kv``) of its LayerNorm-ed
    (``nm``) memory tokens: what ``Decoder.forward`` and ``DecoderBlock.forward`` compute from the
    memory alone, for every chunk of queries."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, memory):
        d = self.m.decoder
        mem = d.mem_proj(memory[:, : 1 + d.cfg.tubelets])
        return tuple(blk.attn.kv(blk.nm(mem)) for blk in d.blocks)


class _Given(nn.Module):
    """Stands for a module whose output is given: returns ``value`` whatever its input."""

    def __init__(self):
        super().__init__()
        self.value = None

    def forward(self, x):
        return self.value


class _DecKV(nn.Module):
    """The decoder with each block's ``nm`` and ``attn.kv`` replaced by the K/V graph's outputs
    (the rest of the decoder, which still reads the memory, is unchanged)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, memory, coords, times, patches, *kv):
        blocks = self.m.decoder.blocks
        saved = [(blk.nm, blk.attn.kv) for blk in blocks]
        try:
            for blk, value in zip(blocks, kv):
                blk.nm, blk.attn.kv = nn.Identity(), _Given()
                blk.attn.kv.value = value
            return self.m.decoder(memory, coords, times, patches)
        finally:
            for blk, (nm, proj) in zip(blocks, saved):
                blk.nm, blk.attn.kv = nm, proj


def kv_names(cfg: ModelConfig) -> list:
    return [f'kv{i}' for i in range(cfg.dec_depth)]


def example_inputs(cfg: ModelConfig, q: int = 7, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    video = torch.randn(1, cfg.T, 3, cfg.H, cfg.W, generator=g)
    aspect = torch.tensor([1.5])
    coords = torch.rand(1, q, 2, generator=g)
    times = torch.randint(0, cfg.T, (1, q, 3), generator=g)
    patches = torch.randn(1, q, 3 * cfg.query_patch ** 2, generator=g)
    return video, aspect, coords, times, patches


def file_digest(path: Path) -> dict:
    """``{'sha256': <64 lower-case hex digits>, 'bytes': <size>}`` of a file: a manifest's ``hashes`` entry."""
    h = hashlib.sha256()
    size = 0
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
            size += len(chunk)
    return {'sha256': h.hexdigest(), 'bytes': size}


def graph_hashes(folder: Path, files: dict) -> dict:
    """The manifest's ``hashes``: the digest of each graph named by ``files`` (role -> file name)."""
    return {role: file_digest(Path(folder) / name) for role, name in files.items()}


FILES = {'encoder': 'encoder.onnx', 'decoder': 'decoder.onnx'}
KV_FILES = {**FILES, 'kv': 'kv.onnx'}
TRACKER_FILE = 'tracker.onnx'
#: every graph role a model folder may name (in ``files`` order)
ROLES = ('encoder', 'decoder', 'kv', 'tracker')


def tracker_specs(cfg: ModelConfig, n_layers: int) -> tuple[dict, dict]:
    """(the encoder's ``layers`` output spec, the manifest's ``tracker`` section) of a model whose
    tracker reads ``n_layers`` feature layers."""
    T, n, c = cfg.T, cfg.tokens, cfg.width
    layers = {'dtype': 'float32', 'shape': [1, n_layers, 1 + cfg.tubelets, c]}
    section = {
        'inputs': {'memory': {'dtype': 'float32', 'shape': [1, n, c]},
                   'layers': dict(layers),
                   'coords': {'dtype': 'float32', 'shape': [1, 'N', 2]},
                   'frames': {'dtype': 'int64', 'shape': [1, 'N']}},
        'outputs': {'xyz': {'dtype': 'float32', 'shape': [1, T, 'N', 3], 'decode': 'log-depth'},
                    'uv': {'dtype': 'float32', 'shape': [1, T, 'N', 2, cfg.uv_bins],
                           'decode': 'truncated-soft-argmax', 'bins': cfg.uv_bins,
                           'range': [0, 1], 'window': cfg.uv_window},
                    'visibility': {'dtype': 'float32', 'shape': [1, T, 'N'], 'decode': 'sigmoid'},
                    'confidence': {'dtype': 'float32', 'shape': [1, T, 'N'], 'decode': 'sigmoid'}},
    }
    return layers, section


def manifest(cfg: ModelConfig, name: str, extra: dict | None = None, hashes: dict | None = None,
             kv: bool = False, tracker_layers: int = 0) -> dict:
    """The manifest of a model; ``hashes`` (from :func:`graph_hashes`) follows ``files`` when given;
    ``kv``: with the K/V graph (see the module notes); ``tracker_layers`` > 0: with the tracker graph
    (``files.tracker``, the encoder's ``layers`` output of that many feature layers and the
    ``tracker`` section)."""
    T, H, W, p, n, c = cfg.T, cfg.H, cfg.W, cfg.query_patch, cfg.tokens, cfg.width
    kv_specs = {k: {'dtype': 'float32', 'shape': [1, 1 + cfg.tubelets, 2 * cfg.dec_width]} for k in kv_names(cfg)} if kv else {}
    files = dict(KV_FILES if kv else FILES)
    enc_out = {'memory': {'dtype': 'float32', 'shape': [1, n, c]}}
    trk = {}
    if tracker_layers:
        files['tracker'] = TRACKER_FILE
        enc_out['layers'], trk['tracker'] = tracker_specs(cfg, tracker_layers)
    return {
        'format': FORMAT,
        'name': name,
        'files': files,
        **({'hashes': hashes} if hashes is not None else {}),
        'clip': {'frames': T, 'height': H, 'width': W, 'frameSelection': 'round-linspace',
                 'resize': 'bilinear-align-corners-box'},
        'normalization': {'scale': 1 / 255, 'mean': list(cfg.mean), 'std': list(cfg.std)},
        'memory': {'tokens': n, 'channels': c},
        'patch': {'size': p, 'height': H, 'width': W, 'layout': 'chw', 'values': 'normalized'},
        'encoder': {
            'inputs': {'video': {'dtype': 'float32', 'shape': [1, T, 3, H, W]},
                       'aspect': {'dtype': 'float32', 'shape': [1]}},
            'outputs': enc_out,
        },
        **({'kv': {'inputs': {'memory': {'dtype': 'float32', 'shape': [1, n, c]}}, 'outputs': kv_specs}} if kv else {}),
        'decoder': {
            'inputs': {'memory': {'dtype': 'float32', 'shape': [1, n, c]},
                       'coords': {'dtype': 'float32', 'shape': [1, 'Q', 2]},
                       'times': {'dtype': 'int64', 'shape': [1, 'Q', 3]},
                       'patches': {'dtype': 'float32', 'shape': [1, 'Q', 3 * p * p]},
                       **kv_specs},
            'outputs': {'xyz': {'dtype': 'float32', 'shape': [1, 'Q', 3], 'decode': 'log-depth'},
                        'uv': {'dtype': 'float32', 'shape': [1, 'Q', 2, cfg.uv_bins],
                               'decode': 'truncated-soft-argmax', 'bins': cfg.uv_bins,
                               'range': [0, 1], 'window': cfg.uv_window},
                        'visibility': {'dtype': 'float32', 'shape': [1, 'Q'], 'decode': 'sigmoid'},
                        'confidence': {'dtype': 'float32', 'shape': [1, 'Q'], 'decode': 'sigmoid'}},
        },
        **trk,
        'config': {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.__dict__.items()},
        **(extra or {}),
    }


def load_checkpoint(path: Path) -> tuple[D4RT, ModelConfig, dict]:
    st = torch.load(path, map_location='cpu')
    cfg = model_from_dict(st['config']['model'])
    model = D4RT(cfg)
    load_weights(model, st['model'], str(path))
    model.eval()
    return model, cfg, st


def load_weights(model: D4RT, state: dict, source: str) -> None:
    """Loads a checkpoint's weights strictly, except the training-only dense depth head, which
    checkpoints made before it existed do not have (it is not part of the exported model)."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith('aux_depth.')]
    if missing or unexpected:
        raise ValueError(f'{source}: weights do not fit the model: missing {missing}, unexpected {unexpected}')


def export_model(model: D4RT, cfg: ModelConfig, out: Path, name: str = 'd4rt-tiny', extra: dict | None = None,
                 kv: bool = False, graph: str = 'fast', int8: str | None = None, tracker=None,
                 int8_ranges: dict | None = None) -> Path:
    """Exports into ``out`` atomically (temp folder beside it, then rename). Other files already in
    ``out`` (a model card, evaluations, pictures) are kept; ``encoder.onnx``, ``decoder.onnx`` (and
    with ``kv`` ``kv.onnx``) and ``manifest.json`` are replaced. ``graph``: ``'fast'`` or
    ``'legacy'``, ``int8``: ``'static'`` (with ``int8_ranges``, from
    :func:`d4rt_train.quantize.calibration_ranges`) or ``'dynamic'`` quantises the decoder (see the
    module notes). ``tracker``: a
    :class:`d4rt_train.tracker.Tracker` to write as ``tracker.onnx`` (N dynamic), with the
    encoder's extra ``layers`` output. Returns ``out``."""
    style = _GraphStyle(graph)
    if int8 not in (None, 'static', 'dynamic'):
        raise ValueError(f"int8 ({int8!r}) must be None, 'static' or 'dynamic'")
    if int8 == 'static' and not int8_ranges:
        raise ValueError("int8 'static' needs int8_ranges (d4rt_train.quantize.calibration_ranges)")
    model = model.eval().cpu()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}-', dir=out.parent))
    tmp.chmod(0o755)
    try:
        video, aspect, coords, times, patches = example_inputs(cfg)
        ms = {'custom_opsets': {'com.microsoft': 1}} if graph == 'fast' else {}
        with torch.no_grad(), style:
            mem = model.encoder(video, aspect)
            if tracker is None:
                torch.onnx.export(_Enc(model), (video, aspect), str(tmp / 'encoder.onnx'),
                                  input_names=['video', 'aspect'], output_names=['memory'],
                                  opset_version=OPSET, do_constant_folding=True)
            else:
                tracker = tracker.eval().cpu()
                lays = tracker.tcfg.layers
                _, layers = model.encoder(video, aspect, layers=lays)
                torch.onnx.export(_EncLayers(model, lays), (video, aspect), str(tmp / 'encoder.onnx'),
                                  input_names=['video', 'aspect'], output_names=['memory', 'layers'],
                                  opset_version=OPSET, do_constant_folding=True)
                tcoords, tframes = coords[:, :5], times[:, :5, 0]
                tdyn = {'coords': {1: 'N'}, 'frames': {1: 'N'}, 'xyz': {2: 'N'}, 'uv': {2: 'N'},
                        'visibility': {2: 'N'}, 'confidence': {2: 'N'}}
                torch.onnx.export(tracker, (mem, layers, tcoords, tframes), str(tmp / TRACKER_FILE),
                                  input_names=['memory', 'layers', 'coords', 'frames'],
                                  output_names=['xyz', 'uv', 'visibility', 'confidence'], dynamic_axes=tdyn,
                                  opset_version=OPSET, do_constant_folding=True, **ms)
            outs = ['xyz', 'uv', 'visibility', 'confidence']
            dynamic = {k: {1: 'Q'} for k in ('coords', 'times', 'patches', *outs)}
            if kv:
                names = kv_names(cfg)
                torch.onnx.export(_KV(model), (mem,), str(tmp / 'kv.onnx'), input_names=['memory'],
                                  output_names=names, opset_version=OPSET, do_constant_folding=True)
                torch.onnx.export(_DecKV(model), (mem, coords, times, patches, *_KV(model)(mem)),
                                  str(tmp / 'decoder.onnx'), input_names=['memory', 'coords', 'times', 'patches', *names],
                                  output_names=outs, dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, **ms)
            else:
                torch.onnx.export(_Dec(model), (mem, coords, times, patches), str(tmp / 'decoder.onnx'),
                                  input_names=['memory', 'coords', 'times', 'patches'], output_names=outs,
                                  dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, **ms)
        if int8:
            import onnx
            from opend4rt.graph import to_int8_dynamic, to_int8_static
            dec = onnx.load(str(tmp / 'decoder.onnx'))
            n = to_int8_static(dec, int8_ranges) if int8 == 'static' else to_int8_dynamic(dec)
            if n == 0:
                raise ValueError('int8: no MatMul of the decoder was quantised (do the ranges name its nodes?)')
            onnx.save_model(dec, str(tmp / 'decoder.onnx'))
        dtype = {'static': 'int8 (decoder: weights per column, activations calibrated)',
                 'dynamic': 'int8 (decoder: weights per column, activations dynamic)'}.get(int8)
        extra = {**(extra or {}), 'graph': graph, **({'dtype': dtype} if dtype else {})}
        info = {'parameters': count_parameters(model.encoder) + count_parameters(model.decoder), **(extra or {})}
        files = dict(KV_FILES if kv else FILES)
        n_layers = 0
        if tracker is not None:
            from .tracker import tracker_to_dict
            files['tracker'] = TRACKER_FILE
            n_layers = len(tracker.tcfg.layers)
            info['tracker'] = {'parameters': count_parameters(tracker), 'config': tracker_to_dict(tracker.tcfg),
                               'encoderLayers': list(tracker.tcfg.layers),
                               'queries': 'one call = one set of tracks: queries attend to each other '
                                          '(permutation-equivariant); chunks are separate sets'}
        man = manifest(cfg, name, {'info': info}, hashes=graph_hashes(tmp, files), kv=kv, tracker_layers=n_layers)
        (tmp / 'manifest.json').write_text(json.dumps(man, indent=2) + '\n')
        if out.exists():
            # keep what else the folder holds (model card, evaluations, pictures): only the three
            # exported files are replaced
            for entry in out.iterdir():
                if not (tmp / entry.name).exists():
                    if entry.is_dir():
                        shutil.copytree(entry, tmp / entry.name, symlinks=True)
                    else:
                        shutil.copy2(entry, tmp / entry.name, follow_symlinks=False)
            old = out.with_name(f'.{out.name}-old')
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def rehash(folder: Path) -> dict:
    """Rewrites the ``hashes`` of ``folder/manifest.json`` from the graph files it names (the graphs
    are not touched; the other keys keep their order, ``hashes`` follows ``files``). Returns the
    new ``hashes``."""
    folder = Path(folder)
    path = folder / 'manifest.json'
    old = json.loads(path.read_text())
    hashes = graph_hashes(folder, {role: old['files'][role] for role in ROLES if role in old['files']})
    new = {}
    for k, v in old.items():
        if k == 'hashes':
            continue
        new[k] = v
        if k == 'files':
            new['hashes'] = hashes
    tmp = path.with_name('.manifest.json.tmp')
    tmp.write_text(json.dumps(new, indent=2) + '\n')
    tmp.replace(path)
    return hashes


def ort_run(onnx_path: Path, inputs: dict, threads: int = 1) -> dict:
    """Runs one graph in onnxruntime-node; inputs: name -> numpy array (float32 or int64)."""
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        spec = {'model': str(Path(onnx_path).resolve()), 'threads': threads, 'outDir': str(d), 'inputs': {}}
        for k, a in inputs.items():
            a = np.ascontiguousarray(a)
            dtype = 'int64' if a.dtype == np.int64 else 'float32'
            a = a.astype(np.int64 if dtype == 'int64' else np.float32)
            (d / f'in_{k}.bin').write_bytes(a.tobytes())
            spec['inputs'][k] = {'file': str(d / f'in_{k}.bin'), 'dtype': dtype, 'dims': list(a.shape)}
        (d / 'spec.json').write_text(json.dumps(spec))
        subprocess.run(['node', str(TRAINING_DIR / 'tools' / 'ort-run.mjs'), str(d / 'spec.json')],
                       check=True, cwd=TRAINING_DIR)
        meta = json.loads((d / 'outputs.json').read_text())
        res = {}
        for k, v in meta.items():
            if k.startswith('_'):
                res[k] = v
                continue
            res[k] = np.frombuffer(Path(v['file']).read_bytes(), dtype=np.float32).reshape(v['dims']).copy()
        return res


def parity(model: D4RT, cfg: ModelConfig, folder: Path, q: int = 333) -> dict:
    """Max abs difference between onnxruntime and PyTorch, per output, on random inputs; plus
    ``uvDecoded`` (the decoded 2D position, in [0, 1]) and ``uvLogitScale`` (max |uv logit|)."""
    video, aspect, coords, times, patches = example_inputs(cfg, q=q, seed=1)
    with torch.no_grad():
        mem = model.encoder(video, aspect)
        ref = model.decoder(mem, coords, times, patches)
    enc = ort_run(folder / 'encoder.onnx', {'video': video.numpy(), 'aspect': aspect.numpy()})
    feeds = {'memory': mem.numpy(), 'coords': coords.numpy(), 'times': times.numpy(), 'patches': patches.numpy()}
    if (folder / 'kv.onnx').exists():   # a K/V model: the decoder also takes the K/V graph's outputs
        kv = ort_run(folder / 'kv.onnx', {'memory': mem.numpy()})
        feeds.update({k: v for k, v in kv.items() if not k.startswith('_')})
    dec = ort_run(folder / 'decoder.onnx', feeds)
    diffs = {'memory': float(np.abs(enc['memory'] - mem.numpy()).max())}
    for name, r in zip(('xyz', 'uv', 'visibility', 'confidence'), ref):
        diffs[name] = float(np.abs(dec[name] - r.numpy()).max())
    # uv as the SDK reads it (truncated soft-argmax, in [0, 1]): the raw logits can be large (a
    # model with corr_track adds a Gaussian bump of up to ~bins^2 / 2 times its gate), so their
    # absolute difference is not what a user sees
    diffs['uvDecoded'] = float((truncated_soft_argmax(torch.from_numpy(dec['uv']), cfg.uv_window)
                                - truncated_soft_argmax(ref[1], cfg.uv_window)).abs().max())
    diffs['uvLogitScale'] = float(ref[1].abs().max())
    return diffs


def tracker_parity(model: D4RT, cfg: ModelConfig, tracker, folder: Path, counts=(1, 300)) -> dict:
    """Max abs difference between onnxruntime and PyTorch of the encoder's ``layers`` and of every
    tracker output, for each number of queries in ``counts`` (the real encoder output of a random
    video as the tracker's memory and layers); ``uvDecoded<N>``: the decoded 2D positions;
    ``uvLogitScale<N>``: max |uv logit| (the Gaussian bump makes logits large: compare relatively)."""
    video, aspect, _, _, _ = example_inputs(cfg, seed=2)
    lays = tracker.tcfg.layers
    with torch.no_grad():
        mem, layers = model.encoder(video, aspect, layers=lays)
    enc = ort_run(folder / 'encoder.onnx', {'video': video.numpy(), 'aspect': aspect.numpy()})
    diffs = {'memory': float(np.abs(enc['memory'] - mem.numpy()).max()),
             'layers': float(np.abs(enc['layers'] - layers.numpy()).max())}
    g = torch.Generator().manual_seed(3)
    for n in counts:
        coords = torch.rand(1, n, 2, generator=g)
        frames = torch.randint(0, cfg.T, (1, n), generator=g)
        with torch.no_grad():
            ref = tracker(mem, layers, coords, frames)
        got = ort_run(folder / TRACKER_FILE, {'memory': mem.numpy(), 'layers': layers.numpy(),
                                               'coords': coords.numpy(), 'frames': frames.numpy()})
        for name, r in zip(('xyz', 'uv', 'visibility', 'confidence'), ref):
            if got[name].shape != tuple(r.shape):
                raise AssertionError(f'tracker {name}: onnxruntime shape {got[name].shape} != {tuple(r.shape)}')
            diffs[f'{name}{n}'] = float(np.abs(got[name] - r.numpy()).max())
        diffs[f'uvLogitScale{n}'] = float(ref[1].abs().max())
        diffs[f'uvDecoded{n}'] = float((truncated_soft_argmax(torch.from_numpy(got['uv']), cfg.uv_window)
                                        - truncated_soft_argmax(ref[1], cfg.uv_window)).abs().max())
    return diffs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', type=Path)
    ap.add_argument('--out', type=Path)
    ap.add_argument('--name', default='d4rt-tiny')
    ap.add_argument('--parity', action='store_true')
    ap.add_argument('--kv', action='store_true', help='also write kv.onnx, computed once per scene (see the notes)')
    ap.add_argument('--graph', choices=GRAPHS, default='fast', help='how the decoder is written (see the notes)')
    ap.add_argument('--int8', nargs='?', const='static', choices=('static', 'dynamic'),
                    help='quantise the decoder to int8 (see the notes)')
    ap.add_argument('--int8-ranges', type=Path, metavar='FILE',
                    help='calibration ranges for --int8 static: read, or calibrated and written when FILE does not exist')
    ap.add_argument('--tracker', type=Path, metavar='CKPT',
                    help='also write tracker.onnx from this train_tracker checkpoint (and the encoder\'s layers output)')
    ap.add_argument('--rehash', type=Path, metavar='FOLDER',
                    help="only rewrite FOLDER/manifest.json's hashes from its graph files")
    args = ap.parse_args(argv)
    if args.rehash is not None:
        for role, d in rehash(args.rehash).items():
            print(f'{role}: {d["bytes"]} bytes, sha256 {d["sha256"]}')
        return
    if args.ckpt is None or args.out is None:
        ap.error('--ckpt and --out are required (or --rehash FOLDER)')
    model, cfg, st = load_checkpoint(args.ckpt)
    extra = {'trainedSteps': st.get('total_steps', st.get('step'))}
    tracker = None
    if args.tracker is not None:
        from .train_tracker import load_tracker
        tracker, _, tst = load_tracker(args.tracker, cfg)
        extra['trackerSteps'] = tst.get('step')
    ranges = None
    if args.int8 == 'static':
        from .quantize import calibration_ranges, load_ranges, save_ranges
        if args.int8_ranges is not None and args.int8_ranges.exists():
            ranges = load_ranges(args.int8_ranges)
        else:
            ranges = calibration_ranges(model, cfg)
            if args.int8_ranges is not None:
                save_ranges(ranges, args.int8_ranges)
    export_model(model, cfg, args.out, args.name, extra, kv=args.kv, graph=args.graph, int8=args.int8,
                 tracker=tracker, int8_ranges=ranges)
    print(f'exported {args.name} ({count_parameters(model):,} parameters) to {args.out}')
    for f in sorted(args.out.iterdir()):
        print(f'  {f.name}: {f.stat().st_size / 1e6:.2f} MB')
    if args.parity:
        diffs = parity(model, cfg, args.out)
        scale = diffs.pop('uvLogitScale')
        print('onnxruntime vs PyTorch max abs difference: ' + ', '.join(f'{k} {v:.2e}' for k, v in diffs.items())
              + f' (uv logits up to {scale:.3g})')
        if tracker is not None:
            td = tracker_parity(model, cfg, tracker, args.out)
            print('tracker: onnxruntime vs PyTorch max abs difference: '
                  + ', '.join(f'{k} {v:.2e}' for k, v in td.items() if not k.startswith('uvLogitScale'))
                  + ' (uv logits up to ' + ', '.join(f'{v:.3g}' for k, v in td.items() if k.startswith('uvLogitScale')) + ')')


if __name__ == '__main__':
    main()
