"""Each figure's claim, checked from the data and written with the measured number.

A verdict row: figure, claim (the paper's, from paper_numbers.yaml), measure (what we computed, with
n), value (our number), paper (what the paper says or predicts), verdict in {reproduced, not
reproduced, inconclusive, missing}. The thresholds are fixed here, in advance, and documented per
function; a claim that fails is reported so. Values are means over seeds (n stated).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats as sps

from glorot import paper, surface, table1
from glorot.figures import hidden, n_seeds

REPRODUCED, NOT, INCONCLUSIVE, MISSING = "reproduced", "not reproduced", "inconclusive", "missing"
VERDICTS = (REPRODUCED, NOT, INCONCLUSIVE, MISSING)
COLUMNS = ["figure", "claim", "measure", "value", "paper", "verdict"]

TANH_SAT_P98 = 0.95  # a tanh layer counts as saturated once its activations' 98th percentile >= this
SHRINK = 0.8  # "shrinks": ratio below this; "level": ratio within [LEVEL_LO, LEVEL_HI]
NO_SHRINK = 0.95  # not shrinking: ratio at or above this
LEVEL_LO, LEVEL_HI = 0.5, 2.0
NO_SAT = 0.01  # below this share of saturated units on both sides, there is nothing to compare
JACOBIAN_TOL = 0.15  # |ours - paper| on the mean singular value
LEARNS, STALLS = 0.5, 0.8  # final test error: below LEARNS learns, above STALLS stalls (chance 0.9)


def row(fig, measure, value, paper_says, verdict, claim=None) -> dict:
    assert verdict in VERDICTS, verdict
    return dict(figure=fig, claim=claim if claim is not None else paper.claim(fig), measure=measure,
                value=value, paper=paper_says, verdict=verdict)


def missing(fig: str, why: str) -> dict:
    return row(fig, why, "", "", MISSING)


def _layer_stat(stats, signal, stat="std", step="first", **eq) -> pd.Series:
    """Per-layer value (mean over seeds) at the first (or last) record step."""
    s = stats[(stats.signal == signal) & (stats.stat == stat)]
    for k, v in eq.items():
        s = s[s[k] == v]
    if s.empty:
        return pd.Series(dtype=float)
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return s.groupby("layer").value.mean().sort_index()


# --------------------------------------------------------------------------------------------
# Fig. 2
# --------------------------------------------------------------------------------------------


def fig02(stats: pd.DataFrame) -> list[dict]:
    """Top hidden layer's mean sigmoid activation: its minimum over training (after init).
    Reproduced if < 0.1 (pushed to the 0 asymptote) while the lower layers' means at that time stay
    above 0.3; not reproduced if the minimum stays >= 0.2; inconclusive in between."""
    s = stats[(stats.signal == "act") & (stats.stat == "mean")]
    if s.empty:
        return [missing("fig02", "no act/mean statistics")]
    m = s.groupby(["step", "layer"]).value.mean().unstack("layer").sort_index()
    top = m.columns.max()
    trained = m[m.index > m.index.min()] if len(m) > 1 else m
    t_min = trained[top].idxmin()
    low, lower_at = trained[top].min(), trained.loc[t_min, [c for c in m.columns if c != top]].min()
    final = m[top].iloc[-1]
    value = (f"top layer {top} mean min {low:.3f} at update {int(t_min):,} (lower layers >= {lower_at:.2f}); "
             f"final {final:.3f}; n={n_seeds(s)}")
    v = REPRODUCED if (low < 0.1 and lower_at > 0.3) else (NOT if low >= 0.2 else INCONCLUSIVE)
    return [row("fig02", "min over training of the top layer's mean activation (threshold 0.1)", value,
                "top layer pushed to ~0 early, then slowly escapes", v)]


# --------------------------------------------------------------------------------------------
# Figs. 3, 10 (saturation order), 4 (histograms at the end)
# --------------------------------------------------------------------------------------------


def _p98(stats):
    s = stats[(stats.signal == "act") & (stats.stat == "p98")]
    if s.empty:
        s = stats[(stats.signal == "act") & (stats.stat == "p98_abs")]
    return s


def saturation_times(stats: pd.DataFrame) -> pd.Series:
    """Per layer, the first record step at which the seed-mean 98th percentile >= TANH_SAT_P98
    (inf when never)."""
    m = _p98(stats).groupby(["layer", "step"]).value.mean()
    out = {}
    for layer, g in m.groupby(level="layer"):
        hit = g[g >= TANH_SAT_P98]
        out[layer] = hit.index.get_level_values("step").min() if len(hit) else np.inf
    return pd.Series(out).sort_index()


def fig03(stats: pd.DataFrame) -> list[dict]:
    """(a) tanh standard: layers saturate in order from layer 1 up. Saturation time per layer = first
    step with p98 >= 0.95. Reproduced if >= 2 layers saturate and Spearman rho(layer, time) >= 0.8
    (never = last); not reproduced if fewer than 2 layers saturate or rho < 0.5; else inconclusive.
    Fewer than 2 saturating layers: inconclusive (no order to judge within the budget).
    (b) softsign saturates less: end-of-training saturated fraction (stat 'sat', mean over layers)
    softsign < tanh -> reproduced, else not; inconclusive when both are below NO_SAT (nothing
    saturated in this budget)."""
    rows = []
    tanh = stats[(stats.activation == "tanh") & (stats.init == "standard")]
    if _p98(tanh).empty:
        rows.append(missing("fig03", "no tanh standard act/p98 statistics"))
    else:
        t = saturation_times(tanh)
        n_sat = int(np.isfinite(t).sum())
        rho = sps.spearmanr(t.index, t.rank(method="average")).statistic if n_sat >= 2 else np.nan
        times = ", ".join(f"L{k}: {'never' if not np.isfinite(v) else f'{int(v):,}'}" for k, v in t.items())
        if n_sat < 2:  # no order to judge: the saturation did not show within this budget
            v = INCONCLUSIVE
        else:
            v = REPRODUCED if rho >= 0.8 else (NOT if rho < 0.5 else INCONCLUSIVE)
        rows.append(row("fig03", f"tanh standard: first update with p98 >= {TANH_SAT_P98} per layer; Spearman rho "
                                 f"(layer, time); n={n_seeds(tanh)}",
                        f"{times}; {n_sat} layers saturate; rho = {rho:.2f}", "saturation from layer 1 up", v))
    sat = stats[(stats.signal == "act") & (stats.stat == "sat") & (stats.init == "standard")]
    if sat.empty or set(sat.activation) < {"tanh", "softsign"}:
        rows.append(missing("fig03", "no act/sat statistics for both tanh and softsign"))
    else:
        last = sat[sat.step == sat.step.max()].groupby("activation").value.mean()
        if max(last["softsign"], last["tanh"]) < NO_SAT:
            v = INCONCLUSIVE
        else:
            v = REPRODUCED if last["softsign"] < last["tanh"] else NOT
        rows.append(row("fig03", "saturated fraction at the end, mean over layers, softsign vs tanh",
                        f"softsign {last['softsign']:.3f} vs tanh {last['tanh']:.3f}; n={n_seeds(sat)}",
                        "softsign saturates less", v))
    return rows


def fig10(stats: pd.DataFrame) -> list[dict]:
    """Layers of tanh that saturate (p98 >= 0.95) with normalized vs standard init. Reproduced if
    fewer with normalized; not reproduced if as many or more and standard saturates; inconclusive if
    neither saturates (no contrast within this budget)."""
    tanh = stats[stats.activation == "tanh"]
    if _p98(tanh[tanh.init == "normalized"]).empty or _p98(tanh[tanh.init == "standard"]).empty:
        return [missing("fig10", "no tanh act/p98 statistics for both inits")]
    nn_ = int(np.isfinite(saturation_times(tanh[tanh.init == "normalized"])).sum())
    ns = int(np.isfinite(saturation_times(tanh[tanh.init == "standard"])).sum())
    v = REPRODUCED if nn_ < ns else (INCONCLUSIVE if ns == 0 else NOT)
    return [row("fig10", f"number of tanh layers whose p98 reaches {TANH_SAT_P98}, normalized vs standard",
                f"normalized {nn_} vs standard {ns}; n={n_seeds(tanh)}", "no layer-by-layer saturation with normalized",
                v)]


def hist_mass(hist: pd.DataFrame, lo: float, hi: float) -> float:
    """Probability mass of |value| in [lo, hi] (bins assigned by their centre), averaged over rows'
    members and layers."""
    h = hist.assign(c=(hist.bin_lo + hist.bin_hi).abs() / 2, w=(hist.bin_hi - hist.bin_lo) * hist.density)
    tot = h.groupby(["member", "layer"]).w.sum()
    sel = h[(h.c >= lo) & (h.c <= hi)].groupby(["member", "layer"]).w.sum().reindex(tot.index, fill_value=0)
    return float((sel / tot).mean())


def fig04(hist: pd.DataFrame) -> list[dict]:
    """End-of-training mass near the asymptotes, |z| > 0.9: reproduced if tanh's > softsign's;
    inconclusive if both are below NO_SAT (nothing near the asymptotes in this budget)."""
    h = hist[(hist.signal == "act") & (hist.init == "standard")]
    if h.empty or set(h.activation) < {"tanh", "softsign"}:
        return [missing("fig04", "no end-of-training act histograms for tanh and softsign")]
    h = h[h.step == h.groupby("member").step.transform("max")]
    mt = hist_mass(h[h.activation == "tanh"], 0.9, np.inf)
    ms = hist_mass(h[h.activation == "softsign"], 0.9, np.inf)
    return [row("fig04", "share of activations with |z| > 0.9 at the end (mean over layers)",
                f"tanh {mt:.3f} vs softsign {ms:.3f}; n={n_seeds(h)}", "tanh at the asymptotes, softsign at the knees",
                INCONCLUSIVE if max(mt, ms) < NO_SAT else (REPRODUCED if mt > ms else NOT))]


# --------------------------------------------------------------------------------------------
# Fig. 5
# --------------------------------------------------------------------------------------------


def fig05(surf: surface.Surface | None = None) -> list[dict]:
    """Plateau share (gradient < 0.1 x median gradient) of each cost surface: reproduced if the
    quadratic cost has more plateau than cross-entropy."""
    surf = surf or surface.cost_surface()
    ce = surface.plateau_fraction(surf.cross_entropy, surf.w1, surf.w2)
    qu = surface.plateau_fraction(surf.quadratic, surf.w1, surf.w2)
    return [row("fig05", f"share of the grid with |grad| < {surface.PLATEAU_TOL} x median |grad| "
                         f"({len(surf.w1)}x{len(surf.w2)} grid, 1 seed)",
                f"quadratic {qu:.3f} vs cross-entropy {ce:.3f}", "quadratic has more plateaus",
                REPRODUCED if qu > ce else NOT)]


# --------------------------------------------------------------------------------------------
# Figs. 6, 7, 8 at init; Jacobian
# --------------------------------------------------------------------------------------------


def _ratio(series: pd.Series, num: int, den: int) -> float:
    return float(series.loc[num] / series.loc[den])


def fig06(stats: pd.DataFrame) -> list[dict]:
    """Activation std layer 5 / layer 1 at init (a growing peak at 0 = a shrinking std). Standard:
    reproduced if < 0.8, not reproduced if >= 0.95. Normalized more level than standard:
    reproduced if |log ratio| is smaller than standard's."""
    return _init_pair("fig06", stats, "act", up=True, what="activation std")


def fig07(stats: pd.DataFrame) -> list[dict]:
    """grad_s std layer 1 / layer 5 at init (theory for standard: (1/3)^2 ~ 0.11 in the linear
    regime). Standard: reproduced if < 0.8, not if >= 0.95. Normalized more level than standard."""
    return _init_pair("fig07", stats, "grad_s", up=False, what="grad_s std")


def _init_pair(fig, stats, signal, up: bool, what: str) -> list[dict]:
    out = []
    r = {}
    for init in ("standard", "normalized"):
        s = _layer_stat(stats, signal, init=init)
        if len(s) < 2:
            out.append(missing(fig, f"no {signal}/std statistics at init for {init} init"))
            continue
        top, bottom = s.index.max(), s.index.min()
        r[init] = _ratio(s, top, bottom) if up else _ratio(s, bottom, top)
        lab = f"layer {top} / layer {bottom}" if up else f"layer {bottom} / layer {top}"
        n = n_seeds(stats[stats.init == init])
        if init == "standard":
            v = REPRODUCED if r[init] < SHRINK else (NOT if r[init] >= NO_SHRINK else INCONCLUSIVE)
            theory = "" if up else f" (linear theory {paper.numbers()['theory']['standard_n_var_w'] ** 2:.2f})"
            out.append(row(fig, f"standard init: {what} {lab} at init; shrinks if < {SHRINK}",
                           f"{r[init]:.3f}; n={n}", f"shrinks{theory}", v))
        elif "standard" in r:
            v = REPRODUCED if abs(np.log(r[init])) < abs(np.log(r["standard"])) else NOT
            out.append(row(fig, f"normalized init: {what} {lab}, closer to 1 than standard's",
                           f"{r[init]:.3f} (standard {r['standard']:.3f}); n={n}", "level across layers", v))
    return out


def fig08(stats: pd.DataFrame) -> list[dict]:
    """grad_w std layer 1 / layer 5 at init, standard init: reproduced if in [0.5, 2] (no shrinking);
    not reproduced if < 1/3 or > 3; else inconclusive."""
    s = _layer_stat(stats, "grad_w", init="standard")
    if len(s) < 2:
        return [missing("fig08", "no grad_w/std statistics at init for standard init")]
    r = _ratio(s, s.index.min(), s.index.max())
    v = REPRODUCED if LEVEL_LO <= r <= LEVEL_HI else (NOT if (r < 1 / 3 or r > 3) else INCONCLUSIVE)
    return [row("fig08", f"standard init: grad_w std layer {s.index.min()} / layer {s.index.max()} at init; "
                         f"level if in [{LEVEL_LO}, {LEVEL_HI}]",
                f"{r:.3f}; n={n_seeds(stats[stats.init == 'standard'])}", "about 1 (Eq. 14)", v)]


def jacobian(jac: pd.DataFrame) -> list[dict]:
    """Mean singular value over layers at init: reproduced if standard and normalized are each within
    0.15 of the paper's 0.5 / 0.8; not reproduced if normalized <= standard; else inconclusive."""
    if jac.empty or set(jac.init) < {"standard", "normalized"}:
        return [missing("jacobian", "no Jacobian singular values for both inits")]
    j = jac[jac.step == jac.step.min()].groupby("init").sv_mean.mean()
    ps, pn = paper.jacobian("standard"), paper.jacobian("normalized")
    close = abs(j["standard"] - ps) <= JACOBIAN_TOL and abs(j["normalized"] - pn) <= JACOBIAN_TOL
    v = REPRODUCED if close else (NOT if j["normalized"] <= j["standard"] else INCONCLUSIVE)
    return [row("jacobian", f"mean singular value of dz^(i+1)/dz^i over layers at init (tolerance {JACOBIAN_TOL})",
                f"standard {j['standard']:.3f}, normalized {j['normalized']:.3f}; n={n_seeds(jac)}",
                f"standard {ps:g}, normalized {pn:g}", v)]


# --------------------------------------------------------------------------------------------
# Fig. 9
# --------------------------------------------------------------------------------------------


def fig09(stats: pd.DataFrame) -> list[dict]:
    """Spread of grad_w std across layers (max/min over layers), averaged over record steps after
    init, tanh: reproduced if normalized's spread is below 0.9 x standard's."""
    s = stats[(stats.signal == "grad_w") & (stats.stat == "std") & (stats.activation == "tanh")]
    spread = {}
    for init in ("standard", "normalized"):
        g = s[s.init == init]
        if g.empty:
            return [missing("fig09", f"no grad_w/std statistics during training for tanh {init}")]
        if g.step.nunique() > 1:
            g = g[g.step > g.step.min()]
        m = g.groupby(["step", "layer"]).value.mean().unstack("layer")
        spread[init] = float((m.max(axis=1) / m.min(axis=1)).mean())
    # A difference within 10% is read as a tie (inconclusive), not as a pass or a fail.
    ratio = spread["normalized"] / spread["standard"]
    verdict = REPRODUCED if ratio < 0.9 else NOT if ratio >= 1.0 else INCONCLUSIVE
    return [row("fig09", "grad_w std, max/min over layers, mean over record steps after init (tanh); "
                "reproduced if normalized < 0.9 x standard, tie within 10%",
                f"standard {spread['standard']:.2f} vs normalized {spread['normalized']:.2f}; n={n_seeds(s)}",
                "normalized keeps layers even", verdict)]


# --------------------------------------------------------------------------------------------
# Figs. 11, 12, Table 1
# --------------------------------------------------------------------------------------------


def _compare(t: pd.DataFrame, better: tuple, worse: tuple) -> tuple[str, str, float]:
    """Better row's mean < worse row's mean, and Welch's p between them (from per-seed errors)."""
    a = t[(t.activation == better[0]) & (t.init == better[1])]
    b = t[(t.activation == worse[0]) & (t.init == worse[1])]
    return a, b


def _errors_at_chosen(members: pd.DataFrame, act: str, init: str) -> np.ndarray:
    m = table1.at_chosen_lr(members, members)
    m = m[(m.activation == act) & (m.init == init) & m.final_test_error.notna()]
    return m.final_test_error.to_numpy()


STUCK_TOL = 0.05  # Fig. 11: "stuck" = final test error >= majority-class error - STUCK_TOL
LEARNED_GAP = 0.10  # ... while the best paper row is at least this far below the majority-class error
LEARNED_SIGMOID = 0.60  # sigmoid depth 5 below this has clearly learned: not stuck


def fig11(members: pd.DataFrame) -> list[dict]:
    """Shapeset-3x2 (the paper's Fig. 11), each configuration at its chosen lr, 5-layer rows only
    unless said otherwise; the sigmoid depth-4 line (experiment shapeset_sigmoid4) is reported.

    (a) Sigmoid depth 5 (standard init) has the highest mean final test error of the paper's five
        rows: reproduced if so, else not reproduced.
    (b) It stays stuck at the majority-class error (``shapeset.MAJORITY_ERROR``, 83.3%; the paper's
        82.61%) while the others learn: reproduced if its error >= majority - STUCK_TOL and the best
        paper row is below majority - LEARNED_GAP; not reproduced if its error < LEARNED_SIGMOID;
        otherwise inconclusive (in particular when no configuration has learned within the budget).
    (c) Tanh N below Tanh (the paper's 15.60% vs 27.15%): Welch's t-test as in Table 1."""
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
    worst = rows5.loc[rows5.test_error_mean.idxmax()]
    vals = ", ".join(f"{r.config} {100 * r.test_error_mean:.2f}%" for r in rows5.itertuples())
    out = [row("fig11", "final test error at the chosen lr on Shapeset, worst of the paper's five rows (5 layers)",
               f"worst: {worst.config}; {vals}; n={int(rows5.n.min())}", "Sigmoid (depth 5) worst",
               REPRODUCED if (worst.activation, worst.init) == ("sigmoid", "standard") else NOT)]
    others = rows5[~((rows5.activation == "sigmoid") & (rows5.init == "standard"))]
    best_other = float(others.test_error_mean.min()) if len(others) else np.nan
    four = members[(members.depth == 4) & (members.activation == "sigmoid")] if "depth" in members else members.iloc[0:0]
    d4 = ""
    if len(four):
        t4 = table1.table1(four)
        d4 = f"; sigmoid depth 4: {100 * t4.test_error_mean.iloc[0]:.2f}% (n={int(t4.n.iloc[0])})"
    if sig_err < LEARNED_SIGMOID:
        v = NOT
    elif sig_err >= MAJORITY_ERROR - STUCK_TOL and best_other < MAJORITY_ERROR - LEARNED_GAP:
        v = REPRODUCED
    else:
        v = INCONCLUSIVE
    out.append(row("fig11", f"sigmoid depth 5 final test error vs the majority-class error {100 * MAJORITY_ERROR:.1f}%: "
                            f"stuck if >= {100 * (MAJORITY_ERROR - STUCK_TOL):.1f}% while the best other row is "
                            f"< {100 * (MAJORITY_ERROR - LEARNED_GAP):.1f}%; learned if < {100 * LEARNED_SIGMOID:.0f}%",
                   f"sigmoid depth 5 {100 * sig_err:.2f}%, best other {100 * best_other:.2f}%{d4}; "
                   f"n={int(sig.n.iloc[0])}",
                   f"sigmoid depth 5 {paper.table1_value('sigmoid', 'standard', 'Shapeset')}% "
                   f"(majority {100 * MAJORITY_ERROR:.1f}%)", v))
    out.append(_pairwise("fig11", five, ("tanh", "normalized"), ("tanh", "standard"), dataset="Shapeset"))
    return out


def _pairwise(fig, members, better, worse, claim=None, dataset: str = "MNIST") -> dict:
    """Mean final test error better < worse with Welch's p < 0.005: reproduced; lower but not
    significant (or n < 2): inconclusive; higher: not reproduced."""
    a, b = _errors_at_chosen(members, *better), _errors_at_chosen(members, *worse)
    la, lb = paper.config_label(*better), paper.config_label(*worse)
    if len(a) == 0 or len(b) == 0:
        return missing(fig, f"no {la} or {lb} members")
    p = table1.welch_p(a, b)
    thr = paper.significance_p()
    if a.mean() < b.mean():
        v = REPRODUCED if (np.isfinite(p) and p < thr) else INCONCLUSIVE
    else:
        v = NOT
    pa, pb = paper.table1_value(*better, dataset), paper.table1_value(*worse, dataset)
    return row(fig, f"final test error at chosen lr, {la} vs {lb}; Welch's t-test, p < {thr:g}",
               f"{la} {100 * a.mean():.2f}% vs {lb} {100 * b.mean():.2f}%, p = {p:.3g}; n={len(a)},{len(b)}",
               f"{la} {pa}% vs {lb} {pb}%", v, claim=claim)


def fig12(members: pd.DataFrame) -> list[dict]:
    if members.empty:
        return [missing("fig12", "no table1 members")]
    return [_pairwise("fig12", members, ("tanh", "normalized"), ("tanh", "standard"))]


def table1_rows(members: pd.DataFrame) -> list[dict]:
    if members.empty:
        return [missing("table1", "no table1 members")]
    return [_pairwise("table1", members, ("softsign", "standard"), ("tanh", "standard")),
            _pairwise("table1", members, ("tanh", "normalized"), ("sigmoid", "standard"))]


# --------------------------------------------------------------------------------------------
# relu extensions
# --------------------------------------------------------------------------------------------


def per_layer_var_ratio(s: pd.Series) -> float:
    """Geometric-mean per-layer ratio of Var = std^2, from a least-squares line through log2(std^2)
    vs layer (robust to the first layer's different fan-in when there are many layers)."""
    x = np.asarray(s.index, float)
    y = np.log2(np.asarray(s.values, float) ** 2)
    if len(x) > 3:
        x, y = x[1:], y[1:]  # layer 1 has fan-in = input size, not width
    slope = np.polyfit(x, y, 1)[0]
    return float(2 ** slope)


def relu_init(stats: pd.DataFrame) -> list[dict]:
    """relu 5x1000 at init: act std layer 5 / layer 1. He: reproduced if in [0.7, 1.4] (level);
    normalized: reproduced if < 0.8 and below He's."""
    r = {}
    for init in ("normalized", "he"):
        s = _layer_stat(stats, "act", init=init)
        if len(s) < 2:
            return [missing("relu_init", f"no act/std statistics at init for {init}")]
        r[init] = _ratio(s, s.index.max(), s.index.min())
    ok = 0.7 <= r["he"] <= 1.4 and r["normalized"] < SHRINK and r["normalized"] < r["he"]
    bad = r["normalized"] >= r["he"] or not (0.5 <= r["he"] <= 2.0)
    return [row("relu_init", "act std, last / first hidden layer at init",
                f"he {r['he']:.3f}, normalized {r['normalized']:.3f}; n={n_seeds(stats)}",
                "he level (~1), normalized shrinks", REPRODUCED if ok else (NOT if bad else INCONCLUSIVE))]


def relu30_init(stats: pd.DataFrame) -> list[dict]:
    """Per-layer Var ratio (fit) of activations (going up) and grad_s (going down) for lecun (1/n) and
    he (2/n): reproduced if lecun's is within [0.35, 0.65] (theory 0.5) and he's within [0.8, 1.25]
    (theory 1) for both signals; not reproduced if lecun's >= 0.8 or he's outside [0.65, 1.5]."""
    out = {}
    for init in ("lecun", "he"):
        for sig, up in (("act", True), ("grad_s", False)):
            s = _layer_stat(stats, sig, init=init)
            if len(s) < 3:
                return [missing("relu30_init", f"no {sig}/std statistics at init for {init}")]
            r = per_layer_var_ratio(s)
            out[(init, sig)] = r if up else 1 / r  # going down: ratio from layer l+1 to l
    lec = [out[("lecun", s)] for s in ("act", "grad_s")]
    he = [out[("he", s)] for s in ("act", "grad_s")]
    ok = all(0.35 <= x <= 0.65 for x in lec) and all(0.8 <= x <= 1.25 for x in he)
    bad = any(x >= 0.8 for x in lec) or any(not (0.65 <= x <= 1.5) for x in he)
    th = paper.numbers()["theory"]["relu_var_ratio"]
    return [row("relu30_init", "per-layer Var ratio (log-linear fit over layers 2..30): act going up, grad_s going down",
                f"lecun act {lec[0]:.3f}, grad_s {lec[1]:.3f}; he act {he[0]:.3f}, grad_s {he[1]:.3f}; n={n_seeds(stats)}",
                f"lecun {th['lecun']:g}, he {th['he']:g}", REPRODUCED if ok else (NOT if bad else INCONCLUSIVE))]


def relu30_train(members: pd.DataFrame) -> list[dict]:
    """Final test error (mean over seeds; diverged = 1.0): reproduced if lecun stalls (> 0.8) and he
    learns (< 0.5); not reproduced if lecun learns too or he does not learn; else inconclusive."""
    if members.empty or set(members.init) < {"lecun", "he"}:
        return [missing("relu30_train", "no relu30 members for lecun and he")]
    err = members.final_test_error.fillna(1.0)
    e = err.groupby(members.init).mean()
    ok = e["lecun"] > STALLS and e["he"] < LEARNS
    bad = e["lecun"] < LEARNS or e["he"] > STALLS
    return [row("relu30_train", f"final test error; learns < {LEARNS}, stalls > {STALLS} (chance 0.9)",
                f"lecun {100 * e['lecun']:.1f}%, he {100 * e['he']:.1f}%; n={n_seeds(members)}",
                "1/n stalls, he learns", REPRODUCED if ok else (NOT if bad else INCONCLUSIVE))]


# --------------------------------------------------------------------------------------------
# all of them
# --------------------------------------------------------------------------------------------

def _pitfalls():
    """glorot.pitfalls (issue 7), imported when its checks run (it imports this module)."""
    from glorot import pitfalls  # noqa: PLC0415

    return pitfalls


CHECKS = {  # figure id -> (experiment, function of that experiment's frames)
    "fig02": ("fig2_sigmoid", lambda d: fig02(d.stats)),
    "fig03": ("saturation", lambda d: fig03(d.stats)),
    "fig04": ("saturation", lambda d: fig04(d.hist)),
    "fig05": (None, lambda d: fig05()),
    "fig06": ("init_tanh", lambda d: fig06(d.stats)),
    "fig07": ("init_tanh", lambda d: fig07(d.stats)),
    "fig08": ("init_tanh", lambda d: fig08(d.stats)),
    "fig09": ("saturation", lambda d: fig09(d.stats)),
    "fig10": ("saturation", lambda d: fig10(d.stats)),
    "fig11": ("shapeset_table1", lambda d: fig11(d.members)),  # + shapeset_sigmoid4 (COMPANIONS)
    "fig12": ("table1", lambda d: fig12(d.members)),
    "table1": ("table1", lambda d: table1_rows(d.members)),
    "relu_init": ("init_relu", lambda d: relu_init(d.stats)),
    "relu30_init": ("relu30", lambda d: relu30_init(d.stats)),
    "relu30_train": ("relu30", lambda d: relu30_train(d.members)),
    "jacobian": ("init_tanh", lambda d: jacobian(d.jacobian)),
    # the classic initialization pitfalls beside the paper (issue 7; glorot.pitfalls)
    "pitfall_zeros": ("pitfall_zeros", lambda d: _pitfalls().verdict_zeros(d.stats, d.members)),
    "pitfall_scale": ("pitfall_scale", lambda d: _pitfalls().verdict_scale(d.stats, d.members)),
    "pitfall_linear": ("pitfall_linear", lambda d: _pitfalls().verdict_linear(d.stats)),
    "pitfall_leaky": ("pitfall_leaky", lambda d: _pitfalls().verdict_leaky(d.stats)),
}


#: experiments read together with another one: Fig. 11's sigmoid depth-4 line is its own experiment
#: (a stack has one depth), drawn and judged with the 5-layer Shapeset runs
COMPANIONS = {"shapeset_table1": ("shapeset_sigmoid4",)}


def experiment_frames(data, name: str | None) -> SimpleNamespace:
    """The frames of ``data`` restricted to experiment ``name`` and its ``COMPANIONS`` (empty frames
    where absent)."""
    names = [name, *COMPANIONS.get(name, ())] if name is not None else None
    out = {}
    for k in ("members", "metrics", "stats", "hist", "jacobian", "runs"):
        f = getattr(data, k, None)
        if f is None:
            f = pd.DataFrame()
        if name is not None and len(f) and "name" in f:
            f = f[f["name"].isin(names)]
        elif name is not None and "name" not in f:
            f = f.iloc[0:0]
        if k in ("stats", "hist", "jacobian"):
            f = hidden(f)
        out[k] = f.reset_index(drop=True)
    return SimpleNamespace(**out)


def check(fig_id: str, data) -> list[dict]:
    exp, fn = CHECKS[fig_id]
    d = experiment_frames(data, exp)
    if exp is not None and d.members.empty and d.stats.empty:
        return [missing(fig_id, f"no runs of experiment '{exp}'")]
    try:
        return fn(d)
    except (KeyError, ValueError, IndexError) as e:  # absent columns/rows: say so, never guess
        return [missing(fig_id, f"cannot measure: {type(e).__name__}: {e}")]


def all_verdicts(data, only: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for fig_id in CHECKS:
        if only and fig_id not in only:
            continue
        rows += check(fig_id, data)
    return pd.DataFrame(rows, columns=COLUMNS)
