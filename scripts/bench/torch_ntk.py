#!/usr/bin/env python3
"""PyTorch peer for the spark-ntk benchmark: the empirical-NTK Gram of X with itself.

Follows the recipe of the official PyTorch "Neural Tangent Kernels" tutorial
(functorch): per-sample Jacobians with vmap(jacrev(fnet_single)) over the parameters,
then an einsum contraction of the Jacobians, summed over the parameter tensors:
    full:  torch.einsum('Naf,Mbf->NMab', j1, j2)
    trace: torch.einsum('Naf,Maf->NM', j1, j2)

Usage (from the repository root):

    python3 scripts/bench/torch_ntk.py MODEL_DIR X_NPY --outputs trace|full \
        --dtype float64|float32 --threads T [--batch B] [--out RESULT_JSON] [--check GRAM_NPY]

  MODEL_DIR  a spark-ntk saved model: model.json {"format": "spark-ntk-mlp", "version": 1,
             "widths": [n0, ..., nL], "activation": ..., "parameterization": "ntk"|"standard",
             "sigmaW": ..., "sigmaB": ...} and W<l>.npy [n_{l+1}, n_l], b<l>.npy [n_{l+1}]
             (raw N(0,1) draws).
  X_NPY      inputs [N, n0] (float64; cast to --dtype).
  --outputs  trace: gram[i, j] = (1/O) sum_a Theta_aa(x_i, x_j)        -> [N, N]
             full:  gram[i*O + a, j*O + b] = Theta_ab(x_i, x_j)        -> [N*O, N*O]
             (the tutorial's trace is a sum over outputs; ours is the mean, so we divide by O).
  --dtype    float64 (default) or float32, for parameters, inputs and all arithmetic.
  --threads  torch.set_num_threads(T); also exported as OMP/OPENBLAS/MKL_NUM_THREADS before torch
             is imported (Debian's torch does its matmuls in OpenBLAS).
  --batch    rows per block; the Gram is built from the blocks (I, J), I <= J, and mirrored.
             Default: all N rows in one block if the estimated memory fits in about half of
             MemAvailable, else the smallest number of equal blocks that does.
  --out      write the result JSON there (default: print it to stdout).
  --check    compare the computed Gram with GRAM_NPY: prints max|ours - ref| / max|ref|, exits 1
             if above 1e-10 (float64) or 1e-4 (float32).

Model: z_{l+1} = (sigmaW / sqrt(n_l)) W_l a_l + sigmaB b_l, a_{l+1} = phi(z_{l+1}) except after
the last layer. "ntk": the trainable parameters are the raw W_l, b_l; "standard": they are
W'_l = sigmaW / sqrt(n_l) W_l and b'_l = sigmaB b_l (z = W' a + b').

Only the kernel computation (Jacobians + contraction + assembling/mirroring the Gram) is
timed, after one untimed warm-up on a 2-row slice; loading is not timed. peak_rss_bytes is
getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux) * 1024, read right after the timed
computation (it includes the loaded inputs and model). Result JSON:
    {"seconds", "n", "P", "O", "outputs", "dtype", "threads", "peak_rss_bytes", "torch",
     "ok": true, "batch", "blocks", "cpu_seconds", "loadavg_1min_before"[, "check_max_rel_diff"]}
(cpu_seconds is user+sys CPU of the timed part; cpu_seconds well below threads * seconds, or a
1-minute load average above the machine's idle level, means other work competed for the CPUs.)
On RuntimeError/MemoryError from an allocation failure it writes {"ok": false, "error": ...}
and exits 0 (a kill by the kernel's OOM killer cannot be caught, of course).

Needs the Debian python3-torch (1.13, with functorch) and python3-numpy; if the `python3`
on PATH cannot import torch, the script re-executes itself under /usr/bin/python3.
Benchmark tooling only, never a runtime dependency of spark-ntk.
"""

import os
import sys


def _pin_thread_pools(argv):
    """Debian's torch does its matmuls in OpenBLAS (pthreads), whose pool size is read from the
    environment when the library loads and which torch.set_num_threads does not reliably
    reach; so export --threads to it (and to OpenMP/MKL) before torch is imported."""
    for k, a in enumerate(argv):
        val = a.split("=", 1)[1] if a.startswith("--threads=") else (
            argv[k + 1] if a == "--threads" and k + 1 < len(argv) else None)
        if val is not None and val.isdigit() and int(val) >= 1:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[var] = val


_pin_thread_pools(sys.argv[1:])

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # scripts/
import ntk_reference as ref  # noqa: E402  first: re-executes under /usr/bin/python3 if no torch
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

try:  # torch >= 2.0
    from torch.func import functional_call
    _HAVE_FUNCTIONAL_CALL = True
except ImportError:  # torch 1.13: functorch
    from functorch import make_functional
    _HAVE_FUNCTIONAL_CALL = False
DTYPES = {"float64": torch.float64, "float32": torch.float32}
TOLERANCES = {"float64": 1e-10, "float32": 1e-4}


def fail(msg):
    print(f"torch_ntk: error: {msg}", file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------- model

class Activation(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.name = name
        self.phi = ref.ACTIVATIONS[name]

    def forward(self, z):
        return self.phi(z)


class NtkLinear(nn.Module):
    """NTK parameterisation: z = s * (W a) + c * b with trainable raw W, b."""

    def __init__(self, W, b, s, c):
        super().__init__()
        self.weight = nn.Parameter(W)
        self.bias = nn.Parameter(b)
        self.s = s
        self.c = c

    def forward(self, a):
        return self.s * F.linear(a, self.weight) + self.c * self.bias


def load_model(model_dir, dtype):
    """The saved model as nn.Sequential in its parameterisation (the trainable W, b are
    scaled in float64, then cast to dtype)."""
    meta, widths, Ws, bs = ref.load_model(model_dir, fail)
    param = (meta["parameterization"], float(meta["sigmaW"]), float(meta["sigmaB"]))
    s, c = ref.layer_scales(widths, *param[1:])
    layers = []
    L = len(widths) - 1
    for l, (W, b) in enumerate(ref.trainable_layers(Ws, bs, widths, *param)):
        W, b = torch.from_numpy(W).to(dtype), torch.from_numpy(b).to(dtype)
        if param[0] == "ntk":
            layers.append(NtkLinear(W, b, s[l], c))
        else:
            lin = nn.Linear(widths[l], widths[l + 1])
            with torch.no_grad():
                lin.weight = nn.Parameter(W)
                lin.bias = nn.Parameter(b)
            layers.append(lin)
        if l < L - 1:
            layers.append(Activation(meta["activation"]))
    net = nn.Sequential(*layers).to(dtype)
    return meta, widths, net


# ----------------------------------------------------------------------------- tutorial recipe

def make_fnet_single(net):
    """(fnet_single, params) as in the tutorial; params are detached tensors."""
    if _HAVE_FUNCTIONAL_CALL:
        params = {k: v.detach() for k, v in net.named_parameters()}

        def fnet_single(params, x):
            return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)
    else:
        fnet, params = make_functional(net)
        params = tuple(p.detach() for p in params)

        def fnet_single(params, x):
            return fnet(params, x.unsqueeze(0)).squeeze(0)
    return fnet_single, params


def jacobians(fnet_single, params, x):
    """Per-sample Jacobians, one [B, O, p_k] tensor per parameter tensor (tutorial)."""
    jac = ref.vmap(ref.jacrev(fnet_single), (None, 0))(params, x)
    if isinstance(jac, dict):
        jac = jac.values()
    return [j.flatten(2) for j in jac]


def contract(jac1, jac2, outputs):
    """Tutorial einsum contraction, summed over the parameter tensors.

    (The tutorial stacks the per-tensor terms and sums; we accumulate, which is the same
    sum without holding one [N, M, O, O] term per parameter tensor.)"""
    result = None
    for j1, j2 in zip(jac1, jac2):
        if outputs == "full":
            term = torch.einsum("Naf,Mbf->NMab", j1, j2)
        else:
            term = torch.einsum("Naf,Maf->NM", j1, j2)
        result = term if result is None else result.add_(term)
    return result


def gram(fnet_single, params, X, O, outputs, B):
    """Gram of X with itself from the blocks I <= J of B rows, mirrored."""
    N = X.shape[0]
    bounds = [(i, min(i + B, N)) for i in range(0, N, B)]
    side = N * O if outputs == "full" else N
    G = torch.empty((side, side), dtype=X.dtype)
    k = O if outputs == "full" else 1
    for bi, (i0, i1) in enumerate(bounds):
        jac1 = jacobians(fnet_single, params, X[i0:i1])
        for (j0, j1) in bounds[bi:]:
            jac2 = jac1 if j0 == i0 else jacobians(fnet_single, params, X[j0:j1])
            blk = contract(jac1, jac2, outputs)
            if outputs == "full":  # [n, m, O, O] -> rows i*O + a, columns j*O + b
                blk = blk.permute(0, 2, 1, 3).reshape((i1 - i0) * O, (j1 - j0) * O)
            else:
                blk = blk / O      # our trace is the mean over the outputs
            G[i0 * k:i1 * k, j0 * k:j1 * k] = blk
            if j0 != i0:
                G[j0 * k:j1 * k, i0 * k:i1 * k] = blk.T
            del jac2, blk
        del jac1
    return G


def mem_available_bytes():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def auto_batch(N, O, P, itemsize, outputs):
    """All rows at once if the estimate fits in half of MemAvailable, else the fewest equal
    blocks that do. Estimate: the output Gram, two Jacobian blocks [B, O, P] plus about as much
    again transiently (jacrev intermediates, einsum copies), and a contraction block."""
    avail = mem_available_bytes()
    if avail is None:
        return N
    budget = avail // 2
    gram_bytes = (N * O) ** 2 * itemsize if outputs == "full" else N * N * itemsize
    for nblocks in range(1, N + 1):
        B = -(-N // nblocks)
        blk = (B * O) ** 2 if outputs == "full" else B * B
        need = gram_bytes + (4 * B * O * P + 2 * blk) * itemsize
        if need <= budget:
            return B
        if B == 1:
            break
    return 1


def is_oom(exc):
    if isinstance(exc, MemoryError):
        return True
    msg = str(exc).lower()
    return any(s in msg for s in ("out of memory", "can't allocate memory", "cannot allocate memory",
                                  "defaultcpuallocator", "not enough memory", "bad_alloc"))


def emit(result, out):
    text = json.dumps(result, indent=2)
    if out is None:
        print(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")


def main():
    ap = argparse.ArgumentParser(description="PyTorch (functorch tutorial) empirical-NTK Gram benchmark.")
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("x_npy", type=Path)
    ap.add_argument("--outputs", choices=("trace", "full"), required=True)
    ap.add_argument("--dtype", choices=tuple(DTYPES), default="float64")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch", type=int, default=None, help="rows per block (default: auto)")
    ap.add_argument("--out", type=Path, default=None, help="result JSON (default: stdout)")
    ap.add_argument("--check", type=Path, default=None, help="reference gram .npy to compare with")
    args = ap.parse_args()
    if args.threads < 1:
        fail("--threads must be >= 1")
    if args.batch is not None and args.batch < 1:
        fail("--batch must be >= 1")

    torch.set_num_threads(args.threads)
    dtype = DTYPES[args.dtype]
    torch.set_default_dtype(dtype)

    meta, widths, net = load_model(args.model_dir, dtype)
    Xnp = np.load(args.x_npy)
    if Xnp.ndim != 2 or Xnp.shape[1] != widths[0]:
        fail(f"X has shape {Xnp.shape}, model expects [N, {widths[0]}]")
    X = torch.from_numpy(np.ascontiguousarray(Xnp)).to(dtype)
    del Xnp
    N, O = X.shape[0], widths[-1]
    P = sum(p.numel() for p in net.parameters())
    itemsize = torch.finfo(dtype).bits // 8
    B = min(args.batch, N) if args.batch is not None else auto_batch(N, O, P, itemsize, args.outputs)
    result = {"seconds": None, "n": N, "P": P, "O": O, "outputs": args.outputs, "dtype": args.dtype,
              "threads": args.threads, "peak_rss_bytes": None, "torch": torch.__version__,
              "ok": True, "batch": B, "blocks": -(-N // B)}

    fnet_single, params = make_fnet_single(net)
    try:
        gram(fnet_single, params, X[:2], O, args.outputs, 2)  # warm-up, untimed
        load_before = os.getloadavg()[0]
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        G = gram(fnet_single, params, X, O, args.outputs, B)
        result["seconds"] = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        result["cpu_seconds"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        result["loadavg_1min_before"] = load_before
        result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except (RuntimeError, MemoryError) as exc:
        if not is_oom(exc):
            raise
        emit({"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:2000], "n": N, "P": P,
              "O": O, "outputs": args.outputs, "dtype": args.dtype, "threads": args.threads,
              "batch": B, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
              "torch": torch.__version__}, args.out)
        return 0

    status = 0
    if args.check is not None:
        ref_gram = np.load(args.check).astype(np.float64)
        ours = G.to(torch.float64).numpy()
        if ref_gram.shape != ours.shape:
            print(f"FAIL: {args.check} has shape {ref_gram.shape}, expected {ours.shape} "
                  f"(N={N}, O={O}, --outputs {args.outputs})", file=sys.stderr)
            status = 1
        else:
            denom = np.abs(ref_gram).max()
            rel = float(np.abs(ours - ref_gram).max() / (denom if denom > 0 else 1.0))
            tol = TOLERANCES[args.dtype]
            result["check_max_rel_diff"] = rel
            ok = rel <= tol
            print(f"{'OK' if ok else 'FAIL'}: max relative difference {rel:.3e} (tol {tol:g}); "
                  f"N={N} O={O} P={P} outputs={args.outputs} dtype={args.dtype}",
                  file=sys.stderr if args.out is None else sys.stdout)
            status = 0 if ok else 1
    emit(result, args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
