"""The pitfalls, by the names they had before ``glorot.claims`` (kept so that existing callers work).

Each pitfall is now its own claim module: ``glorot/claims/pitfall_zeros.py``, ``pitfall_scale.py``,
``pitfall_linear.py``, ``pitfall_leaky.py`` (figure, verdict, thresholds and their reasons).
"""

from __future__ import annotations

from glorot.claims import pitfall_leaky, pitfall_linear, pitfall_scale, pitfall_zeros
from glorot.judging import fit_ratio  # noqa: F401

fig_zeros, verdict_zeros = pitfall_zeros.draw, pitfall_zeros.judge
fig_scale, verdict_scale = pitfall_scale.draw, pitfall_scale.judge
fig_linear, verdict_linear = pitfall_linear.draw, pitfall_linear.judge
fig_leaky, verdict_leaky = pitfall_leaky.draw, pitfall_leaky.judge
leaky_theory = pitfall_leaky.leaky_theory
SCALE_ROLES = pitfall_scale.SCALE_ROLES
