"""Pitfall: with leaky relu of slope a, He's generalized Var[W] = 2/((1+a^2) n) keeps the second
moment level across 30 layers; plain he (2/n) grows it by (1+a^2) and 1/n shrinks it by (1+a^2)/2
per layer (He et al. Eq. 10 generalized).

Experiment ``pitfall_leaky`` (leaky relu a = 0.25, 30 layers; inits he:0.25, he, lecun; pre/var at
init). Paper text: ``claims.pitfall_leaky``; the theory ratio (1 + a^2)/2 n Var[W] comes from the
recorded members' own settings (``glorot.nn.init_variance``).

Verdict: per init, the fitted per-layer ratio of Var[s] (hidden layers 2..d) against the theory,
and the end-to-end ratio layer d / layer 2. Reproduced if every fit is within ``LEAKY_TOL = 3%``
(30 layers make the fit precise), the generalized init is level end to end (within ``LEAKY_LEVEL =
(0.5, 2)``) and plain he ends above, lecun below it; not reproduced only if in every seed a fit is
off by more than ``LEAKY_BAD = 10%`` or the generalized init is not level; else inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import decide, fit_ratio, missing, row
from glorot.nn import init_variance, split_spec
from glorot.plotting import TAB, band, n_seeds, per_layer_at, title_with_n

LEAKY_TOL, LEAKY_BAD = 0.03, 0.10
LEAKY_LEVEL = (0.5, 2.0)


def _init_name(spec: str) -> str:
    return split_spec(spec)[0]


def _c(init: str, width: int) -> float:
    """n Var[W] of a width x width layer, from the init's own definition."""
    return width * init_variance(init, width, width)


def _slope_a(activation: str) -> float:
    name, p = split_spec(activation)
    if name == "leaky_relu":
        return 0.01 if p is None else p
    return 0.0  # relu: a = 0


def leaky_theory(activation: str, init: str, width: int) -> float:
    """He et al. Eq. 10 generalized: per-layer ratio of the pre-activation second moment,
    (1 + a^2)/2 n Var[W], for a width x width layer."""
    a = _slope_a(activation)
    return (1 + a * a) / 2 * _c(init, width)


def _leaky_frames(stats: pd.DataFrame):
    if stats.empty:
        return {}, pd.DataFrame(), pd.DataFrame()
    first = stats.groupby("init").first()
    th = {i: leaky_theory(r.activation, i, int(r.width)) for i, r in first.iterrows()}
    return th, per_layer_at(stats, "pre", "var"), per_layer_at(stats, "grad_s", "var")


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Second moment of the pre-activations s (left, going up) and of dC/ds (right, going down) per
    layer at init, log y; dashed: theory ratio (1 + a^2)/2 n Var[W] per layer, anchored at layer 1
    (s) or the top hidden layer (dC/ds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    th, pre, gs = _leaky_frames(stats)
    act = stats.activation.iloc[0] if len(stats) else "leaky_relu"
    comp = TC.safe_compare(stats) if len(stats) else None
    order = sorted(th, key=lambda k: -th[k])
    for ax, d, up, ylabel, signal in ((axes[0], pre, True, "Var of pre-activations s (at init)", "pre"),
                                      (axes[1], gs, False, "Var of dC/ds (at init)", "grad_s")):
        for i, init in enumerate(order):
            g = d[d.init == init].sort_values("layer") if len(d) else d
            if g.empty:
                continue
            band(ax, g.layer, g["mean"], g["std"], TAB(i), marker="o", ls="none",
                  label=f"{init}: theory ratio {th[init]:.4g}/layer (n={int(g['count'].max())})")
            x = g.layer.to_numpy(float)
            anchor = g["mean"].iloc[0] if up else g["mean"].iloc[-1]
            k = (x - x[0]) if up else (x[-1] - x)
            ax.plot(x, anchor * th[init] ** k, color=TAB(i), ls="--", lw=1)
        ax.plot([], [], color="k", ls="--", lw=1, label="theory: (1 + a^2)/2 n Var[W] per layer")
        TC.theory_overlay(ax, comp, signal, order, colors={i: TAB(k) for k, i in enumerate(order)}, ls=":",
                          square=True, label_fmt="{init}: mean-field, absolute")
        ax.set_yscale("log")
        ax.set_xlabel("Hidden layer")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    title_with_n(fig, f"Pitfall: {act}, {int(stats.depth.max()) if len(stats) else 30} layers at init: "
                      f"He's generalized Var[W] = 2/((1+a^2) n) keeps the second moment", caption, stats)
    fig.tight_layout()
    return fig


def _fits(stats: pd.DataFrame, th: dict, gen: str):
    """(ok, bad, worst, text) of one frame (seed mean or one seed)."""
    _, pre, _ = _leaky_frames(stats)
    fits, ends, parts = {}, {}, []
    for init in th:
        s = pre[(pre.init == init) & (pre.layer >= 2)].sort_values("layer")
        if len(s) < 3:
            raise ValueError(f"fewer than 3 layers for {init}")
        fits[init] = fit_ratio(s.layer, s["mean"], up=True)
        ends[init] = float(s["mean"].iloc[-1] / s["mean"].iloc[0])
        parts.append(f"{init}: {fits[init]:.4f}/layer (theory {th[init]:.4f}), layer {int(s.layer.max())} / 2: "
                     f"{ends[init]:.3g}")
    worst = max(abs(fits[i] / th[i] - 1) for i in th)
    level = LEAKY_LEVEL[0] <= ends[gen] <= LEAKY_LEVEL[1]
    drift = ends["he"] > LEAKY_LEVEL[1] and ends["lecun"] < LEAKY_LEVEL[0]
    return worst <= LEAKY_TOL and level and drift, worst > LEAKY_BAD or not level, worst, "; ".join(parts)


def judge(stats: pd.DataFrame) -> list[dict]:
    fig = "pitfall_leaky"
    th, pre, _ = _leaky_frames(stats)
    gen = [i for i in th if _init_name(i) == "he" and split_spec(i)[1]]
    if not gen or pre.empty or not {"he", "lecun"} <= set(th):
        return [missing(fig, "no pre/var at init for he:<a>, he and lecun")]
    ok, _, worst, parts = _fits(stats, th, gen[0])
    per = [_fits(x, th, gen[0]) for _, x in stats.groupby("seed")]
    bad = bool(per) and all(p[1] for p in per)
    return [row(fig, f"fitted per-layer ratio of Var[s] (layers 2..d) vs (1+a^2)/2 n Var[W], within "
                     f"{LEAKY_TOL:.0%}; end to end level if in {LEAKY_LEVEL}",
                parts + f"; worst relative error {worst:.1%}; n={n_seeds(stats)}",
                "generalized he: ratio 1 (level); he 2/n: (1+a^2) > 1; 1/n: (1+a^2)/2 < 1", decide(ok, bad),
                n=n_seeds(stats), spread_or_p="worst relative error per seed: " + ", ".join(f"{p[2]:.1%}" for p in per),
                threshold=f"within {LEAKY_TOL:.0%} and level; not reproduced only if in every seed a fit is off by "
                          f"> {LEAKY_BAD:.0%} or the generalized init is not level")]


CLAIM = Claim(id="pitfall_leaky", title="Pitfall: leaky relu needs He's generalized Var[W] = 2/((1+a^2) n)",
              order=20, experiments=("pitfall_leaky",), needs=("stats",), stem="pitfall_leaky",
              draw=lambda d, c: draw(d.stats, c),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "pitfall_leaky", ("pre", "grad_s")))
