"""Pitfall: too small N(0, 0.01^2) and too large N(0, 1) weights at depth 10, against normalized
(tanh) and he (relu).

Experiment ``pitfall_scale`` (tanh and relu, depth 10; per-layer std at init and training curves;
diverged members shown). Paper text (tutorials, Sec. 4.2, He et al.): ``claims.pitfall_scale``.

Thresholds on the std ratio across the 10 layers: ``VANISH = 1e-3`` (vanishing below: 1/1000 of the
input's scale after 10 layers), ``EXPLODE = 1e3`` (exploding above), ``LEVEL = (0.1, 10)`` (keeps the
scale); ``SATURATED = 0.5``: a mean share of saturated tanh units (|z| > 0.99) above a half;
``LEARNS = 0.5`` / ``STALLS = 0.8`` on the final test error (chance 0.9; diverged = 100%).

At init (first record step), per (activation, init): act std ratio top / bottom hidden layer, grad_s
std ratio bottom / top, mean saturated share of tanh units. Reproduced if N(0, 0.01^2) vanishes
(both ratios < VANISH) for tanh and relu, relu N(0, 1) explodes (act ratio > EXPLODE), tanh N(0, 1)
saturates (share > SATURATED), tanh normalized and relu he keep both ratios within LEVEL; not
reproduced only if one of these checks fails in every seed; else inconclusive.
Training: reproduced if tanh normalized and relu he learn (mean < LEARNS), both N(0, 0.01^2) stall
(> STALLS) and relu N(0, 1) diverges or stalls; not reproduced only if every seed of a 'learns' row
stalls or every seed of a 'stalls' row learns; else inconclusive. Tanh N(0, 1) is reported.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import all_seeds, decide, missing, row, spread
from glorot.plotting import FLOOR, TAB, band, n_seeds, per_layer_at, title_with_n

VANISH, EXPLODE = 1e-3, 1e3
LEVEL = (0.1, 10.0)
SATURATED = 0.5
LEARNS, STALLS = 0.5, 0.8

SCALE_ROLES = {  # (activation, init) -> role in the claim
    ("tanh", "normal:0.01"): "small", ("relu", "normal:0.01"): "small",
    ("tanh", "normal:1.0"): "saturates", ("relu", "normal:1.0"): "explodes",
    ("tanh", "normalized"): "level", ("relu", "he"): "level",
}


ROLE_NAMES = [f"{a} {i} {role}" for (a, i), role in SCALE_ROLES.items()]


def _init_checks(a: pd.DataFrame, g: pd.DataFrame, sat: pd.DataFrame):
    """Ratios per (activation, init), tanh N(0, 1)'s saturated share, and one pass/fail per role."""
    def ratio(d, act, init, up):
        s = d[(d.activation == act) & (d.init == init)].set_index("layer")["mean"].sort_index()
        return float(s.iloc[-1] / s.iloc[0]) if up else float(s.iloc[0] / s.iloc[-1])

    r = {k: (ratio(a, *k, True), ratio(g, *k, False)) for k in SCALE_ROLES}
    sat_t = float(sat[(sat.activation == "tanh") & (sat.init == "normal:1.0")]["mean"].mean()) \
        if len(sat) else float("nan")
    checks = []
    for k, role in SCALE_ROLES.items():
        ra, rg = r[k]
        if role == "small":
            checks.append(ra < VANISH and rg < VANISH)
        elif role == "explodes":
            checks.append(ra > EXPLODE)
        elif role == "saturates":
            checks.append(sat_t > SATURATED)
        else:
            checks.append(LEVEL[0] <= ra <= LEVEL[1] and LEVEL[0] <= rg <= LEVEL[1])
    return r, sat_t, checks


def _inits_order(df) -> list[str]:
    pref = ["normal:0.01", "normal:1.0", "normalized", "he"]
    have = list(dict.fromkeys(df.init)) if len(df) else []
    return [i for i in pref if i in have] + sorted(i for i in have if i not in pref)


def _diverged(members: pd.DataFrame) -> pd.DataFrame:
    if members.empty or "status" not in members:
        return members.iloc[0:0]
    return members[members.status == "diverged"]


def draw(stats: pd.DataFrame, members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Rows: activation std per layer at init, grad_s std per layer at init (log y), test error during
    training; columns: tanh, relu. Diverged members: their curve ends with an 'x' at the divergence
    (metrics are NaN after it) and the legend says how many diverged."""
    acts = [a for a in ("tanh", "relu") if len(stats) and a in set(stats.activation)] or ["tanh", "relu"]
    fig, axes = plt.subplots(3, len(acts), figsize=(6.2 * len(acts), 11), squeeze=False)
    inits = _inits_order(stats if len(stats) else members)
    color = {i: TAB(k) for k, i in enumerate(inits)}
    s0 = stats[stats.step == stats.step.min()] if len(stats) else stats
    comp = TC.safe_compare(s0) if len(s0) else None
    for col, act in enumerate(acts):
        for r_i, (signal, ylabel) in enumerate((("act", "Std of activations at init"),
                                                ("grad_s", "Std of dC/ds at init"))):
            ax = axes[r_i, col]
            d = per_layer_at(stats, signal, "std")
            d = d[d.activation == act]
            for init in inits:
                g = d[d.init == init].sort_values("layer")
                if g.empty:
                    continue
                band(ax, g.layer, np.maximum(g["mean"], FLOOR), g["std"], color[init], marker="o",
                      label=f"{init} (n={int(g['count'].max())})")
            if comp is not None:
                TC.theory_overlay(ax, comp[comp.activation == act], signal, inits, colors=color,
                                  label_fmt="{init}: mean-field")
            ax.set_yscale("log")
            ax.set_xlabel("Hidden layer")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{act} (dashed: mean-field prediction)", fontsize=9)
            if ax.get_legend_handles_labels()[0]:  # an empty panel (no runs of this activation) has none
                ax.legend(fontsize=5.5, ncol=2, framealpha=0.6)
        ax = axes[2, col]
        t = metrics[(metrics.split == "test") & (metrics.activation == act)] if len(metrics) else metrics
        dead = _diverged(members)
        dead = dead[dead.activation == act] if len(dead) else dead
        for init in inits:
            g = t[t.init == init] if len(t) else t
            if g.empty:
                continue
            n = n_seeds(g)
            nd = int((dead.init == init).sum()) if len(dead) else 0
            d = g.groupby("examples_seen").error.agg(["mean", "std"]).reset_index()
            lab = f"{init} (n={n})" + (f": {nd}/{n} diverged (x)" if nd else "")
            band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), color[init], label=lab)
            for seed in sorted(set(g.seed)):  # each member's last finite point before divergence
                gs = g[(g.seed == seed)].sort_values("examples_seen")
                if nd and gs.error.isna().any():
                    fin = gs[gs.error.notna()]
                    x0 = fin.examples_seen.iloc[-1] if len(fin) else 0
                    y0 = 100 * fin.error.iloc[-1] if len(fin) else 90
                    ax.plot([x0], [y0], marker="x", color=color[init], ms=9, mew=2)
        ax.axhline(90, color="grey", ls=":", lw=1, label="chance (90%)")
        ax.set_xlabel("Number of examples seen")
        ax.set_ylabel("Test error (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7)
    title_with_n(fig, "Pitfall: too small N(0, 0.01^2) and too large N(0, 1) weights, depth 10, "
                      "against normalized / he", caption, stats if len(stats) else members)
    fig.tight_layout()
    return fig


def judge(stats: pd.DataFrame, members: pd.DataFrame) -> list[dict]:
    """At init and after training; the rules and their thresholds are in the module docstring."""
    fig = "pitfall_scale"
    rows = []
    a = per_layer_at(stats, "act", "std")
    g = per_layer_at(stats, "grad_s", "std")
    sat = per_layer_at(stats, "act", "sat")
    need = set(SCALE_ROLES)
    have = set(zip(a.activation, a.init)) & set(zip(g.activation, g.init))
    if not need <= have:
        rows.append(missing(fig, f"no act/grad_s std at init for {sorted(need - have)}"))
    else:
        r, sat_t, checks = _init_checks(a, g, sat)
        per = [_init_checks(*(per_layer_at(x, sg, st) for sg, st in (("act", "std"), ("grad_s", "std"), ("act", "sat"))))[2]
               for _, x in stats.groupby("seed")]
        failing = [name for i, name in enumerate(ROLE_NAMES) if per and all(not p[i] for p in per)]
        val = "; ".join(f"{act} {init}: act {r[(act, init)][0]:.2g}, grad_s {r[(act, init)][1]:.2g}"
                        for act, init in SCALE_ROLES)
        rows.append(row(fig, f"at init: act std layer 10 / layer 1, grad_s std layer 1 / layer 10; vanish < "
                               f"{VANISH:g}, explode > {EXPLODE:g}, level in {LEVEL}; tanh saturated share "
                               f"(|z| > 0.99) > {SATURATED}",
                          f"{val}; tanh normal:1.0 saturated share {sat_t:.2f}; n={n_seeds(stats)}",
                          "0.01: vanishes; 1.0: relu explodes, tanh saturates (its dC/ds still grows going down); "
                          "normalized/he level",
                          decide(all(checks), bool(failing)), n=n_seeds(stats),
                          spread_or_p="checks failing in every seed: " + (", ".join(failing) or "none"),
                          threshold="reproduced if every check passes on the seed means; not reproduced only if "
                                    "a check fails in every seed"))
    if members.empty or "final_test_error" not in members:
        rows.append(missing(fig, "no pitfall_scale members"))
        return rows
    m = members.assign(err=members.final_test_error.fillna(1.0))
    e = m.groupby(["activation", "init"]).err.mean()
    ndiv = _diverged(members).groupby(["activation", "init"]).size() if len(_diverged(members)) else pd.Series(
        dtype=int)
    if not set(SCALE_ROLES) <= set(e.index):
        rows.append(missing(fig, "no members for every (activation, init) of the claim"))
        return rows
    learn = [("tanh", "normalized"), ("relu", "he")]
    stall = [("tanh", "normal:0.01"), ("relu", "normal:0.01"), ("relu", "normal:1.0")]
    ok = all(e[k] < LEARNS for k in learn) and all(e[k] > STALLS for k in stall)
    per = m.groupby(["activation", "init"]).err.agg(list)
    bad = any(all_seeds(per[k], lambda x: x > STALLS) for k in learn) or any(
        all_seeds(per[k], lambda x: x < LEARNS) for k in stall)

    def lab(k):
        d = int(ndiv.get(k, 0))
        return f"{k[0]} {k[1]} {100 * e[k]:.1f}%" + (f" ({d} diverged)" if d else "")

    rows.append(row(fig, f"final test error (mean over seeds, diverged = 100%); learns < {LEARNS}, "
                           f"stalls > {STALLS}",
                      "; ".join(lab(k) for k in learn + stall + [("tanh", "normal:1.0")]) + f"; n={n_seeds(members)}",
                      "normalized/he learn; N(0, 0.01^2) stalls; relu N(0, 1) diverges",
                      decide(ok, bad), n=n_seeds(members),
                      spread_or_p="; ".join(f"{k[0]} {k[1]} {spread(per[k], '{:.1f}%', 100)}" for k in learn + stall),
                      threshold=f"not reproduced only if every seed of a 'learns' row > {STALLS} or of a 'stalls' row "
                                f"< {LEARNS}"))
    return rows


def first_step(stats: pd.DataFrame) -> pd.DataFrame:
    """The records at init (the first record step of a trained run): what the mean field predicts."""
    return stats[stats.step == stats.step.min()] if len(stats) else stats


CLAIM = Claim(id="pitfall_scale", title="Pitfall: too small and too large weights at depth 10", order=18,
              experiments=("pitfall_scale",), needs=("stats", "members"), stem="pitfall_scale",
              draw=lambda d, c: draw(d.stats, d.members, d.metrics, c),
              judge=lambda d: judge(d.stats, d.members) + TC.context_rows(first_step(d.stats), "pitfall_scale",
                                                                           ("act", "grad_s")))
