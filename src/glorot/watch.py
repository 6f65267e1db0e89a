"""Glorot's per-layer diagnostics for any PyTorch model, in the user's own training loop.

::

    from glorot import watch

    w = watch(model, monitor=(x, y), loss=torch.nn.functional.cross_entropy, out="runs/mynet", every=1000)
    with w:
        for step, (xb, yb) in enumerate(loader):
            w.maybe_record(step)   # step 0, `early` log-spaced steps below `every`, then every `every`
            ...                    # the user's own forward, backward, optimizer step
    # leaving the block writes out/stats.parquet, out/hist.parquet (out/jacobian.parquet), run.json

then ``python -m glorot.diagnose runs/mynet`` draws the figures and writes the diagnosis.

**What is a layer.** Every ``nn.Linear`` and ``nn.Conv1d/2d/3d`` (and subclasses) is a *layer*: its
output is ``pre`` (s), ``grad_s`` is dC_n/ds for each monitor example's own cost (the gradient of
the mean monitor cost times the monitor-set size M: the convention of :mod:`glorot.record` and
PAPER.md), ``grad_w`` is dC/dW of the mean monitor cost and ``weight`` is W (biases are not
recorded). Every activation module (``nn.Tanh``, ``nn.Sigmoid``, ``nn.ReLU``, ``nn.LeakyReLU``,
``nn.GELU``, ``nn.SiLU``, ``nn.ELU``, ``nn.Softsign``, ... see :data:`ACT_KINDS`) and every module
named in ``layers=`` gives ``act`` (its output z). Functional activations (``F.relu`` inside a
``forward``) have no module and are not seen: name a wrapping module in ``layers=`` instead.

The ``layer`` column holds the module's qualified name from ``model.named_modules()``; a module
called several times per forward (torchvision's ResNet blocks call one ``relu`` twice) gives one
layer per call, ``name``, ``name#2``, ... The ``depth`` column is the order of the calls in the
forward pass (1-based, layers and activations counted together). ``run.json`` lists every watched
call with its kind (``linear``, ``conv2d``, ``tanh``, ``relu``, ...), shapes and fan-in/out.

**Statistics** are those of the trainer's recorder (:data:`glorot.record.STATS`), computed by the
same functions (:func:`glorot.record.percentiles`, :func:`glorot.record.data_range`,
:func:`glorot.record.histogram`), with ``member = 0``. ``sat`` (saturated share) is recorded for the
activations whose saturation is defined (tanh, sigmoid, softsign: near the asymptotes; rectifiers:
exactly 0; hardtanh/relu6: at a bound) and ``dead`` for rectifier-like ones: the share of units
(every non-batch coordinate) that are <= 0 on every monitor example.

**No disturbance.** A record step runs its own forward and backward on the monitor set. Before it
the parameters' ``.grad`` (the tensors themselves), every module's train/eval flag, every buffer
(BatchNorm running statistics) and the RNG states (torch CPU, every initialized CUDA device, Python
``random``, NumPy's global state) are saved; afterwards they are put back exactly. During the pass
the model is in training mode (``mode="train"``, the default: BatchNorm normalizes with the monitor
set's batch statistics, dropout draws its masks from the fixed seed ``seed``), or ``"eval"``, or
``"current"`` (left as it is). Each watched module's output is cloned during the record pass only,
so that in-place operations downstream (``nn.ReLU(inplace=True)``) do not overwrite what is
recorded; outside record steps the hooks return at once and change nothing.

**The Jacobian** (``jacobian=True``, Sec. 4.2.1): for every square ``nn.Linear`` L2 whose input is
the output of an activation A1 of an ``nn.Linear`` L1 and whose output feeds an activation A2, the
singular values of J = dz2/dz1 = diag(f2'(s2)) W2 per example on the first ``jacobian_examples``
monitor examples; f2' comes from autograd through A2 (activations are elementwise). The row's
``layer`` is L1 (the trainer's convention: row l is dz^{l+1}/dz^l).

**Cost** of a record step: one forward and one backward pass over the monitor set, plus exact
percentiles and histograms of every recorded value (weights and weight gradients included): see
the README for a ResNet-18 measurement. ``signals=`` and ``hist=False`` make it cheaper.
"""

from __future__ import annotations

import json
import logging
import math
import random
import sys
import time
import types
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from glorot.kinds import is_rectifier
from glorot.nn import get_activation
from glorot.record import (JAC_STATS, QUANTILES, SIGNALS, STATS, data_range, dead_units, histogram, percentiles,
                           record_schedule)

log = logging.getLogger("glorot.watch")

#: the statistics a watch records: the recorder's (``dead`` for rectifier-like activations)
WATCH_STATS = STATS

LAYER_TYPES: dict[type, str] = {nn.Linear: "linear", nn.Conv1d: "conv1d", nn.Conv2d: "conv2d",
                                nn.Conv3d: "conv3d"}


def _slope(m) -> str:
    return f"leaky_relu:{float(m.negative_slope):g}"


#: activation module type -> kind (a string, or a function of the module giving one)
ACT_KINDS: dict[type, Any] = {
    nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.Softsign: "softsign", nn.ReLU: "relu",
    nn.LeakyReLU: _slope, nn.ReLU6: "relu6", nn.Hardtanh: "hardtanh", nn.GELU: "gelu",
    nn.SiLU: "silu", nn.ELU: "elu", nn.CELU: "celu", nn.SELU: "selu", nn.Mish: "mish",
    nn.Softplus: "softplus", nn.PReLU: "prelu", nn.Hardswish: "hardswish",
    nn.Hardsigmoid: "hardsigmoid", nn.LogSigmoid: "logsigmoid", nn.Tanhshrink: "tanhshrink",
    nn.Softshrink: "softshrink", nn.Hardshrink: "hardshrink", nn.Identity: "identity",
}


def _mro_lookup(table: Mapping[type, Any], module: nn.Module):
    for t in type(module).__mro__:
        if t in table:
            return table[t]
    return None


def layer_kind(module: nn.Module) -> str | None:
    """``linear``/``conv1d``/``conv2d``/``conv3d`` for a weight layer, else None."""
    return _mro_lookup(LAYER_TYPES, module)


def act_kind(module: nn.Module) -> str | None:
    """The activation kind of a module (``tanh``, ``relu``, ``leaky_relu:0.01``, ...) or None."""
    k = _mro_lookup(ACT_KINDS, module)
    return k(module) if callable(k) else k


def _sat_fn(kind: str, module: nn.Module | None) -> tuple[Callable[[Tensor], Tensor] | None, tuple | None]:
    """(saturated mask over z, fixed histogram range of z) for an activation kind."""
    base = kind.partition(":")[0]
    if base in ("tanh", "sigmoid", "softsign", "relu", "leaky_relu"):
        a = get_activation(kind)
        return a.saturated, a.hist_range
    if base == "relu6":
        return (lambda z: (z <= 0) | (z >= 6)), (0.0, 6.0)
    if base == "hardtanh":
        lo, hi = (float(module.min_val), float(module.max_val)) if module is not None else (-1.0, 1.0)
        return (lambda z: (z <= lo) | (z >= hi)), (lo, hi)
    if base == "hardsigmoid":
        return (lambda z: (z <= 0) | (z >= 1)), (0.0, 1.0)
    return None, None


class _Call:
    """One watched call of a module in the forward pass."""

    def __init__(self, key: str, name: str, module: nn.Module, role: str, kind: str, depth: int):
        self.key, self.name, self.module, self.role, self.kind, self.depth = key, name, module, role, kind, depth
        self.first = key == name  # the first call of its module: owns weight / grad_w
        self.sat, self.fixed_range = _sat_fn(kind, module) if role == "act" else (None, None)
        self.in_shape: list[int] | None = None
        self.out_shape: list[int] | None = None

    def describe(self) -> dict:
        d = {"layer": self.key, "module": self.name, "depth": self.depth, "role": self.role,
             "kind": self.kind, "type": type(self.module).__name__,
             "in_shape": self.in_shape, "out_shape": self.out_shape}
        if self.role == "layer":
            w = self.module.weight
            d["fan_in"] = int(math.prod(w.shape[1:]))
            d["fan_out"] = int(w.shape[0] * math.prod(w.shape[2:]))
            d["weight_shape"] = list(w.shape)
        return d


def _slots_of(call: _Call, signals: Sequence[str]) -> list[str]:
    if call.role == "act":
        return ["act"] if "act" in signals else []
    own = [s for s in ("pre", "grad_s") if s in signals]
    if call.first:
        own += [s for s in ("grad_w", "weight") if s in signals]
    return own


class Watch:
    """Records Glorot & Bengio's per-layer statistics of any ``nn.Module`` on a fixed monitor set.

    Parameters
    ----------
    model: the network. Its forward is called as ``model(x)``.
    monitor: ``(x, y)``: the fixed monitor set (e.g. the first 300 test examples).
    loss: ``loss(model(x), y)`` -> the **mean** cost over the examples (``F.cross_entropy``'s default
        reduction): ``grad_s`` is its gradient times M = ``len(y)``, per example.
    out: the run folder written on leaving the ``with`` block (or by :meth:`save`); None: nothing.
    every, early: the schedule of :meth:`maybe_record` (:func:`glorot.record.record_schedule`).
    signals: which of ``act``, ``pre``, ``grad_s``, ``grad_w``, ``weight`` to record.
    bins, hist: histograms (same rules as the trainer's recorder).
    layers: extra modules whose output counts as an activation: qualified names, or a mapping
        name -> kind (e.g. ``{"block.act": "tanh"}``: gives the saturation statistics of that kind).
    jacobian, jacobian_examples: the layer-Jacobian singular values (see the module docstring).
    mode: ``"train"`` (default), ``"eval"`` or ``"current"``: the mode of the record pass.
    seed: the seed of the RNG during the record pass (dropout masks), restored afterwards.
    name: the run's name in run.json (default: the folder's name).
    """

    def __init__(self, model: nn.Module, monitor: tuple[Any, Tensor], loss: Callable = None, out=None,
                 every: int = 1000, early: int = 8, signals: Iterable[str] = SIGNALS, bins: int = 100,
                 hist: bool = True, layers: Iterable[str] | Mapping[str, str] | None = None,
                 jacobian: bool = False, jacobian_examples: int = 20, mode: str = "train", seed: int = 0,
                 name: str | None = None):
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch(model=...) needs an nn.Module, got {type(model).__name__}")
        if not (isinstance(monitor, (tuple, list)) and len(monitor) == 2):
            raise ValueError("watch(monitor=...) must be a pair (x, y): the fixed monitor set")
        self.model = model
        self.x, self.y = monitor
        self.loss = loss if loss is not None else nn.functional.cross_entropy
        self.out = None if out is None else Path(out)
        self.every, self.early = int(every), int(early)
        if self.every < 1:
            raise ValueError(f"every={every}: must be >= 1")
        self.signals = tuple(str(s) for s in signals)
        bad = [s for s in self.signals if s not in SIGNALS]
        if bad:
            raise ValueError(f"unknown signals {bad}; valid choices: {', '.join(SIGNALS)}")
        self.bins, self.hist = int(bins), bool(hist)
        if mode not in ("train", "eval", "current"):
            raise ValueError(f"mode={mode!r}; valid choices: train, eval, current")
        self.mode, self.seed, self.name = mode, int(seed), name
        self.jacobian, self.jac_n = bool(jacobian), int(jacobian_examples)

        extra = dict(layers) if isinstance(layers, Mapping) else {str(n): None for n in (layers or [])}
        mods = dict(model.named_modules())
        missing = [n for n in extra if n not in mods]
        if missing:
            raise ValueError(f"layers={missing}: no such module in the model; valid names: "
                             f"{', '.join(n for n in mods if n) or '(none)'}")
        #: module -> (qualified name, role, kind)
        self._watched: dict[nn.Module, tuple[str, str, str]] = {}
        for n, m in model.named_modules():
            if m in self._watched:
                continue  # a module registered under two names: the first one
            if n in extra:
                self._watched[m] = (n, "act", extra[n] or act_kind(m) or "custom")
            elif layer_kind(m) is not None:
                self._watched[m] = (n or type(m).__name__, "layer", layer_kind(m))
            elif act_kind(m) is not None:
                self._watched[m] = (n or type(m).__name__, "act", act_kind(m))
        if not self._watched:
            raise ValueError(f"{type(model).__name__} has no nn.Linear/nn.Conv or activation module "
                             "to watch; name custom ones in layers=")

        self.calls: list[_Call] = []  # fixed at the first record step
        self._ranges: dict[tuple[str, str], Tensor] = {}
        self.steps: list[int] = []
        self.examples: list[int] = []
        self.seconds: list[float] = []
        self._host: list[dict[str, Any]] = []
        self._handles: list = []
        self._active = False
        self._in_context = False

    # -- schedule ---------------------------------------------------------------------------
    def schedule(self, total: int) -> list[int]:
        return record_schedule(total, self.every, self.early)

    def maybe_record(self, step: int, examples_seen: int | None = None, total: int | None = None) -> bool:
        """Record if ``step`` is on the schedule (of ``total`` steps; default unbounded). Returns
        whether it recorded."""
        step = int(step)
        if step in self.steps:
            return False
        # unbounded: the schedule up to the next multiple of `every` (which is on it anyway); a
        # schedule of `step` itself would hold `step` as its last step and record every time
        horizon = total if total is not None else (step // self.every + 1) * self.every
        if step in self.schedule(horizon):
            self.record(step, examples_seen)
            return True
        return False

    # -- hooks ------------------------------------------------------------------------------
    def _attach(self) -> None:
        if not self._handles:
            for m in self._watched:
                self._handles.append(m.register_forward_hook(self._hook))

    def _detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _hook(self, module, inputs, out):
        if not self._active or not torch.is_tensor(out):
            return None
        name, role, kind = self._watched[module]
        n = self._ncalls[name] = self._ncalls.get(name, 0) + 1
        key = name if n == 1 else f"{name}#{n}"
        cap = self._cap
        cap["order"].append((key, name, module, role, kind))
        x0 = inputs[0] if inputs and torch.is_tensor(inputs[0]) else None
        cap["shape"][key] = (None if x0 is None else list(x0.shape), list(out.shape))
        cap["src"][key] = cap["made"].get(id(x0)) if x0 is not None else None
        if role == "layer":
            cap["pre"][key] = out.detach()
            if out.requires_grad:
                out.register_hook(lambda g, key=key: cap["grad_s"].__setitem__(key, g.detach()))
        else:
            cap["act"][key] = out.detach()
        ret = out.clone()  # later in-place ops (ReLU(inplace=True)) change the clone, not the record
        cap["made"][id(ret)] = key
        cap["keep"].append(ret)  # keep ids unique during the pass
        return ret

    def __enter__(self) -> "Watch":
        self._in_context = True
        self._attach()
        return self

    def __exit__(self, *exc) -> None:
        self._in_context = False
        self._detach()
        if self.out is not None and self.steps:
            if exc[0] is not None:
                log.warning("watch: the training loop raised %s; writing the %d record step(s) taken",
                            exc[0].__name__, len(self.steps))
            self.save()

    def close(self) -> None:
        self._detach()

    # -- the record pass --------------------------------------------------------------------
    def _rng_save(self) -> dict:
        st = {"torch": torch.get_rng_state(), "random": random.getstate(), "numpy": np.random.get_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            st["cuda"] = [g.get_state() for g in torch.cuda.default_generators]
        return st

    def _rng_seed(self) -> None:
        torch.default_generator.manual_seed(self.seed)
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            for g in torch.cuda.default_generators:
                g.manual_seed(self.seed)

    @staticmethod
    def _rng_restore(st: dict) -> None:
        torch.set_rng_state(st["torch"])
        random.setstate(st["random"])
        np.random.set_state(st["numpy"])
        for g, s in zip(torch.cuda.default_generators if "cuda" in st else [], st.get("cuda", [])):
            g.set_state(s)

    def _capture(self) -> dict:
        model = self.model
        params = list(model.parameters())
        saved_grads = [p.grad for p in params]
        flags = [(m, m.training) for m in model.modules()]
        buffers = [(b, b.detach().clone()) for b in model.buffers()]
        rng = self._rng_save()
        need_grad = any(s in self.signals for s in ("grad_s", "grad_w"))
        self._cap = cap = {"order": [], "pre": {}, "act": {}, "grad_s": {}, "shape": {}, "src": {},
                           "made": {}, "keep": []}
        self._ncalls: dict[str, int] = {}
        attached_here = not self._handles
        self._attach()
        try:
            if self.mode != "current":
                model.train(self.mode == "train")
            self._rng_seed()
            for p in params:
                p.grad = None
            self._active = True
            with torch.enable_grad() if need_grad else torch.no_grad():
                out = model(self.x)
                self._active = False
                if need_grad:
                    cost = self.loss(out, self.y)
                    if cost.dim() != 0:
                        raise ValueError(f"loss returned shape {list(cost.shape)}: it must return the mean "
                                         "cost over the monitor set (a scalar)")
                    cost.backward()
            grad_w = {}
            for key, name, module, role, kind in cap["order"]:
                if role == "layer" and key == name and "grad_w" in self.signals and module.weight.grad is not None:
                    grad_w[key] = module.weight.grad.detach().clone()
        finally:
            self._active = False
            if attached_here and not self._in_context:
                self._detach()
            for p, g in zip(params, saved_grads):
                p.grad = g
            with torch.no_grad():
                for b, v in buffers:
                    b.copy_(v)
            for m, t in flags:
                m.training = t
            self._rng_restore(rng)
        cap["grad_w"] = grad_w
        cap["made"], cap["keep"] = {}, []
        return cap

    def _discover(self, cap: dict) -> None:
        calls = []
        for depth, (key, name, module, role, kind) in enumerate(cap["order"], start=1):
            c = _Call(key, name, module, role, kind, depth)
            c.in_shape, c.out_shape = cap["shape"][key]
            calls.append(c)
        self.calls = calls
        self._by_key = {c.key: c for c in calls}
        self._slots = [(c, s) for c in calls for s in SIGNALS if s in _slots_of(c, self.signals)]
        self._jac_pairs = self._find_jacobian_pairs(cap) if self.jacobian else []
        if self.jacobian and not self._jac_pairs:
            log.warning("watch(jacobian=True): no Linear -> act -> square Linear -> act chain found; "
                        "no jacobian.parquet")

    def _find_jacobian_pairs(self, cap: dict) -> list[tuple[str, str, str, str]]:
        """(L1, A1, L2, A2) chains: A1 = act(L1), L2 = square Linear(A1), A2 = act(L2)."""
        src = cap["src"]
        out = []
        for c in self.calls:
            if c.role != "layer" or c.kind != "linear":
                continue
            w = c.module.weight
            if w.shape[0] != w.shape[1]:
                continue
            a1 = src.get(c.key)
            l1 = src.get(a1) if a1 else None
            a2 = [k for k, v in src.items() if v == c.key and self._by_key[k].role == "act"]
            if (a1 and self._by_key[a1].role == "act" and l1 and self._by_key[l1].kind == "linear" and a2):
                out.append((l1, a1, c.key, a2[0]))
        return out

    # -- reduction ---------------------------------------------------------------------------
    @torch.no_grad()
    def _reduce(self, call: _Call, signal: str, v: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """(stats [len(WATCH_STATS)] float64, density [bins] | None, range [2] | None)."""
        st = torch.full((len(WATCH_STATS),), float("nan"), dtype=torch.float64, device=v.device)
        if signal == "act":
            per_ex = v.reshape(1, v.shape[0], -1) if v.dim() > 1 else v.reshape(1, 1, -1)
            st[STATS.index("unit_spread")] = per_ex.std(dim=-1, correction=0).mean(dim=-1)[0]
            if is_rectifier(call.kind):
                st[WATCH_STATS.index("dead")] = dead_units(per_ex)[0]
        flat = v.reshape(1, -1)
        var, mean = torch.var_mean(flat, dim=1, correction=0)
        st[0], st[1], st[2] = mean[0], var.sqrt()[0], var[0]
        st[3:7] = percentiles(flat, [QUANTILES["p02"], QUANTILES["p50"], QUANTILES["p98"]], abs_q=0.98)[0]
        if signal == "act" and call.sat is not None:
            st[STATS.index("sat")] = call.sat(flat).to(flat.dtype).mean(1)[0]
        if not self.hist:
            return st, None, None
        rk = (call.key, signal)
        if rk not in self._ranges:
            fixed = call.fixed_range if signal == "act" else None
            self._ranges[rk] = (torch.tensor([fixed], dtype=torch.float64, device=v.device) if fixed
                                else data_range(flat))
        rng = self._ranges[rk]
        dens, out = histogram(flat, rng, self.bins)
        st[STATS.index("hist_out")] = out[0]
        return st, dens[0], rng[0]

    @torch.no_grad()
    def _jacobians(self, cap: dict) -> Tensor:
        n = self.jac_n
        rows = []
        for l1, a1, l2, a2 in self._jac_pairs:
            s = cap["pre"][l2][:n].detach()
            act = self._by_key[a2].module
            with torch.enable_grad():
                x = s.clone().requires_grad_(True)
                fp, = torch.autograd.grad(act(x.clone()).sum(), x)  # elementwise: f'(s)
            w = self._by_key[l2].module.weight.detach()
            jac = fp.unsqueeze(-1) * w.unsqueeze(0)  # [n, width, width]: diag(f'(s)) W
            sv = torch.linalg.svdvals(jac).flatten()
            rows.append(torch.stack([sv.mean(), sv.std(correction=0), sv.amin(), sv.amax()]).double())
        return torch.stack(rows) if rows else torch.zeros(0, 4, dtype=torch.float64)

    def record(self, step: int, examples_seen: int | None = None) -> None:
        """Record the current state of the model now, as update ``step`` (no-op if recorded)."""
        step = int(step)
        if step in self.steps:
            return
        t0 = time.perf_counter()
        cap = self._capture()
        if not self.calls:
            self._discover(cap)
        m = len(self.y)
        stats, dens, rngs = [], [], []
        for call, sig in self._slots:
            if sig == "weight":
                v = call.module.weight.detach()
            elif sig == "grad_w":
                v = cap["grad_w"].get(call.key)
            elif sig == "grad_s":
                v = cap["grad_s"].get(call.key)
                v = None if v is None else v * m  # per example: dC_n/ds
            else:
                v = cap[sig].get(call.key)
            if v is None:
                stats.append(torch.full((len(WATCH_STATS),), float("nan"), dtype=torch.float64,
                                        device=self._device()))
                dens.append(torch.full((self.bins,), float("nan"), dtype=torch.float64, device=self._device()))
                rngs.append(torch.full((2,), float("nan"), dtype=torch.float64, device=self._device()))
                continue
            st, d, r = self._reduce(call, sig, v)
            stats.append(st)
            if self.hist:
                dens.append(d)
                rngs.append(r)
        host = {"stats": torch.stack(stats).cpu().numpy() if stats else np.zeros((0, len(WATCH_STATS)))}
        if self.hist and dens:
            host["hist"] = torch.stack(dens).cpu().numpy()
            host["range"] = torch.stack(rngs).cpu().numpy()
        if self._jac_pairs:
            host["jac"] = self._jacobians(cap).cpu().numpy()
        self._host.append(host)
        self.steps.append(step)
        self.examples.append(int(examples_seen if examples_seen is not None else step))
        self.seconds.append(time.perf_counter() - t0)
        self._cap = {}

    def _device(self):
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    # -- tables and files -------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """``stats``, ``hist`` and ``jacobian`` as tidy frames (the trainer's schema + ``depth``)."""
        srows, hrows, jrows = [], [], []
        for step, ex, host in zip(self.steps, self.examples, self._host):
            for i, (call, sig) in enumerate(self._slots):
                for j, stat in enumerate(WATCH_STATS):
                    if not _applies(stat, sig, call, self.hist):
                        continue
                    srows.append((0, step, ex, call.key, call.depth, sig, stat, float(host["stats"][i, j])))
            if "hist" in host:
                nb = self.bins
                for i, (call, sig) in enumerate(self._slots):
                    lo, hi = host["range"][i]
                    e_lo = lo + (hi - lo) * (np.arange(nb) / nb)
                    e_hi = lo + (hi - lo) * (np.arange(1, nb + 1) / nb)
                    e_hi[-1] = hi
                    hrows.append(pd.DataFrame({
                        "member": 0, "step": step, "examples_seen": ex, "layer": call.key,
                        "depth": call.depth, "signal": sig, "bin_lo": e_lo, "bin_hi": e_hi,
                        "density": host["hist"][i]}))
            if "jac" in host:
                for (l1, *_), row in zip(self._jac_pairs, host["jac"]):
                    jrows.append((0, step, ex, l1, self._by_key[l1].depth, *map(float, row)))
        stats = pd.DataFrame(srows, columns=["member", "step", "examples_seen", "layer", "depth", "signal",
                                             "stat", "value"])
        hcols = ["member", "step", "examples_seen", "layer", "depth", "signal", "bin_lo", "bin_hi", "density"]
        hist = pd.concat(hrows, ignore_index=True) if hrows else pd.DataFrame(columns=hcols)
        jac = pd.DataFrame(jrows, columns=["member", "step", "examples_seen", "layer", "depth", *JAC_STATS])
        return {"stats": stats, "hist": hist, "jacobian": jac}

    def describe(self) -> dict:
        """What run.json says about the model and the record."""
        n_params = sum(p.numel() for p in self.model.parameters())
        return {
            "kind": "watch", "name": self.name or (self.out.name if self.out is not None else None),
            "model": type(self.model).__name__, "n_params": int(n_params),
            "monitor_size": len(self.y), "mode": self.mode, "every": self.every, "early": self.early,
            "signals": list(self.signals), "bins": self.bins, "hist": self.hist,
            "jacobian": bool(self._jac_pairs) if self.calls else self.jacobian,
            "steps": list(self.steps), "record_seconds": [round(s, 4) for s in self.seconds],
            "layers": [c.describe() for c in self.calls],
            "torch": torch.__version__, "device": str(self._device()),
        }

    def save(self, out=None) -> Path:
        """Write stats.parquet, hist.parquet, jacobian.parquet (if any), members.csv and run.json."""
        from glorot.files import atomic_write, write_csv, write_text  # noqa: PLC0415

        out = Path(out if out is not None else self.out)
        tabs = self.tables()
        for name, df in tabs.items():
            if name == "hist" and not self.hist or name == "jacobian" and df.empty:
                continue
            atomic_write(out / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
        write_csv(out / "members.csv", pd.DataFrame([{"member": 0, "model": type(self.model).__name__,
                                                      "status": "ok"}]))
        write_text(out / "run.json", json.dumps(self.describe(), indent=2, default=str) + "\n")
        log.info("watch: %d record step(s) of %d layer call(s) written to %s", len(self.steps),
                 len(self.calls), out)
        return out


def _applies(stat: str, signal: str, call: _Call, hist: bool) -> bool:
    if stat == "hist_out":
        return hist
    if stat == "unit_spread":
        return signal == "act"
    if stat == "sat":
        return signal == "act" and call.sat is not None
    if stat == "dead":
        return signal == "act" and is_rectifier(call.kind)
    return True


def watch(model: nn.Module, monitor, loss: Callable | None = None, out=None, every: int = 1000, **kw) -> Watch:
    """``Watch(model, monitor, loss, out, every, ...)``: see :class:`Watch`."""
    return Watch(model, monitor, loss, out, every, **kw)


class _CallableModule(types.ModuleType):
    """``from glorot import watch`` gives this module; calling it calls :func:`watch`."""

    def __call__(self, *args, **kwargs) -> Watch:
        return watch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ("watch", "Watch", "WATCH_STATS", "ACT_KINDS", "LAYER_TYPES", "layer_kind", "act_kind")
