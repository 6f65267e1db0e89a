"""Activation kinds by how their saturation is read (torch-free, so ``glorot.diagnose`` loads fast).

A kind is the suite's activation name (:data:`glorot.activations.ACTIVATIONS`) or a torch.nn
activation's (:data:`glorot.watch.ACT_KINDS`), without a parameter: ``leaky_relu`` for
``leaky_relu:0.01``.
"""

from __future__ import annotations

#: kinds bounded on both sides (saturating): the diagnosis reports their saturated share
SATURATING = ("tanh", "sigmoid", "softsign", "hardtanh", "hardsigmoid")
#: kinds that are 0 (or negative) for s < 0: recorders write their dead-unit share (``dead``: the
#: share of units <= 0 on every monitor example) and the diagnosis reports it
RECTIFIERS = ("relu", "relu6", "leaky_relu", "prelu", "gelu", "silu", "elu", "celu", "selu", "mish",
              "hardswish", "softplus")


def is_rectifier(kind: str) -> bool:
    """Whether a kind (``"leaky_relu:0.2"`` counts as ``leaky_relu``) gets the dead-unit share."""
    return str(kind).partition(":")[0] in RECTIFIERS


def share_stat(kind: str) -> str | None:
    """The share the diagnosis reads for an activation of this kind: ``"sat"`` (saturating),
    ``"dead"`` (rectifier) or None."""
    base = str(kind).partition(":")[0]
    return "sat" if base in SATURATING else "dead" if base in RECTIFIERS else None
