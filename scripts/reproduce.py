#!/usr/bin/env python
"""Run every experiment of the suite at one profile, then draw every figure (``make reproduce``).

    python scripts/reproduce.py --profile quick            # the default: ~15 min on a 2-core CPU
    python scripts/reproduce.py --profile smoke --out /tmp/s  # seconds: what the tests run
    python scripts/reproduce.py --profile paper            # the paper's network, ~15 min on a GPU
    python scripts/reproduce.py --profile paper_full       # 1M updates per member: hours on a GPU
    python scripts/reproduce.py --profile paper --plan --rate 25000  # what it costs, runs nothing

Runs go to <results-dir>/runs/<profile>/<experiment>/; a run whose run.json says "complete" is
skipped, and an interrupted one resumes from its last checkpoint. Figures, Table 1, verdicts and
the gallery go to --out (default: results/, or results/smoke/ for smoke).
Training never plots and plotting never trains: the two stages talk only through the run folders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the budgets: configs/profile/<name>.yaml (smoke, quick, paper, paper_full)
PROFILES = sorted(p.stem for p in (ROOT / "configs" / "profile").glob("*.yaml"))

#: every experiment `make reproduce` runs, in order (configs/experiment/<name>.yaml)
EXPERIMENTS = [
    "init_tanh",      # Figs. 6-8, Jacobian singular values
    "init_relu",      # Figs. 6-8 for ReLU: normalized vs he
    "fig2_sigmoid",   # Fig. 2
    "saturation",     # Figs. 3, 4, 9, 10
    "table1",         # Table 1 (MNIST column), Fig. 12
    "shapeset_table1",    # Table 1 (Shapeset column), Fig. 11 (5-layer lines)
    "shapeset_sigmoid4",  # Fig. 11: the sigmoid depth-4 line
    "relu30",         # extension: 30-layer ReLU, 1/n vs He
    "pitfall_zeros",   # pitfalls (issue 7): zeros / constant init, symmetry never breaks
    "pitfall_scale",   # pitfalls: N(0, 0.01^2) and N(0, 1) at depth 10, tanh and relu
    "pitfall_linear",  # pitfalls: deep linear network vs (n Var[W])^(l/2) (init only)
    "pitfall_leaky",   # pitfalls: leaky relu a=0.25, 30 layers, He's generalized init (init only)
]


def is_complete(run_dir: Path) -> bool:
    try:
        return json.loads((run_dir / "run.json").read_text()).get("status") == "complete"
    except (OSError, json.JSONDecodeError):
        return False


class _Parser(argparse.ArgumentParser):
    """A bad argument is one line (``error: ...``) and exit 2, as in glorot.train."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def preflight(todo: list[str], profile: str, results_dir: str, overrides: list[str]) -> str | None:
    """Compose every experiment with the overrides and run glorot.train's checks (keys, values, data,
    device, the results folder) before anything trains; the one-line refusal, or None."""
    from hydra import compose, initialize_config_dir  # noqa: PLC0415

    from glorot import config as C  # noqa: PLC0415
    from glorot.train import explain  # noqa: PLC0415

    C.register()
    try:
        with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
            for exp in todo:
                cfg = compose(config_name="config", overrides=[f"experiment={exp}", f"profile={profile}",
                                                               f"results_dir={results_dir}", *overrides])
                C.check_keys(cfg)
                C.check_values(cfg)
                C.check_data(cfg)
                C.check_names(cfg)
                C.check_device(cfg)
        C.check_output(Path(results_dir) / "runs" / profile, 1 << 20)
    except Exception as e:  # noqa: BLE001
        line = explain(e)
        if line is None:
            raise
        return line
    return None


def main(argv: list[str] | None = None) -> int:
    p = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="quick", choices=PROFILES,
                   help="a budget from configs/profile/ (default: quick)")
    p.add_argument("--results-dir", default="results", help="where run folders go (runs/<profile>/...)")
    p.add_argument("--out", default=None, help="where figures, tables and the gallery go")
    p.add_argument("--only", nargs="*", default=None, metavar="EXPERIMENT",
                   help=f"run only these experiments (default: all of {', '.join(EXPERIMENTS)})")
    p.add_argument("--skip-plots", action="store_true", help="train only")
    p.add_argument("--plan", action="store_true",
                   help="print members, updates and 5x1000-equivalent member-updates per experiment "
                        "(glorot.plan) and exit without training")
    p.add_argument("--rate", type=float, default=None,
                   help="with --plan: an engine's measured 5x1000-equivalent member-updates/s "
                        "(make bench) to turn the plan into times")
    p.add_argument("--bench", default=None, metavar="JSON",
                   help="with --plan: a `make bench` JSON; each experiment gets the measured rate of its stack size")
    p.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run (e.g. train.device=cuda)")
    a = p.parse_args(argv)

    unknown = [e for e in (a.only or []) if e not in EXPERIMENTS]
    if unknown:
        print(f"error: unknown experiment(s) {unknown}; valid choices: {', '.join(EXPERIMENTS)}", file=sys.stderr)
        return 2
    todo = a.only or EXPERIMENTS
    refusal = preflight(todo, a.profile, a.results_dir, a.overrides)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    if a.plan:
        return plan(todo, a.profile, a.overrides, a.rate, a.bench)
    out = Path(a.out or (Path(a.results_dir) / "smoke" if a.profile == "smoke" else a.results_dir))
    runs = Path(a.results_dir) / "runs" / a.profile
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t_all = time.perf_counter()
    timings = {}
    for i, exp in enumerate(todo, 1):
        run_dir = runs / exp
        tag = f"[{i}/{len(todo)}] {exp} ({a.profile})"
        if is_complete(run_dir):
            print(f"{tag}: complete, skipped ({run_dir})", flush=True)
            continue
        print(f"{tag}: training -> {run_dir}", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "glorot.train", f"experiment={exp}", f"profile={a.profile}",
               f"results_dir={a.results_dir}", *a.overrides]
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            print(f"{tag}: FAILED (exit {r.returncode}); command: {' '.join(cmd)}", file=sys.stderr)
            return r.returncode
        timings[exp] = time.perf_counter() - t0
        print(f"{tag}: done in {timings[exp]:.0f} s", flush=True)
    if not a.skip_plots:
        print(f"plotting {runs} -> {out}", flush=True)
        cmd = [sys.executable, "-m", "glorot.plot", "--runs", str(runs), "--out", str(out)]
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            print(f"plotting FAILED (exit {r.returncode}); command: {' '.join(cmd)}", file=sys.stderr)
            return r.returncode
    total = time.perf_counter() - t_all
    print(f"reproduce ({a.profile}) finished in {total:.0f} s; trained: "
          + (", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) or "nothing (all complete)"))
    if not a.skip_plots:
        print(f"open {out / 'index.html'} to see every figure with its verdict")
    return 0


def plan(todo: list[str], profile: str, overrides: list[str], rate: float | None, bench: str | None) -> int:
    """Print what each experiment would train at ``profile`` (see glorot.plan); trains nothing."""
    from hydra import compose, initialize_config_dir  # noqa: PLC0415

    from glorot.config import register  # noqa: PLC0415
    from glorot.plan import cost, rates_from_bench, table  # noqa: PLC0415

    register()
    costs = []
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        for exp in todo:
            cfg = compose(config_name="config", overrides=[f"experiment={exp}", f"profile={profile}", *overrides])
            costs.append(cost(exp, cfg))
    print(f"profile {profile}: training cost per experiment (evaluation and recording not counted)")
    if bench:
        rates = rates_from_bench(bench)
        print(table(costs, rates))
        print(f"times at the stacked engine's rates measured in {bench} (recording off): "
              + ", ".join(f"K={k}: {r:,.0f}/s" for k, r in sorted(rates.items())))
    else:
        print(table(costs, rate))
        if rate:
            print(f"times at {rate:,.0f} 5x1000-equivalent member-updates/s (the rate given with --rate)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
