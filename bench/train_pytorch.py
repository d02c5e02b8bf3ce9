#!/usr/bin/python3
"""Benchmark (b), PyTorch side: the same network, data and settings as bench/train_bench.cpp,
trained with Debian's python3-torch. Prints "pytorch images_per_s=<x> ...". Run with /usr/bin/python3."""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn

images = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)

d = "/usr/share/datasets/fashion-mnist/"
with gzip.open(d + "train-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
with gzip.open(d + "train-labels-idx1-ubyte.gz") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
x = (x - x.mean()) / x.std()
rng = np.random.default_rng(0)
perm = rng.permutation(len(y))
tr = perm[1000:1000 + images]
xt, yt = torch.from_numpy(x[tr]).contiguous(), torch.from_numpy(y[tr])

def make_model():
    layers, c = [], 1
    for s in (1, 2, 1, 2, 1, 1):
        layers += [nn.Conv2d(c, 32, 3, stride=s, padding=1), nn.ReLU(),
                   nn.BatchNorm2d(32, eps=1e-3, momentum=0.1)]
        c = 32
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def train(model, xs, ys):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    order = torch.randperm(len(ys))
    for b in range(0, len(ys), 64):
        idx = order[b:b + 64]
        if len(idx) < 2:
            continue
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs[idx]), ys[idx])
        loss.backward()
        opt.step()


train(make_model(), xt[:256], yt[:256])  # warm-up (allocator, thread pool)
torch.manual_seed(1)
model = make_model()
t0 = time.perf_counter()
train(model, xt, yt)
el = time.perf_counter() - t0
print(f"pytorch images_per_s={images / el:.1f} params={sum(p.numel() for p in model.parameters())}")
