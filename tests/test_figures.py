"""Every figure function renders from small synthetic tables; the CLI writes the expected files."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
from fixtures_tables import make_data
from matplotlib.figure import Figure

from glorot import figures, plot, surface, table1
from glorot.verdicts import experiment_frames

DATA = make_data(reproduce=True, seeds=(0, 1))
FLIPPED = make_data(reproduce=False, seeds=(0,))  # one seed: no spread band, n=1


@pytest.mark.parametrize("spec", figures.FIGURES, ids=lambda s: s.id)
@pytest.mark.parametrize("data", [DATA, FLIPPED], ids=["reproducing", "flipped_n1"])
def test_every_figure_renders(spec, data, tmp_path):
    d = experiment_frames(data, spec.experiment)
    fig = spec.draw(d, "profile smoke: fixture")
    assert isinstance(fig, Figure)
    assert fig.axes, "a figure without axes"
    text = fig._suptitle.get_text() if fig._suptitle else ""
    if spec.experiment is not None:
        assert "n=" in text or any("n=" in ax.get_title() or "n=" in str(ax.get_legend_handles_labels()[1])
                                   for ax in fig.axes), "n must be stated"
    fig.savefig(tmp_path / f"{spec.stem}.png", dpi=40)
    matplotlib.pyplot.close(fig)
    assert (tmp_path / f"{spec.stem}.png").stat().st_size > 1000


def test_paper_layout_top_bottom():
    d = experiment_frames(DATA, "init_tanh")
    fig = figures.fig07_grad_s_init(d.hist)
    top, bottom = fig.axes[:2]
    assert top.get_title().startswith("Standard init") and bottom.get_title().startswith("Normalized init")
    assert top.get_xlabel() == "Back-propagated gradient dC/ds"
    d = experiment_frames(DATA, "saturation")
    fig = figures.fig03_saturation(d.stats)
    assert fig.axes[0].get_title().startswith("Tanh") and fig.axes[1].get_title().startswith("Softsign")
    assert "Epochs of 20,000" in fig.axes[1].get_xlabel()


def test_surface_is_deterministic_and_costs_are_sane():
    a, b = surface.cost_surface(points=11), surface.cost_surface(points=11)
    assert (a.cross_entropy == b.cross_entropy).all() and (a.quadratic == b.quadratic).all()
    assert (a.cross_entropy > 0).all() and (a.quadratic >= 0).all() and (a.quadratic <= 2).all()


def test_cli_writes_files_and_skips_missing(tmp_path, caplog):
    data = make_data(seeds=(0, 1), only=["init_tanh", "table1"])
    with caplog.at_level("WARNING"):
        plot.make_all(data, tmp_path, only=["fig06", "fig12", "fig02", "table1"], runs_label="fixture",
                      formats=("png", "pdf"), dpi=40)
    figs = tmp_path / "figures"
    for stem in ("fig06_act_hist_init", "fig12_test_error_mnist"):
        assert (figs / f"{stem}.png").exists() and (figs / f"{stem}.pdf").exists()
    assert not (figs / "fig02_sigmoid_activations.png").exists()
    assert "skipping fig02" in caplog.text
    for f in ("table1.csv", "table1.md", "verdicts.csv", "index.html", "gallery.md"):
        assert (tmp_path / f).exists(), f
    v = __import__("pandas").read_csv(tmp_path / "verdicts.csv")
    assert (v[v.figure == "fig02"].verdict == "missing").all()
    assert set(v.figure) == {"fig02", "fig06", "fig12", "table1"}


def test_figure_workers_write_the_same_files_as_one_process(tmp_path):
    """glorot.plot --jobs N (a worker judges and draws the claims computed on the fly while the
    parent loads the theory's inputs, then forked workers judge and draw the rest, one set of
    experiments each) writes byte for byte what one process writes: the same figures, verdicts,
    Table 1 and gallery."""
    data = make_data(seeds=(0, 1), only=["init_tanh", "table1", "saturation"])
    only = ["fig06", "fig07", "fig12", "fig02", "fig03", "fig05", "table1"]
    out = {}
    for jobs in (1, 2):
        plot.make_all(data, tmp_path / "out", only=only, runs_label="fixture", formats=("png", "pdf"), dpi=40,
                      jobs=jobs)
        out[jobs] = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes()
                     for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()}
        __import__("shutil").rmtree(tmp_path / "out")
    assert "figures/fig06_act_hist_init.png" in out[1] and "figures/fig03_saturation.pdf" in out[1]
    assert "figures/fig05_cost_surface.png" in out[2]  # drawn by the early worker
    assert "figures/fig02_sigmoid_activations.png" not in out[1]  # no runs: skipped by both
    assert out[1].keys() == out[2].keys()
    assert [k for k in out[1] if out[1][k] != out[2][k]] == []


def test_cli_help_and_fallback_loader(tmp_path):
    with pytest.raises(SystemExit) as e:
        plot.main(["--help"])
    assert e.value.code == 0
    assert plot.main(["--runs", str(tmp_path / "none"), "--out", str(tmp_path / "o"), "--only", "fig05",
                      "--formats", "png", "-q"]) == 0
    assert (tmp_path / "o" / "figures" / "fig05_cost_surface.png").exists()


def test_drawing_without_the_runs_keeps_the_verdicts_already_there(tmp_path, capsys):
    """A fresh clone holds the committed verdicts but not the quick runs: `make figures` there
    replaced them with "missing". Now such a call is refused in one line and writes nothing; the
    claims that need no runs, or --allow-missing, still draw."""
    runs, out = tmp_path / "runs", tmp_path / "out"
    runs.mkdir()
    out.mkdir()
    kept = "figure,claim,verdict\nfig03,tanh saturates,reproduced\nfig05,plateaus,inconclusive\n"
    (out / "verdicts.csv").write_text(kept)
    args = ["--runs", str(runs), "--out", str(out), "--formats", "png", "-q", "--jobs", "1"]
    assert plot.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "saturation" in err[0] and "fig03" in err[0], err
    assert sorted(p.name for p in out.iterdir()) == ["verdicts.csv"]
    assert (out / "verdicts.csv").read_text() == kept
    assert plot.main([*args, "--only", "fig05"]) == 0  # computed on the fly: nothing to lose
    assert (out / "figures" / "fig05_cost_surface.png").exists()
    assert plot.main([*args, "--only", "fig03", "--allow-missing"]) == 0
    assert "missing" in set(pd.read_csv(out / "verdicts.csv").verdict)



def test_weaker_runs_are_caught_claim_by_claim(tmp_path):
    """``would_weaken``: a claim whose verdict came from a stronger profile than the runs at hand
    (the fixture's runs are smoke) is caught, one from the same profile, a claim whose runs are
    absent (``would_lose``'s business) and one computed on the fly are not."""
    rows = [("fig03", "quick"), ("fig12", "smoke"), ("table1", "paper"), ("relu30_init", "quick"),
            ("fig05", "none (computed on the fly)"), ("fig07", "paper_full")]
    pd.DataFrame(rows, columns=["figure", "profile"]).assign(verdict="reproduced").to_csv(tmp_path / "verdicts.csv")
    data = make_data(seeds=(0, 1), only=["init_tanh", "table1"])  # no saturation or relu30 runs
    assert plot.would_weaken(data, tmp_path, None) == {"fig07": ("paper_full", "smoke"), "table1": ("paper", "smoke")}
    assert plot.would_weaken(data, tmp_path, ["fig12", "fig05"]) == {}
    assert plot.would_weaken(data, tmp_path / "nowhere", None) == {}


def test_table1_lr_selection_spread_and_test():
    t = table1.table1(experiment_frames(DATA, "table1").members)
    by = t.set_index(["activation", "init"])
    # the fixture's good lr: 0.1 for sigmoid, 0.01 otherwise (the other lr doubles the error)
    assert by.loc[("sigmoid", "standard"), "lr"] == 0.1 and by.loc[("tanh", "standard"), "lr"] == 0.01
    assert (t.n == 2).all() and t.test_error_std.notna().all()
    assert by.loc[("tanh", "normalized"), "best"]
    assert by.loc[("sigmoid", "standard"), "different_from_best"]  # 2.21% vs 1.50% with tiny noise
    assert by.loc[("tanh", "standard"), "paper_test_error"] == pytest.approx(0.0176)
    assert "Welch" in t.test.iloc[0]
    md = table1.to_markdown(t, "smoke")
    assert "| Tanh N | 1.50 ±" in md and "| 1.64 |" in md


def test_table1_diverged_lr_is_not_chosen():
    m = experiment_frames(DATA, "table1").members.copy()
    bad = (m.activation == "tanh") & (m.init == "standard") & (m.lr == 0.01) & (m.seed == 0)
    m.loc[bad, ["status", "final_valid_error", "final_test_error"]] = ["diverged", float("nan"), float("nan")]
    t = table1.table1(m).set_index(["activation", "init"])
    assert t.loc[("tanh", "standard"), "lr"] == 0.1  # a diverged seed counts as 100% valid error


def test_table1_single_seed_has_no_p_value():
    t = table1.table1(experiment_frames(FLIPPED, "table1").members)
    assert t.p_vs_best.isna().all() and (t.n == 1).all()


def test_data_filter_keeps_one_data_set_and_its_runs():
    """--data: the Shapeset and MNIST runs of one experiment are never drawn together."""
    import pandas as pd
    from types import SimpleNamespace

    from glorot.plot import FRAMES, restrict_data

    members = pd.DataFrame({"run": ["a", "a", "b"], "member": [0, 1, 0], "name": ["sat"] * 3,
                            "data": ["mnist", "mnist", "shapeset"]})
    stats = pd.DataFrame({"run": ["a", "b", "b"], "member": [0, 0, 0], "data": ["mnist", "shapeset", "shapeset"],
                          "value": [1.0, 2.0, 3.0]})
    runs = pd.DataFrame({"run": ["a", "b"], "name": ["sat", "sat"]})
    frames = {k: pd.DataFrame() for k in FRAMES}
    frames.update(members=members, stats=stats, runs=runs)
    d = restrict_data(SimpleNamespace(**frames), "shapeset")
    assert list(d.members.run) == ["b"] and list(d.stats.value) == [2.0, 3.0] and list(d.runs.run) == ["b"]
    assert restrict_data(SimpleNamespace(**frames), "synthetic").members.empty


def test_experiment_frames_cut_equals_plain_filters_and_callers_own_their_copies():
    """The cached one-mask cut of glorot.frames equals filtering name, profile and hidden layers
    one after the other, and what one caller does to its frames never reaches the next caller."""
    from glorot import frames
    from glorot.plotting import hidden

    data = make_data(seeds=(0, 1))
    data = type(data)(**vars(data))  # a namespace of its own (the cache lives on it)
    top = data.stats[data.stats.layer == data.stats.depth].assign(layer=lambda f: f.depth + 1)
    data.stats = pd.concat([data.stats, top], ignore_index=True)  # the output layer, as recorded
    for names in (["saturation"], ["init_tanh", "table1"]):
        for profile in (None, "smoke", "nonexistent"):
            got = frames.experiment_frames(data, names, profile)
            for k in frames.FRAMES:
                f = getattr(data, k)
                if len(f) and "name" in f:
                    f = f[f["name"].isin(names)]
                if profile is not None and len(f) and "profile" in f:
                    f = f[f["profile"].astype(str) == profile]
                if k in ("stats", "hist", "jacobian"):
                    f = hidden(f)
                pd.testing.assert_frame_equal(getattr(got, k), f.reset_index(drop=True))
    a = frames.experiment_frames(data, ["saturation"])
    assert len(a.stats) and (a.stats.layer <= a.stats.depth).all()
    before = a.stats.value.sum()
    a.stats["value"] = a.stats["value"] * 0 + 123.0
    a.stats.loc[0, "layer"] = 99
    a.stats["extra"] = 1
    b = frames.experiment_frames(data, ["saturation"])
    assert b.stats.value.sum() == before and "extra" not in b.stats and b.stats.layer.iloc[0] != 99
