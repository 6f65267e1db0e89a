"""Fig. 9: during training, the weight-gradient std differs across layers with standard init and
stays even with normalized init (tanh).

Experiment ``saturation`` (grad_w/std per layer during training, tanh). Paper: ``claims.fig09``.

Verdict: the spread of grad_w std across layers (max / min over hidden layers) averaged over the
record steps after init, per init. Reproduced if normalized's spread is below ``EVEN = 0.9`` x
standard's (a difference within 10% is read as a tie); not reproduced only if normalized's spread is
the larger one with Welch's p < 0.005 over the seeds' spreads; otherwise inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.judging import contradicts, decide, missing, row, welch_p
from glorot.plotting import EPOCH, band, epochs, layer_colors, n_seeds, over_seeds, stat, title

EVEN = 0.9


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Std of weight gradients per layer vs training, tanh: standard (top), normalized (bottom)."""
    fig, axes = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    gw = stat(stats, "grad_w", "std", activation="tanh")
    for ax, init in zip(axes, ["standard", "normalized"]):
        d = over_seeds(gw[gw.init == init], ["layer", "step"])
        layers = sorted(d.layer.unique())
        for c, l in zip(layer_colors(len(layers)), layers):
            s = d[d.layer == l].sort_values("step")
            band(ax, epochs(s.step), s["mean"], s["std"], c, label=f"Layer {l}", marker="o")
        ax.set_yscale("log")
        ax.set_ylabel("Std of weight gradient dC/dW")
        ax.set_title(f"tanh, {init} init (n={n_seeds(gw[gw.init == init])})", fontsize=9)
        ax.legend(fontsize=7, ncol=max(len(layers), 1))
    axes[-1].set_xlabel(f"Epochs of {EPOCH:,} updates")
    title(fig, "Fig. 9: weight-gradient std per layer during training", caption)
    return fig


def _spread(g: pd.DataFrame) -> float:
    if g.step.nunique() > 1:
        g = g[g.step > g.step.min()]
    m = g.groupby(["step", "layer"]).value.mean().unstack("layer")
    return float((m.max(axis=1) / m.min(axis=1)).mean())


def judge(stats: pd.DataFrame) -> list[dict]:
    s = stats[(stats.signal == "grad_w") & (stats.stat == "std") & (stats.activation == "tanh")]
    spread, per = {}, {}
    for init in ("standard", "normalized"):
        g = s[s.init == init]
        if g.empty:
            return [missing("fig09", f"no grad_w/std statistics during training for tanh {init}")]
        spread[init] = _spread(g)
        per[init] = np.array([_spread(x) for _, x in g.groupby("seed")])
    ratio = spread["normalized"] / spread["standard"]
    v = decide(ratio < EVEN, contradicts(per["normalized"], per["standard"]))
    return [row("fig09", "grad_w std, max/min over layers, mean over record steps after init (tanh); "
                "reproduced if normalized < 0.9 x standard, tie within 10%",
                f"standard {spread['standard']:.2f} vs normalized {spread['normalized']:.2f}; n={n_seeds(s)}",
                "normalized keeps layers even", v, n=f"{len(per['normalized'])},{len(per['standard'])}",
                spread_or_p=f"p = {welch_p(per['normalized'], per['standard']):.3g}",
                threshold=f"normalized < {EVEN} x standard; not reproduced only if larger at Welch p < 0.005")]


CLAIM = Claim(id="fig09", title="Fig. 9: weight-gradient spread across layers during training", order=9,
              experiments=("saturation",), needs=("stats",), stem="fig09_grad_w_training",
              draw=lambda d, c: draw(d.stats, c), judge=lambda d: judge(d.stats))
