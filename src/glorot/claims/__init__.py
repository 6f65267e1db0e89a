"""One module per paper claim; the registry is this package's contents.

Each module ``glorot/claims/<id>.py`` holds everything about one claim: the experiment(s) it reads,
the frames it needs, its figure (``draw``), its verdict (``judge``, with its thresholds and the
reason for each), and where its paper numbers live in ``paper_numbers.yaml``. It ends with
``CLAIM = glorot.claim.Claim(...)``. ``all_claims()`` imports every module of this package and
collects their ``CLAIM`` in ``order``: adding a claim is adding a module (and its experiment config).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import pandas as pd

from glorot import frames, judging
from glorot.claim import Claim


@lru_cache(maxsize=1)
def all_claims() -> tuple[Claim, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        c = getattr(mod, "CLAIM", None)
        if isinstance(c, Claim):
            found.append(c)
    ids = [c.id for c in found]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RuntimeError(f"two claim modules define the same id: {dup}")
    return tuple(sorted(found, key=lambda c: (c.order, c.id)))


def by_id(claim_id: str) -> Claim:
    for c in all_claims():
        if c.id == claim_id:
            return c
    raise KeyError(f"{claim_id!r}: no such claim; valid: {', '.join(c.id for c in all_claims())}")


def figures() -> list[Claim]:
    """The claims that draw a figure, in order."""
    return [c for c in all_claims() if c.draw is not None]


def judged() -> list[Claim]:
    """The claims that have a verdict, in order."""
    return [c for c in all_claims() if c.judge is not None]


def check(claim: Claim | str, data) -> list[dict]:
    """The claim's verdict rows from ``data`` (its frames at its chosen profile), each stamped with
    the profile, budget and device of the runs it reads."""
    claim = by_id(claim) if isinstance(claim, str) else claim
    d = frames.claim_frames(data, claim)
    if claim.experiments and d.members.empty and d.stats.empty:
        rows = [judging.missing(claim.id, f"no runs of experiment '{claim.experiment}'")]
    else:
        try:
            rows = claim.judge(d)
        except (KeyError, ValueError, IndexError) as e:  # absent columns/rows: say so, never guess
            rows = [judging.missing(claim.id, f"cannot measure: {type(e).__name__}: {e}")]
    prof, bud, dev = frames.profile_of(d), frames.budget_of(d), frames.device_of(d)
    if not claim.experiments:
        prof, bud, dev = "none (computed on the fly)", "", "cpu"
    for r in rows:
        r.update(profile=r.get("profile") or prof, budget=r.get("budget") or bud, device=r.get("device") or dev)
    return rows


def all_verdicts(data, only: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for c in judged():
        if only and c.id not in only:
            continue
        rows += check(c, data)
    return pd.DataFrame(rows, columns=judging.COLUMNS)
