#!/usr/bin/python3
"""Generates the XGBoost parity fixtures of tests/unit/model_test.c.

Run once with Debian's XGBoost (/usr/bin/python3 tests/data/xgb/make.py);
the outputs are committed so that the tests need no XGBoost:

  inputs.csv         200 rows x 6 features (header f0..f5), "nan" for missing
  NAME.json          Booster.save_model() of each model below
  NAME.pred.csv      XGBoost's predict() on inputs.csv, "%.9g", one column
                     per output (p0, p1, ...)
"""
import json
import os

import numpy as np
import xgboost as xgb

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240601)
nfeat = 6


def data(n, pmiss):
    X = rng.normal(size=(n, nfeat)).astype(np.float32)
    X[:, 3] = np.round(X[:, 3] * 2)          # a few distinct values
    X[:, 5] = rng.exponential(size=n) * 100  # another scale
    X[rng.random(X.shape) < pmiss] = np.nan
    return X


def score(X):
    s = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) ** 2 \
        - 0.8 * np.isnan(X[:, 2]) + 0.3 * np.nan_to_num(X[:, 3]) \
        + 0.004 * np.nan_to_num(X[:, 5], nan=150.0)
    return s + rng.normal(scale=0.3, size=len(s))


Xtr = data(400, 0.1)
s = score(Xtr)
Xte = data(200, 0.25)
Xte[:8] = data(8, 0.0) * 10     # outside the training range

cls3 = np.digitize(s, np.quantile(s, [1 / 3, 2 / 3]))
models = {
    "binary": ({"objective": "binary:logistic", "base_score": 0.3},
               (s > np.median(s)).astype(float), ["a", "b", "c", "d", "e", "g"]),
    "reg": ({"objective": "reg:squarederror"}, s, None),
    "softprob": ({"objective": "multi:softprob", "num_class": 3}, cls3, None),
    "softmax": ({"objective": "multi:softmax", "num_class": 3}, cls3, None),
}
boosters = {}
for name, (params, y, names) in models.items():
    params = dict(params, max_depth=6, eta=0.3, tree_method="hist", seed=1,
                  nthread=1)
    dtr = xgb.DMatrix(Xtr, y, missing=np.nan, feature_names=names)
    rounds = 20 if params["objective"].startswith(("binary", "reg")) else 8
    boosters[name] = bst = xgb.train(params, dtr, rounds)
    bst.save_model(os.path.join(here, name + ".json"))

# rows 8..39 put one feature exactly on a split threshold of some tree
splits = []
for name in boosters:
    with open(os.path.join(here, name + ".json")) as f:
        trees = json.load(f)["learner"]["gradient_booster"]["model"]["trees"]
    for t in trees:
        splits += [(f, c) for f, c, l in zip(t["split_indices"],
                   t["split_conditions"], t["left_children"]) if l != -1]
for i in range(32):
    f, t = splits[int(rng.integers(len(splits)))]
    Xte[8 + i, f] = np.float32(t)
np.savetxt(os.path.join(here, "inputs.csv"), Xte, fmt="%.9g", delimiter=",",
           header=",".join("f%d" % j for j in range(nfeat)), comments="")

for name, (params, y, names) in models.items():
    bst = boosters[name]
    p = bst.predict(xgb.DMatrix(Xte, missing=np.nan, feature_names=names))
    p = p.reshape(len(Xte), -1)
    np.savetxt(os.path.join(here, name + ".pred.csv"), p, fmt="%.9g",
               delimiter=",", comments="",
               header=",".join("p%d" % k for k in range(p.shape[1])))
