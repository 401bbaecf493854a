#!/usr/bin/python3
"""The model and request bodies of tests/perf/serve.sh, the same on every
run: 20,000 rows of tests/perf/gen-data.py's 28 features (HIGGS-like: a
nonlinear binary label), a GBDT trained on them by XGBoost (100 trees,
depth 6, eta 0.1, hist, binary:logistic, feature names f0..f27), saved
as JSON. In DIR:
  model.json         the model (mlp serve and the Flask app load it)
  oip1.json          OIP v2 infer body: one row, input-0, shape [1, 28], FP32
  inv1.json          MLflow /invocations body: dataframe_split, one row
  inv1000.json       the same with 1000 rows
  expected.txt       XGBoost's prediction of the one row (%.9g)
  copies/mK.json     with COPIES > 0: K = 1..COPIES, the model with every
                     leaf scaled by 1 + K * 1e-6 (distinct files and
                     numbers, the same size and shape)

Usage: /usr/bin/python3 tests/perf/serve_model.py DIR [COPIES]
"""
import json
import os
import subprocess
import sys

import numpy as np
import xgboost as xgb

ROWS = 20000
FEATS = ["f%d" % i for i in range(28)]


def body(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def scale_leaves(model, k):
    """The XGBoost JSON model with every leaf value scaled by 1 + k*1e-6."""
    f = 1.0 + k * 1e-6
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        left = tree["left_children"]
        w = tree["split_conditions"]
        for i, child in enumerate(left):
            if child == -1:
                w[i] *= f
        tree["base_weights"] = [b * f for b in tree["base_weights"]]
    return model


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: serve_model.py DIR [COPIES]")
    out = sys.argv[1]
    copies = int(sys.argv[2]) if len(sys.argv) == 3 else 0
    here = os.path.dirname(os.path.abspath(__file__))
    csv = os.path.join(out, "data.csv")
    subprocess.run([sys.executable, os.path.join(here, "gen-data.py"),
                    str(ROWS), csv], check=True)
    d = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.float64)
    x = d[:, :28].astype(np.float32)
    y = d[:, 28]
    bst = xgb.train({"objective": "binary:logistic", "tree_method": "hist",
                     "max_depth": 6, "eta": 0.1, "nthread": 2, "seed": 0},
                    xgb.DMatrix(x, y, feature_names=FEATS), 100)
    bst.save_model(os.path.join(out, "model.json"))

    # the rows sent: values as a client would send them (the CSV's text)
    rows = [[float("%.6g" % v) for v in r] for r in d[:1000, :28].tolist()]
    body({"inputs": [{"name": "input-0", "shape": [1, 28],
                      "datatype": "FP32", "data": rows[0]}]},
         os.path.join(out, "oip1.json"))
    body({"dataframe_split": {"columns": FEATS, "data": rows[:1]}},
         os.path.join(out, "inv1.json"))
    body({"dataframe_split": {"columns": FEATS, "data": rows}},
         os.path.join(out, "inv1000.json"))
    p = bst.inplace_predict(np.asarray(rows[:1], dtype=np.float32))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("%.9g\n" % p[0])

    if copies:
        os.makedirs(os.path.join(out, "copies"), exist_ok=True)
        with open(os.path.join(out, "model.json")) as f:
            text = f.read()
        for k in range(1, copies + 1):
            body(scale_leaves(json.loads(text), k),
                 os.path.join(out, "copies", "m%d.json" % k))


if __name__ == "__main__":
    main()
