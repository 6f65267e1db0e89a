#!/usr/bin/env python
"""Throughput of the stacked engine against a naive per-model PyTorch loop (issue 5, PERFORMANCE.md).

For the paper's network (784-1000x5-10, batch 10, plain SGD) it measures, in one process and
interleaved so that a noisy machine slows both alike:

* ``naive``: one ``nn.Sequential`` of ``nn.Linear`` + activation trained with ``torch.optim.SGD`` in
  a Python loop, the way a typical reproduction trains: the data set lives on the device and each
  mini-batch is taken by index (no ``.item()`` per step: the baseline is given its best case);
* ``stacked``: :meth:`glorot.nn.StackedMLP.sgd_step` driven exactly as ``glorot.trainer.Run.run``
  drives it (the trainer's ``BatchSampler``, the divergence bookkeeping, the device-side loss sum),
  at K members, with recording off and, when ``glorot.record.Recorder`` exists, with recording
  every ``--record-every`` updates. The recording cost is measured by timing ``Recorder.record``
  on its own and amortized over ``--record-every`` updates (a CPU run cannot afford 1,000 updates
  per K; the JSON says ``"recording": "amortized"``).

Unit: member-updates per second (K members each taking one SGD step = K member-updates). Each
number is the median of ``--repeats`` timed blocks, given with its min and max. ``ratio`` is against
the naive loop measured in the same run. ``bw_fraction`` is the fraction of the memory-bandwidth
ceiling: one update moves the fp32 weights 4 times (forward read, backward read, update read +
write), against this device's measured copy rate (a GPU yardstick; on a CPU small stacks live in
cache and the fraction can exceed 1).

    python scripts/benchmark.py                    # CPU: shortened defaults (says what it cut)
    python scripts/benchmark.py --device cuda --json results/bench/h100.json
    python scripts/benchmark.py --device cuda --cuda-graph   # adds the CUDA-graph step (train.cuda_graph)
    python scripts/benchmark.py --ks 1,10 --member-updates 200 --repeats 2 --depth 2 --width 256
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from glorot import threads

threads.configure_numpy_env()  # numpy's AVX2 partitions on AMD Zen 4, as in training (glorot.threads: why)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from glorot.cli import Parser, nonnegative_int, positive_float, positive_int  # noqa: E402
from glorot.cli import device as cli_device  # noqa: E402
from glorot.nn import Member, StackedMLP, get_activation  # noqa: E402
from glorot.plan import n_weights  # noqa: E402
from glorot.trainer import BatchSampler, device_name, make_step  # noqa: E402

N_IN, N_OUT = 784, 10  # MNIST


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


class Timer:
    """Wall time of a block; on CUDA between two events after a synchronize (no host timing of
    asynchronous kernels)."""

    def __init__(self, dev: torch.device):
        self.cuda = dev.type == "cuda"

    def __enter__(self):
        if self.cuda:
            torch.cuda.synchronize()
            self.a, self.b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self.a.record()
        else:
            self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            self.b.record()
            self.b.synchronize()
            self.seconds = self.a.elapsed_time(self.b) / 1000
        else:
            self.seconds = time.perf_counter() - self.t0


def copy_rate(dev: torch.device, mbytes: int) -> float:
    """Measured device copy rate in bytes/s (read + write counted: 2 x size per copy)."""
    n = mbytes * (1 << 20) // 4
    a = torch.empty(n, device=dev).uniform_()
    b = torch.empty_like(a)
    for _ in range(2):
        b.copy_(a)
    best = math.inf
    for _ in range(5):
        with Timer(dev) as t:
            b.copy_(a)
        best = min(best, t.seconds)
    return 2 * a.numel() * 4 / best


# --------------------------------------------------------------------------------------------
# The two engines
# --------------------------------------------------------------------------------------------


class Naive:
    """Per-model ``nn.Sequential`` + ``optim.SGD``: the baseline a typical reproduction runs."""

    k = 1

    def __init__(self, a, x, y, dev, dtype, model: nn.Module | None = None):
        self.model = model if model is not None else naive_model(a, dev, dtype)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=a.lr)
        self.x, self.y, self.b = x, y, a.batch_size
        g = torch.Generator().manual_seed(0)
        self.perm = torch.randperm(len(y), generator=g).to(dev)
        self.steps_per_epoch = len(y) // self.b
        self.step_no = 0

    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One SGD update on the mini-batch (x [B, n_in], y [B])."""
        loss = F.cross_entropy(self.model(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def steps(self, n: int) -> None:
        for _ in range(n):
            i = self.step_no % self.steps_per_epoch
            idx = self.perm[i * self.b:(i + 1) * self.b]
            self.step(self.x[idx], self.y[idx])
            self.step_no += 1


def naive_model(a, dev, dtype) -> nn.Sequential:
    """The paper's MLP as a plain ``nn.Sequential`` of ``nn.Linear`` + activation, built on ``dev``."""
    act = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softsign": nn.Softsign, "relu": nn.ReLU}[a.activation]
    sizes = [N_IN] + [a.width] * a.depth + [N_OUT]
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, device=dev, dtype=dtype))
        if i < a.depth:
            layers.append(act())
    return nn.Sequential(*layers)


class TorchFunc:
    """K copies of the naive model trained at once the way PyTorch documents model ensembling
    (``torch.func.stack_module_state`` + ``vmap`` + ``grad`` + ``functional_call``; the tutorial
    "Model ensembling", docs.pytorch.org/tutorials/intermediate/ensembling.html): the peer a user
    who wants many small models at once would pick. Each member has its own mini-batch and its
    own learning rate; the update is ``p -= lr * grad`` on the stacked parameters (one
    ``torch._foreach_add_`` when all rates are equal, as ``optim.SGD``'s foreach path does)."""

    def __init__(self, a, k, x, y, dev, dtype, models: list[nn.Module] | None = None,
                 lrs: list[float] | None = None):
        import copy  # noqa: PLC0415

        from torch.func import functional_call, grad, stack_module_state, vmap  # noqa: PLC0415

        self.k = k
        models = models if models is not None else [naive_model(a, dev, dtype) for _ in range(k)]
        params, self.buffers = stack_module_state(models)
        self.params = {n: p.detach() for n, p in params.items()}  # updated in place, no autograd leaves
        base = copy.deepcopy(models[0]).to("meta")

        def loss(params, buffers, xb, yb):
            return F.cross_entropy(functional_call(base, (params, buffers), (xb,)), yb)

        self.grads = vmap(grad(loss), in_dims=(0, 0, 0, 0))
        lrs = list(lrs) if lrs is not None else [a.lr] * k
        self.lr_scalar = lrs[0] if all(r == lrs[0] for r in lrs) else None
        self.lr = torch.tensor(lrs, dtype=dtype, device=dev)
        self.x, self.y, self.b = x, y, a.batch_size
        self.sampler = BatchSampler(list(range(k)), len(y), self.b, dev)
        self.step_no = 0

    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One SGD update of every member on its own mini-batch (x [K, B, n_in], y [K, B])."""
        g = self.grads(self.params, self.buffers, x, y)
        ps, gs = list(self.params.values()), [g[n] for n in self.params]
        with torch.no_grad():
            if self.lr_scalar is not None:
                torch._foreach_add_(ps, gs, alpha=-self.lr_scalar)
            else:
                for p, gp in zip(ps, gs):
                    p.sub_(gp * self.lr.view(-1, *([1] * (p.dim() - 1))))

    def steps(self, n: int) -> None:
        for _ in range(n):
            idx = self.sampler.indices(self.step_no)
            self.step(self.x[idx], self.y[idx])
            self.step_no += 1


class Stacked:
    """K members through ``StackedMLP.sgd_step``, driven as ``glorot.trainer.Run.run`` drives it."""

    def __init__(self, a, k, x, y, dev, dtype, graph: bool = False):
        self.k, self.graph = k, graph
        members = [Member(a.activation, "standard", a.lr, s) for s in range(k)]
        self.model = StackedMLP(members, N_IN, a.width, a.depth, N_OUT, dtype=dtype, device=dev)
        self.x, self.y, self.b = x, y, a.batch_size
        self.sampler = BatchSampler([m.seed for m in members], len(y), self.b, dev)
        self.alive = torch.ones(k, dtype=torch.bool, device=dev)
        self.died_at = torch.full((k,), -1, dtype=torch.long, device=dev)
        self.loss_sum = torch.zeros(k, dtype=torch.float64, device=dev)
        self.update = make_step(self.model, self.alive, self.died_at, self.loss_sum, graph)
        self.step_no = 0

    def steps(self, n: int) -> None:
        for _ in range(n):  # the body of the loop in glorot.trainer.Run.run
            idx = self.sampler.indices(self.step_no)
            x, y = self.x[idx], self.y[idx]
            self.update(x, y, self.step_no)
            self.step_no += 1


def make_recorder(model: StackedMLP, a, dev, dtype, run_dir: Path):
    """A ``glorot.record.Recorder`` on a 300-example monitor set, or None if there is none yet."""
    try:
        from glorot.record import Recorder  # noqa: PLC0415
        from glorot.config import RecordConfig  # noqa: PLC0415
        from omegaconf import OmegaConf  # noqa: PLC0415
    except ImportError:
        return None
    g = torch.Generator().manual_seed(1)
    mx = torch.randn(300, N_IN, generator=g).to(dev, dtype)
    my = torch.randint(0, N_OUT, (300,), generator=g).to(dev)
    cfg = OmegaConf.structured(RecordConfig(enabled=True, every=a.record_every, early=0))
    return Recorder(model, mx, my, cfg, run_dir=run_dir)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


#: nominal peak memory bandwidth (bytes/s) by device-name pattern, from the vendors' datasheets;
#: the first pattern found in torch.cuda.get_device_name() applies. Data, not code: add a device here.
PEAK_BANDWIDTH = [
    ("H200", 4.8e12, "NVIDIA H200 Tensor Core GPU datasheet: 4.8 TB/s HBM3e (SXM and NVL)"),
    ("H100 PCIe", 2.0e12, "NVIDIA H100 Tensor Core GPU datasheet: 2 TB/s HBM2e (PCIe)"),
    ("H100", 3.35e12, "NVIDIA H100 Tensor Core GPU datasheet: 3.35 TB/s HBM3 (SXM)"),
    ("A100-SXM4-80GB", 2.039e12, "NVIDIA A100 datasheet: 2,039 GB/s HBM2e (80GB SXM)"),
]


def peak_bandwidth(name: str) -> tuple[float, str] | None:
    """(bytes/s, source) of the first PEAK_BANDWIDTH entry whose pattern is in ``name``, or None."""
    for pattern, bw, source in PEAK_BANDWIDTH:
        if pattern in name:
            return bw, source
    return None


ENGINES = ("naive", "torch_func", "stacked", "stacked_graph")


def parse(argv=None):
    p = Parser(
        description="Member-updates/s of the stacked engine (eager and CUDA graph) against a naive per-model "
                    "loop and torch.func ensembling (stack_module_state + vmap + grad), paper network.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--depth", type=nonnegative_int, default=5, help="hidden layers (paper: 5)")
    p.add_argument("--width", type=positive_int, default=1000, help="hidden units per layer (paper: 1000)")
    p.add_argument("--batch-size", type=positive_int, default=10, help="mini-batch size (paper Sec. 2.3: 10)")
    p.add_argument("--activation", default="tanh", choices=["tanh", "sigmoid", "softsign", "relu"])
    p.add_argument("--lr", type=positive_float, default=0.01)
    p.add_argument("--ks", default=None,
                   help="comma-separated stack sizes K (default: 1,10,100,200 on a GPU; 1,10 on a CPU)")
    p.add_argument("--member-updates", type=positive_int, default=None,
                   help="member-updates per timed block; steps = ceil(this / K) "
                        "(default: 20000 on a GPU, 300 on a CPU; ignored with --budget-s)")
    p.add_argument("--budget-s", type=positive_float, default=None,
                   help="instead of --member-updates: size every timed block so that all timed blocks together "
                        "take about this many seconds (each engine gets the same time; set-up and warm-up "
                        "not counted), e.g. 60 in a GPU window")
    p.add_argument("--repeats", type=positive_int, default=3, help="timed blocks per engine, interleaved")
    p.add_argument("--warmup", type=nonnegative_int, default=5, help="untimed steps before the first block")
    p.add_argument("--record-every", type=positive_int, default=1000, help="updates between record steps")
    p.add_argument("--no-record", action="store_true", help="skip the recording measurement")
    p.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    p.add_argument("--no-torch-func", action="store_true", help="skip the torch.func ensembling peer")
    p.add_argument("--n-train", type=positive_int, default=10_000, help="size of the (random) on-device training set")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--tf32", action="store_true",
                   help="OPT-IN: allow TF32 matmuls on a GPU (10-bit mantissa products: faster, results differ "
                        "slightly from fp32); every row and the JSON are labelled tf32")
    p.add_argument("--cuda-graph", action="store_true",
                   help="(kept for old command lines: on a GPU the CUDA-graph rows are timed by default)")
    p.add_argument("--no-cuda-graph", action="store_true",
                   help="on a GPU, skip the stacked engine with the whole step in a CUDA graph "
                        "(train.cuda_graph=true)")
    p.add_argument("--copy-mbytes", type=positive_int, default=None,
                   help="buffer size for the copy-rate measurement (default 1024 on GPU, 256 on CPU)")
    p.add_argument("--json", type=Path, default=None, help="write the results here as JSON")
    a = p.parse_args(argv)
    try:
        a.ks_list = [int(k) for k in str(a.ks).split(",") if k] if a.ks else None
    except ValueError:
        p.error(f"--ks {a.ks!r}: expected comma-separated positive integers, e.g. 1,10,100,200")
    if a.ks_list is not None and (not a.ks_list or min(a.ks_list) < 1):
        p.error(f"--ks {a.ks!r}: expected comma-separated positive integers, e.g. 1,10,100,200")
    if a.n_train < a.batch_size:
        p.error(f"argument --n-train: {a.n_train} is smaller than --batch-size {a.batch_size}")
    a.dev = cli_device(p, "--device", a.device)
    if a.cuda_graph and a.dev.type != "cuda":
        p.error(f"argument --cuda-graph: needs a CUDA device; this run is on {a.dev}")
    return a


def main(argv=None) -> dict:
    a = parse(argv)
    dev = a.dev
    dtype = getattr(torch, a.dtype)
    gpu = dev.type == "cuda"
    if gpu:
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    graph = gpu and not a.no_cuda_graph
    shortened = []
    ks = a.ks_list
    if ks is None:
        ks = [1, 10, 100, 200] if gpu else [1, 10]
        if not gpu:
            shortened.append("K list 1,10 (GPU default 1,10,100,200)")
    if a.member_updates is None and a.budget_s is None:
        a.member_updates = 20_000 if gpu else 300
        if not gpu:
            shortened.append("300 member-updates per timed block (GPU default 20000)")
    get_activation(a.activation)  # fail early on a bad name

    torch.manual_seed(0)
    x = torch.randn(a.n_train, N_IN).to(dev, dtype)  # random data: the timing does not depend on it
    y = torch.randint(0, N_OUT, (a.n_train,)).to(dev)

    weights = n_weights(N_IN, a.width, a.depth, N_OUT)
    bytes_per_update = 4 * weights * torch.finfo(dtype).bits // 8
    rate = copy_rate(dev, a.copy_mbytes or (1024 if gpu else 256))
    ceiling = rate / bytes_per_update
    peak = peak_bandwidth(device_name(dev)) if gpu else None

    t_setup = time.perf_counter()
    engines: list[tuple[str, object]] = []
    if not a.no_naive:
        engines.append(("naive", Naive(a, x, y, dev, dtype)))
    if not a.no_torch_func:
        for k in ks:
            engines.append((f"torch.func K={k}", TorchFunc(a, k, x, y, dev, dtype)))
    for k in ks:
        engines.append((f"stacked K={k}", Stacked(a, k, x, y, dev, dtype)))
    if graph:
        for k in ks:
            engines.append((f"graph K={k}", Stacked(a, k, x, y, dev, dtype, graph=True)))
    setup_s = time.perf_counter() - t_setup

    times: dict[str, list[float]] = {name: [] for name, _ in engines}
    rec_times: dict[str, list[float]] = {}
    recorders = {}
    tmp = tempfile.TemporaryDirectory(prefix="glorot-bench-")
    block_steps: dict[str, int] = {}
    per_block = a.budget_s / (len(engines) * a.repeats) if a.budget_s else None
    failed: dict[str, str] = {}
    for name, e in list(engines):
        try:
            e.steps(a.warmup)
        except Exception as err:  # noqa: BLE001  one engine failing (e.g. a CUDA-graph capture) must not lose the others
            failed[name] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
            print(f"engine {name} failed at warm-up, left out: {failed[name]}", flush=True)
            engines.remove((name, e))
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            continue
        if per_block is not None:  # calibrate: time the warm-up again, size the blocks from it
            with Timer(dev) as t:
                e.steps(max(2, a.warmup))
            block_steps[name] = max(2, int(per_block / (t.seconds / max(2, a.warmup))))
        else:
            block_steps[name] = max(2, math.ceil(a.member_updates / e.k))
        if isinstance(e, Stacked) and not a.no_record:
            r = make_recorder(e.model, a, dev, dtype, Path(tmp.name) / name.replace(" ", "_"))
            if r is not None:
                r.record(0, 0)  # warm-up
                recorders[name], rec_times[name] = r, []
    print(f"device: {device_name(dev)}; torch {torch.__version__}; threads {torch.get_num_threads()}"
          + ("; TF32 ON (opt-in)" if a.tf32 and gpu else ""), flush=True)
    t_timed = time.perf_counter()
    for rep in range(a.repeats):
        for name, e in engines:
            steps = block_steps[name]
            with Timer(dev) as t:
                e.steps(steps)
            times[name].append(e.k * steps / t.seconds)
            if name in recorders:
                with Timer(dev) as t:
                    recorders[name].record(e.step_no, e.step_no * a.batch_size)
                rec_times[name].append(t.seconds)
            print(f"  repeat {rep + 1}/{a.repeats} {name:>16}: {times[name][-1]:10.1f} member-updates/s",
                  flush=True)
    timed_s = time.perf_counter() - t_timed
    tmp.cleanup()

    def summary(v):
        return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}

    def kind_of(name, e):
        if name == "naive":
            return "naive"
        if isinstance(e, TorchFunc):
            return "torch_func"
        return "stacked_graph" if getattr(e, "graph", False) else "stacked"

    med = {name: statistics.median(times[name]) for name, _ in engines}
    naive = med.get("naive")
    func_at = {e.k: med[name] for name, e in engines if isinstance(e, TorchFunc)}
    peak_bw = peak[0] if peak else None
    rows = []
    for name, e in engines:
        s = summary(times[name])
        kind = kind_of(name, e)

        def ratios(v, k=e.k, kind=kind):
            return {"ratio_to_naive": v / naive if naive else None,
                    "ratio_to_torch_func": v / func_at[k] if k in func_at and kind != "torch_func" else None,
                    "bw_fraction": v / ceiling,
                    "peak_bw_fraction": v * bytes_per_update / peak_bw if peak_bw else None}

        rows.append({"engine": kind, "k": e.k, "recording": "off", "tf32": bool(a.tf32 and gpu),
                     "steps_per_block": block_steps[name], "member_updates_per_s": s, **ratios(s["median"])})
        if name in rec_times:
            # per update: 1/rate_member * k seconds for the stack step; one record per record_every
            step_s = e.k / s["median"]
            rec_s = statistics.median(rec_times[name])
            amort = e.k / (step_s + rec_s / a.record_every)
            rows.append({"engine": kind, "k": e.k, "recording": "amortized", "tf32": bool(a.tf32 and gpu),
                         "record_every": a.record_every, "record_seconds": summary(rec_times[name]),
                         "member_updates_per_s": {"median": amort, "n": len(rec_times[name])}, **ratios(amort)})

    out = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(s) for s in [sys.executable, *sys.argv]),
        "device": str(dev), "device_name": device_name(dev), "torch": torch.__version__,
        "cuda": torch.version.cuda, "python": platform.python_version(), "threads": torch.get_num_threads(),
        "host": platform.node(), "cpu_count": os.cpu_count(),
        "network": f"{N_IN}-{a.width}x{a.depth}-{N_OUT}", "activation": a.activation,
        "batch_size": a.batch_size, "dtype": a.dtype, "tf32": bool(a.tf32 and gpu),
        "member_updates_per_block": a.member_updates, "budget_s": a.budget_s, "repeats": a.repeats,
        "warmup_steps": a.warmup, "setup_s": round(setup_s, 2), "timed_s": round(timed_s, 2),
        "shortened": shortened,
        "copy_rate_GBps": rate / 1e9, "bytes_per_update": bytes_per_update,
        "bytes_per_update_note": "4 passes over the weights and biases (forward read, backward read, update "
                                 "read + write): the least an SGD update moves, counted alike for every engine",
        "bw_ceiling_member_updates_per_s": ceiling,
        "peak_bandwidth_Bps": peak_bw, "peak_bandwidth_source": peak[1] if peak else None,
        "peak_ceiling_member_updates_per_s": peak_bw / bytes_per_update if peak_bw else None,
        "recorder": bool(recorders) or ("absent" if not a.no_record else "skipped"),
        "results": rows,
        "failed_engines": failed,
    }

    print()
    print(f"{out['network']} {a.activation}, batch {a.batch_size}, {a.dtype}, {out['device_name']}, "
          f"torch {torch.__version__}, {out['date']}")
    print(f"copy rate {rate / 1e9:.1f} GB/s -> ceiling {ceiling:,.0f} member-updates/s at 4 weight passes "
          f"({bytes_per_update / 1e6:.1f} MB/update)")
    if peak:
        print(f"nominal peak {peak[0] / 1e12:.2f} TB/s ({peak[1]}) -> ceiling "
              f"{peak[0] / bytes_per_update:,.0f} member-updates/s")
    print(f"{'engine':>13} {'K':>4} {'recording':>10} {'member-upd/s':>13} {'min..max':>19} {'x naive':>8} "
          f"{'x func':>7} {'of copy':>8} {'of peak':>8}")
    for r in rows:
        m = r["member_updates_per_s"]
        spread = f"{m['min']:.0f}..{m['max']:.0f}" if "min" in m else "(amortized)"
        ratio = f"{r['ratio_to_naive']:.2f}" if r["ratio_to_naive"] else "-"
        rf = f"{r['ratio_to_torch_func']:.2f}" if r["ratio_to_torch_func"] else "-"
        pk = f"{r['peak_bw_fraction']:.1%}" if r["peak_bw_fraction"] else "-"
        print(f"{r['engine']:>13} {r['k']:>4} {r['recording']:>10} {m['median']:13,.0f} {spread:>19} "
              f"{ratio:>8} {rf:>7} {r['bw_fraction']:8.1%} {pk:>8}")
    if a.budget_s:
        print(f"n = {a.repeats} interleaved blocks per engine, sized to {a.budget_s:g} s of timed blocks in all "
              f"(took {timed_s:.0f} s; set-up {setup_s:.0f} s); median shown.")
    else:
        print(f"n = {a.repeats} interleaved blocks of ~{a.member_updates} member-updates each; median shown.")
    print("of copy / of peak: bytes moved (4 weight passes per member-update) against the measured copy rate / "
          "the datasheet peak" + ("; TF32 ON (opt-in)" if a.tf32 and gpu else ""))
    if out["recorder"] == "absent":
        print("recording: glorot.record.Recorder not found; recording rows skipped")
    elif recorders:
        print(f"recording: Recorder.record timed on its own and amortized over {a.record_every} updates")
    if shortened:
        print("shortened for the CPU: " + "; ".join(shortened))
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {a.json}")
    return out


if __name__ == "__main__":
    main()
