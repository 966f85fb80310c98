#!/usr/bin/env python3
"""Golden reference data for spark-ntk: per-sample Jacobians and empirical NTKs
of small MLPs, computed with PyTorch autograd (functorch vmap(jacrev)).

This script is test-data tooling only; spark-ntk never depends on Python at
runtime.  Run it from the repository root:

    python3 scripts/golden/make_jacobian_golden.py            # (re)write the data
    python3 scripts/golden/make_jacobian_golden.py --check    # verify the checked-in data

It needs the Debian packages python3-torch (1.13, which ships functorch),
python3-numpy.  If the `python3` first on PATH cannot import torch (e.g. a
pyenv interpreter), the script re-executes itself under /usr/bin/python3.

The network (NTK parameterisation, Jacot et al. 2018)
----------------------------------------------------
widths = [n_0, n_1, ..., n_L], O = n_L outputs.  Raw parameters
W_l in R^{n_{l+1} x n_l}, b_l in R^{n_{l+1}}, all i.i.d. N(0, 1).  With a_0 = x:

    z_{l+1} = s_l * (W_l @ a_l) + c * b_l,     s_l = sigmaW / sqrt(n_l),  c = sigmaB
    a_{l+1} = phi(z_{l+1})                     (no phi after the last layer)
    f(x)    = z_L

"ntk" parameterisation: the trainable parameters ARE the raw W_l, b_l.
"standard" parameterisation: the trainable parameters are
    W'_l = s_l * W_l,  b'_l = c * b_l,   z_{l+1} = W'_l @ a_l + b'_l,
i.e. the same function at initialisation, but the Jacobian is w.r.t. W', b'.
Per layer the two Jacobians are related by
    d f / d W_l = s_l * d f / d W'_l,   d f / d b_l = c * d f / d b'_l.

Parameter vector order:
    theta = (vec(W_0), b_0, vec(W_1), b_1, ..., vec(W_{L-1}), b_{L-1}),
vec() = row-major flattening, so W_l[r, k] sits at offset_l + r * n_l + k.
P = sum_l (n_{l+1} * n_l + n_{l+1}).

Empirical NTK from the Jacobians J(x) in R^{O x P}:
    Theta_ab(x_i, x_j) = sum_p J(x_i)[a, p] * J(x_j)[b, p]
    ntk_full[i*O + a, j*O + b] = Theta_ab(x_i, x_j)                [N*O, N*O]
    ntk_trace[i, j] = (1/O) * sum_a Theta_aa(x_i, x_j)              [N, N]

Random draws (numpy.random.default_rng(seed), one fixed seed per case), in this
order: W_0, b_0, W_1, b_1, ..., W_{L-1}, b_{L-1} (each standard_normal of its
shape), then x ~ N(0,1) of shape [N, n_0].  With the 1/sqrt(n_l) scaling,
N(0,1) inputs already give O(1) pre-activations, so x is not rescaled.  Rows
listed in a case's `zero_rows` are then set to exactly 0.
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # scripts/
import ntk_reference as ref  # noqa: E402  first: re-executes under /usr/bin/python3 if no torch
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_default_dtype(torch.float64)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "src" / "test" / "resources" / "golden" / "jacobian"

# --- the cases ------------------------------------------------------------------
# activation, parameterisation, widths, sigmaW, sigmaB, N, seed, zero_rows.
# The relu seeds are chosen so that every sample keeps >= 2 active units in every
# hidden layer (a fully dead layer makes the Gram degenerate and a weak test);
# compute_case() asserts this.
_CASE_SPECS = [
    ("relu", "ntk", [3, 5, 2], 1.0, 0.1, 4, 20264, [2]),  # row 2 of x is exactly zero
    ("relu", "ntk", [4, 7, 6, 3], 1.0, 0.1, 4, 20253, []),
    ("relu", "standard", [3, 5, 4, 2], 1.0, 0.1, 4, 20278, []),
    ("erf", "ntk", [2, 6, 1], 1.0, 0.1, 5, 20243, []),
    ("erf", "standard", [3, 4, 4, 3], 1.0, 0.1, 4, 20244, []),
    ("tanh", "ntk", [3, 8, 8, 8, 2], 1.0, 0.1, 4, 20245, []),
    ("tanh", "standard", [5, 6, 1], 1.0, 0.1, 5, 20246, []),
    ("identity", "ntk", [3, 4, 2], 1.0, 0.1, 3, 20247, []),
    ("sin", "ntk", [2, 5, 3], 1.0, 0.1, 4, 20248, []),
    ("gelu", "ntk", [3, 6, 2], 1.0, 0.1, 4, 20249, []),
    ("relu", "ntk", [4, 9, 3], 1.5, 0.0, 4, 20250, []),
    ("erf", "standard", [3, 5, 5, 1], 2.0, 0.5, 5, 20251, []),
    ("leaky_relu(0.2)", "ntk", [3, 6, 5, 2], 1.2, 0.1, 4, 20252, [1]),  # row 1 zero: leaky'(0) = 0.2
]


def _case_name(act, param, widths, sw, sb):
    name = f"{act.replace('(', '').replace(')', '')}_{param}_{'-'.join(str(w) for w in widths)}"
    if (sw, sb) != (1.0, 0.1):
        name += f"_sw{sw:g}_sb{sb:g}"
    return name


CASES = []
for _act, _param, _widths, _sw, _sb, _n, _seed, _zero in _CASE_SPECS:
    CASES.append(dict(
        name=_case_name(_act, _param, _widths, _sw, _sb),
        activation=_act, parameterization=_param, widths=_widths,
        sigmaW=_sw, sigmaB=_sb, n=_n, seed=_seed, zero_rows=_zero,
    ))


# --- the model: make_forward, trainable_theta etc. in scripts/ntk_reference.py ---------
def num_params(widths):
    return sum(widths[l + 1] * widths[l] + widths[l + 1] for l in range(len(widths) - 1))


# --- one case -----------------------------------------------------------------------
def compute_case(case):
    widths = case["widths"]
    L = len(widths) - 1
    rng = np.random.default_rng(case["seed"])
    Ws_np, bs_np = [], []
    for l in range(L):
        Ws_np.append(rng.standard_normal((widths[l + 1], widths[l])))
        bs_np.append(rng.standard_normal(widths[l + 1]))
    x_np = rng.standard_normal((case["n"], widths[0]))
    for r in case["zero_rows"]:
        x_np[r, :] = 0.0

    Ws = [torch.from_numpy(W) for W in Ws_np]
    bs = [torch.from_numpy(b) for b in bs_np]
    x = torch.from_numpy(x_np)
    param = (case["parameterization"], case["sigmaW"], case["sigmaB"])
    f = ref.make_forward(widths, case["activation"], *param)
    theta = ref.trainable_theta(Ws, bs, widths, *param)
    P = num_params(widths)
    O = widths[-1]
    assert theta.shape == (P,)

    # Outputs and per-sample Jacobians d f(x_i) / d theta: [N, O], [N, O, P].
    fx = ref.vmap(f, in_dims=(None, 0))(theta, x)
    jac = ref.per_sample_jacobians(f, theta, x)
    assert fx.shape == (case["n"], O) and jac.shape == (case["n"], O, P)

    # Cross-check 1: plain torch.autograd.grad loop for one sample (the last one).
    i = case["n"] - 1
    th = theta.clone().requires_grad_(True)
    out = f(th, x[i])
    rows = [torch.autograd.grad(out[a], th, retain_graph=True)[0] for a in range(O)]
    jac_loop = torch.stack(rows)
    assert torch.allclose(out.detach(), fx[i], rtol=0, atol=1e-14), "forward mismatch"
    assert torch.allclose(jac_loop, jac[i], rtol=1e-13, atol=1e-14), \
        f"{case['name']}: vmap(jacrev) != autograd.grad loop"

    # Cross-check 2: central finite differences for sample 0 (independent of autograd).
    eps = 1e-6
    with torch.no_grad():
        fd = torch.empty(O, P)
        for p in range(P):
            e = torch.zeros(P)
            e[p] = eps
            fd[:, p] = (f(theta + e, x[0]) - f(theta - e, x[0])) / (2 * eps)
    fd_err = (fd - jac[0]).abs().max().item() / max(jac[0].abs().max().item(), 1e-300)
    assert fd_err < 1e-6, f"{case['name']}: finite-difference mismatch {fd_err:g}"

    # Cross-check 3: fx equals the same forward written with plain numpy on the raw draws.
    s, c = ref.layer_scales(widths, case["sigmaW"], case["sigmaB"])
    erf_np = np.vectorize(math.erf)
    phi_np = {"relu": lambda z: np.maximum(z, 0.0), "erf": erf_np, "tanh": np.tanh,
              "identity": lambda z: z, "sin": np.sin,
              "gelu": lambda z: 0.5 * z * (1.0 + erf_np(z / math.sqrt(2.0))),
              "leaky_relu(0.2)": lambda z: np.where(z > 0, z, 0.2 * z)}[case["activation"]]
    a = x_np.T
    for l in range(L):
        z = s[l] * (Ws_np[l] @ a) + c * bs_np[l][:, None]
        a = phi_np(z) if l < L - 1 else z
        if case["activation"] == "relu" and l < L - 1:
            assert (a > 0).sum(axis=0).min() >= 2, f"{case['name']}: (nearly) dead relu layer"
    assert np.allclose(a.T, fx.numpy(), rtol=1e-12, atol=1e-13), "numpy forward mismatch"

    jac_np = jac.numpy()
    full, trace = ref.ntk_gram(jac_np, "full"), ref.ntk_gram(jac_np, "trace")
    # consistency of the two Gram layouts
    assert np.allclose(trace, np.einsum("iaja->ij", full.reshape(case["n"], O, case["n"], O)) / O,
                       rtol=1e-14, atol=1e-14)

    arrays = {}
    for l in range(L):
        arrays[f"W{l}.npy"] = Ws_np[l]
        arrays[f"b{l}.npy"] = bs_np[l]
    arrays["x.npy"] = x_np
    arrays["f.npy"] = fx.numpy()
    arrays["jac.npy"] = jac_np
    arrays["ntk_full.npy"] = full
    arrays["ntk_trace.npy"] = trace
    arrays = {k: np.ascontiguousarray(v, dtype="<f8") for k, v in arrays.items()}

    model = {
        "format": "spark-ntk-mlp",
        "version": 1,
        "widths": list(widths),
        "activation": case["activation"],
        "parameterization": case["parameterization"],
        "sigmaW": float(case["sigmaW"]),
        "sigmaB": float(case["sigmaB"]),
    }
    return model, arrays, fd_err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output directory (default: src/test/resources/golden/jacobian)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; verify existing files against a fresh computation")
    args = ap.parse_args()

    failures = 0
    for case in CASES:
        model, arrays, fd_err = compute_case(case)
        d = args.out / case["name"]
        if args.check:
            got = json.loads((d / "model.json").read_text())
            ok = got == model
            for fname, arr in arrays.items():
                old = np.load(d / fname)
                ok &= old.dtype == arr.dtype and old.shape == arr.shape and \
                    np.allclose(old, arr, rtol=1e-12, atol=1e-14)
            print(f"{'OK  ' if ok else 'FAIL'} {case['name']}")
            failures += not ok
            continue
        d.mkdir(parents=True, exist_ok=True)
        (d / "model.json").write_text(json.dumps(model, indent=2) + "\n")
        for fname, arr in arrays.items():
            np.save(d / fname, arr)
        N, O, P = arrays["jac.npy"].shape
        print(f"wrote {case['name']:<28} N={N} O={O} P={P:<4} (finite-diff rel err {fd_err:.1e})")

    if args.check:
        if failures:
            sys.exit(f"{failures} case(s) differ from a fresh computation")
        return
    cases_json = {"format": "spark-ntk-golden-jacobian", "version": 1,
                  "cases": [c["name"] for c in CASES]}
    (args.out / "cases.json").write_text(json.dumps(cases_json, indent=2) + "\n")
    print(f"wrote {args.out / 'cases.json'}  (python {sys.version.split()[0]}, "
          f"torch {torch.__version__}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
