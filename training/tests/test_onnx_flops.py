"""tools/onnx_flops.py: FLOPs of small graphs whose counts are known by hand, shapes resolved through
run-time shape arithmetic, and the JSON line for a model folder."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING / 'tools'))

import onnx_flops  # noqa: E402

TINY = TRAINING.parent / 'packages' / 'models' / 'd4rt-tiny'


def _save(tmp_path, nodes, inputs, outputs, inits=(), name='g'):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('com.microsoft', 1)])
    model.ir_version = 8
    path = tmp_path / f'{name}.onnx'
    onnx.save(model, path)
    return path


def _w(name, *shape, dtype=np.float32):
    return numpy_helper.from_array(np.zeros(shape, dtype), name)


def test_matmul_gemm_conv_counted_by_hand(tmp_path):
    # x [1, Q, 8] @ w1 [8, 16] -> [1, Q, 16]: 2*Q*16*8; Gemm [4, 8] x [8, 5]^T... (transB): 2*4*5*8;
    # Conv [1, 3, 10, 10] with [6, 3, 3, 3], pad 1 -> [1, 6, 10, 10]: 2*600*27
    path = _save(
        tmp_path,
        [
            helper.make_node('MatMul', ['x', 'w1'], ['y']),
            helper.make_node('Gemm', ['a', 'b'], ['z'], transB=1),
            helper.make_node('Conv', ['img', 'k'], ['c'], pads=[1, 1, 1, 1]),
            helper.make_node('Relu', ['c'], ['r']),
        ],
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 'Q', 8]),
         helper.make_tensor_value_info('a', TensorProto.FLOAT, [4, 8]),
         helper.make_tensor_value_info('img', TensorProto.FLOAT, [1, 3, 10, 10])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None),
         helper.make_tensor_value_info('z', TensorProto.FLOAT, None),
         helper.make_tensor_value_info('r', TensorProto.FLOAT, None)],
        [_w('w1', 8, 16), _w('b', 5, 8), _w('k', 6, 3, 3, 3)],
    )
    g = onnx_flops.count_graph(path, {}, {'Q': 100})
    assert g['byOp'] == {'MatMul': 2 * 100 * 16 * 8, 'Gemm': 2 * 4 * 5 * 8, 'Conv': 2 * 600 * 27}
    assert g['flops'] == g['floatFlops'] == sum(g['byOp'].values())
    assert g['int8Ops'] == 0 and g['quantized'] is False
    assert g['otherOutputElements'] == 600  # the Relu
    assert g['unresolved'] == []


def test_shapes_computed_at_run_time_are_resolved(tmp_path):
    # reshape to [Q, 2, 4] with the shape built from Shape(x) -> Gather -> Concat, as exporters write it
    c = lambda name, v: helper.make_node('Constant', [], [name], value=numpy_helper.from_array(np.array(v, np.int64), name + '_v'))
    path = _save(
        tmp_path,
        [
            helper.make_node('Shape', ['x'], ['s']),
            c('i0', 0),
            helper.make_node('Gather', ['s', 'i0'], ['q'], axis=0),
            c('ax', [0]),
            helper.make_node('Unsqueeze', ['q', 'ax'], ['q1']),
            c('rest', [2, 4]),
            helper.make_node('Concat', ['q1', 'rest'], ['shape'], axis=0),
            helper.make_node('Reshape', ['x', 'shape'], ['x3']),
            helper.make_node('Transpose', ['x3'], ['xt'], perm=[0, 2, 1]),
            helper.make_node('MatMul', ['x3', 'xt'], ['y']),
        ],
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['Q', 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
    )
    g = onnx_flops.count_graph(path, {}, {'Q': 10})
    assert g['unresolved'] == []
    assert g['byOp'] == {'MatMul': 2 * 10 * 2 * 2 * 4}


def test_dynamic_quantised_matmul_is_int8(tmp_path):
    path = _save(
        tmp_path,
        [
            helper.make_node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
            helper.make_node('MatMulInteger', ['xq', 'wq', 'xz', 'wz'], ['yi']),
            helper.make_node('Cast', ['yi'], ['yf'], to=TensorProto.FLOAT),
            helper.make_node('Mul', ['yf', 'xs'], ['y']),
        ],
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [6, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
        [_w('wq', 8, 3, dtype=np.int8), _w('wz', dtype=np.int8)],
    )
    g = onnx_flops.count_graph(path, {}, {})
    assert g['int8Ops'] == 2 * 6 * 3 * 8 and g['floatFlops'] == 0 and g['quantized'] is True


def test_qdq_matmul_is_int8_and_weight_only_dequantised_is_float(tmp_path):
    # x -> QuantizeLinear (uint8) -> DequantizeLinear, int8 weights -> DequantizeLinear: both operands 8-bit
    scale = numpy_helper.from_array(np.array(0.1, np.float32), 's')
    path = _save(
        tmp_path,
        [
            helper.make_node('QuantizeLinear', ['x', 's', 'zu'], ['xq']),
            helper.make_node('DequantizeLinear', ['xq', 's', 'zu'], ['xd']),
            helper.make_node('DequantizeLinear', ['wq', 's', 'zi'], ['wd']),
            helper.make_node('MatMul', ['xd', 'wd'], ['y']),        # QDQ: int8
            helper.make_node('MatMul', ['x', 'wd'], ['y2']),        # float activations: float
        ],
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [6, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None), helper.make_tensor_value_info('y2', TensorProto.FLOAT, None)],
        [scale, _w('zu', dtype=np.uint8), _w('zi', dtype=np.int8), _w('wq', 8, 3, dtype=np.int8)],
    )
    g = onnx_flops.count_graph(path, {}, {})
    assert g['byOp'] == {'MatMul (QDQ int8)': 2 * 6 * 3 * 8, 'MatMul': 2 * 6 * 3 * 8}
    assert g['int8Ops'] == g['floatFlops'] == 2 * 6 * 3 * 8 and g['quantized'] is True


def test_two_model_folders_at_once_are_refused(tmp_path):
    if not (TINY / 'manifest.json').is_file():
        pytest.skip('packages/models/d4rt-tiny not here')
    r = subprocess.run([sys.executable, str(TRAINING / 'tools' / 'onnx_flops.py'), str(TINY), str(TINY), '--dim', 'Q=4'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "two graphs are named 'encoder': count one model folder at a time" in r.stderr


def test_symbolic_dimension_without_value_is_an_error(tmp_path):
    path = _save(tmp_path, [helper.make_node('Relu', ['x'], ['y'])],
                 [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['Q', 8])],
                 [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)])
    with pytest.raises(SystemExit, match=r"symbolic dimension 'Q'; pass --dim Q=VALUE"):
        onnx_flops.count_graph(path, {}, {})


def test_multi_head_attention_and_value_dependent_shapes(tmp_path):
    # keys of the frames the queries target: Unique(times) -> Gather; then onnxruntime's MultiHeadAttention
    path = _save(
        tmp_path,
        [
            helper.make_node('Unique', ['times'], ['u', 'ui', 'uinv', 'uc'], sorted=1),
            helper.make_node('Gather', ['frames', 'u'], ['kf'], axis=0),              # [U, 6, 16]
            helper.make_node('Constant', [], ['kshape'], value=numpy_helper.from_array(np.array([1, -1, 16], np.int64), 'ks')),
            helper.make_node('Reshape', ['kf', 'kshape'], ['k']),                     # [1, 6 U, 16]
            helper.make_node('MultiHeadAttention', ['q', 'k', 'k'], ['o'], name='mha', domain='com.microsoft', num_heads=2),
            helper.make_node('MatMul', ['o', 'w'], ['y'], name='mm'),                # [1, Q, 16] x [16, 4]
        ],
        [helper.make_tensor_value_info('times', TensorProto.INT64, ['Q']),
         helper.make_tensor_value_info('frames', TensorProto.FLOAT, [10, 6, 16]),
         helper.make_tensor_value_info('q', TensorProto.FLOAT, [1, 'Q', 16])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
        [_w('w', 16, 4)],
    )
    times = tmp_path / 'times.i64'
    np.array([3, 1, 3, 7, 1], '<i8').tofile(times)                                  # 3 distinct frames
    g = onnx_flops.count_graph(path, {}, {'Q': 5}, {'times': str(times)})
    assert g['unresolved'] == []
    sk = 6 * 3
    assert g['byOp'] == {'MultiHeadAttention': 2 * 5 * sk * 16 * 2, 'MatMul': 2 * 5 * 4 * 16}
    # without the values the attention's key length is unknown: listed, not dropped
    g = onnx_flops.count_graph(path, {}, {'Q': 5})
    assert g['unresolved'] == ['mha', 'mm']
    with pytest.raises(SystemExit, match=r'holds 5 values of int64, expected \[4\]'):
        onnx_flops.count_graph(path, {}, {'Q': 4}, {'times': str(times)})


@pytest.mark.skipif(not (TINY / 'manifest.json').is_file(), reason='packages/models/d4rt-tiny not here')
def test_model_folder_prints_one_json_line_and_decoder_grows_with_q(tmp_path):
    def run(q):
        times = tmp_path / f'times-{q}.i64'
        np.random.default_rng(q).integers(0, 16, (1, q, 3)).astype('<i8').tofile(times)
        r = subprocess.run([sys.executable, str(TRAINING / 'tools' / 'onnx_flops.py'), str(TINY), '--dim', f'Q={q}',
                            '--input', f'times={times}'], capture_output=True, text=True, check=True, timeout=120)
        lines = r.stdout.strip().split('\n')
        assert len(lines) == 1
        return json.loads(lines[0])

    a, b = run(64), run(128)
    manifest = json.loads((TINY / 'manifest.json').read_text())
    assert set(a['graphs']) == set(manifest['files']) - {'externalData'}
    for res in (a, b):
        for g in res['graphs'].values():
            assert g['unresolved'] == [] and g['flops'] > 0
    assert a['graphs']['encoder']['flops'] == b['graphs']['encoder']['flops']
    assert b['graphs']['decoder']['flops'] > a['graphs']['decoder']['flops']
