#!/usr/bin/env python3
"""Generates the ONNX test models and their expected outputs (computed with Python's
onnxruntime) for mlform serve's tests and benchmark. Run it to regenerate; the outputs are
committed so CI needs only the ONNX Runtime library, not Python packages.

    python3 -m pip install onnx==1.23.2 onnxruntime==1.32.0 numpy
    python3 tests/models/make_models.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp():
    """A tabular MLP: 64 -> 256 -> 256 -> 8, ReLU, float32, dynamic batch."""
    rng = np.random.default_rng(7)
    dims = [64, 256, 256, 8]
    nodes, inits = [], []
    prev = "features"
    for i in range(3):
        w = (rng.standard_normal((dims[i], dims[i + 1])) / np.sqrt(dims[i])).astype(np.float32)
        b = (rng.standard_normal(dims[i + 1]) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"mm{i}"]))
        out = "scores" if i == 2 else f"h{i}"
        nodes.append(helper.make_node("Add", [f"mm{i}", f"b{i}"], [out if i == 2 else f"pre{i}"]))
        if i < 2:
            nodes.append(helper.make_node("Relu", [f"pre{i}"], [out]))
        prev = out
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 8])],
        inits,
    )
    model = helper.make_model(graph, producer_name="mlform-tests", producer_version="1", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def adder():
    """Two INT64 inputs added: exercises several inputs and an integer dtype."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])],
        "adder",
        [helper.make_tensor_value_info("a", TensorProto.INT64, ["batch", 2]), helper.make_tensor_value_info("b", TensorProto.INT64, ["batch", 2])],
        [helper.make_tensor_value_info("sum", TensorProto.INT64, ["batch", 2])],
    )
    model = helper.make_model(graph, producer_name="mlform-tests", producer_version="1", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def slow():
    """A small file with heavy compute (tiles each row 8192 times, then 120 Sin ops): about a
    hundred milliseconds per row, so tests can hold requests in flight without big bodies."""
    nodes = [helper.make_node("Tile", ["x", "repeats"], ["t0"])]
    for i in range(120):
        nodes.append(helper.make_node("Sin", [f"t{i}"], [f"t{i + 1}"]))
    nodes.append(helper.make_node("ReduceSum", ["t120", "axes"], ["y"], keepdims=1))
    graph = helper.make_graph(
        nodes,
        "slow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])],
        [numpy_helper.from_array(np.array([1, 8192], dtype=np.int64), "repeats"), numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")],
    )
    model = helper.make_model(graph, producer_name="mlform-tests", producer_version="1", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def image():
    """An image-sized input for the serving benchmark: 3x224x224 floats, a 3x3 stride-2
    convolution to 16 channels, ReLU, global average pooling, a 16 -> 10 classifier."""
    rng = np.random.default_rng(11)
    w = (rng.standard_normal((16, 3, 3, 3)) / np.sqrt(27)).astype(np.float32)
    b = np.zeros(16, dtype=np.float32)
    fc = (rng.standard_normal((16, 10)) / 4).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["pixels", "w", "b"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("MatMul", ["f", "fc"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "image",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(fc, "fc")],
    )
    model = helper.make_model(graph, producer_name="mlform-tests", producer_version="1", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    os.makedirs(os.path.join(HERE, "dir"), exist_ok=True)
    onnx.save(mlp(), os.path.join(HERE, "mlp.onnx"))
    onnx.save(mlp(), os.path.join(HERE, "dir", "mlp.onnx"))
    onnx.save(adder(), os.path.join(HERE, "dir", "adder.onnx"))
    onnx.save(slow(), os.path.join(HERE, "slow.onnx"))
    onnx.save(image(), os.path.join(HERE, "image.onnx"))
    rng = np.random.default_rng(42)
    features = rng.standard_normal((3, 64)).astype(np.float32)
    sess = ort.InferenceSession(os.path.join(HERE, "mlp.onnx"), providers=["CPUExecutionProvider"])
    scores = sess.run(["scores"], {"features": features})[0]
    a = np.array([[1, 2], [3, 4]], dtype=np.int64)
    b = np.array([[10, 20], [30, 40]], dtype=np.int64)
    add = ort.InferenceSession(os.path.join(HERE, "dir", "adder.onnx"), providers=["CPUExecutionProvider"]).run(["sum"], {"a": a, "b": b})[0]
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(
            {
                "onnxruntime": ort.__version__,
                "mlp": {"features": features.tolist(), "scores": scores.tolist()},
                "adder": {"a": a.tolist(), "b": b.tolist(), "sum": add.tolist()},
            },
            f,
            indent=1,
        )
    print("wrote", HERE)


if __name__ == "__main__":
    main()
