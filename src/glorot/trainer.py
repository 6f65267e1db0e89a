"""The stacked trainer: K members in lockstep, plain SGD on mini-batches of 10 (paper Sec. 2.3).

``train(cfg, run_dir)`` writes a self-describing run folder:

* ``config.yaml``: the resolved config;
* ``run.json``: code version (git commit, dirty flag), torch/CUDA versions, device, wall time,
  member-updates per second, status (``running`` / ``complete``);
* ``members.csv``: one row per member: its axes, status (``ok`` / ``diverged``), final errors;
* ``metrics.csv``: member, step, examples_seen, split, loss, error;
* ``checkpoint.pt`` while the run is going (removed at the end), so that the same command resumes;
* with ``record.enabled``, the recorder's tables (``stats.parquet``, ``hist.parquet``, ...).

The hot loop never syncs with the host: the mini-batch indices are drawn per epoch on the device,
losses accumulate on the device, and the host reads them only at evaluation and record steps.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from omegaconf import OmegaConf

from glorot.cli import resolve_device as cli_resolve_device
from glorot.config import ConfigError, require_device, validate
from glorot.data import Dataset, load_dataset
from glorot.files import atomic_write, write_csv, write_text
from glorot.nn import SIGNAL_INITS, Member, StackedMLP, split_spec
from glorot.threads import Governor

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
#: true until the first :meth:`Run.run` of this process (only that one has a start-up phase)
_FIRST_RUN = True
#: set by a driver of many runs in one process (``scripts/reproduce.py``): called with the number
#: of member-updates done since its last call (the updates of a resumed run at its start), so that
#: one bar can follow the whole suite. While it is set, each run's own bar is nested under that one
#: and removed when the run ends.
progress_hook = None
#: False: no bar of a run's own (several runs at once in worker processes; their driver shows one)
run_bar = True


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def resolve_device(name: str) -> torch.device:
    """``train.device`` as a ``torch.device`` (``auto``: CUDA if any); a ConfigError if this machine
    has no such device."""
    require_device(str(name))
    return cli_resolve_device(str(name))


def device_name(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def cpu_model() -> str:
    """The CPU's model name with its family and model numbers ("AMD EPYC (family 25, model 17)",
    "Intel(R) Xeon(R) ... (family 6, model 143)"): the same code runs several times slower on one
    2-core VM host than on another, the BLAS's bits can differ between them, and the VM's AMD hosts
    all call themselves "AMD EPYC" (family 23 is Zen 1, family 25 model 17 Zen 4)."""
    from glorot.threads import read_cpuinfo  # noqa: PLC0415

    info = read_cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine()
    if info.get("cpu family") and info.get("model"):
        return f"{name} (family {info['cpu family']}, model {info['model']})"
    return name


def code_version() -> dict:
    root = Path(__file__).resolve().parents[2]

    def git(*args):
        try:
            r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
            return r.stdout.strip() if r.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": bool(status) if status is not None else None}


def environment(dev: torch.device) -> dict:
    return {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": str(dev),
        "device_name": device_name(dev),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "host": socket.gethostname(),
        "threads": torch.get_num_threads(),
    }


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``; None elsewhere): the start-up phase
    of a run is this age when :meth:`Run.run` begins (interpreter, imports, Hydra composition)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
        return float(Path("/proc/uptime").read_text().split()[0]) - start
    except (OSError, ValueError, IndexError):
        return None


class Phases:
    """Wall-clock seconds per phase of a run (``run.json``'s ``phases``): ``with phases("train"):``
    adds the time of the block to that phase. On a CUDA device the ops are asynchronous, so a
    phase's time is the time to *launch* its work unless a later phase waited for it; on the CPU
    every op is synchronous and the split is exact."""

    def __init__(self, initial: dict | None = None):
        self.s: dict[str, float] = dict(initial or {})
        self._name: str | None = None
        self._t = 0.0

    def add(self, name: str, seconds: float) -> None:
        self.s[name] = self.s.get(name, 0.0) + seconds

    def __call__(self, name: str) -> "Phases":
        self._name = name
        return self

    def __enter__(self) -> "Phases":
        self._stack = getattr(self, "_stack", [])
        self._stack.append((self._name, time.perf_counter()))
        return self

    def __exit__(self, *exc) -> None:
        name, t = self._stack.pop()
        self.add(name, time.perf_counter() - t)

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.s.items()}


_DATA_CACHE: dict[str, Dataset] = {}


def cached_dataset(data_cfg) -> Dataset:
    """``load_dataset(data_cfg)``, loaded once per process and data config: several runs in one
    process (``scripts/reproduce.py``, the stacked launcher) unpack MNIST (~2-3 s) or draw
    Shapeset's fixed sets once. The cached tensors are never written to (batches are gathered
    copies), and :meth:`Dataset.to` gives each run a fresh online sampler."""
    key = json.dumps(OmegaConf.to_container(data_cfg, resolve=True), sort_keys=True, default=str) \
        if OmegaConf.is_config(data_cfg) else None
    if key is None:
        return load_dataset(data_cfg)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()  # one data set at a time: MNIST is ~200 MB
        _DATA_CACHE[key] = load_dataset(data_cfg)
    return _DATA_CACHE[key]


# --------------------------------------------------------------------------------------------
# Members and mini-batches
# --------------------------------------------------------------------------------------------


def build_members(cfg) -> list[Member]:
    """The product of the stack lists (a list left empty takes the single top-level value).
    Seed varies fastest, so the members of one configuration sit next to each other."""
    acts = list(cfg.stack.activations) or [cfg.activation.name]
    inits = list(cfg.stack.inits) or [cfg.init.name]
    lrs = list(cfg.stack.lrs) or [cfg.optim.lr]
    seeds = list(cfg.stack.seeds) or [cfg.seed]
    return [Member(str(a), str(i), float(lr), int(s))
            for a, i, lr, s in itertools.product(acts, inits, lrs, seeds)]


def epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """Member ``seed``'s visiting order of the training set in ``epoch``: a function of
    (seed, epoch) alone, so resuming or stacking differently gives the same batches."""
    g = torch.Generator().manual_seed(7_777_777 + 1_000_003 * int(seed) + int(epoch))
    return torch.randperm(n, generator=g)


class BatchSampler:
    """Mini-batch indices per member: each member walks its own permutation of the training set,
    drawn anew every epoch (the last incomplete batch of an epoch is dropped)."""

    def __init__(self, seeds: list[int], n: int, batch_size: int, device):
        self.seeds, self.n, self.b, self.device = seeds, n, batch_size, device
        self.steps_per_epoch = n // batch_size
        if self.steps_per_epoch < 1:
            raise ValueError(f"batch size {batch_size} is larger than the training set ({n})")
        self._epoch, self._perm = -1, None

    def indices(self, step: int) -> torch.Tensor:
        epoch, i = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            self._perm = torch.stack([epoch_permutation(s, epoch, self.n) for s in self.seeds]).to(self.device)
            self._epoch = epoch
        return self._perm[:, i * self.b:(i + 1) * self.b]  # [K, B]


def gather_batch(x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x[idx], y[idx]`` for indices ``idx`` [K, B]: the same rows, copied by ``index_select``
    (on the CPU 27 us instead of advanced indexing's 114 us for table1's [24, 10] rows of 784
    floats: one memcpy per row instead of an index computed per element)."""
    flat = idx.reshape(-1)
    return (x.index_select(0, flat).view(*idx.shape, *x.shape[1:]),
            y.index_select(0, flat).view(*idx.shape, *y.shape[1:]))


def tracked_step(model: StackedMLP, x: torch.Tensor, y: torch.Tensor, alive: torch.Tensor,
                 died_at: torch.Tensor, loss_sum: torch.Tensor, step: int | torch.Tensor) -> None:
    """One SGD update with the trainer's device-side bookkeeping (no host sync): the update at
    which a member diverged, and the running sum of the live members' mini-batch losses.
    ``step`` may be a 0-dim device tensor (what a captured CUDA graph reads at replay)."""
    was_alive = alive.clone()
    loss = model.sgd_step(x, y, alive)
    # torch.where, not masked_fill_(mask, step): with a 0-dim device tensor as the value
    # masked_fill_ reads it on the host, which a CUDA-graph capture refuses (seen on an H200)
    died_at.copy_(torch.where(was_alive & ~alive, step, died_at))
    loss_sum.add_(torch.where(alive, loss, torch.zeros_like(loss)).double())


class GraphedStep:
    """:func:`tracked_step` captured once in a CUDA graph and replayed every update, so that one
    update costs one graph launch instead of ~60 kernel launches from Python (PERFORMANCE.md: the
    launches, not the arithmetic, bound small stacks). ``step(x, y, step)`` copies the mini-batch and
    the step number into static device buffers and replays; everything else (weights, ``alive``,
    ``died_at``, ``loss_sum``) is updated in place exactly as the eager step does.

    Capture needs a few warm-up updates on a side stream; they change the weights, so the state is
    copied before and put back after: the first real update starts from the same state as the
    eager path's. Opt-in (``train.cuda_graph=true``) and CUDA only. On an NVIDIA H200 (2026-12-04)
    tests/test_graphs.py passed and fig2_sigmoid's paper chunk (3 members x 250,000 updates) wrote
    records byte-identical to the eager run's, 3.3x faster (96 s vs 318 s)."""

    def __init__(self, model: StackedMLP, alive: torch.Tensor, died_at: torch.Tensor, loss_sum: torch.Tensor,
                 x: torch.Tensor, y: torch.Tensor, warmup: int = 3):
        if x.device.type != "cuda":
            raise ValueError(f"train.cuda_graph=true needs a CUDA device; this run is on {x.device}")
        state = [*model.parameters(), alive, died_at, loss_sum]
        saved = [t.detach().clone() for t in state]
        self.x, self.y = x.clone(), y.clone()
        self.step_t = torch.zeros((), dtype=torch.long, device=x.device)
        args = (model, self.x, self.y, alive, died_at, loss_sum, self.step_t)
        side = torch.cuda.Stream(x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):
            for _ in range(warmup):
                tracked_step(*args)
        torch.cuda.current_stream(x.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            tracked_step(*args)
        with torch.no_grad():
            for t, s in zip(state, saved):
                t.copy_(s)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        self.x.copy_(x)
        self.y.copy_(y)
        self.step_t.fill_(step)
        self.graph.replay()


class LiveStep:
    """:func:`tracked_step` on the CPU that, once members have diverged, trains a copy of the stack
    without them (:meth:`StackedMLP.subset`) instead of computing them and masking the result: a
    diverged member is frozen, so its arithmetic was all waste (pitfall_scale: 2 of 16 members
    diverge at update 1 and cost 1/8 of the GEMMs and every mask after that). Each member's GEMMs
    are its own slice of the batched products, so the live members' bits do not change
    (tests/test_trainer.py checks them against :func:`tracked_step`).

    While a subset trains, the full stack's live weights are stale: :meth:`sync` copies them back;
    the trainer calls it before anything reads the model (evaluation, record steps, checkpoints).
    A member marked dead from outside (evaluation) is dropped at the next update."""

    def __init__(self, model: StackedMLP, alive: torch.Tensor, died_at: torch.Tensor, loss_sum: torch.Tensor):
        self.model, self.alive, self.died_at, self.loss_sum = model, alive, died_at, loss_sum
        self.idx: torch.Tensor | None = None
        self.sub: StackedMLP | None = None

    def live_members(self) -> int:
        """Members the next update trains (all of them but while a subset trains)."""
        return self.model.k if self.sub is None else self.sub.k

    def sync(self) -> None:
        if self.sub is not None:
            self.model.put_subset(self.idx, self.sub)

    def live_stack(self) -> tuple[torch.Tensor | None, StackedMLP]:
        """``(idx, stack)``: the stack the updates train and its members' indices in the whole
        stack, ``(None, model)`` while the whole stack trains. Evaluation reads it to leave the
        diverged members out (their rows are NaN whatever their logits are); a stack of one member
        is not used, since on several threads a lone member's GEMMs can take other bits."""
        if self.sub is None or self.sub.k < 2:
            return None, self.model
        return self.idx, self.sub

    def _split(self) -> None:
        """Train the live members only from now on (none of them, or all: the whole stack)."""
        self.sync()
        idx = self.alive.nonzero().flatten()
        live = len(idx)
        self.idx, self.sub = (None, None) if live in (0, self.model.k) else (idx, self.model.subset(idx))

    def __call__(self, x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        if self.sub is not None and not bool(self.alive[self.idx].all()):
            self._split()  # evaluation marked a member dead
        if self.sub is None:
            tracked_step(self.model, x, y, self.alive, self.died_at, self.loss_sum, step)
            if not bool(self.alive.all()) and bool(self.alive.any()):
                self._split()
            return
        idx, alive = self.idx, self.alive
        sub_alive = torch.ones(len(idx), dtype=torch.bool)
        sub_loss = self.sub.sgd_step(x.index_select(0, idx), y.index_select(0, idx), sub_alive)
        # tracked_step's bookkeeping on the full stack: the dead members' loss is never added
        loss = torch.zeros(self.model.k, dtype=sub_loss.dtype)
        loss[idx] = sub_loss
        was_alive = alive.clone()
        alive[idx] = sub_alive
        self.died_at.copy_(torch.where(was_alive & ~alive, step, self.died_at))
        self.loss_sum.add_(torch.where(alive, loss, torch.zeros_like(loss)).double())
        if not bool(sub_alive.all()):
            self._split()


def make_step(model: StackedMLP, alive: torch.Tensor, died_at: torch.Tensor, loss_sum: torch.Tensor,
              cuda_graph: bool = False):
    """The update the trainer runs, as ``step(x, y, step_number)``: :func:`tracked_step` (on the
    CPU through :class:`LiveStep`, which leaves diverged members out), or with ``cuda_graph`` a
    :class:`GraphedStep` captured at the first call (``train.cuda_graph``). Call ``step.sync()``
    (:func:`sync_model`) before reading the model."""
    if not cuda_graph:
        if model.linears[0].weight.device.type == "cpu":
            return LiveStep(model, alive, died_at, loss_sum)
        return lambda x, y, step: tracked_step(model, x, y, alive, died_at, loss_sum, step)
    graphed: GraphedStep | None = None

    def step_graphed(x: torch.Tensor, y: torch.Tensor, step: int) -> None:
        nonlocal graphed
        if graphed is None:
            graphed = GraphedStep(model, alive, died_at, loss_sum, x, y)
        graphed(x, y, step)

    return step_graphed


def sync_model(step) -> None:
    """Bring the model up to date before it is read, for a step from :func:`make_step`."""
    sync = getattr(step, "sync", None)
    if sync is not None:
        sync()


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(model: StackedMLP, x: torch.Tensor, y: torch.Tensor, chunk: int = 2000, rows: int = 1000):
    """Mean NLL and error rate of every member on (x, y): device tensors [K], [K].

    The losses are summed per ``chunk`` examples (which fixes their bits). On the CPU the forward
    pass of a chunk runs ``rows`` examples at a time: each output row of a GEMM is its own dot
    products, so the logits are the same bits (tests/test_train.py), and the smaller activations
    stay in cache (evaluation 3-14% faster on the quick profile's stacks)."""
    loss = torch.zeros(model.k, dtype=torch.float64, device=x.device)
    wrong = torch.zeros(model.k, dtype=torch.float64, device=x.device)
    finite = torch.ones(model.k, dtype=torch.bool, device=x.device)
    step = rows if x.device.type == "cpu" else chunk
    for lo in range(0, len(y), chunk):
        hi = min(lo + chunk, len(y))
        logits = model(x[lo:hi]) if step >= hi - lo else torch.cat(
            [model(x[i:min(i + step, hi)]) for i in range(lo, hi, step)], 1)
        yy = y[lo:lo + chunk]
        logp = torch.log_softmax(logits, -1)
        nll = -logp.gather(-1, yy.expand(model.k, -1).unsqueeze(-1)).squeeze(-1)
        loss += nll.sum(1).double()
        wrong += (logits.argmax(-1) != yy).sum(1).double()
        finite &= torch.isfinite(logits).all(-1).all(-1)
    n = len(y)
    return loss / n, wrong / n, finite


def evaluate_live(model: StackedMLP, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor | None,
                  live: StackedMLP) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`evaluate` of ``model``'s members ``idx`` through ``live`` (``model.subset(idx)`` with
    the current weights, :meth:`LiveStep.live_stack`): the same values for those members, NaN loss
    and error and ``finite`` True for the others (diverged members, whose rows the trainer writes as
    NaN). Each member's logits are its own slice of the batched products, so the bits do not depend
    on which members are evaluated with it (tests/test_train.py). ``idx`` None: all of ``model``."""
    if idx is None:
        return evaluate(model, x, y)
    part = evaluate(live, x, y)
    loss = torch.full((model.k,), float("nan"), dtype=part[0].dtype, device=x.device)
    wrong = torch.full_like(loss, float("nan"))
    finite = torch.ones(model.k, dtype=torch.bool, device=x.device)
    for full, p in zip((loss, wrong, finite), part):
        full[idx] = p
    return loss, wrong, finite


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


class Run:
    """One stacked training run in one run folder."""

    def __init__(self, cfg, run_dir: Path):
        validate(cfg)
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.device = resolve_device(cfg.train.device)
        self.dtype = getattr(torch, cfg.train.dtype)
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = bool(cfg.train.tf32)
        if cfg.train.cuda_graph and self.device.type != "cuda":
            raise ConfigError(f"train.cuda_graph=true needs a CUDA device, and this run is on {self.device} "
                              "(train.device=cuda, or train.cuda_graph=false)")
        self.members = build_members(cfg)
        self.b = int(cfg.optim.batch_size)
        self.total = int(cfg.train.updates)
        self.eval_every = max(1, math.ceil(cfg.train.eval_every_examples / self.b))

    # -- schedule ---------------------------------------------------------------------------
    def eval_steps(self) -> set[int]:
        """Steps at which validation and test error are measured. An at-initialization run
        (``train.updates=0``) measures none: its results are the recorder's tables."""
        if self.total == 0:
            return set()
        return set(range(0, self.total, self.eval_every)) | {self.total}

    # -- output -----------------------------------------------------------------------------
    def members_frame(self, final: dict | None = None) -> pd.DataFrame:
        rows = []
        for k, m in enumerate(self.members):
            row = {"member": k, "activation": m.activation, "init": m.init, "lr": m.lr, "seed": m.seed,
                   "depth": self.cfg.model.depth, "width": self.cfg.model.width, "data": self.cfg.data.name}
            if final is not None:
                row.update({key: v[k] for key, v in final.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def write_run_json(self, **extra) -> None:
        info = {"name": self.cfg.name, "profile": self.cfg.profile.name, "members": len(self.members),
                "updates": self.total, "batch_size": self.b, "command": " ".join(sys.argv),
                **code_version(), **environment(self.device), **extra}
        write_text(self.run_dir / "run.json", json.dumps(info, indent=2, default=str) + "\n")

    def is_complete(self) -> bool:
        p = self.run_dir / "run.json"
        if not p.exists() or not (self.run_dir / "members.csv").exists():
            return False
        try:
            return json.loads(p.read_text()).get("status") == "complete"
        except json.JSONDecodeError:
            return False

    # -- main loop --------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        global _FIRST_RUN
        age = process_age() if _FIRST_RUN else None
        _FIRST_RUN = False
        t_run = time.perf_counter()
        ph = Phases({"startup": age} if age is not None else None)
        self.phases = ph
        cfg = self.cfg
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if cfg.train.resume and self.is_complete():
            log.info("already complete: %s (train.resume=false to train again)", self.run_dir)
            return pd.read_csv(self.run_dir / "members.csv")
        write_text(self.run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

        with ph("data"):
            ds: Dataset = cached_dataset(cfg.data).to(self.device, self.dtype)
        with ph("init"):
            # init=critical (glorot.theory) needs the inputs' second moment: the training set's mean x^2
            q0 = float(ds.train_x.square().mean(dtype=torch.float64)) if any(
                split_spec(m.init)[0] in SIGNAL_INITS for m in self.members) else None
            model = StackedMLP(self.members, ds.n_in, cfg.model.width, cfg.model.depth, ds.n_classes,
                               dtype=self.dtype, device=self.device, q0=q0)
        k = model.k
        alive = torch.ones(k, dtype=torch.bool, device=self.device)
        died_at = torch.full((k,), -1, dtype=torch.long, device=self.device)
        loss_sum = torch.zeros(k, dtype=torch.float64, device=self.device)
        loss_n = 0
        rows: list[dict] = []
        start, elapsed_before = 0, 0.0

        recorder = None
        if cfg.record.enabled:
            from glorot.record import Recorder  # noqa: PLC0415

            mx, my = ds.monitor(cfg.data.monitor_size)
            recorder = Recorder(model, mx, my, cfg.record, run_dir=self.run_dir)

        ckpt = self.run_dir / CHECKPOINT
        if cfg.train.resume and ckpt.exists():
            t_ck = time.perf_counter()
            state = torch.load(ckpt, map_location=self.device, weights_only=False)
            model.load_state_dict(state["model"])
            alive.copy_(state["alive"])
            died_at.copy_(state["died_at"])
            loss_sum.copy_(state["loss_sum"])
            loss_n, rows, start = state["loss_n"], state["rows"], state["step"]
            elapsed_before = state["elapsed"]
            if recorder is not None and state.get("recorder") is not None:
                recorder.load_state_dict(state["recorder"])
            for name, sec in (state.get("phases") or {}).items():
                if name != "startup":
                    ph.add(name, sec)
            ph.add("checkpoint", time.perf_counter() - t_ck)
            log.info("resuming from %s at update %d", ckpt, start)

        self.write_run_json(status="running")
        log.info("training %d member(s) x %d updates on %s -> %s", k, self.total,
                 device_name(self.device), self.run_dir)

        sampler = None if ds.sampler else BatchSampler([m.seed for m in self.members], len(ds.train_y),
                                                        self.b, self.device)
        seeds = torch.tensor([m.seed for m in self.members], device=self.device)
        evals = self.eval_steps()
        rec_steps = set(recorder.schedule(self.total)) if recorder is not None else set()
        ck_every = int(cfg.train.checkpoint_every)

        def do_eval(step: int):
            nonlocal loss_n
            out = {}
            # diverged members are left out on the CPU (their rows are NaN): the stack the updates train
            idx, live = update.live_stack() if isinstance(update, LiveStep) else (None, model)
            for split in ("valid", "test"):
                x, y = ds.split(split)
                out[split] = evaluate_live(model, x, y, idx, live)
            # a member whose evaluation is not finite has diverged too
            newly = alive & ~(out["valid"][2] & out["test"][2])
            alive.logical_and_(~newly)
            train_loss = (loss_sum / loss_n) if loss_n else torch.full_like(loss_sum, float("nan"))
            host = {key: t.cpu().numpy() for key, t in {
                "train_loss": train_loss, "alive": alive, "vl": out["valid"][0], "ve": out["valid"][1],
                "tl": out["test"][0], "te": out["test"][1]}.items()}
            loss_sum.zero_()
            loss_n = 0
            for m in range(k):
                dead = not host["alive"][m]
                nan = float("nan")
                common = {"member": m, "step": step, "examples_seen": step * self.b}
                rows.append({**common, "split": "train", "loss": nan if dead else float(host["train_loss"][m]),
                             "error": nan})
                rows.append({**common, "split": "valid", "loss": nan if dead else float(host["vl"][m]),
                             "error": nan if dead else float(host["ve"][m])})
                rows.append({**common, "split": "test", "loss": nan if dead else float(host["tl"][m]),
                             "error": nan if dead else float(host["te"][m])})
            return host

        def save_checkpoint(step: int, elapsed: float):
            state = {"model": model.state_dict(), "alive": alive, "died_at": died_at, "loss_sum": loss_sum,
                     "loss_n": loss_n, "rows": rows, "step": step, "elapsed": elapsed,
                     "recorder": recorder.state_dict() if recorder is not None else None,
                     "phases": {k: v for k, v in ph.s.items() if k != "startup"}}
            atomic_write(ckpt, lambda p: torch.save(state, p))

        from tqdm.auto import tqdm  # noqa: PLC0415

        hook = progress_hook
        bar = tqdm(total=self.total, initial=start, unit="upd", dynamic_ncols=True,
                   disable=None if cfg.train.progress and run_bar else True, desc=cfg.name,
                   **({"leave": False, "position": 1} if hook is not None else {}))
        if hook is not None and start:
            hook(k * start)
        hooked = start
        bar_every = max(1, min(200, self.total // 500 or 1))
        t0 = time.perf_counter()
        t_batches = t_train = 0.0
        step = start
        update = make_step(model, alive, died_at, loss_sum, bool(cfg.train.cuda_graph))
        # fewer threads for the updates while another process holds the cores (glorot.threads)
        gov = Governor.for_this_process(self.device.type)
        try:
            while True:
                if step in rec_steps or step in evals:
                    sync_model(update)
                if recorder is not None and step in rec_steps:
                    j0 = recorder.seconds.get("jacobian", 0.0)
                    with ph("record"), gov.whole(min(k, len(recorder.jac_members)) if recorder.jacobian else k):
                        recorder.record(step, step * self.b)
                    jac = recorder.seconds.get("jacobian", 0.0) - j0  # the SVDs: a phase of their own
                    ph.add("jacobian", jac)
                    ph.add("record", -jac)
                if step in evals:
                    with ph("evaluate"), gov.whole(k):
                        host = do_eval(step)
                    ve = host["ve"][host["alive"]]
                    bar.set_postfix(valid_err=f"{np.nanmin(ve):.4f}" if len(ve) else "n/a",
                                    alive=f"{int(host['alive'].sum())}/{k}")
                if step >= self.total:
                    break
                t_b = time.perf_counter()
                if ds.sampler is not None:
                    x, y = ds.sampler(step, seeds, self.b)
                else:
                    x, y = gather_batch(ds.train_x, ds.train_y, sampler.indices(step))
                t_u = time.perf_counter()
                update(x, y, step)
                gov.tick(update.live_members() if isinstance(update, LiveStep) else k)
                t_e = time.perf_counter()
                t_batches += t_u - t_b
                t_train += t_e - t_u
                loss_n += 1
                step += 1
                if step % bar_every == 0 or step == self.total:
                    bar.update(step - bar.n)
                    if hook is not None:
                        hook(k * (step - hooked))
                        hooked = step
                if ck_every and step % ck_every == 0 and step < self.total:
                    sync_model(update)
                    with ph("checkpoint"):
                        save_checkpoint(step, elapsed_before + time.perf_counter() - t0)
        except KeyboardInterrupt:
            # An interrupt may land inside an update; only the last periodic checkpoint is whole.
            bar.close()
            log.warning("interrupted at update %d; run the same command to resume from %s", step,
                        ckpt if ckpt.exists() else "the start (no checkpoint yet)")
            raise
        finally:
            gov.release()
        bar.close()
        sync_model(update)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        wall = elapsed_before + time.perf_counter() - t0
        ph.add("batches", t_batches)
        ph.add("train", t_train)
        t_w = time.perf_counter()
        trained = self.total - start

        metrics = pd.DataFrame(rows, columns=["member", "step", "examples_seen", "split", "loss", "error"])
        write_csv(self.run_dir / "metrics.csv", metrics)
        if recorder is not None:
            recorder.save(self.run_dir)
        alive_h = alive.cpu().numpy()
        died_h = died_at.cpu().numpy()
        last = metrics[metrics.step == self.total].set_index(["member", "split"])
        valid = metrics[(metrics.split == "valid")]

        def at_end(m: int, split: str, col: str) -> float:
            return float(last.loc[(m, split), col]) if (m, split) in last.index else float("nan")

        final = {
            "status": ["ok" if a else "diverged" for a in alive_h],
            "diverged_at_update": [int(d) if d >= 0 else None for d in died_h],
            "final_valid_error": [at_end(m, "valid", "error") for m in range(k)],
            "final_test_error": [at_end(m, "test", "error") for m in range(k)],
            "final_valid_loss": [at_end(m, "valid", "loss") for m in range(k)],
            "best_valid_error": [valid[valid.member == m].error.min() for m in range(k)],
        }
        members = self.members_frame(final)
        write_csv(self.run_dir / "members.csv", members)
        rate = k * trained / (time.perf_counter() - t0) if trained else float("nan")
        ph.add("write", time.perf_counter() - t_w)
        ph.add("other", max(0.0, time.perf_counter() - t_run - sum(v for n, v in ph.s.items()
                                                                    if n != "startup")))
        self.write_run_json(status="complete", wall_time_s=round(wall, 3),
                            member_updates_per_s=round(rate, 1) if trained else None,
                            diverged=int((~alive_h).sum()), phases=ph.rounded(),
                            **({"threads_reduced": gov.switches} if gov.active else {}))
        if ckpt.exists():
            ckpt.unlink()
        log.info("done in %.1f s (%.0f member-updates/s); %d/%d diverged; results in %s",
                 wall, rate if trained else 0, int((~alive_h).sum()), k, self.run_dir)
        return members


def train(cfg, run_dir: str | Path) -> pd.DataFrame:
    """Train the stack described by ``cfg`` into ``run_dir``; returns members.csv as a frame."""
    return Run(cfg, Path(run_dir)).run()
