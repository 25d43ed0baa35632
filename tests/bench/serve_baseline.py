"""The Python baseline for the serving benchmark: FastAPI + uvicorn + onnxruntime, the common
choice. Same contract as mlform serve's SageMaker route: POST /invocations with
{"instances": [[...], ...]} answers {"predictions": [[...], ...]}."""
import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request

options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(os.environ["MODEL"], sess_options=options, providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name
app = FastAPI()


@app.get("/ping")
def ping():
    return {}


@app.post("/invocations")
async def invocations(request: Request):
    body = await request.json()
    x = np.asarray(body["instances"], dtype=np.float32)
    y = session.run(None, {input_name: x})[0]
    return {"predictions": y.tolist()}
