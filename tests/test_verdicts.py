"""Verdict logic on synthetic tables whose answer is known: all reproduced, then all not reproduced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures_tables import make_data

from glorot import surface, verdicts

GOOD = verdicts.all_verdicts(make_data(reproduce=True, seeds=(0, 1, 2)))
BAD = verdicts.all_verdicts(make_data(reproduce=False, seeds=(0, 1, 2)))
DATA_FIGS = [f for f in verdicts.CHECKS if f != "fig05"]


def test_columns_and_values():
    assert list(GOOD.columns) == verdicts.COLUMNS
    assert set(GOOD.verdict) <= set(verdicts.VERDICTS)
    assert GOOD.value.str.len().gt(0).all() and GOOD.claim.str.len().gt(0).all()


@pytest.mark.parametrize("fig", DATA_FIGS)
def test_reproducing_table_reads_reproduced(fig):
    v = GOOD[(GOOD.figure == fig) & (GOOD.role != "context")]  # context rows: shown, not counted
    assert len(v) and (v.verdict == "reproduced").all(), v.to_dict("records")


@pytest.mark.parametrize("fig", DATA_FIGS)
def test_flipped_table_reads_not_reproduced(fig):
    v = BAD[(BAD.figure == fig) & (BAD.role != "context")]
    assert len(v) and (v.verdict == "not reproduced").all(), v.to_dict("records")


def test_missing_runs_give_missing():
    v = verdicts.all_verdicts(make_data(only=["table1"]))
    assert (v[v.figure.isin(["fig02", "fig03", "fig06", "jacobian", "relu30_init"])].verdict == "missing").all()
    assert (v[v.figure == "fig12"].verdict == "reproduced").all()
    assert (v[v.figure == "fig11"].verdict == "missing").all()  # Fig. 11 is Shapeset (shapeset_table1)


def test_numbers_are_the_measured_ones():
    v = GOOD[GOOD.figure == "fig07"].iloc[0]
    assert v.value.startswith("0.11")  # fixture: std shrinks by sqrt(3) per layer, 3^-2 over 4 layers
    v = GOOD[GOOD.figure == "relu30_init"].iloc[0]
    assert "lecun act 0.500" in v.value and "he act 1.000" in v.value


def test_single_seed_pairwise_is_inconclusive():
    v = verdicts.all_verdicts(make_data(seeds=(0,), only=["table1"]), only=["fig12"])
    assert (v.verdict == "inconclusive").all()  # right direction, but no test with n = 1


def test_fig05_known_surfaces():
    w = np.linspace(-1, 1, 21)
    a, b = np.meshgrid(w, w)
    bowl = a ** 2 + b ** 2 + 0.1
    flat = np.tanh(3 * a) ** 2 + 0.0 * b  # flat in b and for |a| large
    s = surface.Surface(w, w, cross_entropy=bowl, quadratic=flat, n_examples=1, n_hidden=1)
    assert verdicts.fig05(s)[0]["verdict"] == "reproduced"
    s = surface.Surface(w, w, cross_entropy=flat, quadratic=bowl, n_examples=1, n_hidden=1)
    assert verdicts.fig05(s)[0]["verdict"] == "not reproduced"


def test_saturation_times_order():
    rows = [dict(layer=l, step=s, signal="act", stat="p98", value=0.99 if s >= 10 * l else 0.3, seed=0)
            for l in (1, 2, 3) for s in (0, 10, 20, 30)]
    t = verdicts.saturation_times(pd.DataFrame(rows))
    assert list(t) == [10, 20, 30]


def test_no_saturation_within_budget_is_inconclusive():
    d = make_data(seeds=(0,), only=["saturation"])
    s = d.stats
    s.loc[(s.stat == "p98"), "value"] = 0.5
    s.loc[(s.stat == "sat"), "value"] = 0.0
    v = verdicts.all_verdicts(d, only=["fig03", "fig10"])
    assert (v.verdict == "inconclusive").all(), v.to_dict("records")


def test_fig09_tie_within_ten_percent_is_inconclusive():
    """Spreads that differ by less than 10% are a tie, whatever their order."""
    import pandas as pd

    from glorot.verdicts import fig09

    rows = []
    for init, top in (("standard", 1.32), ("normalized", 1.31)):
        for step in (0, 100, 200):
            for layer in (1, 2, 3):
                rows.append({"signal": "grad_w", "stat": "std", "activation": "tanh", "init": init, "step": step,
                             "layer": layer, "seed": 0, "member": 0, "value": top if layer == 3 else 1.0})
    assert fig09(pd.DataFrame(rows))[0]["verdict"] == "inconclusive"
