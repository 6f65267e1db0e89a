"""glorot.plan: what a profile costs, checked against the real model and the real configs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from glorot.nn import Member, StackedMLP
from glorot.plan import PAPER_WEIGHTS, Cost, cost, cpu_bench, n_weights, rate_at, rates_from_bench, table
from glorot.trainer import build_members
from helpers import ROOT, compose_cfg


@pytest.mark.parametrize("shape", [(784, 1000, 5, 10), (1024, 64, 3, 9), (20, 7, 30, 4), (5, 3, 1, 2)])
def test_weight_count_is_the_models_parameter_count(shape):
    n_in, width, depth, n_out = shape
    model = StackedMLP([Member("tanh", "standard", 0.1, 0)] * 2, n_in, width, depth, n_out)
    per_member = sum(p[0].numel() for p in model.parameters())
    assert n_weights(*shape) == per_member
    assert PAPER_WEIGHTS == n_weights(784, 1000, 5, 10) == 4_799_010  # PERFORMANCE.md: 4.79M


def test_cost_follows_the_composed_config():
    cfg = compose_cfg("experiment=table1", "profile=paper")
    c = cost("table1", cfg)
    assert c.members == len(build_members(cfg)) == 6 * len(cfg.profile.lr_grid) * 3
    assert c.updates == cfg.train.updates == cfg.profile.updates
    assert c.equivalents == pytest.approx(c.member_updates)  # the paper's own network
    # the experiments whose effect shows early take profile.short_updates ...
    short = cost("relu30", compose_cfg("experiment=relu30", "profile=paper"))
    assert short.updates == 20_000 < c.updates
    assert short.equivalents == pytest.approx(short.member_updates * n_weights(784, 1000, 30, 10) / PAPER_WEIGHTS)
    # ... which defaults to profile.updates (quick, smoke); at-init experiments cost nothing
    assert cost("relu30", compose_cfg("experiment=relu30", "profile=quick")).updates == 10_000
    assert cost("init_tanh", compose_cfg("experiment=init_tanh", "profile=paper")).member_updates == 0
    shapes = cost("shapeset_table1", compose_cfg("experiment=shapeset_table1", "profile=quick"))
    assert shapes.weights == n_weights(1024, 200, 5, 9)


def test_rates_from_a_bench_json_and_interpolation(tmp_path):
    rows = [{"engine": "naive", "k": 1, "recording": "off", "member_updates_per_s": {"median": 5.0}},
            {"engine": "stacked", "k": 1, "recording": "off", "member_updates_per_s": {"median": 100.0}},
            {"engine": "stacked", "k": 100, "recording": "off", "member_updates_per_s": {"median": 300.0}},
            {"engine": "stacked", "k": 100, "recording": "amortized", "member_updates_per_s": {"median": 1.0}}]
    f = tmp_path / "b.json"
    f.write_text(json.dumps({"results": rows}))
    rates = rates_from_bench(f)
    assert rates == {1: 100.0, 100: 300.0}
    assert rate_at(rates, 1) == 100.0 and rate_at(rates, 100) == 300.0
    assert rate_at(rates, 10) == pytest.approx(200.0)  # log-linear: halfway in log K
    assert rate_at(rates, 1000) == 300.0  # the nearest measured size outside
    text = table([Cost("a", 10, 1000, PAPER_WEIGHTS)], rates)
    assert "0:00:50" in text.splitlines()[1]  # 10,000 member-updates at 200/s
    f.write_text(json.dumps({"results": rows[:1]}))
    with pytest.raises(ValueError, match="no stacked rows"):
        rates_from_bench(f)


def test_reproduce_plan_prints_every_experiment_and_trains_nothing(tmp_path):
    r = subprocess.run([sys.executable, "scripts/reproduce.py", "--profile", "paper", "--plan", "--rate", "25000",
                        "--results-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    sys.path.insert(0, str(ROOT / "scripts"))
    from reproduce import EXPERIMENTS

    names = [line.split()[0] for line in r.stdout.splitlines()[2:] if line.strip()]
    assert names[:len(EXPERIMENTS)] == EXPERIMENTS and names[len(EXPERIMENTS)] == "total"
    assert "25,000" in r.stdout
    assert not any(tmp_path.iterdir())  # trained nothing, wrote nothing


def test_bench_rates_of_a_smaller_network_are_scaled_to_5x1000_equivalents(tmp_path):
    rows = [{"engine": "stacked", "k": 1, "recording": "off", "member_updates_per_s": {"median": 1000.0}},
            {"engine": "stacked_graph", "k": 1, "recording": "off", "member_updates_per_s": {"median": 3000.0}}]
    f = tmp_path / "b.json"
    f.write_text(json.dumps({"network": "784-32x2-10", "results": rows}))
    w = n_weights(784, 32, 2, 10)
    assert rates_from_bench(f) == {1: pytest.approx(1000.0 * w / PAPER_WEIGHTS)}
    assert rates_from_bench(f, "stacked_graph") == {1: pytest.approx(3000.0 * w / PAPER_WEIGHTS)}
    f.write_text(json.dumps({"network": "784-1000x5-10", "results": rows}))
    assert rates_from_bench(f) == {1: 1000.0}


def test_the_newest_cpu_bench_is_found_by_its_date(tmp_path):
    rows = [{"engine": "stacked", "k": 1, "recording": "off", "member_updates_per_s": {"median": 100.0}}]
    for name, date, device in (("z-old.json", "2026-11-01T00:00:00+00:00", "cpu"),
                               ("a-new.json", "2026-11-23T14:09:57+00:00", "cpu"),
                               ("gpu.json", "2026-12-04T15:35:00+00:00", "cuda")):
        (tmp_path / name).write_text(json.dumps({"date": date, "device": device, "results": rows}))
    (tmp_path / "contention.json").write_text(json.dumps({"date": "2026-12-31", "device": "cpu", "runs": {}}))
    (tmp_path / "broken.json").write_text("{")
    path, d = cpu_bench(tmp_path)
    assert path.name == "a-new.json" and d["date"].startswith("2026-11-23")
    assert cpu_bench(tmp_path / "none") is None


def test_a_gpu_sized_profile_on_a_cpu_says_how_long_first():
    """``make reproduce PROFILE=paper`` on a CPU started ~44 h of training with no word of it: now
    one line first gives the training time at the newest CPU bench's rates (oracle: table1 at paper
    is 36 members x 250,000 updates of the 5x1000 network itself, at the K=10 rate, the nearest
    measured stack size) and what to do instead."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from reproduce import gpu_profile_note

    cfgs = {"table1": compose_cfg("experiment=table1", "profile=paper", "train.device=cpu")}
    note = gpu_profile_note("paper", ["table1"], cfgs)
    path, _ = cpu_bench(ROOT / "results" / "bench")
    hours = 9_000_000 / rate_at(rates_from_bench(path), 36) / 3600
    assert note.startswith("note: profile paper is sized for a GPU") and "9,000,000 member-updates" in note
    assert f"at least {hours:,.0f} h" in note and "train.device=cuda" in note and "PROFILE=quick" in note
    assert gpu_profile_note("paper", [], cfgs) is None
    quick = {"table1": compose_cfg("experiment=table1", "profile=quick", "train.device=cpu")}
    assert gpu_profile_note("quick", ["table1"], quick) is None
