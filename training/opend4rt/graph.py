"""ONNX graph rewrites for smaller models, and saving with external data.

onnxruntime's Python quantiser is not available here, so both rewrites are written directly on the
ONNX graph; inputs and outputs stay float32, so a rewritten graph is a drop-in replacement:

- :func:`to_fp16_storage`: every float32 initializer of at least ``min_elements`` values is stored
  as float16 and widened by a ``Cast`` node in front of its users. Half the bytes to download; the
  arithmetic stays float32 (onnxruntime folds the casts when it loads the graph), so every execution
  provider runs it.
- :func:`to_int8_dynamic`: every ``MatMul`` whose second input is a 2D float32 initializer ``W [K, N]``
  (``N >= min_columns``; the 3- and 1-column heads stay float32) becomes dynamic quantisation, the form
  onnxruntime's own ``quantize_dynamic`` writes and its CPU provider fuses into one kernel:
  ``DynamicQuantizeLinear(A) -> MatMulInteger(A_u8, W_s8) -> Cast -> Mul(a_scale * w_scale)``, with
  ``W`` quantised symmetrically per output column (``w_scale[n] = max |W[:, n]| / 127``).
- :func:`to_int8_static`: weights as above, each activation with a scale fixed from calibration
  ranges, in the QDQ form onnxruntime fuses into ``MatMulIntegerToFloat``; a row's answer does not
  depend on the rest of the batch.
- :func:`save`: one ``.onnx`` file, or with ``external=True`` the graph plus one ``<name>.data`` file
  holding every initializer over 1 KiB (protobuf cannot hold a graph over 2 GiB).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, mapping, numpy_helper

PROTOBUF_LIMIT = 2 ** 31   # bytes: a ModelProto cannot be serialised past this


def initializer_bytes(model: onnx.ModelProto) -> int:
    """Bytes of the weights a graph holds (inline or external)."""
    total = 0
    for t in model.graph.initializer:
        n = int(np.prod(t.dims)) if t.dims else 1
        total += n * np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]).itemsize
    return total


def _unique(model: onnx.ModelProto, base: str) -> str:
    names = {t.name for t in model.graph.initializer} | {o for n in model.graph.node for o in n.output}
    names |= {i.name for i in model.graph.input}
    name, k = base, 0
    while name in names:
        k += 1
        name = f'{base}_{k}'
    return name


def to_fp16_storage(model: onnx.ModelProto, min_elements: int = 1024) -> int:
    """Rewrites ``model`` in place (see the module notes); returns the number of initializers converted."""
    g = model.graph
    casts, keep, count = [], [], 0
    for t in g.initializer:
        n = int(np.prod(t.dims)) if t.dims else 1
        if t.data_type != TensorProto.FLOAT or n < min_elements:
            keep.append(t)
            continue
        a = numpy_helper.to_array(t)
        half = numpy_helper.from_array(a.astype(np.float16), _unique(model, t.name + '_fp16'))
        keep.append(half)
        casts.append(helper.make_node('Cast', [half.name], [t.name], to=TensorProto.FLOAT, name=f'{t.name}_widen'))
        count += 1
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    return count


def _quantise_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(w).max(axis=0) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def to_int8_dynamic(model: onnx.ModelProto, min_columns: int = 8, include=None) -> int:
    """Rewrites ``model`` in place (see the module notes); returns the number of MatMuls quantised.
    ``include``: a predicate on a MatMul node's name (e.g. ``/decoder/blocks.0/mlp/fc1/MatMul``);
    only the MatMuls it accepts are quantised (default: all)."""
    def rewrite(n, w, q, scale):
        base = n.name or n.output[0]
        wq = numpy_helper.from_array(q, _unique(model, f'{w.name}_s8'))
        ws = numpy_helper.from_array(scale, _unique(model, f'{w.name}_scale'))
        wz = numpy_helper.from_array(np.zeros((), np.int8), _unique(model, f'{w.name}_zero'))
        aq, asc, azp = (f'{base}/a_u8', f'{base}/a_scale', f'{base}/a_zero')
        acc, accf, s = f'{base}/acc', f'{base}/acc_f32', f'{base}/scale'
        nodes = [
            helper.make_node('DynamicQuantizeLinear', [n.input[0]], [aq, asc, azp], name=f'{base}/quantise'),
            helper.make_node('MatMulInteger', [aq, wq.name, azp, wz.name], [acc], name=f'{base}/matmul_int8'),
            helper.make_node('Cast', [acc], [accf], to=TensorProto.FLOAT, name=f'{base}/cast'),
            helper.make_node('Mul', [asc, ws.name], [s], name=f'{base}/scales'),
            helper.make_node('Mul', [accf, s], [n.output[0]], name=f'{base}/rescale'),
        ]
        return nodes, [wq, ws, wz]

    return _rewrite_weight_matmuls(model, min_columns, include, rewrite)


def to_int8_static(model: onnx.ModelProto, ranges: dict, min_columns: int = 8) -> int:
    """Static int8 in onnxruntime's QDQ form: each MatMul named in ``ranges`` (node name -> (min, max)
    of its input over calibration data) with a 2D float32 weight becomes
    ``QuantizeLinear(A, a_scale, a_zero) -> DequantizeLinear -> MatMul <- DequantizeLinear(W_s8,
    w_scale per column)``, which onnxruntime's CPU provider fuses into one ``MatMulIntegerToFloat``
    kernel. The activation's uint8 scale and zero point are fixed (values outside the range
    saturate), so unlike dynamic quantisation, whose scale is taken over the whole input tensor, a
    row's answer does not depend on the other rows of the batch (D4RT's queries stay independent).
    Returns the number of MatMuls quantised."""
    def rewrite(n, w, q, scale):
        a_scale, a_zero = _activation_scale(*ranges[n.name])
        b = n.name
        names = {k: _unique(model, f'{b}/{k}') for k in ('w_s8', 'w_scale', 'w_zero', 'a_scale', 'a_zero')}
        inits = [numpy_helper.from_array(q, names['w_s8']), numpy_helper.from_array(scale, names['w_scale']),
                 numpy_helper.from_array(np.zeros(scale.shape, np.int8), names['w_zero']),
                 numpy_helper.from_array(a_scale, names['a_scale']), numpy_helper.from_array(a_zero, names['a_zero'])]
        nodes = [
            helper.make_node('QuantizeLinear', [n.input[0], names['a_scale'], names['a_zero']], [f'{b}/a_u8'], name=f'{b}/quantise'),
            helper.make_node('DequantizeLinear', [f'{b}/a_u8', names['a_scale'], names['a_zero']], [f'{b}/a_dq'], name=f'{b}/dequantise'),
            helper.make_node('DequantizeLinear', [names['w_s8'], names['w_scale'], names['w_zero']], [f'{b}/w_dq'],
                             name=f'{b}/dequantise_w', axis=1),
            helper.make_node('MatMul', [f'{b}/a_dq', f'{b}/w_dq'], list(n.output), name=b),
        ]
        return nodes, inits

    return _rewrite_weight_matmuls(model, min_columns, lambda name: name in ranges, rewrite)


def _activation_scale(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """uint8 asymmetric quantisation of [lo, hi] widened to contain 0 (as DynamicQuantizeLinear)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero = int(np.clip(np.rint(-lo / scale), 0, 255))
    return np.array(scale, np.float32), np.array(zero, np.uint8)


def _rewrite_weight_matmuls(model: onnx.ModelProto, min_columns: int, include, rewrite) -> int:
    """Replaces in place every ``MatMul`` whose second input is a 2D float32 initializer with at
    least ``min_columns`` columns (and whose name ``include`` accepts, when given) by the nodes and
    new initializers ``rewrite(node, weight, int8 weight, per-column scale)`` returns; a weight no
    node uses any more is dropped. Returns the number of MatMuls rewritten."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    users: dict = {}
    for n in g.node:
        for i in n.input:
            users[i] = users.get(i, 0) + 1
    nodes, new_inits, drop, count = [], [], set(), 0
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == 'MatMul' and len(n.input) == 2 else None
        if (w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2 or w.dims[1] < min_columns
                or (include is not None and not include(n.name))):
            nodes.append(n)
            continue
        q, scale = _quantise_columns(numpy_helper.to_array(w))
        more_nodes, more_inits = rewrite(n, w, q, scale)
        nodes += more_nodes
        new_inits += more_inits
        users[w.name] -= 1
        if users[w.name] == 0:
            drop.add(w.name)
        count += 1
    del g.node[:]
    g.node.extend(nodes)
    kept = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    return count


def save(model: onnx.ModelProto, path: Path, external: bool) -> list:
    """Writes ``model`` to ``path``; returns the file names written (the graph, then its data file)."""
    path = Path(path)
    if not external:
        onnx.save_model(model, str(path))
        return [path.name]
    data = f'{path.name}.data'
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data,
                    size_threshold=1024, convert_attribute=False)
    return [path.name, data]
