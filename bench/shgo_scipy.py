"""Peer of bench/shgo_bench.cpp: scipy.optimize.shgo on the same problems, same output format.
nfev counts every call of the objective (including SLSQP's finite differences)."""
import sys
import time

import numpy as np
from scipy.optimize import shgo


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley_shifted(x):
    y = np.asarray(x) - 1.234
    d = len(y)
    return (-20 * np.exp(-0.2 * np.sqrt(np.sum(y * y) / d)) - np.exp(np.sum(np.cos(2 * np.pi * y)) / d)
            + 20 + np.e)


def run(name, f, d, skip_slow, **kw):
    if skip_slow and d >= 10:
        print(f"{name:<28} skipped (--quick)")
        return
    calls = [0]

    def counted(x):
        calls[0] += 1
        return f(x)

    reps, t0 = 0, time.perf_counter()
    while True:
        calls[0] = 0
        r = shgo(counted, [(-5, 5)] * d, **kw)
        reps += 1
        el = time.perf_counter() - t0
        if el >= 0.5 or d >= 10:
            break
    print(f"{name:<28} f={r.fun:<12.4g} nfev={calls[0]:<6} seconds={el / reps:.6g}")


quick = "--quick" in sys.argv
run("rosenbrock_2d", rosenbrock, 2, quick)
run("ackley_shifted_2d", ackley_shifted, 2, quick)
run("ackley_shifted_2d_iters3", ackley_shifted, 2, quick, iters=3)
run("ackley_shifted_2d_sobol", ackley_shifted, 2, quick, sampling_method="sobol")
run("ackley_shifted_5d", ackley_shifted, 5, quick)
run("ackley_shifted_10d", ackley_shifted, 10, quick)
