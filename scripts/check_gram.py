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

Reads only files that OUTPUT_DIR/manifest.json lists, after checking their size and SHA-256 (a
directory without a manifest, or with files changed since, does not hold a complete run: exit 2).

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

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

import ntk_reference as ref  # scripts/ntk_reference.py; first: re-executes under /usr/bin/python3 if no torch
import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def fail(msg):
    print(f"check_gram: error: {msg}", file=sys.stderr)
    sys.exit(2)


def verify_manifest(output_dir, needed):
    """Checks that manifest.json lists every file in `needed` (paths relative to output_dir, a
    trailing '/' meaning every file under it) and that each of those has its recorded size and SHA-256."""
    manifest_path = output_dir / "manifest.json"
    if not manifest_path.is_file():
        fail(f"{output_dir} has no manifest.json: it does not hold a complete spark-ntk run")
    try:
        manifest = json.loads(manifest_path.read_text())
        entries = {e["path"]: e for e in manifest["files"]}
    except (ValueError, KeyError, TypeError) as e:
        fail(f"{manifest_path}: not a spark-ntk manifest ({e})")
    for name in needed:
        if name.endswith("/"):
            on_disk = sorted(str(p.relative_to(output_dir)) for p in (output_dir / name).rglob("*") if p.is_file())
            paths = on_disk or [name]
        else:
            paths = [name]
        for path in paths:
            entry = entries.get(path)
            if entry is None:
                fail(f"{path} is not listed in {manifest_path}")
            data = (output_dir / path).read_bytes()
            if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                fail(f"{path} differs from what {manifest_path} records (size or SHA-256): changed after the run")


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


def main():
    ap = argparse.ArgumentParser(description="Check a spark-ntk gram.npy against PyTorch autograd.")
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("train_csv", type=Path)
    ap.add_argument("label_cols", help="comma-separated label column names")
    ap.add_argument("--outputs", choices=("trace", "full"), default="trace")
    ap.add_argument("--tol", type=float, default=1e-10, help="max allowed relative difference")
    ap.add_argument("--chunk", type=int, default=256, help="rows per vmap(jacrev) batch")
    args = ap.parse_args()

    verify_manifest(args.output_dir, ["gram.npy", "model/"])
    meta, widths, Ws, bs = ref.load_model(args.output_dir / "model", fail)
    label_cols = [c.strip() for c in args.label_cols.split(",") if c.strip()]
    X = ref.apply_input_mapping(meta, args.output_dir / "model", load_features(args.train_csv, label_cols), fail)
    N, O = X.shape[0], widths[-1]
    if X.shape[1] != widths[0]:
        fail(f"CSV has {X.shape[1]} feature columns, model expects widths[0] = {widths[0]}")

    param = (meta["parameterization"], float(meta["sigmaW"]), float(meta["sigmaB"]))
    f = ref.make_forward(widths, meta["activation"], *param)
    theta = ref.trainable_theta(Ws, bs, widths, *param)
    J = ref.per_sample_jacobians(f, theta, torch.from_numpy(X), args.chunk).numpy()  # [N, O, P]
    ours = ref.ntk_gram(J, args.outputs)  # full: [i*O+a, j*O+b] = Theta_ab; trace: (1/O) sum_a Theta_aa

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
