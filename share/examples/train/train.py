#!/usr/bin/env python3
"""An external trainer for `mlp train --cmd`: logistic regression by
gradient descent on churn.csv, standard library only.

    mlp train --cmd 'python3 share/examples/train/train.py --lr 0.1'

mlp gives the trainer MLP_TRACK_FD, a pipe on which it writes one record
per line ("metric NAME VALUE [STEP]", "param NAME VALUE", "tag NAME
VALUE"), and MLP_ARTIFACT_DIR, whose files become the run's artifacts."""
import argparse
import csv
import json
import math
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__),
                                               "churn.csv"))
ap.add_argument("--lr", type=float, default=0.1)
ap.add_argument("--epochs", type=int, default=30)
args = ap.parse_args()

fd = os.environ.get("MLP_TRACK_FD")
track = os.fdopen(int(fd), "w", buffering=1) if fd else None


def log(*words):
    if track:
        print(*words, file=track)


log("param", "lr", args.lr)
log("param", "epochs", args.epochs)

rows = list(csv.DictReader(open(args.data)))
cols = ["tenure", "monthly", "support_calls"]
xs = [[float(r[c]) for c in cols] for r in rows]
ys = [float(r["churned"]) for r in rows]
mean = [sum(x[j] for x in xs) / len(xs) for j in range(len(cols))]
sd = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / len(xs)) or 1
      for j in range(len(cols))]
zs = [[(x[j] - mean[j]) / sd[j] for j in range(len(cols))] for x in xs]
w, b = [0.0] * len(cols), 0.0
for epoch in range(1, args.epochs + 1):
    gw, gb, loss = [0.0] * len(cols), 0.0, 0.0
    for z, y in zip(zs, ys):
        p = 1 / (1 + math.exp(-(b + sum(wj * zj for wj, zj in zip(w, z)))))
        loss -= math.log(max(p, 1e-15)) if y else math.log(max(1 - p, 1e-15))
        for j in range(len(cols)):
            gw[j] += (p - y) * z[j]
        gb += p - y
    n = len(zs)
    w = [wj - args.lr * g / n for wj, g in zip(w, gw)]
    b -= args.lr * gb / n
    log("metric", "train_logloss", loss / n, epoch)
    print(f"epoch {epoch}: logloss {loss / n:.4f}")

out = os.environ.get("MLP_ARTIFACT_DIR")
if out:
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    with open(os.path.join(out, "model", "weights.json"), "w") as f:
        json.dump({"columns": cols, "mean": mean, "scale": sd,
                   "weights": w, "bias": b}, f)
log("tag", "trainer", "share/examples/train/train.py")
sys.exit(0)
