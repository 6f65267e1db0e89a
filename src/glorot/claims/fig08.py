"""Fig. 8: weight gradients dC/dW do not shrink going down, even with standard init (Eq. 14).

Experiment ``init_tanh`` (grad_w histograms and grad_w/std just after init). Paper: ``claims.fig08``
(Eq. 14: the same variance for every layer).

Verdict: grad_w std layer 1 / layer 5, standard init. ``LEVEL = (0.5, 2.0)``: level (within a
factor 2, where the back-propagated gradients of Fig. 7 shrink ~9x over the same layers); not
reproduced only if every seed's ratio is below ``1/3`` or above ``3`` (as far from level as the
shrinking of Fig. 7's theory over 2 layers); in between: inconclusive.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import all_seeds, decide, layer_stat, layer_stat_per_seed, missing, row, spread
from glorot.plotting import n_seeds

LEVEL_LO, LEVEL_HI = 0.5, 2.0
FAR_LO, FAR_HI = 1 / 3, 3.0


def draw(hist: pd.DataFrame, caption: str = "", stats: pd.DataFrame | None = None) -> Figure:
    """The two histogram rows and, below them, the std per layer at init with the mean-field
    prediction beside it (glorot.theory_claims.init_hist_figure)."""
    return TC.init_hist_figure(hist, stats, "grad_w", "Weight gradient dC/dW", "Std of dC/dW (at init)",
                               "Fig. 8: weight gradient histograms just after init (tanh)", caption)


def judge(stats: pd.DataFrame) -> list[dict]:
    s = layer_stat(stats, "grad_w", init="standard")
    if len(s) < 2:
        return [missing("fig08", "no grad_w/std statistics at init for standard init")]
    lo, hi = s.index.min(), s.index.max()
    r = float(s.loc[lo] / s.loc[hi])
    ps = layer_stat_per_seed(stats, "grad_w", init="standard")
    per = (ps.loc[lo] / ps.loc[hi]).to_numpy(float)
    v = decide(LEVEL_LO <= r <= LEVEL_HI, all_seeds(per, lambda x: x < FAR_LO or x > FAR_HI))
    n = n_seeds(stats[stats.init == "standard"])
    return [row("fig08", f"standard init: grad_w std layer {lo} / layer {hi} at init; "
                         f"level if in [{LEVEL_LO}, {LEVEL_HI}]",
                f"{r:.3f}; n={n}", "about 1 (Eq. 14)", v, n=n, spread_or_p=spread(per),
                threshold=f"reproduced if in [{LEVEL_LO}, {LEVEL_HI}]; not reproduced if every seed < {FAR_LO:.2f} "
                          f"or > {FAR_HI:g}")]


CLAIM = Claim(id="fig08", title="Fig. 8: weight gradients at init do not shrink", order=8,
              experiments=("init_tanh",), needs=("hist",), stem="fig08_grad_w_hist_init",
              draw=lambda d, c: draw(d.hist, c, d.stats),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "fig08", ('grad_w',)))
