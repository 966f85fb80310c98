#!/usr/bin/python3
"""The constants and the golden values of the pure-Java atan2 (org.sparkntk.kernel.analytic.Atan).

Writes two things, both from 60-digit mpmath arithmetic, each value rounded once to float64:

1. on stdout, the Java table of atan(k/32), k = 0 … 32, as a head (the nearest double) and a tail
   (the nearest double to the rest), and π and π/2 split the same way; these are pasted into
   Atan.java;
2. src/test/resources/golden/atan/atan2.json: pairs (y, x) with atan2(y, x), for AtanTest. The pairs
   cover every octant, ratios |y/x| spread log-uniformly from 2^-60 to 2^60, the neighbourhoods of
   the table's breakpoints (k/32 ± 1/64, where the reduction switches entries) and of |y| = |x|,
   and the signed zeros. Every input is taken as the exact binary number it is.

Needs only Debian's python3-mpmath. From the repository root:

    /usr/bin/python3 scripts/golden/make_atan_golden.py

Deterministic (fixed random.Random seed); takes a few seconds.
"""
import json
import math
import os
import random

import mpmath as mp

mp.mp.dps = 60

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "src", "test", "resources", "golden", "atan", "atan2.json")


def split(v):
    head = float(v)
    return head, float(v - mp.mpf(head))


def java_table():
    heads, tails = [], []
    for k in range(33):
        h, t = split(mp.atan(mp.mpf(k) / 32))
        heads.append(repr(h))
        tails.append(repr(t))
    pi_h, pi_t = split(mp.pi)
    half_h, half_t = split(mp.pi / 2)
    print("  // atan(k/32), k = 0 … 32: head and tail (scripts/golden/make_atan_golden.py)")
    print("  private static final double[] ATAN_HEAD = {" + ", ".join(heads) + "};")
    print("  private static final double[] ATAN_TAIL = {" + ", ".join(tails) + "};")
    print("  private static final double PI_HEAD = %r, PI_TAIL = %r;" % (pi_h, pi_t))
    print("  private static final double HALF_PI_HEAD = %r, HALF_PI_TAIL = %r;" % (half_h, half_t))


def golden():
    rnd = random.Random(20261207)
    pairs = []
    # log-uniform ratios in every octant
    for _ in range(1000):
        x = rnd.choice([-1, 1]) * 2.0 ** rnd.uniform(-30, 30)
        ratio = 2.0 ** rnd.uniform(-60, 60)
        y = rnd.choice([-1, 1]) * abs(x) * ratio
        pairs.append((y, x))
    # ratios uniform in (0, 1] and around 1 (the reduction's whole range)
    for _ in range(1000):
        x = rnd.uniform(0.5, 4.0)
        y = x * rnd.uniform(0.0, 1.0)
        pairs.append((rnd.choice([-1, 1]) * y, rnd.choice([-1, 1]) * x))
        pairs.append((rnd.choice([-1, 1]) * x, rnd.choice([-1, 1]) * y))
    # the breakpoints (2k+1)/64 between table entries, and the ends of the range, nudged by ulps
    for k in range(0, 33):
        for centre in ((2 * k + 1) / 64.0, k / 32.0):
            if centre > 1.0:
                continue
            for d in (-3, -2, -1, 0, 1, 2, 3):
                z = centre
                for _ in range(abs(d)):
                    z = (z + (z * 2 ** -52 if d > 0 else -z * 2 ** -53)) if z > 0 else 2 ** -1074
                if 0 < z <= 1:
                    pairs.append((z, 1.0))
                    pairs.append((1.0, z))
                    pairs.append((-z, -1.0))
    # tiny and huge ratios, and signed zeros
    for y, x in [(0.0, 1.0), (-0.0, 1.0), (0.0, -1.0), (-0.0, -1.0), (1.0, 0.0), (-1.0, 0.0), (1.0, -0.0),
                 (-1.0, -0.0), (5e-324, 1.0), (1.0, 5e-324), (1e-300, 3.0), (3.0, 1e300), (1e300, 1e-300),
                 (-2.5, 1e-310), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)]:
        pairs.append((y, x))
    out = []
    for y, x in pairs:
        v = mp.atan2(mp.mpf(y), mp.mpf(x))
        # mpmath has no signed zero: for y = ±0 the result (0 or π) takes the sign of y, as IEEE atan2's does
        r = float(v)
        if y == 0.0:
            r = math.copysign(r, y)
        if x == 0.0 and y == 0.0:
            continue
        out.append([y, x, r])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"source": "scripts/golden/make_atan_golden.py (mpmath %s, 60 digits)" % mp.__version__,
                   "columns": ["y", "x", "atan2(y, x) rounded to float64"], "values": out}, f)
        f.write("\n")


if __name__ == "__main__":
    java_table()
    golden()
