"""He et al.: with relu, Var[W] = 2/n keeps the per-layer signal level; Xavier-style normalized
init (about 1/n) shrinks it.

Experiment ``init_relu`` (relu 5x1000 at init, normalized and he). Paper: ``claims.relu_init``.

Verdict: act std, last / first hidden layer, at init. Reproduced if he's is within ``HE_LEVEL =
(0.7, 1.4)`` (level: a factor sqrt(2) either way over 4 layers), normalized's below ``SHRINK = 0.8``
and below he's. Not reproduced only if every he seed is outside ``HE_FAR = (0.5, 2.0)``, or
normalized's ratio is above he's with Welch's p < 0.005; otherwise inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import all_seeds, contradicts, decide, layer_stat, layer_stat_per_seed, missing, row, spread
from glorot.plotting import n_seeds, title

HE_LEVEL = (0.7, 1.4)
HE_FAR = (0.5, 2.0)
SHRINK = 0.8


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Std of activations and of dC/ds per layer at init (log y), measured (markers, band over seeds)
    with the mean-field prediction dashed beside it (glorot.theory_claims: for relu, He et al.'s
    (n Var[W] / 2)^(1/2) per layer), its |measured / predicted - 1| in the legend."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    comp = TC.safe_compare(stats) if len(stats) else None
    TC.std_theory_panel(axes[0], stats, comp, "act", ["normalized", "he"], "Std of activations", "")
    TC.std_theory_panel(axes[1], stats, comp, "grad_s", ["normalized", "he"], "Std of back-propagated gradient dC/ds", "")
    shape = f"{int(stats.depth.max())}x{int(stats.width.max())}" if len(stats) else "5x1000"
    title(fig, f"relu {shape} at init: normalized (Xavier) vs he init, against the mean-field prediction", caption)
    fig.tight_layout()
    return fig


def judge(stats: pd.DataFrame) -> list[dict]:
    r, per = {}, {}
    for init in ("normalized", "he"):
        s = layer_stat(stats, "act", init=init)
        if len(s) < 2:
            return [missing("relu_init", f"no act/std statistics at init for {init}")]
        ps = layer_stat_per_seed(stats, "act", init=init)
        r[init] = float(s.loc[s.index.max()] / s.loc[s.index.min()])
        per[init] = (ps.loc[s.index.max()] / ps.loc[s.index.min()]).to_numpy(float)
    ok = HE_LEVEL[0] <= r["he"] <= HE_LEVEL[1] and r["normalized"] < SHRINK and r["normalized"] < r["he"]
    bad = all_seeds(per["he"], lambda x: not HE_FAR[0] <= x <= HE_FAR[1]) or contradicts(per["normalized"], per["he"])
    return [row("relu_init", "act std, last / first hidden layer at init",
                f"he {r['he']:.3f}, normalized {r['normalized']:.3f}; n={n_seeds(stats)}",
                "he level (~1), normalized shrinks", decide(ok, bad), n=n_seeds(stats),
                spread_or_p=f"he {spread(per['he'])}; normalized {spread(per['normalized'])}",
                threshold=f"he in {HE_LEVEL}, normalized < {SHRINK} and < he; not reproduced if every he seed "
                          f"outside {HE_FAR} or normalized > he at Welch p < 0.005")]


CLAIM = Claim(id="relu_init", title="He et al.: relu at init, 2/n keeps the signal, normalized shrinks it",
              order=13, experiments=("init_relu",), needs=("stats",), stem="ext_relu_init",
              draw=lambda d, c: draw(d.stats, c),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "relu_init", ("act", "grad_s")))
