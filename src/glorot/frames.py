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

from glorot.plotting import hidden_mask

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
    Per-layer frames keep hidden layers only.

    Each frame is cut with one boolean mask (one copy of the kept rows: the string columns are
    Arrow arrays, whose copies are the cost here), and the cut is kept on ``data`` for the next
    claim that reads the same experiments: the plot stage asks ~70 times for ~25 cuts of a
    2-million-row ``hist``. Callers get their own (copy-on-write) frames."""
    if isinstance(names, str):
        names = [names]
    key = (None if names is None else tuple(names), profile)
    cache = _cuts(data)
    if key not in cache:
        cache[key] = {k: _cut(_frame(data, k), k, names, profile) for k in FRAMES}
    return SimpleNamespace(**{k: f.copy(deep=False) for k, f in cache[key].items()})


def _cuts(data) -> dict:
    """The cache of ``experiment_frames`` on ``data`` (a namespace; anything else gets none)."""
    try:
        return vars(data).setdefault("_experiment_frames", {})
    except TypeError:
        return {}


def _cut(f: pd.DataFrame, k: str, names, profile: str | None) -> pd.DataFrame:
    if names is not None and "name" not in f:
        return f.iloc[0:0].reset_index(drop=True)
    mask = None
    if names is not None and len(f):
        mask = f["name"].isin(list(names)).to_numpy(bool)
    if profile is not None and len(f) and "profile" in f:
        m = (f["profile"].astype(str) == profile).to_numpy(bool)
        mask = m if mask is None else mask & m
    m = hidden_mask(f) if k in ("stats", "hist", "jacobian") else None
    if m is not None:
        mask = m if mask is None else mask & m
    if mask is not None and not mask.all():
        f = f[mask]
    return f.reset_index(drop=True)


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
