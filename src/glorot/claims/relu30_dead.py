"""Beside He et al.: their 2/n keeps a deep ReLU stack's variance, not its units. At init a share of
each layer's units is <= 0 on every monitor example (dead on them: no gradient reaches their
weights through those examples); the share grows with depth, as the arc-cosine kernel predicts
(glorot.theory.dead_share), and does not depend on the weights' scale (ReLU is positively
homogeneous: 1/n and 2/n change no sign).

Experiment ``relu30`` (relu, 30 hidden layers, lecun and he; the recorder's ``act``/``dead`` at the
first record step, and at the last one for the context row). Paper text: ``claims.relu30_dead``; the
prediction is computed on the monitor set's own inputs (glorot.theory_claims.predicted_dead), never
typed in.

Verdict (the tolerance written down from the sampling error alone, before it was compared with any
run): a layer's share is a mean over its ``width`` units, independent given the layer below, so
its standard error is at most sqrt(p (1 - p) / width); averaged over the layers (which the shared
lower layers correlate: no credit taken for their number) and over S seeds,
``TOL = 3 sqrt(p (1 - p) / (width S)) + 0.02`` around the predicted mean share p (the 0.02 for the
wide limit and the Monte Carlo's standard error, at most 0.008 per layer). Two rows:

* *depth*: the measured share, mean over the hidden layers, inits and seeds, against the predicted
  mean; reproduced if within ``TOL`` and the top third of the layers has more dead units than the
  bottom third; not reproduced only if every (init, seed) is outside its own one-seed tolerance or has
  no more dead units at the top than at the bottom; otherwise inconclusive.
* *scale*: he's mean share against lecun's; reproduced if they differ by at most ``TOL`` (with
  2 p (1 - p) for a difference of two); not reproduced only if every seed's pair differs by more than
  its one-seed tolerance; otherwise inconclusive.

The figure shows the share after training (the last record step) beside it; the theory is at init.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import decide, missing, row
from glorot.plotting import TAB, band, n_seeds, over_seeds, stat, title

SIGMAS, FLOOR = 3.0, 0.02
INITS = ("lecun", "he")


def tolerance(p: float, width: int, seeds: int, pair: bool = False) -> float:
    """The stated tolerance on a mean dead share (module docstring); ``pair``: on a difference of two."""
    var = p * (1 - p) * (2 if pair else 1)
    return SIGMAS * math.sqrt(max(var, 0.0) / (max(int(width), 1) * max(int(seeds), 1))) + FLOOR


def dead_at(stats: pd.DataFrame, step: str = "first") -> pd.DataFrame:
    """The recorded dead share of the hidden layers at the first (init) or last record step: columns
    init, seed, layer, value."""
    s = stat(stats, "act", "dead")
    s = s[s.value.notna()] if len(s) else s
    if s.empty:
        return pd.DataFrame(columns=["init", "seed", "layer", "value"])
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return s[["init", "seed", "layer", "value"]].sort_values(["init", "seed", "layer"])


def predicted(stats: pd.DataFrame, monitor: int = 300) -> pd.Series:
    """The predicted share per hidden layer (index layer 1..depth) for the run's depth and data, on
    the first ``monitor`` examples of its monitor set (the runs' ``data.monitor_size``)."""
    depth = int(stats.depth.max())
    data = str(stats["data"].dropna().iloc[0]) if "data" in stats and stats["data"].notna().any() else "mnist"
    return pd.Series(TC.predicted_dead(depth, data, monitor_size=int(monitor)), index=np.arange(1, depth + 1),
                     name="predicted")


def _thirds(v: pd.Series) -> tuple[float, float]:
    """Mean of the bottom and of the top third of a per-layer series."""
    v = v.sort_index()
    k = max(len(v) // 3, 1)
    return float(v.iloc[:k].mean()), float(v.iloc[-k:].mean())


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def judge(stats: pd.DataFrame, monitor: int = 300) -> list[dict]:
    d0 = dead_at(stats)
    if d0.empty or not set(INITS) <= set(d0.init):
        return [missing("relu30_dead", "no act/dead statistics at init for lecun and he (runs recorded before "
                                       "the recorder wrote the dead-unit share: train them again)")]
    pred = predicted(stats, monitor)
    width = int(stats.width.max())
    p = float(pred.mean())
    seeds = sorted(d0.seed.unique())
    per = {(i, k): g.set_index("layer").value for (i, k), g in d0.groupby(["init", "seed"])}
    mean_layers = {key: float(v.mean()) for key, v in per.items()}
    by_init = {i: float(np.mean([m for (j, _), m in mean_layers.items() if j == i])) for i in INITS}
    measured = float(np.mean(list(by_init.values())))
    layer_mean = d0.groupby("layer").value.mean()
    lo, hi = _thirds(layer_mean)
    tol, tol1 = tolerance(p, width, len(seeds)), tolerance(p, width, 1)
    grows = [top > bottom for bottom, top in map(_thirds, per.values())]
    ok = abs(measured - p) <= tol and hi > lo
    bad = all(abs(m - p) > tol1 or not g for m, g in zip(mean_layers.values(), grows))
    n = n_seeds(d0)
    pl, ph = _thirds(pred)
    rows = [row("relu30_dead", "share of units dead at init (<= 0 on every monitor example), mean over the hidden "
                               "layers, inits and seeds; bottom third -> top third of the layers",
                f"{_pct(measured)} (lecun {_pct(by_init['lecun'])}, he {_pct(by_init['he'])}); "
                f"{_pct(lo)} -> {_pct(hi)}; n={n}",
                f"predicted {_pct(p)}; {_pct(pl)} -> {_pct(ph)} (arc-cosine kernel, the monitor set's inputs)",
                decide(ok, bad), n=n,
                spread_or_p="per init and seed: " + ", ".join(f"{i} {k} {_pct(m)}" for (i, k), m in mean_layers.items()),
                threshold=f"|measured - predicted| <= {_pct(tol)} (3 sqrt(p(1-p)/(width x seeds)) + 0.02) and more dead "
                          f"at the top; not reproduced only if every init and seed is off by more than {_pct(tol1)} "
                          "or not rising")]
    pairs = [mean_layers[("he", k)] - mean_layers[("lecun", k)] for k in seeds
             if ("he", k) in mean_layers and ("lecun", k) in mean_layers]
    tol2, tol21 = tolerance(p, width, len(seeds), pair=True), tolerance(p, width, 1, pair=True)
    diff = by_init["he"] - by_init["lecun"]
    rows.append(row("relu30_dead", "he (2/n) against lecun (1/n): dead share at init, mean over the hidden layers",
                    f"he {_pct(by_init['he'])}, lecun {_pct(by_init['lecun'])}: difference {100 * diff:+.1f} points; n={n}",
                    "the same (the weights' scale changes no sign)",
                    decide(abs(diff) <= tol2, bool(pairs) and all(abs(x) > tol21 for x in pairs)), n=n,
                    spread_or_p="per seed, he - lecun: " + ", ".join(f"{100 * x:+.1f}" for x in pairs),
                    threshold=f"|he - lecun| <= {_pct(tol2)}; not reproduced only if every seed differs by more "
                              f"than {_pct(tol21)}"))
    return rows


def draw(stats: pd.DataFrame, caption: str = "", monitor: int = 300) -> Figure:
    """Dead share per hidden layer: at init, measured per init (markers, band over seeds) with the
    predicted share (black, dashed; grey band: the stated tolerance); after training beside it."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    d0, d1 = dead_at(stats), dead_at(stats, "last")
    pred = None
    if len(d0):
        try:
            pred = predicted(stats, monitor)
        except Exception as e:  # noqa: BLE001 - no data file for the inputs: draw the measurements alone
            import warnings  # noqa: PLC0415
            warnings.warn(f"dead-unit prediction unavailable: {type(e).__name__}: {e}", stacklevel=2)
    last = f"after training (update {int(stats.step.max()):,})" if len(d1) else "after training"
    for ax, d, when in ((axes[0], d0, "at init"), (axes[1], d1, last)):
        for c, init in enumerate(INITS):
            g = over_seeds(d[d.init == init], ["layer"]).sort_values("layer")
            band(ax, g.layer, 100 * g["mean"], 100 * g["std"], TAB(c), marker="o" if c == 0 else "s",
                 ls="-" if c == 0 else ":", label=f"{init} (n={n_seeds(d[d.init == init])})")
        if pred is not None:
            tol = tolerance(float(pred.mean()), int(stats.width.max()), max(n_seeds(d0), 1))
            ax.plot(pred.index, 100 * pred.values, color="k", ls="--", lw=1.2,
                    label="predicted at init (arc-cosine kernel)")
            if when == "at init":
                ax.fill_between(pred.index, 100 * np.clip(pred.values - tol, 0, None), 100 * (pred.values + tol), color="0.85",
                                zorder=0, label=f"+-{100 * tol:.1f} points: the tolerance on the mean over the layers")
        ax.set_xlabel("Hidden layer")
        ax.set_title(when, fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("Units dead on every monitor example (%)")
    title(fig, "relu, 30 layers: units <= 0 on all of the monitor set, 1/n (lecun) vs 2/n (he)", caption)
    fig.tight_layout()
    return fig


CLAIM = Claim(id="relu30_dead", title="Beside He et al.: 2/n keeps the variance, not the units: dead ReLU units at init",
              order=14.5, experiments=("relu30",), needs=("stats",), stem="ext_relu30_dead",
              draw=lambda d, c: draw(d.stats, c, TC.monitor_size(d.runs)),
              judge=lambda d: judge(d.stats, TC.monitor_size(d.runs)))
