"""The Flask peer of tests/perf/serve.sh: the same XGBoost model served
the way a Flask user writes it (request JSON -> NumPy -> Booster ->
JSON), under gunicorn. One OIP v2 style infer endpoint, MLflow's
/invocations with dataframe_split, and a health check. The model is
$MODEL, served as $MODEL_NAME (default "m"); XGBoost uses one thread per
worker (gunicorn runs one worker per core).

Run: MODEL=model.json gunicorn -w 2 -b 127.0.0.1:PORT \\
         --chdir tests/perf serve_flask:app
"""
import os

import numpy as np
import xgboost as xgb
from flask import Flask, jsonify, request

app = Flask(__name__)
NAME = os.environ.get("MODEL_NAME", "m")
booster = xgb.Booster(model_file=os.environ["MODEL"])
booster.set_param({"nthread": 1})
FEATS = booster.feature_names


@app.get("/v2/health/ready")
def ready():
    return "", 200


@app.post("/v2/models/<name>/infer")
def infer(name):
    if name != NAME:
        return jsonify(error="model '%s' not found" % name), 404
    req = request.get_json()
    inp = req["inputs"][0]
    x = np.asarray(inp["data"], dtype=np.float32).reshape(inp["shape"])
    y = booster.inplace_predict(x)
    return jsonify(model_name=NAME, model_version="1",
                   outputs=[{"name": "predict", "datatype": "FP32",
                             "shape": [len(y)], "data": y.tolist()}])


@app.post("/invocations")
def invocations():
    split = request.get_json()["dataframe_split"]
    x = np.asarray(split["data"], dtype=np.float32)
    cols = split.get("columns")
    if cols and cols != FEATS:
        x = x[:, [cols.index(f) for f in FEATS]]
    return jsonify(predictions=booster.inplace_predict(x).tolist())
