"""Fig. 6: at init, standard init's activation histograms get a growing peak at 0 with depth;
normalized init keeps them alike across layers.

Experiment ``init_tanh`` (tanh 5 hidden layers, standard and normalized init; act histograms and
act/std at the first record step). Paper: ``claims.fig06`` (no number).

Verdict (``glorot.judging.shrink_pair``): a growing peak at 0 is a shrinking std, so the measure is
the activation std of the top hidden layer over the first's. ``SHRINK = 0.8``: shrinks (a 20% drop
over 4 layers is well outside the per-seed noise of a 300-example monitor set); ``NO_SHRINK = 0.95``:
not shrinking, when every seed is at or above it. Normalized: reproduced if its |log ratio| is
smaller than standard's.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import shrink_pair

SHRINK, NO_SHRINK = 0.8, 0.95


def draw(hist: pd.DataFrame, caption: str = "", stats: pd.DataFrame | None = None) -> Figure:
    """The two histogram rows and, below them, the std per layer at init with the mean-field
    prediction beside it (glorot.theory_claims.init_hist_figure)."""
    return TC.init_hist_figure(hist, stats, "act", "Activation value", "Std of activations z (at init)",
                               "Fig. 6: activation histograms at initialization (tanh)", caption)


def judge(stats: pd.DataFrame) -> list[dict]:
    return shrink_pair("fig06", stats, "act", up=True, what="activation std", shrink=SHRINK, no_shrink=NO_SHRINK)


CLAIM = Claim(id="fig06", title="Fig. 6: activations at init, standard vs normalized", order=6,
              experiments=("init_tanh",), needs=("hist",), stem="fig06_act_hist_init",
              draw=lambda d, c: draw(d.hist, c, d.stats),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "fig06", ('act',)))
