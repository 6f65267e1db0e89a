"""Which records a claim reads: the frames of its experiments, at the strongest profile that has
all of them, and the caption (profile, budget, device) that every figure title and verdict row
carries.

``data`` is what ``glorot.plot.load`` returns: a namespace of tidy frames (members, metrics, stats,
hist, jacobian, runs), possibly holding several profiles (``--runs results/runs`` reads every
``results/runs/<profile>/``). Per claim, ``claim_frames`` picks the strongest profile (``PROFILES``:
paper_full > paper > quick > smoke) in which every experiment the claim reads has a complete run,
and keeps only that profile's rows; so a figure is drawn from GPU records where they exist and from
``quick`` elsewhere.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from glorot.plotting import hidden

FRAMES = ("members", "metrics", "stats", "hist", "jacobian", "runs")
PROFILES = ("paper_full", "paper", "quick", "smoke")  # strongest first


def _frame(data, k) -> pd.DataFrame:
    f = getattr(data, k, None)
    return f if isinstance(f, pd.DataFrame) else pd.DataFrame()


def _run_table(data) -> pd.DataFrame:
    """One row per run with name, profile, status: from ``runs`` (run.json), else from members."""
    runs = _frame(data, "runs")
    if len(runs) and "name" in runs:
        return runs
    m = _frame(data, "members")
    if len(m) and "name" in m and "run" in m:
        cols = [c for c in ("run", "name", "profile") if c in m]
        return m[cols].drop_duplicates("run")
    return pd.DataFrame()


def profiles_with(data, experiments) -> list[str]:
    """The profiles in which every experiment of ``experiments`` has a complete run, strongest first."""
    runs = _run_table(data)
    if runs.empty or "profile" not in runs or "name" not in runs:
        return []
    if "status" in runs:
        runs = runs[runs.status.isna() | (runs.status == "complete")]
    have = runs.groupby(runs.profile.astype(str)).name.agg(set)
    found = [p for p in have.index if set(experiments) <= have[p]]
    return sorted(found, key=lambda p: (PROFILES.index(p) if p in PROFILES else len(PROFILES), p))


def choose_profile(data, experiments) -> str | None:
    """The strongest profile holding all of ``experiments``; failing that, the strongest holding
    the first (main) one; None when the records carry no profile."""
    if not experiments:
        return None
    for exps in (experiments, experiments[:1]):
        found = profiles_with(data, exps)
        if found:
            return found[0]
    return None


def experiment_frames(data, names, profile: str | None = None) -> SimpleNamespace:
    """The frames of ``data`` restricted to the experiments ``names`` (a name, a list, or None for
    none: a claim computed on the fly) and, when given, to ``profile``; empty frames where absent.
    Per-layer frames keep hidden layers only."""
    if isinstance(names, str):
        names = [names]
    out = {}
    for k in FRAMES:
        f = _frame(data, k)
        if names is not None and len(f) and "name" in f:
            f = f[f["name"].isin(list(names))]
        elif names is not None and "name" not in f:
            f = f.iloc[0:0]
        if profile is not None and len(f) and "profile" in f:
            f = f[f["profile"].astype(str) == profile]
        if k in ("stats", "hist", "jacobian"):
            f = hidden(f)
        out[k] = f.reset_index(drop=True)
    return SimpleNamespace(**out)


def claim_frames(data, claim) -> SimpleNamespace:
    """``experiment_frames`` of a claim's experiments at its chosen profile (``choose_profile``)."""
    if not claim.experiments:
        return experiment_frames(data, None)
    return experiment_frames(data, list(claim.experiments), choose_profile(data, claim.experiments))


def profile_of(d: SimpleNamespace) -> str:
    runs, m = d.runs, d.members
    src = runs if "profile" in runs and len(runs) else m
    if "profile" not in src or src.empty:
        return ""
    return ", ".join(sorted({str(p) for p in src.profile.dropna()}))


def device_of(d: SimpleNamespace) -> str:
    runs = d.runs
    if "device_name" not in runs or runs.empty:
        return ""
    return ", ".join(sorted({str(x) for x in runs.device_name.dropna()}))


def budget_of(d: SimpleNamespace) -> str:
    """'3,000 updates of 10, width 200, n=2 seeds' for one claim's frames."""
    runs, m = d.runs, d.members
    bits = []
    if "updates" in runs and runs.updates.notna().any():
        ups = sorted({int(u) for u in runs.updates.dropna()})
        bits.append("at init (no training)" if ups == [0] else " / ".join(f"{u:,}" for u in ups) + " updates of 10")
    if "width" in m and len(m):
        bits.append("width " + "/".join(str(int(w)) for w in sorted(m.width.unique())))
    if "seed" in m and len(m):
        bits.append(f"n={m.seed.nunique()} seeds")
    return ", ".join(bits)


def caption(d: SimpleNamespace) -> str:
    """'profile quick: 3,000 updates of 10, width 200, n=2 seeds; device cpu (x86_64, 2 cores)'."""
    prof, bud, dev = profile_of(d), budget_of(d), device_of(d)
    if not prof and not bud:
        return ""
    text = f"profile {prof}" + (f": {bud}" if bud else "")
    return text + (f"; device {dev}" if dev else "")
