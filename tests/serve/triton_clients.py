"""Triton's own clients (PyPI tritonclient) against mlform serve, in their default modes.

Usage: triton_clients.py HTTP_ADDR GRPC_ADDR EXPECTED_JSON

HTTP sends tensors with the binary tensor data extension and asks for binary outputs (the
client's defaults), then once more as JSON; gRPC sends raw_input_contents and reads
raw_output_contents. Every answer must equal Python onnxruntime's recorded scores.
Exits non-zero with a message on the first difference.
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def check(label, got, want):
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=1e-6):
        sys.exit(f"{label}: got {got!r}, want {want!r}")
    print(f"ok {label}")


def main():
    http_addr, grpc_addr, expected_path = sys.argv[1:4]
    expected = json.load(open(expected_path))["mlp"]
    features = np.array(expected["features"], dtype=np.float32)
    scores = np.array(expected["scores"], dtype=np.float32)

    http = httpclient.InferenceServerClient(url=http_addr)
    assert http.is_server_live() and http.is_server_ready(), "HTTP: not live and ready"
    assert http.is_model_ready("mlp"), "HTTP: model not ready"
    meta = http.get_model_metadata("mlp")
    assert meta["inputs"][0]["name"] == "features", meta
    out_name = meta["outputs"][0]["name"]

    inp = httpclient.InferInput("features", list(features.shape), "FP32")
    inp.set_data_from_numpy(features)  # binary_data=True by default
    result = http.infer("mlp", [inp])  # no outputs named: all, as binary data
    check("http binary in, binary out", result.as_numpy(out_name), scores)

    result = http.infer("mlp", [inp], outputs=[httpclient.InferRequestedOutput(out_name)])
    check("http binary in, named binary output", result.as_numpy(out_name), scores)

    inp_json = httpclient.InferInput("features", list(features.shape), "FP32")
    inp_json.set_data_from_numpy(features, binary_data=False)
    result = http.infer(
        "mlp", [inp_json], outputs=[httpclient.InferRequestedOutput(out_name, binary_data=False)]
    )
    check("http JSON in, JSON out", result.as_numpy(out_name), scores)

    try:
        bad = httpclient.InferInput("features", [1, 3], "FP32")
        bad.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
        http.infer("mlp", [bad])
        sys.exit("http: a wrong shape was accepted")
    except InferenceServerException as e:
        assert "dimension 1 must be 64" in str(e), str(e)
        print("ok http wrong shape refused")

    grpc = grpcclient.InferenceServerClient(url=grpc_addr)
    assert grpc.is_server_live() and grpc.is_server_ready(), "gRPC: not live and ready"
    assert grpc.is_model_ready("mlp"), "gRPC: model not ready"
    gmeta = grpc.get_model_metadata("mlp", as_json=True)
    assert gmeta["inputs"][0]["name"] == "features", gmeta
    assert grpc.get_server_metadata(as_json=True)["name"] == "mlform-serve"

    ginp = grpcclient.InferInput("features", list(features.shape), "FP32")
    ginp.set_data_from_numpy(features)
    result = grpc.infer("mlp", [ginp])
    check("grpc raw in, raw out", result.as_numpy(out_name), scores)
    result = grpc.infer("mlp", [ginp], outputs=[grpcclient.InferRequestedOutput(out_name)])
    check("grpc named output", result.as_numpy(out_name), scores)

    for label, call in [
        ("grpc wrong shape refused", lambda: grpc.infer("mlp", [bad_grpc()])),
        ("grpc unknown model refused", lambda: grpc.infer("nope", [ginp])),
    ]:
        try:
            call()
            sys.exit(f"{label}: accepted")
        except InferenceServerException as e:
            status = e.status()
            assert status in ("StatusCode.INVALID_ARGUMENT", "StatusCode.NOT_FOUND"), status
            print(f"ok {label} ({status})")


def bad_grpc():
    bad = grpcclient.InferInput("features", [1, 3], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    return bad


if __name__ == "__main__":
    main()
