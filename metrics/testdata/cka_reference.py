#!/usr/bin/python3
"""Reference values for metrics.DebiasedCKA / DebiasedGramCKA and the plain
linear CKA, written to cka_reference.json.

Run from this directory with Debian's python3 (numpy 1.24):

    /usr/bin/python3 cka_reference.py > cka_reference.json

The computation restates, in float64 numpy, the linear CKA of Kornblith's
demo code for "Similarity of neural network representations revisited"
(google-research/representation_similarity, Demo.ipynb: gram_linear,
center_gram, cka): the Gram matrix X X^T; for the debiased estimator the
U-centring of Szekely & Rizzo (2014) (diagonal zeroed, column sums over
n - 2, their total over 2 (n - 1) subtracted, diagonal zeroed again); for
the plain one the usual double centring; then
<K, L>_F / (||K||_F ||L||_F). As a second, independent route the script
also evaluates Song et al. (2012, eq. 5) directly and checks that the two
debiased values agree to 1e-12.

Inputs are drawn with numpy's default_rng and stored with the results.
"""
import json
import sys

import numpy as np


def center_gram(gram, unbiased):
    gram = gram.copy()
    n = gram.shape[0]
    if unbiased:
        np.fill_diagonal(gram, 0)
        means = gram.sum(0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = gram.mean(0)
        means -= means.mean() / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(x, y, debiased):
    k = center_gram(x @ x.T, debiased)
    l = center_gram(y @ y.T, debiased)
    return float((k * l).sum() / (np.linalg.norm(k) * np.linalg.norm(l)))


def song_hsic(k, l):
    """Song et al. (2012), eq. 5: the unbiased HSIC estimator."""
    n = k.shape[0]
    kt, lt = k.copy(), l.copy()
    np.fill_diagonal(kt, 0)
    np.fill_diagonal(lt, 0)
    one = np.ones(n)
    return (np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * (one @ kt @ lt @ one)) / (n * (n - 3))


def song_cka(x, y):
    k, l = x @ x.T, y @ y.T
    return float(song_hsic(k, l) / np.sqrt(song_hsic(k, k) * song_hsic(l, l)))


rng = np.random.default_rng(20240612)
cases = []
for name, n, p, q in [("n4", 4, 3, 2), ("small", 10, 3, 5), ("wide", 24, 60, 40), ("tall", 50, 6, 9), ("correlated", 40, 30, 20)]:
    x = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)  # column offsets
    if name == "correlated":
        y = x @ rng.standard_normal((p, q)) * 0.3 + rng.standard_normal((n, q))
    else:
        y = rng.standard_normal((n, q)) + rng.uniform(-2, 2, q)
    deb, plain, song = cka(x, y, True), cka(x, y, False), song_cka(x, y)
    assert abs(deb - song) < 1e-12, (name, deb, song)
    cases.append({"name": name, "n": n, "p": p, "q": q, "x": x.ravel().tolist(), "y": y.ravel().tolist(),
                  "debiased": deb, "plain": plain})

json.dump({"cases": cases}, sys.stdout, indent=1)
print()
