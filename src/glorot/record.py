"""The per-layer recorder: the paper's diagnostics (Figs. 2-4, 6-10 and the Jacobian of Sec. 4.2.1)
on a fixed monitor set, reduced on the device and copied to the host once per record step.

How a record step works (:meth:`Recorder.record`):

1. one forward pass of the whole stack over the monitor set (PAPER.md: the first 300 test
   examples) with the current weights. Forward hooks on ``model.linears[i]`` catch ``s`` (``pre``)
   and on ``model.acts[i]`` catch ``z = f(s)`` (``act``); a tensor hook on every ``s`` catches
   ``dC/ds`` in the backward pass;
2. one backward pass of ``C = sum_k mean_n NLL_k(n)``: the sum over members of their own mean cost,
   so each member's gradients are its own (members share no parameters). ``grad_w`` (dC/dW) is read
   from the stacked weights' ``.grad``: the gradient of the mean cost, what one SGD step on the
   monitor set would use. ``grad_s`` is multiplied by the monitor-set size M, so that it is per
   example, dC_n/ds for each example's own cost (PAPER.md, "Conventions");
3. per (layer, signal) the statistics of every member (mean, std, var, p02, p50, p98 of the signed
   values, p98 of |v|, the saturation fraction of ``act``, the dead-unit share of a rectifier's
   ``act``) and a normalized histogram are written
   into slices of one preallocated device buffer; optionally the singular values of the layer
   Jacobians; then one device-to-host copy of the buffer. No ``.item()`` anywhere.

Layers are 1-based hidden layers (PAPER.md); the output (softmax) layer is layer ``depth + 1`` and
has ``pre`` (the logits), ``grad_s``, ``grad_w`` and ``weight`` but no ``act``. The input is not a layer.

Histogram ranges (so that histograms at different steps compare): ``act`` of tanh/softsign on
[-1, 1] and of sigmoid on [0, 1] (``Activation.hist_range``); every other (member, layer, signal)
gets a range fixed at the first record step: [0, max v] when no value is negative (ReLU
activations), else [-max|v|, +max|v|]. Later values outside the range are **clamped into the edge
bins**, so a density always integrates to 1 over the range, and the fraction that was clamped is
recorded as the statistic ``hist_out``. Non-finite values (a diverged member) are left out of the
histogram.

Percentiles are exact: linear interpolation between order statistics, the definition of
``numpy.percentile`` / ``torch.quantile``, computed with ``kthvalue`` on a GPU and on the CPU with
numpy's SIMD single-position partition applied position by position (:func:`_select`), where the
98th percentile of ``|v|`` is read off the two ends of the signed partition (:func:`_abs_from_tails`);
rows with many exact zeros (ReLU) partition only their negatives and positives
(:func:`_percentiles_around_zero`, the same bits). Both work at any size (``quantile`` refuses
inputs of more than 16M elements).

The Jacobian (Sec. 4.2.1): ``J = dz^{l+1}/dz^l = diag(f'(s^{l+1})) W^{l+1}`` per monitor example, for
hidden layers l = 1..depth-1 (row ``layer = l`` of ``jacobian.parquet``), on the first
``record.jacobian_examples`` monitor examples and the members ``record.jacobian_members``; the SVDs
of one layer are one batched ``torch.linalg.svdvals``. ``sv_mean``/``sv_std``/``sv_min``/``sv_max``
pool the singular values of all those examples.

Cost (measured on a shared 2-core CPU, float32, 2026-11-23): K = 10 members, 5 x 1000 tanh, M = 300,
all five signals with histograms: 3.1-3.9 s per record step (6.4 s before the single-position
partitions and the scratch buffers, same machine, same hour), of which about 1 s is the forward +
backward pass and the rest exact percentiles and histograms of ~140M values (weights and weight
gradients are 2/3 of them). The Jacobian adds one 1000x1000 SVD per (member, example, layer),
0.1-2.5 s each on that CPU depending on load. At the paper's schedule (every 20,000 updates) this is
far below the cost of training.

Use in the trainer (``glorot.trainer``), or around any loop as a context manager::

    with Recorder(model, mx, my, cfg.record, run_dir=out) as rec:   # saves on exit
        for step in range(total + 1):
            rec.maybe_record(step, step * batch_size)
            ...  # one update
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from glorot.kinds import is_rectifier
from glorot.nn import StackedMLP, get_activation

SIGNALS = ("act", "pre", "grad_s", "grad_w", "weight")
#: statistics of every (member, layer, signal); ``sat`` only for ``act``, ``hist_out`` only with hist;
#: ``unit_spread`` only for ``act``: the std across the units of the layer for each monitor example,
#: averaged over the examples (0 when every unit of the layer is identical: the symmetry pitfall);
#: ``dead`` only for ``act`` of rectifier-like members (:data:`glorot.kinds.RECTIFIERS`): the share of
#: the layer's units that are <= 0 on every monitor example
STATS = ("mean", "std", "var", "p02", "p50", "p98", "p98_abs", "sat", "hist_out", "unit_spread", "dead")
QUANTILES = {"p02": 0.02, "p50": 0.50, "p98": 0.98}
JAC_STATS = ("sv_mean", "sv_std", "sv_min", "sv_max")


def _get(cfg, key: str, default):
    if cfg is None:
        return default
    if isinstance(cfg, dict):
        return cfg.get(key, default)
    return getattr(cfg, key, default)


def _positions(n: int, qs) -> list[tuple[int, float]]:
    """(0-based order statistic, interpolation weight) of each q: numpy's "linear" definition."""
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = min(int(math.floor(pos)), n - 1)
        out.append((lo, pos - lo if lo + 1 < n else 0.0))
    return out


_POOL: ThreadPoolExecutor | None = None


def _pool(threads: int) -> ThreadPoolExecutor:
    """The recorder's thread pool (numpy's partitions and LAPACK release the GIL), ``threads`` wide."""
    global _POOL
    if _POOL is None or _POOL._max_workers != threads:  # noqa: SLF001
        _POOL = ThreadPoolExecutor(threads, thread_name_prefix="glorot-partition")
    return _POOL


def _each_row(fn, n_rows: int, size: int) -> None:
    """``fn(i)`` for every row i: one after another, or spread over torch's CPU threads when there
    are two or more threads, rows and 2^20 values (numpy's partitions release the GIL)."""
    threads = torch.get_num_threads()
    if threads < 2 or n_rows < 2 or size < (1 << 20):
        for i in range(n_rows):
            fn(i)
    else:
        list(_pool(threads).map(fn, range(n_rows)))


def _select(row: np.ndarray, kth) -> np.ndarray:
    """Partition ``row`` in place so that every position in ``kth`` holds its order statistic, with
    smaller-or-equal values before it and greater-or-equal after (``np.partition``'s contract).

    One ``ndarray.partition`` call per position, each on the segment between the positions already
    in place, middle position first. numpy's single-``kth`` partition is SIMD-accelerated (x86-simd-sort)
    and its multi-``kth`` one is not: for 1M float32 values and 8 positions this takes about 4 ms
    against 13 ms for one ``np.partition(row, kth)``."""
    stack = [(0, len(row), sorted(set(kth)))]
    while stack:
        lo, hi, ks = stack.pop()
        if not ks:
            continue
        mid = ks[len(ks) // 2]
        row[lo:hi].partition(mid - lo)
        stack.append((lo, mid, [j for j in ks if j < mid]))
        stack.append((mid + 1, hi, [j for j in ks if j > mid]))
    return row


def _partition(a: np.ndarray, kth: list[int]) -> np.ndarray:
    """A copy of ``a`` partitioned along the last axis at every position in ``kth`` (the contract
    of ``np.partition(a, kth, axis=-1)``; see :func:`_select`); rows spread over torch's CPU threads
    when large (numpy releases the GIL while it partitions)."""
    out = np.array(a, copy=True, order="C")
    rows = out.reshape(-1, out.shape[-1])
    _each_row(lambda i: _select(rows[i], kth), len(rows), out.size)
    return out


def percentiles(v: Tensor, qs, use_numpy: bool | None = None, abs_q: float | None = None) -> Tensor:
    """Exact q-quantiles along the last dim of ``v`` [K, N] -> [K, len(qs)] (numpy's "linear"
    definition: the order statistic at position q (N-1), interpolated between neighbours).
    With ``abs_q`` one more column: the ``abs_q``-quantile of ``|v|``.

    On CUDA (and other devices) this is ``kthvalue`` per order statistic. On the CPU it is one
    partition of a copy of each row, all the order statistics on the same memory (:func:`_select`):
    many times faster than one ``kthvalue`` call per order statistic, and still exact. The upper
    neighbour of an interpolated percentile is the minimum of the segment after it
    (:func:`_segment_min`), not one more partition (1.6-2.3x on the quick profile's rows). An input
    of which 1/32 or more is exactly 0 (ReLU) is partitioned around its zeros instead
    (:func:`_percentiles_around_zero`: 2.5x on [4, 60000] rows half 0, the same bits).
    ``use_numpy`` forces a path.

    The quantile of ``|v|`` on the CPU path costs almost nothing more (:func:`_abs_from_tails`): the
    m largest values of ``|v|`` all lie among the m smallest and the m largest signed values, which
    the same partition puts at the two ends of the row, so only those 2m values are looked at."""
    n = v.shape[-1]
    pos = _positions(n, qs)
    numpy_path = use_numpy if use_numpy is not None else v.device.type == "cpu"
    m = 0
    if abs_q is not None:
        (r, _), = _positions(n, [abs_q])
        m = n - r  # the order statistics r and r + 1 of |v| are among its m largest values
    tails = numpy_path and 0 < m and 2 * m <= n
    if numpy_path and all(frac != 0.0 for _, frac in pos) and _zero_heavy(a := v.detach().numpy()):
        return _percentiles_around_zero(a, pos, abs_q)
    if numpy_path:
        kth = {lo for lo, _ in pos} | ({m - 1, n - m} if tails else set())
        if any(frac == 0.0 for _, frac in pos):
            # a percentile read straight off the partition: of a zero it shows the sign that the
            # sequence of partitions left there, so keep the sequence that places every neighbour
            kth |= {min(lo + 1, n - 1) for lo, _ in pos}
        arr = _partition(v.detach().numpy(), sorted(kth))
        part = torch.from_numpy(arr)
        upper = {j: torch.from_numpy(_segment_min(arr, j, kth)) for lo, frac in pos
                 if frac != 0.0 and (j := lo + 1) not in kth}
        get = lambda j: upper[j] if j in upper else part[..., j]  # noqa: E731
    else:
        get = lambda j: v.kthvalue(j + 1, dim=-1).values  # noqa: E731
    cols = []
    for lo, frac in pos:
        a = get(lo)
        cols.append(a if frac == 0.0 else a + frac * (get(lo + 1) - a))
    if abs_q is not None:
        cols.append(_abs_from_tails(part, m, abs_q) if tails else
                    percentiles(v.abs(), [abs_q], use_numpy)[..., 0])
    return torch.stack(cols, -1)


#: a [K, N] input with at least this share of exact zeros (ReLU activations and gradients) takes
#: :func:`_percentiles_around_zero`: a partition whose position falls in a long run of equal values
#: is about 12x slower than elsewhere (numpy's AVX2 kernels, 60,000 float32 with half of them 0)
ZERO_SHARE = 1 / 32


def _zero_heavy(a: np.ndarray) -> bool:
    return a.size > 0 and np.count_nonzero(a == 0) >= a.size * ZERO_SHARE


def _percentiles_around_zero(a: np.ndarray, pos, abs_q: float | None) -> Tensor:
    """:func:`percentiles` of ``a`` [K, N] when no position is read straight off an order statistic
    (every ``frac`` != 0): the same bits as the partition path, found around the zeros.

    Each row is counted into its negatives, zeros (of both signs) and the rest (positives, +inf,
    NaN); an order statistic inside the zeros is 0 and one outside is found by partitioning only
    the negatives or only the rest (:func:`_order_stats`). Why the bits are the same: every value
    an order statistic can take is the same, and only the sign of a zero could differ, which
    ``a + frac (b - a)`` cannot show (with zeros a, b of any signs, b - a is 0 or -0 and the sum
    is +0; with one of them nonzero, a zero's sign changes neither b - a nor the sum). The |v|
    quantile is the same order statistics of ``|a|``, whose zeros are all +0."""
    n = a.shape[-1]
    ranks = sorted({j for lo, _ in pos for j in (lo, lo + 1)})
    st = torch.from_numpy(_order_stats(a, ranks))
    col = {j: st[:, c] for c, j in enumerate(ranks)}
    cols = [col[lo] + frac * (col[lo + 1] - col[lo]) for lo, frac in pos]
    if abs_q is not None:
        (r, frac), = _positions(n, [abs_q])
        st = torch.from_numpy(_order_stats(np.abs(a), [r] if frac == 0.0 else [r, r + 1]))
        cols.append(st[:, 0] if frac == 0.0 else st[:, 0] + frac * (st[:, 1] - st[:, 0]))
    return torch.stack(cols, -1)


def _order_stats(a: np.ndarray, ranks: list[int]) -> np.ndarray:
    """Order statistics ``ranks`` (sorted, distinct, 0-based; NaN sorts last, as in
    ``np.partition``) of every row of ``a`` [K, N] -> [K, len(ranks)], exact but for the sign of a
    zero (always +0 here). Rows spread over torch's CPU threads when large (:func:`_each_row`)."""
    rows = a.reshape(-1, a.shape[-1])
    out = np.zeros((len(rows), len(ranks)), dtype=a.dtype)

    def one(i: int) -> None:
        row = rows[i]
        neg = row < 0
        below = int(np.count_nonzero(neg))
        above = below + int(np.count_nonzero(row == 0))  # first position after the zeros
        for sel, first, end in ((neg, 0, below), (~(row <= 0), above, len(row))):  # negatives; the rest
            want = [c for c, j in enumerate(ranks) if first <= j < end]
            if want:
                sub = np.compress(sel, row)  # 4x faster than row[sel]
                out[i, want] = _stats_of(sub, [ranks[c] - first for c in want])

    _each_row(one, len(rows), a.size)
    return out


def _stats_of(sub: np.ndarray, ks: list[int]) -> list:
    """The order statistics ``ks`` (sorted, distinct) of ``sub``, which this partitions in place:
    a position right after another is read as its segment's minimum (:func:`_segment_min`)."""
    kset = set(ks)
    placed = [j for j in ks if j - 1 not in kset or j - 2 in kset]
    _select(sub, placed)
    pset = set(placed)
    return [sub[j] if j in pset else _segment_min(sub, j, pset) for j in ks]


def _segment_min(part: np.ndarray, j: int, kth: set[int]) -> np.ndarray:
    """Order statistic ``j`` of each row of ``part`` (partitioned at every position in ``kth``,
    none of them ``j``): the smallest value between position j and the next placed position. Every
    value there is >= the one placed before j and <= the one placed after, so the order statistic j
    is their minimum; NaN (which the partition puts last) only when all of them are NaN (``fmin``).
    One pass over that segment instead of one more partition of it. Of a zero the sign may differ
    from what a partition would have put at j; the interpolation ``a + f (b - a)`` cannot see it."""
    hi = min((p for p in kth if p > j), default=part.shape[-1])
    return np.fmin.reduce(part[..., j:hi], axis=-1)


def _abs_from_tails(part: Tensor, m: int, q: float) -> Tensor:
    """The q-quantile of |v| from a row partitioned so that ``part[..., :m]`` are its m smallest
    and ``part[..., -m:]`` its m largest values, where the order statistics r and r + 1 of |v| at
    q (n - 1) have r = n - m (so both are among the m largest |v|).

    Why it is exact: a value x outside both ends is >= the m smallest values and <= the m largest.
    If x >= 0, the m largest are >= x >= 0, so m values in the ends have |.| >= |x|; if x < 0 the m
    smallest are <= x < 0, the same. So no such x is needed to find the m largest |v|: they are the m
    largest of |ends|. In the 2m ends sorted ascending, descending rank d is at index 2m - 1 - d;
    order statistic r of |v| has d = n - 1 - r = m - 1, i.e. index m, and r + 1 is at m + 1."""
    n = part.shape[-1]
    ends = torch.cat([part[..., :m], part[..., n - m:]], -1).abs()
    (_, frac), = _positions(n, [q])
    kth = [m] if frac == 0.0 else [m, m + 1]
    sel = torch.from_numpy(_partition(ends.numpy(), kth))
    a = sel[..., m]
    return a if frac == 0.0 else a + frac * (sel[..., m + 1] - a)


def svdvals(a: Tensor) -> Tensor:
    """``torch.linalg.svdvals(a)`` of a batch [..., m, n], bit for bit. On the CPU the matrices
    are spread over torch's intra-op threads, one whole matrix per thread with LAPACK itself
    single-threaded, instead of one matrix at a time on all threads: the result is then the same
    at any thread count (a multi-threaded LAPACK SVD is not: its bits depend on the threads), and
    the threads never wait on each other inside one small factorization (on the 2-core VM, four
    1000x1000 SVDs took 1.4 s this way against 2.0 s one at a time on 1 thread, under contention).
    On other devices it is the batched call."""
    if a.device.type != "cpu" or a.dim() < 3:
        return torch.linalg.svdvals(a)
    flat = a.reshape(-1, *a.shape[-2:])
    threads = torch.get_num_threads()
    if threads < 2 or len(flat) < 2:
        return torch.linalg.svdvals(a)
    pool = _pool(threads)
    out = torch.empty(len(flat), min(a.shape[-2:]), dtype=a.dtype)
    chunks = torch.arange(len(flat)).tensor_split(min(threads, len(flat)) * 4)

    def one(idx: Tensor) -> None:
        if len(idx):
            lo, hi = int(idx[0]), int(idx[-1]) + 1
            out[lo:hi] = torch.linalg.svdvals(flat[lo:hi])

    torch.set_num_threads(1)
    try:
        list(pool.map(one, chunks))
    finally:
        torch.set_num_threads(threads)
    return out.reshape(*a.shape[:-2], out.shape[-1])


def dead_units(v: Tensor) -> Tensor:
    """The share of units that are <= 0 on every example: ``v`` [K, M examples, units...] -> [K],
    float64 (the ``dead`` statistic of the recorder and of glorot.watch)."""
    return torch.le(v.reshape(v.shape[0], v.shape[1], -1), 0).all(dim=1).double().mean(dim=-1)


def record_schedule(total: int, every: int, early: int) -> list[int]:
    """Step 0, ``early`` log-spaced steps in (0, every), every multiple of ``every`` and ``total``."""
    steps = {0, int(total)}
    if early > 0 and every > 1:
        steps |= {int(round(s)) for s in np.geomspace(1, every, early + 1)[:-1]}
    steps |= set(range(0, int(total) + 1, int(every)))
    return sorted(s for s in steps if 0 <= s <= total)


def data_range(v: Tensor) -> Tensor:
    """The recorder's data-driven histogram range of each row of ``v`` [K, N] -> [K, 2] float64:
    [0, max v] when no finite value is negative, else [-max|v|, +max|v|]; [-1, 1] (or [0, 1]) when
    every finite value is 0. Public for :mod:`glorot.watch`; the same rule as :meth:`Recorder._reduce`."""
    zero = torch.zeros((), dtype=v.dtype, device=v.device)
    finite = torch.isfinite(v)
    amax = torch.where(finite, v.abs(), zero).amax(1)
    vmin = torch.where(finite, v, zero).amin(1)
    amax = torch.where(amax > 0, amax, torch.ones_like(amax)).double()
    lo = torch.where(vmin >= 0, torch.zeros_like(amax), -amax)
    return torch.stack([lo, amax], 1)


def histogram(v: Tensor, rng: Tensor, bins: int) -> tuple[Tensor, Tensor]:
    """The recorder's normalized histogram of each row of ``v`` [K, N] on the ranges ``rng`` [K, 2]:
    (density [K, bins] float64, share of values outside the range [K]). Values outside the range
    are clamped into the edge bins, NaN is left out, a value on an edge goes to the upper bin (as
    ``numpy.histogram``). Public for :mod:`glorot.watch`; the same rule as :meth:`Recorder._reduce`
    (a test checks the two agree)."""
    k, nb = v.shape[0], int(bins)
    rng = rng.to(device=v.device, dtype=torch.float64)
    lo, hi = rng[:, :1].to(v.dtype), rng[:, 1:].to(v.dtype)
    f = (v - lo).mul_(nb).div_(hi - lo).clamp_(0, nb - 1).nan_to_num_(nan=nb)
    idx = f.long() + torch.arange(k, device=v.device).unsqueeze(1) * (nb + 1)
    counts = torch.bincount(idx.view(-1), minlength=k * (nb + 1)).view(k, nb + 1)[:, :nb]
    n = counts.sum(1, keepdim=True).double()
    width = (rng[:, 1:] - rng[:, :1]) / nb
    n_out = (v < lo).to(v.dtype).sum(1) + (v > hi).to(v.dtype).sum(1)
    return counts.double() / (n * width), n_out.double() / n.squeeze(1)


@dataclass(frozen=True)
class _Slot:
    layer: int  # 1-based; depth + 1 is the output layer
    signal: str


class Recorder:
    """Records per-layer statistics of a :class:`~glorot.nn.StackedMLP` on a fixed monitor set.

    ``cfg`` is the ``record`` config node (:class:`glorot.config.RecordConfig`), a dict, or None
    for the defaults. See the module docstring for what is recorded and how.
    """

    def __init__(self, model: StackedMLP, monitor_x: Tensor, monitor_y: Tensor, cfg=None,
                 run_dir: str | Path | None = None):
        self.model = model
        self.x = monitor_x
        self.y = monitor_y
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.every = int(_get(cfg, "every", 20_000))
        self.early = int(_get(cfg, "early", 8))
        self.signals = tuple(str(s) for s in _get(cfg, "signals", SIGNALS))
        bad = [s for s in self.signals if s not in SIGNALS]
        if bad:
            raise ValueError(f"unknown record signals {bad}; valid choices: {', '.join(SIGNALS)}")
        self.bins = int(_get(cfg, "bins", 100))
        self.hist = bool(_get(cfg, "hist", True))
        self.jacobian = bool(_get(cfg, "jacobian", False)) and model.depth >= 2
        self.jac_n = min(int(_get(cfg, "jacobian_examples", 20)), len(monitor_y))
        jm = list(_get(cfg, "jacobian_members", []) or [])
        self.jac_members = [int(m) for m in jm] if jm else list(range(model.k))
        if any(not 0 <= m < model.k for m in self.jac_members):
            raise ValueError(f"record.jacobian_members={jm} out of range for {model.k} member(s)")

        k, d = model.k, model.depth
        self.k = k
        self.acts = [get_activation(m.activation) for m in model.members]
        #: members whose ``act`` gets the ``dead`` statistic
        self._rectifier = np.array([is_rectifier(a.name) for a in self.acts], dtype=bool)
        self.slots: list[_Slot] = [
            _Slot(layer, sig) for sig in self.signals for layer in range(1, d + 2)
            if not (sig == "act" and layer == d + 1)
        ]
        self._slot_index = {(s.layer, s.signal): i for i, s in enumerate(self.slots)}
        dev, dt = monitor_x.device, torch.float64
        self.device = dev
        # One flat float64 buffer; the views below are filled on the device each record step and
        # the whole buffer is copied to the host once.
        n_s, n_h, n_j = len(self.slots), len(self.slots) if self.hist else 0, d - 1 if self.jacobian else 0
        sizes = [n_s * k * len(STATS), n_h * k * self.bins, n_h * k * 2, n_j * len(self.jac_members) * 4]
        self._buf = torch.full((sum(sizes),), float("nan"), dtype=dt, device=dev)
        parts = torch.split(self._buf, sizes)
        self._stats = parts[0].view(n_s, k, len(STATS))
        self._hist = parts[1].view(n_h, k, self.bins)
        self._ranges_out = parts[2].view(n_h, k, 2)
        self._jac = parts[3].view(n_j, len(self.jac_members), 4)
        self._sizes = sizes
        # histogram ranges [slot, member, (lo, hi)]: fixed ones now, the others at the first record
        self._ranges = torch.zeros(n_h, k, 2, dtype=dt, device=dev)
        self._fixed = torch.zeros(n_h, k, dtype=torch.bool, device=dev)
        for i, s in enumerate(self.slots[:n_h]):
            if s.signal == "act":
                for m, a in enumerate(self.acts):
                    if a.hist_range is not None:
                        self._ranges[i, m] = torch.tensor(a.hist_range, dtype=dt)
                        self._fixed[i, m] = True
        self._ranges_set = False

        # host-side record: one row of (step, examples_seen) and one copy of the buffer per step
        self.steps: list[int] = []
        self.examples: list[int] = []
        self._host: list[np.ndarray] = []

        self._handles: list = []
        self._in_context = False
        self._active = False
        self._keep_pre = True  # set per record step by _capture
        self._cache: dict[str, dict[int, Tensor]] = {}
        self._scratch_bufs: dict[str, Tensor] = {}
        #: wall seconds spent per part of :meth:`record` (``capture``, ``reduce``, ``jacobian``)
        self.seconds: dict[str, float] = {}

    # -- schedule ---------------------------------------------------------------------------
    def schedule(self, total_updates: int) -> list[int]:
        """The update steps at which to record: 0 (before any update), ``early`` log-spaced steps
        below ``every``, every ``every`` updates, and the last step."""
        return record_schedule(total_updates, self.every, self.early)

    # -- hooks ------------------------------------------------------------------------------
    def _attach(self) -> None:
        if self._handles:
            return
        for i, lin in enumerate(self.model.linears):
            self._handles.append(lin.register_forward_hook(self._pre_hook(i + 1)))
        for i, act in enumerate(self.model.acts):
            self._handles.append(act.register_forward_hook(self._act_hook(i + 1)))

    def _detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _pre_hook(self, layer: int):
        def hook(module, inputs, s):
            if not self._active:
                return
            if self._keep_pre:  # only what is recorded (or the Jacobian needs) outlives the pass
                self._cache["pre"][layer] = s.detach()
            if s.requires_grad:
                def grad_hook(g, layer=layer):
                    self._cache["grad_s"][layer] = g.detach()
                s.register_hook(grad_hook)
        return hook

    def _act_hook(self, layer: int):
        def hook(module, inputs, z):
            if self._active:
                self._cache["act"][layer] = z.detach()
        return hook

    def __enter__(self) -> "Recorder":
        self._in_context = True
        self._attach()
        return self

    def __exit__(self, *exc) -> None:
        self._in_context = False
        self._detach()
        if self.run_dir is not None and exc[0] is None:
            self.save(self.run_dir)

    def close(self) -> None:
        self._detach()

    # -- recording --------------------------------------------------------------------------
    def maybe_record(self, step: int, examples_seen: int, total: int | None = None) -> bool:
        """Record if ``step`` is a scheduled step (of ``total``; default: any step on the schedule
        of an unbounded run). Returns whether it recorded."""
        sched = self.schedule(total if total is not None else max(step, self.every))
        if step in sched and step not in self.steps:
            self.record(step, examples_seen)
            return True
        return False

    def _capture(self) -> dict[str, dict[int, Tensor]]:
        """Forward + backward over the monitor set; returns signal -> layer -> tensor."""
        model = self.model
        need_grad = any(s in self.signals for s in ("grad_s", "grad_w"))
        self._keep_pre = "pre" in self.signals or bool(self.jacobian)
        self._cache = {"pre": {}, "act": {}, "grad_s": {}}
        saved = [p.grad for p in model.parameters()]
        # dC/dW only when it is recorded: otherwise the weights leave the backward pass (the biases
        # keep every s in the graph), which skips one product per layer and member. dC/ds is the
        # same product either way (grad_out @ W), hence the same bits (tests/test_record.py).
        frozen = [lin.weight for lin in model.linears
                  if need_grad and "grad_w" not in self.signals and lin.weight.requires_grad]
        attached_here = not self._handles
        self._attach()
        self._active = True
        try:
            for p in model.parameters():
                p.grad = None
            for w in frozen:
                w.requires_grad_(False)
            with torch.enable_grad() if need_grad else torch.no_grad():
                logits = model(self.x)  # [K, M, n_out]
                if need_grad:
                    logp = torch.log_softmax(logits, -1)
                    y = self.y.expand(model.k, -1).unsqueeze(-1)
                    nll = -logp.gather(-1, y).squeeze(-1)  # [K, M]
                    nll.mean(1).sum().backward()  # members are independent: own mean cost each
        finally:
            self._active = False
            for w in frozen:
                w.requires_grad_(True)
            if attached_here and not self._in_context:
                self._detach()
        out = {"pre": self._cache["pre"], "act": self._cache["act"]}
        m = len(self.y)
        # per-example dC_n/ds, in place: the backward pass is over, and a copy of every layer's dC/ds
        # would double the record step's largest buffers (what bounds a 30-layer stack of 70 members)
        out["grad_s"] = {l: g.mul_(m) for l, g in self._cache["grad_s"].items()}
        out["weight"] = {i + 1: lin.weight.detach() for i, lin in enumerate(model.linears)}
        if need_grad and "grad_w" in self.signals:  # a clone of every weight gradient only when recorded
            out["grad_w"] = {i + 1: lin.weight.grad.detach().clone() for i, lin in enumerate(model.linears)}
        for p, g in zip(model.parameters(), saved):
            p.grad = g
        self._cache = {}
        return out

    @torch.no_grad()
    def _reduce(self, i: int, slot: _Slot, v: Tensor) -> None:
        """Statistics and histogram of one (layer, signal): v [K, ...] -> buffer slices."""
        k = self.k
        out = self._stats[i]
        if slot.signal == "act":  # v [K, M, width]: spread between units, per example, then mean
            out[:, STATS.index("unit_spread")] = v.std(dim=-1, correction=0).mean(dim=-1)
            if self._rectifier.any():  # units never positive on the monitor set (kept for rectifiers)
                out[:, STATS.index("dead")] = dead_units(v)
        v = v.reshape(k, -1)
        var, mean = torch.var_mean(v, dim=1, correction=0)
        out[:, 0] = mean
        out[:, 1] = var.sqrt()
        out[:, 2] = var
        out[:, 3:7] = percentiles(v, [QUANTILES["p02"], QUANTILES["p50"], QUANTILES["p98"]], abs_q=0.98)
        if slot.signal == "act":
            groups = self.model.acts[slot.layer - 1].groups
            out[:, 7] = torch.cat([a.saturated(v[lo:hi]).to(v.dtype).mean(1) for a, lo, hi in groups])
        if not self.hist:
            return
        rng = self._ranges[i]
        if not self._ranges_set:  # first record step: fix the data-driven ranges
            finite = torch.isfinite(v)
            amax = torch.where(finite, v.abs(), torch.zeros((), dtype=v.dtype, device=v.device)).amax(1)
            vmin = torch.where(finite, v, torch.zeros((), dtype=v.dtype, device=v.device)).amin(1)
            amax = torch.where(amax > 0, amax, torch.ones_like(amax)).double()  # all-zero: [-1, 1]
            lo = torch.where(vmin >= 0, torch.zeros_like(amax), -amax)
            keep = self._fixed[i]
            rng[:, 0] = torch.where(keep, rng[:, 0], lo)
            rng[:, 1] = torch.where(keep, rng[:, 1], amax)
        lo = rng[:, :1].to(v.dtype)
        hi = rng[:, 1:].to(v.dtype)
        nb = self.bins
        # bin of v: floor((v - lo) * nb / (hi - lo)), clamped into the edge bins; NaN goes to the
        # extra bin nb, which is dropped. After the clamp f >= 0, so .long()'s truncation is the
        # floor. Multiplying by nb before dividing by (hi - lo) puts a value exactly on an edge in
        # the upper bin, as numpy.histogram does: this matters for the exact zeros of ReLU
        # gradients, which sit on the middle edge of a symmetric range.
        # Every pass writes into a scratch buffer kept between record steps: on the CPU a fresh
        # 40-80 MB tensor per pass costs more in page faults than the arithmetic.
        f = torch.sub(v, lo, out=self._scratch("f", v.shape, v.dtype))
        f.mul_(nb).div_(hi - lo).clamp_(0, nb - 1).nan_to_num_(nan=nb)
        idx = self._scratch("idx", v.shape, torch.int64)
        idx.copy_(f)  # f >= 0: the float -> int64 truncation is the floor
        idx += torch.arange(k, device=v.device).unsqueeze(1) * (nb + 1)  # member m: bins m (nb + 1)..
        counts = torch.bincount(idx.view(-1), minlength=k * (nb + 1)).view(k, nb + 1)[:, :nb]
        n = counts.sum(1, keepdim=True).double()
        width = (rng[:, 1:] - rng[:, :1]) / nb
        self._hist[i] = counts.double() / (n * width)
        self._ranges_out[i] = rng
        # the share outside [lo, hi] (clamped into the edge bins above); summing the booleans as
        # floats is 4x faster than a bool sum on the CPU and exact below 2^24 values per member
        mask = self._scratch("mask", v.shape, torch.bool)
        ones = self._scratch("f", v.shape, v.dtype)
        n_out = ones.copy_(torch.lt(v, lo, out=mask)).sum(1) + ones.copy_(torch.gt(v, hi, out=mask)).sum(1)
        out[:, 8] = n_out / n.squeeze(1).to(v.dtype)

    def _scratch(self, name: str, shape, dtype) -> Tensor:
        """A view of shape ``shape`` into the persistent scratch buffer ``name`` (grown as needed).
        They stay allocated for the recorder's life: 13 bytes per value of the largest signal, e.g.
        ~130 MB at K = 10 and ~2.6 GB at K = 200 on the paper's network."""
        numel = math.prod(shape)
        buf = self._scratch_bufs.get(name)
        if buf is None or buf.dtype != dtype or buf.numel() < numel:
            buf = torch.empty(numel, dtype=dtype, device=self.device)
            self._scratch_bufs[name] = buf
        return buf[:numel].view(shape)

    @torch.no_grad()
    def _jacobians(self, sig: dict[str, dict[int, Tensor]]) -> None:
        """Singular values of J = diag(f'(s^{l+1})) W^{l+1} for l = 1..depth-1 (Sec. 4.2.1)."""
        model = self.model
        mem = torch.tensor(self.jac_members, device=self.device)
        n = self.jac_n
        pre = sig["pre"] if "pre" in sig and sig["pre"] else None
        for l in range(1, model.depth):
            s = pre[l + 1][:, :n]  # [K, n, width]
            z = sig["act"][l + 1][:, :n]
            fp = model.acts[l].grad(s, z)[mem]  # [Km, n, width]
            w = model.linears[l].weight.detach()[mem]  # W^{l+1}: [Km, width, width]
            jac = fp.unsqueeze(-1) * w.unsqueeze(1)  # [Km, n, width, width]
            sv = svdvals(jac).flatten(1)  # [Km, n * width]
            out = self._jac[l - 1]
            out[:, 0] = sv.mean(1)
            out[:, 1] = sv.std(1, correction=0)
            out[:, 2] = sv.amin(1)
            out[:, 3] = sv.amax(1)

    def record(self, step: int, examples_seen: int | None = None) -> None:
        """Record the statistics of the current weights at update ``step`` (no-op if already
        recorded). One device-to-host copy."""
        step = int(step)
        if step in self.steps:
            return
        t0 = time.perf_counter()
        sig = self._capture()
        t1 = time.perf_counter()
        for i, slot in enumerate(self.slots):
            self._reduce(i, slot, sig[slot.signal][slot.layer])
        if self.hist:
            self._ranges_set = True
        t2 = time.perf_counter()
        if self.jacobian:
            self._jacobians(sig)
        t3 = time.perf_counter()
        for name, sec in (("capture", t1 - t0), ("reduce", t2 - t1), ("jacobian", t3 - t2)):
            self.seconds[name] = self.seconds.get(name, 0.0) + sec
        self.steps.append(step)
        self.examples.append(int(examples_seen if examples_seen is not None else step))
        self._host.append(self._buf.cpu().numpy().copy())

    # -- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"steps": list(self.steps), "examples": list(self.examples),
                "host": [h.copy() for h in self._host], "ranges": self._ranges.cpu().clone(),
                "ranges_set": self._ranges_set, "sizes": list(self._sizes),
                "slots": [(s.layer, s.signal) for s in self.slots]}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        sizes, host = list(d["sizes"]), [np.asarray(h) for h in d["host"]]
        n_s, k = len(self.slots), self.k
        if sizes[1:] == self._sizes[1:] and sizes[0] == n_s * k * (len(STATS) - 1):
            # a checkpoint written before ``dead`` (the last statistic) was recorded: its steps get NaN
            host = [np.concatenate([np.pad(h[:sizes[0]].reshape(n_s, k, -1), ((0, 0), (0, 0), (0, 1)),
                                           constant_values=np.nan).ravel(), h[sizes[0]:]]) for h in host]
            sizes = self._sizes
        if sizes != self._sizes or [tuple(s) for s in d["slots"]] != [
                (s.layer, s.signal) for s in self.slots]:
            raise ValueError("recorder state does not match this recorder's config (signals/bins/...)")
        self.steps = list(d["steps"])
        self.examples = list(d["examples"])
        self._host = host
        self._ranges.copy_(d["ranges"].to(self._ranges.device))
        self._ranges_set = bool(d["ranges_set"])

    # -- tables -----------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """The recorded data as tidy frames: ``stats``, ``hist`` and ``jacobian``."""
        k, nb = self.k, self.bins
        n_t = len(self.steps)
        steps = np.asarray(self.steps, dtype=np.int64)
        ex = np.asarray(self.examples, dtype=np.int64)
        n_s = len(self.slots)
        n_h = n_s if self.hist else 0
        host = (np.stack(self._host) if n_t else np.zeros((0, sum(self._sizes))))
        offs = np.cumsum([0] + self._sizes)
        part = lambda j: host[:, offs[j]:offs[j + 1]]  # noqa: E731
        layers = np.array([s.layer for s in self.slots], dtype=np.int64)
        signals = np.array([s.signal for s in self.slots], dtype=object)

        # stats: [T, S, K, STATS], dropping stats that do not apply to a signal
        st = part(0).reshape(n_t, n_s, k, len(STATS))
        ti, si, mi, ji = np.meshgrid(np.arange(n_t), np.arange(n_s), np.arange(k), np.arange(len(STATS)),
                                     indexing="ij")
        stat_names = np.array(STATS, dtype=object)
        valid = np.ones(st.shape, dtype=bool)
        valid &= ~((stat_names[ji] == "sat") & (signals[si] != "act"))
        valid &= ~((stat_names[ji] == "unit_spread") & (signals[si] != "act"))
        valid &= ~((stat_names[ji] == "dead") & ((signals[si] != "act") | ~self._rectifier[mi]))
        if not self.hist:
            valid &= stat_names[ji] != "hist_out"
        stats = pd.DataFrame({
            "member": mi[valid], "step": steps[ti[valid]], "examples_seen": ex[ti[valid]],
            "layer": layers[si[valid]], "signal": signals[si[valid]], "stat": stat_names[ji[valid]],
            "value": st[valid],
        })

        cols = ["member", "step", "examples_seen", "layer", "signal", "bin_lo", "bin_hi", "density"]
        if n_h:
            hs = part(1).reshape(n_t, n_h, k, nb)
            rg = part(2).reshape(n_t, n_h, k, 2)
            ti, si, mi, bi = np.meshgrid(np.arange(n_t), np.arange(n_h), np.arange(k), np.arange(nb),
                                         indexing="ij")
            lo, hi = rg[..., 0][..., None], rg[..., 1][..., None]
            edges_lo = lo + (hi - lo) * (np.arange(nb) / nb)
            edges_hi = lo + (hi - lo) * (np.arange(1, nb + 1) / nb)
            edges_hi[..., -1] = hi[..., 0]  # exactly hi, not a rounding error off it
            hist = pd.DataFrame({
                "member": mi.ravel(), "step": steps[ti.ravel()], "examples_seen": ex[ti.ravel()],
                "layer": layers[si.ravel()], "signal": signals[si.ravel()],
                "bin_lo": edges_lo.ravel(), "bin_hi": edges_hi.ravel(), "density": hs.ravel(),
            })
        else:
            hist = pd.DataFrame(columns=cols)

        jcols = ["member", "step", "examples_seen", "layer", *JAC_STATS]
        if self.jacobian and n_t:
            km = len(self.jac_members)
            jc = part(3).reshape(n_t, self.model.depth - 1, km, 4)
            ti, li, mi = np.meshgrid(np.arange(n_t), np.arange(self.model.depth - 1), np.arange(km),
                                     indexing="ij")
            jac = pd.DataFrame({
                "member": np.asarray(self.jac_members)[mi.ravel()], "step": steps[ti.ravel()],
                "examples_seen": ex[ti.ravel()], "layer": li.ravel() + 1,
                **{name: jc[..., j].ravel() for j, name in enumerate(JAC_STATS)},
            })
        else:
            jac = pd.DataFrame(columns=jcols)
        return {"stats": stats, "hist": hist, "jacobian": jac}

    def save(self, run_dir: str | Path | None = None) -> None:
        """Write ``stats.parquet``, ``hist.parquet`` (with histograms) and ``jacobian.parquet``
        (with the Jacobian) into the run folder, each atomically."""
        from glorot.files import atomic_write  # noqa: PLC0415

        run_dir = Path(run_dir if run_dir is not None else self.run_dir)
        tabs = self.tables()
        for name, df in tabs.items():
            if name == "hist" and not self.hist or name == "jacobian" and not self.jacobian:
                continue
            atomic_write(run_dir / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))


def record_once(model: StackedMLP, monitor_x: Tensor, monitor_y: Tensor, cfg=None, step: int = 0
                ) -> dict[str, pd.DataFrame]:
    """Record the current state of ``model`` once (e.g. at init) and return the tidy frames."""
    rec = Recorder(model, monitor_x, monitor_y, cfg)
    rec.record(step, step)
    return rec.tables()


__all__: Iterable[str] = ("Recorder", "record_schedule", "record_once", "percentiles", "data_range", "histogram",
                          "dead_units", "SIGNALS", "STATS")
