"""Fig. 11: test error on Shapeset-3x2 during training; sigmoid depth 5 is the worst, stuck at the
majority-class error; Tanh N ends far below Tanh.

Experiments ``shapeset_table1`` (the five Table 1 configurations and sigmoid N, 5 layers) and its
companion ``shapeset_sigmoid4`` (the sigmoid depth-4 line: a stack has one depth, so it is its own
experiment). Paper numbers: Table 1's Shapeset column (``table1.rows``) and ``claims.fig11``.

Verdicts (each configuration at its lr chosen on validation error, ``glorot.table1``):
(a) sigmoid depth 5 has the highest mean final test error of the paper's five rows: reproduced if
    so; not reproduced only if another paper row is worse than it with Welch's p < 0.005 (a
    non-significant reorder is inconclusive).
(b) it stays stuck at the majority-class error (``shapeset.MAJORITY_ERROR``, 83.3%; the paper's
    82.61%) while the others learn: reproduced if its mean error >= majority - ``STUCK_TOL = 0.05``
    and the best other paper row is below majority - ``LEARNED_GAP = 0.10`` (the others have
    clearly left the majority class); not reproduced only if every sigmoid seed is below
    ``LEARNED_SIGMOID = 0.60`` (clearly learned); otherwise inconclusive.
(c) Tanh N below Tanh: Welch's t-test as in Table 1 (``glorot.judging.pairwise``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import paper, table1
from glorot.claim import Claim
from glorot.judging import all_seeds, contradicts, decide, missing, pairwise, row, spread
from glorot.plotting import band, title

STUCK_TOL = 0.05
LEARNED_GAP = 0.10
LEARNED_SIGMOID = 0.60


def chosen_curves(members: pd.DataFrame, metrics: pd.DataFrame) -> list[dict]:
    """Test-error curves per (depth, activation, init), each at its lr chosen on mean final validation
    error (``table1.choose_lr``, one choice per depth: Fig. 11 mixes 4- and 5-layer networks)."""
    out = []
    test = metrics[metrics.split == "test"]
    for depth, mg in (members.groupby("depth") if "depth" in members else [(None, members)]):
        tg = test[test.depth == depth] if depth is not None and "depth" in test else test
        chosen = table1.choose_lr(mg)
        m = table1.at_chosen_lr(mg, tg if "data" in tg else tg.assign(data=mg.get("data", "mnist").iloc[0]), chosen)
        for (act, init), g in m.groupby(["activation", "init"]):
            d = g.groupby("examples_seen").error.agg(["mean", "std", "count"]).reset_index()
            last = g[g.step == g.step.max()]
            out.append(dict(depth=depth, activation=act, init=init, curve=d, final=float(last.error.mean()),
                            lr=float(chosen[(chosen.activation == act) & (chosen.init == init)].lr.iloc[0]),
                            n=int(last.seed.nunique()) if "seed" in last else int(d["count"].max())))
    return sorted(out, key=lambda c: -c["final"])  # worst first: the paper orders its legend by final error


def label(activation: str, init: str, depth, depths) -> str:
    """The paper's Fig. 11 names: 'Sigmoid depth 5' / 'Sigmoid depth 4' where depths differ."""
    lab = paper.config_label(activation, init)
    if activation == "sigmoid" and init == "standard" and depth is not None and len(depths) > 1:
        lab = f"{lab} depth {int(depth)}"
    elif depth is not None and len(depths) > 1 and depth != max(depths):
        lab = f"{lab} depth {int(depth)}"
    paper_rows = {(r["activation"], r["init"]) for r in paper.table1_rows()}
    return lab if (activation, init) in paper_rows else f"{lab} (extra)"


def draw(members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Test error vs examples seen on Shapeset-3x2: sigmoid depth 4 and 5, tanh, softsign, softsign N,
    tanh N (and sigmoid N, extra), each at its chosen lr, legend ordered by final error (worst
    first), with the majority-class error as a reference line."""
    from glorot.shapeset import MAJORITY_ERROR  # noqa: PLC0415 - torch only when this figure is drawn

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    curves = chosen_curves(members, metrics)
    depths = sorted({c["depth"] for c in curves if c["depth"] is not None})
    colors = plt.get_cmap("tab10")
    for i, c in enumerate(curves):
        d = c["curve"]
        lab = label(c["activation"], c["init"], c["depth"], depths)
        band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), colors(i),
             ls="--" if lab.endswith("(extra)") else "-",
             label=f"{lab} (lr {c['lr']:g}, n={c['n']}): {100 * c['final']:.2f}%")
    ax.axhline(100 * MAJORITY_ERROR, color="grey", ls=":", lw=1.2,
               label=f"majority-class error ({100 * MAJORITY_ERROR:.1f}%)")
    ax.set_xlabel("Number of examples seen")
    ax.set_ylabel("Test error (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="lower left")
    title(fig, "Fig. 11: test error on Shapeset-3x2 during training, each configuration at its chosen lr "
               "(legend ordered by final error, worst first)", caption)
    return fig


def judge(members: pd.DataFrame) -> list[dict]:
    from glorot.shapeset import MAJORITY_ERROR  # noqa: PLC0415

    if members.empty:
        return [missing("fig11", "no shapeset_table1 members")]
    five = members[members.depth == 5] if "depth" in members else members
    t = table1.table1(five)
    rows5 = t[t.paper_test_error.notna()]
    sig = rows5[(rows5.activation == "sigmoid") & (rows5.init == "standard")]
    if sig.empty:
        return [missing("fig11", "no 5-layer sigmoid standard-init row")]
    sig_err = float(sig.test_error_mean.iloc[0])
    sig_seeds = table1.errors_at_chosen(five, "sigmoid", "standard")
    worst = rows5.loc[rows5.test_error_mean.idxmax()]
    vals = ", ".join(f"{r.config} {100 * r.test_error_mean:.2f}%" for r in rows5.itertuples())
    others = rows5[~((rows5.activation == "sigmoid") & (rows5.init == "standard"))]
    # the claim: every other row below sigmoid; contradicted by a row significantly above it
    worse_than_sig = [r.config for r in others.itertuples()
                      if contradicts(table1.errors_at_chosen(five, r.activation, r.init), sig_seeds)]
    out = [row("fig11", "final test error at the chosen lr on Shapeset, worst of the paper's five rows (5 layers)",
               f"worst: {worst.config}; {vals}; n={int(rows5.n.min())}", "Sigmoid (depth 5) worst",
               decide((worst.activation, worst.init) == ("sigmoid", "standard"), bool(worse_than_sig)),
               n=int(rows5.n.min()), spread_or_p="significantly worse than sigmoid (p < 0.005): "
                                                 + (", ".join(worse_than_sig) or "none"),
               threshold="highest mean; not reproduced only if another row is worse at Welch p < 0.005")]
    best_other = float(others.test_error_mean.min()) if len(others) else np.nan
    four = members[(members.depth == 4) & (members.activation == "sigmoid")] if "depth" in members else members.iloc[0:0]
    d4 = ""
    if len(four):
        t4 = table1.table1(four)
        d4 = f"; sigmoid depth 4: {100 * t4.test_error_mean.iloc[0]:.2f}% (n={int(t4.n.iloc[0])})"
    stuck = sig_err >= MAJORITY_ERROR - STUCK_TOL and best_other < MAJORITY_ERROR - LEARNED_GAP
    v = decide(stuck, all_seeds(sig_seeds, lambda x: x < LEARNED_SIGMOID))
    out.append(row("fig11", f"sigmoid depth 5 final test error vs the majority-class error {100 * MAJORITY_ERROR:.1f}%: "
                            f"stuck if >= {100 * (MAJORITY_ERROR - STUCK_TOL):.1f}% while the best other row is "
                            f"< {100 * (MAJORITY_ERROR - LEARNED_GAP):.1f}%; learned if < {100 * LEARNED_SIGMOID:.0f}%",
                   f"sigmoid depth 5 {100 * sig_err:.2f}%, best other {100 * best_other:.2f}%{d4}; "
                   f"n={int(sig.n.iloc[0])}",
                   f"sigmoid depth 5 {paper.table1_value('sigmoid', 'standard', 'Shapeset')}% "
                   f"(majority {100 * MAJORITY_ERROR:.1f}%)", v, n=int(sig.n.iloc[0]),
                   spread_or_p=spread(sig_seeds, "{:.2f}%", 100),
                   threshold=f"not reproduced only if every seed < {100 * LEARNED_SIGMOID:.0f}%"))
    out.append(pairwise("fig11", table1.errors_at_chosen(five, "tanh", "normalized"),
                        table1.errors_at_chosen(five, "tanh", "standard"), ("Tanh N", "Tanh"),
                        (paper.table1_value("tanh", "normalized", "Shapeset"),
                         paper.table1_value("tanh", "standard", "Shapeset"))))
    return out


CLAIM = Claim(id="fig11", title="Fig. 11: Shapeset-3x2 test error; sigmoid depth 5 stuck at the majority class",
              order=11, experiments=("shapeset_table1", "shapeset_sigmoid4"), needs=("members", "metrics"),
              stem="fig11_test_error", draw=lambda d, c: draw(d.members, d.metrics, c),
              judge=lambda d: judge(d.members), paper_key="table1.rows (Shapeset), claims.fig11")
