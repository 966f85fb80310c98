#!/usr/bin/env python3
"""Independent check of a spark-ntk job's empirical-NTK Gram matrix with PyTorch autograd.

Usage (from the repository root):

    python3 scripts/check_gram.py OUTPUT_DIR TRAIN_CSV LABEL_COLS [--outputs trace|full] [--tol 1e-10]

  OUTPUT_DIR   a spark-ntk output directory holding
                 OUTPUT_DIR/gram.npy
                 OUTPUT_DIR/model/model.json   {"format": "spark-ntk-mlp", "version": 1, "widths": [...],
                                                "activation": ..., "parameterization": "ntk"|"standard",
                                                "sigmaW": ..., "sigmaB": ...}
                 OUTPUT_DIR/model/W<l>.npy, b<l>.npy   raw N(0,1) draws, W_l of shape [n_{l+1}, n_l]
  TRAIN_CSV    the training CSV the job read: a header row, then one row per sample.
  LABEL_COLS   comma-separated names of the label columns; every other column is a
               feature, taken in file order (their count must equal widths[0]).
  --outputs    trace (default): gram[i, j] = (1/O) sum_a Theta_aa(x_i, x_j)      -> [N, N]
               full:            gram[i*O + a, j*O + b] = Theta_ab(x_i, x_j)      -> [N*O, N*O]

Prints the max relative difference  max|computed - gram| / max|computed|  and exits
with status 1 if it exceeds --tol (default 1e-10), 2 on bad input.

Model (NTK parameterisation, Jacot et al. 2018); widths = [n_0, ..., n_L], a_0 = x:
    z_{l+1} = s_l * (W_l @ a_l) + c * b_l,   s_l = sigmaW / sqrt(n_l),  c = sigmaB
    a_{l+1} = phi(z_{l+1}) (not after the last layer),  f(x) = z_L  in R^O
  "ntk":      trainable parameters are the raw W_l, b_l.
  "standard": trainable parameters are W'_l = s_l W_l, b'_l = c b_l (z = W' a + b').
theta = (vec(W_0), b_0, ..., vec(W_{L-1}), b_{L-1}) (row-major vec), J(x) = d f(x) / d theta,
Theta_ab(x_i, x_j) = sum_p J(x_i)[a, p] J(x_j)[b, p].

Needs the Debian python3-torch (1.13, with functorch) and python3-numpy; if the
`python3` on PATH cannot import torch, the script re-executes itself under
/usr/bin/python3.  It holds all Jacobians in memory (N * O * P doubles), so it is
meant for test-sized jobs.  This is test tooling only, never a runtime dependency.
"""

import os
import sys

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - environment dependent
    _SYS_PY = "/usr/bin/python3"
    if os.path.exists(_SYS_PY) and os.path.realpath(sys.executable) != os.path.realpath(_SYS_PY):
        os.execv(_SYS_PY, [_SYS_PY] + sys.argv)
    raise

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

try:  # torch >= 2.0
    from torch.func import jacrev, vmap
except ImportError:  # torch 1.13
    from functorch import jacrev, vmap

torch.set_default_dtype(torch.float64)

ACTIVATIONS = {
    "relu": torch.relu,                 # relu'(0) = 0
    "erf": torch.erf,
    "tanh": torch.tanh,
    "identity": lambda z: z,
    "sin": torch.sin,
    "gelu": lambda z: F.gelu(z),        # exact x * Phi(x)
}


def fail(msg):
    print(f"check_gram: error: {msg}", file=sys.stderr)
    sys.exit(2)


def load_model(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    if meta.get("format") != "spark-ntk-mlp" or meta.get("version") != 1:
        fail(f"unexpected model format {meta.get('format')!r} version {meta.get('version')!r}")
    widths = [int(w) for w in meta["widths"]]
    if meta["activation"] not in ACTIVATIONS:
        fail(f"unsupported activation {meta['activation']!r}")
    if meta["parameterization"] not in ("ntk", "standard"):
        fail(f"unsupported parameterization {meta['parameterization']!r}")
    Ws, bs = [], []
    for l in range(len(widths) - 1):
        W = np.load(model_dir / f"W{l}.npy").astype(np.float64)
        b = np.load(model_dir / f"b{l}.npy").astype(np.float64)
        if W.shape != (widths[l + 1], widths[l]) or b.shape != (widths[l + 1],):
            fail(f"layer {l}: W{l} {W.shape} / b{l} {b.shape} do not match widths {widths}")
        Ws.append(torch.from_numpy(W))
        bs.append(torch.from_numpy(b))
    return meta, widths, Ws, bs


def load_features(csv_path, label_cols):
    """Feature matrix [N, n_0]: every non-label column, in file order."""
    with open(csv_path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        missing = [c for c in label_cols if c not in header]
        if missing:
            fail(f"label column(s) {missing} not in CSV header {header}")
        feat_idx = [k for k, h in enumerate(header) if h not in label_cols]
        rows = []
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                fail(f"{csv_path}:{lineno}: {len(row)} fields, header has {len(header)}")
            rows.append([float(row[k]) for k in feat_idx])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(feat_idx))


def make_forward_and_theta(meta, widths, Ws, bs):
    """f(theta, x) for one x, and the trainable theta (see module docstring)."""
    phi = ACTIVATIONS[meta["activation"]]
    ntk = meta["parameterization"] == "ntk"
    L = len(widths) - 1
    s = [float(meta["sigmaW"]) / math.sqrt(widths[l]) for l in range(L)]  # s_l
    c = float(meta["sigmaB"])

    if ntk:
        theta = torch.cat([t for l in range(L) for t in (Ws[l].reshape(-1), bs[l])])
    else:
        theta = torch.cat([t for l in range(L) for t in (s[l] * Ws[l].reshape(-1), c * bs[l])])

    def f(theta, x):
        a, off = x, 0
        for l in range(L):
            n_in, n_out = widths[l], widths[l + 1]
            W = theta[off:off + n_out * n_in].reshape(n_out, n_in)
            off += n_out * n_in
            b = theta[off:off + n_out]
            off += n_out
            z = s[l] * (W @ a) + c * b if ntk else W @ a + b
            a = phi(z) if l < L - 1 else z
        return a

    return f, theta


def main():
    ap = argparse.ArgumentParser(description="Check a spark-ntk gram.npy against PyTorch autograd.")
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("train_csv", type=Path)
    ap.add_argument("label_cols", help="comma-separated label column names")
    ap.add_argument("--outputs", choices=("trace", "full"), default="trace")
    ap.add_argument("--tol", type=float, default=1e-10, help="max allowed relative difference")
    ap.add_argument("--chunk", type=int, default=256, help="rows per vmap(jacrev) batch")
    args = ap.parse_args()

    meta, widths, Ws, bs = load_model(args.output_dir / "model")
    label_cols = [c.strip() for c in args.label_cols.split(",") if c.strip()]
    X = load_features(args.train_csv, label_cols)
    N, O = X.shape[0], widths[-1]
    if X.shape[1] != widths[0]:
        fail(f"CSV has {X.shape[1]} feature columns, model expects widths[0] = {widths[0]}")

    f, theta = make_forward_and_theta(meta, widths, Ws, bs)
    x = torch.from_numpy(X)
    per_sample_jac = vmap(jacrev(f), in_dims=(None, 0))
    J = torch.cat([per_sample_jac(theta, x[i:i + args.chunk]) for i in range(0, N, args.chunk)])
    J = J.numpy()  # [N, O, P]

    if args.outputs == "full":
        Jf = J.reshape(N * O, -1)
        ours = Jf @ Jf.T                                   # [i*O+a, j*O+b] = Theta_ab(x_i, x_j)
    else:
        ours = np.einsum("iap,jap->ij", J, J) / O          # (1/O) sum_a Theta_aa(x_i, x_j)

    gram = np.load(args.output_dir / "gram.npy")
    if gram.shape != ours.shape:
        print(f"FAIL: gram.npy has shape {gram.shape}, expected {ours.shape} "
              f"(N={N}, O={O}, --outputs {args.outputs})")
        sys.exit(1)
    denom = np.abs(ours).max()
    rel = np.abs(gram.astype(np.float64) - ours).max() / (denom if denom > 0 else 1.0)
    status = "OK" if rel <= args.tol else "FAIL"
    print(f"{status}: max relative difference {rel:.3e} (tol {args.tol:g}); "
          f"N={N} O={O} P={J.shape[2]} outputs={args.outputs} gram dtype={gram.dtype}")
    sys.exit(0 if rel <= args.tol else 1)


if __name__ == "__main__":
    main()
