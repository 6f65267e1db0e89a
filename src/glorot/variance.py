"""Var[W] of each init scheme whose variance depends only on the layer's shape (PAPER.md's table;
W is [n_out, n_in], n_in = fan-in): the oracle the tests and the theory use.

Schemes that also depend on the activation and the propagated signal (``init=critical``) are in
``glorot.nn.init_variance``, which uses ``glorot.theory``; this module sits below both.
"""

from __future__ import annotations

from glorot.activations import split_spec

#: schemes whose variance depends on the activation and the propagated signal, not only on the shape
SIGNAL_INITS = ("critical",)


def shape_variance(spec: str, n_in: int, n_out: int) -> float:
    """The Var[W] scheme ``spec`` is meant to have for a layer n_in -> n_out."""
    name, p = split_spec(spec)
    table = {
        "standard": 1 / (3 * n_in),
        "normalized": 2 / (n_in + n_out),
        "xavier_normal": 2 / (n_in + n_out),
        "he": 2 / ((1 + (p or 0.0) ** 2) * n_in),
        "he_fan_out": 2 / ((1 + (p or 0.0) ** 2) * n_out),
        "lecun": 1 / n_in,
        "orthogonal": (1.0 if p is None else p) ** 2 / max(n_in, n_out),  # orthonormal rows/cols
        "zeros": 0.0,
        "constant": 0.0,
        "normal": (1.0 if p is None else p) ** 2,
    }
    if name not in table:
        raise ValueError(f"unknown init {name!r}; valid choices: {', '.join([*table, *SIGNAL_INITS])}")
    return table[name]
