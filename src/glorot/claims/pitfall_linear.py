"""Pitfall: in a deep linear network (Sec. 4.2) the std of activations (going up) and of dC/ds
(going down) changes by (n Var[W])^(1/2) per layer.

Experiment ``pitfall_linear`` (identity activation, depth 10, n Var[W] = c in {0.5, 1, 2}; stats at
init). Paper text: ``claims.pitfall_linear``; the theory is computed from the recorded members' own
settings (``glorot.nn.init_variance``), never typed in.

Verdict: per init, the fitted per-layer Var ratio of activations going up (hidden layers 2..d;
layer 1 has the input's fan-in) and of dC/ds going down (hidden layers 1..d), against c.
Reproduced if every fit is within ``LINEAR_TOL = 15%`` of c (the monitor set's 300 examples give
a few % noise per layer); not reproduced only if in every seed a fit is off by more than
``LINEAR_BAD = 50%`` or lies on the wrong side of 1; else inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import decide, fit_ratio, missing, row
from glorot.nn import init_variance, split_spec
from glorot.plotting import TAB, band, per_layer_at, title_with_n, n_seeds

LINEAR_TOL, LINEAR_BAD = 0.15, 0.5


def n_var_w(init: str, width: int) -> float:
    """n Var[W] of a width x width layer (Sec. 4.2's per-layer factor), from the init's own definition."""
    return width * init_variance(init, width, width)


def _linear_c(stats: pd.DataFrame) -> dict[str, float]:
    """init -> n Var[W] for the hidden width x width layers of the recorded members."""
    if stats.empty:
        return {}
    w = stats.groupby("init").width.first()
    return {i: n_var_w(i, int(n)) for i, n in w.items()}


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Std of activations (left, going up) and of dC/ds (right, going down) per layer at init, log y,
    one colour per c = n Var[W]; dashed: theory c^(1/2) per layer, anchored at layer 1 (activations)
    or at the top hidden layer (dC/ds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    cs = _linear_c(stats)
    comp = TC.safe_compare(stats) if len(stats) else None
    order = sorted(cs, key=cs.get)
    for ax, signal, up, ylabel in ((axes[0], "act", True, "Std of activations z (at init)"),
                                   (axes[1], "grad_s", False, "Std of dC/ds (at init)")):
        d = per_layer_at(stats, signal, "std")
        for i, init in enumerate(sorted(cs, key=cs.get)):
            g = d[d.init == init].sort_values("layer")
            if g.empty:
                continue
            c = cs[init]
            band(ax, g.layer, g["mean"], g["std"], TAB(i), marker="o", ls="none",
                  label=f"N(0, {split_spec(init)[1]:g}^2): n Var[W] = {c:.3g} (n={int(g['count'].max())})")
            x = g.layer.to_numpy(float)
            anchor = g["mean"].iloc[0] if up else g["mean"].iloc[-1]
            k = (x - x[0]) if up else (x[-1] - x)
            ax.plot(x, anchor * np.sqrt(c) ** k, color=TAB(i), ls="--", lw=1)
        ax.plot([], [], color="k", ls="--", lw=1, label="theory: (n Var[W])^(1/2) per layer")
        TC.theory_overlay(ax, comp, signal, order, colors={i: TAB(k) for k, i in enumerate(order)}, ls=":",
                          label_fmt="{init}: mean-field, absolute")
        ax.set_yscale("log")
        ax.set_xlabel("Hidden layer")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    title_with_n(fig, "Pitfall: deep linear network (identity, depth 10) at init: scale moves by "
                      "(n Var[W])^(1/2) per layer", caption, stats)
    fig.tight_layout()
    return fig


def _fits(stats: pd.DataFrame, cs: dict):
    """(worst relative error, wrong side?, text) of the fitted ratios of one frame (seed mean or one seed)."""
    a, g = per_layer_at(stats, "act", "var"), per_layer_at(stats, "grad_s", "var")
    errs, parts, wrong_side = [], [], False
    for init, c in sorted(cs.items(), key=lambda t: t[1]):
        sa = a[(a.init == init) & (a.layer >= 2)].sort_values("layer")
        sg = g[g.init == init].sort_values("layer")
        if len(sa) < 2 or len(sg) < 2:
            raise ValueError(f"fewer than 2 layers for {init}")
        ra, rg = fit_ratio(sa.layer, sa["mean"], up=True), fit_ratio(sg.layer, sg["mean"], up=False)
        for r in (ra, rg):
            errs.append(abs(r / c - 1))
            if abs(c - 1) > LINEAR_TOL and np.sign(np.log(r)) != np.sign(np.log(c)):
                wrong_side = True
        parts.append(f"c={c:.3g}: act {ra:.3f}, grad_s {rg:.3f}")
    return max(errs), wrong_side, "; ".join(parts)


def judge(stats: pd.DataFrame) -> list[dict]:
    fig = "pitfall_linear"
    cs = _linear_c(stats)
    a, g = per_layer_at(stats, "act", "var"), per_layer_at(stats, "grad_s", "var")
    if len(cs) < 2 or a.empty or g.empty:
        return [missing(fig, "no act/grad_s variances at init for the linear network")]
    worst, _, parts = _fits(stats, cs)
    per = [_fits(x, cs) for _, x in stats.groupby("seed")]
    bad = bool(per) and all(w > LINEAR_BAD or side for w, side, _ in per)
    return [row(fig, f"fitted per-layer Var ratio (act going up, grad_s going down) vs c = n Var[W]; "
                     f"within {LINEAR_TOL:.0%}",
                parts + f"; worst relative error {worst:.1%}; n={n_seeds(stats)}",
                "Var ratio per layer = n Var[W] (Sec. 4.2, linear regime)", decide(worst <= LINEAR_TOL, bad),
                n=n_seeds(stats), spread_or_p="worst relative error per seed: " + ", ".join(f"{w:.1%}" for w, _, _ in per),
                threshold=f"within {LINEAR_TOL:.0%}; not reproduced only if every seed is off by > {LINEAR_BAD:.0%} "
                          f"or on the wrong side of 1")]


CLAIM = Claim(id="pitfall_linear", title="Pitfall: a deep linear network scales by (n Var[W])^(1/2) per layer",
              order=19, experiments=("pitfall_linear",), needs=("stats",), stem="pitfall_linear",
              draw=lambda d, c: draw(d.stats, c),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "pitfall_linear", ("act", "grad_s")))
