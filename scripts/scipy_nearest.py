#!/usr/bin/python3
"""scripts/scipy_nearest.py DIR [NEAREST_CSV] — SciPy's side of scripts/bench.

Loads the arrays scripts/scipyexport wrote into DIR (the walk network lifecircle
builds, split at every snapped facility and point), builds the CSR matrix (not
timed: SciPy works from prebuilt arrays), then times, three times, what SciPy
does for `lifecircle nearest`: csgraph.dijkstra(min_only=True) from the
facilities and the lookup of every point's distance. Prints the fastest and all
times. With NEAREST_CSV (lifecircle nearest's output for the same inputs), also
checks every distance agrees within the output's 0.1 m rounding.

Needs Debian's python3-scipy (apt-get install python3-scipy) for /usr/bin/python3.
"""
import json
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra


def main():
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    indptr = np.fromfile(f"{d}/indptr.i64", dtype="<i8")
    indices = np.fromfile(f"{d}/indices.i32", dtype="<i4")
    weights = np.fromfile(f"{d}/weights.f64", dtype="<f8")
    sources = np.fromfile(f"{d}/sources.i32", dtype="<i4")
    pnode = np.fromfile(f"{d}/pnode.i32", dtype="<i4")
    paccess = np.fromfile(f"{d}/paccess.f64", dtype="<f8")
    n = meta["nodes"]
    g = csr_matrix((weights, indices, indptr), shape=(n, n))
    snapped = pnode >= 0
    pn = np.where(snapped, pnode, 0)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        dist = dijkstra(g, directed=True, indices=sources, min_only=True)
        pd = np.where(snapped, dist[pn] + paccess, np.inf)
        times.append(time.perf_counter() - t0)
    print(f"scipy dijkstra+lookup {min(times):.3f} s (runs: {', '.join(f'{t:.3f}' for t in times)}); "
          f"graph {n} nodes, {len(indices)} arcs, {len(sources)} sources, {len(pnode)} points")
    if len(sys.argv) > 2:
        check(sys.argv[2], pd)


def check(path, pd):
    lines = open(path).read().splitlines()[1:]
    bad = 0
    for i, line in enumerate(lines):
        cols = line.split(",")
        got = float(cols[1]) if cols[1] != "" else np.inf
        want = pd[i]
        if np.isinf(got) != np.isinf(want) or (not np.isinf(got) and abs(got - want) > 0.05 + 1e-6):
            bad += 1
            if bad <= 5:
                print(f"  point {i}: lifecircle {cols[1]!r}, scipy {want}")
    print(f"compare with {path}: {len(lines)} points, {bad} differ" + (" — EXACT" if bad == 0 else ""))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
