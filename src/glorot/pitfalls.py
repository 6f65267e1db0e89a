"""The classic initialization pitfalls beside the paper (issue 7): figures and verdicts.

Four demonstrations, each an experiment config ``configs/experiment/pitfall_<name>.yaml``:

* ``pitfall_zeros``: zeros / one-constant weights. Units of a hidden layer that start identical get
  identical gradients and stay identical (symmetry never breaks). Measured by the recorder's
  ``act``/``unit_spread`` (std across the units of a layer, per monitor example, averaged over
  examples), against normalized init (Eq. 16).
* ``pitfall_scale``: depth 10, tanh and relu, N(0, 0.01^2) (too small) and N(0, 1) (too large)
  against normalized and he: per-layer std at init and training curves (diverged members shown).
* ``pitfall_linear``: identity activation, depth 10, n Var[W] = c in {0.5, 1, 2}: the std of
  activations (going up) and of dC/ds (going down) changes by c^(1/2) per layer (Sec. 4.2).
* ``pitfall_leaky``: leaky ReLU a = 0.25, 30 layers: the per-layer ratio of the pre-activation second
  moment is (1 + a^2)/2 n Var[W] (He et al. Eq. 10 generalized): 1 for ``he:0.25``, 1.0625 for
  ``he``, 0.53 for ``lecun``.

As in ``glorot.figures`` / ``glorot.verdicts``: figure functions take tidy frames and return a
Figure (never read files, never train); verdict functions return rows of ``verdicts.row`` with the
measured number, n and a threshold fixed here in advance. Theory lines are computed from the
recorded members' own settings (``glorot.nn.init_variance``), never typed in.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from glorot.figures import _band, _over_seeds, _stat, _title, n_seeds  # noqa: E402
from glorot.nn import init_variance, split_spec  # noqa: E402

# thresholds, fixed in advance ------------------------------------------------------------------
FLOAT_NOISE = 1e-5  # unit spread (std across units, activation units) below this is float noise
BROKEN = 1e-2  # a layer whose units spread more than this has broken symmetry (normalized init)
LEARNS, STALLS = 0.5, 0.8  # final test error: below LEARNS learns, above STALLS stalls (chance 0.9)
VANISH, EXPLODE = 1e-3, 1e3  # std ratio across the 10 layers: vanishing below, exploding above
LEVEL = (0.1, 10.0)  # std ratio across the 10 layers counted as "keeps the scale"
SATURATED = 0.5  # mean share of saturated tanh units (|z| > 0.99) counted as "saturates"
LINEAR_TOL, LINEAR_BAD = 0.15, 0.5  # relative error of the fitted per-layer Var ratio vs theory
LEAKY_TOL, LEAKY_BAD = 0.03, 0.10
LEAKY_LEVEL = (0.5, 2.0)  # second-moment ratio layer L / layer 2 counted as level (1 in theory)

SYMMETRIC = ("zeros", "constant")  # init names whose rows are all equal
FLOOR = 1e-12  # exact zeros are drawn at this height on log axes (and said so)
TAB = plt.get_cmap("tab10")


def _verdicts():
    from glorot import verdicts  # noqa: PLC0415  (verdicts imports figures; keep the import lazy)

    return verdicts



def _per_layer(stats: pd.DataFrame, signal: str, stat: str, step: str = "first") -> pd.DataFrame:
    """Seed-mean per (activation, init, layer) at the first (init) record step."""
    s = _stat(stats, signal, stat)
    if s.empty:
        return pd.DataFrame(columns=["activation", "init", "layer", "mean", "std", "count"])
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return _over_seeds(s, ["activation", "init", "layer"])


def fit_ratio(layers, values, up: bool = True) -> float:
    """Per-layer ratio of ``values`` (a variance) from a least-squares line through log(values) vs
    layer: going up (layer l -> l + 1) if ``up``, else going down (l + 1 -> l)."""
    x = np.asarray(layers, float)
    y = np.log(np.asarray(values, float))
    slope = np.polyfit(x, y, 1)[0]
    return float(np.exp(slope if up else -slope))


def _init_name(spec: str) -> str:
    return split_spec(spec)[0]


def _c(init: str, width: int) -> float:
    """n Var[W] of a width x width layer (Sec. 4.2's per-layer factor)."""
    return width * init_variance(init, width, width)


def _slope_a(activation: str) -> float:
    name, p = split_spec(activation)
    if name == "leaky_relu":
        return 0.01 if p is None else p
    return 0.0  # relu: a = 0


def _empty_title(fig, text, caption, df):
    _title(fig, f"{text} (n={n_seeds(df)} seeds)", caption)


# ================================================================================================
# 1. zeros / constant
# ================================================================================================


def fig_zeros(stats: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Left: unit spread per layer (log y; exact 0 drawn at FLOOR) vs updates, per init.
    Right: test error vs examples seen, per init (mean, band = std over seeds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    s = _stat(stats, "act", "unit_spread")
    inits = sorted(set(s.init) if len(s) else set(), key=lambda i: (_init_name(i) not in SYMMETRIC, i))
    for i, init in enumerate(inits):
        d = _over_seeds(s[s.init == init], ["layer", "step"])
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
        _band(axes[1], d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), TAB(i),
              label=f"{init} (n={n_seeds(g)}): final {100 * d['mean'].iloc[-1]:.1f}%")
    axes[1].axhline(90, color="grey", ls=":", lw=1, label="chance (90%)")
    axes[1].set_xlabel("Number of examples seen")
    axes[1].set_ylabel("Test error (%)")
    axes[1].legend(fontsize=7)
    _empty_title(fig, "Pitfall: symmetric init (zeros, one constant) vs normalized, tanh: symmetry never breaks",
                 caption, s)
    fig.tight_layout()
    return fig


def verdict_zeros(stats: pd.DataFrame, members: pd.DataFrame) -> list[dict]:
    """(a) Symmetry: the largest unit spread over layers and record steps, per symmetric init
    (zeros, constant), below FLOAT_NOISE, while normalized init's smallest end-of-training spread over
    layers exceeds BROKEN: reproduced; a symmetric init above BROKEN: not reproduced; else
    inconclusive. (b) Stuck: with zeros only the output biases can learn, so zeros must stay above
    STALLS (the class priors); one constant makes every layer a single unit (a 784 -> 1 -> ... -> 10
    chain), which can learn a little but not the task: above LEARNS. Reproduced if so and normalized
    < LEARNS; not reproduced if a symmetric init gets below LEARNS or normalized stays above STALLS;
    else inconclusive."""
    v = _verdicts()
    fig = "pitfall_zeros"
    rows = []
    s = _stat(stats, "act", "unit_spread")
    sym = sorted(i for i in set(s.init) if _init_name(i) in SYMMETRIC) if len(s) else []
    if s.empty or not sym or "normalized" not in set(s.init):
        rows.append(v.missing(fig, "no act/unit_spread statistics for a symmetric init and normalized"))
    else:
        worst = {i: float(s[s.init == i].value.max()) for i in sym}
        last = s[(s.init == "normalized") & (s.step == s[s.init == "normalized"].step.max())]
        norm = float(last.groupby("layer").value.mean().min())
        ok = all(w < FLOAT_NOISE for w in worst.values()) and norm > BROKEN
        bad = any(w > BROKEN for w in worst.values()) or norm <= FLOAT_NOISE
        val = "; ".join(f"{i}: max {w:.2g}" for i, w in worst.items())
        rows.append(v.row(fig, f"spread between units of a layer (act/unit_spread), max over layers and steps; "
                               f"float noise < {FLOAT_NOISE:g}, broken > {BROKEN:g}",
                          f"{val}; normalized at the end: min over layers {norm:.3g}; n={n_seeds(s)}, "
                          f"{s.step.nunique()} record steps",
                          "symmetric inits stay at float noise; random init breaks symmetry",
                          v.REPRODUCED if ok else (v.NOT if bad else v.INCONCLUSIVE)))
    if members.empty or "final_test_error" not in members or not sym and not (
            set(members.init.map(_init_name)) & set(SYMMETRIC)):
        rows.append(v.missing(fig, "no pitfall_zeros members"))
        return rows
    err = members.final_test_error.fillna(1.0).groupby(members.init).mean()
    sym = [i for i in err.index if _init_name(i) in SYMMETRIC]
    if not sym or "normalized" not in err:
        rows.append(v.missing(fig, "no members for a symmetric init and normalized"))
        return rows
    ok = all(err[i] > (STALLS if _init_name(i) == "zeros" else LEARNS) for i in sym) and err["normalized"] < LEARNS
    bad = any(err[i] < LEARNS for i in sym) or err["normalized"] > STALLS
    rows.append(v.row(fig, f"final test error (mean over seeds); zeros stuck > {STALLS}, constant and normalized "
                           f"vs {LEARNS}",
                      "; ".join(f"{i} {100 * err[i]:.1f}%" for i in sym)
                      + f"; normalized {100 * err['normalized']:.1f}%; n={n_seeds(members)}",
                      "zeros: class priors only; constant: one unit per layer, does not learn the task; normalized learns",
                      v.REPRODUCED if ok else (v.NOT if bad else v.INCONCLUSIVE)))
    return rows


# ================================================================================================
# 2. too small / too large, depth 10
# ================================================================================================

SCALE_ROLES = {  # (activation, init) -> role in the claim
    ("tanh", "normal:0.01"): "small", ("relu", "normal:0.01"): "small",
    ("tanh", "normal:1.0"): "saturates", ("relu", "normal:1.0"): "explodes",
    ("tanh", "normalized"): "level", ("relu", "he"): "level",
}


def _inits_order(df) -> list[str]:
    pref = ["normal:0.01", "normal:1.0", "normalized", "he"]
    have = list(dict.fromkeys(df.init)) if len(df) else []
    return [i for i in pref if i in have] + sorted(i for i in have if i not in pref)


def _diverged(members: pd.DataFrame) -> pd.DataFrame:
    if members.empty or "status" not in members:
        return members.iloc[0:0]
    return members[members.status == "diverged"]


def fig_scale(stats: pd.DataFrame, members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Rows: activation std per layer at init, grad_s std per layer at init (log y), test error during
    training; columns: tanh, relu. Diverged members: their curve ends with an 'x' at the divergence
    (metrics are NaN after it) and the legend says how many diverged."""
    acts = [a for a in ("tanh", "relu") if len(stats) and a in set(stats.activation)] or ["tanh", "relu"]
    fig, axes = plt.subplots(3, len(acts), figsize=(5.2 * len(acts), 10), squeeze=False)
    inits = _inits_order(stats if len(stats) else members)
    color = {i: TAB(k) for k, i in enumerate(inits)}
    for col, act in enumerate(acts):
        for row, (signal, ylabel) in enumerate((("act", "Std of activations at init"),
                                                ("grad_s", "Std of dC/ds at init"))):
            ax = axes[row, col]
            d = _per_layer(stats, signal, "std")
            d = d[d.activation == act]
            for init in inits:
                g = d[d.init == init].sort_values("layer")
                if g.empty:
                    continue
                _band(ax, g.layer, np.maximum(g["mean"], FLOOR), g["std"], color[init], marker="o",
                      label=f"{init} (n={int(g['count'].max())})")
            ax.set_yscale("log")
            ax.set_xlabel("Hidden layer")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{act}", fontsize=9)
            ax.legend(fontsize=7)
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
            _band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), color[init], label=lab)
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
    _empty_title(fig, "Pitfall: too small N(0, 0.01^2) and too large N(0, 1) weights, depth 10, "
                      "against normalized / he", caption, stats if len(stats) else members)
    fig.tight_layout()
    return fig


def verdict_scale(stats: pd.DataFrame, members: pd.DataFrame) -> list[dict]:
    """At init (first record step), per (activation, init): act std ratio top / bottom hidden layer,
    grad_s std ratio bottom / top, mean saturated share of tanh units.
    Reproduced if: N(0, 0.01^2) vanishes (both ratios < VANISH) for tanh and relu; relu N(0, 1)
    explodes (act ratio > EXPLODE); tanh N(0, 1) saturates (share > SATURATED); tanh normalized and relu
    he keep both ratios within LEVEL. Not reproduced if any of these fails.
    Training: reproduced if tanh normalized and relu he learn (mean final test error < LEARNS), both
    N(0, 0.01^2) stall (> STALLS, diverged = 1.0), relu N(0, 1) diverges or stalls; not reproduced if a
    'learns' member stalls or a 'stalls' member learns; else inconclusive. Tanh N(0, 1) is reported."""
    v = _verdicts()
    fig = "pitfall_scale"
    rows = []
    a = _per_layer(stats, "act", "std")
    g = _per_layer(stats, "grad_s", "std")
    sat = _per_layer(stats, "act", "sat")
    need = set(SCALE_ROLES)
    have = set(zip(a.activation, a.init)) & set(zip(g.activation, g.init))
    if not need <= have:
        rows.append(v.missing(fig, f"no act/grad_s std at init for {sorted(need - have)}"))
    else:
        def ratio(d, act, init, up):
            s = d[(d.activation == act) & (d.init == init)].set_index("layer")["mean"].sort_index()
            return float(s.iloc[-1] / s.iloc[0]) if up else float(s.iloc[0] / s.iloc[-1])

        r = {k: (ratio(a, *k, True), ratio(g, *k, False)) for k in need}
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
        val = "; ".join(f"{act} {init}: act {r[(act, init)][0]:.2g}, grad_s {r[(act, init)][1]:.2g}"
                        for act, init in SCALE_ROLES)
        rows.append(v.row(fig, f"at init: act std layer 10 / layer 1, grad_s std layer 1 / layer 10; vanish < "
                               f"{VANISH:g}, explode > {EXPLODE:g}, level in {LEVEL}; tanh saturated share "
                               f"(|z| > 0.99) > {SATURATED}",
                          f"{val}; tanh normal:1.0 saturated share {sat_t:.2f}; n={n_seeds(stats)}",
                          "0.01: vanishes; 1.0: relu explodes, tanh saturates (its dC/ds still grows going down); "
                          "normalized/he level",
                          v.REPRODUCED if all(checks) else v.NOT))
    if members.empty or "final_test_error" not in members:
        rows.append(v.missing(fig, "no pitfall_scale members"))
        return rows
    m = members.assign(err=members.final_test_error.fillna(1.0))
    e = m.groupby(["activation", "init"]).err.mean()
    ndiv = _diverged(members).groupby(["activation", "init"]).size() if len(_diverged(members)) else pd.Series(
        dtype=int)
    if not set(SCALE_ROLES) <= set(e.index):
        rows.append(v.missing(fig, "no members for every (activation, init) of the claim"))
        return rows
    learn = [("tanh", "normalized"), ("relu", "he")]
    stall = [("tanh", "normal:0.01"), ("relu", "normal:0.01"), ("relu", "normal:1.0")]
    ok = all(e[k] < LEARNS for k in learn) and all(e[k] > STALLS for k in stall)
    bad = any(e[k] > STALLS for k in learn) or any(e[k] < LEARNS for k in stall)

    def lab(k):
        d = int(ndiv.get(k, 0))
        return f"{k[0]} {k[1]} {100 * e[k]:.1f}%" + (f" ({d} diverged)" if d else "")

    rows.append(v.row(fig, f"final test error (mean over seeds, diverged = 100%); learns < {LEARNS}, "
                           f"stalls > {STALLS}",
                      "; ".join(lab(k) for k in learn + stall + [("tanh", "normal:1.0")]) + f"; n={n_seeds(members)}",
                      "normalized/he learn; N(0, 0.01^2) stalls; relu N(0, 1) diverges",
                      v.REPRODUCED if ok else (v.NOT if bad else v.INCONCLUSIVE)))
    return rows


# ================================================================================================
# 3. deep linear network
# ================================================================================================


def _linear_c(stats: pd.DataFrame) -> dict[str, float]:
    """init -> n Var[W] for the hidden width x width layers of the recorded members."""
    if stats.empty:
        return {}
    w = stats.groupby("init").width.first()
    return {i: _c(i, int(n)) for i, n in w.items()}


def fig_linear(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Std of activations (left, going up) and of dC/ds (right, going down) per layer at init, log y,
    one colour per c = n Var[W]; dashed: theory c^(1/2) per layer, anchored at layer 1 (activations)
    or at the top hidden layer (dC/ds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    cs = _linear_c(stats)
    for ax, signal, up, ylabel in ((axes[0], "act", True, "Std of activations z (at init)"),
                                   (axes[1], "grad_s", False, "Std of dC/ds (at init)")):
        d = _per_layer(stats, signal, "std")
        for i, init in enumerate(sorted(cs, key=cs.get)):
            g = d[d.init == init].sort_values("layer")
            if g.empty:
                continue
            c = cs[init]
            _band(ax, g.layer, g["mean"], g["std"], TAB(i), marker="o", ls="none",
                  label=f"N(0, {split_spec(init)[1]:g}^2): n Var[W] = {c:.3g} (n={int(g['count'].max())})")
            x = g.layer.to_numpy(float)
            anchor = g["mean"].iloc[0] if up else g["mean"].iloc[-1]
            k = (x - x[0]) if up else (x[-1] - x)
            ax.plot(x, anchor * np.sqrt(c) ** k, color=TAB(i), ls="--", lw=1)
        ax.plot([], [], color="k", ls="--", lw=1, label="theory: (n Var[W])^(1/2) per layer")
        ax.set_yscale("log")
        ax.set_xlabel("Hidden layer")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    _empty_title(fig, "Pitfall: deep linear network (identity, depth 10) at init: scale moves by "
                      "(n Var[W])^(1/2) per layer", caption, stats)
    fig.tight_layout()
    return fig


def verdict_linear(stats: pd.DataFrame) -> list[dict]:
    """Per init, the fitted per-layer Var ratio of activations going up (hidden layers 2..d; layer 1
    has the input's fan-in) and of dC/ds going down (hidden layers 1..d), against c = n Var[W].
    Reproduced if every fit is within LINEAR_TOL (relative) of c; not reproduced if any is off by
    more than LINEAR_BAD or lies on the wrong side of 1; else inconclusive."""
    v = _verdicts()
    fig = "pitfall_linear"
    cs = _linear_c(stats)
    a, g = _per_layer(stats, "act", "var"), _per_layer(stats, "grad_s", "var")
    if len(cs) < 2 or a.empty or g.empty:
        return [v.missing(fig, "no act/grad_s variances at init for the linear network")]
    errs, parts, wrong_side = [], [], False
    for init, c in sorted(cs.items(), key=lambda t: t[1]):
        sa = a[(a.init == init) & (a.layer >= 2)].sort_values("layer")
        sg = g[g.init == init].sort_values("layer")
        if len(sa) < 2 or len(sg) < 2:
            return [v.missing(fig, f"fewer than 2 layers for {init}")]
        ra, rg = fit_ratio(sa.layer, sa["mean"], up=True), fit_ratio(sg.layer, sg["mean"], up=False)
        for r in (ra, rg):
            errs.append(abs(r / c - 1))
            if abs(c - 1) > LINEAR_TOL and np.sign(np.log(r)) != np.sign(np.log(c)):
                wrong_side = True
        parts.append(f"c={c:.3g}: act {ra:.3f}, grad_s {rg:.3f}")
    worst = max(errs)
    verdict = v.REPRODUCED if worst <= LINEAR_TOL else (v.NOT if (worst > LINEAR_BAD or wrong_side)
                                                        else v.INCONCLUSIVE)
    return [v.row(fig, f"fitted per-layer Var ratio (act going up, grad_s going down) vs c = n Var[W]; "
                       f"within {LINEAR_TOL:.0%}",
                  "; ".join(parts) + f"; worst relative error {worst:.1%}; n={n_seeds(stats)}",
                  "Var ratio per layer = n Var[W] (Sec. 4.2, linear regime)", verdict)]


# ================================================================================================
# 4. leaky ReLU, 30 layers
# ================================================================================================


def leaky_theory(activation: str, init: str, width: int) -> float:
    """He et al. Eq. 10 generalized: per-layer ratio of the pre-activation second moment,
    (1 + a^2)/2 n Var[W], for a width x width layer."""
    a = _slope_a(activation)
    return (1 + a * a) / 2 * _c(init, width)


def _leaky_frames(stats: pd.DataFrame):
    if stats.empty:
        return {}, pd.DataFrame(), pd.DataFrame()
    first = stats.groupby("init").first()
    th = {i: leaky_theory(r.activation, i, int(r.width)) for i, r in first.iterrows()}
    return th, _per_layer(stats, "pre", "var"), _per_layer(stats, "grad_s", "var")


def fig_leaky(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Second moment of the pre-activations s (left, going up) and of dC/ds (right, going down) per
    layer at init, log y; dashed: theory ratio (1 + a^2)/2 n Var[W] per layer, anchored at layer 1
    (s) or the top hidden layer (dC/ds)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    th, pre, gs = _leaky_frames(stats)
    act = stats.activation.iloc[0] if len(stats) else "leaky_relu"
    for ax, d, up, ylabel in ((axes[0], pre, True, "Var of pre-activations s (at init)"),
                              (axes[1], gs, False, "Var of dC/ds (at init)")):
        for i, init in enumerate(sorted(th, key=lambda k: -th[k])):
            g = d[d.init == init].sort_values("layer") if len(d) else d
            if g.empty:
                continue
            _band(ax, g.layer, g["mean"], g["std"], TAB(i), marker="o", ls="none",
                  label=f"{init}: theory ratio {th[init]:.4g}/layer (n={int(g['count'].max())})")
            x = g.layer.to_numpy(float)
            anchor = g["mean"].iloc[0] if up else g["mean"].iloc[-1]
            k = (x - x[0]) if up else (x[-1] - x)
            ax.plot(x, anchor * th[init] ** k, color=TAB(i), ls="--", lw=1)
        ax.plot([], [], color="k", ls="--", lw=1, label="theory: (1 + a^2)/2 n Var[W] per layer")
        ax.set_yscale("log")
        ax.set_xlabel("Hidden layer")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    _empty_title(fig, f"Pitfall: {act}, {int(stats.depth.max()) if len(stats) else 30} layers at init: "
                      f"He's generalized Var[W] = 2/((1+a^2) n) keeps the second moment", caption, stats)
    fig.tight_layout()
    return fig


def verdict_leaky(stats: pd.DataFrame) -> list[dict]:
    """Per init, the fitted per-layer ratio of Var[s] (pre-activations, hidden layers 2..d) against
    the theory (1 + a^2)/2 n Var[W]; and the end-to-end ratio Var[s] layer d / layer 2.
    Reproduced if every fit is within LEAKY_TOL (relative) of its theory, the generalized init
    ("he:<a>") is level end to end (within LEAKY_LEVEL) and plain he ends above, 1/n ("lecun")
    below it; not reproduced if a fit is off by more than LEAKY_BAD or the generalized init is not
    level; else inconclusive."""
    v = _verdicts()
    fig = "pitfall_leaky"
    th, pre, _ = _leaky_frames(stats)
    gen = [i for i in th if _init_name(i) == "he" and split_spec(i)[1]]
    if not gen or pre.empty or not {"he", "lecun"} <= set(th):
        return [v.missing(fig, "no pre/var at init for he:<a>, he and lecun")]
    fits, ends, parts = {}, {}, []
    for init in th:
        s = pre[(pre.init == init) & (pre.layer >= 2)].sort_values("layer")
        if len(s) < 3:
            return [v.missing(fig, f"fewer than 3 layers for {init}")]
        fits[init] = fit_ratio(s.layer, s["mean"], up=True)
        ends[init] = float(s["mean"].iloc[-1] / s["mean"].iloc[0])
        parts.append(f"{init}: {fits[init]:.4f}/layer (theory {th[init]:.4f}), layer {int(s.layer.max())} / 2: "
                     f"{ends[init]:.3g}")
    worst = max(abs(fits[i] / th[i] - 1) for i in th)
    g = gen[0]
    level = LEAKY_LEVEL[0] <= ends[g] <= LEAKY_LEVEL[1]
    drift = ends["he"] > LEAKY_LEVEL[1] and ends["lecun"] < LEAKY_LEVEL[0]
    ok = worst <= LEAKY_TOL and level and drift
    bad = worst > LEAKY_BAD or not level
    return [v.row(fig, f"fitted per-layer ratio of Var[s] (layers 2..d) vs (1+a^2)/2 n Var[W], within "
                       f"{LEAKY_TOL:.0%}; end to end level if in {LEAKY_LEVEL}",
                  "; ".join(parts) + f"; worst relative error {worst:.1%}; n={n_seeds(stats)}",
                  "generalized he: ratio 1 (level); he 2/n: (1+a^2) > 1; 1/n: (1+a^2)/2 < 1",
                  v.REPRODUCED if ok else (v.NOT if bad else v.INCONCLUSIVE))]
