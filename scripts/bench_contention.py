#!/usr/bin/env python
"""What a second process on the machine costs a training run, under each thread policy.

    python scripts/bench_contention.py                       # smoke relu30 (with the recorder)
    python scripts/bench_contention.py --repeats 2 -- experiment=table1 profile=quick train.updates=1500
    python scripts/bench_contention.py --policies bounded,adaptive --told --json results/bench/contention.json

For each policy (``GLOROT_THREAD_POLICY``, :mod:`glorot.threads`) it times one training run alone,
then two identical runs started at the same moment, and prints contended / alone (the mean of the
two contended runs over the alone run):

* ``legacy``: OpenMP's default wait policy (idle threads spin ~300,000 times before they sleep) and
  torch's default thread count (every core) in both processes: the code before any policy;
* ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep at once), all cores each;
* ``bounded``: ``GOMP_SPINCOUNT=3000`` (a short spin, then sleep), all cores each;
* ``adaptive`` (the default): ``bounded``, and the trainer's governor, which trains on the cores
  other tasks leave while its threads wait for cores they hold (:class:`glorot.threads.Governor`).

The two runs of a pair are not told of each other (each takes every core: what happens when a user
starts two runs, or anything else is running); ``--told`` adds pairs that are
(``GLOROT_PARALLEL_JOBS=2``: one thread each, what ``scripts/reproduce.py --jobs 2`` does). Policies
alternate within each repeat, so all see the same machine. The times are the trainer's own
``wall_time_s`` (run.json: the training loop, start-up excluded) and each process's wall time. On a
machine that other users share the absolute times mean little; the ratios, measured side by side,
are the result. ``OMP_NUM_THREADS``, ``GLOROT_THREADS``, ``OMP_WAIT_POLICY`` and ``GOMP_SPINCOUNT``
are removed from the children's environment (they would override every policy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARGS = ["experiment=relu30", "profile=smoke"]


def policy_env(policy: str, told: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "GLOROT_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                        "GLOROT_PARALLEL_JOBS", "GLOROT_THREAD_POLICY", "MKL_NUM_THREADS")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["GLOROT_THREAD_POLICY"] = policy
    if told > 1:
        env["GLOROT_PARALLEL_JOBS"] = str(told)
    return env


def launch(args: list[str], policy: str, told: int, tmp: Path, tag: str) -> tuple[subprocess.Popen, Path, float]:
    out = tmp / tag
    cmd = [sys.executable, "-m", "glorot.train", *args, f"results_dir={out}", "train.progress=false",
           "train.resume=false", f"hydra.run.dir={out}/run"]
    p = subprocess.Popen(cmd, cwd=ROOT, env=policy_env(policy, told), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return p, out / "run", time.perf_counter()


def finish(p: subprocess.Popen, run_dir: Path, t0: float) -> dict:
    log, _ = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"training failed (exit {p.returncode}):\n{log[-2000:]}")
    info = json.loads((run_dir / "run.json").read_text())
    return {"train_s": float(info["wall_time_s"]), "process_s": wall, "threads": info.get("threads")}


def measure(args: list[str], policy: str, n: int, told: bool, tmp: Path, tag: str) -> list[dict]:
    """``n`` runs started together under ``policy`` (told of each other or not); their times."""
    procs = [launch(args, policy, n if told else 1, tmp, f"{tag}-{i}") for i in range(n)]
    return [finish(*p) for p in procs]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from glorot.cli import Parser, positive_int  # noqa: PLC0415
    from glorot.threads import POLICIES, available_cores  # noqa: PLC0415

    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=positive_int, default=1, help="rounds of (alone, pair) per policy (default 1)")
    p.add_argument("--policies", default="legacy,passive,bounded,adaptive",
                   help="comma-separated GLOROT_THREAD_POLICY values (default: legacy,passive,bounded,adaptive)")
    p.add_argument("--told", action="store_true", help="also pairs told of each other (GLOROT_PARALLEL_JOBS=2)")
    p.add_argument("--json", default=None, help="also write the measurements here")
    p.add_argument("train_args", nargs="*", help=f"glorot.train overrides (default: {' '.join(DEFAULT_ARGS)})")
    a = p.parse_args(argv)
    policies = [x.strip() for x in a.policies.split(",") if x.strip()]
    bad = [x for x in policies if x not in POLICIES]
    if bad or not policies:
        print(f"error: --policies {a.policies!r} is not valid; valid choices: {', '.join(POLICIES)}", file=sys.stderr)
        return 2
    args = a.train_args or DEFAULT_ARGS
    kinds = [("alone", 1, False), ("pair", 2, False)] + ([("pair_told", 2, True)] if a.told else [])
    res: dict[str, dict[str, list]] = {pol: {k: [] for k, _, _ in kinds} for pol in policies}
    with tempfile.TemporaryDirectory(prefix="glorot-contention-") as tmp:
        tmp = Path(tmp)
        for r in range(a.repeats):
            for kind, n, told in kinds:
                for pol in policies:
                    got = measure(args, pol, n, told, tmp, f"{pol}-{kind}-{r}")
                    res[pol][kind].append(got)
                    print(f"repeat {r + 1}/{a.repeats} {pol:>7} {kind:<9}: "
                          + ", ".join(f"train {g['train_s']:.1f} s ({g['threads']} thr), process {g['process_s']:.1f} s"
                                      for g in got), flush=True)
    print(f"\n{' '.join(args)} on {available_cores()} core(s); load average before the end: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    head = f"{'policy':<9}{'alone s':>9}" + "".join(f"{k + ' s':>13}{k + '/alone':>16}" for k, _, _ in kinds[1:])
    print(head)
    summary = {}
    for pol in policies:
        alone = statistics.median(g[0]["train_s"] for g in res[pol]["alone"])
        row = {"alone_s": alone}
        line = f"{pol:<9}{alone:>9.1f}"
        for kind, _, _ in kinds[1:]:
            pair = statistics.median(statistics.mean(x["train_s"] for x in g) for g in res[pol][kind])
            row[f"{kind}_s"], row[f"{kind}_ratio"] = pair, pair / alone
            line += f"{pair:>13.1f}{pair / alone:>15.2f}x"
        summary[pol] = row
        print(line)
    print("ideal: two runs on two cores about 2x one alone; spinning idle threads make it worse")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"args": args, "cores": available_cores(), "policies": policies,
                                            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                            "runs": res, "summary": summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
