"""The trainer through its real entry point: a smoke run learns and writes a self-describing run
folder; a killed run resumes to the same numbers; a diverging member is marked and the rest train on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from glorot.trainer import train
from helpers import ROOT, compose_cfg, only_dir, run_train

TINY = ["data=synthetic", "model=tiny", "profile=smoke"]


def test_smoke_run_lowers_training_loss_and_describes_itself(tmp_path):
    run_train(*TINY, "train.updates=400", "stack.seeds=[0,1]", f"results_dir={tmp_path}")
    d = only_dir(tmp_path)
    info = json.loads((d / "run.json").read_text())
    assert info["status"] == "complete" and info["members"] == 2 and info["updates"] == 400
    for key in ("git_commit", "git_dirty", "torch", "device_name", "wall_time_s", "member_updates_per_s"):
        assert key in info
    assert info["cpu_model"]  # which host: the same code runs several times slower on some
    assert (d / "config.yaml").exists() and not (d / "checkpoint.pt").exists()
    members = pd.read_csv(d / "members.csv")
    assert list(members.seed) == [0, 1] and set(members.status) == {"ok"}
    m = pd.read_csv(d / "metrics.csv")
    assert set(m.split) == {"train", "valid", "test"}
    for k in (0, 1):
        tr = m[(m.member == k) & (m.split == "train")].dropna(subset=["loss"]).sort_values("step")
        assert tr.loss.iloc[-1] < 0.5 * tr.loss.iloc[0]  # the training loss goes down
        va = m[(m.member == k) & (m.split == "valid")].sort_values("step")
        assert va.error.iloc[-1] < va.error.iloc[0]
    # running the same command again finds the finished run and skips it
    r = run_train(*TINY, "train.updates=400", "stack.seeds=[0,1]", f"results_dir={tmp_path}")
    assert "already complete" in r.stdout + r.stderr


def test_killed_run_resumes_to_the_same_numbers(tmp_path):
    args = ["data=synthetic", "model.depth=3", "model.width=48", "profile=smoke", "train.updates=3000",
            "train.eval_every_examples=20000", "train.checkpoint_every=500", "stack.seeds=[0,1]"]
    # the uninterrupted reference
    run_train(*args, f"results_dir={tmp_path / 'ref'}")
    ref = only_dir(tmp_path / "ref")
    # the same run, killed (SIGKILL: no chance to clean up) once a checkpoint exists
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "glorot.train", *args, f"results_dir={out}"]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.rglob("checkpoint.pt")) and p.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    if p.poll() is not None:
        pytest.fail("the run finished before it could be killed; make it longer")
    p.send_signal(signal.SIGKILL)
    p.wait()
    d = only_dir(out)
    assert json.loads((d / "run.json").read_text())["status"] == "running"
    assert not (d / "metrics.csv").exists()
    r = run_train(*args, f"results_dir={out}")
    assert "resuming from" in r.stdout + r.stderr
    for name in ("metrics.csv", "members.csv"):
        a, b = pd.read_csv(ref / name), pd.read_csv(d / name)
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_diverging_member_is_marked_and_the_rest_train_on(tmp_path):
    base = ["data=synthetic", "model=tiny", "profile=smoke", "train.updates=300", "activation=relu",
            "train.progress=false"]
    cfg = compose_cfg(*base, "init=normalized", "stack.lrs=[1000.0,0.1]")
    members = train(cfg, tmp_path / "both")
    assert list(members.status) == ["diverged", "ok"]
    assert members.diverged_at_update[0] >= 0 and pd.isna(members.final_test_error[0])
    alone = train(compose_cfg(*base, "init=normalized", "optim.lr=0.1"), tmp_path / "alone")
    assert members.final_test_error[1] == alone.final_test_error[0]  # its neighbour did not matter
    m = pd.read_csv(tmp_path / "both" / "metrics.csv")
    assert m[(m.member == 1) & (m.split == "valid")].error.notna().all()


def test_live_step_trains_the_live_members_to_the_same_bits():
    """LiveStep (the CPU update) drops diverged members from the arithmetic; the live members'
    weights and the bookkeeping (alive, died_at, loss sums) must equal tracked_step's bit for bit,
    through a divergence at update 1 and a member marked dead from outside (as evaluation does)."""
    import torch

    from glorot.nn import Member, StackedMLP
    from glorot.trainer import LiveStep, sync_model, tracked_step

    torch.manual_seed(0)
    members = [Member("relu", init, 0.01, seed) for init in ("he", "normal:1.0", "normalized") for seed in (0, 1)]
    members += [Member("tanh", "normalized", 0.1, 0)]
    k = len(members)
    models = [StackedMLP(members, 784, 64, 10, 10) for _ in range(2)]
    states = [(torch.ones(k, dtype=torch.bool), torch.full((k,), -1, dtype=torch.long),
               torch.zeros(k, dtype=torch.float64)) for _ in range(2)]
    live = LiveStep(models[1], *states[1])
    g = torch.Generator().manual_seed(1)
    for step in range(40):
        x, y = torch.rand(k, 10, 784, generator=g), torch.randint(0, 10, (k, 10), generator=g)
        tracked_step(models[0], x, y, *states[0], step)
        live(x, y, step)
        if step == 20:
            for alive, _, _ in states:
                alive[4] = False  # as evaluation does for a member whose error is not finite
    assert live.sub is not None and live.sub.k == k - 3  # the two N(0, 1) relu members and member 4
    sync_model(live)
    for a, b in zip(states[0], states[1]):
        assert torch.equal(a, b)
    assert states[0][1].tolist() == [-1, -1, 1, 1, -1, -1, -1]  # died_at
    for p, q in zip(models[0].parameters(), models[1].parameters()):  # frozen members too, NaN and all
        assert torch.equal(p.view(torch.int32), q.view(torch.int32))


def test_evaluation_leaves_diverged_members_out_with_the_same_bits():
    """Evaluation on the CPU runs only the stack LiveStep trains: the live members' losses, errors
    and finiteness must equal the whole stack's evaluation bit for bit, and the diverged members
    get NaN (the trainer writes their rows as NaN either way)."""
    import torch

    from glorot.nn import Member, StackedMLP
    from glorot.trainer import LiveStep, evaluate, evaluate_live, sync_model

    members = [Member("relu", init, 0.01, seed) for init in ("he", "normal:1.0") for seed in (0, 1)]
    members += [Member("tanh", "normalized", 0.1, 0)]
    k = len(members)
    torch.manual_seed(0)
    model = StackedMLP(members, 784, 64, 10, 10)
    alive = torch.ones(k, dtype=torch.bool)
    live = LiveStep(model, alive, torch.full((k,), -1, dtype=torch.long), torch.zeros(k, dtype=torch.float64))
    g = torch.Generator().manual_seed(1)
    assert live.live_stack() == (None, model)
    for step in range(5):
        live(torch.rand(k, 10, 784, generator=g), torch.randint(0, 10, (k, 10), generator=g), step)
    idx, sub = live.live_stack()
    assert idx.tolist() == [0, 1, 4] and sub is live.sub  # the two N(0, 1) relu members diverged
    sync_model(live)
    x, y = torch.rand(2500, 784, generator=g), torch.randint(0, 10, (2500,), generator=g)
    whole = evaluate(model, x, y)
    part = evaluate_live(model, x, y, idx, sub)
    assert not bool(whole[2][2]) and not bool(whole[2][3])  # the diverged members' logits are not finite
    for w, p in zip(whole, part):
        assert torch.equal(w[idx], p[idx])
    dead = torch.tensor([2, 3])
    assert bool(part[0][dead].isnan().all()) and bool(part[1][dead].isnan().all()) and bool(part[2][dead].all())


def test_evaluation_in_row_blocks_gives_the_same_bits():
    """evaluate() runs each chunk's forward pass in blocks of rows on the CPU: the logits, hence
    the losses and errors, must be the same bits as one forward pass per chunk."""
    import torch

    from glorot.nn import Member, StackedMLP
    from glorot.trainer import evaluate

    members = [Member(a, "normalized", 0.1, s) for a in ("tanh", "relu", "softsign") for s in (0, 1)]
    model = StackedMLP(members, 784, 64, 4, 10)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2500, 784, generator=g), torch.randint(0, 10, (2500,), generator=g)
    whole = evaluate(model, x, y, chunk=2000, rows=2000)
    for rows in (1000, 300):
        for a, b in zip(whole, evaluate(model, x, y, chunk=2000, rows=rows)):
            assert torch.equal(a, b)
    # the sums per chunk are what fixes the bits: another chunk size is another sum
    assert not torch.equal(whole[0], evaluate(model, x, y, chunk=500, rows=500)[0])


def test_gather_batch_takes_the_rows_advanced_indexing_takes():
    """The trainer's mini-batches come from gather_batch (index_select): the same values, shapes
    and dtypes as ``x[idx], y[idx]``, for a [K, B] index with repeats, on a BatchSampler's slice."""
    import torch

    from glorot.trainer import BatchSampler, gather_batch

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(500, 7, generator=g), torch.randint(0, 10, (500,), generator=g)
    sampler = BatchSampler([0, 1, 1, 5], 500, 10, "cpu")
    for step in (0, 49, 50, 123):  # 50 steps an epoch: the slice of a new permutation too
        idx = sampler.indices(step)
        assert not idx.is_contiguous()
        bx, by = gather_batch(x, y, idx)
        assert bx.shape == (4, 10, 7) and by.shape == (4, 10) and by.dtype == y.dtype
        assert torch.equal(bx, x[idx]) and torch.equal(by, y[idx])
    idx = torch.tensor([[3, 3], [0, 499]])
    assert torch.equal(gather_batch(x, y, idx)[0], x[idx])


def test_ctrl_c_stops_a_run_in_two_lines_without_a_traceback(tmp_path):
    """Ctrl-C during ``python -m glorot.train``: the trainer's line (where to resume from), then
    "interrupted" and exit 130; it printed a 30-line KeyboardInterrupt traceback through Hydra."""
    cmd = [sys.executable, "-m", "glorot.train", "profile=smoke", "train.updates=200000", "model=tiny",
           f"hydra.run.dir={tmp_path / 'run'}"]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in p.stdout:  # training has started: interrupt
        lines.append(line)
        if "glorot.trainer" in line and " training " in line:
            time.sleep(0.5)
            os.killpg(p.pid, signal.SIGINT)
            break
    lines += p.stdout.readlines()
    assert p.wait(timeout=60) == 130, "".join(lines[-30:])
    out = "".join(lines)
    assert "Traceback" not in out and "interrupted at update" in out, out[-3000:]
    assert lines[-1].strip() == "interrupted"


def test_multirun_flag_may_follow_the_overrides(tmp_path):
    """``glorot.train a=1 -m seed=0,1``: Hydra's parser takes -m only before the overrides (it was a
    20-line usage block and exit 2); the entry point moves it to the front."""
    run_train("data=synthetic", "model=tiny", "profile=smoke", "train.updates=5", "-m", "seed=0,1",
              f"results_dir={tmp_path}")
    assert len(list((tmp_path / "runs").rglob("run.json"))) == 2
