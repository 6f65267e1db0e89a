"""The committed results/ against the code before the change, from the same records.

``tests/reference/quick/`` holds ``verdicts.csv`` and ``table1.csv`` as the code at e7c439b (before
the 2026-12-04 speed work: heap policy, alive-mask fast path, forked figure workers, the thread
policy) wrote them from the run folders that ``results/`` is drawn from: the quick runs of
2026-12-04 on the 2-core VM (Intel Xeon, native kernels) and the committed paper-profile records
(``python -m glorot.plot --runs results/runs --out <dir>``). ``results/`` holds what today's code
writes from the same runs. Every row must be unchanged, except the rows listed in ``CHANGED`` with
their reason.

A change that moves an output lists the row here; a session that regenerates ``results/`` from
new runs (another machine, more records) regenerates the reference with the old code on the same
runs, as this one did.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "quick"
NEW = ROOT / "results"

#: rows whose verdict may change, keyed by (claim, start of the measure), with the reason
CHANGED: dict[tuple[str, str], tuple[str, str, str]] = {}

#: claims added since the reference was written, with where their rows come from; their rows are
#: left out of the comparison (every other row must still be the same, in the same order)
ADDED: dict[str, str] = {
    "relu30_dead": "2026-12-07: drawn from a quick relu30 run on the AMD Zen 4 host with MKL on its Intel "
                   "AVX-512 path (docs/speed-log.md), whose relu30_init and relu30_train rows and figures "
                   "equal the committed Intel ones byte for byte",
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def frames():
    if not (REF / "verdicts.csv").exists() or not (NEW / "verdicts.csv").exists():
        pytest.skip("no reference or no committed results/verdicts.csv")
    new = _read(NEW / "verdicts.csv")
    return _read(REF / "verdicts.csv"), new[~new.figure.isin(list(ADDED))].reset_index(drop=True)


def test_added_claims_are_in_results_and_not_in_the_reference():
    if not (REF / "verdicts.csv").exists() or not (NEW / "verdicts.csv").exists():
        pytest.skip("no reference or no committed results/verdicts.csv")
    old, new = _read(REF / "verdicts.csv"), _read(NEW / "verdicts.csv")
    for claim in ADDED:
        assert (new.figure == claim).any() and not (old.figure == claim).any(), claim


def _changed(row) -> tuple[str, str, str] | None:
    for (fig, start), v in CHANGED.items():
        if row.figure == fig and row.measure.startswith(start):
            return v
    return None


def test_same_rows_in_the_same_order(frames):
    old, new = frames
    assert list(new.columns) == list(old.columns)
    assert list(zip(new.figure, new.measure)) == list(zip(old.figure, old.measure))


def test_rows_unchanged_but_the_listed_ones(frames):
    old, new = frames
    for (_, a), (_, b) in zip(old.iterrows(), new.iterrows()):
        listed = _changed(a)
        if listed is not None:
            before, after, _ = listed
            assert (a.verdict, b.verdict) == (before, after), (a.figure, a.measure)
            assert a.drop("verdict").equals(b.drop("verdict")), (a.figure, a.measure)
        else:
            assert a.equals(b), (a.figure, a[a != b].to_dict(), b[a != b].to_dict())


def test_every_listed_change_is_a_row():
    if not (REF / "verdicts.csv").exists():
        pytest.skip("no reference")
    old = _read(REF / "verdicts.csv")
    for fig, start in CHANGED:
        assert ((old.figure == fig) & old.measure.str.startswith(start)).any(), (fig, start)


def test_most_rows_are_compared(frames):
    """The reference is not empty: the quick-profile rows are the many."""
    _, new = frames
    assert (new.profile == "quick").sum() >= 15 and len(new) >= 40


def test_table1_unchanged():
    if not (REF / "table1.csv").exists() or not (NEW / "table1.csv").exists():
        pytest.skip("no reference or no committed results/table1.csv")
    pd.testing.assert_frame_equal(_read(REF / "table1.csv"), _read(NEW / "table1.csv"))
