#!/usr/bin/python3
"""High-precision golden values of the closed-form expectations at and near ρ = ±1, and of the
analytic Gram's diagonal, for AnalyticEdgeGoldenTest (org.sparkntk.kernel.analytic.AnalyticNtk).

Every float64 input (k11, k12, k22, the rows x, σ_w, σ_b) is taken as the exact binary number it
is, and the reference is evaluated from it in 80-digit mpmath arithmetic, then rounded once to
float64. The references use the textbook forms with ρ = k12/√(k11 k22) and arccos / arcsin (not
the Java code's atan2 / exact-gap / series forms), and the diagonal ones are checked against 1-D
Gaussian integrals (mpmath.quad) of E[φ(u)²], E[φ'(u)²].

Part 1, "expectations": for identity, relu, leaky_relu(0.2), abs, erf, gelu and sin, and several
variance pairs (k11, k22): the diagonal (k12 = k11 = k22), ρ = ±1 exactly (k11 = k22 = ∓k12), and
k12 = fl(√(k11 k22)·(±1 ∓ k·2⁻⁵²)) for k = 1, 2, 3, 8, 64, 2¹⁰, 2²⁰, 2³⁰ (only pairs with
k12² ≤ k11 k22 in exact arithmetic are kept, so no clamping is involved), giving
Σ̂ = E[φ(u)φ(v)] and Σ̇ = E[φ'(u)φ'(v)].

Part 2, "grams": a 40 × 7 matrix of N(0, 1) draws rounded to multiples of 2⁻¹⁰ (so every row's
squared norm is exact in float64), and the NNGP Σ_L and NTK Θ_L diagonals ('ntk' parameterisation)
of the recursion Σ_1 = σ_w² xᵀx/n_0 + σ_b², Σ_{l+1} = σ_w² Σ̂_l + σ_b², Θ_1 = Σ_1,
Θ_{l+1} = σ_w² Σ̇_l Θ_l + Σ_{l+1} on the diagonal (k12 = k11 = k22), for the closed-form activations.

Needs only Debian's python3-mpmath (apt-get install -y python3-mpmath). From the repository root:

    /usr/bin/python3 scripts/golden/make_analytic_edge_golden.py

Deterministic (fixed random.Random seed, no numpy); takes a few seconds.
"""
import json
import os
import random
import sys

import mpmath as mp

mp.mp.dps = 80

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "src", "test", "resources", "golden", "analytic", "edges.json")

LEAKY = 0.2
ACTIVATIONS = ["identity", "relu", f"leaky_relu({LEAKY})", "abs", "erf", "gelu", "sin"]
ULP52 = 2.0 ** -52


def slope_of(act):
    return {"relu": 0.0, f"leaky_relu({LEAKY})": mp.mpf(LEAKY), "abs": mp.mpf(-1)}[act]


def expectations(act, k11, k12, k22):
    """(Σ̂, Σ̇) in mpmath for exact inputs with k12² ≤ k11 k22."""
    k11, k12, k22 = mp.mpf(k11), mp.mpf(k12), mp.mpf(k22)
    pi = mp.pi
    if act == "identity":
        return k12, mp.mpf(1)
    if act in ("relu", f"leaky_relu({LEAKY})", "abs"):
        a = slope_of(act)
        norm = mp.sqrt(k11 * k22)
        rho = k12 / norm
        assert abs(rho) <= 1
        kink = (1 - a) ** 2 / (2 * pi)
        # Σ̇ = (1 + α²)/2 − (1 − α)² θ/(2π) with θ = arccos ρ, written with π − θ = arccos(−ρ) for
        # ρ < 0 so that ρ = −1 gives Σ̇ = α exactly (and relu's Σ̂ = 0 exactly, not 1e-60)
        if rho >= 0:
            dot = (1 + a * a) / 2 - kink * mp.acos(rho)
        else:
            dot = a + kink * mp.acos(-rho)
        return kink * mp.sqrt(k11 * k22 - k12 * k12) + dot * k12, dot
    if act == "erf":
        d = (1 + 2 * k11) * (1 + 2 * k22)
        return 2 / pi * mp.asin(2 * k12 / mp.sqrt(d)), 4 / pi / mp.sqrt(d - 4 * k12 ** 2)
    if act == "gelu":
        q, p, p1 = k12, k11 * k22, (1 + k11) * (1 + k22)
        delta2 = p1 - q * q
        delta = mp.sqrt(delta2)
        beta = mp.asin(q / mp.sqrt(p1))
        value = q / 4 + (q * q + p * delta2) / (2 * pi * p1 * delta) + q * beta / (2 * pi)
        dot = mp.mpf(1) / 4 + beta / (2 * pi) + q / (2 * pi * delta) * (1 + 1 / delta2 + (1 - p) / p1)
        return value, dot
    if act == "sin":
        e = mp.exp(-(k11 + k22) / 2)
        return e * mp.sinh(k12), e * mp.cosh(k12)
    raise ValueError(act)


def phi(act, x):
    if act == "identity":
        return x
    if act == "relu":
        return x if x > 0 else mp.mpf(0)
    if act == f"leaky_relu({LEAKY})":
        return x if x > 0 else LEAKY * x
    if act == "abs":
        return abs(x)
    if act == "erf":
        return mp.erf(x)
    if act == "gelu":
        return x * mp.ncdf(x)
    if act == "sin":
        return mp.sin(x)
    raise ValueError(act)


def dphi(act, x):
    if act == "identity":
        return mp.mpf(1)
    if act in ("relu", f"leaky_relu({LEAKY})", "abs"):
        a = slope_of(act)
        return mp.mpf(1) if x > 0 else (a if x < 0 else mp.mpf(0))
    if act == "erf":
        return 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)
    if act == "gelu":
        return mp.ncdf(x) + x * mp.npdf(x)
    if act == "sin":
        return mp.cos(x)
    raise ValueError(act)


def diagonal_by_quadrature(act, k):
    """E[φ(u)²], E[φ'(u)²] for u ~ N(0, k) by 1-D Gaussian integrals (split at 0 for the kinks)."""
    sd = mp.sqrt(mp.mpf(k))

    def integral(f):
        return mp.quad(lambda z: f(sd * z) ** 2 * mp.npdf(z), [-mp.inf, 0, mp.inf])
    return integral(lambda u: phi(act, u)), integral(lambda u: dphi(act, u))


def near_pairs():
    """(k11, k12, k22, label) triples at and near ρ = ±1, as float64."""
    variances = [(1.0, 1.0), (0.37, 0.37), (2.5, 0.8), (0.013, 7.25), (1.0e-3, 1.0e3), (41.5, 41.5)]
    out = []
    for k11, k22 in variances:
        if k11 == k22:
            out.append((k11, k11, k22, "diagonal"))
            out.append((k11, -k11, k22, "rho=-1"))
        norm = (k11 * k22) ** 0.5
        for sign in (1, -1):
            for k in (1, 2, 3, 8, 64, 2 ** 10, 2 ** 20, 2 ** 30):
                k12 = sign * norm * (1.0 - k * ULP52)
                # keep only k12² ≤ k11 k22 exactly
                if mp.mpf(k12) ** 2 > mp.mpf(k11) * mp.mpf(k22):
                    continue
                out.append((k11, k12, k22, f"rho={'+' if sign > 0 else '-'}(1-{k}*2^-52)"))
    return out


def gram_rows():
    rnd = random.Random(20261129)
    return [[round(rnd.gauss(0.0, 1.0) * 1024) / 1024 for _ in range(7)] for _ in range(40)]


def gram_diagonal(act, x, sw, sb, depth):
    """Σ_L and Θ_L on the diagonal, exactly (k12 = k11 = k22) in mpmath."""
    sw2, sb2 = mp.mpf(sw) ** 2, mp.mpf(sb) ** 2
    nngp, ntk = [], []
    for row in x:
        dot = mp.fsum(mp.mpf(v) ** 2 for v in row)
        s = sw2 * dot / len(row) + sb2
        t = s
        for _ in range(1, depth):
            value, slope = expectations(act, s, s, s)
            s_next = sw2 * value + sb2
            t = sw2 * slope * t + s_next
            s = s_next
        nngp.append(float(s))
        ntk.append(float(t))
    return nngp, ntk


def main():
    expectation_cases = []
    worst_quad = mp.mpf(0)
    for act in ACTIVATIONS:
        for k11, k12, k22, label in near_pairs():
            value, slope = expectations(act, k11, k12, k22)
            if label == "diagonal":
                qv, qs = diagonal_by_quadrature(act, k11)
                err = max(abs(qv - value) / max(1, abs(value)), abs(qs - slope) / max(1, abs(slope)))
                worst_quad = max(worst_quad, err)
                assert err < mp.mpf(10) ** -30, (act, k11, err)
            expectation_cases.append({"activation": act, "label": label, "k11": k11, "k12": k12, "k22": k22,
                                      "value": float(value), "slope": float(slope)})
    x = gram_rows()
    for row in x:
        assert mp.fsum(mp.mpf(v) ** 2 for v in row) == sum(v * v for v in row)  # exact in float64
    grams = []
    for act in ACTIVATIONS:
        for sw, sb in ((1.0, 0.1), (1.5, 0.0)):
            depth = 3
            nngp, ntk = gram_diagonal(act, x, sw, sb, depth)
            grams.append({"activation": act, "depth": depth, "sigmaW": sw, "sigmaB": sb,
                          "diagNngp": nngp, "diagNtk": ntk})
    doc = {
        "description": "closed-form expectations at and near rho = ±1 and analytic Gram diagonals, "
                       "80-digit mpmath from the exact float64 inputs, rounded once "
                       "(scripts/golden/make_analytic_edge_golden.py)",
        "diagonalQuadratureMaxRelErr": float(worst_quad),
        "expectations": expectation_cases,
        "x": x,
        "grams": grams,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(expectation_cases)} expectation cases and {len(grams)} Gram diagonals to "
          f"{os.path.normpath(os.path.relpath(OUT))}; diagonal closed forms vs 1-D quadrature: {float(worst_quad):.1e}")


if __name__ == "__main__":
    sys.exit(main())
