"""The activation functions of the suite, each with its derivative for the hand-written backward
(``glorot.nn``) and as the function the mean-field theory integrates (``glorot.theory``).

It sits below both, so the theory can use the network's own functions and ``glorot.nn`` can use the
theory (``init=critical``) without an import circle. ``from glorot.nn import ACTIVATIONS`` keeps working.

Adding an activation: write its ``forward`` and its derivative (from s and z) in ``ACTIVATIONS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
import torch.nn.functional as F


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """One activation: f(s), f'(s) (given s and z = f(s)), and how to read its saturation."""

    name: str
    fn: Callable[[Tensor], Tensor]
    grad: Callable[[Tensor, Tensor], Tensor]  # f'(s) from (s, z): reuse z where that is cheaper
    hist_range: tuple[float, float] | None  # fixed histogram range of z; None: fixed at step 0
    saturated: Callable[[Tensor], Tensor]  # bool mask over z: "near the asymptotes" / exactly 0
    param: float | None = None

    @property
    def label(self) -> str:
        return self.name if self.param is None else f"{self.name}:{self.param:g}"


# The derivatives below are written with in-place steps on one fresh tensor, and 1 - a as (-a) + 1
# (the same float: negation is exact and addition commutes), instead of ``1 - a`` with a Python
# scalar, which wraps the 1 in a tensor on every call: the same bits, about half the small ops of a
# training step's backward pass (tests/test_model.py checks the bits).


def _one_minus_(a: Tensor) -> Tensor:
    """1 - a, in place."""
    return a.neg_().add_(1)


def _sigmoid() -> Activation:
    # Saturation: within 0.01 of either asymptote (Fig. 2 shows top-layer sigmoid units stuck at 0).
    # f'(s) = z (1 - z)
    return Activation(
        "sigmoid", torch.sigmoid, lambda s, z: z.neg().add_(1).mul_(z),
        (0.0, 1.0), lambda z: (z < 0.01) | (z > 0.99),
    )


def _tanh() -> Activation:
    # f'(s) = 1 - z^2
    return Activation(
        "tanh", torch.tanh, lambda s, z: _one_minus_(z * z), (-1.0, 1.0), lambda z: z.abs() > 0.99,
    )


def softsign_fn(s: Tensor, out: Tensor | None = None) -> Tensor:
    """s / (1 + |s|), as F.softsign computes it (the same bits), optionally into ``out``."""
    d = s.abs().add_(1)
    return torch.div(s, d, out=out) if out is not None else torch.div(s, d)


def _softsign() -> Activation:
    # f(s) = s / (1 + |s|); f'(s) = 1 / (1 + |s|)^2 = (1 - |z|)^2. Softsign reaches its asymptotes
    # only polynomially, so "saturated" is |z| > 0.9 (the knee of Fig. 4's softsign histograms).
    def grad(s, z):
        t = _one_minus_(z.abs())
        return t.mul_(t)  # square(): pow(t, 2) is t * t
    return Activation("softsign", softsign_fn, grad, (-1.0, 1.0), lambda z: z.abs() > 0.9)


def _relu() -> Activation:
    # f'(s) = (s > 0) as 0.0/1.0, written straight into a float tensor: the same values as
    # (s > 0).to(s.dtype) (so g * f'(s) keeps its bits, -0.0 included) in one op, not three
    # (4.7x faster at 24 x 10 x 200 on the 2-core VM)
    return Activation(
        "relu", torch.relu, lambda s, z: torch.gt(s, 0, out=torch.empty_like(s)), None, lambda z: z == 0,
    )


def _leaky_relu(a: float | None) -> Activation:
    a = 0.01 if a is None else float(a)
    return Activation(
        "leaky_relu", lambda s: F.leaky_relu(s, a),
        lambda s, z: torch.where(s > 0, torch.ones_like(s), torch.full_like(s, a)), None,
        lambda z: z <= 0, param=a,
    )


def _identity() -> Activation:
    return Activation(
        "identity", lambda s: s, lambda s, z: torch.ones_like(s), None,
        lambda z: torch.zeros_like(z, dtype=torch.bool),
    )


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _gelu() -> Activation:
    # f(s) = s Phi(s) (the exact, erf-based GELU; torch's default); f'(s) = Phi(s) + s phi(s).
    # "Saturated": the negative side (z < 0), where the unit is nearly off (f' < 1/2), like relu's z == 0.
    def grad(s, z):
        return 0.5 * (1 + torch.erf(s * _SQRT_HALF)) + s * torch.exp(-0.5 * s * s) * _INV_SQRT_2PI
    return Activation("gelu", F.gelu, grad, None, lambda z: z < 0)


def _silu() -> Activation:
    # f(s) = s sigmoid(s) (SiLU / swish-1); f'(s) = sigmoid(s) (1 + s (1 - sigmoid(s))).
    def grad(s, z):
        g = torch.sigmoid(s)
        return g * (1 + s * (1 - g))
    return Activation("silu", F.silu, grad, None, lambda z: z < 0)


def _elu(a: float | None) -> Activation:
    # f(s) = s (s > 0), alpha (e^s - 1) (s <= 0); f'(s) = 1, alpha e^s = z + alpha. Default alpha 1.
    a = 1.0 if a is None else float(a)
    return Activation(
        "elu", lambda s: F.elu(s, a), lambda s, z: torch.where(s > 0, torch.ones_like(s), z + a), None,
        lambda z: z < 0, param=None if a == 1.0 else a,
    )


def _selu() -> Activation:
    # SELU (Klambauer et al. 2017): lambda elu_alpha(s) with the constants that make mean 0, variance
    # 1 a fixed point under N(0, 1/n_in) weights ("lecun"); f'(s) = lambda (s > 0), z + lambda alpha.
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    return Activation(
        "selu", F.selu, lambda s, z: torch.where(s > 0, torch.full_like(s, lam), z + lam * alpha), None,
        lambda z: z < 0,
    )


#: name -> factory(param). The param is the part after ':' in e.g. ``leaky_relu:0.25``.
ACTIVATIONS: dict[str, Callable[[float | None], Activation]] = {
    "sigmoid": lambda p: _sigmoid(),
    "tanh": lambda p: _tanh(),
    "softsign": lambda p: _softsign(),
    "relu": lambda p: _relu(),
    "leaky_relu": _leaky_relu,
    "identity": lambda p: _identity(),
    "gelu": lambda p: _gelu(),
    "silu": lambda p: _silu(),
    "elu": _elu,  # "elu:0.5" for alpha = 0.5
    "selu": lambda p: _selu(),
}


def split_spec(spec: str) -> tuple[str, float | None]:
    """``'normal:0.01'`` -> ``('normal', 0.01)``; ``'tanh'`` -> ``('tanh', None)``."""
    name, _, param = str(spec).partition(":")
    if not param:
        return name, None
    try:
        return name, float(param)
    except ValueError:
        raise ValueError(f"bad parameter {param!r} in {spec!r}: expected a number after ':'") from None


def get_activation(spec: str, param: float | None = None) -> Activation:
    name, p = split_spec(spec)
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid choices: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name](p if p is not None else param)
