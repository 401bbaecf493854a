#!/usr/bin/python3
"""The pandas side of tests/perf/feature.sh: a point-in-time training set
the way a pandas user builds one (Feast's file offline store does the same
with merge_asof).

  load:    read_csv of the feature rows, timestamps parsed, sorted by time
  dataset: (features already loaded and sorted) read_csv of the spine,
           parse and sort by time, merge_asof by driver_id, backward,
           tolerance 7 days, to_csv
  join:    merge_asof alone, in process
  e2e:     load + dataset

Prints one line per measure: NAME SECONDS (best of REPEAT for dataset and
join), then the peak RSS in MiB.

Usage: /usr/bin/python3 feature_pandas.py FEATURES.csv SPINE.csv OUT.csv [REPEAT]
"""
import resource
import sys
import time

import pandas as pd


def load(path):
    f = pd.read_csv(path)
    f["event_ts"] = pd.to_datetime(f["event_ts"], utc=True)
    return f.sort_values("event_ts", kind="stable")


def merge(spine, feats):
    return pd.merge_asof(spine, feats, left_on="_ts", right_on="event_ts",
                         by="driver_id", direction="backward",
                         tolerance=pd.Timedelta("7d"),
                         suffixes=("", "_feature"))


def dataset(spine_path, feats, out):
    s = pd.read_csv(spine_path)
    # the spine's own timestamp text goes out as it came in, as mlp's does
    s["_ts"] = pd.to_datetime(s["event_ts"], utc=True)
    s = s.sort_values("_ts", kind="stable")
    m = merge(s, feats)
    m.drop(columns=["_ts", "event_ts_feature"]).to_csv(out, index=False)


def main():
    feats_path, spine_path, out = sys.argv[1:4]
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    t = time.perf_counter()
    feats = load(feats_path)
    t_load = time.perf_counter() - t
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        dataset(spine_path, feats, out)
        t = time.perf_counter() - t
        best = t if best is None or t < best else best
    s = pd.read_csv(spine_path)
    s["_ts"] = pd.to_datetime(s["event_ts"], utc=True)
    s = s.sort_values("_ts", kind="stable")
    join = None
    for _ in range(repeat):
        t = time.perf_counter()
        merge(s, feats)
        t = time.perf_counter() - t
        join = t if join is None or t < join else join
    print("load %.3f" % t_load)
    print("dataset %.3f" % best)
    print("join %.3f" % join)
    print("e2e %.3f" % (t_load + best))
    print("rss %.0f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                        / 1024.0))


if __name__ == "__main__":
    main()
