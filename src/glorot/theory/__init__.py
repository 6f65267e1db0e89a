"""Mean-field signal propagation at initialization (Poole et al. 2016; Schoenholz et al. 2017).

In a wide MLP with zero biases and iid zero-mean weights of variance ``Var[W^l] = sigma_w2[l] / n_in``
(``sigma_w2 = n_in Var[W]``), the pre-activations ``s^l`` of one input are, over the random weights,
Gaussian with second moment ``q^l``, and

    q^1     = sigma_w2[1] q0,                       q0 = mean_i x_i^2 of the input
    q^{l+1} = sigma_w2[l+1] E[f(sqrt(q^l) u)^2],    u ~ N(0, 1)

Going down, with the "gradient independence" approximation (exact in the wide limit for the second
moments used here), the back-propagated gradient ``dC/ds^l = f'(s^l) * W^{l+1}^T dC/ds^{l+1}`` has
second moment

    G^l = E[f'(sqrt(q^l) u)^2] n_{l+1} Var[W^{l+1}] G^{l+1}

and for layers of equal width the factor ``chi^l = sigma_w2 E[f'(sqrt(q^l) u)^2]`` is the ratio
``G^l / G^{l+1}``: chi < 1 vanishing, chi > 1 exploding gradients. He et al.'s 2/n is the relu case
(E[relu'^2] = 1/2, so chi = 1 at sigma_w2 = 2 for every q), and the paper's Eqs. 2-16 are the
linear case (f' = 1).

**Non-zero-mean activations** (sigmoid, relu, gelu, silu, elu): the recursion is for the SECOND
MOMENT ``E[f^2]``, not the variance, and holds whatever the mean of f: ``s_i = sum_j W_ij z_j`` with
zero-mean weights independent of z has ``E[s_i^2] = n Var[W] E[z_j^2]``, the mean of z included. What
a non-zero mean changes is the correlation between inputs (a common offset ``E[f] sum_j W_ij`` that
is the same for every example), which this module does not need: every quantity here is the
diagonal (one input at a time). The std of the activations over units and examples, which the
recorder measures, is ``sqrt(E[f^2] - E[f]^2)``: both moments are computed.

Per-example inputs: ``q0`` may be an array (one ``mean_i x_i^2`` per example, e.g. of the monitor
set); every recursion then runs per example and :func:`predict` pools the moments over the examples
as the recorder pools its statistics over the monitor set.

**Gaussian expectations** ``E[g(sqrt(q) u)]`` are computed by :func:`gauss_expect`: composite
Gauss-Legendre on each half-line ``u < 0`` and ``u > 0`` separately, so that a kink of f or f' at 0
(relu, leaky_relu, softsign, elu, selu) is a panel edge and never inside a panel (a plain
Gauss-Hermite rule converges slowly across a kink); the panels are dense near 0 at the scale
``1/sqrt(q)`` (where tanh bends when q is large) and cover |u| <= 13 (the Gaussian tail beyond is
below 1e-37). Closed forms are used where they exist (:data:`CLOSED`: relu, leaky_relu, identity,
elu, selu, gelu); tests check every activation against ``scipy.integrate.quad`` and every closed form
against the rule.

Command line (the configs are composed with Hydra's compose API, so every override works)::

    python -m glorot.theory activation=gelu init=normalized model.depth=30
    python -m glorot.theory activation=tanh init=critical model.depth=50 --q0 1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import torch
from scipy.special import log_ndtr

from glorot.activations import Activation, get_activation, split_spec
from glorot.variance import shape_variance

# --------------------------------------------------------------------------------------------
# Gaussian expectations
# --------------------------------------------------------------------------------------------

U_MAX = 13.0  # phi(13) ~ 1e-37: the tail beyond adds nothing representable
_FIXED_EDGES = np.array([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, U_MAX])
_SCALE_EDGES = 2.0 ** np.arange(-4, 8)  # times 1/sqrt(q): panels where f(sqrt(q) u) bends
_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)


def _nodes(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u >= 0 and weights (phi(u) du included) of the half-line rule, per q: [n_q, n_nodes]."""
    q = np.atleast_1d(np.asarray(q, float))
    with np.errstate(divide="ignore"):
        r = np.where(q > 0, 1.0 / np.sqrt(np.maximum(q, 1e-300)), np.inf)
    extra = np.clip(r[:, None] * _SCALE_EDGES[None, :], 0.0, U_MAX)  # clipped ones: zero-width panels
    edges = np.sort(np.concatenate([np.broadcast_to(_FIXED_EDGES, (len(q), len(_FIXED_EDGES))), extra], 1), 1)
    a, b = edges[:, :-1, None], edges[:, 1:, None]
    u = a + (b - a) * (_GL_X + 1) / 2
    w = (b - a) / 2 * _GL_W * np.exp(-u * u / 2) / math.sqrt(2 * math.pi)
    return u.reshape(len(q), -1), w.reshape(len(q), -1)


def gauss_expect(fn, q) -> np.ndarray:
    """``E[fn(sqrt(q) u)]``, u ~ N(0, 1), for every q (any shape); ``fn`` maps a float64 numpy array
    of s values to an array of the same shape. Split at u = 0 (see the module docstring)."""
    q = np.asarray(q, float)
    u, w = _nodes(q.ravel())
    s = np.sqrt(np.maximum(q.ravel(), 0.0))[:, None] * u
    out = (w * (np.asarray(fn(s)) + np.asarray(fn(-s)))).sum(1)
    return out.reshape(q.shape)


def _resolve(activation) -> Activation:
    return activation if isinstance(activation, Activation) else get_activation(str(activation))


def _np(act: Activation, which: str):
    """f or f' of an Activation as a numpy function (the network's own torch code, in float64)."""
    def f(s):
        t = torch.from_numpy(np.ascontiguousarray(s, dtype=np.float64))
        z = act.fn(t)
        return (z if which == "f" else act.grad(t, z)).numpy()
    return f


# --------------------------------------------------------------------------------------------
# Closed forms: (E[f], E[f^2], E[f'^2]) at second moment q
# --------------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772
SELU_LAMBDA = 1.0507009873554805


def _exp_neg(k: float, q: np.ndarray) -> np.ndarray:
    """E[e^{k s}; s < 0] for s ~ N(0, q): e^{k^2 q / 2} Phi(-k sqrt(q)), computed in logs."""
    return np.exp(k * k * q / 2 + log_ndtr(-k * np.sqrt(q)))


def _elu_moments(q, alpha):
    # f = s (s > 0), alpha (e^s - 1) (s <= 0); f' = 1, alpha e^s.
    e1, e2 = _exp_neg(1.0, q), _exp_neg(2.0, q)
    mean = np.sqrt(q / (2 * np.pi)) + alpha * (e1 - 0.5)
    m2 = q / 2 + alpha ** 2 * (e2 - 2 * e1 + 0.5)
    d2 = 0.5 + alpha ** 2 * e2
    return mean, m2, d2


def _gelu_moments(q):
    # f = s Phi(s). Stein's lemma E[s h(s)] = q E[h'(s)] and E[Phi(s)^2] = 1/4 + asin(q/(1+q)) / (2 pi)
    # (a bivariate-normal orthant probability) give (derivation in tests/test_theory.py's docstring):
    asin = np.arcsin(q / (1 + q)) / (2 * np.pi)
    mean = q / np.sqrt(2 * np.pi * (1 + q))
    cross = q / (np.pi * (1 + q) * np.sqrt(1 + 2 * q))  # 2 E[s Phi(s) phi(s)]
    m2 = q * (0.25 + asin + cross)
    d2 = 0.25 + asin + cross + q / (2 * np.pi * (1 + 2 * q) ** 1.5)  # + E[s^2 phi(s)^2]
    return mean, m2, d2


def _closed(name: str, param):
    a = 0.01 if param is None else float(param)
    table = {
        "identity": lambda q: (0 * q, q, 1 + 0 * q),
        "relu": lambda q: (np.sqrt(q / (2 * np.pi)), q / 2, 0.5 + 0 * q),
        "leaky_relu": lambda q: ((1 - a) * np.sqrt(q / (2 * np.pi)), (1 + a * a) * q / 2, (1 + a * a) / 2 + 0 * q),
        "elu": lambda q: _elu_moments(q, 1.0 if param is None else float(param)),
        "selu": lambda q: tuple(c * m for c, m in zip((SELU_LAMBDA, SELU_LAMBDA ** 2, SELU_LAMBDA ** 2),
                                                      _elu_moments(q, SELU_ALPHA))),
        "gelu": _gelu_moments,
    }
    return table.get(name)


#: activations with closed-form moments (the others are integrated numerically)
CLOSED = ("identity", "relu", "leaky_relu", "elu", "selu", "gelu")


@dataclass(frozen=True)
class Moments:
    mean: np.ndarray  # E[f(s)]
    m2: np.ndarray  # E[f(s)^2]
    d2: np.ndarray  # E[f'(s)^2]

    @property
    def var(self) -> np.ndarray:
        return np.maximum(self.m2 - self.mean ** 2, 0.0)


def moments(activation, q, numerical: bool = False) -> Moments:
    """E[f], E[f^2], E[f'^2] at s ~ N(0, q) for every q (any shape). Closed form where there is one
    (``numerical=True`` forces the quadrature, for tests)."""
    act = _resolve(activation)
    q = np.maximum(np.asarray(q, float), 0.0)
    closed = None if numerical else _closed(act.name, act.param)
    if closed is not None:
        return Moments(*(np.broadcast_to(np.asarray(v, float), q.shape).copy() for v in closed(q)))
    # one set of nodes and one evaluation of f and f' for the three moments (gauss_expect's rule)
    u, w = _nodes(q.ravel())
    s = np.sqrt(q.ravel())[:, None] * u
    t = torch.from_numpy(np.concatenate([s, -s], 1))
    z = act.fn(t)
    d = act.grad(t, z)
    z, d = z.numpy(), d.numpy()
    ww = np.concatenate([w, w], 1)
    return Moments(*((ww * v).sum(1).reshape(q.shape) for v in (z, z * z, d * d)))


_GRID = 65  # per-example q arrays longer than this are integrated on a log grid and interpolated


def _moments_many(activation, q) -> Moments:
    """:func:`moments` for a long array of per-example q (e.g. 300 monitor examples): exact on 65
    log-spaced q spanning the array and a cubic spline in ln q between them (relative error < 1e-6,
    tested), which is ~5x faster. Falls back to :func:`moments` for short arrays or q <= 0."""
    q = np.asarray(q, float)
    if q.size <= _GRID or q.min() <= 0 or q.max() / q.min() < 1 + 1e-9:
        return moments(activation, q)
    from scipy.interpolate import CubicSpline  # noqa: PLC0415

    g = np.linspace(math.log(q.min()), math.log(q.max()), _GRID)
    m = moments(activation, np.exp(g))
    lq = np.log(q)
    return Moments(*(CubicSpline(g, v)(lq) for v in (m.mean, m.m2, m.d2)))


# --------------------------------------------------------------------------------------------
# The recursions
# --------------------------------------------------------------------------------------------


def _per_layer(sigma_w2, n: int) -> np.ndarray:
    s = np.atleast_1d(np.asarray(sigma_w2, float))
    if len(s) == 1:
        return np.full(n, s[0])
    if len(s) < n:
        raise ValueError(f"sigma_w2 has {len(s)} values for {n} layers")
    return s[:n]


def forward_q(activation, sigma_w2, q0, depth: int) -> np.ndarray:
    """Second moment q^l of the pre-activations s^l, l = 1..depth: ``q^1 = sigma_w2[0] q0``,
    ``q^{l+1} = sigma_w2[l] E[f(sqrt(q^l) u)^2]``. ``sigma_w2 = n_in Var[W]``: one number or one per
    layer. Returns [depth] for a scalar q0, [depth, *q0.shape] for an array of per-example q0."""
    s = _per_layer(sigma_w2, depth)
    q = np.asarray(q0, float) * s[0]
    out = [q]
    for layer in range(1, depth):
        q = s[layer] * _moments_many(activation, q).m2
        out.append(q)
    return np.stack(out)


def chi(activation, sigma_w2, q) -> np.ndarray:
    """``sigma_w2 E[f'(sqrt(q) u)^2]`` elementwise: the factor by which the second moment of dC/ds
    changes going down one layer of equal width, at a layer whose pre-activations have second moment q."""
    return np.asarray(sigma_w2, float) * moments(activation, q).d2


@lru_cache(maxsize=256)
def _critical(activation: str, q0: float, n_layers: int) -> tuple[float, ...]:
    out, q_pre = [], q0  # the input layer: by convention q = q0 (its input x has E[x^2] = q0)
    for layer in range(n_layers):
        m = moments(activation, q_pre)
        sigma = 1.0 / float(m.d2)
        out.append(sigma)
        q_pre = sigma * (q0 if layer == 0 else float(m.m2))  # q of this layer's pre-activations
    return tuple(out)


def critical_sigma_w2(activation, q0: float, n_layers: int) -> np.ndarray:
    """``init=critical``: per weight layer l = 1..n_layers, ``sigma_w2[l] = 1 / E[f'(sqrt(q) u)^2]``
    at q = the propagated second moment of the pre-activations BELOW the layer's input (so that
    chi = 1 at every layer: dC/ds keeps its second moment going down). The input layer has no
    activation below it; it uses q = q0 (the input's second moment), the convention that makes every
    layer exactly He's 2 for relu. q is propagated with these same variances:
    ``q^1 = sigma_w2[1] q0``, ``q^l = sigma_w2[l] E[f(sqrt(q^{l-1}) u)^2]``."""
    act = _resolve(activation)
    q0 = float(np.mean(q0))
    if not (math.isfinite(q0) and q0 >= 0):
        raise ValueError(f"init=critical needs a finite input second moment q0 >= 0, got {q0}")
    return np.array(_critical(act.label, q0, int(n_layers)))


def sigma_w2_per_layer(init: str, sizes, activation=None, q0=None) -> np.ndarray:
    """``n_in Var[W]`` of every weight layer of a network with layer sizes ``sizes`` (input, hidden...,
    output) under init scheme ``init`` (glorot.nn.init_variance; ``critical`` needs activation and q0)."""
    n = len(sizes) - 1
    if split_spec(init)[0] == "critical":
        p = split_spec(init)[1]
        if activation is None or (q0 is None and p is None):
            raise ValueError("init=critical needs the activation and the input second moment q0")
        return critical_sigma_w2(activation, p if p is not None else q0, n)
    return np.array([sizes[i] * shape_variance(init, sizes[i], sizes[i + 1]) for i in range(n)])


_SM_STEP = 0.125  # ln q spacing of the cached Monte Carlo table of softmax_grad_sq


@lru_cache(maxsize=2)
def _normals(n_samples: int, n_classes: int, seed: int) -> np.ndarray:
    """The common random numbers of :func:`_softmax_at` (read-only: shared by every grid point)."""
    u = np.random.default_rng(seed).standard_normal((n_samples, n_classes))
    u.setflags(write=False)
    return u


@lru_cache(maxsize=2)
def _normals_by_class(n_samples: int, n_classes: int, seed: int) -> np.ndarray:
    """:func:`_normals` transposed and contiguous, (n_classes, n_samples): each class's samples in
    one row, so that sums over classes run as whole-row vector additions."""
    u = np.ascontiguousarray(_normals(n_samples, n_classes, seed).T)
    u.setflags(write=False)
    return u


def _sum_classes(a: np.ndarray) -> np.ndarray:
    """``a.T.sum(1)`` for ``a`` of shape (C, n), C <= 128, added in the order numpy adds a contiguous
    row of C values (its pairwise sum: sequential below 8 values, else 8 running sums combined as
    ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the remainder in turn), so the result is the same to
    the bit as the row-wise sum of the (n, C) layout, and faster (whole rows at a time)."""
    c = a.shape[0]
    if c < 8:
        s = a[0].copy()
        for i in range(1, c):
            s += a[i]
        return s
    r = [a[j].copy() for j in range(8)]
    tail = c - c % 8
    for i in range(8, tail, 8):
        for j in range(8):
            r[j] += a[i + j]
    s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for i in range(tail, c):
        s += a[i]
    return s


def _softmax_at_rows(k: int, n_classes: int, n_samples: int, seed: int) -> float:
    """E[sum_j p_j^2] - 2/C + 1 at ln q = k / 8 on the (n, C) layout: the plain formula (the oracle of
    :func:`_softmax_at`, and its path for C > 128)."""
    z = _normals(n_samples, n_classes, seed) * math.exp(k * _SM_STEP / 2)
    z -= z.max(1, keepdims=True)
    p = np.exp(z, out=z)
    p /= p.sum(1, keepdims=True)
    return float(np.multiply(p, p, out=p).sum(1).mean() - 2 / n_classes + 1)


@lru_cache(maxsize=4096)
def _softmax_at(k: int, n_classes: int, n_samples: int, seed: int) -> float:
    if n_classes > 128:
        return _softmax_at_rows(k, n_classes, n_samples, seed)
    z = _normals_by_class(n_samples, n_classes, seed) * math.exp(k * _SM_STEP / 2)  # then in place
    z -= z.max(0)  # a maximum is exact in any order
    p = np.exp(z, out=z)
    p /= _sum_classes(p)
    return float(_sum_classes(np.multiply(p, p, out=p)).mean() - 2 / n_classes + 1)


def softmax_grad_sq(q_out, n_classes: int, n_samples: int = 100_000, seed: int = 0) -> np.ndarray:
    """E||softmax(s) - e_y||^2 for logits s ~ N(0, q_out I) and a label y independent of them
    (at initialization): E[sum p_j^2] - 2 / C + 1, E[sum p_j^2] by Monte Carlo with common random
    numbers (fixed seed; relative error ~ 1e-3) on a cached grid of ln q (step 1/8), cubic in ln q
    between grid points; exact 1 - 1/C for q_out < 1e-10 (uniform softmax). The per-example dC/ds of
    the output layer has second moment this / C."""
    from scipy.interpolate import CubicSpline  # noqa: PLC0415

    q = np.maximum(np.asarray(q_out, float), 0.0)
    out = np.full(q.shape, 1 - 1 / n_classes)
    big = q >= 1e-10
    if big.any():
        x = np.log(q[big]) / _SM_STEP
        ks = np.arange(int(np.floor(x.min())) - 2, int(np.ceil(x.max())) + 3)
        vals = [_softmax_at(int(k), int(n_classes), int(n_samples), int(seed)) for k in ks]
        out[big] = CubicSpline(ks, vals)(x)
    return out


def predict(activation: str, init: str, depth: int, width: int, q0, n_in: int = 784, n_out: int = 10,
            q0_init: float | None = None) -> pd.DataFrame:
    """Predicted per-layer statistics of a network n_in -> width x depth -> n_out at init, for inputs
    with second moment q0 (a number, or one per example: pooled like the recorder pools).

    Columns: layer (1..depth hidden, depth+1 the output), sigma_w2 (n_in Var[W] of the layer's
    weights), q (mean over examples of E[s^2]), pre_std, act_mean, act_std (NaN at the output),
    grad_s_std (per-example dC_n/ds, absolute: the output gradient from :func:`softmax_grad_sq`),
    chi (G^l / G^{l+1} going down into the layer; NaN at the output).
    ``q0_init``: the q0 the critical init was built with (default: the mean of q0; the trainer uses
    the training set's mean x^2)."""
    sizes = [n_in] + [width] * depth + [n_out]
    q0 = np.asarray(q0, float)
    q0i = float(np.mean(q0)) if q0_init is None else float(q0_init)
    sw = sigma_w2_per_layer(init, sizes, activation, q0i)
    qs, mom = [q0 * sw[0]], []  # the forward recursion (forward_q's), keeping each layer's moments
    for i in range(depth):
        mom.append(_moments_many(activation, qs[i]))
        qs.append(sw[i + 1] * mom[i].m2)
    # backward, per example: G^{L+1} = E||p - e_y||^2 / C, G^l = d2(q^l) n_{l+1} Var[W^{l+1}] G^{l+1}
    G = [None] * (depth + 1)
    G[depth] = softmax_grad_sq(qs[depth], n_out) / n_out
    chis = [np.nan] * (depth + 1)
    for i in range(depth - 1, -1, -1):
        fan_out, fan_in = sizes[i + 2], sizes[i + 1]
        factor = mom[i].d2 * fan_out * sw[i + 1] / fan_in
        G[i] = factor * G[i + 1]
        chis[i] = float(np.mean(factor))
    rows = []
    for i in range(depth + 1):
        hidden = i < depth
        m = mom[i] if hidden else None
        rows.append(dict(
            layer=i + 1, sigma_w2=float(sw[i]), q=float(np.mean(qs[i])), pre_std=math.sqrt(float(np.mean(qs[i]))),
            act_mean=float(np.mean(m.mean)) if hidden else np.nan,
            act_std=math.sqrt(max(float(np.mean(m.m2)) - float(np.mean(m.mean)) ** 2, 0.0)) if hidden else np.nan,
            grad_s_std=math.sqrt(float(np.mean(G[i]))), chi=chis[i]))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Dead ReLU units at init: the kernel of several inputs
# --------------------------------------------------------------------------------------------


def relu_kernel(k: np.ndarray) -> np.ndarray:
    """``E[relu(u_a) relu(u_b)]`` for ``u ~ N(0, k)``: the arc-cosine kernel (Cho & Saul 2009),
    ``sqrt(k_aa k_bb) (sin t + (pi - t) cos t) / (2 pi)`` with ``cos t`` the correlation of a and b.
    With weights of ``n Var[W] = sigma_w2`` the next layer's pre-activations have covariance
    ``sigma_w2`` times this."""
    d = np.sqrt(np.clip(np.diag(k), 0, None))
    dd = np.outer(d, d)
    rho = np.clip(np.divide(k, dd, out=np.zeros_like(k), where=dd > 0), -1.0, 1.0)
    t = np.arccos(rho)
    return dd * (np.sin(t) + (np.pi - t) * rho) / (2 * np.pi)


def dead_share(x: np.ndarray, depth: int, n_samples: int = 4000, seed: int = 0) -> np.ndarray:
    """The share of the units of each hidden layer 1..``depth`` of a wide ReLU stack at init (zero
    biases, iid zero-mean weights) that are <= 0 on every one of the inputs ``x`` [M, n_in]: "dead" on
    them, as the recorder's ``dead`` counts. Over the weights a unit's pre-activations on the M inputs
    are N(0, K^l), K^1 the inputs' Gram matrix and K^(l+1) the :func:`relu_kernel` of K^l (up to
    scale), so the share is the orthant probability P(s_a <= 0 for every a), estimated by Monte Carlo
    with ``n_samples`` draws (standard error at most 0.5 / sqrt(n_samples)). It does not depend on the
    weights' scale: ReLU is positively homogeneous, so n Var[W] = 1 or 2 (LeCun or He) changes no
    sign. It grows with depth because the layers make the inputs ever more alike (their correlation
    tends to 1), and a unit then tends to be on for all of them or for none: up to 1/2 of them dead."""
    x = np.asarray(x, dtype=np.float64)
    k = x @ x.T / x.shape[1]
    z = np.random.default_rng(seed).standard_normal((n_samples, len(x)))
    out = np.empty(depth)
    for layer in range(depth):
        w, v = np.linalg.eigh(k / max(float(np.mean(np.diag(k))), 1e-300))  # the scale changes no sign
        s = (z * np.sqrt(np.clip(w, 0, None))) @ v.T
        out[layer] = float((s <= 0).all(axis=1).mean())
        k = relu_kernel(k)
    return out


# --------------------------------------------------------------------------------------------
# Depth scales and the critical line
# --------------------------------------------------------------------------------------------


def depth_scales(activation, sigma_w2: float, q0: float, max_depth: int = 1000) -> dict:
    """Layers (with constant sigma_w2, equal widths) until the second moment of s has changed by a
    factor e from layer 1 (``forward``) and until that of dC/ds has changed by e going down from the
    top layer (``backward``: the product of chi), None when not within max_depth layers."""
    q = forward_q(activation, sigma_w2, q0, max_depth)
    lf = np.abs(np.log(np.maximum(q, 1e-300) / max(q[0], 1e-300)))
    c = np.log(np.maximum(chi(activation, sigma_w2, q), 1e-300))
    lb = np.abs(np.cumsum(c))
    fwd = np.nonzero(lf >= 1)[0]
    bwd = np.nonzero(lb >= 1)[0]
    return {"forward": int(fwd[0]) if len(fwd) else None, "backward": int(bwd[0]) + 1 if len(bwd) else None,
            "max_depth": max_depth}


def critical_points(activation) -> list[tuple[float, float]]:
    """Constant sigma_w2 that keeps dC/ds level at the forward FIXED POINT q* (q* = sigma_w2 E[f^2(q*)]
    and chi(q*) = 1): the (q*, sigma_w2) pairs on a log grid of q* in [1e-6, 1e6] where
    h(q) = q E[f'^2] / E[f^2] crosses 1, plus (0, 1/E[f'(0)^2]) when h -> 1 as q -> 0 (tanh-like:
    zero-bias networks then have q* = 0 and decay slowly towards it)."""
    from scipy.optimize import brentq  # noqa: PLC0415

    qs = np.logspace(-6, 6, 600)
    m = moments(activation, qs)
    h = qs * m.d2 / np.maximum(m.m2, 1e-300) - 1
    out = []
    if abs(h[0]) < 1e-3:
        out.append((0.0, float(1 / m.d2[0])))
    if np.all(np.abs(h) < 1e-9):  # relu-like: every q is a fixed point at one sigma_w2
        return [(float("nan"), float(1 / m.d2[0]))]
    for i in np.nonzero(np.sign(h[:-1]) * np.sign(h[1:]) < 0)[0]:
        f = lambda lq: float(math.exp(lq) * moments(activation, math.exp(lq)).d2
                             / moments(activation, math.exp(lq)).m2 - 1)  # noqa: E731
        lq = brentq(f, math.log(qs[i]), math.log(qs[i + 1]), xtol=1e-12)
        q = math.exp(lq)
        out.append((q, float(q / moments(activation, q).m2)))
    return out


def data_q0(cfg_data, monitor: bool = True):
    """The inputs' second moments: per example of the monitor set (``monitor``: what the recorder
    measures on), or the training set's mean x^2 (what the trainer gives ``init=critical``)."""
    from glorot.data import load_dataset  # noqa: PLC0415

    ds = load_dataset(cfg_data)
    if monitor:
        x, _ = ds.monitor(int(cfg_data.monitor_size))
        return x.double().square().mean(1).numpy(), ds
    return float(ds.train_x.double().square().mean()), ds


@lru_cache(maxsize=8)
def monitor_set(data_yaml: str) -> tuple:
    """What the predictions need of a data config (its YAML text, the cache's key): the monitor set's
    per-example second moments [M] (:func:`data_q0`), the training set's mean x^2 (what
    ``init=critical`` is built with), n_in, the classes, and the monitor inputs [M, n_in] in float64.
    Read once per config: glorot.diagnose (a sweep's runs) and glorot.theory_claims share it."""
    from omegaconf import OmegaConf  # noqa: PLC0415

    cfg = OmegaConf.create(data_yaml)
    q0, ds = data_q0(cfg)
    x = ds.monitor(int(cfg.monitor_size))[0].double().numpy()
    return q0, float(ds.train_x.double().square().mean()), int(ds.n_in), int(ds.n_classes), x


@lru_cache(maxsize=8)
def monitor_dead_share(data_yaml: str, depth: int) -> np.ndarray:
    """:func:`dead_share` on a data config's monitor set (:func:`monitor_set`), cached."""
    return dead_share(monitor_set(data_yaml)[4], int(depth))
