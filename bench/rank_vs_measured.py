"""Spearman rho of coex's figures (MACs, predicted latency_ms) of two runs, A and B, against every
device column of a measurement file keyed by the search space's description; B / A as a ratio.
Plain Python (no numpy/scipy): ranks with ties averaged, Pearson on the ranks.
    rank_vs_measured.py MEASUREMENTS.csv RUN_A/candidates.csv RUN_B/candidates.csv"""
import csv
import sys


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and v[order[j]] == v[order[i]]:
            j += 1
        for k in range(i, j):
            r[order[k]] = (i + 1 + j) / 2
        i = j
    return r


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    n = len(x)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / (sxx * syy) ** 0.5


def figures(path):
    rows = list(csv.DictReader(open(path)))
    return ({r["description"]: float(r["macs"]) for r in rows if r["macs"]},
            {r["description"]: float(r["latency_ms"]) for r in rows if r["latency_ms"]})


measured = {r["arch"]: r for r in csv.DictReader(open(sys.argv[1]))}
devices = [c for c in next(iter(measured.values())) if c != "arch"]
a, b = figures(sys.argv[2]), figures(sys.argv[3])
keys = [k for k in measured if k in a[0] and k in b[0]]
print(f"{len(keys)} networks; Spearman rho against each device (A = functional, B = executed)")
print(f"{'device':<20} {'MACs A':>7} {'MACs B':>7} {'B/A':>5}   {'rpi A':>6} {'rpi B':>6} {'B/A':>5}")
for d in devices:
    y = [float(measured[k][d]) for k in keys]
    ma, mb = (spearman([f[0][k] for k in keys], y) for f in (a, b))
    la, lb = (spearman([f[1][k] for k in keys], y) for f in (a, b))
    print(f"{d:<20} {ma:7.3f} {mb:7.3f} {mb / ma:5.2f}   {la:6.3f} {lb:6.3f} {lb / la:5.2f}")
