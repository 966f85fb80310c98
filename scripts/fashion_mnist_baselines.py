#!/usr/bin/env python3
"""Baselines quoted by docs/ML-API.md ("A notebook cell: Fashion-MNIST") and FashionMnistTest: nearest class mean
and linear least squares (one-hot targets, pixels plus a constant, ridge lam) on the first N
Fashion-MNIST training images, scored on the first M test images, pixels in [0, 1] as IdxFiles reads
them. Needs numpy and Debian's dataset-fashion-mnist.

    scripts/fashion_mnist_baselines.py        # (N, M) = (2000, 2000) and (3000, 10000)
"""
import gzip

import numpy as np

DIR = "/usr/share/datasets/fashion-mnist/"


def images(name, n):
    raw = gzip.open(DIR + name).read()
    return np.frombuffer(raw, np.uint8, offset=16)[: n * 784].reshape(n, 784) / 255.0


def labels(name, n):
    return np.frombuffer(gzip.open(DIR + name).read(), np.uint8, offset=8)[:n]


for n, m in [(2000, 2000), (3000, 10000)]:
    x, y = images("train-images-idx3-ubyte.gz", n), labels("train-labels-idx1-ubyte.gz", n)
    xt, yt = images("t10k-images-idx3-ubyte.gz", m), labels("t10k-labels-idx1-ubyte.gz", m)
    means = np.stack([x[y == c].mean(0) for c in range(10)])
    ncm = (((xt[:, None, :] - means[None]) ** 2).sum(-1).argmin(1) == yt).mean()
    a, at = np.hstack([x, np.ones((n, 1))]), np.hstack([xt, np.ones((m, 1))])
    linear = []
    for lam in [1e-2, 1e-1, 1, 10]:
        w = np.linalg.solve(a.T @ a + lam * np.eye(785), a.T @ np.eye(10)[y])
        linear.append(f"λ={lam:g}: {((at @ w).argmax(1) == yt).mean():.4f}")
    print(f"N={n}, M={m}: nearest class mean {ncm:.4f}; linear least squares " + ", ".join(linear))
