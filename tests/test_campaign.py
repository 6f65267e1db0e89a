"""glorot.campaign and scripts/campaign.py: chunks cover exactly what is left, each chunk's Hydra
overrides compose to exactly its members, done-ness is read off complete run folders, records
travel as a tarball and come back; scripts/gpu_window.sh runs end to end at the smoke budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import pandas as pd
import pytest

from glorot import campaign as C
from glorot.trainer import build_members
from helpers import ROOT


def keys(members):
    return sorted(C.member_key(m.activation, m.init, m.lr, m.seed) for m in members)


def check_partition(chunks, expected):
    got = [k for ch in chunks for k in keys(ch.members)]
    assert len(got) == len(set(got)), "a member is in two chunks"
    assert sorted(got) == keys(expected)
    for ch in chunks:  # the oracle: the real config, composed with the chunk's overrides
        cfg = C.compose(ch.profile, ch.experiment, ch.overrides())
        assert keys(build_members(cfg)) == keys(ch.members), ch.label
    assert len({ch.part for ch in chunks}) == len(chunks)  # one run folder each


def test_whole_experiment_when_it_fits_and_seed_parts_when_not():
    cfg = C.compose("paper", "table1")
    members = build_members(cfg)
    assert len(members) == 6 * 2 * 3 and cfg.train.updates == 250_000
    whole = C.split("paper", "table1", cfg, members, C.Estimator(1e9), budget_s=420)
    assert len(whole) == 1 and whole[0].part == "" and whole[0].overrides() == []
    assert whole[0].run_dir("R").as_posix() == "R/runs/paper/table1"  # where reproduce.py puts it
    # 12 members x 250k = 3M 5x1000-equivalents: at 10k/s ~ 330 s with the margins; 36 do not fit
    seeds = C.split("paper", "table1", cfg, members, C.Estimator(10_000), budget_s=420)
    assert [ch.part for ch in seeds] == ["seed0", "seed1", "seed2"]
    assert all(ch.fits and ch.seconds <= 420 for ch in seeds)
    check_partition(seeds, members)
    # slower still: one seed no longer fits, the stack is cut by learning rate too
    finer = C.split("paper", "table1", cfg, members, C.Estimator(5_000), budget_s=420)
    assert finer[0].part == "seed0_lr0.01" and len(finer) == 6
    check_partition(finer, members)


def test_the_rest_of_a_partly_done_experiment_and_inits_with_parameters():
    cfg = C.compose("paper", "pitfall_scale")  # inits "normal:0.01", "normal:1.0": quoted in overrides
    members = build_members(cfg)
    done = {C.member_key(m.activation, m.init, m.lr, m.seed) for m in members
            if m.seed == 0 and m.init == "normal:0.01"}
    left = [m for m in members if C.member_key(m.activation, m.init, m.lr, m.seed) not in done]
    chunks = C.split("paper", "pitfall_scale", cfg, left, C.Estimator(2_000), budget_s=300)
    check_partition(chunks, left)
    assert not any("seed0" == ch.part for ch in chunks)  # seed 0 is partly done: cut finer
    assert all(ch.fits for ch in chunks)


def test_a_member_too_big_for_the_budget_is_flagged():
    cfg = C.compose("paper_full", "fig2_sigmoid")
    chunks = C.split("paper_full", "fig2_sigmoid", cfg, build_members(cfg), C.Estimator(100), budget_s=60)
    assert len(chunks) == 3 and not any(ch.fits for ch in chunks) and chunks[0].part == "seed0"


def _fake_run(d, cfg, members, status="complete", updates=None):
    d.mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"status": status, "updates": updates or int(cfg.train.updates)}))
    pd.DataFrame([{"member": i, "activation": m.activation, "init": m.init, "lr": m.lr, "seed": m.seed,
                   "depth": cfg.model.depth, "width": cfg.model.width, "data": cfg.data.name}
                  for i, m in enumerate(members)]).to_csv(d / "members.csv", index=False)
    (d / "checkpoint.pt").write_bytes(b"never travels")


def test_done_is_read_off_complete_runs_and_records_round_trip(tmp_path):
    cfg = C.compose("paper", "fig2_sigmoid")
    members = build_members(cfg)
    exp = tmp_path / "results" / "runs" / "paper" / "fig2_sigmoid"
    _fake_run(exp / "seed0", cfg, members[:1])
    _fake_run(exp / "seed1", cfg, members[1:2], status="running")  # killed: not done
    _fake_run(exp / "seed2", cfg, members[2:], updates=50_000)  # another budget: not done
    assert C.done_members(exp, cfg) == {C.member_key("sigmoid", "standard", 0.1, 0)}
    units = C.plan_campaign("paper", tmp_path / "results", 20_000)
    u = next(u for u in units if u.profile == "paper" and u.experiment == "fig2_sigmoid")
    assert u.n_done == 1 and [ch.part for ch in u.chunks] == ["seed1-2"]
    # pack -> ingest elsewhere: the compact records come back, the checkpoint does not
    tb = tmp_path / "records.tar.gz"
    C.pack([exp / "seed0"], tmp_path / "results" / "runs", tb)
    names = tarfile.open(tb).getnames()
    assert names == ["paper/fig2_sigmoid/seed0/run.json", "paper/fig2_sigmoid/seed0/members.csv"]
    home = tmp_path / "home" / "runs"
    assert C.ingest(tb, home) == [home / "paper/fig2_sigmoid/seed0"]
    assert C.is_complete(home / "paper/fig2_sigmoid/seed0")
    with pytest.raises(FileExistsError, match="already holds a complete run"):
        C.ingest(tb, home)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tf:
        tf.add(exp / "seed0" / "run.json", arcname="../escape/run.json")
    with pytest.raises(ValueError, match="refusing entries"):
        C.ingest(bad, home)
    assert not (tmp_path / "home" / "escape").exists()


def test_status_table_and_bad_values(tmp_path):
    units = C.plan_campaign("paper", tmp_path, 20_000)
    assert [(u.profile, u.experiment) for u in units] == C.CAMPAIGNS["paper"]
    lines = C.status_table(units).splitlines()
    assert "next" in lines[1] and "paper/init_tanh" in lines[1]
    assert any("paper/saturation" in line and "MB" in line for line in lines)
    assert f"0/{len(C.CAMPAIGNS['paper'])} experiments done" in lines[-1]
    py = [sys.executable, str(ROOT / "scripts" / "campaign.py")]
    r = subprocess.run([*py, "status", "--campaign", "nope"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "valid choices: paper, smoke" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*py, "ingest", str(tmp_path / "missing.tar.gz")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_gpu_window_runs_end_to_end_at_the_smoke_budget_on_the_cpu(tmp_path):
    """scripts/gpu_window.sh --device cpu --smoke: deps, versions, CUDA tests (skipped here),
    benchmark, one campaign chunk; then the records come home with `campaign.py ingest`."""
    out, results = tmp_path / "out", tmp_path / "window-results"
    env = {**os.environ, "OUT": str(out), "PY": sys.executable}
    r = subprocess.run(["bash", "scripts/gpu_window.sh", "--device", "cpu", "--smoke", "--results-dir", str(results)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    steps = {s["step"]: s for s in json.loads((out / "steps.json").read_text())}
    assert list(steps) == ["deps", "versions", "cuda_tests", "bench", "campaign"]
    log = (out / "window.log").read_text()
    assert "torch" in log and "device: no CUDA" in log and "skipped" in log  # the CUDA tests skip here
    bench = json.loads((out / "bench.json").read_text())
    assert {r["engine"] for r in bench["results"]} == {"naive", "torch_func", "stacked"}
    summary = json.loads((out / "campaign.json").read_text())
    assert [c["chunk"] for c in summary["chunks"]] == ["smoke/init_tanh"] and summary["chunks"][0]["complete"]
    assert len(list(out.iterdir())) <= 8  # what a GPU window can send back
    home = tmp_path / "home"
    p = subprocess.run([sys.executable, "scripts/campaign.py", "ingest", str(out), "--results-dir", str(home)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert C.is_complete(home / "runs" / "smoke" / "init_tanh")
    assert not list(home.rglob("checkpoint.pt"))
    units = C.plan_campaign("smoke", home, 1e6, first_only=True)
    assert units[0].done and units[1].experiment == "init_relu" and not units[1].done
    # a bad option: one line, exit 2, nothing written
    r = subprocess.run(["bash", "scripts/gpu_window.sh", "--devise", "cpu"], cwd=ROOT, env={**env, "OUT": str(tmp_path / "o2")},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown option '--devise'" in r.stderr and not (tmp_path / "o2").exists()
    assert list((home / "bench").glob("cpu-*.json"))  # the window's benchmark, named by device and date


def test_reproduce_skips_an_experiment_whose_chunks_add_up(tmp_path):
    """Chunks of one experiment from several GPU windows (sub-folders, each a complete run of some
    members) make it complete for make reproduce; with a member missing it is not."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("reproduce_mod", ROOT / "scripts" / "reproduce.py")
    rep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rep)
    cfg = C.compose("smoke", "table1")
    members = build_members(cfg)
    assert len(members) >= 2
    exp = tmp_path / "runs" / "smoke" / "table1"

    def part(name, ms):
        d = exp / name
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"status": "complete", "updates": int(cfg.train.updates)}))
        pd.DataFrame([dict(activation=m.activation, init=m.init, lr=m.lr, seed=m.seed, width=cfg.model.width,
                           depth=cfg.model.depth, data=cfg.data.name) for m in ms]).to_csv(d / "members.csv")

    half = len(members) // 2
    part("seeds=a", members[:half])
    assert not rep.is_complete(exp, "smoke") and not rep.is_complete(exp)
    part("seeds=b", members[half:])
    assert rep.is_complete(exp, "smoke")
    assert not rep.is_complete(exp)  # without the profile only a whole-experiment run counts


def test_bench_for_device_picks_the_newest_json_of_that_gpu_with_graph_rows(tmp_path):
    """A later GPU window reuses the benchmark of its own GPU model (gpu_window.sh, GPU_WINDOW_BENCH=auto)
    and measures when there is none: another model's JSON, or one without CUDA-graph rows, never counts."""
    import json

    from glorot.campaign import bench_for_device

    def write(name, device, date, engines):
        (tmp_path / name).write_text(json.dumps({"device_name": device, "date": date,
                                                 "results": [{"engine": e, "k": 10} for e in engines]}))

    write("a.json", "NVIDIA H200", "2026-12-04T15:35:12+00:00", ["stacked", "stacked_graph"])
    write("b.json", "NVIDIA H200", "2026-12-05T10:00:00+00:00", ["stacked", "stacked_graph"])
    write("c.json", "NVIDIA H200", "2026-12-06T10:00:00+00:00", ["stacked"])  # no graph rows
    write("d.json", "NVIDIA H100 80GB HBM3", "2026-12-07T10:00:00+00:00", ["stacked_graph"])
    (tmp_path / "e.json").write_text("{not json")
    assert bench_for_device(tmp_path, "NVIDIA H200") == tmp_path / "b.json"
    assert bench_for_device(tmp_path, "NVIDIA H100 80GB HBM3") == tmp_path / "d.json"
    assert bench_for_device(tmp_path, "NVIDIA A100-SXM4-80GB") is None
    assert bench_for_device(tmp_path, None) is None
