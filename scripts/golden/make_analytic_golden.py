#!/usr/bin/python3
"""Golden infinite-width NNGP / NTK Grams for AnalyticNtk (docs/THEORY.md §3).

An independent implementation of the recursion

    Σ_0 = xᵀx'/n_0,  Σ_1 = σ_w² Σ_0 + σ_b²,  Θ_1 = Σ_1
    Σ̂_l = E[φ(u)φ(v)],  Σ̇_l = E[φ'(u)φ'(v)],  (u, v) ~ N(0, [[k11, k12], [k12, k22]])
    Σ_{l+1} = σ_w² Σ̂_l + σ_b²,  Θ_{l+1} = σ_w² Σ̇_l Θ_l + Σ_{l+1}

(neural-tangents stax.Dense(W_std=σ_w, b_std=σ_b), 'ntk' parameterisation), where every
expectation is computed by adaptive numerical integration (scipy.integrate.quad / nquad,
QUADPACK) of the 2-D Gaussian density — no arc-cosine / arcsin closed forms and no
Gauss–Hermite rule, so nothing is shared with the Java code.

Integration: whiten (u, v) = (a z1, b z1 + c z2) with a = √k11, b = k12/a, c = √(k22 − b²),
then polar coordinates z = r (cos t, sin t):

    E[f(u) g(v)] = ∫_{-π}^{π} ∫_0^R f(a r cos t) g(r (b cos t + c sin t)) r e^{-r²/2} dr dt / (2π)

The outer t-integral is split at the angles where u = 0 or v = 0 (the kinks / jumps of relu and
relu'), so every piece is smooth. R = 14 (the neglected Gaussian tail is < 1e-40).
For c = 0 (u and v perfectly correlated, the diagonal) a 1-D integral over z1 is used.

Run from the repository root:  /usr/bin/python3 scripts/golden/make_analytic_golden.py
"""
import json
import math
import os
import sys
from multiprocessing import Pool

import numpy as np
from scipy import integrate
from scipy.special import erf

EPSABS = 1e-11
EPSREL = 1e-11
R_MAX = 14.0
LIMIT = 200

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "src", "test", "resources", "golden", "analytic", "cases.json")


def relu(x):
    return x if x > 0.0 else 0.0


def relu_d(x):
    return 1.0 if x > 0.0 else 0.0


def erf_f(x):
    return math.erf(x)


def erf_d(x):
    return 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


def tanh_f(x):
    return math.tanh(x)


def tanh_d(x):
    t = math.tanh(x)
    return 1.0 - t * t


LEAKY_SLOPE = 0.2


def leaky(x):
    return x if x > 0.0 else LEAKY_SLOPE * x


def leaky_d(x):
    return 1.0 if x > 0.0 else LEAKY_SLOPE  # PyTorch: the x <= 0 branch at 0


def abs_f(x):
    return abs(x)


def abs_d(x):
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def gelu(x):
    return x * normal_cdf(x)


def gelu_d(x):
    return normal_cdf(x) + x * math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


ACT = {"relu": (relu, relu_d), "erf": (erf_f, erf_d), "tanh": (tanh_f, tanh_d),
       f"leaky_relu({LEAKY_SLOPE})": (leaky, leaky_d), "abs": (abs_f, abs_d),
       "gelu": (gelu, gelu_d), "sin": (math.sin, math.cos)}


def gauss_expect(f, g, k11, k12, k22):
    """E[f(u) g(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]); returns (value, abserr)."""
    a = math.sqrt(k11)
    b = k12 / a
    c2 = k22 - b * b
    opts = dict(epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)
    if c2 <= 1e-14 * k22:  # perfectly correlated: v = b z1
        def h(z):
            return f(a * z) * g(b * z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        v1, e1 = integrate.quad(h, -R_MAX, 0.0, **opts)
        v2, e2 = integrate.quad(h, 0.0, R_MAX, **opts)
        return v1 + v2, e1 + e2
    c = math.sqrt(c2)

    def radial(t):
        ca = a * math.cos(t)
        cb = b * math.cos(t) + c * math.sin(t)

        def h(r):
            return f(ca * r) * g(cb * r) * r * math.exp(-0.5 * r * r)
        return integrate.quad(h, 0.0, R_MAX, **opts)

    # split points in (-π, π): u = 0 at t = ±π/2; v = 0 where b cos t + c sin t = 0
    t0 = math.atan2(-b, c)  # direction with b cos t + c sin t = 0
    cuts = {-math.pi / 2, math.pi / 2}
    for t in (t0, t0 - math.pi, t0 + math.pi):
        if -math.pi < t < math.pi:
            cuts.add(t)
    edges = [-math.pi] + sorted(cuts) + [math.pi]
    total, err = 0.0, 0.0
    inner_err = [0.0]

    def outer(t):
        v, e = radial(t)
        inner_err[0] = max(inner_err[0], e)
        return v

    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi - lo < 1e-15:
            continue
        v, e = integrate.quad(outer, lo, hi, **opts)
        total += v
        err += e
    # the inner errors integrate over an angle range of 2π
    err += 2 * math.pi * inner_err[0]
    return total / (2 * math.pi), err / (2 * math.pi)


def recursion(act, x, sw, sb, depth, hidden=None):
    """Σ_l and Θ_l for l = 1 … depth over all pairs of rows of x; returns lists per l, and
    the largest integration error estimate of any expectation.

    hidden = None: 'ntk' parameterisation, Θ_{l+1} = σ_w² Σ̇_l Θ_l + Σ_{l+1}.
    hidden = [n_1, …]: 'standard' parameterisation (trainable W' = σ_w W/√n_l, b' = σ_b b), whose
    layer-(l+1) parameter block of J Jᵀ tends to (⟨a_l, a_l'⟩ + 1)·⟨δ, δ'⟩ with ⟨a_l, a_l'⟩ → n_l Σ̂_l
    (⟨x, x'⟩ for l = 0): Θ_1 = xᵀx' + 1, Θ_{l+1} = σ_w² Σ̇_l Θ_l + n_l Σ̂_l + 1."""
    f, fd = ACT[act]
    n, n0 = x.shape
    sw2, sb2 = sw * sw, sb * sb
    sigma = sw2 * (x @ x.T) / n0 + sb2
    theta = sigma.copy() if hidden is None else x @ x.T + 1.0
    sigmas, thetas = [sigma.copy()], [theta.copy()]
    worst = 0.0
    for layer in range(1, depth):
        new_sigma = np.empty_like(sigma)
        new_theta = np.empty_like(theta)
        for i in range(n):
            for j in range(i, n):
                k11, k12, k22 = sigma[i, i], sigma[i, j], sigma[j, j]
                if i == j:
                    k12 = k11  # exact correlation 1
                s_hat, e1 = gauss_expect(f, f, k11, k12, k22)
                s_dot, e2 = gauss_expect(fd, fd, k11, k12, k22)
                worst = max(worst, e1, e2)
                s = sw2 * s_hat + sb2
                if hidden is None:
                    t = sw2 * s_dot * theta[i, j] + s
                else:
                    t = sw2 * s_dot * theta[i, j] + hidden[layer - 1] * s_hat + 1.0
                new_sigma[i, j] = new_sigma[j, i] = s
                new_theta[i, j] = new_theta[j, i] = t
        sigma, theta = new_sigma, new_theta
        sigmas.append(sigma.copy())
        thetas.append(theta.copy())
    return sigmas, thetas, worst


def run_group(args):
    act, sw, sb, x, depths, tag, hidden = args
    sigmas, thetas, worst = recursion(act, x, sw, sb, max(depths), hidden)
    out = []
    for L in depths:
        case = {
            "name": f"{tag}{act}_L{L}_sw{sw}_sb{sb}",
            "activation": act,
            "depth": L,
            "sigmaW": sw,
            "sigmaB": sb,
            "parameterization": "ntk" if hidden is None else "standard",
        }
        if hidden is not None:
            case["hidden"] = hidden[:L - 1]
        out.append({
            **case,
            "x": x.tolist(),
            "nngp": sigmas[L - 1].tolist(),
            "ntk": thetas[L - 1].tolist(),
            # largest QUADPACK error estimate of any single expectation up to this depth
            # (computed over the whole recursion to max depth, so an upper bound for smaller L)
            "integrationAbsErr": worst,
            "integrationRequested": {"epsabs": EPSABS, "epsrel": EPSREL},
        })
    return out


def main():
    rng = np.random.default_rng(20240611)
    x = rng.standard_normal((4, 3))
    jobs = []
    for act in ("relu", "erf", "tanh"):
        for sw in (1.0, 1.5):
            for sb in (0.1, 0.0):
                jobs.append((act, sw, sb, x, (2, 3, 4), "", None))
    for act in (f"leaky_relu({LEAKY_SLOPE})", "abs", "gelu", "sin"):
        for sw, sb in ((1.0, 0.1), (1.5, 0.0)):
            jobs.append((act, sw, sb, x, (2, 3, 4), "", None))
    # large variances (Σ_1 up to ≈ 13): where a fixed Gauss–Hermite rule fails for tanh
    jobs.append(("tanh", 3.0, 0.5, x, (2, 3), "wide_variance_", None))
    # 'standard' parameterisation, uneven hidden widths so a wrong n_l shows
    for act in ("relu", "tanh", "gelu"):
        jobs.append((act, 1.3, 0.2, x, (2, 3, 4), "standard_", [5, 7, 6]))
    # the check setting of docs/THEORY.md §3: n0 = 2, x0 = (1, 0), L = 4, σ_w = 1, σ_b = 0.1
    xc = np.vstack([[1.0, 0.0], np.random.default_rng(7).standard_normal((3, 2))])
    jobs.append(("relu", 1.0, 0.1, xc, (4,), "notes_check_", None))
    with Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
        results = pool.map(run_group, jobs)
    cases = [c for group in results for c in group]
    check = [c for c in cases if c["name"].startswith("notes_check_")][0]
    t00 = check["ntk"][0][0]
    assert round(t00, 4) == 0.2825, f"Θ(x0, x0) = {t00}, expected 0.2825"
    print(f"check value of docs/THEORY.md §3: Θ(x0, x0) = {t00:.12f}")
    worst = max(c["integrationAbsErr"] for c in cases)
    doc = {
        "description": "infinite-width NNGP (Σ_L) and NTK (Θ_L) Grams, docs/THEORY.md §3, 'ntk' "
                       "parameterisation (and the large-width 'standard' NTK at the given hidden "
                       "widths); expectations by scipy QUADPACK integration in polar "
                       "coordinates (scripts/golden/make_analytic_golden.py)",
        "maxIntegrationAbsErr": worst,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}; max integration error estimate {worst:.2e}")


if __name__ == "__main__":
    sys.exit(main())
