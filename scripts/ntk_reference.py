"""PyTorch reference for spark-ntk's empirical NTK, shared by scripts/check_gram.py,
scripts/golden/make_jacobian_golden.py and scripts/bench/torch_ntk.py: the saved-model
loader, the activation table, the MLP in ntk/standard parameterisation as a function of
a flat theta, per-sample Jacobians and the Gram layouts.  Test/benchmark tooling only.

Importing it makes sure torch is there: if the `python3` running the script cannot import
torch (e.g. a pyenv interpreter), the script re-executes itself under /usr/bin/python3
(Debian's python3-torch 1.13, which ships functorch).

Model (NTK parameterisation, Jacot et al. 2018); widths = [n_0, ..., n_L], O = n_L, a_0 = x:
    z_{l+1} = s_l * (W_l @ a_l) + c * b_l,   s_l = sigmaW / sqrt(n_l),  c = sigmaB
    a_{l+1} = phi(z_{l+1}) (not after the last layer),  f(x) = z_L  in R^O
  "ntk":      the trainable parameters are the raw W_l, b_l.
  "standard": they are W'_l = s_l W_l, b'_l = c b_l, and z_{l+1} = W'_l @ a_l + b'_l.
theta = (vec(W_0), b_0, ..., vec(W_{L-1}), b_{L-1}) (row-major vec), J(x) = d f(x) / d theta,
Theta_ab(x_i, x_j) = sum_p J(x_i)[a, p] J(x_j)[b, p].
"""

import os
import sys

try:
    import torch
except ImportError:  # pragma: no cover - environment dependent
    _SYS_PY = "/usr/bin/python3"
    if os.path.exists(_SYS_PY) and os.path.realpath(sys.executable) != os.path.realpath(_SYS_PY):
        os.execv(_SYS_PY, [_SYS_PY] + sys.argv)
    raise

import json
import math

import numpy as np
import torch.nn.functional as F

try:  # torch >= 2.0
    from torch.func import jacrev, vmap
except ImportError:  # torch 1.13 ships these as functorch
    from functorch import jacrev, vmap

# Activations phi.
ACTIVATIONS = {
    "relu": torch.relu,                 # relu'(0) = 0
    "erf": torch.erf,
    "tanh": torch.tanh,
    "identity": lambda z: z,
    "sin": torch.sin,
    "gelu": lambda z: F.gelu(z),        # exact x * Phi(x) = x * (1 + erf(x / sqrt 2)) / 2
    "abs": torch.abs,                   # abs'(0) = 0
}


def phi_of(name):
    """phi for a model.json activation name: one of ACTIVATIONS or leaky_relu(alpha)."""
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    if name.startswith("leaky_relu(") and name.endswith(")"):
        alpha = float(name[len("leaky_relu("):-1])
        return lambda z: F.leaky_relu(z, alpha)  # derivative alpha at 0, like the Java code
    raise KeyError(name)


def layer_scales(widths, sigma_w, sigma_b):
    """s_l = sigmaW / sqrt(n_l) (n_l = fan-in of layer l) and c = sigmaB."""
    return [sigma_w / math.sqrt(widths[l]) for l in range(len(widths) - 1)], sigma_b


def load_model(model_dir, fail):
    """A saved spark-ntk model: model.json {"format": "spark-ntk-mlp", "version": 1, "widths",
    "activation", "parameterization", "sigmaW", "sigmaB"} and W<l>.npy [n_{l+1}, n_l],
    b<l>.npy [n_{l+1}] (raw N(0,1) draws).  Returns (meta, widths, Ws, bs), the arrays as
    float64 numpy; calls fail(message) on bad input."""
    path = model_dir / "model.json"
    if not path.is_file():
        fail(f"{path} not found")
    meta = json.loads(path.read_text())
    if meta.get("format") != "spark-ntk-mlp" or meta.get("version") != 1:
        fail(f"unexpected model format {meta.get('format')!r} version {meta.get('version')!r}")
    widths = [int(w) for w in meta["widths"]]
    try:
        phi_of(meta["activation"])
    except (KeyError, ValueError):
        fail(f"unsupported activation {meta['activation']!r}")
    if meta["parameterization"] not in ("ntk", "standard"):
        fail(f"unsupported parameterization {meta['parameterization']!r}")
    Ws, bs = [], []
    for l in range(len(widths) - 1):
        W = np.load(model_dir / f"W{l}.npy").astype(np.float64)
        b = np.load(model_dir / f"b{l}.npy").astype(np.float64)
        if W.shape != (widths[l + 1], widths[l]) or b.shape != (widths[l + 1],):
            fail(f"layer {l}: W{l} {W.shape} / b{l} {b.shape} do not match widths {widths}")
        Ws.append(W)
        bs.append(b)
    return meta, widths, Ws, bs


def apply_input_mapping(meta, model_dir, X, fail):
    """The fixed Fourier-feature mapping saved with a model (model.json "inputMapping", B.npy),
    written from docs/THEORY.md §9, applied to the raw rows X [N, d]; X unchanged without one."""
    m = meta.get("inputMapping")
    if not m:
        return X
    kind, d = m["type"], int(m["inputs"])
    if X.shape[1] != d:
        fail(f"the model's input mapping takes {d} coordinates, the CSV has {X.shape[1]}")
    if kind == "basic":
        phase = 2 * np.pi * X
    elif kind == "positional":
        sigma, freqs = float(m["scale"]), int(m["features"])
        phase = np.concatenate([2 * np.pi * sigma ** (j / freqs) * X for j in range(freqs)], axis=1)
    elif kind == "gaussian":
        B = np.load(model_dir / "B.npy")
        if B.shape != (int(m["features"]), d):
            fail(f"B.npy has shape {B.shape}, model.json says ({m['features']}, {d})")
        phase = 2 * np.pi * X @ B.T
    else:
        fail(f"unsupported input mapping {kind!r}")
    return np.concatenate([np.cos(phase), np.sin(phase)], axis=1)


def trainable_layers(Ws, bs, widths, parameterization, sigma_w, sigma_b):
    """Per layer the trainable (W, b) from the raw draws (numpy or torch, kept as given):
    ntk: (W_l, b_l);  standard: (s_l W_l, c b_l)."""
    if parameterization == "ntk":
        return list(zip(Ws, bs))
    if parameterization == "standard":
        s, c = layer_scales(widths, sigma_w, sigma_b)
        return [(s[l] * W, c * b) for l, (W, b) in enumerate(zip(Ws, bs))]
    raise ValueError(f"unknown parameterization {parameterization!r}")


def trainable_theta(Ws, bs, widths, parameterization, sigma_w, sigma_b):
    """Flat trainable parameter vector (torch) in theta order.

    ntk:      theta = (W_0, b_0, ..., W_{L-1}, b_{L-1})               (raw draws)
    standard: theta = (s_0 W_0, c b_0, ..., s_{L-1} W_{L-1}, c b_{L-1})
    """
    layers = trainable_layers(Ws, bs, widths, parameterization, sigma_w, sigma_b)
    return torch.cat([torch.as_tensor(t).reshape(-1) for W, b in layers for t in (W, b)])


def make_forward(widths, activation, parameterization, sigma_w, sigma_b):
    """Returns f(theta, x) -> z_L in R^O for a single input x in R^{n_0}."""
    phi = phi_of(activation)
    ntk = parameterization == "ntk"
    s, c = layer_scales(widths, sigma_w, sigma_b)
    L = len(widths) - 1

    def f(theta, x):
        a, off = x, 0
        for l in range(L):
            n_in, n_out = widths[l], widths[l + 1]
            W = theta[off:off + n_out * n_in].reshape(n_out, n_in)  # row-major
            off += n_out * n_in
            b = theta[off:off + n_out]
            off += n_out
            if ntk:
                z = s[l] * (W @ a) + c * b      # z_{l+1} = s_l W_l a_l + c b_l
            else:
                z = W @ a + b                   # z_{l+1} = W'_l a_l + b'_l
            a = phi(z) if l < L - 1 else z      # no phi after the last layer
        return a

    return f


def per_sample_jacobians(f, theta, x, chunk=None):
    """d f(x_i) / d theta for the rows of x: [N, O, P], by vmap(jacrev), chunk rows at a time."""
    jac = vmap(jacrev(f), in_dims=(None, 0))
    if chunk is None:
        return jac(theta, x)
    return torch.cat([jac(theta, x[i:i + chunk]) for i in range(0, x.shape[0], chunk)])


def ntk_gram(jac, outputs):
    """jac [N, O, P] (numpy) -> the empirical-NTK Gram of the rows with themselves:
    full:  [N*O, N*O], [i*O + a, j*O + b] = Theta_ab(x_i, x_j)
    trace: [N, N],     [i, j] = (1/O) sum_a Theta_aa(x_i, x_j)   (mean over the outputs)"""
    N, O, P = jac.shape
    if outputs == "full":
        J = jac.reshape(N * O, P)
        return J @ J.T
    return np.einsum("iap,jap->ij", jac, jac) / O
