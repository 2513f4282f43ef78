#!/usr/bin/python3
"""Reference values for metrics/stats tests (KSUniform, KolmogorovSF,
WilsonInterval, BHAdjust, BHDiscoveries), written to reference.json.

Run from this directory with Debian's python3 (numpy 1.24, scipy 1.10):

    /usr/bin/python3 reference.py > reference.json

- KolmogorovSF: scipy.stats.kstwo.sf(d, n) (Simard & L'Ecuyer's algorithm:
  exact for n <= 140 and where n d^1.5 < 1.4, the Pelz-Good asymptotic
  series, good to about 5 digits, elsewhere); and, for some points where
  scipy is approximate, the exact P(D_n >= d) of Marsaglia, Tsang and Wang
  (2003) evaluated here with mpmath at 40 significant digits ("exact").
- KSUniform: scipy.stats.kstest(x, "uniform", method="exact") on samples
  drawn here with numpy's default_rng(seed) and stored with the results.
- WilsonInterval: the Wilson score formula with scipy.stats.norm.ppf, as in
  statsmodels.stats.proportion.proportion_confint(method="wilson").
- BH: statsmodels.stats.multitest.multipletests(method="fdr_bh"), its
  algorithm restated below in numpy (statsmodels is not installed here).
"""
import json

import mpmath
import numpy as np
from scipy import stats


def kolmogorov_sf_mp(n, d):
    """P(D_n >= d) by Marsaglia, Tsang & Wang (2003), section 2, in mpmath."""
    mpmath.mp.dps = 40
    d = mpmath.mpf(d)
    k = int(mpmath.floor(n * d)) + 1
    m = 2 * k - 1
    h = k - n * d
    H = mpmath.matrix(m, m)
    for i in range(m):
        for j in range(m):
            H[i, j] = 1 if i - j + 1 >= 0 else 0
    for i in range(m):
        H[i, 0] -= h ** (i + 1)
        H[m - 1, i] -= h ** (m - i)
    if 2 * h - 1 > 0:
        H[m - 1, 0] += (2 * h - 1) ** m
    for i in range(m):
        for j in range(m):
            if i - j + 1 > 0:
                H[i, j] /= mpmath.factorial(i - j + 1)
    Q = H ** n
    cdf = Q[k - 1, k - 1] * mpmath.factorial(n) / mpmath.mpf(n) ** n
    return float(1 - cdf)



def wilson(k, n, level):
    z = stats.norm.ppf((1 + level) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [max(centre - half, 0.0), min(centre + half, 1.0)]


def fdr_bh(pvals, alpha):
    # statsmodels 0.14 multipletests, method "fdr_bh" (is_sorted=False).
    pvals = np.asarray(pvals)
    order = np.argsort(pvals, kind="mergesort")
    ps = pvals[order]
    m = len(ps)
    ecdf = np.arange(1, m + 1) / m
    reject = ps <= ecdf * alpha
    if reject.any():
        last = np.nonzero(reject)[0].max()
        reject[: last + 1] = True
    raw = ps / ecdf
    corrected = np.minimum.accumulate(raw[::-1])[::-1]
    corrected[corrected > 1] = 1
    q = np.empty(m)
    q[order] = corrected
    rej = np.empty(m, dtype=bool)
    rej[order] = reject
    return q.tolist(), rej.tolist()


out = {"kstwo": [], "kstest": [], "wilson": [], "bh": []}

for n in [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 1500, 3000, 10000]:
    for d in [0.01, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.8, 0.95]:
        if d < 0.5 / n:  # below the smallest possible D
            continue
        out["kstwo"].append({"n": n, "d": d, "sf": float(stats.kstwo.sf(d, n))})

out["kstwo_exact"] = [
    {"n": n, "d": d, "sf": kolmogorov_sf_mp(n, d)}
    for n, d in [(3, 0.45), (20, 0.15), (200, 0.05), (200, 0.1), (200, 0.2), (500, 0.03), (1000, 0.03), (1000, 0.04)]
]

rng = np.random.default_rng(20240611)
for n, shape in [(5, "uniform"), (50, "uniform"), (200, "uniform"), (200, "squared"), (1000, "uniform"), (100, "shifted")]:
    x = rng.random(n)
    if shape == "squared":
        x = x ** 2
    if shape == "shifted":
        x = np.clip(x + 0.1, 0, 1)
    r = stats.kstest(x, "uniform", method="exact")
    out["kstest"].append({"x": x.tolist(), "d": float(r.statistic), "p": float(r.pvalue)})

for k, n in [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (81, 263), (15, 148), (0, 20), (1, 29), (7, 20), (50, 100)]:
    for level in [0.95, 0.99]:
        out["wilson"].append({"k": k, "n": n, "level": level, "ci": wilson(k, n, level)})

for m, seed in [(1, 1), (5, 2), (20, 3), (100, 4)]:
    r = np.random.default_rng(seed)
    p = r.random(m) ** 3  # skewed towards 0, so that some are discoveries
    p[: m // 4] = r.random(m // 4)
    if m >= 5:
        p[1] = p[2]  # a tie
    q, rej = fdr_bh(p, 0.05)
    out["bh"].append({"p": p.tolist(), "q": q, "reject05": rej})

json.dump(out, __import__("sys").stdout, indent=1)
print()
