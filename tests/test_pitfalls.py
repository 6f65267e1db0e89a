"""The initialization pitfalls (issue 7): verdicts on tables with a known answer, oracle tests of
the maths they use (unit spread, per-layer ratio fit, He's generalized theory), every figure from a
fixture. Every pitfall experiment through the real entry point at the smoke profile, drawn and
judged: tests/test_reproduce.py (the smoke suite runs each of them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures_pitfalls import builders
from fixtures_tables import make_data
from matplotlib.figure import Figure

from glorot import figures, pitfalls, verdicts
from glorot.claims import pitfall_linear
from glorot.nn import Member, StackedMLP
from glorot.record import record_once

PITFALLS = ["pitfall_zeros", "pitfall_scale", "pitfall_linear", "pitfall_leaky"]
GOOD = make_data(reproduce=True, seeds=(0, 1), only=PITFALLS)
BAD = make_data(reproduce=False, seeds=(0, 1), only=PITFALLS)


def test_fixture_builders_cover_every_pitfall():
    assert set(builders(True, (0,))) == set(PITFALLS)
    assert {f.id for f in figures.FIGURES} >= set(PITFALLS)
    assert set(verdicts.CHECKS) >= set(PITFALLS)


@pytest.mark.parametrize("fig", PITFALLS)
def test_verdicts_known_answer(fig):
    good, bad = verdicts.check(fig, GOOD), verdicts.check(fig, BAD)
    good, bad = ([r for r in x if r["role"] != "context"] for x in (good, bad))  # shown, not counted
    assert good and all(r["verdict"] == verdicts.REPRODUCED for r in good), good
    assert bad and all(r["verdict"] == verdicts.NOT for r in bad), bad
    assert all("n=" in r["value"] for r in good + bad)


def test_missing_runs_read_missing():
    v = verdicts.all_verdicts(make_data(only=["init_tanh"]), only=PITFALLS)
    assert len(v) and (v.verdict == verdicts.MISSING).all()


def test_measured_numbers_are_reported():
    lin = verdicts.check("pitfall_linear", GOOD)[0]["value"]
    assert "c=0.5: act 0.500" in lin and "c=2: act 2.000" in lin  # exact geometric fixture
    leaky = verdicts.check("pitfall_leaky", GOOD)[0]["value"]
    assert "he:0.25: 1.0000/layer (theory 1.0000)" in leaky and "he: 1.0625/layer" in leaky
    train = verdicts.check("pitfall_scale", GOOD)[1]["value"]
    assert "relu normal:1.0 100.0% (2 diverged)" in train


def test_theory_and_fit_oracles():
    assert pitfalls.leaky_theory("leaky_relu:0.25", "he:0.25", 500) == pytest.approx(1.0)
    assert pitfalls.leaky_theory("leaky_relu:0.25", "he", 500) == pytest.approx(1.0625)
    assert pitfalls.leaky_theory("leaky_relu:0.25", "lecun", 500) == pytest.approx(0.53125)
    assert pitfalls.leaky_theory("relu", "he", 500) == pytest.approx(1.0)  # He et al.: a = 0
    layers = np.arange(2, 11)
    assert pitfalls.fit_ratio(layers, 3.0 * 0.7 ** layers) == pytest.approx(0.7)
    assert pitfalls.fit_ratio(layers, 3.0 * 0.7 ** (10 - layers), up=False) == pytest.approx(0.7)
    assert pitfall_linear.n_var_w("normal:0.05", 400) == pytest.approx(1.0)


def test_unit_spread_oracle():
    """act/unit_spread: 0 for zeros and for one constant (identical units), the numpy std across
    units (mean over examples) otherwise."""
    torch.manual_seed(0)
    members = [Member("tanh", i, 0.1, 0) for i in ("zeros", "constant:0.02", "normalized")]
    model = StackedMLP(members, 12, 16, 3, 4, dtype=torch.float64)
    x, y = torch.rand(30, 12, dtype=torch.float64), torch.randint(0, 4, (30,))
    st = record_once(model, x, y, {"signals": ["act"], "hist": False})["stats"]
    sp = st[st.stat == "unit_spread"].set_index(["member", "layer"]).value
    assert set(st[st.stat == "unit_spread"].signal) == {"act"}
    assert (sp.loc[0] == 0).all() and (sp.loc[1] < 1e-12).all() and (sp.loc[2] > 1e-2).all()
    with torch.no_grad():
        z1 = torch.tanh(x @ model.linears[0].weight[2].T).numpy()
    assert sp.loc[(2, 1)] == pytest.approx(z1.std(axis=1).mean(), rel=1e-9)


@pytest.mark.parametrize("data", [GOOD, make_data(reproduce=False, seeds=(0,), only=PITFALLS)],
                         ids=["reproducing", "flipped_n1"])
@pytest.mark.parametrize("fig", PITFALLS)
def test_figures_render(fig, data, tmp_path):
    spec = figures.by_id(fig)
    f = spec.draw(verdicts.experiment_frames(data, spec.experiment), "profile smoke: fixture")
    assert isinstance(f, Figure) and f.axes and "n=" in f._suptitle.get_text()
    f.savefig(tmp_path / "f.png", dpi=40)
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_empty_frames_still_render():
    empty = pd.DataFrame()
    for f in (pitfalls.fig_zeros(empty, empty), pitfalls.fig_scale(empty, empty, empty),
              pitfalls.fig_linear(empty), pitfalls.fig_leaky(empty)):
        assert f.axes
