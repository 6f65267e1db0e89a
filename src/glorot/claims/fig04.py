"""Fig. 4: at the end of training tanh piles up at the asymptotes, softsign sits at the knees.

Experiment ``saturation`` (activation histograms at the last record step, standard init). Paper:
``claims.fig04`` (no number).

Verdict: the share of activations with ``|z| > KNEE = 0.9`` at the end (mean over layers, per
seed): 0.9 is past softsign's knee (softsign(9) = 0.9) and deep in tanh's flat part (tanh(1.47)).
Reproduced if tanh's mean share > softsign's; not reproduced only if softsign's is higher with
Welch's p < 0.005; inconclusive if both are below ``NO_SAT = 0.01`` (nothing near the asymptotes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.judging import INCONCLUSIVE, contradicts, decide, missing, row, welch_p
from glorot.plotting import hist_rows, n_seeds

KNEE = 0.9
NO_SAT = 0.01


def draw(hist: pd.DataFrame, caption: str = "") -> Figure:
    hist = hist[hist.init == "standard"]
    return hist_rows(hist, "activation", ["tanh", "softsign"], ["Tanh", "Softsign"], "act", "Activation value",
                     "Fig. 4: activation histograms at the end of training, standard init", caption, step="last")


def hist_mass(hist: pd.DataFrame, lo: float, hi: float) -> float:
    """Probability mass of |value| in [lo, hi] (bins assigned by their centre), averaged over rows'
    members and layers."""
    h = hist.assign(c=(hist.bin_lo + hist.bin_hi).abs() / 2, w=(hist.bin_hi - hist.bin_lo) * hist.density)
    tot = h.groupby(["member", "layer"]).w.sum()
    sel = h[(h.c >= lo) & (h.c <= hi)].groupby(["member", "layer"]).w.sum().reindex(tot.index, fill_value=0)
    return float((sel / tot).mean())


def judge(hist: pd.DataFrame) -> list[dict]:
    h = hist[(hist.signal == "act") & (hist.init == "standard")]
    if h.empty or set(h.activation) < {"tanh", "softsign"}:
        return [missing("fig04", "no end-of-training act histograms for tanh and softsign")]
    h = h[h.step == h.groupby("member").step.transform("max")]
    mt = hist_mass(h[h.activation == "tanh"], KNEE, np.inf)
    ms = hist_mass(h[h.activation == "softsign"], KNEE, np.inf)
    seeds = {a: np.array([hist_mass(g, KNEE, np.inf) for _, g in h[h.activation == a].groupby("seed")])
             for a in ("tanh", "softsign")}
    v = INCONCLUSIVE if max(mt, ms) < NO_SAT else decide(mt > ms, contradicts(seeds["softsign"], seeds["tanh"]))
    return [row("fig04", f"share of activations with |z| > {KNEE} at the end (mean over layers)",
                f"tanh {mt:.3f} vs softsign {ms:.3f}; n={n_seeds(h)}", "tanh at the asymptotes, softsign at the knees",
                v, n=f"{len(seeds['tanh'])},{len(seeds['softsign'])}",
                spread_or_p=f"p = {welch_p(seeds['tanh'], seeds['softsign']):.3g}",
                threshold=f"both < {NO_SAT}: inconclusive; not reproduced only if softsign higher at Welch p < 0.005")]


CLAIM = Claim(id="fig04", title="Fig. 4: tanh at the asymptotes, softsign at the knees", order=4,
              experiments=("saturation",), needs=("hist",), stem="fig04_hist_end",
              draw=lambda d, c: draw(d.hist, c), judge=lambda d: judge(d.hist))
