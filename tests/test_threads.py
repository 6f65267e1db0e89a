"""The CPU thread policy (glorot.threads), the recorder's thread-independent SVDs, the trainer's
phase timers and scripts/compare_runs.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from glorot import threads
from glorot.record import svdvals
from glorot.trainer import Phases, train
from helpers import ROOT, compose_cfg

sys.path.insert(0, str(ROOT / "scripts"))
import compare_runs  # noqa: E402


def test_thread_count_is_the_share_of_the_cores():
    assert threads.threads_for(1, cores=8) == 8
    assert threads.threads_for(2, cores=8) == 4
    assert threads.threads_for(3, cores=8) == 2
    assert threads.threads_for(4, cores=2) == 1  # never 0
    assert threads.wanted_threads({"GLOROT_PARALLEL_JOBS": "2"}) == max(1, threads.available_cores() // 2)
    # an explicit count wins, GLOROT_THREADS first
    assert threads.wanted_threads({"OMP_NUM_THREADS": "3", "GLOROT_PARALLEL_JOBS": "2"}) == 3
    assert threads.wanted_threads({"GLOROT_THREADS": "5", "OMP_NUM_THREADS": "3"}) == 5
    assert threads.wanted_threads({"OMP_NUM_THREADS": "junk"}) == threads.available_cores()


def test_wait_policy_is_bounded_unless_set_passive_or_legacy(monkeypatch):
    monkeypatch.setattr(threads, "slow_avx512_sort", lambda info=None: False)  # numpy's part: below
    assert threads.policy({}) == "adaptive"  # bounded's wait, and the Governor
    assert threads.configure_env({}) == {"GOMP_SPINCOUNT": str(threads.SPIN_COUNT)}
    assert threads.configure_env({"GLOROT_THREAD_POLICY": "bounded"})["GOMP_SPINCOUNT"] == str(threads.SPIN_COUNT)
    assert threads.configure_env({"GLOROT_THREAD_POLICY": "passive"})["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "GOMP_SPINCOUNT" not in threads.configure_env({"GLOROT_THREAD_POLICY": "passive"})
    assert threads.configure_env({"OMP_WAIT_POLICY": "ACTIVE"}) == {"OMP_WAIT_POLICY": "ACTIVE"}  # the user's wins
    assert threads.configure_env({"GOMP_SPINCOUNT": "10"}) == {"GOMP_SPINCOUNT": "10"}
    legacy = threads.configure_env({"GLOROT_THREAD_POLICY": "legacy"})
    assert "OMP_WAIT_POLICY" not in legacy and "GOMP_SPINCOUNT" not in legacy
    env = threads.job_env(2, {"PATH": "/bin"})
    assert env["GLOROT_PARALLEL_JOBS"] == "2" and env["GOMP_SPINCOUNT"] == str(threads.SPIN_COUNT)
    with pytest.raises(SystemExit) as e:
        threads.configure_env({"GLOROT_THREAD_POLICY": "fast"})
    assert e.value.code == 2


ZEN4 = {"vendor_id": "AuthenticAMD", "cpu family": "25", "model": "17", "flags": "fpu sse2 avx2 avx512f avx512bw"}


def test_numpy_avx512_is_switched_off_only_on_zen4():
    """numpy's AVX-512 sort is slow on AMD Zen 4 (family 25 with avx512f), so there numpy runs its
    AVX2 kernels; Zen 3 (family 25, no AVX-512), Zen 5 (family 26) and Intel keep numpy's choice."""
    assert threads.slow_avx512_sort(ZEN4)
    assert not threads.slow_avx512_sort({**ZEN4, "flags": "fpu sse2 avx2"})  # Zen 3
    assert not threads.slow_avx512_sort({**ZEN4, "cpu family": "26"})  # Zen 5
    assert not threads.slow_avx512_sort({**ZEN4, "vendor_id": "GenuineIntel", "cpu family": "6"})
    assert not threads.slow_avx512_sort({})  # no /proc/cpuinfo
    named = threads._numpy_version() >= (2, 4)  # an older numpy's targets have other names: left alone
    assert threads.configure_numpy_env({}, ZEN4) == ({"NPY_DISABLE_CPU_FEATURES": threads.NUMPY_AVX512_TARGETS}
                                                     if named else {})
    assert threads.configure_numpy_env({}, {**ZEN4, "cpu family": "26"}) == {}
    assert threads.configure_numpy_env({"GLOROT_NUMPY_SIMD": "native"}, ZEN4) == {"GLOROT_NUMPY_SIMD": "native"}
    own = {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR"}  # the user's own setting wins
    assert threads.configure_numpy_env(dict(own), ZEN4) == own
    assert threads.configure_numpy_env({"NPY_ENABLE_CPU_FEATURES": "X86_V3"}, ZEN4) == {"NPY_ENABLE_CPU_FEATURES": "X86_V3"}
    with pytest.raises(SystemExit) as e:
        threads.configure_numpy_env({"GLOROT_NUMPY_SIMD": "avx2"}, ZEN4)
    assert e.value.code == 2
    assert "NPY_DISABLE_CPU_FEATURES" not in threads.configure_env({}) or threads.slow_avx512_sort()


_PCT = """
import hashlib, numpy as np, torch
from numpy._core._multiarray_umath import __cpu_features__ as cpu
from glorot.record import percentiles
g = np.random.default_rng(0)
rows = [g.standard_normal((3, 60000)), np.maximum(g.standard_normal((4, 40000)), 0),  # ReLU's zeros
        np.round(g.standard_normal((2, 30001)), 1), g.standard_normal((2, 5000)) * 1e-30]
rows.append(np.where(g.random((2, 7000)) < 0.5, -0.0, 0.0) * g.standard_normal((2, 7000)))  # signed zeros
h = hashlib.sha256()
for r in rows:
    p = percentiles(torch.from_numpy(r.astype(np.float32)), [0.02, 0.5, 0.98], abs_q=0.98)
    h.update(p.numpy().tobytes())
print(cpu.get("X86_V4", cpu.get("AVX512_SKX")), h.hexdigest())
"""


def test_percentiles_are_the_same_bits_with_numpy_avx512_off():
    """The oracle for :func:`threads.configure_numpy_env`: the recorder's exact percentiles (numpy
    partitions) hash the same with numpy's AVX-512 kernels as with its AVX2 ones. On a CPU without
    AVX-512 both runs take the same kernels."""
    out = {}
    base = {k: v for k, v in __import__("os").environ.items() if not k.startswith("NPY_")}
    for name, extra in (("native", {"GLOROT_NUMPY_SIMD": "native"}),
                        ("avx2", {"NPY_DISABLE_CPU_FEATURES": threads.NUMPY_AVX512_TARGETS})):
        env = {**base, **extra, "PYTHONPATH": str(ROOT / "src")}
        r = subprocess.run([sys.executable, "-c", _PCT], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        out[name] = r.stdout.split()
    assert out["avx2"][0] == "False"  # AVX-512 was off in the second run
    assert out["native"][1] == out["avx2"][1]


def test_the_entry_point_sets_the_policy_before_torch_starts():
    code = ("import os, sys; sys.argv=['x', '--help']\n"
            "import glorot.train\n"
            "print(os.environ.get('GOMP_SPINCOUNT'))")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "GLOROT_THREAD_POLICY")}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == str(threads.SPIN_COUNT)


_EVAL = """
import hashlib, os, sys, torch
from glorot import threads
print(threads.configure_malloc())
from glorot.nn import Member, StackedMLP
from glorot.trainer import evaluate
torch.manual_seed(0)
acts = ["sigmoid", "tanh", "softsign"] * 4
m = StackedMLP([Member(a, "standard", 0.01, i % 2) for i, a in enumerate(acts)], 784, 96, 3, 10)
x, y = torch.rand(6000, 784), torch.randint(0, 10, (6000,))
out = [evaluate(m, x, y) for _ in range(2)]
print(hashlib.sha256(b"".join(t.numpy().tobytes() for r in out for t in r)).hexdigest())
"""


def test_heap_policy_keeps_evaluation_bit_identical():
    """glorot.threads.configure_malloc (large blocks kept in the heap instead of fresh mmaps) changes
    where tensors live, never a number: evaluation of a mixed 12-member stack hashes the same."""
    runs = {}
    for mode in ("default", ""):
        env = {**__import__("os").environ, "GLOROT_MALLOC": mode, "PYTHONPATH": str(ROOT / "src")}
        r = subprocess.run([sys.executable, "-c", _EVAL], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        runs[mode] = r.stdout.split()
    assert runs["default"][0] == "False" and runs[""][0] == "True"  # the policy was off, then on
    assert runs["default"][1] == runs[""][1]


def test_svdvals_is_bit_identical_to_one_lapack_call_per_matrix_at_any_thread_count():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2, 3, 60, 60, generator=g) * torch.rand(2, 3, 60, 1, generator=g)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        ref = torch.linalg.svdvals(a)
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            got = svdvals(a)
            assert torch.get_num_threads() == n  # restored
            assert got.shape == ref.shape and torch.equal(got, ref), n
        # an oracle: the singular values of a diagonal matrix are its |entries|, sorted
        d = torch.diag_embed(torch.tensor([[3.0, -1.0, 2.0], [0.5, 4.0, -6.0]]))
        assert torch.allclose(svdvals(d), torch.tensor([[3.0, 2.0, 1.0], [6.0, 4.0, 0.5]]))
    finally:
        torch.set_num_threads(before)


class FakeMachine:
    """A clock, a run-delay counter and a procs_running reading that a test moves by hand."""

    def __init__(self):
        self.t, self.delay_ns, self.running, self.sets = 0.0, 0, 1, []

    def governor(self, threads=2, active=True, cores=2):
        return threads_mod.Governor(threads, active, cores=cores, clock=lambda: self.t, delay=lambda: self.delay_ns,
                                    running=lambda: self.running, set_threads=self.sets.append)

    def advance(self, seconds, waited_share=0.0):
        self.t += seconds
        self.delay_ns += int(seconds * waited_share * 1e9)


threads_mod = threads


def test_governor_takes_one_thread_while_the_cores_are_shared_and_gives_it_back():
    m, E = FakeMachine(), threads.GOVERNOR_EVERY_S
    gov = m.governor(2)
    assert gov.active and gov.threads == 2
    m.advance(2 * E, waited_share=0.05)  # alone: a little waiting is no reason
    gov.tick()
    assert m.sets == [] and gov.threads == 2
    m.advance(0.6 * E, waited_share=0.9)  # another process holds the cores most of the time
    gov.tick()  # too soon to look again
    gov.tick(members=1)  # one live member: never fewer threads (its bits would change)
    assert m.sets == []
    m.advance(0.6 * E, waited_share=0.9)
    gov.tick()
    assert m.sets == [1] and gov.threads == 1 and gov.switches == 1
    with gov.whole(members=1):  # an evaluation or record step of one member: the configured count
        assert m.sets == [1, 2]
    assert m.sets == [1, 2, 1] and gov.threads == 1
    with gov.whole(members=2):  # of two: as it is
        assert m.sets == [1, 2, 1]
    m.running = 2  # the other process still runs: stay on one thread
    for _ in range(6):
        m.advance(2 * E)
        gov.tick()
    assert gov.threads == 1
    m.running = 1  # alone again: back after GOVERNOR_CALM_LOOKS calm looks in a row
    for _ in range(2):
        m.advance(2 * E)
        gov.tick()
    m.running = 3  # one busy look starts the count again
    m.advance(2 * E)
    gov.tick()
    m.running = 1
    for _ in range(threads.GOVERNOR_CALM_LOOKS - 1):
        m.advance(2 * E)
        gov.tick()
        assert gov.threads == 1
    m.advance(2 * E)
    gov.tick()
    assert gov.threads == 2 and m.sets[-1] == 2
    m.advance(2 * E, waited_share=0.5)
    gov.tick()
    assert gov.threads == 1 and gov.switches == 2
    gov.tick(members=1)  # the live subset fell to one member: back to the configured count at once
    assert gov.threads == 2
    m.advance(2 * E, waited_share=0.5)
    gov.tick()
    gov.release()
    assert m.sets[-2:] == [1, 2] and gov.switches == 3


def test_governor_leaves_the_other_process_its_cores_and_no_more():
    """16 cores, 16 threads, one busy task of someone else's: 15 threads, not 1; 16 again when it
    is gone. Three other tasks while on 15: 13."""
    m, E = FakeMachine(), threads.GOVERNOR_EVERY_S
    gov = m.governor(16, cores=16)
    m.running = 17  # our 16 and one other
    m.advance(2 * E, waited_share=1.0)
    gov.tick()
    assert gov.threads == 15
    m.running = 16  # 15 of ours and the other: no room for a 16th
    for _ in range(2 * threads.GOVERNOR_CALM_LOOKS):
        m.advance(2 * E)
        gov.tick()
    assert gov.threads == 15
    m.running = 18  # three others now, and we wait
    m.advance(2 * E, waited_share=2.0)
    gov.tick()
    assert gov.threads == 13
    m.running = 13  # they are gone: all 16 back after the calm looks
    for _ in range(threads.GOVERNOR_CALM_LOOKS):
        m.advance(2 * E)
        gov.tick()
    assert gov.threads == 16 and m.sets == [15, 13, 16]


def test_governor_is_off_with_one_thread_without_schedstat_or_off_the_policy(monkeypatch):
    m, E = FakeMachine(), threads.GOVERNOR_EVERY_S
    for gov in (m.governor(1), m.governor(2, active=False),
                threads.Governor(2, clock=lambda: m.t, delay=lambda: None, set_threads=m.sets.append)):
        assert not gov.active
        m.advance(20 * E, waited_share=1.0)
        gov.tick()
        with gov.whole():
            pass
    assert m.sets == []
    monkeypatch.setenv("GLOROT_THREAD_POLICY", "bounded")
    assert not threads.Governor.for_this_process("cpu").active
    monkeypatch.setenv("GLOROT_THREAD_POLICY", "adaptive")
    monkeypatch.setenv("GLOROT_THREADS", "2")
    assert not threads.Governor.for_this_process("cpu").active  # the user's count wins
    monkeypatch.delenv("GLOROT_THREADS")
    assert not threads.Governor.for_this_process("cuda").active
    assert threads.run_delay_ns() is not None and threads.procs_running() >= 1  # this Linux VM says


def test_updates_are_the_same_bits_while_the_thread_count_switches():
    """What the governor changes mid-run: the updates' thread count, for stacks of two or more
    members (784-300x3-10), switched every update vs. 2 threads throughout."""
    from glorot.nn import Member, StackedMLP
    from glorot.trainer import tracked_step

    before = torch.get_num_threads()
    try:
        for members in ([Member("tanh", "normalized", 0.1, s) for s in (0, 1)],
                        [Member(a, "standard", 0.1, s) for a, s in (("relu", 0), ("sigmoid", 1), ("softsign", 2))]):
            k = len(members)
            models = [StackedMLP(members, 784, 300, 3, 10) for _ in range(2)]
            states = [(torch.ones(k, dtype=torch.bool), torch.full((k,), -1, dtype=torch.long),
                       torch.zeros(k, dtype=torch.float64)) for _ in range(2)]
            g = torch.Generator().manual_seed(0)
            for step in range(12):
                x, y = torch.rand(k, 10, 784, generator=g), torch.randint(0, 10, (k, 10), generator=g)
                torch.set_num_threads(2)
                tracked_step(models[0], x, y, *states[0], step)
                torch.set_num_threads(1 + step % 2)
                tracked_step(models[1], x, y, *states[1], step)
            for p, q in zip(models[0].parameters(), models[1].parameters()):
                assert torch.equal(p.view(torch.int32), q.view(torch.int32))
            assert torch.equal(states[0][2], states[1][2])
    finally:
        torch.set_num_threads(before)


def test_runs_of_two_or_three_members_are_the_same_bits_on_1_and_2_threads(tmp_path):
    """Evaluation and record steps (all five signals, Jacobian SVDs of two members) of 2- and
    3-member stacks, the updates in between: a run on one thread equals a run on two, bit for bit.
    Big enough (width 160, 300 monitor examples) for torch to split work over threads."""
    before = torch.get_num_threads()
    try:
        for seeds, jm in (("[0,1]", "[]"), ("[0,1,2]", "[0,2]")):
            for n in (1, 2):
                torch.set_num_threads(n)
                cfg = compose_cfg("data=synthetic", "model.depth=3", "model.width=160", f"stack.seeds={seeds}",
                                  "train.updates=40", "train.eval_every_examples=200", "record=paper",
                                  "record.every=20", "record.jacobian=true", "record.jacobian_examples=3",
                                  f"record.jacobian_members={jm}", "train.progress=false", "train.device=cpu")
                train(cfg, tmp_path / f"k{len(seeds)}-{n}")
            assert compare_runs.main([str(tmp_path / f"k{len(seeds)}-1"), str(tmp_path / f"k{len(seeds)}-2")]) == 0
    finally:
        torch.set_num_threads(before)


def test_phases_add_up_and_nest():
    ph = Phases({"startup": 1.0})
    with ph("a"):
        with ph("b"):
            pass
    ph.add("a", 0.5)
    assert set(ph.s) == {"startup", "a", "b"} and ph.s["a"] >= 0.5 and ph.s["b"] >= 0.0
    assert ph.rounded()["startup"] == 1.0


def test_run_json_holds_the_phases(tmp_path):
    cfg = compose_cfg("data=synthetic", "model=tiny", "profile=smoke", "train.updates=60", "record=paper",
                      "record.every=20", "record.jacobian=true", "train.checkpoint_every=30",
                      "train.progress=false")
    train(cfg, tmp_path / "run")
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    ph = info["phases"]
    for name in ("data", "init", "train", "batches", "evaluate", "record", "jacobian", "checkpoint", "write"):
        assert name in ph and ph[name] >= 0, name
    assert ph["jacobian"] > 0 and ph["train"] > 0
    inside = sum(v for k, v in ph.items() if k != "startup")
    assert inside >= info["wall_time_s"] * 0.9  # the training loop's time is split, not lost


def _tree(root, values):
    d = root / "runs" / "exp"
    d.mkdir(parents=True)
    pd.DataFrame({"member": [0, 1], "status": ["ok", "ok"], "final": [0.5, np.nan]}).to_csv(d / "members.csv")
    pd.DataFrame({"member": [0, 0, 1], "loss": values}).to_csv(d / "metrics.csv", index=False)
    pd.DataFrame({"member": [0], "value": [1.0]}).to_parquet(d / "stats.parquet")
    return root / "runs"


def test_compare_runs_finds_the_largest_difference(tmp_path, capsys):
    a = _tree(tmp_path / "a", [0.25, np.nan, 1.0])
    b = _tree(tmp_path / "b", [0.25, np.nan, 1.0])
    c = _tree(tmp_path / "c", [0.25, np.nan, 1.0 + 2 ** -20])
    assert compare_runs.main([str(a), str(b)]) == 0
    assert "all identical" in capsys.readouterr().out
    assert compare_runs.main([str(a), str(c)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and "loss" in out and "9.54e-07" in out
    assert compare_runs.main([str(a), str(c), "--tol", "1e-6"]) == 0
    (c / "exp" / "stats.parquet").unlink()
    assert compare_runs.main([str(a), str(c), "--tol", "1"]) == 1  # a missing file is a difference
    assert compare_runs.main([str(a), str(tmp_path / "nowhere")]) == 2


def test_compare_runs_sees_the_sign_of_zero_and_takes_equal_infinities(tmp_path, capsys):
    """Bit for bit means -0.0 is not 0.0 (``==`` says it is); equal infinities (a diverged member's
    loss) are equal, without numpy's inf - inf warning."""
    import warnings  # noqa: PLC0415

    a = _tree(tmp_path / "a", [0.0, np.inf, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning would fail the call
        assert compare_runs.main([str(a), str(_tree(tmp_path / "b", [0.0, np.inf, -np.inf]))]) == 0
    assert "all identical" in capsys.readouterr().out
    assert compare_runs.main([str(a), str(_tree(tmp_path / "c", [-0.0, np.inf, -np.inf]))]) == 1
    assert "loss" in capsys.readouterr().out


def test_parallel_workers_start_the_longest_experiment_first(tmp_path):
    import reproduce  # noqa: PLC0415 - scripts/ is on the path (above)

    planned = {"a": 100, "b": 0, "c": 5000}
    assert reproduce.longest_first(["a", "b", "c"], planned, tmp_path / "none.json") == ["c", "a", "b"]
    summary = tmp_path / "reproduce_summary.json"
    summary.write_text(json.dumps({"experiments": [
        {"experiment": "a", "status": "trained", "wall_s": 10.0},
        {"experiment": "b", "status": "trained", "wall_s": 55.0},  # at init: no updates, a minute
        {"experiment": "c", "status": "trained", "wall_s": 30.0}]}))
    assert reproduce.longest_first(["a", "b", "c"], planned, summary) == ["b", "c", "a"]
    # an experiment the summary does not know: back to the plan's arithmetic for all
    assert reproduce.longest_first(["a", "b", "c", "d"], {**planned, "d": 1}, summary) == ["c", "a", "d", "b"]
    # a new output folder: the next summary in the list (the committed one), if its profile matches
    committed = tmp_path / "committed.json"
    committed.write_text(json.dumps({"profile": "quick", "experiments": [
        {"experiment": e, "status": "trained", "wall_s": w} for e, w in (("a", 3.0), ("b", 2.0), ("c", 1.0))]}))
    order = lambda profile: reproduce.longest_first(  # noqa: E731
        ["a", "b", "c"], planned, [tmp_path / "none.json", committed], profile)
    assert order("quick") == ["a", "b", "c"]
    assert order("paper") == ["c", "a", "b"]
    assert reproduce.summaries(tmp_path)[-1] == ROOT / "results" / "reproduce_summary.json"


def test_time_left_weights_experiments_by_the_last_runs_times(tmp_path):
    """The suite's progress for its 'time left': each experiment's own share of its member-updates,
    weighted by its wall time in the last run when known (an at-init experiment that trains nothing
    still takes a minute), else by member-updates."""
    import reproduce  # noqa: PLC0415

    pending, planned = ["a", "b", "c"], {"a": 100, "b": 0, "c": 300}
    # by member-updates: a done, c half done, b (at init) counts for nothing
    assert reproduce.fraction_done(pending, planned, {"a": 100, "c": 150}, {"a"}, {}) == (100 + 150) / 400
    prev = {"a": 10.0, "b": 60.0, "c": 30.0}
    assert reproduce.fraction_done(pending, planned, {"a": 100, "c": 150}, {"a"}, prev) == (10 + 15) / 100
    assert reproduce.fraction_done(pending, planned, {"a": 100, "c": 300}, {"a", "b", "c"}, prev) == 1.0
    assert reproduce.fraction_done(["b"], {"b": 0}, {}, set(), {}) == 0.0
    summary = tmp_path / "reproduce_summary.json"
    summary.write_text(json.dumps({"experiments": [{"experiment": e, "status": "trained", "wall_s": w}
                                                   for e, w in prev.items()]}))
    assert reproduce.previous_walls(pending, summary) == prev
    assert reproduce.previous_walls(pending + ["d"], summary) == {}
