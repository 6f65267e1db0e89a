"""Shapeset figures (issue 6): Fig. 1 samples, Fig. 11 on Shapeset with the majority-class line,
Table 1 with its Shapeset and MNIST columns, and the Fig. 11 verdict on known-answer tables."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from fixtures_tables import SHAPESET_FINAL, make_data
from helpers import compose_cfg
from matplotlib.figure import Figure

from glorot import figures, shapeset, table1, verdicts
from glorot.verdicts import experiment_frames

SHAPESET = ["shapeset_table1", "shapeset_sigmoid4"]
GOOD = make_data(reproduce=True, seeds=(0, 1, 2), only=SHAPESET + ["table1"])
BAD = make_data(reproduce=False, seeds=(0, 1, 2), only=SHAPESET + ["table1"])


def _close(fig):
    matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("experiment,depth,n_acts", [("shapeset_table1", 5, 3), ("shapeset_sigmoid4", 4, 0)])
def test_shapeset_experiments_compose(experiment, depth, n_acts):
    cfg = compose_cfg(f"experiment={experiment}", "profile=quick")
    assert cfg.data.name == "shapeset" and cfg.model.depth == depth and cfg.name == experiment
    assert list(cfg.stack.lrs) == list(cfg.profile.lr_grid) and list(cfg.stack.seeds) == list(cfg.profile.seeds)
    assert len(cfg.stack.activations) == n_acts
    if experiment == "shapeset_sigmoid4":
        assert cfg.activation.name == "sigmoid" and cfg.init.name == "standard"


def test_reproduce_runs_the_shapeset_experiments():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "reproduce.py"
    spec = importlib.util.spec_from_file_location("reproduce", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert {"shapeset_table1", "shapeset_sigmoid4"} <= set(mod.EXPERIMENTS)


# --------------------------------------------------------------------------------------------
# Fig. 1
# --------------------------------------------------------------------------------------------


def test_fig01_renders_shapeset_samples_with_labels(tmp_path):
    spec = figures.by_id("fig01")
    assert spec.experiment is None and spec.stem == "fig01_shapeset_samples" and spec.claim
    fig = figures.fig01_samples("cap", n=12, cols=6, mnist_root=None)
    assert isinstance(fig, Figure)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 12
    assert {ax.get_title().replace("\n", "") for ax in images} <= set(shapeset.CLASS_NAMES)
    _, y = shapeset.generate(__import__("torch").tensor([0]), 0, 12, domain=shapeset.DOMAIN_TEST)
    assert [ax.get_title().replace("\n", "") for ax in images] == [shapeset.CLASS_NAMES[int(v)] for v in y[0]]
    fig.savefig(tmp_path / "f1.png", dpi=40)
    _close(fig)
    assert (tmp_path / "f1.png").stat().st_size > 1000


def test_fig01_mnist_panel_only_when_cached(tmp_path):
    fig = figures.fig01_samples(n=6, cols=6, mnist_root=str(tmp_path / "no_mnist_here"))  # never downloads
    assert len([ax for ax in fig.axes if ax.images]) == 6
    _close(fig)
    if figures.mnist_samples(1) is None:
        pytest.skip("MNIST not cached under data/")
    fig = figures.fig01_samples(n=6, cols=6, n_mnist=6)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(titles) == 12 and sum(t.startswith("label ") for t in titles) == 6
    _close(fig)


# --------------------------------------------------------------------------------------------
# Fig. 11
# --------------------------------------------------------------------------------------------


def test_fig11_reads_shapeset_with_sigmoid_depth4_companion():
    spec = figures.by_id("fig11")
    assert spec.experiment == "shapeset_table1" and verdicts.CHECKS["fig11"][0] == "shapeset_table1"
    d = experiment_frames(GOOD, spec.experiment)
    assert set(d.members.name) == set(SHAPESET) and set(d.members.depth) == {4, 5}
    assert set(experiment_frames(GOOD, "table1").members.data) == {"mnist"}  # Fig. 12 stays MNIST


def test_fig11_renders_with_majority_line_and_order(tmp_path):
    d = experiment_frames(GOOD, "shapeset_table1")
    fig = figures.fig11_test_error(d.members, d.metrics, "profile smoke: fixture")
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    maj = [ln for ln in ax.get_lines() if ln.get_label().startswith("majority-class error")]
    assert len(maj) == 1 and np.allclose(maj[0].get_ydata(), 100 * shapeset.MAJORITY_ERROR)
    assert "83.3%" in maj[0].get_label()
    curves = [lab for lab in labels if not lab.startswith("majority")]
    names = [lab.split(" (lr")[0] for lab in curves]
    assert {"Sigmoid depth 5", "Sigmoid depth 4", "Tanh", "Softsign", "Softsign N", "Tanh N"} <= set(names)
    assert "Sigmoid N (extra)" in names
    finals = [float(lab.rsplit(": ", 1)[1].rstrip("%")) for lab in curves]
    assert finals == sorted(finals, reverse=True)  # ordered by final error, worst first
    assert names[0] == "Sigmoid depth 5" and names[-1] == "Tanh N"
    assert all("n=3" in lab for lab in curves)
    fig.savefig(tmp_path / "f11.png", dpi=40)
    _close(fig)


# --------------------------------------------------------------------------------------------
# Table 1: both columns
# --------------------------------------------------------------------------------------------


def test_table1_has_shapeset_and_mnist_columns():
    m = table1.members_of(GOOD)
    assert set(m.name) == {"table1", "shapeset_table1"}  # not the depth-4 companion
    t = table1.table1(m)
    assert set(t.data) == {"mnist", "shapeset"} and len(t) == 12
    s = t[t.data == "shapeset"].set_index(["activation", "init"])
    assert s.loc[("tanh", "normalized"), "paper_test_error"] == pytest.approx(0.1560)
    assert s.loc[("sigmoid", "standard"), "paper_test_error"] == pytest.approx(0.8261)
    assert np.isnan(s.loc[("sigmoid", "normalized"), "paper_test_error"])
    assert (s.lr == 0.1).all()  # the Shapeset fixture's good lr; MNIST's differs per activation
    mn = t[t.data == "mnist"].set_index(["activation", "init"])
    assert mn.loc[("tanh", "standard"), "lr"] == 0.01 and mn.loc[("sigmoid", "standard"), "lr"] == 0.1
    assert s.loc[("tanh", "normalized"), "best"] and mn.loc[("tanh", "normalized"), "best"]
    assert s.loc[("tanh", "normalized"), "test_error_mean"] == pytest.approx(
        SHAPESET_FINAL[("tanh", "normalized")], abs=0.005)
    assert s.loc[("tanh", "standard"), "different_from_best"]  # Welch, per data set
    assert (s.n == 3).all()


def test_table1_ignores_other_depths():
    both = pd.concat([experiment_frames(GOOD, "shapeset_table1").members], ignore_index=True)
    assert set(both.depth) == {4, 5}
    t = table1.table1(both)
    s = t.set_index(["activation", "init"])
    assert s.loc[("sigmoid", "standard"), "test_error_mean"] == pytest.approx(0.8261, abs=0.01)  # not depth 4
    assert s.loc[("sigmoid", "standard"), "n"] == 3


def test_table1_markdown_side_by_side():
    t = table1.table1(table1.members_of(GOOD))
    md = table1.to_markdown(t, "smoke")
    head = next(line for line in md.splitlines() if line.startswith("| configuration | Shapeset: ours"))
    assert head.index("Shapeset") < head.index("MNIST")  # the paper's column order
    row = next(line for line in md.splitlines() if line.startswith("| Tanh N |") and "15.60" in line)
    assert "best" in row and "1.64" in row
    assert "**Table 1, Shapeset**" in md and "**Table 1, MNIST**" in md
    one = table1.to_markdown(table1.table1(experiment_frames(GOOD, "table1").members))
    assert "Shapeset: ours" not in one  # a single data set keeps the one-table layout


def test_plot_writes_table1_with_both_columns(tmp_path):
    from glorot import plot

    plot.make_all(GOOD, tmp_path, only=["fig11", "table1"], runs_label="fixture", formats=("png",), dpi=30)
    assert (tmp_path / "figures" / "fig11_test_error.png").exists()
    t = pd.read_csv(tmp_path / "table1.csv")
    assert set(t.data) == {"mnist", "shapeset"}
    assert "Shapeset: ours" in (tmp_path / "table1.md").read_text()
    assert "Shapeset" in (tmp_path / "index.html").read_text()


# --------------------------------------------------------------------------------------------
# Fig. 11 verdict on known answers
# --------------------------------------------------------------------------------------------


def _fig11(data) -> pd.DataFrame:
    return verdicts.all_verdicts(data, only=["fig11"])


def test_fig11_verdict_reproduced_and_flipped():
    good, bad = _fig11(GOOD), _fig11(BAD)
    assert len(good) == 3 and (good.verdict == "reproduced").all(), good.to_dict("records")
    assert len(bad) == 3 and (bad.verdict == "not reproduced").all(), bad.to_dict("records")
    assert "sigmoid depth 4: 60." in good.value.iloc[1]  # the depth-4 line is reported
    assert "Tanh N 15.6" in good.value.iloc[2] and "Shapeset" not in good.value.iloc[2]
    assert "15.6% vs Tanh 27.15%" in good.paper.iloc[2]  # the paper's Shapeset numbers, not MNIST's


def _stuck_members(sigmoid: float, others: float) -> pd.DataFrame:
    """Shapeset members: every paper row at ``others`` but sigmoid standard at ``sigmoid``."""
    rows = []
    for k, (a, i, s) in enumerate((a, i, s) for a in ("softsign", "tanh", "sigmoid")
                                  for i in ("standard", "normalized") for s in (0, 1, 2)):
        e = sigmoid if (a, i) == ("sigmoid", "standard") else others + (0.01 if (a, i) == ("tanh", "standard") else 0)
        e += 0.001 * s
        rows.append(dict(member=k, activation=a, init=i, lr=0.1, seed=s, depth=5, width=64, data="shapeset",
                         status="ok", final_valid_error=e, final_test_error=e, name="shapeset_table1"))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sigmoid,others,expected", [
    (0.833, 0.30, "reproduced"),      # stuck at the majority error while the rest learn
    (0.833, 0.77, "inconclusive"),    # nothing learned within the budget (what the quick profile shows)
    (0.70, 0.30, "inconclusive"),     # between stuck and learned
    (0.45, 0.30, "not reproduced"),   # sigmoid depth 5 learned
    (0.90, 0.30, "reproduced"),       # above the majority error (a constant non-majority guess) is stuck too
])
def test_fig11_stuck_thresholds(sigmoid, others, expected):
    v = verdicts.fig11(_stuck_members(sigmoid, others))
    assert v[1]["verdict"] == expected, v[1]
    assert v[0]["verdict"] == "reproduced"  # sigmoid depth 5 is the worst of the five in every case


def test_fig11_verdict_missing_without_shapeset_runs():
    v = verdicts.all_verdicts(make_data(only=["table1"]), only=["fig11"])
    assert (v.verdict == "missing").all() and "shapeset_table1" in v.measure.iloc[0]
