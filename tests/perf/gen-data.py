#!/usr/bin/python3
"""A synthetic binary classification dataset, the same for the same ROWS:
header f0..f27,label; 28 float features (normal and uniform, some scaled
and shifted), a label from a nonlinear function of several of them plus
noise, classes about balanced; values with 6 significant digits.

Usage: /usr/bin/python3 tests/perf/gen-data.py ROWS OUT.csv
"""
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen-data.py ROWS OUT.csv")
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(42)
    x = np.empty((rows, 28), dtype=np.float64)
    x[:, 0:14] = rng.normal(0.0, 1.0, (rows, 14))
    x[:, 14:28] = rng.uniform(-1.0, 1.0, (rows, 14))
    x[:, 10] = x[:, 10] * 50.0 + 100.0      # a wide, shifted feature
    x[:, 20] = x[:, 20] * 1e-3              # a tiny one
    f = x
    z = (1.5 * f[:, 0] * f[:, 1]
         + np.sin(2.0 * f[:, 2])
         + 1.2 * (f[:, 3] > 0.5)
         - 0.8 * f[:, 4] ** 2
         + f[:, 5] * f[:, 6] * (f[:, 7] > 0)
         + 0.7 * np.tanh(f[:, 8] + f[:, 14])
         + 1.0 * ((f[:, 15] > 0) ^ (f[:, 16] > 0))
         + 0.02 * (f[:, 10] - 100.0)
         + 0.5 * np.abs(f[:, 17]) * f[:, 9]
         + rng.normal(0.0, 0.5, rows))
    z -= np.median(z)
    p = 1.0 / (1.0 + np.exp(-2.0 * z))
    label = (rng.uniform(0.0, 1.0, rows) < p).astype(np.int64)
    header = ",".join(["f%d" % i for i in range(28)] + ["label"])
    with open(out, "w") as fp:
        fp.write(header + "\n")
        step = 100000
        fmt = ",".join(["%.6g"] * 28) + ",%d\n"
        for s in range(0, rows, step):
            chunk = x[s:s + step]
            lab = label[s:s + step]
            fp.write("".join(fmt % (tuple(r) + (int(l),))
                             for r, l in zip(chunk.tolist(), lab.tolist())))


if __name__ == "__main__":
    main()
