"""Fig. 3: tanh saturates layer after layer from layer 1 up; softsign saturates less.

Experiment ``saturation`` (tanh and softsign, standard and normalized init, 5 hidden layers; act
p98 / std / sat during training). Paper: ``claims.fig03`` (no number: the order of saturation).

Verdicts:
(a) tanh standard: a layer's saturation time is the first record step at which its seed-mean 98th
    percentile reaches ``TANH_SAT_P98 = 0.95`` (tanh(1.83): the top 2% of units in the flat part).
    Reproduced if >= 2 layers saturate and Spearman rho(layer, time) >= ``ORDERED = 0.8`` (never =
    last); not reproduced only if every seed, on its own, has >= 2 saturating layers and rho <
    ``UNORDERED = 0.5`` (the seeds agree against the claim); otherwise inconclusive (in particular
    fewer than 2 saturating layers: no order to judge within the budget).
(b) softsign saturates less: end-of-training saturated fraction (stat ``sat``, mean over layers),
    per seed; reproduced if softsign's mean < tanh's; not reproduced only if softsign's is higher with
    Welch's p < 0.005; inconclusive when both are below ``NO_SAT = 0.01`` (nothing saturated).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats as sps

from glorot.claim import Claim
from glorot.judging import INCONCLUSIVE, all_seeds, contradicts, decide, missing, row, welch_p
from glorot.plotting import EPOCH, n_seeds, percentile_panel, title

TANH_SAT_P98 = 0.95
ORDERED, UNORDERED = 0.8, 0.5
NO_SAT = 0.01  # below this share of saturated units on both sides, there is nothing to compare


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """tanh (top) and softsign (bottom), standard init."""
    fig, axes = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for ax, act in zip(axes, ["tanh", "softsign"]):
        percentile_panel(ax, stats[(stats.activation == act) & (stats.init == "standard")], act.capitalize())
    axes[-1].set_xlabel(f"Epochs of {EPOCH:,} updates")
    title(fig, "Fig. 3: activation 98th percentiles and std during training, standard init", caption)
    return fig


def p98(stats: pd.DataFrame) -> pd.DataFrame:
    s = stats[(stats.signal == "act") & (stats.stat == "p98")]
    if s.empty:
        s = stats[(stats.signal == "act") & (stats.stat == "p98_abs")]
    return s


def saturation_times(stats: pd.DataFrame, level: float = TANH_SAT_P98) -> pd.Series:
    """Per layer, the first record step at which the seed-mean 98th percentile >= ``level``
    (inf when never)."""
    m = p98(stats).groupby(["layer", "step"]).value.mean()
    out = {}
    for layer, g in m.groupby(level="layer"):
        hit = g[g >= level]
        out[layer] = hit.index.get_level_values("step").min() if len(hit) else np.inf
    return pd.Series(out).sort_index()


def _order(t: pd.Series) -> tuple[int, float]:
    n_sat = int(np.isfinite(t).sum())
    rho = sps.spearmanr(t.index, t.rank(method="average")).statistic if n_sat >= 2 else np.nan
    return n_sat, rho


def judge(stats: pd.DataFrame) -> list[dict]:
    rows = []
    tanh = stats[(stats.activation == "tanh") & (stats.init == "standard")]
    if p98(tanh).empty:
        rows.append(missing("fig03", "no tanh standard act/p98 statistics"))
    else:
        t = saturation_times(tanh)
        n_sat, rho = _order(t)
        seeds = [_order(saturation_times(g)) for _, g in tanh.groupby("seed")]
        times = ", ".join(f"L{k}: {'never' if not np.isfinite(v) else f'{int(v):,}'}" for k, v in t.items())
        against = all_seeds([r if n >= 2 else np.inf for n, r in seeds], lambda x: x < UNORDERED)
        v = INCONCLUSIVE if n_sat < 2 and not against else decide(n_sat >= 2 and rho >= ORDERED, against)
        rows.append(row("fig03", f"tanh standard: first update with p98 >= {TANH_SAT_P98} per layer; Spearman rho "
                                 f"(layer, time); n={n_seeds(tanh)}",
                        f"{times}; {n_sat} layers saturate; rho = {rho:.2f}", "saturation from layer 1 up", v,
                        n=n_seeds(tanh), spread_or_p="per seed: " + ", ".join(
                            f"{n} layers, rho {r:.2f}" for n, r in seeds),
                        threshold=f"reproduced if >= 2 layers and rho >= {ORDERED}; not reproduced if every seed "
                                  f"has rho < {UNORDERED}"))
    sat = stats[(stats.signal == "act") & (stats.stat == "sat") & (stats.init == "standard")]
    if sat.empty or set(sat.activation) < {"tanh", "softsign"}:
        rows.append(missing("fig03", "no act/sat statistics for both tanh and softsign"))
        return rows
    end = sat[sat.step == sat.step.max()]
    per = end.groupby(["activation", "seed"]).value.mean()
    last = end.groupby("activation").value.mean()
    soft, tan = per["softsign"].to_numpy(), per["tanh"].to_numpy()
    if max(last["softsign"], last["tanh"]) < NO_SAT:
        v = INCONCLUSIVE
    else:
        v = decide(last["softsign"] < last["tanh"], contradicts(soft, tan))
    rows.append(row("fig03", "saturated fraction at the end, mean over layers, softsign vs tanh",
                    f"softsign {last['softsign']:.3f} vs tanh {last['tanh']:.3f}; n={n_seeds(sat)}",
                    "softsign saturates less", v, n=f"{len(soft)},{len(tan)}",
                    spread_or_p=f"p = {welch_p(soft, tan):.3g}",
                    threshold=f"both < {NO_SAT}: inconclusive; not reproduced only if softsign higher at Welch "
                              f"p < 0.005"))
    return rows


CLAIM = Claim(id="fig03", title="Fig. 3: tanh saturates layer by layer, softsign less", order=3,
              experiments=("saturation",), needs=("stats",), stem="fig03_saturation",
              draw=lambda d, c: draw(d.stats, c), judge=lambda d: judge(d.stats))
