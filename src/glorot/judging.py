"""Shared judging helpers with public names: the verdict row, Welch's t-test, and the robustness
rule every claim module applies.

A verdict row (``COLUMNS``): figure (the claim id), claim (the paper's, from paper_numbers.yaml),
measure (what we computed), value (our number), paper (what the paper says or predicts), verdict in
``VERDICTS``; then its uncertainty: ``n`` (seeds per side), ``spread_or_p`` (the seeds' range or a
p-value), ``threshold`` (what the verdict compares against); ``role`` (``verdict``, or ``context`` for a row
shown to the reader that the claim's overall verdict does not count); then where it comes from: ``profile``,
``budget`` and ``device`` of the runs it reads (filled in by ``glorot.claims.judge``).

**The robustness rule.** Float32 training is chaotic: the same commit on another CPU gives other
numbers. So a verdict must not hinge on noise:

* *reproduced* needs the claim's effect in the claimed direction (and, where the claim is a
  comparison the paper tests, Welch-significant at the paper's p < 0.005);
* *not reproduced* needs the data to **contradict** the claim: a difference in the wrong direction
  that is Welch-significant at the same p (``contradicts``), or every seed on the wrong side of the
  claim's threshold (``all_seeds``: beyond the seeds' spread);
* anything else, in particular a non-significant difference of the wrong sign, is *inconclusive*.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from glorot import paper

REPRODUCED, NOT, INCONCLUSIVE, MISSING = "reproduced", "not reproduced", "inconclusive", "missing"
VERDICTS = (REPRODUCED, NOT, INCONCLUSIVE, MISSING)
BASE_COLUMNS = ["figure", "claim", "measure", "value", "paper", "verdict"]
COLUMNS = BASE_COLUMNS + ["n", "spread_or_p", "threshold", "role", "profile", "budget", "device"]
ROLES = ("verdict", "context")  # context: shown for the reader, not counted in the claim's verdict


def row(fig, measure, value, paper_says, verdict, claim=None, n="", spread_or_p="", threshold="",
        role: str = "verdict") -> dict:
    """One verdict row; ``n``, ``spread_or_p`` and ``threshold`` carry its uncertainty. ``role``
    "context" marks a row shown for the reader (e.g. a former measure) that the claim's overall
    verdict does not count."""
    assert verdict in VERDICTS, verdict
    assert role in ROLES, role
    return dict(figure=fig, claim=claim if claim is not None else paper.claim(fig), measure=measure,
                value=value, paper=paper_says, verdict=verdict, n=n, spread_or_p=spread_or_p,
                threshold=threshold, role=role, profile="", budget="", device="")


def missing(fig: str, why: str) -> dict:
    return row(fig, why, "", "", MISSING)


def significance_p() -> float:
    """The paper's significance threshold (Table 1's bold entries), used for every Welch test."""
    return paper.significance_p()


def welch_p(a, b) -> float:
    """Two-sided Welch's t-test p-value; NaN when either side has fewer than 2 values."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    if np.std(a) == 0 and np.std(b) == 0:
        return 0.0 if a.mean() != b.mean() else 1.0
    with warnings.catch_warnings():  # one side constant (e.g. a net stuck at the majority class)
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(sps.ttest_ind(a, b, equal_var=False).pvalue)


def significant(p: float, thr: float | None = None) -> bool:
    return bool(np.isfinite(p) and p < (significance_p() if thr is None else thr))


def contradicts(lower, higher, thr: float | None = None) -> bool:
    """The claim says mean(lower) < mean(higher): the data contradict it when mean(lower) >
    mean(higher) with Welch's p below ``thr`` (the paper's 0.005 by default)."""
    a, b = np.asarray(lower, float), np.asarray(higher, float)
    if len(a) == 0 or len(b) == 0:
        return False
    return bool(a.mean() > b.mean() and significant(welch_p(a, b), thr))


def all_seeds(values, wrong) -> bool:
    """Every seed's value on the wrong side (``wrong(v)`` true for all): beyond the seeds' spread."""
    v = [x for x in np.asarray(values, float).ravel() if np.isfinite(x)]
    return bool(v) and all(wrong(x) for x in v)


def decide(ok: bool, contradicted: bool) -> str:
    """The robustness rule: reproduced if ``ok``; not reproduced only if ``contradicted``."""
    return REPRODUCED if ok else (NOT if contradicted else INCONCLUSIVE)


def spread(values, fmt: str = "{:.3g}", scale: float = 1.0) -> str:
    """'seeds a..b' (the range over seeds), or '' when there are none."""
    v = np.asarray(values, float).ravel() * scale
    v = v[np.isfinite(v)]
    if not len(v):
        return ""
    return f"seeds {fmt.format(v.min())}..{fmt.format(v.max())}"


def per_seed(df: pd.DataFrame, fn) -> np.ndarray:
    """``fn(frame of one seed)`` for each seed of ``df`` (a float per seed)."""
    if df.empty or "seed" not in df:
        return np.array([])
    return np.array([float(fn(g)) for _, g in df.groupby("seed")])


def layer_stat(stats: pd.DataFrame, signal: str, name: str = "std", step: str = "first", **eq) -> pd.Series:
    """Per-layer value (mean over seeds) at the first (or last) record step."""
    s = stats[(stats.signal == signal) & (stats.stat == name)]
    for k, v in eq.items():
        s = s[s[k] == v]
    if s.empty:
        return pd.Series(dtype=float)
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return s.groupby("layer").value.mean().sort_index()


def layer_stat_per_seed(stats: pd.DataFrame, signal: str, name: str = "std", step: str = "first",
                        **eq) -> pd.DataFrame:
    """As ``layer_stat`` but one column per seed: index layer, columns seed."""
    s = stats[(stats.signal == signal) & (stats.stat == name)]
    for k, v in eq.items():
        s = s[s[k] == v]
    if s.empty:
        return pd.DataFrame()
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return s.groupby(["layer", "seed"]).value.mean().unstack("seed").sort_index()


def pairwise(fig, a, b, labels: tuple[str, str], paper_values: tuple, claim=None) -> dict:
    """Claim: mean final test error of ``a`` (per-seed errors) below ``b``'s. Reproduced if lower with
    Welch's p < 0.005 (the paper's test); not reproduced only if higher with p < 0.005; otherwise
    (lower or higher, not significant; or n < 2) inconclusive."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    la, lb = labels
    if len(a) == 0 or len(b) == 0:
        return missing(fig, f"no {la} or {lb} members")
    p = welch_p(a, b)
    thr = significance_p()
    v = decide(a.mean() < b.mean() and significant(p, thr), contradicts(a, b, thr))
    pa, pb = paper_values
    return row(fig, f"final test error at chosen lr, {la} vs {lb}; Welch's t-test, p < {thr:g}",
               f"{la} {100 * a.mean():.2f}% vs {lb} {100 * b.mean():.2f}%, p = {p:.3g}; n={len(a)},{len(b)}",
               f"{la} {pa}% vs {lb} {pb}%", v, claim=claim, n=f"{len(a)},{len(b)}", spread_or_p=f"p = {p:.3g}",
               threshold=f"Welch p < {thr:g}; not reproduced only if higher at p < {thr:g}")


def shrink_pair(fig, stats: pd.DataFrame, signal: str, up: bool, what: str, shrink: float, no_shrink: float,
                theory: str = "") -> list[dict]:
    """Figs. 6 and 7: the std of ``signal`` at init, top / bottom hidden layer (``up``) or bottom /
    top (going down), per init. Standard init: reproduced if the seed-mean ratio < ``shrink``; not
    reproduced only if every seed's ratio >= ``no_shrink``. Normalized init more level than
    standard: reproduced if its |log ratio| is smaller; not reproduced only if larger with Welch's
    p < 0.005 over the seeds' |log ratio|."""
    out, r, per = [], {}, {}
    for init in ("standard", "normalized"):
        s = layer_stat(stats, signal, init=init)
        if len(s) < 2:
            out.append(missing(fig, f"no {signal}/std statistics at init for {init} init"))
            continue
        top, bottom = s.index.max(), s.index.min()
        ps = layer_stat_per_seed(stats, signal, init=init)
        r[init] = float(s.loc[top] / s.loc[bottom]) if up else float(s.loc[bottom] / s.loc[top])
        per[init] = (ps.loc[top] / ps.loc[bottom] if up else ps.loc[bottom] / ps.loc[top]).to_numpy(float)
        lab = f"layer {top} / layer {bottom}" if up else f"layer {bottom} / layer {top}"
        n = int(stats[stats.init == init].seed.nunique()) if "seed" in stats else 0
        if init == "standard":
            v = decide(r[init] < shrink, all_seeds(per[init], lambda x: x >= no_shrink))
            out.append(row(fig, f"standard init: {what} {lab} at init; shrinks if < {shrink}",
                           f"{r[init]:.3f}; n={n}", f"shrinks{theory}", v, n=n, spread_or_p=spread(per[init]),
                           threshold=f"reproduced if < {shrink}; not reproduced if every seed >= {no_shrink}"))
        elif "standard" in r:
            la, lb = np.abs(np.log(per[init])), np.abs(np.log(per["standard"]))
            v = decide(abs(np.log(r[init])) < abs(np.log(r["standard"])), contradicts(la, lb))
            out.append(row(fig, f"normalized init: {what} {lab}, closer to 1 than standard's",
                           f"{r[init]:.3f} (standard {r['standard']:.3f}); n={n}", "level across layers", v,
                           n=f"{len(la)},{len(lb)}", spread_or_p=f"{spread(per[init])}; p = {welch_p(la, lb):.3g}",
                           threshold="|log ratio| below standard's; not reproduced only if above at Welch p < 0.005"))
    return out


def fit_ratio(layers, values, up: bool = True) -> float:
    """Per-layer ratio of ``values`` (a variance) from a least-squares line through log(values) vs
    layer: going up (layer l -> l + 1) if ``up``, else going down (l + 1 -> l)."""
    x = np.asarray(layers, float)
    y = np.log(np.asarray(values, float))
    slope = np.polyfit(x, y, 1)[0]
    return float(np.exp(slope if up else -slope))
