"""Sec. 4.2.1: the average singular value of the layer Jacobian dz^(i+1)/dz^i is about 0.5 with
standard init and 0.8 with normalized init (tanh 5x1000).

Experiment ``init_tanh`` (the recorder's Jacobian singular values at init). Paper numbers:
``jacobian.standard`` and ``jacobian.normalized`` in paper_numbers.yaml.

Verdict: the mean singular value over layers at init, per init. Reproduced if both are within
``TOL = 0.15`` of the paper's (the paper states one digit); not reproduced only if normalized's is
below standard's with Welch's p < 0.005 over the seeds; otherwise inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import paper
from glorot.claim import Claim
from glorot.judging import contradicts, decide, missing, row, welch_p
from glorot.plotting import TAB, band, hidden, n_seeds, over_seeds, title

TOL = 0.15


def draw(jacobian: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    j = hidden(jacobian)
    j = j[j.step == j.step.min()] if len(j) else j
    for i, init in enumerate(["standard", "normalized"]):
        d = over_seeds(j[j.init == init], ["layer"], "sv_mean").sort_values("layer")
        c = TAB(i)
        band(ax, d.layer, d["mean"], d["std"], c, marker="o", label=f"{init} (n={n_seeds(j[j.init == init])})")
        ref = paper.jacobian(init)
        if ref is not None:
            ax.axhline(ref, color=c, ls="--", lw=1, label=f"paper, {init}: {ref:g}")
    ax.set_xlabel("Hidden layer i (Jacobian dz^{i+1}/dz^i)")
    ax.set_ylabel("Mean singular value")
    ax.legend(fontsize=7)
    title(fig, "Layer-Jacobian mean singular value at init, tanh", caption)
    return fig


def judge(jac: pd.DataFrame) -> list[dict]:
    if jac.empty or set(jac.init) < {"standard", "normalized"}:
        return [missing("jacobian", "no Jacobian singular values for both inits")]
    j0 = jac[jac.step == jac.step.min()]
    j = j0.groupby("init").sv_mean.mean()
    per = {i: j0[j0.init == i].groupby("seed").sv_mean.mean().to_numpy() for i in ("standard", "normalized")}
    ps, pn = paper.jacobian("standard"), paper.jacobian("normalized")
    close = abs(j["standard"] - ps) <= TOL and abs(j["normalized"] - pn) <= TOL
    v = decide(close, contradicts(per["standard"], per["normalized"]))
    return [row("jacobian", f"mean singular value of dz^(i+1)/dz^i over layers at init (tolerance {TOL})",
                f"standard {j['standard']:.3f}, normalized {j['normalized']:.3f}; n={n_seeds(jac)}",
                f"standard {ps:g}, normalized {pn:g}", v, n=f"{len(per['standard'])},{len(per['normalized'])}",
                spread_or_p=f"p = {welch_p(per['standard'], per['normalized']):.3g}; standard "
                            f"{np.ptp(per['standard']):.3f} range, normalized {np.ptp(per['normalized']):.3f} range",
                threshold=f"both within {TOL} of the paper's; not reproduced only if normalized < standard at "
                          f"Welch p < 0.005")]


CLAIM = Claim(id="jacobian", title="Sec. 4.2.1: layer-Jacobian singular values at init", order=16,
              experiments=("init_tanh",), needs=("jacobian",), stem="ext_jacobian",
              draw=lambda d, c: draw(d.jacobian, c), judge=lambda d: judge(d.jacobian),
              paper_key="jacobian")
