"""He et al.: relu with Var[W] = 1/n halves the second moment at every layer (about 2^-29 after 30
layers); 2/n keeps it (ratio 1).

Experiment ``relu30`` (relu, 30 hidden layers, lecun and he; stats at the first record step).
Paper numbers: ``theory.relu_var_ratio`` (lecun 0.5, he 1) and ``claims.relu30_init``.

Verdict: the per-layer Var ratio, from a least-squares line through log2(std^2) vs layer over
layers 2..30 (layer 1 has the input's fan-in), of activations going up and of grad_s going down.
Reproduced if lecun's is within ``LECUN_OK = (0.35, 0.65)`` (theory 0.5) and he's within ``HE_OK =
(0.8, 1.25)`` (theory 1) for both signals; not reproduced only if, for every seed, lecun's is >=
``LECUN_BAD = 0.8`` or he's is outside ``HE_BAD = (0.65, 1.5)`` (the same failure in every seed);
otherwise inconclusive.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import paper
from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import decide, layer_stat, layer_stat_per_seed, missing, row
from glorot.plotting import TAB, n_seeds, over_seeds, stat, std_per_layer, theory_line, title

LECUN_OK, HE_OK = (0.35, 0.65), (0.8, 1.25)
LECUN_BAD, HE_BAD = 0.8, (0.65, 1.5)


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    theory = paper.numbers()["theory"]["relu_var_ratio"]
    s0 = stats[stats.step == stats.step.min()] if len(stats) else stats
    comp = TC.safe_compare(s0) if len(s0) else None
    for ax, signal, direction, ylabel in ((axes[0], "act", "up", "Std of activations"),
                                          (axes[1], "grad_s", "down", "Std of back-propagated gradient dC/ds")):
        std_per_layer(ax, s0, signal, ["lecun", "he"], ylabel)
        for i, init in enumerate(["lecun", "he"]):
            d = over_seeds(stat(s0, signal, "std", init=init), ["layer"]).sort_values("layer")
            if len(d) and init in theory:
                anchor = d["mean"].iloc[0] if direction == "up" else d["mean"].iloc[-1]
                theory_line(ax, d.layer, anchor, theory[init], direction, TAB(i))
        TC.theory_overlay(ax, comp, signal, ["lecun", "he"], ls=":", label_fmt="{init}: mean-field, absolute")
        ax.legend(fontsize=6.5)
    title(fig, "relu, 30 layers, at init: Var[W] = 1/n (lecun) vs 2/n (he); dashed: the per-layer ratio anchored "
               "at one end, dotted: the mean-field prediction", caption)
    fig.tight_layout()
    return fig


def per_layer_var_ratio(s: pd.Series) -> float:
    """Geometric-mean per-layer ratio of Var = std^2, from a least-squares line through log2(std^2)
    vs layer (robust to the first layer's different fan-in when there are many layers)."""
    x = np.asarray(s.index, float)
    y = np.log2(np.asarray(s.values, float) ** 2)
    if len(x) > 3:
        x, y = x[1:], y[1:]  # layer 1 has fan-in = input size, not width
    slope = np.polyfit(x, y, 1)[0]
    return float(2 ** slope)


def _ratios(get) -> dict:
    out = {}
    for init in ("lecun", "he"):
        for sig, up in (("act", True), ("grad_s", False)):
            r = per_layer_var_ratio(get(sig, init))
            out[(init, sig)] = r if up else 1 / r  # going down: ratio from layer l+1 to l
    return out


def _bad(r: dict) -> bool:
    return any(r[("lecun", s)] >= LECUN_BAD for s in ("act", "grad_s")) or any(
        not HE_BAD[0] <= r[("he", s)] <= HE_BAD[1] for s in ("act", "grad_s"))


def judge(stats: pd.DataFrame) -> list[dict]:
    for init in ("lecun", "he"):
        for sig in ("act", "grad_s"):
            if len(layer_stat(stats, sig, init=init)) < 3:
                return [missing("relu30_init", f"no {sig}/std statistics at init for {init}")]
    out = _ratios(lambda sig, init: layer_stat(stats, sig, init=init))
    seeds = sorted(stats.seed.unique()) if "seed" in stats else []
    per = [_ratios(lambda sig, init, k=k: layer_stat_per_seed(stats, sig, init=init)[k]) for k in seeds]
    lec = [out[("lecun", s)] for s in ("act", "grad_s")]
    he = [out[("he", s)] for s in ("act", "grad_s")]
    ok = all(LECUN_OK[0] <= x <= LECUN_OK[1] for x in lec) and all(HE_OK[0] <= x <= HE_OK[1] for x in he)
    bad = bool(per) and all(_bad(p) for p in per)
    th = paper.numbers()["theory"]["relu_var_ratio"]
    sp = "per seed: " + "; ".join(f"lecun {p[('lecun', 'act')]:.3f}/{p[('lecun', 'grad_s')]:.3f}, he "
                                  f"{p[('he', 'act')]:.3f}/{p[('he', 'grad_s')]:.3f}" for p in per)
    return [row("relu30_init", "per-layer Var ratio (log-linear fit over layers 2..30): act going up, grad_s going down",
                f"lecun act {lec[0]:.3f}, grad_s {lec[1]:.3f}; he act {he[0]:.3f}, grad_s {he[1]:.3f}; n={n_seeds(stats)}",
                f"lecun {th['lecun']:g}, he {th['he']:g}", decide(ok, bad), n=n_seeds(stats), spread_or_p=sp,
                threshold=f"lecun in {LECUN_OK}, he in {HE_OK}; not reproduced if every seed has lecun >= {LECUN_BAD} "
                          f"or he outside {HE_BAD}")]


CLAIM = Claim(id="relu30_init", title="He et al.: 30-layer relu at init, 1/n halves the signal per layer, 2/n keeps it",
              order=14, experiments=("relu30",), needs=("stats",), stem="ext_relu30_init",
              draw=lambda d, c: draw(d.stats, c),
              judge=lambda d: judge(d.stats) + TC.context_rows(d.stats, "relu30_init", ("act", "grad_s")),
              paper_key="theory.relu_var_ratio, claims.relu30_init")
