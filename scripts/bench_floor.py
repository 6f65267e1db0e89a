"""The floor under `make reproduce`'s time that no change keeping every output bit for bit can go
below: the batched matrix products (and the Jacobian SVDs) of a finished run folder, timed alone.

Every record of a run is a function of the bits of its GEMMs, and those bits are fixed by the call
(the same ``torch.baddbmm`` / ``torch.bmm`` / ``Tensor.baddbmm_``, the same shapes and strides, the
same BLAS); so a change that keeps the outputs keeps these calls, and their time is a floor under
any such change. This script reads each run's ``config.yaml`` and ``members.csv`` (stack size,
widths, depth, updates, evaluation schedule, members that diverged and left the stack), replays
``--steps`` training updates' worth of the products of each experiment on random data and scales
them to its updates, the evaluation products (``trainer.evaluate``: 1,000 rows at a time, valid
and test) to its evaluations, and a few of the recorder's Jacobian SVDs to their number, all on
one thread (what each of ``reproduce.py``'s two workers gets on two cores).

    python scripts/bench_floor.py results/runs/quick [--steps 100] [--jobs 2] [--old-wall 483 --new-wall 357]

``--jobs 2`` runs two copies of the measurement at once and reports their mean, the products as
``reproduce.py``'s two workers run them, sharing the memory bus and the last-level cache. With ``--old-wall`` (a side-by-side wall time of the code to beat) it prints the largest ratio a
bit-preserving change could give: the old wall over the floor spread on the cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from omegaconf import OmegaConf

from glorot import shapeset, threads
from glorot.cli import Parser, positive_float, positive_int
from glorot.trainer import cpu_model


def shape(cfg) -> tuple[list[int], int]:
    """(layer sizes, valid+test examples) of a run's config."""
    data = str(cfg.data.name)
    if data == "mnist":
        n_in, n_out, n_eval = 784, 10, 20_000
    elif data == "shapeset":
        n_in, n_out = shapeset.N_IN, shapeset.N_CLASSES
        n_eval = int(cfg.data.shapeset.n_valid) + int(cfg.data.shapeset.n_test)
    else:
        s = cfg.data.synthetic
        n_in, n_out, n_eval = int(s.n_in), int(s.n_classes), int(s.n_valid) + int(s.n_test)
    sizes = [n_in] + [int(cfg.model.width)] * int(cfg.model.depth) + [n_out]
    return sizes, n_eval


def live_members(run_dir: Path) -> tuple[int, list[int]]:
    """Stack size and the update at which each diverged member left it."""
    with open(run_dir / "members.csv") as f:
        rows = list(csv.DictReader(f))
    died = [int(float(r["diverged_at_update"])) for r in rows if r.get("diverged_at_update")]
    return len(rows), died


def _time(fn, n: int) -> float:
    fn()  # warm-up: the heap and BLAS buffers
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def train_step_gemms(k: int, sizes: list[int], b: int):
    """The products of one ``StackedMLP.sgd_step`` of k members, as a function to time."""
    g = torch.Generator().manual_seed(0)
    ws = [torch.randn(k, o, i, generator=g) * 0.05 for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [torch.zeros(k, o) for o in sizes[1:]]
    hs = [torch.rand(k, b, n, generator=g) for n in sizes[:-1]]
    gs = [torch.randn(k, b, o, generator=g) * 1e-3 for o in sizes[1:]]

    def step():
        for w, bias, h in zip(ws, bs, hs):
            torch.baddbmm(bias.unsqueeze(1), h, w.transpose(1, 2))
        for i in range(len(ws) - 1, -1, -1):
            if i > 0:
                torch.bmm(gs[i], ws[i])
            ws[i].baddbmm_(gs[i].transpose(1, 2), hs[i], alpha=-1e-6)
    return step


def eval_gemms(k: int, sizes: list[int], rows: int = 1000):
    """The products of ``trainer.evaluate``'s forward pass over ``rows`` examples."""
    g = torch.Generator().manual_seed(1)
    ws = [torch.randn(k, o, i, generator=g) * 0.05 for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [torch.zeros(k, o) for o in sizes[1:]]
    x = torch.rand(rows, sizes[0], generator=g).unsqueeze(0).expand(k, -1, -1)
    hs = [x] + [torch.rand(k, rows, n, generator=g) for n in sizes[1:-1]]

    def fwd():
        for w, bias, h in zip(ws, bs, hs):
            torch.baddbmm(bias.unsqueeze(1), h, w.transpose(1, 2))
    return fwd


def jacobian_svds(cfg, k: int) -> int:
    """How many layer-Jacobian SVDs the run's recorder computed (record steps x members x examples x
    layers), where it computed any."""
    rec = cfg.get("record", {})
    if not rec or not rec.get("enabled") or not rec.get("jacobian"):
        return 0
    members = len(rec.get("jacobian_members") or []) or k
    examples = int(rec.get("jacobian_examples", 20))
    if int(cfg.train.updates) != 0:
        raise SystemExit(f"{cfg.name}: Jacobians during training are not counted here (only at-init runs have them)")
    return members * examples * (int(cfg.model.depth) - 1)


def contended(a) -> int:
    """Run ``a.jobs`` copies of this measurement at once; print each one's floor and their mean."""
    with tempfile.TemporaryDirectory() as tmp:
        outs = [Path(tmp) / f"{i}.json" for i in range(a.jobs)]
        base = [str(a.runs), "--steps", str(a.steps), "--cores", str(a.cores)]
        cmds = [[sys.executable, __file__, *base, "--json", str(o)] for o in outs]
        procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL) for c in cmds]
        if any(pr.wait() for pr in procs):
            print("error: a copy of the measurement failed", file=sys.stderr)
            return 1
        res = [json.loads(o.read_text()) for o in outs]
    floors = [r["floor_wall_s"] for r in res]
    floor = sum(floors) / len(floors)
    print(f"{a.jobs} copies at once on {res[0]['cpu']}: floors {', '.join(f'{f:.1f}' for f in floors)} s; "
          f"mean {floor:.1f} s of wall time")
    out = {**res[0], "jobs": a.jobs, "floors_wall_s": floors, "floor_wall_s": floor}
    report(a, floor, out)
    return 0


def report(a, floor: float, out: dict) -> None:
    if a.old_wall:
        out["old_wall_s"], out["max_ratio"] = a.old_wall, a.old_wall / floor
        print(f"the code to beat took {a.old_wall:.1f} s: a bit-preserving change gives at most "
              f"{a.old_wall / floor:.2f}x (1.5x needs everything but the products in "
              f"{a.old_wall / 1.5 - floor:.1f} s of wall time)")
    if a.new_wall:
        out["new_wall_s"] = a.new_wall
        print(f"this code took {a.new_wall:.1f} s: {a.new_wall - floor:.1f} s of it ({100 * (1 - floor / a.new_wall):.0f}%) "
              "is not in the products")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(out, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path, help="a profile's run folder, e.g. results/runs/quick")
    p.add_argument("--steps", type=positive_int, default=100, help="training updates timed per experiment (default 100)")
    p.add_argument("--old-wall", type=positive_float, help="wall seconds of the code to beat, measured side by side")
    p.add_argument("--new-wall", type=positive_float, help="wall seconds of this code in the same pair")
    p.add_argument("--cores", type=positive_int, default=2, help="cores the work is spread on (default 2)")
    p.add_argument("--jobs", type=positive_int, default=1, help="copies of the measurement run at once (default 1)")
    p.add_argument("--json", type=Path, help="write the numbers here too")
    a = p.parse_args(argv)
    if not a.runs.is_dir():
        p.error(f"no such folder: {a.runs} (a profile's run folder, e.g. results/runs/quick)")
    if a.jobs > 1:
        return contended(a)
    os.environ.setdefault("GLOROT_THREADS", "1")
    threads.configure()
    torch.set_num_threads(1)
    dirs = sorted(d for d in a.runs.iterdir() if (d / "config.yaml").exists() and (d / "members.csv").exists())
    if not dirs:
        p.error(f"no finished runs (config.yaml + members.csv) under {a.runs}")
    rows, tot = [], {"train": 0.0, "evaluate": 0.0, "svd": 0.0}
    print(f"GEMM floor on {cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, 1 thread")
    print(f"{'experiment':<18} {'K':>3} {'network':<16} {'updates':>7} {'train s':>8} {'eval s':>7} {'svd s':>6}")
    for d in dirs:
        cfg = OmegaConf.load(d / "config.yaml")
        sizes, n_eval = shape(cfg)
        k, died = live_members(d)
        updates, b = int(cfg.train.updates), int(cfg.optim.batch_size)
        t_train = 0.0
        if updates:
            # members that diverge leave the stack (trainer.LiveStep): each stretch at its own K
            cuts = sorted({0, updates, *[min(updates, u + 1) for u in died]})
            for lo, hi in zip(cuts[:-1], cuts[1:]):
                live = k - sum(u < lo for u in died)
                if live and hi > lo:
                    t_train += _time(train_step_gemms(live, sizes, b), min(a.steps, hi - lo)) * (hi - lo)
        every = max(1, -(-int(cfg.train.eval_every_examples) // b))
        n_evals = len(set(range(0, updates, every)) | {updates}) if updates else 0
        t_eval = _time(eval_gemms(k - len(died), sizes), 3) * n_eval / 1000 * n_evals if n_evals else 0.0
        n_svd, t_svd = jacobian_svds(cfg, k), 0.0
        if n_svd > 0:
            w = sizes[2]
            m = torch.randn(4, w, w, generator=torch.Generator().manual_seed(2)) / w ** 0.5
            t_svd = _time(lambda: torch.linalg.svdvals(m), 2) / 4 * n_svd
        net = f"{sizes[0]}-{sizes[1]}x{len(sizes) - 2}-{sizes[-1]}"
        print(f"{d.name:<18} {k:>3} {net:<16} {updates:>7} {t_train:>8.1f} {t_eval:>7.1f} {t_svd:>6.1f}", flush=True)
        rows.append({"experiment": d.name, "members": k, "diverged": len(died), "network": net, "updates": updates,
                     "train_gemm_s": t_train, "eval_gemm_s": t_eval, "svd_s": t_svd})
        tot["train"] += t_train
        tot["evaluate"] += t_eval
        tot["svd"] += t_svd
    total = sum(tot.values())
    floor = total / a.cores
    print(f"{'all':<18} {'':>3} {'':<16} {'':>7} {tot['train']:>8.1f} {tot['evaluate']:>7.1f} {tot['svd']:>6.1f}")
    print(f"summed: {total:.1f} s; spread on {a.cores} cores: a floor of {floor:.1f} s of wall time")
    out = {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__, "steps_timed": a.steps,
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": str(a.runs), "experiments": rows,
           "summed_s": total, "floor_wall_s": floor}
    report(a, floor, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
