"""scripts/bench_floor.py times the engine's matrix products alone: it must replay the very calls
the engine makes (op, shapes), or its floor is not the engine's."""

from __future__ import annotations

import sys

import torch
from torch.profiler import ProfilerActivity, profile

from glorot.nn import Member, StackedMLP
from glorot.trainer import evaluate
from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench_floor import eval_gemms, train_step_gemms  # noqa: E402

GEMMS = {"aten::bmm", "aten::baddbmm", "aten::baddbmm_"}


def products(fn) -> list[tuple[str, tuple]]:
    """The batched matrix products ``fn`` calls, in order, with their input shapes."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as p:
        fn()
    return [(e.name, tuple(tuple(s) for s in e.input_shapes if s)) for e in p.events() if e.name in GEMMS]


def stack(k: int, sizes: list[int]) -> StackedMLP:
    members = [Member("tanh", "normalized", 0.1, s) for s in range(k)]
    return StackedMLP(members, sizes[0], sizes[1], len(sizes) - 2, sizes[-1])


def test_training_products_are_the_engines():
    k, sizes, b = 3, [12, 8, 8, 4], 10
    model = stack(k, sizes)
    x, y = torch.rand(k, b, sizes[0]), torch.randint(0, sizes[-1], (k, b))
    engine = products(lambda: model.sgd_step(x, y, torch.ones(k, dtype=torch.bool)))
    step = train_step_gemms(k, sizes, b)
    replay = products(step)
    assert len(engine) == 3 * (len(sizes) - 1) - 1  # forward, update per layer; back-propagation above the first
    assert replay == engine


def test_evaluation_products_are_the_engines():
    k, sizes = 2, [12, 8, 8, 4]
    model = stack(k, sizes)
    x, y = torch.rand(1000, sizes[0]), torch.randint(0, sizes[-1], (1000,))
    engine = products(lambda: evaluate(model, x, y))
    replay = products(eval_gemms(k, sizes, rows=1000))
    assert len(engine) == len(sizes) - 1
    assert replay == engine
