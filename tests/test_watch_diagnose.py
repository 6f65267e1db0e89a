"""The diagnosis on nets whose answer is known (Sec. 4.2): a deep tanh MLP with standard init
(PyTorch's nn.Linear default: n Var[W] = 1/3, dC/ds shrinks ~x0.58 per layer going down) is flagged
as vanishing with init=normalized as the fix; the same net with Glorot's normalized init, and a ReLU
net with He init, are not. Dead ReLU units and tanh saturation are flagged by layer. The CLI writes
diagnosis.md and the figures, and rejects a bad folder with one line; TensorBoard events read back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from glorot import watch
from glorot.diagnose import diagnose, load_run, main as diagnose_main

from helpers import ROOT


def mlp(act, depth=6, width=64, init=None, seed=0):
    torch.manual_seed(seed)
    mods = []
    for i in range(depth):
        lin = nn.Linear(30 if i == 0 else width, width)
        if init == "normalized":
            nn.init.xavier_uniform_(lin.weight)
        elif init == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        if init:
            nn.init.zeros_(lin.bias)
        mods += [lin, act()]
    mods.append(nn.Linear(width, 5))
    return nn.Sequential(*mods)




def run_rec(model, tmp_path, name, x_scale=1.0, steps=3):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(200, 30, generator=g) * x_scale
    y = torch.randint(0, 5, (200,), generator=g)
    out = tmp_path / name
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with watch(model, (x, y), out=out, every=2, early=0, bins=20) as w:
        for step in range(steps):
            w.maybe_record(step)
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return out


def findings(path):
    r = load_run(path)
    return r, diagnose(r.stats, r.layers)


def trainer_run(run, stack, x, y, steps=(0,), rec_cfg=None, **columns):
    """A run folder as glorot.train writes it (stats/hist/jacobian by the trainer's Recorder,
    members.csv with the members' axes, run.json), recorded at ``steps`` without training;
    ``columns``: more members.csv columns, one value per member."""
    import json

    from glorot.record import Recorder

    rec = Recorder(stack, x, y, {"bins": 10, **(rec_cfg or {})})
    for step in steps:
        rec.record(step)
    rec.save(run)
    rows = [{"member": i, "activation": m.activation, "init": m.init, "lr": m.lr, "seed": m.seed, "depth": stack.depth,
             "width": stack.width, "status": "ok", **{k: v[i] for k, v in columns.items()}}
            for i, m in enumerate(stack.members)]
    pd.DataFrame(rows).to_csv(run / "members.csv", index=False)
    (run / "run.json").write_text(json.dumps({"name": "run", "status": "complete"}))
    return run


def test_standard_init_tanh_is_flagged_vanishing(tmp_path):
    r, found = findings(run_rec(mlp(nn.Tanh), tmp_path, "std"))
    van = [f for f in found if f.kind == "vanishing" and "dC/ds" in f.text]
    assert van, [f.text for f in found]
    f = van[0]
    assert "try init=normalized" in f.text and "from '10' to '0'" in f.text  # hidden layers; output '12' left out
    # the theory (Sec. 4.2, linear regime): sqrt(n Var W) = sqrt(1/3) = 0.577; tanh' <= 1 makes it a little less
    assert 0.45 < f.value < 0.62
    # the factor is the trend of the recorded stds (an independent fit by numpy)
    st = r.stats.query("signal == 'grad_s' and stat == 'std' and step == 0").set_index("layer").value
    hidden = ["0", "2", "4", "6", "8", "10"]
    slope = np.polyfit(np.arange(6), np.log(st[hidden].to_numpy()), 1)[0]
    assert f.value == pytest.approx(np.exp(-slope), rel=1e-9)
    assert f"x{f.value:.2f} per layer going down" in f.text


@pytest.mark.parametrize("act,init", [(nn.Tanh, "normalized"), (nn.ReLU, "he")])
def test_healthy_nets_are_not_flagged(tmp_path, act, init):
    """Sec. 4.2's claim is for the linear regime of tanh (small inputs, here std 0.3): normalized init keeps
    n Var[W] f'^2 ~ 1. (With std-1 inputs tanh' < 1 takes off ~x0.83 per layer, x0.4 over 5 layers, which
    the diagnosis rightly reports.) He init with ReLU keeps the std in any regime."""
    _, found = findings(run_rec(mlp(act, init=init), tmp_path, init, x_scale=0.3))
    assert not [f for f in found if f.kind in ("vanishing", "exploding")], [f.text for f in found]
    assert any(f.kind == "healthy" and "dC/ds" in f.text for f in found)


def test_dead_relu_and_saturated_tanh_named_by_layer(tmp_path):
    model = mlp(nn.ReLU, depth=3, width=32, init="he")
    with torch.no_grad():
        model[2].bias[:16] = -50.0  # half the units of layer '3' (after linear '2') never fire
    _, found = findings(run_rec(model, tmp_path, "dead", steps=1))
    dead = [f for f in found if f.kind == "dead"]
    assert [f.layer for f in dead] == ["3"] and dead[0].value == pytest.approx(0.5)
    assert "50% of its units dead" in dead[0].text
    # the worst step here is the first: said once ("at init"), not "at step 0 (50% at init)"
    assert dead[0].text.count("init") == 1 and "at init:" in dead[0].text and "at step 0" not in dead[0].text
    assert dead[0].text.endswith("at init: with zero biases a ReLU stack loses units layer by layer "
                                 "whatever the weights' scale (the layers make the inputs alike; glorot.theory."
                                 "dead_share predicts the share), negative biases more: fewer layers or LeakyReLU keep them")
    model = mlp(nn.Tanh, depth=3, width=32)
    with torch.no_grad():
        model[0].weight.mul_(40)
    _, found = findings(run_rec(model, tmp_path, "sat", steps=1, x_scale=3.0))
    sat = [f for f in found if f.kind == "saturated"]
    assert sat and sat[0].layer == "1" and sat[0].value > 0.5, [f.text for f in found]


def test_cli_writes_report_figures_and_tensorboard(tmp_path):
    path = run_rec(mlp(nn.Tanh, depth=4, width=16), tmp_path, "cli", steps=5)
    out, tb = tmp_path / "report", tmp_path / "tb"
    assert diagnose_main([str(path), "--out", str(out), "--tensorboard", str(tb)]) == 0
    md = (out / "diagnosis.md").read_text()
    assert "dC/ds shrinks" in md and "| layer | kind |" in md
    for stem in ("act_hist", "grad_s_hist", "grad_w_hist", "depth_profile", "std_over_time", "act_over_time"):
        assert (out / f"{stem}.png").stat().st_size > 5000, stem
        assert f"({stem}.png)" in md
    # read the events back
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(tb), size_guidance={"scalars": 0, "histograms": 0})
    ea.Reload()
    stats = pd.read_parquet(path / "stats.parquet")
    tags = ea.Tags()
    assert len(tags["scalars"]) == len(stats.groupby(["signal", "layer", "stat"]))
    ev = ea.Scalars("grad_s/0/std")
    want = stats.query("signal == 'grad_s' and layer == '0' and stat == 'std'").sort_values("step")
    assert [e.step for e in ev] == want.step.tolist() == [0, 2, 4]
    np.testing.assert_allclose([e.value for e in ev], want.value, rtol=1e-6)
    h = ea.Histograms("act/1")
    assert [e.step for e in h] == [0, 2, 4]
    hist = pd.read_parquet(path / "hist.parquet").query("signal == 'act' and layer == '1' and step == 0")
    hv = h[0].histogram_value
    np.testing.assert_allclose(hv.bucket_limit, hist.bin_hi, rtol=1e-6)
    np.testing.assert_allclose(hv.bucket, hist.density * (hist.bin_hi - hist.bin_lo), rtol=1e-6, atol=1e-9)
    assert (hv.min, hv.max) == (-1.0, 1.0)


def test_glorot_plot_hands_a_watch_run_to_the_diagnosis(tmp_path):
    """``python -m glorot.plot --runs RUN`` on a watch run (the README of issue 13 offers it) writes the
    diagnosis, as glorot.diagnose does, instead of crashing in the suite's frames."""
    from glorot.plot import main as plot_main

    path = run_rec(mlp(nn.Tanh, depth=3, width=8), tmp_path, "w", steps=1)
    assert plot_main(["--runs", str(path), "-q"]) == 0
    assert "dC/ds" in (path / "diagnosis" / "diagnosis.md").read_text()
    assert plot_main(["--runs", str(path), "--out", str(tmp_path / "d"), "-q"]) == 0
    assert (tmp_path / "d" / "diagnosis.md").exists() and (tmp_path / "d" / "act_hist.png").exists()


def test_cli_bad_folder_one_line_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "glorot.diagnose", str(tmp_path / "nope")], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "no run folder" in r.stderr
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "run.json").write_text('{"name": "x"}')
    assert diagnose_main([str(tmp_path / "suite")]) == 2
    assert sorted(p.name for p in (tmp_path / "suite").iterdir()) == ["run.json"]  # nothing left behind


def test_is_watch_run(tmp_path):
    from glorot.diagnose import is_watch_run

    path = run_rec(mlp(nn.Tanh, depth=2, width=8), tmp_path, "w", steps=1)
    assert is_watch_run(path) and not is_watch_run(tmp_path) and not is_watch_run(tmp_path / "nope")


def test_export_of_a_trainer_run_one_tensorboard_run_per_member(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from glorot.export import main as export_main
    from glorot.nn import Member, StackedMLP
    from glorot.record import Recorder

    stack = StackedMLP([Member("tanh", "standard", 0.1, 0), Member("relu", "he", 0.1, 1)], 6, 8, 2, 3)
    x, y = torch.randn(20, 6), torch.randint(0, 3, (20,))
    rec = Recorder(stack, x, y, {"bins": 10})
    rec.record(0)
    rec.record(5)
    rec.save(tmp_path / "run")
    assert export_main([str(tmp_path / "run"), "--tensorboard", str(tmp_path / "tb")]) == 0
    st = rec.tables()["stats"].query("member == 1 and signal == 'act' and layer == 2 and stat == 'std'")
    ea = EventAccumulator(str(tmp_path / "tb" / "member1"))
    ea.Reload()
    np.testing.assert_allclose([e.value for e in ea.Scalars("act/2/std")], st.value, rtol=1e-6)
    assert export_main([str(tmp_path / "nothing"), "--tensorboard", str(tmp_path / "tb2")]) == 2
    assert not (tmp_path / "tb2").exists()


def test_histograms_leave_out_edge_bins_that_hold_values_beyond_the_range(tmp_path, monkeypatch):
    """A histogram's range is fixed at the first record; later values beyond it pile into the edge
    bins. Drawn as they are they look like spikes, so a curve whose share beyond the range is above
    OUT_SHARE loses its edge bins and the panel names the largest share and its layer."""
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    from glorot import watch_figures as wf

    edges = np.linspace(-1, 1, 11)
    rows, stats = [], []
    for step, share in ((0, 0.0), (300, 0.4)):
        dens = np.full(10, 0.5)
        dens[[0, -1]] += share * 5  # the clamped mass: spikes at the edges
        for i in range(10):
            rows.append({"signal": "grad_s", "layer": "fc1", "depth": 1, "step": step, "bin_lo": edges[i],
                         "bin_hi": edges[i + 1], "density": dens[i]})
        stats.append({"signal": "grad_s", "layer": "fc1", "depth": 1, "step": step, "stat": "hist_out",
                      "value": share, "member": 0})
    drawn = {}
    monkeypatch.setattr(wf, "_save", lambda fig, stem: drawn.setdefault("fig", fig))
    wf.histograms_per_layer(pd.DataFrame(rows), [{"layer": "fc1", "kind": "linear"}], "grad_s", [0, 300],
                            tmp_path / "h", stats=pd.DataFrame(stats))
    fig: Figure = drawn["fig"]
    first, last = fig.axes
    assert len(first.lines[0].get_xdata()) == 10 and not first.texts  # nothing beyond the range at step 0
    assert len(last.lines[0].get_xdata()) == 8 and max(last.lines[0].get_ydata()) == 0.5
    assert "40%" in last.texts[0].get_text() and "'fc1'" in last.texts[0].get_text()


def test_a_trainer_run_is_diagnosed_as_the_same_net_watched(tmp_path, caplog):
    """glorot.diagnose on one of glorot.train's run folders (a user's own sweep): member 1 of a stack,
    recorded by the trainer's Recorder, gives the findings that glorot.watch gives for an nn.Sequential
    holding the same weights on the same monitor set (the same quantity computed two independent ways),
    and the per-layer stds agree layer for layer (W<i> = the i-th Linear, h<i> = its activation)."""

    from glorot.diagnose import load_runs
    from glorot.nn import Member, StackedMLP

    torch.manual_seed(0)
    members = [Member("relu", "he", 0.1, 0), Member("tanh", "standard", 0.1, 1)]
    depth, width = 5, 48
    stack = StackedMLP(members, 30, width, depth, 5)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(120, 30, generator=g), torch.randint(0, 5, (120,), generator=g)
    run = trainer_run(tmp_path / "run", stack, x, y, rec_cfg={"bins": 20, "jacobian": True, "jacobian_examples": 3})
    mods = []
    for i, lin in enumerate(stack.linears):
        m = nn.Linear(lin.weight.shape[2], lin.weight.shape[1])
        with torch.no_grad():
            m.weight.copy_(lin.weight[1])
            m.bias.copy_(lin.bias[1].reshape(-1))
        mods += [m, nn.Tanh()] if i < depth else [m]
    seq = nn.Sequential(*mods)
    with watch(seq, (x, y), out=tmp_path / "w", every=1, early=0, bins=20) as w:
        w.maybe_record(0)

    runs = load_runs(run)
    assert [r.info["member"] for r in runs] == [0, 1] and runs[1].info["model"].startswith("MLP 5 x 48, tanh")
    suite, watched = runs[1], load_run(tmp_path / "w")
    names = {f"W{i + 1}": str(2 * i) for i in range(depth + 1)} | {f"h{i + 1}": str(2 * i + 1) for i in range(depth)}
    for sig in ("act", "pre", "grad_s", "grad_w"):
        a = suite.stats.query("signal == @sig and stat == 'std'").set_index("layer").value
        b = watched.stats.query("signal == @sig and stat == 'std'").set_index("layer").value
        assert len(a) == len(b) > 0, sig
        np.testing.assert_allclose([b[names[k]] for k in a.index], a.to_numpy(), rtol=2e-4, err_msg=sig)
    fs, fw = diagnose(suite.stats, suite.layers), diagnose(watched.stats, watched.layers)
    assert [f.kind for f in fs] == [f.kind for f in fw] and "vanishing" in [f.kind for f in fs]
    np.testing.assert_allclose([f.value for f in fs], [f.value for f in fw], rtol=2e-4)
    assert fs[0].text.split("(")[0] == fw[0].text.split("(")[0]  # "step 0: dC/ds shrinks x0.5x per layer going down"
    # the CLI: one folder per member, the Jacobian drawn, --member picks one, a wrong one is refused
    assert diagnose_main([str(run)]) == 0
    md = (run / "diagnosis" / "member1" / "diagnosis.md").read_text()
    assert "Recorded by glorot.train" in md and "| W1 | linear |" in md and "| h5 | tanh |" in md
    assert (run / "diagnosis" / "member0" / "jacobian.png").exists()
    assert diagnose_main([str(run), "--member", "0", "--out", str(tmp_path / "m0")]) == 0
    assert (tmp_path / "m0" / "diagnosis.md").exists() and not (tmp_path / "m0" / "member0").exists()
    assert diagnose_main([str(run), "--member", "2", "--out", str(tmp_path / "m2")]) == 2
    assert not (tmp_path / "m2").exists()
    # glorot.plot on a sweep of one's own: the paper's figures have nothing of it, and it says where to look
    from glorot.plot import main as plot_main

    with caplog.at_level("WARNING", logger="glorot.plot"):
        assert plot_main(["--runs", str(tmp_path), "--out", str(tmp_path / "p"), "--only", "fig01", "-q"]) == 0
    hint = [r.getMessage() for r in caplog.records if "no experiment of the suite" in r.getMessage()]
    assert len(hint) == 1 and "2 run(s)" in hint[0] and "python -m glorot.diagnose" in hint[0], hint


def test_dead_relu_units_of_a_trainer_run_are_found_as_in_the_same_net_watched(tmp_path):
    """The trainer's recorder writes a rectifier's dead-unit share: a ReLU member whose layer 2 has
    10 of 40 units never positive (zero weights, bias -1) gets the same per-layer ``dead`` values as
    glorot.watch on an nn.Sequential holding its weights, and the diagnosis names layer h2 in both;
    the tanh member beside it has none."""
    from glorot.diagnose import load_runs
    from glorot.nn import Member, StackedMLP

    torch.manual_seed(0)
    depth, width = 4, 40
    stack = StackedMLP([Member("relu", "he", 0.1, 0), Member("tanh", "normalized", 0.1, 1)], 30, width, depth, 5)
    with torch.no_grad():
        stack.linears[1].weight[0, :10] = 0
        stack.linears[1].bias[0, :10] = -1
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(100, 30, generator=g), torch.randint(0, 5, (100,), generator=g)
    run = trainer_run(tmp_path / "run", stack, x, y)
    mods = []
    for i, lin in enumerate(stack.linears):
        m = nn.Linear(lin.weight.shape[2], lin.weight.shape[1])
        with torch.no_grad():
            m.weight.copy_(lin.weight[0])
            m.bias.copy_(lin.bias[0])
        mods += [m, nn.ReLU()] if i < depth else [m]
    with watch(nn.Sequential(*mods), (x, y), out=tmp_path / "w", every=1, early=0, bins=10) as w:
        w.maybe_record(0)

    relu, tanh = load_runs(run)
    watched = load_run(tmp_path / "w")
    a = relu.stats.query("stat == 'dead'").set_index("layer").value
    b = watched.stats.query("stat == 'dead'").set_index("layer").value
    assert list(a.index) == [f"h{i}" for i in range(1, depth + 1)] and len(b) == depth
    np.testing.assert_array_equal([b[str(2 * i + 1)] for i in range(depth)], a.to_numpy())
    assert a["h2"] >= 10 / width
    assert tanh.stats.query("stat == 'dead'").empty
    fs = [f for f in diagnose(relu.stats, relu.layers) if f.kind == "dead"]
    fw = [f for f in diagnose(watched.stats, watched.layers) if f.kind == "dead"]
    assert [f.layer for f in fs] == ["h2"] and [f.layer for f in fw] == ["3"]
    assert fs[0].value == fw[0].value and f"{a['h2']:.0%} of its units dead" in fs[0].text


def test_shares_over_time_maps_the_recorded_shares(tmp_path, monkeypatch):
    """shares_over_time.png: per layer and recorded step, the recorded ``dead`` share of a ReLU
    member (read back from the drawn heat map, layer 1 at the bottom) and the ``sat`` share of a
    tanh one, each in its own panel; a net of neither kind gets no figure."""
    import glorot.watch_figures as wf
    from glorot.diagnose import load_runs
    from glorot.nn import Member, StackedMLP

    grids = {}
    save = wf._save

    def keep(fig, stem):
        grids[Path(stem).parent.name] = [(ax.get_title(), ax.images[0].get_array()) for ax in fig.axes if ax.images]
        return save(fig, stem)

    monkeypatch.setattr(wf, "_save", keep)
    torch.manual_seed(0)
    stack = StackedMLP([Member("relu", "lecun", 0.1, 0), Member("tanh", "standard", 0.1, 0),
                        Member("identity", "standard", 0.1, 0)], 10, 24, 5, 3)
    with torch.no_grad():
        stack.linears[2].bias[0, :12] = -5  # half of h3's units dead
    run = trainer_run(tmp_path / "run", stack, 3 * torch.randn(50, 10), torch.randint(0, 3, (50,)), steps=(0, 5))
    relu, tanh, ident = load_runs(run)
    for r, stat in ((relu, "dead"), (tanh, "sat")):
        grids.clear()
        wf.shares_over_time(r.stats, r.layers, tmp_path / f"m{stat}" / "shares_over_time")
        (title, img), = grids[f"m{stat}"]
        assert ("dead units" in title) == (stat == "dead")
        want = r.stats.query("signal == 'act' and stat == @stat").pivot_table(index="depth", columns="step", values="value")
        np.testing.assert_array_equal(np.asarray(img), want.to_numpy())
    assert np.asarray(grids["msat"][0][1]).max() > 0  # x3 inputs: tanh saturates somewhere
    assert relu.stats.query("stat == 'dead' and layer == 'h3'").value.min() >= 0.5
    assert wf.shares_over_time(ident.stats, ident.layers, tmp_path / "none") is None


def test_a_fix_does_not_recommend_the_init_the_run_already_has():
    """A vanishing trend in a ReLU stack: "try init=he" for a run of unknown or LeCun init, but for
    a He run the fix says He already suits it (fewer layers or init=critical at init; the learning
    rate later), as the diagnosis of a glorot.train member (whose init is known) gets it."""
    from glorot.diagnose import diagnose

    layers, rows = [], []
    for i in range(1, 7):
        layers += [{"layer": f"W{i}", "depth": 2 * i - 1, "role": "layer", "kind": "linear"},
                   {"layer": f"h{i}", "depth": 2 * i, "role": "act", "kind": "relu"}]
        for step in (0, 100):
            rows += [{"layer": f"W{i}", "signal": "grad_s", "stat": "std", "step": step, "value": 0.5 ** (6 - i)},
                     {"layer": f"h{i}", "signal": "act", "stat": "std", "step": step, "value": 1.0}]
    layers.append({"layer": "W7", "depth": 13, "role": "layer", "kind": "linear"})
    stats = pd.DataFrame(rows)

    def vanishing(init):
        return [f.text for f in diagnose(stats, layers, init) if f.kind == "vanishing"]

    for init in (None, "lecun"):
        assert all(t.endswith("try init=he (torch.nn.init.kaiming_normal_(w, nonlinearity='relu'))")
                   or "check the learning rate and the init (init=he" in t for t in vanishing(init))
    first, later = vanishing("he")
    assert first.endswith("init=he already suits ReLU, and a deep stack compounds what is left: fewer layers, or "
                          "init=critical (chi = 1 at every layer)") and "try init=he" not in first
    assert later.endswith("during training: check the learning rate (init=he already suits ReLU)")
    assert "init=critical already sets chi = 1" in vanishing("critical")[0]


def test_many_flagged_layers_are_one_finding_that_names_the_worst():
    """Up to three flagged layers of a kind get a finding each; more get one, with the count, the
    span and the worst layer (a 30-layer ReLU net must not print 30 lines)."""
    from glorot.diagnose import share_findings

    def frame(shares):
        layers = [{"layer": f"h{i}", "role": "act", "kind": "relu"} for i in range(1, len(shares) + 1)]
        rows = [{"layer": f"h{i}", "signal": "act", "stat": "dead", "step": step, "value": v * (1 + step)}
                for i, v in enumerate(shares, 1) for step in (0, 1)]
        return pd.DataFrame(rows), layers

    few = share_findings(*frame([0.2, 0.0, 0.3, 0.01]))
    assert [f.layer for f in few] == ["h1", "h3"] and all(f.kind == "dead" for f in few)
    many = share_findings(*frame([0.06, 0.0, 0.1, 0.2, 0.3, 0.15, 0.01]))
    assert len(many) == 1 and many[0].kind == "dead" and many[0].layer == "h5" and many[0].value == pytest.approx(0.6)
    assert many[0].text.startswith("5 of 7 layers ('h1' ... 'h6')") and "'h5' (relu): 60% of its units dead" in many[0].text
    assert "at step 1 (30% at init): it grew during training: try a smaller learning rate" in many[0].text
    same = share_findings(*frame([0.3, 0.0, 0.0, 0.0]))[0]  # 30% at init, 60% later: grew
    assert same.text.endswith("it grew during training: try a smaller learning rate, or LeakyReLU")
    st, layers = frame([0.3])
    st.loc[st.step == 1, "value"] = 0.35  # 30% at init, 35% later: it was there at init
    assert share_findings(st, layers)[0].text.endswith("at step 1 (30% at init): with zero biases a ReLU stack "
                                                       "loses units layer by layer whatever the weights' "
                                                       "scale (the layers make the inputs alike; glorot.theory."
                                                       "dead_share predicts the share), negative biases more: fewer "
                                                       "layers or LeakyReLU keep them")


def test_a_diverged_member_is_said_and_read_up_to_its_divergence(tmp_path):
    """A member the trainer froze at a non-finite loss (members.csv: diverged at update d) is
    diagnosed from its records before d only, with a finding that says so first."""

    from glorot.diagnose import load_runs, report
    from glorot.nn import Member, StackedMLP

    torch.manual_seed(0)
    stack = StackedMLP([Member("tanh", "standard", 0.1, 0), Member("tanh", "standard", 50.0, 1)], 10, 16, 3, 3)
    x, y = torch.randn(40, 10), torch.randint(0, 3, (40,))
    trainer_run(tmp_path, stack, x, y, steps=(0, 2, 5), status=["ok", "diverged"], diverged_at_update=[None, 3.0])
    ok, bad = load_runs(tmp_path)
    assert sorted(ok.stats.step.unique()) == [0, 2, 5] and sorted(bad.stats.step.unique()) == [0, 2]
    assert sorted(bad.hist.step.unique()) == [0, 2]
    _, found = report(bad, tmp_path / "d1")
    assert found[0].kind == "diverged" and found[0].flagged and "diverged at update 3" in found[0].text
    assert "than 50.0" in found[0].text and "diverged" not in [f.kind for f in report(ok, tmp_path / "d0")[1]]


def test_a_folder_of_runs_is_diagnosed_run_by_run_with_one_table(tmp_path, capsys):
    """``glorot.diagnose <sweep root>``: every run below it (each member), one line each, and
    diagnoses.md with a row per member linking its diagnosis; a run without records is listed as
    such; options for one run are refused before anything is written."""

    from glorot.nn import Member, StackedMLP

    root = tmp_path / "sweep"
    for name, act in (("activation=tanh", "tanh"), ("activation=relu", "relu")):
        torch.manual_seed(0)
        stack = StackedMLP([Member(act, "standard", 0.1, 0), Member(act, "normalized", 0.1, 1)], 10, 32, 4, 3)
        trainer_run(root / name, stack, 0.3 * torch.randn(60, 10), torch.randint(0, 3, (60,)))  # tanh linear regime
    (root / "bare").mkdir()
    pd.DataFrame([dict(member=0, activation="tanh", status="ok")]).to_csv(root / "bare" / "members.csv", index=False)
    (root / "bare" / "run.json").write_text("{}")
    with pytest.raises(SystemExit) as e:
        diagnose_main([str(root), "--member", "1"])
    assert e.value.code == 2 and "applies to one run" in capsys.readouterr().err
    assert not (root / "diagnoses.md").exists() and not (root / "activation=tanh" / "diagnosis").exists()
    capsys.readouterr()
    assert diagnose_main([str(root)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[")]
    assert len(lines) == 5 and lines[4].startswith("[3/3] bare: no records"), lines
    table = (root / "diagnoses.md").read_text()
    assert table.count("| activation=") == 4 and "| bare | 0 | MLP ? x ?, tanh | |  | no records | |" in table
    # standard init is flagged as vanishing (tanh, relu); tanh with normalized init is not
    assert "| activation=tanh | 0 | MLP 4 x 32, tanh, init standard" in table
    cells = {(ln.split(" | ")[0].strip("| "), ln.split(" | ")[1]): ln.split(" | ") for ln in table.splitlines()
             if ln.startswith("| activation=")}
    row = {k: c[5] for k, c in cells.items()}
    assert row[("activation=tanh", "0")] == "vanishing" and row[("activation=relu", "0")] == "vanishing"
    assert row[("activation=tanh", "1")] == "nothing"
    # the measured dC/ds factor at init (no config.yaml here: no prediction in brackets), relu standard ~ sqrt(1/6)
    assert re.fullmatch(r"x0\.[3-4]\d", cells[("activation=relu", "0")][3]), cells[("activation=relu", "0")]
    for d in ("activation=tanh", "activation=relu"):
        for m in (0, 1):
            assert (root / d / "diagnosis" / f"member{m}" / "diagnosis.md").exists()
    assert "(activation=tanh/diagnosis/member0/diagnosis.md)" in table


def test_a_sweep_gets_one_figure_comparing_its_depth_profiles(tmp_path, monkeypatch):
    """The sweep's depth_profiles.png: a line per member, its std per layer divided by its first
    layer's (the recorded stds, read back from the drawn lines), labelled by what sets the members
    apart; more members than MAX_COMPARED get a sentence instead of a crowded figure."""
    import glorot.diagnose as D
    import glorot.watch_figures as wf
    from glorot.nn import Member, StackedMLP

    drawn = {}
    save = wf._save

    def keep(fig, stem):
        drawn[Path(stem).name] = [[(ln.get_label(), ln.get_ydata()) for ln in ax.lines if not ln.get_label().startswith("_")]
                                  for ax in fig.axes]
        return save(fig, stem)

    monkeypatch.setattr(wf, "_save", keep)
    root = tmp_path / "sweep"
    torch.manual_seed(0)
    stack = StackedMLP([Member("relu", "he", 0.1, 0), Member("relu", "lecun", 0.1, 0)], 10, 32, 4, 3)
    trainer_run(root / "run", stack, torch.randn(60, 10), torch.randint(0, 3, (60,)))
    assert diagnose_main([str(root)]) == 0
    assert "![depth profiles of the runs](depth_profiles.png)" in (root / "diagnoses.md").read_text()
    assert (root / "depth_profiles.png").exists()
    act, grad = drawn["depth_profiles"]  # one recorded step: one row, act and dC/ds
    labels = [lab.split(":")[0] for lab, _ in act]
    assert labels == ["init he", "init lecun"], labels
    runs = D.load_runs(root / "run")
    for (lab, y), run in zip(act, runs):
        std = run.stats.query("signal == 'act' and stat == 'std'").sort_values("depth").value.to_numpy()
        np.testing.assert_allclose(y, std / std[0], rtol=1e-12)
    for (lab, y), run in zip(grad, runs):  # the output layer W5 is drawn apart (hollow), not in the line
        std = run.stats.query("signal == 'grad_s' and stat == 'std'").sort_values("depth").value.to_numpy()
        np.testing.assert_allclose(y, std[:-1] / std[0], rtol=1e-12)
    assert D._short_labels(["MLP 4 x 32, relu, init he", "MLP 4 x 32, relu, init he"], ["a", "b"]) == (["a", "b"], "")
    assert D._short_labels(["MLP 4 x 32, relu, init he", "MLP 4 x 32, relu, init lecun"], ["r #0", "r #1"]) == (
        ["init he", "init lecun"], "r: MLP 4 x 32, relu")

    monkeypatch.setattr(D, "MAX_COMPARED", 1)
    (root / "depth_profiles.png").unlink()
    assert diagnose_main([str(root)]) == 0
    assert "2 members: more than 1 for one comparison figure" in (root / "diagnoses.md").read_text()
    assert not (root / "depth_profiles.png").exists()


def test_a_sweep_without_records_gets_its_test_error_curves(tmp_path, monkeypatch, capsys):
    """A plain sweep (no record=paper): diagnoses.md lists each member with its final test error and
    draws test_error.png, a line per member from metrics.csv (read back from the drawn lines), a
    diverged member's line ending where its errors stop, marked and labelled as such."""
    import glorot.watch_figures as wf

    drawn = {}
    save = wf._save

    def keep(fig, stem):
        drawn[Path(stem).name] = [(ln.get_label(), ln.get_xdata(), ln.get_ydata()) for ln in fig.axes[0].lines]
        return save(fig, stem)

    monkeypatch.setattr(wf, "_save", keep)
    root = tmp_path / "sweep"
    for name, err in (("init=standard", [0.9, 0.5, 0.3]), ("init=normalized", [0.9, 0.4, float("nan")]),
                      ("init=lecun", [0.9, 0.6, 0.5])):
        d = root / name
        d.mkdir(parents=True)
        diverged = name == "init=normalized"
        pd.DataFrame([dict(member=0, activation="tanh", init=name.split("=")[1], lr=0.1, seed=0, depth=5, width=64,
                           status="diverged" if diverged else "ok", final_test_error=float("nan") if diverged else err[-1])]
                     ).to_csv(d / "members.csv", index=False)
        rows = [dict(member=0, step=k, examples_seen=10 * k, split=sp, loss=1.0, error=e)
                for k, e in enumerate(err) for sp in ("valid", "test")]
        pd.DataFrame(rows).to_csv(d / "metrics.csv", index=False)
        (d / "run.json").write_text("{}")
    assert diagnose_main([str(root)]) == 0
    assert "init=standard: no records (trained without record=paper or record=init); final test error 30.00%" in \
        capsys.readouterr().out
    table = (root / "diagnoses.md").read_text()
    assert "| init=standard | 0 | MLP 5 x 64, tanh, init standard, lr 0.1, seed 0 | | 30.00% | no records | |" in table
    assert "![test error of the runs](test_error.png)" in table and (root / "test_error.png").exists()
    lines = drawn["test_error"]
    assert [ln[0] for ln in lines] == ["init normalized: diverged", "_child1", "init lecun: 50.00%",
                                       "init standard: 30.00%"], lines  # Fig. 11's order: worst first
    np.testing.assert_array_equal(lines[0][1], [0, 10])
    np.testing.assert_allclose(lines[0][2], [90, 40])
    np.testing.assert_array_equal(lines[1][1], [10])  # the x where it diverged
    np.testing.assert_allclose(lines[3][2], [90, 50, 30])


@pytest.mark.parametrize("kw", [{"hist": False}, {"signals": ["act"], "hist": False}, {"signals": ["act", "grad_s"]}])
def test_a_run_recorded_with_fewer_signals_gets_the_figures_it_can(tmp_path, kw):
    """hist=False and a subset of signals used to crash the report (an empty hist frame has no
    columns; the depth profile drew an empty dC/ds panel): now each figure is drawn where its data is."""
    path = tmp_path / "w"
    model = mlp(nn.Tanh, depth=3, width=8)
    x, y = torch.randn(30, 30), torch.randint(0, 5, (30,))
    with watch(model, (x, y), out=path, every=1, early=0, **kw) as w:
        w.maybe_record(0)
    assert diagnose_main([str(path)]) == 0
    made = {p.stem for p in (path / "diagnosis").glob("*.png")}
    assert "depth_profile" in made and ("act_hist" in made) == kw.get("hist", True)
    assert ("grad_s_hist" in made) == (kw.get("hist", True) and "grad_s" in kw.get("signals", ["grad_s"]))


def test_layer_table_takes_a_first_layer_of_zero_spread():
    """A deep sigmoid net's dC/ds underflows to 0 in the first layer (the committed depth30 run,
    member 5): the table says nan for the ratios instead of dividing by zero."""
    from glorot.diagnose import layer_table

    layers = [{"layer": "W1", "role": "layer", "kind": "linear"}, {"layer": "h1", "role": "act", "kind": "sigmoid"},
              {"layer": "W2", "role": "layer", "kind": "linear"}, {"layer": "h2", "role": "act", "kind": "sigmoid"}]
    rows = [(k, sig, "std", v) for k, sig, v in (("W1", "grad_s", 0.0), ("W2", "grad_s", 1e-3), ("W1", "pre", 1.0),
                                                   ("W2", "pre", 1.0), ("h1", "act", 0.0), ("h2", "act", 0.2))]
    stats = pd.DataFrame([dict(step=0, layer=k, signal=sig, stat=st, value=v) for k, sig, st, v in rows])
    table = layer_table(stats, layers, 0)
    assert "| W2 | linear | 1 | 0.001 | nan |" in table and "| h2 | sigmoid | 0.2 | nan |" in table


def test_export_of_a_folder_of_runs_one_tensorboard_folder_per_run(tmp_path):
    from glorot.export import main as export_main

    for name in ("a", "b"):
        run_rec(mlp(nn.Tanh, depth=2, width=8), tmp_path / "sweep", name, steps=1)
    (tmp_path / "sweep" / "c").mkdir()  # no records: left out
    assert export_main([str(tmp_path / "sweep"), "--tensorboard", str(tmp_path / "tb")]) == 0
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["a", "b"]
    assert any((tmp_path / "tb" / "a").glob("events.out.tfevents.*"))
    assert export_main([str(tmp_path / "sweep" / "c"), "--tensorboard", str(tmp_path / "tb2")]) == 2
    assert not (tmp_path / "tb2").exists()


def test_a_relu_runs_dead_units_stand_beside_their_prediction(tmp_path):
    """A glorot.train ReLU run at init (synthetic data, 12 x 400, He and LeCun from one seed): the
    diagnosis predicts the dead-unit share per layer (glorot.theory.dead_share on the run's monitor
    set) beside the recorder's, in the theory finding and the activation table; the two inits record
    the same shares, and measured and predicted agree within finite-width noise."""
    from glorot.diagnose import load_runs, mean_field, report
    from helpers import only_dir, run_train

    run_train("data=synthetic", "activation=relu", "stack.inits=[he,lecun]", "model.depth=12", "model.width=400",
              "record=init", "train.updates=2", "profile=smoke", f"results_dir={tmp_path}")
    runs = load_runs(only_dir(tmp_path / "runs"))
    dead = [r.stats.query("step == 0 and stat == 'dead'").sort_values("depth").value.to_numpy() for r in runs]
    np.testing.assert_array_equal(dead[0], dead[1])
    pred, why = mean_field(runs[0])
    assert why is None and len(pred["dead"]) == 12
    assert abs(float(np.mean(dead[0] - pred["dead"]))) < 0.03 and np.abs(dead[0] - pred["dead"]).max() < 0.08
    out, found = report(runs[0], tmp_path / "d")
    th = [f.text for f in found if f.text.startswith("step 0: mean-field theory")][0]
    m = re.search(r"(\d+)% of the units dead on the monitor set, mean over the layers, rising to (\d+)% at 'h12' "
                  r"\(measured (\d+)% and (\d+)%\)", th)
    assert m, th
    assert [int(v) for v in m.groups()] == [round(100 * v) for v in (pred["dead"].mean(), pred["dead"].iloc[-1],
                                                                      dead[0].mean(), dead[0][-1])]
    md = (out / "diagnosis.md").read_text()
    assert f"| {dead[0][-1]:.1%} ({pred['dead'].iloc[-1]:.1%}) |" in md and "glorot.theory.dead_share" in md


def test_the_mean_field_prediction_stands_beside_a_trainer_runs_record(tmp_path):
    """A glorot.train run at init (synthetic data, 5 x 256): the diagnosis puts glorot.theory's
    per-layer factors beside the measured ones, and the two agree (the recorder's numbers on the
    real network against the mean-field recursion: two independent computations); the table gets
    a theory column. A folder without config.yaml says why it has no prediction."""
    from glorot.diagnose import load_runs, mean_field, report
    from helpers import only_dir, run_train

    run_train("data=synthetic", "activation=tanh", "stack.inits=[standard,normalized]", "model.depth=5",
              "model.width=256", "record=init", "train.updates=2", "profile=smoke", f"results_dir={tmp_path}")
    run = only_dir(tmp_path / "runs")
    for r in load_runs(run):
        pred, why = mean_field(r)
        assert why is None and list(pred.index) == [1, 2, 3, 4, 5]
        out, found = report(r, tmp_path / f"d{r.info['member']}")
        th = [f for f in found if f.text.startswith("step 0: mean-field theory")]
        assert len(th) == 1, [f.text for f in found]
        pairs = re.findall(r"x([0-9.]+) per layer going (?:down|up) \(measured x([0-9.]+)\)", th[0].text)
        assert len(pairs) == 2
        for p, m in pairs:
            assert abs(np.log(float(m) / float(p))) < 0.05, th[0].text
        if r.info["init"] == "standard":  # Sec. 4.2: sqrt(1/3) per layer in the linear regime, a little less
            assert 0.45 < float(pairs[0][0]) < 0.6
        md = (out / "diagnosis.md").read_text()
        assert "| dC/ds / first | theory |" in md and "No mean-field prediction" not in md
    # the sweep table: measured (predicted) factor per member, and the member's test error
    assert diagnose_main([str(tmp_path / "runs"), "--out", str(tmp_path / "sweep")]) == 0
    table = (tmp_path / "sweep" / "diagnoses.md").read_text()
    assert len(re.findall(r"\| x\d\.\d\d \(x\d\.\d\d\) \| \d+\.\d\d% \|", table)) == 2, table
    (run / "config.yaml").unlink()
    _, found = report(load_runs(run)[0], tmp_path / "nocfg")
    assert "No mean-field prediction beside the record: FileNotFoundError" in (tmp_path / "nocfg" / "diagnosis.md").read_text()
    assert not [f for f in found if "mean-field" in f.text]


def test_trend_kind_known_answers():
    from glorot.diagnose import trend_kind

    assert trend_kind(0.58, 0.58 ** 4) == "vanishing"  # Fig. 7's standard init over 5 layers (x0.11)
    assert trend_kind(1 / 0.58, (1 / 0.58) ** 4) == "exploding"
    assert trend_kind(0.83, 0.83 ** 4) == "vanishing"  # tanh' < 1 at std-1 inputs: x0.47 over 5 layers
    assert trend_kind(1.06, 1.06 ** 29) == "mild"  # a trained He stack: x5.4 over 29 layers
    assert trend_kind(1.06, 1.06 ** 99) == "exploding"  # the same per layer over 100 layers: x320
    assert trend_kind(0.98, 0.98 ** 29) == "level" and trend_kind(0.97, 0.97 ** 29) == "mild" and trend_kind(1.3, 1.3 ** 2) == "level"  # x1.69: within x2
    assert trend_kind(0.0, 0.0) == "vanishing"
    assert trend_kind(float("nan"), float("nan")) == "level"  # as the old rule had it (NaN compares false)


def test_a_gentle_trend_over_many_layers_is_mild_and_a_steep_one_flagged():
    """x1.06 per layer over a 30-layer stack is not flagged (it said "exploding" for trained He
    members that learn); x1.06 over 100 layers and x1.3 over 30 are."""
    from glorot.diagnose import trend_findings

    def found(depth, factor):
        layers, rows = [], []
        for i in range(1, depth + 1):
            layers += [{"layer": f"W{i}", "depth": 2 * i - 1, "role": "layer", "kind": "linear"},
                       {"layer": f"h{i}", "depth": 2 * i, "role": "act", "kind": "relu"}]
            rows += [{"layer": f"W{i}", "signal": "grad_s", "stat": "std", "step": 0, "value": factor ** (depth - i)},
                     {"layer": f"h{i}", "signal": "act", "stat": "std", "step": 0, "value": 1.0}]
        layers.append({"layer": f"W{depth + 1}", "depth": 2 * depth + 1, "role": "layer", "kind": "linear"})
        f = [x for x in trend_findings(pd.DataFrame(rows), layers, 0, init="he") if "dC/ds" in x.text][0]
        assert f.value == pytest.approx(factor, rel=1e-9)
        return f

    mild = found(30, 1.06)
    assert mild.kind == "healthy" and "a mild trend, not flagged" in mild.text
    assert found(100, 1.06).kind == "exploding" and found(30, 1.3).kind == "exploding"
    assert found(30, 1.0).text.endswith("no vanishing or exploding trend")


def test_findings_are_picked_out_by_what_they_are_about_not_by_their_text():
    """The sweep table's "dC/ds per layer at init (theory)" reads the trend and the prediction at step 0
    by their ``about`` and ``step`` (it matched the start of their text)."""
    from glorot.diagnose import Finding, _init_factors

    found = [Finding("healthy", "the activations, reworded", "h5", 0.99, "act", 0),
             Finding("vanishing", "gradients, reworded", "W1", 0.57, "grad_s", 0),
             Finding("info", "the theory, reworded", None, 0.58, "theory", 0),
             Finding("vanishing", "later", "W1", 0.2, "grad_s", 100)]
    assert _init_factors(found) == "x0.57 (x0.58)"
    assert _init_factors(found[3:]) == ""
