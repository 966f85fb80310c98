#!/usr/bin/env python3
"""Writes the synthetic data of conf/quickstart.conf: conf/data/quickstart-{train,test}.csv.

Inputs x = (x1, x2) uniform on [-1, 1]^2; two targets
  y_wave = sin(pi x1) cos(pi x2),   y_bowl = x1^2 - x2 / 2,
plus N(0, 0.05^2) noise on the training targets only. Fixed seed: rerunning gives the same files.
"""
import numpy as np
from pathlib import Path

rng = np.random.default_rng(20261128)
out = Path(__file__).resolve().parent.parent / "conf" / "data"
out.mkdir(parents=True, exist_ok=True)


def write(name, n, noise):
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    wave = np.sin(np.pi * x[:, 0]) * np.cos(np.pi * x[:, 1])
    bowl = x[:, 0] ** 2 - x[:, 1] / 2
    y = np.stack([wave, bowl], axis=1) + noise * rng.standard_normal((n, 2))
    table = np.concatenate([x, y], axis=1)
    np.savetxt(out / name, table, delimiter=",", header="x1,x2,y_wave,y_bowl", comments="", fmt="%.6f")


write("quickstart-train.csv", 400, 0.05)
write("quickstart-test.csv", 200, 0.0)
