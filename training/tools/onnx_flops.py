"""Multiply-accumulate FLOPs of ONNX graphs with concrete shapes, for `d4rt bench`'s roofline.

    /usr/bin/python3 training/tools/onnx_flops.py MODEL_DIR --dim Q=4096 [--input times=times.i64]
    /usr/bin/python3 training/tools/onnx_flops.py graph.onnx [more.onnx ...] --dim Q=4096

MODEL_DIR is a ``d4rt-model/1`` folder: every graph its manifest's ``files`` names (``encoder``,
``decoder`` and, when present, ``kv`` and ``tracker``; the tracker's ``N`` points default to 256) is counted, each graph input taking the shape the manifest
gives it, with its symbolic dimensions (e.g. ``"Q"``) set by ``--dim NAME=VALUE``. A bare ``.onnx``
file takes its inputs' own shapes, its ``dim_param`` names set by ``--dim``. Needs only the ``onnx``
package (Debian's python3-onnx) and numpy; graphs with external data are read without loading it.

Shapes come from ONNX shape inference (``data_prop``). What inference leaves unknown (shapes
computed at run time by ``Shape`` / ``Gather`` / ``Concat`` / ``Reshape`` chains) is resolved by
evaluating those small integer subgraphs with numpy once the input shapes are concrete, folding
them into constants and inferring again, until nothing changes. onnxruntime's
``com.microsoft.MultiHeadAttention`` gets its output shape here (ONNX does not know it).

Some shapes depend on the input values, not only their shapes: e.g. a decoder that attends only
to the frames its queries target takes ``Unique`` of the ``times`` input. ``--input NAME=FILE``
gives an input's values (raw little-endian, the input's dtype, its concrete shape), so such
subgraphs are evaluated on the very inputs that were timed; without it their nodes stay
``unresolved``.

Counted, as 2 x multiply-accumulates: ``MatMul``, ``Gemm``, ``Conv``, ``ConvTranspose``,
``MatMulInteger``, ``ConvInteger``, ``QLinearMatMul``, ``QLinearConv`` and onnxruntime's fused
forms (``FusedMatMul``, ``FusedGemm``, ``FusedConv``, ``DynamicQuantizeMatMul``,
``MatMulIntegerToFloat``), and the two products (Q K^T and P V) inside onnxruntime's
``MultiHeadAttention``. The integer ones are reported apart (``int8Ops``), and so are float
``MatMul`` / ``Gemm`` / ``Conv`` nodes in QDQ form (both operands from an 8-bit
``DequantizeLinear``: onnxruntime runs them as integer kernels; ``byOp`` names them
``"MatMul (QDQ int8)"``). Every other operator
(elementwise, normalisation, softmax, reshapes) is not counted; as a measure of what that leaves
out, ``otherOutputElements`` sums their output sizes (about one operation per element; for
``MultiHeadAttention``, its attention probabilities). Other heavy operators this tool cannot count
(``Einsum``, onnxruntime's other attention kernels) are listed in ``unresolved``, never dropped.

Prints ONE JSON line on stdout::

    {"onnx": "1.12.0", "dims": {"Q": 4096},
     "graphs": {"encoder": {"file": "encoder.onnx", "flops": ..., "floatFlops": ..., "int8Ops": ...,
                            "quantized": false, "byOp": {"MatMul": ..., "Conv": ...}, "nodes": 46,
                            "otherOutputElements": ..., "unresolved": []}, ...}}

``unresolved`` lists counted nodes whose shapes stayed unknown (their FLOPs are left out).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

FLOAT_OPS = {'MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'FusedMatMul', 'FusedGemm', 'FusedConv', 'NhwcConv', 'MultiHeadAttention'}
INT8_OPS = {'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat'}
# heavy operators not counted: reported as unresolved so the count is never silently short
UNCOUNTED_OPS = {'Einsum', 'Attention', 'GroupQueryAttention', 'PackedAttention', 'PackedMultiHeadAttention', 'DecoderMaskedMultiHeadAttention',
                 'SparseAttention', 'MatMulNBits', 'MatMulBnb4', 'GatherBlockQuantized', 'Loop', 'Scan', 'If'}
CONV_OPS = {'Conv', 'ConvTranspose', 'FusedConv', 'NhwcConv', 'ConvInteger', 'QLinearConv'}
# operators that are only bookkeeping: not counted among the "other" elements
FREE_OPS = {'Constant', 'Shape', 'Size', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'ConstantOfShape'}
VERBOSE = False
FOLD_LIMIT = 1 << 16  # elements of a float result: shape arithmetic is far smaller; weights are never evaluated
INT_FOLD_LIMIT = 1 << 24  # elements of an integer or boolean result (index tensors computed from --input values)


def _int_div(a, b):
    if np.issubdtype(np.asarray(a).dtype, np.integer):
        q = np.abs(a) // np.abs(b)
        return (np.sign(a) * np.sign(b) * q).astype(np.result_type(a, b))
    return np.asarray(a / b).astype(np.result_type(a, b))


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _axes(node, vals, i):
    """Axes from input i (opset >= 13/18) or the ``axes`` attribute."""
    if len(node.input) > i and node.input[i]:
        return [int(x) for x in np.asarray(vals[i]).reshape(-1)]
    a = _attr(node, 'axes')
    return None if a is None else [int(x) for x in a]


def _reduce(fn):
    def run(node, v):
        axes = _axes(node, v, 1)
        keep = bool(_attr(node, 'keepdims', 1))
        return [fn(v[0], axis=None if axes is None else tuple(axes), keepdims=keep)]
    return run


def _slice(node, v):
    x = v[0]
    starts, ends = np.asarray(v[1]).reshape(-1), np.asarray(v[2]).reshape(-1)
    axes = np.asarray(v[3]).reshape(-1) if len(v) > 3 and v[3] is not None else np.arange(len(starts))
    steps = np.asarray(v[4]).reshape(-1) if len(v) > 4 and v[4] is not None else np.ones(len(starts), np.int64)
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = int(a) % x.ndim
        n = x.shape[a]
        s, e, st = int(s), int(e), int(st)
        s = max(min(s + n if s < 0 else s, n if st > 0 else n - 1), 0 if st > 0 else -1)
        e = max(min(e + n if e < 0 else e, n if st > 0 else n - 1), 0 if st > 0 else -1)
        idx[a] = slice(s, e if e >= 0 else None, st)
    return [x[tuple(idx)]]


def _reshape(node, v):
    shape = [int(d) for d in np.asarray(v[1]).reshape(-1)]
    if not _attr(node, 'allowzero', 0):
        shape = [v[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return [v[0].reshape(shape)]


def _shape(node, shapes):
    s = shapes[node.input[0]]
    start, end = _attr(node, 'start', 0), _attr(node, 'end', None)
    return np.array(s[start:end] if end is not None else s[start:], np.int64)


def _np_dtype(onnx_type: int):
    to_np = getattr(onnx.helper, 'tensor_dtype_to_np_dtype', None)  # onnx >= 1.13
    return to_np(onnx_type) if to_np is not None else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _cast(node, v):
    return [np.asarray(v[0]).astype(_np_dtype(_attr(node, 'to')))]


def _const_of_shape(node, v):
    t = _attr(node, 'value')
    fill = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
    return [np.full([int(d) for d in np.asarray(v[0]).reshape(-1)], fill, dtype=np.asarray(fill).dtype)]


def _unique(node, v):
    x = np.asarray(v[0])
    axis = _attr(node, 'axis')
    y, first, inverse, counts = np.unique(x if axis is not None else x.reshape(-1), return_index=True, return_inverse=True,
                                          return_counts=True, axis=axis)
    if not _attr(node, 'sorted', 1):  # order of first occurrence
        order = np.argsort(first, kind='stable')
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        y, first, counts, inverse = np.take(y, order, axis=axis or 0), first[order], counts[order], rank[inverse]
    return [y, first.astype(np.int64), inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)]


EVAL = {
    'Unique': _unique,
    'Identity': lambda n, v: [v[0]],
    'Cast': _cast,
    'Gather': lambda n, v: [np.take(v[0], np.asarray(v[1]).astype(np.int64), axis=_attr(n, 'axis', 0))],
    'Unsqueeze': lambda n, v: [np.expand_dims(v[0], tuple(sorted(a % (v[0].ndim + len(_axes(n, v, 1))) for a in _axes(n, v, 1))))],
    'Squeeze': lambda n, v: [np.squeeze(v[0], axis=None if _axes(n, v, 1) is None else tuple(_axes(n, v, 1)))],
    'Concat': lambda n, v: [np.concatenate([np.atleast_1d(x) for x in v], axis=_attr(n, 'axis'))],
    'Slice': _slice,
    'Reshape': _reshape,
    'Add': lambda n, v: [np.asarray(v[0] + v[1])],
    'Sub': lambda n, v: [np.asarray(v[0] - v[1])],
    'Mul': lambda n, v: [np.asarray(v[0] * v[1])],
    'Div': lambda n, v: [_int_div(v[0], v[1])],
    'Mod': lambda n, v: [np.fmod(v[0], v[1]) if _attr(n, 'fmod', 0) else np.mod(v[0], v[1])],
    'Neg': lambda n, v: [-v[0]],
    'Abs': lambda n, v: [np.abs(v[0])],
    'Floor': lambda n, v: [np.floor(v[0])],
    'Ceil': lambda n, v: [np.ceil(v[0])],
    'Sqrt': lambda n, v: [np.sqrt(v[0])],
    'Min': lambda n, v: [np.minimum.reduce(v)],
    'Max': lambda n, v: [np.maximum.reduce(v)],
    'Equal': lambda n, v: [np.equal(v[0], v[1])],
    'Less': lambda n, v: [np.less(v[0], v[1])],
    'Greater': lambda n, v: [np.greater(v[0], v[1])],
    'Not': lambda n, v: [np.logical_not(v[0])],
    'And': lambda n, v: [np.logical_and(v[0], v[1])],
    'Or': lambda n, v: [np.logical_or(v[0], v[1])],
    'Where': lambda n, v: [np.where(v[0], v[1], v[2])],
    'Range': lambda n, v: [np.arange(v[0], v[1], v[2]).astype(np.asarray(v[0]).dtype)],
    'ConstantOfShape': _const_of_shape,
    'Expand': lambda n, v: [v[0] * np.ones([int(d) for d in np.asarray(v[1]).reshape(-1)], dtype=v[0].dtype)],
    'Tile': lambda n, v: [np.tile(v[0], [int(d) for d in np.asarray(v[1]).reshape(-1)])],
    'Transpose': lambda n, v: [np.transpose(v[0], _attr(n, 'perm'))],
    'ReduceProd': _reduce(np.prod),
    'ReduceSum': _reduce(np.sum),
    'ReduceMax': _reduce(np.max),
    'ReduceMin': _reduce(np.min),
}


def _constant_value(node):
    for a in node.attribute:
        if a.name == 'value':
            return numpy_helper.to_array(a.t)
        if a.name in ('value_int', 'value_float'):
            return np.array(onnx.helper.get_attribute_value(a), np.int64 if a.name == 'value_int' else np.float32)
        if a.name in ('value_ints', 'value_floats'):
            return np.array(onnx.helper.get_attribute_value(a), np.int64 if a.name == 'value_ints' else np.float32)
    return None


def _dims(vi):
    """A value_info's shape: ints, None for an unknown dimension; None when it has no shape."""
    t = vi.type.tensor_type
    if not t.HasField('shape'):
        return None
    return [d.dim_value if d.HasField('dim_value') else None for d in t.shape.dim]


def _infer(model, forced):
    """Shapes and element types of every value; `forced` gives those of outputs ONNX cannot infer."""
    del model.graph.value_info[:]
    for name, (elem, shape) in forced.items():
        model.graph.value_info.append(onnx.helper.make_tensor_value_info(name, elem, shape))
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as error:  # e.g. an operator of a domain the model does not import
        raise SystemExit(f'onnx_flops: shape inference failed on {model.graph.name or "the graph"}: {error}') from error
    g = inferred.graph
    shapes, types = {}, {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        s = _dims(vi)
        if s is not None:
            shapes[vi.name] = s
        if vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
        types[t.name] = t.data_type
    return shapes, types


def _mha_dims(node, shapes):
    """(batch, query length, key length, q/k width, v width, heads) of a MultiHeadAttention, or None."""
    q = shapes.get(node.input[0])
    k = shapes.get(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    v = shapes.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    heads = _attr(node, 'num_heads')
    if not _known(q) or heads is None:
        return None
    if len(q) == 5 and k is None:  # packed QKV [B, S, N, 3, H]
        return q[0], q[1], q[1], q[2] * q[4], q[2] * q[4], heads
    if len(q) != 3 or not _known(k) or not _known(v):
        return None
    sk, dk = (k[1], k[2]) if len(k) == 3 else (k[2], k[1] * k[3]) if len(k) == 4 else (None, None)
    dv = v[2] if len(v) == 3 else v[1] * v[3] if len(v) == 4 else None
    if len(k) == 5:  # packed KV [B, S, N, 2, H]
        sk, dk, dv = k[1], k[2] * k[4], k[2] * k[4]
    if sk is None or dv is None:
        return None
    return q[0], q[1], sk, q[2], dv, heads


def _contrib_shapes(model, shapes, types, forced):
    """Adds to `forced` the output shapes of onnxruntime contrib operators ONNX does not infer. Returns how many."""
    added = 0
    for node in model.graph.node:
        if node.op_type == 'MultiHeadAttention' and node.output[0] not in forced:
            d = _mha_dims(node, shapes)
            if d is not None:
                b, sq, _, _, dv, _ = d
                forced[node.output[0]] = (types.get(node.input[0], onnx.TensorProto.FLOAT), [b, sq, dv])
                added += 1
    return added


def _known(s):
    return s is not None and all(d is not None for d in s)


def _too_big(a) -> bool:
    a = np.asarray(a)
    limit = INT_FOLD_LIMIT if a.dtype.kind in 'iub' else FOLD_LIMIT
    return a.size > limit


def _fold(model, shapes, seed):
    """Evaluates every node whose inputs are all known values (initializers, `seed`: input values);
    replaces it by an initializer. Returns how many."""
    g = model.graph
    values = dict(seed)
    for t in g.initializer:
        n = int(np.prod(t.dims))
        small = n <= FOLD_LIMIT or (n <= INT_FOLD_LIMIT and np.dtype(_np_dtype(t.data_type)).kind in 'iub')
        if t.data_location != onnx.TensorProto.EXTERNAL and small:
            values[t.name] = numpy_helper.to_array(t)
    folded, keep = [], []
    for node in g.node:
        out = None
        try:
            if node.op_type == 'Constant':
                v = _constant_value(node)
                out = None if v is None else [v]
            elif node.op_type == 'Shape' and _known(shapes.get(node.input[0])):
                out = [_shape(node, shapes)]
            elif node.op_type == 'Size' and _known(shapes.get(node.input[0])):
                out = [np.array(int(np.prod(shapes[node.input[0]])), np.int64)]
            elif node.op_type in EVAL and node.domain in ('', 'ai.onnx') and all((not i) or i in values for i in node.input):
                out = EVAL[node.op_type](node, [values[i] if i else None for i in node.input])
        except Exception as error:  # a subgraph this evaluator gets wrong is left to shape inference
            if VERBOSE:
                print(f'onnx_flops: not folded: {node.op_type} {node.name}: {error!r}', file=sys.stderr)
            out = None
        if out is None or any(_too_big(o) for o in out) or len(out) < len(node.output):
            keep.append(node)
            continue
        for name, o in zip(node.output, out):
            values[name] = np.asarray(o)
            folded.append(numpy_helper.from_array(np.asarray(o), name))
    if not folded:
        return 0
    del g.node[:]
    g.node.extend(keep)
    g.initializer.extend(folded)
    return len(folded)


def _set_inputs(model, shapes_for_inputs, dims):
    """Gives every graph input a concrete shape: the manifest's (when given), symbolic names from dims."""
    for inp in model.graph.input:
        want = shapes_for_inputs.get(inp.name)
        t = inp.type.tensor_type
        if want is None:
            want = [d.dim_value if d.HasField('dim_value') else d.dim_param for d in t.shape.dim]
        concrete = []
        for d in want:
            if isinstance(d, str):
                if d not in dims:
                    raise SystemExit(f'onnx_flops: input {inp.name!r} has the symbolic dimension {d!r}; pass --dim {d}=VALUE')
                d = dims[d]
            concrete.append(int(d))
        t.shape.Clear()
        for d in concrete:
            t.shape.dim.add().dim_value = d


def _inner(node, shapes):
    """K of a matmul-like node (the summed dimension), or None when unknown."""
    op = node.op_type
    a = shapes.get(node.input[0])
    if a is None or len(a) == 0:
        return None
    if op in ('Gemm', 'FusedGemm'):
        return a[0] if _attr(node, 'transA', 0) else a[1]
    if op == 'FusedMatMul' and _attr(node, 'transA', 0) and len(a) >= 2:
        return a[-2]
    return a[-1]


def _node_flops(node, shapes):
    op = node.op_type
    if op == 'MultiHeadAttention':
        d = _mha_dims(node, shapes)
        if d is None:
            return None
        b, sq, sk, dk, dv, _ = d
        return 2 * b * sq * sk * dk + 2 * b * sq * sk * dv
    y = shapes.get(node.output[0])
    if op in CONV_OPS:
        w = shapes.get(node.input[3] if op == 'QLinearConv' else node.input[1])
        x = shapes.get(node.input[0])
        if op == 'ConvTranspose':
            return None if not (_known(x) and _known(w)) else 2 * int(np.prod(x)) * int(np.prod(w[1:]))
        return None if not (_known(y) and _known(w)) else 2 * int(np.prod(y)) * int(np.prod(w[1:]))
    k = _inner(node, shapes)
    if not _known(y) or k is None:
        return None
    return 2 * int(np.prod(y)) * int(k)


QDQ_OPS = {'MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'FusedMatMul'}


def _qdq_int8(node, producer, types) -> bool:
    """Whether a float matmul / conv takes both operands from 8-bit DequantizeLinear (QDQ form):
    onnxruntime then runs it as an integer kernel (QLinearMatMul, MatMulIntegerToFloat, QLinearConv)."""
    if node.op_type not in QDQ_OPS or len(node.input) < 2:
        return False
    for name in node.input[:2]:
        dq = producer.get(name)
        if dq is None or dq.op_type != 'DequantizeLinear':
            return False
        if types.get(dq.input[0]) not in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8):
            return False
    return True


def _read_inputs(model, files: dict) -> dict:
    """Values of the graph inputs named in `files` (raw little-endian, the input's dtype and concrete shape)."""
    out = {}
    for inp in model.graph.input:
        if inp.name not in files:
            continue
        t = inp.type.tensor_type
        shape = [d.dim_value for d in t.shape.dim]
        dtype = np.dtype(_np_dtype(t.elem_type)).newbyteorder('<')
        raw = np.frombuffer(Path(files[inp.name]).read_bytes(), dtype=dtype)
        if raw.size != int(np.prod(shape)):
            raise SystemExit(f'onnx_flops: --input {inp.name}={files[inp.name]} holds {raw.size} values of {dtype.name}, '
                             f'expected {shape} ({int(np.prod(shape))})')
        out[inp.name] = raw.reshape(shape).astype(dtype.newbyteorder('='))
    return out


def count_graph(path: Path, input_shapes: dict, dims: dict, input_files: dict | None = None) -> dict:
    model = onnx.load(str(path), load_external_data=False)
    _set_inputs(model, input_shapes, dims)
    seed = _read_inputs(model, input_files or {})
    forced = {}
    for _ in range(100):
        shapes, types = _infer(model, forced)
        if _fold(model, shapes, seed) == 0 and _contrib_shapes(model, shapes, types, forced) == 0:
            break
    shapes, types = _infer(model, forced)
    producer = {o: n for n in model.graph.node for o in n.output}
    by_op, unresolved = {}, []
    float_flops = int8_ops = other = counted = 0
    for node in model.graph.node:
        op = node.op_type
        if op in FLOAT_OPS or op in INT8_OPS:
            f = _node_flops(node, shapes)
            if f is None:
                unresolved.append(node.name or f'{op}:{node.output[0]}')
                continue
            counted += 1
            qdq = _qdq_int8(node, producer, types)
            key = f'{op} (QDQ int8)' if qdq else op
            by_op[key] = by_op.get(key, 0) + f
            if op in INT8_OPS or qdq:
                int8_ops += f
            else:
                float_flops += f
            if op == 'MultiHeadAttention':  # the softmax over its attention probabilities
                b, sq, sk, _, _, heads = _mha_dims(node, shapes)
                other += b * heads * sq * sk
        elif op in UNCOUNTED_OPS:
            unresolved.append(f'{node.name or node.output[0]} ({op}: not counted by this tool)')
        elif op not in FREE_OPS:
            s = shapes.get(node.output[0]) if node.output else None
            if _known(s):
                other += int(np.prod(s))
    return {
        'file': path.name,
        'flops': float_flops + int8_ops,
        'floatFlops': float_flops,
        'int8Ops': int8_ops,
        'quantized': int8_ops > 0,
        'byOp': by_op,
        'nodes': counted,
        'otherOutputElements': other,
        'unresolved': unresolved,
    }


TRACKER_POINTS = 256   # the tracker graph's N when --dim does not set it (d4rt bench's tracks)


def count_model_dir(folder: Path, dims: dict, input_files: dict | None = None) -> dict:
    manifest = json.loads((folder / 'manifest.json').read_text())
    files = manifest['files']
    out = {}
    for role in ('encoder', 'kv', 'decoder', 'tracker'):
        if role not in files:
            continue
        spec = manifest.get(role, {}).get('inputs', {})
        # the tracker's point count N: --dim N=..., else the bench's 256 tracks
        role_dims = {'N': TRACKER_POINTS, **dims} if role == 'tracker' else dims
        out[role] = count_graph(folder / files[role], {k: v['shape'] for k, v in spec.items()}, role_dims, input_files)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('paths', nargs='+', type=Path, help='a d4rt-model/1 folder, or .onnx files')
    ap.add_argument('--dim', action='append', default=[], metavar='NAME=VALUE', help='value of a symbolic dimension (repeatable)')
    ap.add_argument('--input', action='append', default=[], metavar='NAME=FILE',
                    help="values of a graph input, raw little-endian in the input's dtype (repeatable); for shapes that depend on values")
    ap.add_argument('--verbose', action='store_true', help='say on stderr which constant subgraphs could not be evaluated')
    args = ap.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    dims = {}
    for d in args.dim:
        name, _, value = d.partition('=')
        if not name or not value.isdigit() or int(value) < 1:
            ap.error(f'--dim {d!r} must be NAME=VALUE with VALUE an integer >= 1')
        dims[name] = int(value)
    input_files = {}
    for d in args.input:
        name, _, file = d.partition('=')
        if not name or not Path(file).is_file():
            ap.error(f'--input {d!r} must be NAME=FILE with FILE an existing file')
        input_files[name] = file
    graphs = {}
    for p in args.paths:
        if p.is_dir():
            if not (p / 'manifest.json').is_file():
                ap.error(f'{p} is a folder without manifest.json')
            counted = count_model_dir(p, dims, input_files)
        elif p.is_file():
            counted = {p.stem: count_graph(p, {}, dims, input_files)}
        else:
            ap.error(f'{p} does not exist')
        for key in counted:
            if key in graphs:
                ap.error(f'two graphs are named {key!r}: count one model folder at a time')
        graphs.update(counted)
    res = {'onnx': onnx.__version__, 'dims': dims, 'graphs': graphs}
    print(json.dumps(res), flush=True)
    return res


if __name__ == '__main__':
    main()
