#!/usr/bin/python3
"""Compares two training sets of tests/perf/feature.sh row by row (by the
spine's "row" column, since pandas' comes out in time order): the same
rows, and every feature value the same double or both empty. Reads the
numbers exactly (float_precision="round_trip"). Prints "identical" or what
differs, and exits 1 then.

Usage: /usr/bin/python3 feature_check.py MLP.csv PANDAS.csv
"""
import sys

import numpy as np
import pandas as pd


def main():
    a = pd.read_csv(sys.argv[1], float_precision="round_trip")
    b = pd.read_csv(sys.argv[2], float_precision="round_trip")
    if list(a.columns) != list(b.columns):
        print("columns differ: %s vs %s" % (list(a.columns), list(b.columns)))
        return 1
    a = a.set_index("row").sort_index()
    b = b.set_index("row").sort_index()
    if len(a) != len(b) or not (a.index == b.index).all():
        print("rows differ: %d vs %d" % (len(a), len(b)))
        return 1
    bad = 0
    for c in a.columns:
        x = a[c].to_numpy()
        y = b[c].to_numpy()
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            x = x.astype(np.float64)
            y = y.astype(np.float64)
            same = (x == y) | (np.isnan(x) & np.isnan(y))
        else:
            same = x == y
        n = int((~same).sum())
        if n:
            i = int(np.argmax(~same))
            print("column %s: %d values differ, first at row %s: %r vs %r"
                  % (c, n, a.index[i], x[i], y[i]))
            bad += n
    if bad:
        return 1
    nulls = int(a.isna().any(axis=1).sum())
    print("identical (%d rows, %d with an empty feature)" % (len(a), nulls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
