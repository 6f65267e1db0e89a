#!/usr/bin/env python
"""What a second process on the machine costs a training run, under the old and the new thread policy.

    python scripts/bench_contention.py                       # smoke relu30 (with the recorder)
    python scripts/bench_contention.py --repeats 2 -- experiment=saturation profile=smoke
    python scripts/bench_contention.py --json results/bench/contention.json

For each policy it times one training run alone, then two identical runs started at the same
moment, and prints contended / alone (the mean of the two contended runs over the alone run):

* ``old``: ``GLOROT_THREAD_POLICY=legacy``: OpenMP's default wait policy (idle threads spin
  before they sleep) and torch's default thread count (every core) in both processes;
* ``new``: :mod:`glorot.threads`: ``OMP_WAIT_POLICY=PASSIVE``, and each of the two processes
  started together gets ``cores // 2`` threads (``GLOROT_PARALLEL_JOBS=2``); alone, all cores.

The policies alternate within each repeat (old alone, new alone, old pair, new pair), so both see
the same machine. The times are the trainer's own ``wall_time_s`` (run.json: the training loop,
start-up excluded) and each process's wall time. On a machine that other users share the absolute
times mean little; the ratios, measured side by side, are the result. ``OMP_NUM_THREADS`` and
``GLOROT_THREADS`` are removed from the children's environment (they would override both policies).
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


def policy_env(policy: str, parallel: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "GLOROT_THREADS", "OMP_WAIT_POLICY", "GLOROT_PARALLEL_JOBS",
                        "GLOROT_THREAD_POLICY", "MKL_NUM_THREADS")}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    if policy == "old":
        env["GLOROT_THREAD_POLICY"] = "legacy"
    else:
        env["GLOROT_PARALLEL_JOBS"] = str(parallel)
    return env


def launch(args: list[str], policy: str, parallel: int, tmp: Path, tag: str) -> tuple[subprocess.Popen, Path, float]:
    out = tmp / tag
    cmd = [sys.executable, "-m", "glorot.train", *args, f"results_dir={out}", "train.progress=false",
           "train.resume=false", f"hydra.run.dir={out}/run"]
    p = subprocess.Popen(cmd, cwd=ROOT, env=policy_env(policy, parallel), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return p, out / "run", time.perf_counter()


def finish(p: subprocess.Popen, run_dir: Path, t0: float) -> dict:
    log, _ = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"training failed (exit {p.returncode}):\n{log[-2000:]}")
    info = json.loads((run_dir / "run.json").read_text())
    return {"train_s": float(info["wall_time_s"]), "process_s": wall, "threads": info.get("threads")}


def measure(args: list[str], policy: str, n: int, tmp: Path, tag: str) -> list[dict]:
    """``n`` runs started together under ``policy``; their times."""
    procs = [launch(args, policy, n, tmp, f"{tag}-{i}") for i in range(n)]
    return [finish(*p) for p in procs]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=1, help="rounds of (alone, pair) per policy (default 1)")
    p.add_argument("--json", default=None, help="also write the measurements here")
    p.add_argument("train_args", nargs="*", help=f"glorot.train overrides (default: {' '.join(DEFAULT_ARGS)})")
    a = p.parse_args(argv)
    if a.repeats < 1:
        print(f"error: --repeats {a.repeats}: must be at least 1", file=sys.stderr)
        return 2
    args = a.train_args or DEFAULT_ARGS
    sys.path.insert(0, str(ROOT / "src"))
    from glorot.threads import available_cores  # noqa: PLC0415

    res: dict[str, dict[str, list]] = {pol: {"alone": [], "pair": []} for pol in ("old", "new")}
    with tempfile.TemporaryDirectory(prefix="glorot-contention-") as tmp:
        tmp = Path(tmp)
        for r in range(a.repeats):
            for kind, n in (("alone", 1), ("pair", 2)):
                for pol in ("old", "new"):
                    got = measure(args, pol, n, tmp, f"{pol}-{kind}-{r}")
                    res[pol][kind].append(got)
                    print(f"repeat {r + 1}/{a.repeats} {pol:>3} {kind:<5}: "
                          + ", ".join(f"train {g['train_s']:.1f} s ({g['threads']} thr), process {g['process_s']:.1f} s"
                                      for g in got), flush=True)
    print(f"\n{' '.join(args)} on {available_cores()} core(s); load average before the end: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'policy':<8}{'alone s':>10}{'2 at once s':>14}{'contended/alone':>18}{'(process wall)':>16}")
    summary = {}
    for pol in ("old", "new"):
        alone = statistics.median(g[0]["train_s"] for g in res[pol]["alone"])
        pair = statistics.median(statistics.mean(x["train_s"] for x in g) for g in res[pol]["pair"])
        alone_p = statistics.median(g[0]["process_s"] for g in res[pol]["alone"])
        pair_p = statistics.median(statistics.mean(x["process_s"] for x in g) for g in res[pol]["pair"])
        summary[pol] = {"alone_s": alone, "pair_s": pair, "ratio": pair / alone,
                        "process_ratio": pair_p / alone_p}
        print(f"{pol:<8}{alone:>10.1f}{pair:>14.1f}{pair / alone:>17.2f}x{pair_p / alone_p:>15.2f}x")
    print("ideal: about 2x (two runs share the cores); the old policy's spinning threads make it worse")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps({"args": args, "cores": available_cores(), "runs": res,
                                            "summary": summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
