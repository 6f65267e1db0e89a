"""The dead-unit claim (glorot/claims/relu30_dead.py): its verdicts on cases whose answer is known,
its stated tolerance, its figure's drawn data against the records, and the recorder's dead share
of a real 30-layer ReLU stack at init against the prediction it is judged by."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import torch

from glorot import theory
from glorot.claims import relu30_dead as C

DEPTH, WIDTH = 30, 200
PRED = np.linspace(0.01, 0.30, DEPTH)  # a rising prediction (mean 0.155)


@pytest.fixture(autouse=True)
def fixed_prediction(monkeypatch):
    """The prediction is glorot.theory.dead_share (tested against Sheppard's formula and measured
    stacks in test_theory.py); here a known curve, so that no MNIST file is needed."""
    monkeypatch.setattr(C.TC, "predicted_dead", lambda depth, data="mnist", *a, **k: PRED[:depth])


def stats_frame(shares: dict, last: dict | None = None) -> pd.DataFrame:
    """A tidy stats frame: ``shares[(init, seed)]`` the per-layer dead share at step 0 (and ``last``
    at step 10,000), with an output layer that has no dead share, and std rows beside them."""
    rows = []
    for step, table in ((0, shares), (10_000, last or {})):
        for (init, seed), v in table.items():
            for layer, x in enumerate(v, start=1):
                base = dict(member=f"{init}-{seed}", step=step, layer=layer, activation="relu", init=init, seed=seed,
                            depth=DEPTH, width=WIDTH, data="mnist")
                rows += [dict(base, signal="act", stat="dead", value=float(x)),
                         dict(base, signal="act", stat="std", value=1.0)]
            rows.append(dict(base, layer=DEPTH + 1, signal="act", stat="std", value=1.0))
    return pd.DataFrame(rows)


def verdicts(shares, last=None) -> list[str]:
    return [r["verdict"] for r in C.judge(stats_frame(shares, last))]


def test_tolerance_is_the_stated_formula():
    p = 0.2
    assert C.tolerance(p, 200, 2) == pytest.approx(3 * np.sqrt(0.16 / 400) + 0.02)
    assert C.tolerance(p, 200, 1, pair=True) == pytest.approx(3 * np.sqrt(0.32 / 200) + 0.02)
    assert C.tolerance(p, 1000, 5) < C.tolerance(p, 200, 2)  # wider and more seeds: tighter


def test_as_predicted_is_reproduced():
    s = {(i, k): PRED for i in C.INITS for k in (0, 1)}
    rows = C.judge(stats_frame(s))
    assert [r["verdict"] for r in rows] == ["reproduced", "reproduced"]
    assert "15.5%" in rows[0]["value"] and "predicted 15.5%" in rows[0]["paper"]


def test_off_in_every_seed_is_not_reproduced():
    tol1 = C.tolerance(PRED.mean(), WIDTH, 1)
    s = {(i, k): PRED + tol1 + 0.01 for i in C.INITS for k in (0, 1)}
    assert verdicts(s)[0] == "not reproduced"
    flat = np.full(DEPTH, PRED.mean())  # right mean, but not rising with depth
    assert verdicts({(i, k): flat for i in C.INITS for k in (0, 1)})[0] == "not reproduced"


def test_off_between_the_tolerances_is_inconclusive():
    tol, tol1 = C.tolerance(PRED.mean(), WIDTH, 2), C.tolerance(PRED.mean(), WIDTH, 1)
    assert tol < tol1
    s = {(i, k): PRED + (tol + tol1) / 2 for i in C.INITS for k in (0, 1)}  # outside TOL, inside one seed's
    assert verdicts(s)[0] == "inconclusive"
    s = {(i, 0): PRED + 2 * tol + 0.02 for i in C.INITS} | {(i, 1): PRED for i in C.INITS}  # one seed far off
    assert verdicts(s)[0] == "inconclusive"


def test_scale_row_he_against_lecun():
    tol21 = C.tolerance(PRED.mean(), WIDTH, 1, pair=True)
    s = {("lecun", k): PRED for k in (0, 1)} | {("he", k): 0 * PRED for k in (0, 1)}
    assert PRED.mean() > tol21
    assert verdicts(s)[1] == "not reproduced"  # he keeps its units alive in every seed: contradicted
    s = {("lecun", 0): PRED + 0.1, ("lecun", 1): PRED, ("he", 0): 0 * PRED, ("he", 1): PRED}
    assert verdicts(s)[1] == "inconclusive"  # one seed of two


def test_runs_without_the_dead_share_are_missing():
    df = stats_frame({(i, 0): PRED for i in C.INITS})
    rows = C.judge(df[df.stat != "dead"])
    assert [r["verdict"] for r in rows] == ["missing"] and "train them again" in rows[0]["measure"]
    assert C.judge(df[df.init == "he"])[0]["verdict"] == "missing"  # lecun's half absent


def test_figure_draws_the_records_and_the_prediction():
    rng = np.random.default_rng(0)
    s = {(i, k): np.clip(PRED + rng.normal(0, 0.02, DEPTH), 0, 1) for i in C.INITS for k in (0, 1)}
    after = {(i, k): v / 2 for (i, k), v in s.items()}
    fig = C.draw(stats_frame(s, after))
    left, right = fig.axes[:2]
    lines = {ln.get_label(): ln for ln in left.get_lines()}
    want = 100 * np.mean([s[("lecun", 0)], s[("lecun", 1)]], axis=0)
    np.testing.assert_allclose(lines["lecun (n=2)"].get_ydata(), want)
    np.testing.assert_allclose(lines["predicted at init (arc-cosine kernel)"].get_ydata(), 100 * PRED)
    got = {ln.get_label(): ln for ln in right.get_lines()}["he (n=2)"].get_ydata()
    np.testing.assert_allclose(got, 100 * np.mean([after[("he", 0)], after[("he", 1)]], axis=0))
    assert "after training" in right.get_title()


def test_recorded_dead_share_of_a_stack_against_the_prediction(monkeypatch):
    """The oracle end to end: the recorder's ``dead`` of an 8 x 1000 ReLU stack at init (He and LeCun
    from one seed) on correlated inputs, judged against glorot.theory.dead_share of those inputs."""
    from glorot.record import dead_units

    g = torch.Generator().manual_seed(1)
    base = torch.rand(1, 60, generator=g)
    x = (base + 0.6 * torch.rand(40, 60, generator=g)).double()  # positively correlated, as MNIST's are
    want = theory.dead_share(x.numpy(), 8, n_samples=20000)
    shares = {}
    for init, gain in (("lecun", 1.0), ("he", 2.0)):
        gw = torch.Generator().manual_seed(7)
        h, got = x, []
        for layer in range(8):
            w = torch.randn(h.shape[1], 1000, generator=gw, dtype=torch.float64) * (gain / h.shape[1]) ** 0.5
            h = torch.relu(h @ w)
            got.append(float(dead_units(h[None])[0]))
        shares[(init, 0)] = np.array(got)
    assert np.array_equal(shares[("lecun", 0)], shares[("he", 0)])  # the scale changes no sign
    np.testing.assert_allclose(shares[("he", 0)], want, atol=0.04)
    monkeypatch.setattr(C.TC, "predicted_dead", lambda depth, *a, **k: want[:depth])
    df = stats_frame(shares)
    df["depth"] = 8
    df["width"] = 1000
    assert [r["verdict"] for r in C.judge(df)] == ["reproduced", "reproduced"]


def test_the_prediction_is_made_for_the_runs_monitor_set(tmp_path, monkeypatch):
    """A run recorded on 100 monitor examples is judged against the prediction for those 100 (the
    share dead on fewer examples is larger); the size comes from the runs' config.yaml."""
    from types import SimpleNamespace

    from glorot import theory_claims as TC

    runs = []
    for name, size in (("a", 100), ("b", 100)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text(f"data:\n  name: mnist\n  monitor_size: {size}\n")
        runs.append({"run_dir": str(tmp_path / name)})
    assert TC.monitor_size(pd.DataFrame(runs)) == 100
    assert TC.monitor_size(pd.DataFrame(columns=["run_dir"])) == 300  # no run says: the data configs' 300
    (tmp_path / "b" / "config.yaml").write_text("data:\n  monitor_size: 50\n")
    with pytest.raises(ValueError, match=r"different sizes: \[50, 100\]"):
        TC.monitor_size(pd.DataFrame(runs))
    (tmp_path / "b" / "config.yaml").write_text("data:\n  monitor_size: 100\n")
    asked = []
    monkeypatch.setattr(C.TC, "predicted_dead",
                        lambda depth, data="mnist", *a, monitor_size=300, **k: asked.append(monitor_size) or PRED[:depth])
    s = {(i, k): PRED for i in C.INITS for k in (0, 1)}
    rows = C.CLAIM.judge(SimpleNamespace(stats=stats_frame(s), runs=pd.DataFrame(runs)))
    assert asked == [100] and [r["verdict"] for r in rows] == ["reproduced", "reproduced"]
