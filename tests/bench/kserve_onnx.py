"""KServe's own Python model server (PyPI kserve) with an onnxruntime predictor, as KServe's
docs write a custom V2 model: the baseline of the serving benchmark.

Usage: kserve_onnx.py MODEL.onnx NAME HTTP_PORT GRPC_PORT WORKERS
"""
import sys

import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class OnnxModel(Model):
    def __init__(self, name, path):
        super().__init__(name)
        self.path = path
        self.session = None
        self.load()

    def load(self):
        # The session opens in each worker process on first use (with several workers,
        # KServe pickles the model into them, and a session does not pickle).
        self.ready = True

    def __getstate__(self):
        state = self.__dict__.copy()
        state["session"] = None
        return state

    def open(self):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(self.path, sess_options=options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.output = self.session.get_outputs()[0].name

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        if self.session is None:
            self.open()
        x = payload.inputs[0].as_numpy()
        y = self.session.run(None, {self.input: x})[0]
        out = InferOutput(name=self.output, shape=list(y.shape), datatype="FP32", data=y)
        return InferResponse(model_name=self.name, infer_outputs=[out], response_id=payload.id or "0")


if __name__ == "__main__":
    path, name, http_port, grpc_port, workers = sys.argv[1:6]
    ModelServer(http_port=int(http_port), grpc_port=int(grpc_port), workers=int(workers)).start([OnnxModel(name, path)])
