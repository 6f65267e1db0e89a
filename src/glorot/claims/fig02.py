"""Fig. 2: sigmoid saturation of the top layer.

Experiment ``fig2_sigmoid`` (sigmoid, 4 hidden layers, standard init; recorder stats act/mean and
act/std during training). Paper: ``claims.fig02`` in paper_numbers.yaml (the paper gives no number:
the top layer's mean goes to ~0 early and slowly escapes; lower layers stay near 0.5).

Verdict: the top hidden layer's mean activation, its minimum over training (after init).
* ``PUSHED = 0.1``: pushed to the 0 asymptote (sigmoid's range is (0, 1), its mean at init ~0.5;
  below 0.1 most units sit in the flat tail);
* ``LOWER_STAY = 0.3``: meanwhile the lower layers' means stay above this (they do not saturate);
* ``NOT_PUSHED = 0.2``: not reproduced only if **every seed's** minimum stays at or above it (beyond
  the seeds' spread: ``glorot.judging``'s robustness rule); in between: inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.judging import all_seeds, decide, missing, per_seed, row, spread
from glorot.plotting import EPOCH, epochs, layer_colors, n_seeds, over_seeds, stat, title

PUSHED, LOWER_STAY, NOT_PUSHED = 0.1, 0.3, 0.2


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Mean (line) and std (error bars) of sigmoid activations per hidden layer vs epochs."""
    fig, ax = plt.subplots(figsize=(7, 4))
    mean = over_seeds(stat(stats, "act", "mean"), ["layer", "step"])
    std = over_seeds(stat(stats, "act", "std"), ["layer", "step"])
    layers = sorted(mean.layer.unique())
    for c, l in zip(layer_colors(len(layers)), layers):
        m = mean[mean.layer == l].sort_values("step")
        s = std[std.layer == l].set_index("step").reindex(m.step)
        x = epochs(m.step)
        ax.errorbar(x, m["mean"], yerr=s["mean"].to_numpy(), color=c, label=f"Layer {l}", capsize=2, lw=1.2)
        if (m["std"] > 0).any():
            ax.fill_between(x, m["mean"] - m["std"], m["mean"] + m["std"], color=c, alpha=0.2, lw=0)
    ax.set_xlabel(f"Epochs of {EPOCH:,} mini-batch updates")
    ax.set_ylabel("Activation value (mean, std as bars)")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    title(fig, f"Fig. 2: sigmoid activations per layer, standard init (n={n_seeds(stats)} seeds; band: "
               f"std of the mean over seeds)", caption)
    return fig


def _top_min(s: pd.DataFrame) -> float:
    m = s.groupby(["step", "layer"]).value.mean().unstack("layer").sort_index()
    top = m[m.columns.max()]
    return float((top[top.index > top.index.min()] if len(top) > 1 else top).min())


def judge(stats: pd.DataFrame) -> list[dict]:
    s = stats[(stats.signal == "act") & (stats.stat == "mean")]
    if s.empty:
        return [missing("fig02", "no act/mean statistics")]
    m = s.groupby(["step", "layer"]).value.mean().unstack("layer").sort_index()
    top = m.columns.max()
    trained = m[m.index > m.index.min()] if len(m) > 1 else m
    t_min = trained[top].idxmin()
    low, lower_at = trained[top].min(), trained.loc[t_min, [c for c in m.columns if c != top]].min()
    final = m[top].iloc[-1]
    seeds = per_seed(s, _top_min)
    value = (f"top layer {top} mean min {low:.3f} at update {int(t_min):,} (lower layers >= {lower_at:.2f}); "
             f"final {final:.3f}; n={n_seeds(s)}")
    v = decide(low < PUSHED and lower_at > LOWER_STAY, all_seeds(seeds, lambda x: x >= NOT_PUSHED))
    return [row("fig02", f"min over training of the top layer's mean activation (threshold {PUSHED})", value,
                "top layer pushed to ~0 early, then slowly escapes", v, n=n_seeds(s), spread_or_p=spread(seeds),
                threshold=f"reproduced if < {PUSHED} with lower layers > {LOWER_STAY}; not reproduced if every "
                          f"seed >= {NOT_PUSHED}")]


CLAIM = Claim(id="fig02", title="Fig. 2: sigmoid saturation of the top layer", order=2,
              experiments=("fig2_sigmoid",), needs=("stats",), stem="fig02_sigmoid_activations",
              draw=lambda d, c: draw(d.stats, c), judge=lambda d: judge(d.stats))
