"""The CUDA-graph step (train.cuda_graph, glorot.trainer.GraphedStep) against the eager step.

The equality test needs CUDA and is skipped elsewhere (CI and the sessions so far have no GPU);
what the graph relies on that a CPU can check is checked here too: the eager step reads its step
number from a 0-dim device tensor exactly as from an int, and asking for a graph on a CPU fails
with a clear error before any training."""

from __future__ import annotations

import pytest
import torch

from glorot.nn import Member, StackedMLP
from glorot.trainer import GraphedStep, make_step, tracked_step
from helpers import run_train


def _stack(device, k=4):
    members = [Member("tanh", "normalized", 0.1, s) for s in range(k - 1)] + [Member("relu", "normal:100", 1e3, 9)]
    model = StackedMLP(members, 12, 16, 3, 5, dtype=torch.float64, device=device)  # last member diverges
    state = (torch.ones(k, dtype=torch.bool, device=device), torch.full((k,), -1, dtype=torch.long, device=device),
             torch.zeros(k, dtype=torch.float64, device=device))
    return model, state


def _batches(device, k=4, n=40):
    g = torch.Generator().manual_seed(3)
    return [(torch.randn(k, 10, 12, generator=g, dtype=torch.float64).mul(4).to(device),
             torch.randint(0, 5, (k, 10), generator=g).to(device)) for _ in range(n)]


def test_step_number_as_a_device_tensor_is_the_same_step():
    runs = []
    for as_tensor in (False, True):
        model, (alive, died_at, loss_sum) = _stack("cpu")
        for i, (x, y) in enumerate(_batches("cpu")):
            step = torch.tensor(i) if as_tensor else i
            tracked_step(model, x, y, alive, died_at, loss_sum, step)
        runs.append((model.state_dict(), alive.clone(), died_at.clone(), loss_sum.clone()))
    (sd0, *rest0), (sd1, *rest1) = runs
    for k in sd0:
        torch.testing.assert_close(sd0[k], sd1[k], rtol=0, atol=0, equal_nan=True)  # bit for bit
    for a, b in zip(rest0, rest1):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
    assert rest0[1][-1] >= 0 and (rest0[1][:-1] == -1).all()  # the big-lr member diverged, only it


def test_graph_step_refuses_a_cpu_run(tmp_path):
    model, (alive, died_at, loss_sum) = _stack("cpu")
    x, y = _batches("cpu", n=1)[0]
    with pytest.raises(ValueError, match="needs a CUDA device"):
        GraphedStep(model, alive, died_at, loss_sum, x, y)
    update = make_step(model, alive, died_at, loss_sum, cuda_graph=True)  # captures at the first call
    with pytest.raises(ValueError, match="needs a CUDA device"):
        update(x, y, 0)
    r = run_train("model=tiny", "data=synthetic", "profile=smoke", "train.device=cpu", "train.cuda_graph=true",
                  f"results_dir={tmp_path}", check=False)
    assert r.returncode != 0 and "train.cuda_graph=true needs a CUDA device" in r.stderr + r.stdout
    assert "Traceback" not in r.stderr


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_graph_step_equals_the_eager_step_on_cuda():
    dev = torch.device("cuda")
    eager_model, eager_state = _stack(dev)
    graph_model, graph_state = _stack(dev)
    batches = _batches(dev)
    graphed = GraphedStep(graph_model, *graph_state, *batches[0])  # warm-up must leave no trace
    for (a, b) in zip(eager_model.state_dict().values(), graph_model.state_dict().values()):
        assert torch.equal(a, b)
    for i, (x, y) in enumerate(batches):
        tracked_step(eager_model, x, y, *eager_state, i)
        graphed(x, y, i)
    for (name, a), b in zip(eager_model.state_dict().items(), graph_model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, equal_nan=True, msg=name)
    for a, b in zip(eager_state, graph_state):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert graph_state[1][-1] >= 0 and (graph_state[1][:-1] == -1).all()
