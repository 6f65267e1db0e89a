"""Pitfall: symmetric init (all weights zero, or one constant) never breaks the symmetry between
the units of a layer, and the network does not learn; normalized init breaks it and learns.

Experiment ``pitfall_zeros`` (tanh; inits zeros, constant:<c>, normalized; the recorder's
``act``/``unit_spread``: std across the units of a layer, per monitor example, averaged over
examples). Paper text (from tutorials, not from the paper): ``claims.pitfall_zeros``.

Thresholds: ``FLOAT_NOISE = 1e-5``: a unit spread below this is float noise (activations are O(1),
float32 rounding of identical computations is ~1e-7); ``BROKEN = 1e-2``: a layer whose units spread
more than this has broken symmetry. ``LEARNS = 0.5`` / ``STALLS = 0.8`` on the final test error
(chance 0.9).

(a) Symmetry: the largest unit spread over layers, steps and seeds, per symmetric init, below
    FLOAT_NOISE while normalized init's smallest end-of-training spread over layers exceeds BROKEN:
    reproduced; a symmetric init above BROKEN (in any seed: the claim is deterministic): not
    reproduced; else inconclusive.
(b) Stuck: with zeros only the output biases learn, so zeros must stay above STALLS (the class
    priors); one constant makes every layer a single unit (a 784 -> 1 -> ... -> 10 chain), which can
    learn a little but not the task: above LEARNS. Reproduced if so and normalized < LEARNS; not
    reproduced only if every seed of a symmetric init learns (< LEARNS) or every normalized seed
    stalls (> STALLS); else inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.judging import all_seeds, decide, missing, row, spread
from glorot.nn import split_spec
from glorot.plotting import FLOOR, TAB, band, n_seeds, over_seeds, stat, title_with_n

FLOAT_NOISE = 1e-5
BROKEN = 1e-2
LEARNS, STALLS = 0.5, 0.8
SYMMETRIC = ("zeros", "constant")  # init names whose rows are all equal


def _init_name(spec: str) -> str:
    return split_spec(spec)[0]


def draw(stats: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Left: unit spread per layer (log y; exact 0 drawn at FLOOR) vs updates, per init.
    Right: test error vs examples seen, per init (mean, band = std over seeds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    s = stat(stats, "act", "unit_spread")
    inits = sorted(set(s.init) if len(s) else set(), key=lambda i: (_init_name(i) not in SYMMETRIC, i))
    for i, init in enumerate(inits):
        d = over_seeds(s[s.init == init], ["layer", "step"])
        layers = sorted(d.layer.unique())
        for j, l in enumerate(layers):
            g = d[d.layer == l].sort_values("step")
            axes[0].plot(g.step, np.maximum(g["mean"], FLOOR), color=TAB(i), marker="o", ms=3, lw=1,
                         alpha=0.4 + 0.6 * (j + 1) / len(layers),
                         label=f"{init} (n={n_seeds(s[s.init == init])})" if j == len(layers) - 1 else None)
    axes[0].axhline(FLOAT_NOISE, color="grey", ls=":", lw=1, label=f"float-noise threshold {FLOAT_NOISE:g}")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("Updates (lines: hidden layers, darker = higher)")
    axes[0].set_ylabel(f"Spread between units (std across units)\nexact 0 drawn at {FLOOR:g}")
    axes[0].legend(fontsize=7)
    t = metrics[metrics.split == "test"] if len(metrics) and "split" in metrics else metrics
    for i, init in enumerate(inits):
        g = t[t.init == init] if len(t) else t
        if g.empty:
            continue
        d = g.groupby("examples_seen").error.agg(["mean", "std"]).reset_index()
        band(axes[1], d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), TAB(i),
              label=f"{init} (n={n_seeds(g)}): final {100 * d['mean'].iloc[-1]:.1f}%")
    axes[1].axhline(90, color="grey", ls=":", lw=1, label="chance (90%)")
    axes[1].set_xlabel("Number of examples seen")
    axes[1].set_ylabel("Test error (%)")
    axes[1].legend(fontsize=7)
    title_with_n(fig, "Pitfall: symmetric init (zeros, one constant) vs normalized, tanh: symmetry never breaks",
                 caption, s)
    fig.tight_layout()
    return fig


def judge(stats: pd.DataFrame, members: pd.DataFrame) -> list[dict]:
    """(a) Symmetry: the largest unit spread over layers and record steps, per symmetric init
    (zeros, constant), below FLOAT_NOISE, while normalized init's smallest end-of-training spread over
    layers exceeds BROKEN: reproduced; a symmetric init above BROKEN: not reproduced; else
    inconclusive. (b) Stuck: with zeros only the output biases can learn, so zeros must stay above
    STALLS (the class priors); one constant makes every layer a single unit (a 784 -> 1 -> ... -> 10
    chain), which can learn a little but not the task: above LEARNS. Reproduced if so and normalized
    < LEARNS; not reproduced if a symmetric init gets below LEARNS or normalized stays above STALLS;
    else inconclusive."""
    fig = "pitfall_zeros"
    rows = []
    s = stat(stats, "act", "unit_spread")
    sym = sorted(i for i in set(s.init) if _init_name(i) in SYMMETRIC) if len(s) else []
    if s.empty or not sym or "normalized" not in set(s.init):
        rows.append(missing(fig, "no act/unit_spread statistics for a symmetric init and normalized"))
    else:
        worst = {i: float(s[s.init == i].value.max()) for i in sym}
        last = s[(s.init == "normalized") & (s.step == s[s.init == "normalized"].step.max())]
        norm = float(last.groupby("layer").value.mean().min())
        ok = all(w < FLOAT_NOISE for w in worst.values()) and norm > BROKEN
        bad = any(w > BROKEN for w in worst.values()) or norm <= FLOAT_NOISE
        val = "; ".join(f"{i}: max {w:.2g}" for i, w in worst.items())
        rows.append(row(fig, f"spread between units of a layer (act/unit_spread), max over layers and steps; "
                               f"float noise < {FLOAT_NOISE:g}, broken > {BROKEN:g}",
                          f"{val}; normalized at the end: min over layers {norm:.3g}; n={n_seeds(s)}, "
                          f"{s.step.nunique()} record steps",
                          "symmetric inits stay at float noise; random init breaks symmetry",
                          decide(ok, bad), n=n_seeds(s), spread_or_p="max over seeds and steps",
                          threshold=f"symmetric < {FLOAT_NOISE:g} and normalized > {BROKEN:g}; not reproduced if a "
                                    f"symmetric init's units spread > {BROKEN:g} in any seed (a deterministic claim: "
                                    f"one seed breaking symmetry contradicts it)"))
    if members.empty or "final_test_error" not in members or not sym and not (
            set(members.init.map(_init_name)) & set(SYMMETRIC)):
        rows.append(missing(fig, "no pitfall_zeros members"))
        return rows
    err = members.final_test_error.fillna(1.0).groupby(members.init).mean()
    sym = [i for i in err.index if _init_name(i) in SYMMETRIC]
    if not sym or "normalized" not in err:
        rows.append(missing(fig, "no members for a symmetric init and normalized"))
        return rows
    ok = all(err[i] > (STALLS if _init_name(i) == "zeros" else LEARNS) for i in sym) and err["normalized"] < LEARNS
    seeds = members.assign(e=members.final_test_error.fillna(1.0)).groupby("init").e.agg(list)
    bad = any(all_seeds(seeds[i], lambda x: x < LEARNS) for i in sym) or all_seeds(seeds["normalized"],
                                                                                    lambda x: x > STALLS)
    rows.append(row(fig, f"final test error (mean over seeds); zeros stuck > {STALLS}, constant and normalized "
                           f"vs {LEARNS}",
                      "; ".join(f"{i} {100 * err[i]:.1f}%" for i in sym)
                      + f"; normalized {100 * err['normalized']:.1f}%; n={n_seeds(members)}",
                      "zeros: class priors only; constant: one unit per layer, does not learn the task; normalized learns",
                      decide(ok, bad), n=n_seeds(members),
                      spread_or_p="; ".join(f"{i} {spread(seeds[i], '{:.1f}%', 100)}" for i in [*sym, "normalized"]),
                      threshold=f"not reproduced only if every seed of a symmetric init < {LEARNS} or every "
                                f"normalized seed > {STALLS}"))
    return rows


CLAIM = Claim(id="pitfall_zeros", title="Pitfall: symmetric init never breaks the symmetry", order=17,
              experiments=("pitfall_zeros",), needs=("stats",), stem="pitfall_zeros",
              draw=lambda d, c: draw(d.stats, d.metrics, c), judge=lambda d: judge(d.stats, d.members))
