"""Converts an OpenD4RT checkpoint into the SDK's model format (``d4rt-model/1``).

    cd training
    PYTHONPATH=. OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -m opend4rt.convert_opend4rt \\
        opend4rt.ckpt model.yaml -o ../models/opend4rt-32 [--dtype fp32|fp16|int8] [--name NAME] [--no-kv]

Reads the checkpoint without executing anything in it (:mod:`opend4rt.checkpoint`: only the model's
tensors are read; a training checkpoint's optimizer state is skipped), builds the architecture
``model.yaml`` describes in our own PyTorch code (:mod:`opend4rt.model`; upstream's code is not
needed), checks that every tensor name and shape fits (an error names the first that does not), and
writes a model folder:

- ``encoder.onnx``: ``video`` [1, T, 3, H, W] (rgb / 255), ``aspect`` [1] -> ``memory`` [1, N, C];
- ``kv.onnx`` (the default; ``--no-kv`` leaves it out): ``memory`` -> per decoder block ``i`` the
  keys ``k<i>`` [1, h, d, N] (transposed) and values ``v<i>`` [1, h, N, d] its cross-attention reads
  of the LayerNorm-ed memory. The SDK runs it once per scene, so the decoder does not redo the
  LayerNorms and K/V projections of the whole memory for every chunk of queries;
- ``decoder.onnx``: ``coords`` [1, Q, 2], ``times`` int64 [1, Q, 3], ``patches`` [1, Q, 3 p p] and
  every ``k<i>``, ``v<i>`` (``--no-kv``: ``memory`` instead) -> ``xyz`` [1, Q, 3], ``uv`` [1, Q, 2],
  ``visibility`` [1, Q], ``confidence`` [1, Q], ``normal`` [1, Q, 3], ``displacement`` [1, Q, 3];
  Q dynamic;
- ``manifest.json`` (with each file's SHA-256 and size).

All graphs are ONNX opset 17. A graph whose weights pass 2 GB (the full-size encoder) keeps them in
``<graph>.onnx.data`` beside it (``--external-data always`` forces that). ``--dtype fp16`` stores
weights as float16 (computed in float32); ``--dtype int8`` quantises the weights of the matrix
products per column, with activations quantised on the fly (see :mod:`opend4rt.graph`). The folder
is written beside the target and renamed into place: a failed conversion leaves nothing behind.

The manifest uses the growth of ``d4rt-model/1`` this family needs (direct xyz and uv decodes, the
normal and displacement outputs, OpenCV-style resizing, the aspect policy, external data files);
an SDK without it refuses the model with an error naming the first such field.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

from . import graph
from .checkpoint import CheckpointError, read_state_dict
from .config import ConfigError, OpenD4rtConfig, read_config
from .model import OUTPUTS, ConversionError, OpenD4rt, count_parameters, load_state

FORMAT = 'd4rt-model/1'
OPSET = 17
DTYPES = ('fp32', 'fp16', 'int8')


class _Encode(nn.Module):
    def __init__(self, m: OpenD4rt):
        super().__init__()
        self.m = m

    def forward(self, video, aspect):
        return self.m.encode(video, aspect)


class _Decode(nn.Module):
    def __init__(self, m: OpenD4rt):
        super().__init__()
        self.m = m

    def forward(self, memory, coords, times, patches):
        return self.m.decode(memory, coords, times, patches)


class _KV(nn.Module):
    def __init__(self, m: OpenD4rt):
        super().__init__()
        self.m = m

    def forward(self, memory):
        return tuple(self.m.memory_kv(memory))


class _DecodeKV(nn.Module):
    def __init__(self, m: OpenD4rt):
        super().__init__()
        self.m = m

    def forward(self, coords, times, patches, *kv):
        return self.m.decode_kv(coords, times, patches, list(kv))


def kv_names(cfg: OpenD4rtConfig) -> list:
    """The K/V graph's outputs (= the decoder's inputs besides the queries): k0, v0, k1, v1, ..."""
    return [f'{kind}{i}' for i in range(cfg.dec_layers) for kind in 'kv']


def kv_specs(cfg: OpenD4rtConfig) -> dict:
    h, n = cfg.dec_heads, cfg.memory_tokens
    d = cfg.dec_width // h
    return {name: {'dtype': 'float32', 'shape': [1, h, d, n] if name[0] == 'k' else [1, h, n, d]}
            for name in kv_names(cfg)}


def example_inputs(cfg: OpenD4rtConfig, q: int = 5, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    video = torch.rand(1, cfg.clip_frames, 3, cfg.height, cfg.width, generator=g)
    aspect = torch.tensor([cfg.width / cfg.height])
    coords = torch.rand(1, q, 2, generator=g)
    times = torch.randint(0, cfg.clip_frames, (1, q, 3), generator=g)
    patches = torch.rand(1, q, 3 * cfg.patch_size ** 2, generator=g)
    return video, aspect, coords, times, patches


def file_digest(path: Path) -> dict:
    h = hashlib.sha256()
    size = 0
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
            size += len(chunk)
    return {'sha256': h.hexdigest(), 'bytes': size}


def manifest(cfg: OpenD4rtConfig, name: str, files: dict, folder: Path, info: dict) -> dict:
    """The manifest (see the module notes); ``files``: role -> list of file names, graph first (a
    ``kv`` role makes the K/V layout)."""
    T, H, W, p, n, c = cfg.clip_frames, cfg.height, cfg.width, cfg.patch_size, cfg.memory_tokens, cfg.dec_width
    external = {role: names[1:] for role, names in files.items() if len(names) > 1}
    hashes = {role: file_digest(folder / names[0]) for role, names in files.items()}
    if external:
        hashes['externalData'] = {f: file_digest(folder / f) for names in external.values() for f in names}
    q3 = {'dtype': 'float32', 'shape': [1, 'Q', 3]}
    q1 = {'dtype': 'float32', 'shape': [1, 'Q']}
    mem = {'dtype': 'float32', 'shape': [1, n, c]}
    kv = kv_specs(cfg) if 'kv' in files else None
    return {
        'format': FORMAT,
        'name': name,
        'files': {'encoder': files['encoder'][0], 'decoder': files['decoder'][0],
                  **({'kv': files['kv'][0]} if kv else {}),
                  **({'externalData': external} if external else {})},
        'hashes': hashes,
        'clip': {'frames': T, 'height': H, 'width': W, 'frameSelection': 'round-linspace',
                 'resize': 'opencv-area-linear', 'aspect': 'source'},
        'normalization': {'scale': 1 / 255, 'mean': [0.0, 0.0, 0.0], 'std': [1.0, 1.0, 1.0]},
        'memory': {'tokens': n, 'channels': c},
        'patch': {'size': p, 'height': H, 'width': W, 'layout': 'chw', 'values': 'normalized'},
        'encoder': {
            'inputs': {'video': {'dtype': 'float32', 'shape': [1, T, 3, H, W]},
                       'aspect': {'dtype': 'float32', 'shape': [1]}},
            'outputs': {'memory': mem},
        },
        **({'kv': {'inputs': {'memory': mem}, 'outputs': kv}} if kv else {}),
        'decoder': {
            'inputs': {**({} if kv else {'memory': mem}),
                       'coords': {'dtype': 'float32', 'shape': [1, 'Q', 2]},
                       'times': {'dtype': 'int64', 'shape': [1, 'Q', 3]},
                       'patches': {'dtype': 'float32', 'shape': [1, 'Q', 3 * p * p]},
                       **(kv or {})},
            'outputs': {'xyz': {**q3, 'decode': 'direct'},
                        'uv': {'dtype': 'float32', 'shape': [1, 'Q', 2], 'decode': 'direct'},
                        'visibility': {**q1, 'decode': 'sigmoid'},
                        'confidence': {**q1, 'decode': 'sigmoid'},
                        'normal': {**q3, 'decode': 'normalize'},
                        'displacement': {**q3, 'decode': 'direct'}},
        },
        'cameras': {'recipe': 'opend4rt', 'grid': cfg.camera_grid[0]},
        'config': {'family': 'opend4rt', **cfg.to_json()},
        'info': info,
    }


def export_graphs(model: OpenD4rt, folder: Path, dtype: str, external: str, kv: bool = True) -> dict:
    """Writes the graphs into ``folder``; returns role -> [graph file, data files...]."""
    cfg = model.cfg
    video, aspect, coords, times, patches = example_inputs(cfg)
    raw = folder / '.raw'
    raw.mkdir()
    with torch.no_grad():
        # the decoder's example memory need not be the encoder's (a full-size encoder pass is minutes on a CPU)
        memory = torch.randn(1, cfg.memory_tokens, cfg.dec_width, generator=torch.Generator().manual_seed(1))
        torch.onnx.export(_Encode(model), (video, aspect), str(raw / 'encoder.onnx'),
                          input_names=['video', 'aspect'], output_names=['memory'],
                          opset_version=OPSET, do_constant_folding=True)
        outs = [o for o, _ in OUTPUTS]
        dynamic = {k: {1: 'Q'} for k in ['coords', 'times', 'patches', *outs]}
        if kv:
            names = kv_names(cfg)
            torch.onnx.export(_KV(model), (memory,), str(raw / 'kv.onnx'), input_names=['memory'],
                              output_names=names, opset_version=OPSET, do_constant_folding=True)
            torch.onnx.export(_DecodeKV(model), (coords, times, patches, *model.memory_kv(memory)),
                              str(raw / 'decoder.onnx'), input_names=['coords', 'times', 'patches', *names],
                              output_names=outs, dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
        else:
            torch.onnx.export(_Decode(model), (memory, coords, times, patches), str(raw / 'decoder.onnx'),
                              input_names=['memory', 'coords', 'times', 'patches'], output_names=outs,
                              dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    files = {}
    for role in ('encoder', 'kv', 'decoder') if kv else ('encoder', 'decoder'):
        m = onnx.load(str(raw / f'{role}.onnx'), load_external_data=True)
        if dtype == 'fp16':
            graph.to_fp16_storage(m)
        elif dtype == 'int8':
            graph.to_int8_dynamic(m)
        big = graph.initializer_bytes(m) > 0.9 * graph.PROTOBUF_LIMIT
        files[role] = graph.save(m, folder / f'{role}.onnx', external == 'always' or big)
        del m
    shutil.rmtree(raw)
    return files


def convert(ckpt: Path, config: Path, out: Path, dtype: str = 'fp32', name: str | None = None,
            external: str = 'auto', log=print, kv: bool = True) -> Path:
    """Converts (see the module notes); returns ``out``."""
    if dtype not in DTYPES:
        raise ValueError(f'dtype ({dtype!r}) must be one of {", ".join(DTYPES)}')
    if external not in ('auto', 'always'):
        raise ValueError(f"external ({external!r}) must be 'auto' or 'always'")
    t0 = time.time()
    cfg = read_config(config)
    state, ckpt_info = read_state_dict(ckpt)
    model = OpenD4rt(cfg).eval()
    load_state(model, state, str(ckpt))
    del state
    log(f'read {ckpt} ({count_parameters(model):,} parameters, {time.time() - t0:.1f} s)')
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f'{out} exists and is not empty; choose a new folder')
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}-', dir=out.parent))
    tmp.chmod(0o755)
    try:
        files = export_graphs(model, tmp, dtype, external, kv)
        info = {
            'parameters': count_parameters(model),
            'dtype': dtype,
            **({'trainedSteps': ckpt_info['global_step']} if isinstance(ckpt_info.get('global_step'), int) else {}),
            'source': {'family': 'OpenD4RT', 'repository': 'https://github.com/0Zhengying0/Open-d4rt',
                       'checkpoint': Path(ckpt).name, 'checkpointSha256': file_digest(ckpt)['sha256']},
            'converter': 'training/opend4rt/convert_opend4rt.py',
        }
        man = manifest(cfg, name or cfg.name, files, tmp, info)
        (tmp / 'manifest.json').write_text(json.dumps(man, indent=2) + '\n')
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f'wrote {out} in {time.time() - t0:.1f} s: ' + ', '.join(
        f'{f.name} {f.stat().st_size / 1e6:.2f} MB' for f in sorted(out.iterdir())))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('ckpt', type=Path, help="the checkpoint (upstream's opend4rt.ckpt or a trainer's *.ckpt)")
    ap.add_argument('config', type=Path, help="its model.yaml")
    ap.add_argument('-o', '--out', type=Path, required=True, help='the model folder to write (new or empty)')
    ap.add_argument('--dtype', choices=DTYPES, default='fp32')
    ap.add_argument('--name', help="the model's name (default: model.yaml's experiment.name)")
    ap.add_argument('--external-data', choices=('auto', 'always'), default='auto',
                    help='keep weights in <graph>.onnx.data: auto = when a graph passes 2 GB')
    ap.add_argument('--kv', action=argparse.BooleanOptionalAction, default=True,
                    help="write kv.onnx (the memory's keys and values, once per scene) and a decoder that "
                         "takes them (default); --no-kv: a decoder that takes the memory")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    try:
        convert(args.ckpt, args.config, args.out, args.dtype, args.name, args.external_data, kv=args.kv)
    except (ConfigError, CheckpointError, ConversionError, FileExistsError) as e:
        print(f'convert_opend4rt: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
