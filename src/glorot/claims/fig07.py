"""Fig. 7: at init, back-propagated gradients dC/ds shrink going down with standard init;
normalized init keeps them level.

Experiment ``init_tanh`` (grad_s histograms and grad_s/std at init). Paper: ``claims.fig07``; the
linear-regime theory for standard init, std ratio layer 1 / layer 5 = (n Var[W])^(4/2) = (1/3)^2 ~
0.11, from ``theory.standard_n_var_w``.

Verdict (``glorot.judging.shrink_pair``): grad_s std layer 1 / layer 5. The same thresholds as
Fig. 6 and for the same reason: ``SHRINK = 0.8``, ``NO_SHRINK = 0.95``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from glorot import paper
from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import shrink_pair

SHRINK, NO_SHRINK = 0.8, 0.95


def draw(hist: pd.DataFrame, caption: str = "", stats: pd.DataFrame | None = None) -> Figure:
    """The two histogram rows and, below them, the std per layer at init with the mean-field
    prediction beside it (glorot.theory_claims.init_hist_figure)."""
    return TC.init_hist_figure(hist, stats, "grad_s", "Back-propagated gradient dC/ds", "Std of dC/ds (at init)",
                               "Fig. 7: back-propagated gradient histograms at init (tanh)", caption)


def judge(stats: pd.DataFrame) -> list[dict]:
    theory = f" (linear theory {paper.numbers()['theory']['standard_n_var_w'] ** 2:.2f})"
    return shrink_pair("fig07", stats, "grad_s", up=False, what="grad_s std", shrink=SHRINK, no_shrink=NO_SHRINK,
                       theory=theory)


CLAIM = Claim(id="fig07", title="Fig. 7: back-propagated gradients at init shrink going down", order=7,
              experiments=("init_tanh",), needs=("hist",), stem="fig07_grad_s_hist_init",
              draw=lambda d, c: draw(d.hist, c, d.stats),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "fig07", ('grad_s',)))
