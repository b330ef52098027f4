"""Writes the two tiny ONNX graphs `d4rt bench` times for this machine's onnxruntime-node matmul peak.

    /usr/bin/python3 packages/cli/bench-models/make_matmul_models.py   (needs Debian's python3-onnx)

Both take the activations as a graph input and build the N x N weights inside the graph from
``ConstantOfShape``, so the files stay a few hundred bytes while onnxruntime constant-folds the
weights into initializers at session creation and pre-packs them, as it does for a model's weights:

- ``matmul-f32.onnx``: ``y = a @ w``, float32, a [N, N] input, w [N, N];
- ``matmul-int8.onnx``: the pattern onnxruntime's dynamic quantisation (``quantize_dynamic``)
  writes for a MatMul: activations quantised to uint8 by ``DynamicQuantizeLinear``, int8 weights
  with zero point 0, ``MatMulInteger``, then ``Cast`` and ``Mul`` by the two scales back to float32
  (onnxruntime fuses these into one ``DynamicQuantizeMatMul`` kernel, as in a quantised model).

N = 1024 (2 N^3 = 2.15 GFLOP per run).
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

N = 1024
HERE = Path(__file__).resolve().parent


def weights(name: str, dtype: int, value) -> list:
    shape = helper.make_tensor(f'{name}_shape', TensorProto.INT64, [2], [N, N])
    return [
        helper.make_node('Constant', [], [f'{name}_shape'], value=shape),
        helper.make_node('ConstantOfShape', [f'{name}_shape'], [name], value=helper.make_tensor(f'{name}_value', dtype, [1], [value])),
    ]


def save(nodes: list, name: str, doc: str) -> None:
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info('a', TensorProto.FLOAT, [N, N])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [N, N])],
    )
    graph.doc_string = doc
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='d4rt-js make_matmul_models.py')
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, HERE / f'{name}.onnx')


save(
    [*weights('w', TensorProto.FLOAT, 0.5), helper.make_node('MatMul', ['a', 'w'], ['y'])],
    'matmul-f32',
    f'float32 MatMul {N}x{N}x{N}: d4rt bench fp32 peak',
)
save(
    [
        *weights('w_q', TensorProto.INT8, 3),
        helper.make_node('Constant', [], ['w_scale'], value=helper.make_tensor('w_scale_v', TensorProto.FLOAT, [], [0.01])),
        helper.make_node('Constant', [], ['w_zero_point'], value=helper.make_tensor('w_zp_v', TensorProto.INT8, [], [0])),
        helper.make_node('DynamicQuantizeLinear', ['a'], ['a_q', 'a_scale', 'a_zero_point']),
        helper.make_node('Mul', ['a_scale', 'w_scale'], ['scales']),
        helper.make_node('MatMulInteger', ['a_q', 'w_q', 'a_zero_point', 'w_zero_point'], ['y_i32']),
        helper.make_node('Cast', ['y_i32'], ['y_f32'], to=TensorProto.FLOAT),
        helper.make_node('Mul', ['y_f32', 'scales'], ['y']),
    ],
    'matmul-int8',
    f'dynamically quantised MatMul {N}x{N}x{N} (uint8 activations x int8 weights): d4rt bench int8 peak',
)
