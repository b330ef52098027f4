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
``--int8`` quantises the decoder's weight matrix products to int8 (per output column; activations
quantised on the fly, onnxruntime's dynamic quantisation), the encoder stays float32.
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


def manifest(cfg: ModelConfig, name: str, extra: dict | None = None, hashes: dict | None = None,
             kv: bool = False) -> dict:
    """The manifest of a model; ``hashes`` (from :func:`graph_hashes`) follows ``files`` when given;
    ``kv``: with the K/V graph (see the module notes)."""
    T, H, W, p, n, c = cfg.T, cfg.H, cfg.W, cfg.query_patch, cfg.tokens, cfg.width
    kv_specs = {k: {'dtype': 'float32', 'shape': [1, 1 + cfg.tubelets, 2 * cfg.dec_width]} for k in kv_names(cfg)} if kv else {}
    return {
        'format': FORMAT,
        'name': name,
        'files': dict(KV_FILES if kv else FILES),
        **({'hashes': hashes} if hashes is not None else {}),
        'clip': {'frames': T, 'height': H, 'width': W, 'frameSelection': 'round-linspace',
                 'resize': 'bilinear-align-corners-box'},
        'normalization': {'scale': 1 / 255, 'mean': list(cfg.mean), 'std': list(cfg.std)},
        'memory': {'tokens': n, 'channels': c},
        'patch': {'size': p, 'height': H, 'width': W, 'layout': 'chw', 'values': 'normalized'},
        'encoder': {
            'inputs': {'video': {'dtype': 'float32', 'shape': [1, T, 3, H, W]},
                       'aspect': {'dtype': 'float32', 'shape': [1]}},
            'outputs': {'memory': {'dtype': 'float32', 'shape': [1, n, c]}},
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
                 kv: bool = False, graph: str = 'fast', int8: bool = False) -> Path:
    """Exports into ``out`` atomically (temp folder beside it, then rename). Other files already in
    ``out`` (a model card, evaluations, pictures) are kept; ``encoder.onnx``, ``decoder.onnx`` (and
    with ``kv`` ``kv.onnx``) and ``manifest.json`` are replaced. ``graph``: ``'fast'`` or
    ``'legacy'``, ``int8``: quantise the decoder (see the module notes). Returns ``out``."""
    style = _GraphStyle(graph)
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
            torch.onnx.export(_Enc(model), (video, aspect), str(tmp / 'encoder.onnx'),
                              input_names=['video', 'aspect'], output_names=['memory'],
                              opset_version=OPSET, do_constant_folding=True)
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
            from opend4rt.graph import to_int8_dynamic
            dec = onnx.load(str(tmp / 'decoder.onnx'))
            to_int8_dynamic(dec)
            onnx.save_model(dec, str(tmp / 'decoder.onnx'))
        extra = {**(extra or {}), 'graph': graph, **({'dtype': 'int8 (decoder weights)'} if int8 else {})}
        info = {'parameters': count_parameters(model.encoder) + count_parameters(model.decoder), **(extra or {})}
        man = manifest(cfg, name, {'info': info}, hashes=graph_hashes(tmp, KV_FILES if kv else FILES), kv=kv)
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
    hashes = graph_hashes(folder, {role: old['files'][role] for role in KV_FILES if role in old['files']})
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', type=Path)
    ap.add_argument('--out', type=Path)
    ap.add_argument('--name', default='d4rt-tiny')
    ap.add_argument('--parity', action='store_true')
    ap.add_argument('--kv', action='store_true', help='also write kv.onnx, computed once per scene (see the notes)')
    ap.add_argument('--graph', choices=GRAPHS, default='fast', help='how the decoder is written (see the notes)')
    ap.add_argument('--int8', action='store_true', help="quantise the decoder's weights to int8 (see the notes)")
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
    export_model(model, cfg, args.out, args.name, extra, kv=args.kv, graph=args.graph, int8=args.int8)
    print(f'exported {args.name} ({count_parameters(model):,} parameters) to {args.out}')
    for f in sorted(args.out.iterdir()):
        print(f'  {f.name}: {f.stat().st_size / 1e6:.2f} MB')
    if args.parity:
        diffs = parity(model, cfg, args.out)
        scale = diffs.pop('uvLogitScale')
        print('onnxruntime vs PyTorch max abs difference: ' + ', '.join(f'{k} {v:.2e}' for k, v in diffs.items())
              + f' (uv logits up to {scale:.3g})')


if __name__ == '__main__':
    main()
