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


# ---------------------------------------------------------------------------------------------
# The Fig. 5 claim's surface and plateau measure (glorot.claims.fig05 says why, written before
# they were computed): one weight per layer, W in [-4, 4], a plateau where gradient descent's step
# is small while the cost is still far above its minimum.
# ---------------------------------------------------------------------------------------------

G_FLAT = 0.01  # |grad C| below this: a small step at a shared learning rate
FAR = 0.5  # C - C_min above this share of (C_max - C_min): far above the minimum


@dataclass
class ChainSurface:
    w1: np.ndarray  # grid of the input -> hidden weight
    w2: np.ndarray  # grid of the hidden -> output-0 weight
    cross_entropy: np.ndarray  # [len(w2), len(w1)]
    quadratic: np.ndarray
    grad_cross_entropy: np.ndarray  # |grad| with respect to (W1, W2), analytic
    grad_quadratic: np.ndarray
    n_examples: int
    seed: int


@lru_cache(maxsize=16)
def chain_surface(seed: int = 0, n_examples: int = 100, span: float = 4.0, points: int = 81) -> ChainSurface:
    """Costs and their exact gradient norms over (W1, W2) for 1 input -> 1 tanh unit -> softmax over
    2 classes, logits (W2 h, 0), h = tanh(W1 x); x ~ U[-1, 1], targets uniform over the 2 classes."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n_examples)
    t = (rng.integers(0, 2, n_examples) == 0).astype(float)  # 1 where the target is class 0
    g1 = np.linspace(-span, span, points)
    g2 = np.linspace(-span, span, points)
    a, b = np.meshgrid(g1, g2)  # [len(w2), len(w1)]
    h = np.tanh(a[..., None] * x)  # [P2, P1, N]
    o = b[..., None] * h  # logit of class 0 (class 1's is 0)
    p = 1 / (1 + np.exp(-o))  # p(class 0)
    # cross-entropy -log p_y = softplus(-o) if t else softplus(o), computed stably
    ce = np.where(t > 0, np.logaddexp(0, -o), np.logaddexp(0, o))
    qu = 2 * (p - t) ** 2  # sum over the 2 outputs: (p - t)^2 + ((1 - p) - (1 - t))^2
    d_ce = p - t  # dC/do
    d_qu = 4 * (p - t) * p * (1 - p)
    out = {}
    for name, dc in (("ce", d_ce), ("qu", d_qu)):
        gw2 = (dc * h).mean(-1)
        gw1 = (dc * b[..., None] * (1 - h ** 2) * x).mean(-1)
        out[name] = np.hypot(gw1, gw2)
    return ChainSurface(g1, g2, ce.mean(-1), qu.mean(-1), out["ce"], out["qu"], n_examples, seed)


def plateau_share(cost: np.ndarray, grad: np.ndarray, g_flat: float = G_FLAT, far: float = FAR) -> float:
    """Share of grid points where |grad| < g_flat while cost - min > far x (max - min)."""
    lo, hi = float(cost.min()), float(cost.max())
    return float(((grad < g_flat) & (cost - lo > far * (hi - lo))).mean())


def plateau_mask(cost: np.ndarray, grad: np.ndarray, g_flat: float = G_FLAT, far: float = FAR) -> np.ndarray:
    lo, hi = float(cost.min()), float(cost.max())
    return (grad < g_flat) & (cost - lo > far * (hi - lo))
