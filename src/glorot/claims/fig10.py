"""Fig. 10: tanh with normalized init does not show Fig. 3's layer-by-layer saturation.

Experiment ``saturation`` (act/p98 during training, tanh, both inits). Paper: ``claims.fig10``.

Verdict: the number of tanh hidden layers whose seed-mean 98th percentile reaches Fig. 3's
``TANH_SAT_P98`` (the same level, so the two figures are judged alike), normalized vs standard.
Reproduced if fewer with normalized; inconclusive if standard has none (no contrast within the
budget); not reproduced only if every normalized seed has at least as many saturating layers as the
most of any standard seed (beyond the seeds' spread); otherwise inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.claims.fig03 import TANH_SAT_P98, p98, saturation_times
from glorot.judging import INCONCLUSIVE, all_seeds, decide, missing, row
from glorot.plotting import EPOCH, n_seeds, percentile_panel, title


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    percentile_panel(ax, stats[(stats.activation == "tanh") & (stats.init == "normalized")], "Tanh N")
    ax.set_xlabel(f"Epochs of {EPOCH:,} updates")
    title(fig, "Fig. 10: as Fig. 3, tanh with normalized init", caption)
    return fig


def _count(df) -> int:
    return int(np.isfinite(saturation_times(df)).sum())


def judge(stats: pd.DataFrame) -> list[dict]:
    tanh = stats[stats.activation == "tanh"]
    if p98(tanh[tanh.init == "normalized"]).empty or p98(tanh[tanh.init == "standard"]).empty:
        return [missing("fig10", "no tanh act/p98 statistics for both inits")]
    nn_, ns = _count(tanh[tanh.init == "normalized"]), _count(tanh[tanh.init == "standard"])
    per = {i: [_count(g) for _, g in tanh[tanh.init == i].groupby("seed")] for i in ("normalized", "standard")}
    worst_std = max(per["standard"]) if per["standard"] else 0
    against = worst_std > 0 and all_seeds(per["normalized"], lambda x: x >= worst_std)
    v = INCONCLUSIVE if ns == 0 and not against else decide(nn_ < ns, against)
    return [row("fig10", f"number of tanh layers whose p98 reaches {TANH_SAT_P98}, normalized vs standard",
                f"normalized {nn_} vs standard {ns}; n={n_seeds(tanh)}", "no layer-by-layer saturation with normalized",
                v, n=n_seeds(tanh), spread_or_p="per seed: normalized " + "/".join(map(str, per["normalized"]))
                + ", standard " + "/".join(map(str, per["standard"])),
                threshold="fewer with normalized; not reproduced if every normalized seed has >= the most of standard's")]


CLAIM = Claim(id="fig10", title="Fig. 10: no layer-by-layer saturation with normalized init", order=10,
              experiments=("saturation",), needs=("stats",), stem="fig10_tanh_normalized",
              draw=lambda d, c: draw(d.stats, c), judge=lambda d: judge(d.stats))
