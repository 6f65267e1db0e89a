"""Benchmark the Shapeset-3x2 generator: images/s for a few batch shapes, on this machine's CPU (for
1 thread and for torch's default thread count) and on a GPU when there is one.

    python scripts/bench_shapeset.py [--repeat 3] [--device cpu|cuda|all]

Targets (issue 6): >= 5,000 images/s on the 2-core CPU, >= 50,000 images/s on a GPU. Shapes:
``K x B`` = K member seeds x B examples each, one ``generate`` call; "sampler" rows time the
training sampler serving 10-example batches for K members update after update (it draws several
updates' worth at once and serves them from a cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from glorot import shapeset as S
from glorot.cli import Parser, positive_int

SHAPES = [(10, 100), (1, 10_000), (40, 10)]


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def bench_generate(dev, k, b, repeat):
    seeds = torch.arange(k, device=dev)
    S.generate(seeds, 0, b)  # warm-up
    _sync(dev)
    best, best_cpu = float("inf"), float("inf")
    for r in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        S.generate(seeds, r + 1, b)
        _sync(dev)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return k * b / best, k * b / best_cpu


def bench_sampler(dev, k):
    """A fresh sampler serving 10-example batches for k members over three of its blocks."""
    seeds = torch.arange(k, device=dev)
    sampler = S.ShapesetSampler()
    updates = 3 * max(1, S.BLOCK_EXAMPLES // (10 * k))
    _sync(dev)
    t, c = time.perf_counter(), time.process_time()
    for step in range(updates):
        sampler(step, seeds, 10)
    _sync(dev)
    return k * 10 * updates / (time.perf_counter() - t), k * 10 * updates / (time.process_time() - c)


def device_name(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def main(argv=None) -> int:
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=positive_int, default=3, help="timed calls per shape (best is reported)")
    p.add_argument("--device", default="all", choices=["cpu", "cuda", "all"])
    p.add_argument("--threads", type=positive_int, nargs="*", help="CPU thread counts (default: 1 and torch's)")
    a = p.parse_args(argv)
    runs = []
    if a.device in ("cpu", "all"):
        default = torch.get_num_threads()
        runs += [(torch.device("cpu"), n) for n in (a.threads or sorted({1, default}))]
    if a.device in ("cuda", "all"):
        if torch.cuda.is_available():
            runs.append((torch.device("cuda"), torch.get_num_threads()))
        elif a.device == "cuda":
            print("no CUDA device")
            return 1
        else:
            print("no CUDA device: GPU rows skipped (target there: >= 50,000 images/s)")
    print(f"torch {torch.__version__}")
    print("images/s: wall clock (best of --repeat); images/cpu-s: per second of this process's CPU time,\n"
          "which is what the machine would give without other processes competing for its cores")
    print(f"{'device':44s} {'threads':>7s} {'shape':>16s} {'images/s':>10s} {'images/cpu-s':>12s}")
    for dev, threads in runs:
        torch.set_num_threads(threads)
        name = device_name(dev)
        for k, b in SHAPES:
            wall, cpu = bench_generate(dev, k, b, a.repeat)
            print(f"{name:44s} {threads:7d} {f'{k}x{b}':>16s} {wall:10,.0f} {cpu:12,.0f}", flush=True)
        for k in (1, 20):
            wall, cpu = bench_sampler(dev, k)
            print(f"{name:44s} {threads:7d} {f'sampler {k}x10':>16s} {wall:10,.0f} {cpu:12,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
