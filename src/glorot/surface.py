"""Fig. 5: cross-entropy vs quadratic cost as a function of two weights, one in each layer.

A 1-hidden-layer tanh network with softmax output, random inputs and random targets (paper Sec. 5,
Fig. 5). All weights are drawn once from a fixed seed (standard init, Eq. 1); two of them, W1[0, 0]
(first layer) and W2[0, 0] (output layer), are swept over a grid and both costs are evaluated at
every grid point. Evaluating a cost on a grid is not training: nothing is updated, and the result is
a pure function of the arguments (deterministic).

The plateau measure used by the verdict: a grid point is a plateau point when the surface's gradient
norm there is below ``PLATEAU_TOL`` times that surface's median gradient norm (a scale-free test: the
two costs have different units and cross-entropy is unbounded, so a fixed or range-based threshold
would compare unlike things). The paper's claim is that the quadratic cost has more plateau.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PLATEAU_TOL = 0.1  # fraction of the surface's median gradient norm


@dataclass
class Surface:
    w1: np.ndarray  # grid values of W1[0, 0]
    w2: np.ndarray  # grid values of W2[0, 0]
    cross_entropy: np.ndarray  # [len(w2), len(w1)]
    quadratic: np.ndarray  # [len(w2), len(w1)]
    n_examples: int
    n_hidden: int


@lru_cache(maxsize=4)  # deterministic: a pure function of its arguments
def cost_surface(n_examples: int = 200, n_in: int = 10, n_hidden: int = 10, n_out: int = 2,
                 span: float = 6.0, points: int = 61, seed: int = 0) -> Surface:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n_examples, n_in))
    y = rng.integers(0, n_out, n_examples)
    onehot = np.eye(n_out)[y]
    w1 = rng.uniform(-1, 1, (n_hidden, n_in)) / np.sqrt(n_in)  # Eq. 1, W is [n_out, n_in]
    w2 = rng.uniform(-1, 1, (n_out, n_hidden)) / np.sqrt(n_hidden)
    g1 = np.linspace(-span, span, points)
    g2 = np.linspace(-span, span, points)
    # vectorised over the grid: hidden pre-activation depends on a only through column 0 of W1
    base_s = x @ w1.T  # [N, H]
    ce = np.empty((points, points))
    qu = np.empty((points, points))
    for i, a in enumerate(g1):
        s = base_s.copy()
        s[:, 0] += (a - w1[0, 0]) * x[:, 0]
        h = np.tanh(s)  # [N, H]
        base_o = h @ w2.T  # [N, O]
        # output logits for every b at once: o[b] = base_o + (b - w2[0,0]) * h[:, 0] on output unit 0
        o = np.repeat(base_o[None], points, 0)
        o[:, :, 0] += (g2[:, None] - w2[0, 0]) * h[None, :, 0]
        o = o - o.max(-1, keepdims=True)
        logp = o - np.log(np.exp(o).sum(-1, keepdims=True))
        p = np.exp(logp)
        ce[:, i] = -(logp * onehot[None]).sum(-1).mean(-1)
        qu[:, i] = ((p - onehot[None]) ** 2).sum(-1).mean(-1)
    return Surface(g1, g2, ce, qu, n_examples, n_hidden)


def plateau_fraction(z: np.ndarray, w1: np.ndarray, w2: np.ndarray, tol: float = PLATEAU_TOL) -> float:
    """Share of grid points whose gradient norm is below tol x the surface's median gradient norm."""
    d2, d1 = np.gradient(z, w2, w1)
    g = np.hypot(d1, d2)
    return float((g < tol * np.median(g)).mean())
