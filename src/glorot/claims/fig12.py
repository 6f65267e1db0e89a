"""Fig. 12: test error on MNIST during training; normalized init (Tanh N) ends below Tanh.

Experiment ``table1`` (the Table 1 runs on MNIST: 5 layers, each configuration over an lr grid).
Paper numbers: Table 1's MNIST column (``table1.rows``) and ``claims.fig12``.

Verdict: Tanh N's mean final test error below Tanh's at their chosen lrs, Welch's t-test at the
paper's p < 0.005 (``glorot.judging.pairwise``: not reproduced only if Tanh N is significantly worse).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from glorot import paper, table1
from glorot.claim import Claim
from glorot.judging import missing, pairwise
from glorot.plotting import band, title


def error_curves(ax, members: pd.DataFrame, metrics: pd.DataFrame, logy: bool = False) -> None:
    """Test error vs examples seen per configuration at its chosen lr, legend by final error."""
    chosen = table1.choose_lr(members)
    test = metrics[metrics.split == "test"]
    m = table1.at_chosen_lr(members, test if "data" in test else test.assign(data=metrics.get("data", "mnist")),
                            chosen)
    finals = (m[m.step == m.step.max()].groupby(["activation", "init"]).error.mean().sort_values(ascending=False))
    colors = plt.get_cmap("tab10")
    for i, (act, init) in enumerate(finals.index):  # legend ordered by final error, worst first (paper)
        g = m[(m.activation == act) & (m.init == init)]
        d = g.groupby("examples_seen").error.agg(["mean", "std", "count"]).reset_index()
        lr = chosen[(chosen.activation == act) & (chosen.init == init)].lr.iloc[0]
        band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), colors(i),
             label=f"{paper.config_label(act, init)} (lr {lr:g}, n={int(d['count'].max())}): "
                   f"{100 * finals.loc[(act, init)]:.2f}%")
    ax.set_xlabel("Number of examples seen")
    ax.set_ylabel("Test error (%)")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def draw(members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    error_curves(ax, members, metrics, logy=True)
    title(fig, "Fig. 12: test error on MNIST during training (log scale), 5 layers", caption)
    return fig


def judge(members: pd.DataFrame) -> list[dict]:
    if members.empty:
        return [missing("fig12", "no table1 members")]
    return [pairwise("fig12", table1.errors_at_chosen(members, "tanh", "normalized"),
                     table1.errors_at_chosen(members, "tanh", "standard"), ("Tanh N", "Tanh"),
                     (paper.table1_value("tanh", "normalized"), paper.table1_value("tanh", "standard")))]


CLAIM = Claim(id="fig12", title="Fig. 12: MNIST test error; Tanh N below Tanh", order=12,
              experiments=("table1",), needs=("members", "metrics"), stem="fig12_test_error_mnist",
              draw=lambda d, c: draw(d.members, d.metrics, c), judge=lambda d: judge(d.members),
              paper_key="table1.rows (MNIST), claims.fig12")
