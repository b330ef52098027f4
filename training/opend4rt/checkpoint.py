"""Reads the weights of a PyTorch checkpoint without executing anything it contains.

A downloaded checkpoint is untrusted input, and ``torch.load`` unpickles: a crafted file can run
code. This reader opens the zip archive that ``torch.save`` writes (PyTorch >= 1.6), replays its
``data.pkl`` with an unpickler that resolves no global at all (every ``module.name`` becomes an inert
placeholder, except the handful of torch names that describe a tensor: storage types and the
tensor and parameter rebuild functions, which it replaces by its own), and then reads only the
storages of the tensors asked for, straight from the archive. An OpenD4RT training checkpoint holds
optimizer state twice the size of the model; none of it is read.

    state, info = read_state_dict(path)   # name -> float32 torch.Tensor; info: the other top-level keys
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch


class CheckpointError(ValueError):
    """A file this reader cannot read as a checkpoint; the message says why."""


# storage type name -> numpy dtype of its bytes (bfloat16 is read as uint16 and widened)
_STORAGE = {
    'FloatStorage': np.float32, 'DoubleStorage': np.float64, 'HalfStorage': np.float16,
    'BFloat16Storage': 'bfloat16', 'LongStorage': np.int64, 'IntStorage': np.int32, 'ShortStorage': np.int16,
    'CharStorage': np.int8, 'ByteStorage': np.uint8, 'BoolStorage': np.bool_, 'UntypedStorage': np.uint8,
}


class Opaque:
    """Stands for any object the pickle names that is not a tensor; it records the name and nothing
    else (no code of that name runs)."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state

    def __call__(self, *args, **kwargs):
        return Opaque(*args)

    def __repr__(self):
        return f'<opaque {getattr(self, "qualname", "?")}>'


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _Storage:
    """A storage in the archive, read when a tensor of it is loaded (and not kept: a full-size
    model's storages would otherwise stay in memory beside the tensors made from them)."""

    def __init__(self, reader: '_Reader', key: str, dtype, numel: int):
        self.reader, self.key, self.dtype, self.numel = reader, key, dtype, numel

    def array(self) -> np.ndarray:
        raw = self.reader.zf.read(f'{self.reader.prefix}data/{self.key}')
        if self.dtype == 'bfloat16':
            return (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
        return np.frombuffer(raw, dtype=np.dtype(self.dtype).newbyteorder('<'))


class LazyTensor:
    """A tensor described by the pickle; :meth:`load` reads its storage."""

    def __init__(self, storage: _Storage, offset: int, size, stride):
        self.storage, self.offset, self.shape, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def load(self) -> torch.Tensor:
        a = self.storage.array()
        item = a.itemsize
        n = int(np.prod(self.shape)) if self.shape else 1
        if n == 0:
            return torch.zeros(self.shape, dtype=torch.from_numpy(a[:0].copy()).dtype)
        last = self.offset + sum((s - 1) * st for s, st in zip(self.shape, self.stride))
        if self.offset < 0 or last >= a.size:
            raise CheckpointError(f'tensor of shape {self.shape} reaches past its storage ({a.size} elements)')
        v = np.lib.stride_tricks.as_strided(a[self.offset:], shape=self.shape,
                                            strides=tuple(st * item for st in self.stride), writeable=False)
        return torch.from_numpy(np.ascontiguousarray(v).copy())


def _rebuild_tensor(storage, offset, size, stride, *rest):
    if not isinstance(storage, _Storage):
        raise CheckpointError('a tensor in the checkpoint has no storage in the archive')
    return LazyTensor(storage, offset, size, stride)


def _rebuild_parameter(data, *rest):
    return data


class _OrderedDict(dict):
    """``collections.OrderedDict`` (a state dict carries a ``_metadata`` attribute, so a plain dict won't do)."""


_TENSOR_GLOBALS = {
    ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor,
    ('torch._utils', '_rebuild_tensor'): _rebuild_tensor,
    ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
    ('torch._utils', '_rebuild_parameter_with_state'): _rebuild_parameter,
    ('collections', 'OrderedDict'): _OrderedDict,
}


class _Reader(pickle.Unpickler):
    def __init__(self, zf: zipfile.ZipFile, prefix: str, fileobj):
        super().__init__(fileobj)
        self.zf, self.prefix = zf, prefix
        self.storages: dict = {}

    def find_class(self, module, name):
        if (module, name) in _TENSOR_GLOBALS:
            return _TENSOR_GLOBALS[(module, name)]
        if module in ('torch', 'torch.storage') and name in _STORAGE:
            return _StorageType(name)
        placeholder = type(name, (Opaque,), {'qualname': f'{module}.{name}'})
        return placeholder

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == 'storage'):
            raise CheckpointError(f'unexpected persistent id {pid!r:.80}')
        stype, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(stype, _StorageType):
            raise CheckpointError(f'storage {key} has an unknown type ({stype!r})')
        if key not in self.storages:
            self.storages[key] = _Storage(self, key, _STORAGE[stype.name], int(numel))
        return self.storages[key]


def read_payload(path: Path):
    """The checkpoint's top-level object with every tensor as a :class:`LazyTensor` (nothing read yet)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f'{path}: not a zip-format PyTorch checkpoint (torch.save of PyTorch >= 1.6); '
                              'legacy tar/pickle checkpoints are not read (re-save it with a current PyTorch)')
    zf = zipfile.ZipFile(path)
    pkl = [n for n in zf.namelist() if n.endswith('data.pkl') and n.count('/') == 1]
    if len(pkl) != 1:
        raise CheckpointError(f'{path}: expected one <archive>/data.pkl, found {pkl or "none"}')
    prefix = pkl[0][:-len('data.pkl')]
    with zf.open(pkl[0]) as f:
        try:
            return _Reader(zf, prefix, f).load()
        except CheckpointError:
            raise
        except Exception as e:  # a malformed pickle: report, never trust
            raise CheckpointError(f'{path}: cannot read data.pkl ({type(e).__name__}: {e})') from None


# where training scripts keep the model's state dict (upstream's trainer: 'model')
STATE_KEYS = ('state_dict', 'model', 'module', 'network', 'net')


def find_state_dict(payload) -> tuple[dict, str]:
    """The name -> LazyTensor mapping inside a payload, and where it was found."""
    if isinstance(payload, dict):
        for key in STATE_KEYS:
            v = payload.get(key)
            if isinstance(v, dict) and v and all(isinstance(t, LazyTensor) for t in v.values()):
                return v, key
        if payload and all(isinstance(t, LazyTensor) for t in payload.values()):
            return payload, '<root>'
    raise CheckpointError('no state dict of tensors found (looked at the top level and under '
                          + ', '.join(repr(k) for k in STATE_KEYS) + ')')


def read_state_dict(path: Path, dtype=torch.float32) -> tuple[dict, dict]:
    """Reads a checkpoint's model weights (see the module notes).

    Returns ``(state, info)``: ``state`` maps names (a ``module.`` prefix from DistributedDataParallel
    removed) to tensors of ``dtype`` (floating point only; integer tensors keep their type); ``info``
    holds the checkpoint's other top-level plain values (numbers, strings), e.g. ``global_step``."""
    payload = read_payload(path)
    lazy, where = find_state_dict(payload)
    names = list(lazy)
    if names and all(n.startswith('module.') for n in names):
        lazy = {n[len('module.'):]: t for n, t in lazy.items()}
    state = {}
    for n, t in lazy.items():
        v = t.load()
        state[n] = v.to(dtype) if v.is_floating_point() else v
    info = {'stateDict': where}
    if isinstance(payload, dict):
        for k, v in payload.items():
            if isinstance(k, str) and isinstance(v, (int, float, str, bool)):
                info[k] = v
    return state, info
