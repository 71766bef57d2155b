#!/usr/bin/env python3
"""Reference walking catchments by NetworkX, for TestCatchmentMatchesNetworkX.

For 20 facilities of a reference extract (testdata/shared/reference/NAME: OSMnx's walk graph in
nodes.csv and edges.csv, facilities and demand points placed on its nodes), count the demand
points and residents whose walking distance to the facility alone is within its type's threshold
(gb50180: clinic 1000 m, market 500 m, elderly, fitness and playground 300 m), the distance being
NetworkX's Dijkstra over the reference graph, rounded to 0.1 m as lifecircle reports it.

A point is counted as "ambiguous" (either answer is right) when its distance lies within 0.5 m of
the threshold (the reference graph's lengths and lifecircle's differ by up to a few centimetres) or
when its node shares its coordinates with another, unconnected node of the graph (a point there lies
on both; lifecircle joins one of them). Facilities on such shared coordinates are not chosen.

Usage: python3 scripts/catchment_reference.py NAME > testdata/catchments/NAME.csv
(needs networkx; run once, the output is committed so the Go test needs no Python).
"""
import csv
import json
import math
import os
import sys

import networkx as nx

THRESHOLDS = {"clinic": 1000.0, "market": 500.0, "elderly": 300.0, "fitness": 300.0, "playground": 300.0}
COUNT = 20


def round1(d):
    return d if math.isinf(d) else math.floor(d * 10 + 0.5) / 10


def main():
    name = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "shared", "reference", name)
    g = nx.Graph()
    coords = {}
    by_coord = {}
    with open(os.path.join(root, "nodes.csv")) as f:
        for r in csv.DictReader(f):
            n = int(r["node"])
            g.add_node(n)
            key = (r["lon"], r["lat"])
            coords[n] = key
            by_coord.setdefault(key, []).append(n)
    with open(os.path.join(root, "edges.csv")) as f:
        for r in csv.DictReader(f):
            u, v, l = int(r["source"]), int(r["target"]), float(r["length_m"])
            if u == v:
                continue
            if g.has_edge(u, v) and g[u][v]["length"] <= l:
                continue
            g.add_edge(u, v, length=l)
    coincident = {n for ns in by_coord.values() if len(ns) > 1 for n in ns}
    with open(os.path.join(root, "points.geojson")) as f:
        points = [(int(p["properties"]["id"]), float(p["properties"]["population"])) for p in json.load(f)["features"]]
    with open(os.path.join(root, "facilities_any.geojson")) as f:
        facs = [p["properties"] for p in json.load(f)["features"]]
    facs = [p for p in facs if int(p["node"]) not in coincident and p["category"] in THRESHOLDS]
    facs.sort(key=lambda p: int(p["id"]))
    chosen = [facs[k * len(facs) // COUNT] for k in range(min(COUNT, len(facs)))]

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["id", "category", "node", "threshold_m", "points", "residents", "ambiguous_points", "ambiguous_residents"])
    for p in chosen:
        thr = THRESHOLDS[p["category"]]
        dist = nx.single_source_dijkstra_path_length(g, int(p["node"]), cutoff=thr + 1, weight="length")
        pts = res = apts = ares = 0
        for node, pop in points:
            alts = by_coord[coords[node]] if node in coincident else [node]
            ds = [dist.get(a, math.inf) for a in alts]
            within = [round1(d) <= thr for d in ds]
            if any(abs(d - thr) <= 0.5 for d in ds) or len(set(within)) > 1:
                apts += 1
                ares += pop
            elif within[0]:
                pts += 1
                res += pop
        w.writerow([p["id"], p["category"], p["node"], "%g" % thr, pts, "%g" % res, apts, "%g" % ares])


if __name__ == "__main__":
    main()
