#!/usr/bin/env python
"""Run every experiment of the suite at one profile, then draw every figure (``make reproduce``).

    python scripts/reproduce.py --profile quick            # the default: 6-7 min on a 2-core Intel Xeon, 8-10 on an AMD EPYC Zen 4 or Zen 3, 25 on a Zen 1
    python scripts/reproduce.py --profile smoke --out /tmp/s  # seconds: what the tests run
    python scripts/reproduce.py --profile paper            # the paper's network, ~15 min on a GPU
    python scripts/reproduce.py --profile paper_full       # 1M updates per member: hours on a GPU
    python scripts/reproduce.py --profile paper --plan --rate 25000  # what it costs, runs nothing

Runs go to <results-dir>/runs/<profile>/<experiment>/; a run whose run.json says "complete" is
skipped, and an interrupted one resumes from its last checkpoint. Figures, Table 1, verdicts and
the gallery go to --out (default: results/, or results/smoke/ for smoke).
Training never plots and plotting never trains: the two stages talk only through the run folders.

Experiments train in ``--jobs`` worker processes (default: 2 on a CPU with 2+ cores, each with its
share of the cores; they start, and import torch, while this process checks the other experiments'
configs), longest first, each worker one experiment after another; with ``--jobs 1`` in this process.
Either way Hydra composes each one exactly as ``python -m glorot.train experiment=X profile=P``
would, with the same run folder, ``.hydra/`` files, ``train.log`` and resume, so the interpreter,
torch and MNIST are loaded once per process; ``--subprocess`` starts one ``python -m glorot.train``
per experiment instead. The output is one line per experiment
as it starts and ends and one bar over the whole suite (member-updates done of those planned by
``glorot.plan``, with the time left). At the end, the time of each phase of each experiment (start-up,
data, init, train, batches, evaluate, record, jacobian, checkpoint, write; from each run.json's
``phases``) and of plotting is printed and written to ``<out>/reproduce_summary.json`` and ``.md``;
a run of some experiments only (``--only``) writes ``reproduce_summary_partial.*`` instead, so the
whole suite's summary (which also gives the next run's time-left estimate) is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # glorot.threads: no dependencies, safe before torch
from glorot import threads  # noqa: E402
from glorot.cli import Parser, check_writable, positive_float, positive_int  # noqa: E402

threads.configure_env()  # the wait policy (GOMP_SPINCOUNT) before torch loads (glorot.threads: why)

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
    "depth30",         # mean-field theory (issue 14): 7 activations x 5 inits at depth 30 (init only)
]

#: the phases of a run (glorot.trainer.Phases), in the order of the summary table
PHASES = ("startup", "data", "init", "train", "batches", "evaluate", "record", "jacobian", "checkpoint",
          "write", "other")


def is_complete(run_dir: Path, profile: str | None = None, overrides: list[str] | None = None) -> bool:
    """The experiment's run folder is complete, or (with ``profile``) complete runs below it hold
    every member: the chunks a GPU campaign trained in several windows (glorot.campaign)."""
    from glorot import campaign  # noqa: PLC0415

    if campaign.is_complete(run_dir):
        return True
    if profile is None or not run_dir.is_dir() or not any(run_dir.rglob("members.csv")):
        return False
    return campaign.experiment_complete(run_dir, campaign.compose(profile, run_dir.name, list(overrides or [])))


def preflight(todo: list[str], profile: str, results_dir: str, overrides: list[str],
              first_ok: Callable[[], object] | None = None) -> tuple[str | None, dict]:
    """Compose every experiment with the overrides and run glorot.train's checks (keys, values, data,
    device, the results folder) before anything trains: (the one-line refusal, {}), or (None, the
    composed config of each experiment, which :func:`planned_updates` reuses). ``first_ok`` is
    called once the first experiment has passed (a bad override is refused before it is called)."""
    from hydra import compose, initialize_config_dir  # noqa: PLC0415

    from glorot import config as C  # noqa: PLC0415
    from glorot.train import explain  # noqa: PLC0415

    C.register()
    cfgs = {}
    try:
        with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
            for exp in todo:
                cfg = cfgs[exp] = compose(config_name="config",
                                          overrides=[f"experiment={exp}", f"profile={profile}",
                                                     f"results_dir={results_dir}", *overrides])
                C.check_keys(cfg)
                C.check_values(cfg)
                C.check_data(cfg)
                C.check_names(cfg)
                C.check_device(cfg)
                if first_ok is not None and len(cfgs) == 1:
                    first_ok()
        C.check_output(Path(results_dir) / "runs" / profile, 1 << 20)
    except Exception as e:  # noqa: BLE001
        line = explain(e)
        if line is None:
            raise
        return line, {}
    return None, cfgs


def _train_argv(exp: str, profile: str, results_dir: str, overrides: list[str]) -> list[str]:
    return [f"experiment={exp}", f"profile={profile}", f"results_dir={results_dir}", *overrides]


def train_subprocess(args: list[str], env: dict) -> int:
    """``python -m glorot.train ARGS`` in its own process (``--subprocess``)."""
    return subprocess.run([sys.executable, "-m", "glorot.train", *args], cwd=ROOT, env=env).returncode


def train_in_process(args: list[str]) -> int:
    """``python -m glorot.train ARGS`` in this process: the same Hydra entry point, with the same
    argv, working directory (the repository root) and hence the same run folder, ``.hydra/`` files,
    ``train.log`` and ``run.json`` command. Returns its exit status."""
    import glorot.train as entry  # noqa: PLC0415
    from hydra._internal.utils import _run_hydra, get_args_parser  # noqa: PLC0415
    from hydra.core.global_hydra import GlobalHydra  # noqa: PLC0415

    argv, cwd = sys.argv, os.getcwd()
    sys.argv = [entry.__file__, *args]
    os.chdir(ROOT)
    try:
        # what @hydra.main does, with the config directory given as the absolute path that the
        # script's relative config_path resolves to (Hydra records the same source in hydra.yaml);
        # the task name is the module's last part, "train", as for the script
        parser = get_args_parser()
        _run_hydra(args=parser.parse_args(args), args_parser=parser, task_function=entry.main.__wrapped__,
                   config_path=str(ROOT / "configs"), config_name="config")
        return 0
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = argv
        os.chdir(cwd)
        GlobalHydra.instance().clear()


class Lines(io.TextIOBase):
    """A text stream that hands each complete line to ``emit(line)`` (without its newline). While
    ``make reproduce`` shows its bar on a terminal it stands in for each worker's stdout and stderr
    (``emit`` sends the line to the parent) and for the parent's own stdout during an in-process
    run, so that the runs' log lines (Hydra's console handler, warnings, a traceback) are printed
    above the bar by ``tqdm.write`` instead of onto the bar's line."""

    def __init__(self, emit: Callable[[str], None]):
        super().__init__()
        self.emit = emit
        self.buf = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:  # no bar of its own under the parent's
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"

    def write(self, s: str) -> int:
        self.buf += s
        *whole, self.buf = self.buf.split("\n")
        for line in whole:
            self.emit(line)
        return len(s)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.buf:
            self.emit(self.buf)
            self.buf = ""
        super().close()


@contextlib.contextmanager
def lines_above(bar):
    """While ``bar`` is on the terminal, what this process prints on stdout (the in-process runs'
    log lines) goes above it line by line (``bar.write``). stderr stays as it is: a run's own bar
    draws there, nested under this one."""
    if bar.disable:
        yield
        return
    out = sys.stdout

    def emit(line: str) -> None:
        # tqdm clears the bars before a write to sys.stdout or sys.stderr: the real one, for that
        was, sys.stdout = sys.stdout, out
        try:
            bar.write(line, file=out)
        finally:
            sys.stdout = was

    sys.stdout = Lines(emit)
    try:
        yield
    finally:
        sys.stdout = out


# -- parallel workers (--jobs N): each is one process that trains experiment after experiment ----
_QUEUE = None
_INTERRUPTED = False  # this worker got an interrupt (Ctrl-C reaches every process of the group)
_RUNNING = False  # this worker is running an experiment


def _interrupt(signum, frame) -> None:
    """SIGINT in a worker: the running experiment stops as on Ctrl-C (its last checkpoint is whole);
    an idle worker only remembers it, and exits when the parent shuts the pool down."""
    global _INTERRUPTED
    if _INTERRUPTED:  # the parent passes a stop on (Workers.close): once is enough
        return
    _INTERRUPTED = True
    if _RUNNING:
        raise KeyboardInterrupt


def _worker_init(queue, relay: bool = False) -> None:
    """In a worker process: report member-updates and starts to the parent through ``queue``, and
    remember an interrupt, after which the worker starts no experiment (the pool hands each worker
    its next one ahead of time, before the parent can cancel it). ``relay``: the parent shows its
    bar on a terminal, so this worker's stdout and stderr go to the parent line by line, to be
    printed above the bar."""
    global _QUEUE
    _QUEUE = queue
    if relay:
        pid = os.getpid()
        sys.stdout = Lines(lambda line: _QUEUE.put(("stdout", pid, line)))
        sys.stderr = Lines(lambda line: _QUEUE.put(("stderr", pid, line)))
    import signal  # noqa: PLC0415

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # a kill of the whole group: the same
        signal.signal(signal.SIGTERM, _interrupt)
    import glorot.trainer as trainer  # noqa: PLC0415

    trainer.progress_hook = lambda n: _QUEUE.put(("updates", os.getpid(), n))
    trainer.run_bar = False  # several runs at once: only the parent's bar


def _worker_run(exp: str, args: list[str]) -> tuple[str, int, float]:
    global _RUNNING
    if _INTERRUPTED:
        return exp, 130, 0.0
    _QUEUE.put(("start", os.getpid(), exp))
    t0 = time.perf_counter()
    _RUNNING = True
    try:
        rc = train_in_process(args)
    finally:
        _RUNNING = False
    _QUEUE.put(("end", os.getpid(), exp))
    return exp, rc, time.perf_counter() - t0


def _worker_warm() -> int:
    """A worker's first task: import what :func:`train_in_process` runs (torch, Hydra, glorot.train)."""
    import glorot.train  # noqa: F401, PLC0415
    from hydra._internal.utils import _run_hydra  # noqa: F401, PLC0415

    return os.getpid()


class Workers:
    """``jobs`` worker processes for :func:`run_parallel`, started at once: a fresh interpreter each
    (spawn: the thread policy is set before torch loads), told their share of the cores
    (``GLOROT_PARALLEL_JOBS`` in their environment only: glorot.threads), each importing torch,
    Hydra and glorot.train as its first task. ``main`` starts them once the first experiment has
    passed the pre-run checks, so those imports (2-3 s) run while this process composes the others."""

    def __init__(self, jobs: int, relay: bool | None = None):
        import multiprocessing as mp  # noqa: PLC0415
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        ctx = mp.get_context("spawn")
        self.jobs = jobs
        self.queue = ctx.Queue()
        # the workers' output goes through the parent while its bar is shown (stderr a terminal)
        self.relay = sys.stderr.isatty() if relay is None else relay
        self.ex = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init,
                                      initargs=(self.queue, self.relay))
        before = os.environ.get("GLOROT_PARALLEL_JOBS")
        os.environ["GLOROT_PARALLEL_JOBS"] = str(jobs)  # each worker takes cores // jobs threads
        try:
            for _ in range(jobs):  # each submit to a pool with no idle worker spawns one
                self.ex.submit(_worker_warm)
        finally:
            if before is None:
                del os.environ["GLOROT_PARALLEL_JOBS"]
            else:
                os.environ["GLOROT_PARALLEL_JOBS"] = before

    def close(self, grace: float = 0.0, interrupt: bool = False) -> None:
        """Stop the workers: experiments not started are cancelled; a worker still busy after
        ``grace`` seconds is terminated (at once for workers still importing: a refusal, or nothing
        left to train; after an interrupt, time for the runs to say where they stopped). ``interrupt``:
        pass the interrupt on to the workers (a SIGTERM or SIGHUP reached this process alone; Ctrl-C
        reaches them too, and a worker takes it once). A run stopped mid-way resumes from its last
        checkpoint, as after any interrupt."""
        import signal  # noqa: PLC0415
        from multiprocessing.connection import wait  # noqa: PLC0415

        procs = list((getattr(self.ex, "_processes", None) or {}).values())
        self.ex.shutdown(wait=False, cancel_futures=True)
        for proc in procs if interrupt else ():
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(proc.pid, signal.SIGINT)
        # a process's sentinel is ready once it has ended; is_alive() and join() are not to be
        # trusted here, since the pool's own thread may reap the same processes concurrently
        wait([p.sentinel for p in procs], timeout=grace)
        for proc in procs:
            if not wait([proc.sentinel], timeout=0):
                proc.terminate()
        left = [p.sentinel for p in procs]
        while left:
            ready = wait(left)
            left = [x for x in left if x not in ready]

    def relayed(self) -> list[tuple[str, str]]:
        """The (stream, line) pairs the workers relayed that nobody printed yet (what a run said as
        it stopped, after an interrupt); the queue's other messages are dropped."""
        from queue import Empty  # noqa: PLC0415

        out = []
        try:
            while True:
                kind, _, val = self.queue.get(timeout=0.05)
                if kind in ("stdout", "stderr"):
                    out.append((kind, val))
        except (Empty, OSError, ValueError):
            return out


def run_parallel(pending: list[str], workers: Workers, a, hook, started, finished,
                 echo: Callable[[str, str], None]) -> bool:
    """Train ``pending`` on ``workers`` (each with its share of the cores: glorot.threads; the
    numbers do not depend on the thread count), in order, the next one as a worker frees up.
    ``echo(line, stream)`` prints a line a worker relayed ("stdout" or "stderr")."""
    from concurrent.futures import FIRST_COMPLETED, wait  # noqa: PLC0415
    from queue import Empty  # noqa: PLC0415

    queue, ex = workers.queue, workers.ex
    current: dict[int, str] = {}

    def drain(timeout: float) -> None:
        try:
            while True:
                kind, pid, val = queue.get(timeout=timeout)
                timeout = 0.0
                if kind == "start":
                    current[pid] = val
                    started(val)
                elif kind == "updates" and pid in current:
                    hook(val, current[pid])
                elif kind in ("stdout", "stderr"):
                    echo(val, kind)
        except Empty:
            return

    ok = True
    futs = {ex.submit(_worker_run, exp, _train_argv(exp, a.profile, a.results_dir, a.overrides))
            for exp in pending}
    while futs:  # an interrupt leaves the workers to Workers.close (no experiment starts after it)
        done_now, futs = wait(futs, timeout=0.2, return_when=FIRST_COMPLETED)
        drain(0.05)
        for f in done_now:
            exp, rc, wall = f.result()
            drain(0.05)
            if not finished(exp, rc, wall):
                ok = False
        if not ok:
            for f in futs:
                f.cancel()
            wait(futs)
            break
    ex.shutdown(wait=True)
    drain(0.05)  # the last lines the workers relayed (the pool is idle: they come at once)
    return ok


def walls_in(summary: dict) -> dict[str, float]:
    """Wall seconds per experiment in one summary: a trained run's own, a skipped run's earlier one
    (``earlier_wall_s``: a run of the suite that skips everything keeps what the next needs)."""
    walls = {}
    for r in summary["experiments"]:
        w = r.get("wall_s") if r.get("status") == "trained" else r.get("earlier_wall_s")
        if w:
            walls[r["experiment"]] = float(w)
    return walls


def previous_walls(pending: list[str], summary: Path | list[Path], profile: str | None = None) -> dict[str, float]:
    """Wall seconds of each of ``pending`` in the first of ``summary`` (``reproduce_summary.json``
    files: the output folder's, then the repository's committed one) that has them all and was
    written for ``profile`` (any profile when None); {} if none has."""
    for path in [summary] if isinstance(summary, Path) else summary:
        try:
            d = json.loads(path.read_text())
            if profile is not None and d.get("profile") not in (None, profile):
                continue
            prev = walls_in(d)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if all(e in prev for e in pending):
            return prev
    return {}


def summaries(out: Path) -> list[Path]:
    """Where the last wall times are looked for: the output folder's summary, then the one committed
    in the repository (results/), so that a fresh clone, or a new --out, is scheduled by real times."""
    return [out / "reproduce_summary.json", ROOT / "results" / "reproduce_summary.json"]


def longest_first(pending: list[str], planned: dict[str, int], summary: Path | list[Path],
                  profile: str | None = None) -> list[str]:
    """``pending`` in the order that keeps N workers busy to the end: longest first, by the wall
    times of the last summary (:func:`previous_walls`: an at-init experiment trains nothing and still
    takes 20 s, relu30's 40,000 member-updates take as long as table1's 240,000), else by planned
    member-updates. The runs do not depend on it."""
    prev = previous_walls(pending, summary, profile)
    return sorted(pending, key=lambda e: -(prev[e] if prev else planned.get(e, 0)))


def fraction_done(pending: list[str], planned: dict[str, int], counted: dict[str, int], finished: set[str],
                  prev: dict[str, float]) -> float:
    """How much of the suite's training is done: each experiment's share of its own member-updates
    (1 once it finished; an at-init one has none to count until then), weighted by its wall time in
    the last run (``prev``) where that is known for all, else by its member-updates."""
    weight = prev if prev else {e: float(planned.get(e, 0)) for e in pending}
    total = sum(weight[e] for e in pending)
    if total <= 0:
        return 0.0

    def share(e):
        if e in finished:
            return 1.0
        return min(1.0, counted.get(e, 0) / planned[e]) if planned.get(e) else 0.0
    return sum(weight[e] * share(e) for e in pending) / total


def default_jobs(overrides: list[str]) -> int:
    """Experiments trained at once: 2 on a CPU with 2 or more cores (the quick profile's small
    networks gain little from a second thread, much from a second run), 1 on a GPU."""
    if any(o.replace(" ", "").startswith("train.device=cuda") for o in overrides):
        return 1
    return 2 if threads.available_cores() >= 2 else 1


def planned_updates(todo: list[str], cfgs: dict) -> dict[str, int]:
    """Member-updates per experiment (glorot.plan's arithmetic: members x updates) from the configs
    :func:`preflight` composed (composing all 13 again took about 1.3 s)."""
    from glorot.plan import cost  # noqa: PLC0415

    return {e: cost(e, cfgs[e]).member_updates for e in todo}


def _fmt_s(s: float) -> str:
    s = max(0.0, float(s))
    return f"{s:.0f} s" if s < 90 else f"{int(s // 60)} min {int(s % 60):02d} s"


def run_phases(run_dir: Path, wall: float | None) -> dict[str, float]:
    """The phases of a finished run (its run.json); with ``wall`` (the experiment's time as seen
    from here), ``startup`` becomes everything outside the trainer's own phases: interpreter,
    imports and Hydra for a subprocess, Hydra's composition and job set-up in this process."""
    try:
        ph = dict(json.loads((run_dir / "run.json").read_text()).get("phases") or {})
    except (OSError, json.JSONDecodeError):
        ph = {}
    if wall is not None:
        inside = sum(v for k, v in ph.items() if k != "startup")
        ph["startup"] = max(0.0, wall - inside)
    return ph


def summary_table(rows: list[dict], plot_s: float | None, total: float) -> str:
    """The summary as a markdown table: seconds per phase per experiment, shares in the last row."""
    cols = [c for c in PHASES if any(r["phases"].get(c) for r in rows)]
    head = "| experiment | status | wall s | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (3 + len(cols))]
    sums = dict.fromkeys(cols, 0.0)
    for r in rows:
        ph = r["phases"]
        for c in cols:
            sums[c] += ph.get(c, 0.0) if r["status"] == "trained" else 0.0
        wall = f"{r['wall_s']:.1f}" if r["wall_s"] is not None else "-"
        lines.append(f"| {r['experiment']} | {r['status']} | {wall} | "
                     + " | ".join(f"{ph.get(c, 0.0):.1f}" for c in cols) + " |")
    trained = sum(sums.values())
    if trained:
        lines.append("| **all trained** | | " + f"{trained:.1f} | "
                     + " | ".join(f"{sums[c]:.1f} ({100 * sums[c] / trained:.0f}%)" for c in cols) + " |")
    lines.append("")
    lines.append(f"plotting: {plot_s:.1f} s" if plot_s is not None else "plotting: skipped")
    lines.append(f"total: {total:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="quick", choices=PROFILES,
                   help="a budget from configs/profile/ (default: quick)")
    p.add_argument("--results-dir", default="results", help="where run folders go (runs/<profile>/...)")
    p.add_argument("--out", default=None, help="where figures, tables and the gallery go")
    p.add_argument("--only", nargs="*", default=None, metavar="EXPERIMENT",
                   help=f"run only these experiments (default: all of {', '.join(EXPERIMENTS)})")
    p.add_argument("--skip-plots", action="store_true", help="train only")
    p.add_argument("--subprocess", action="store_true",
                   help="train each experiment in its own `python -m glorot.train` process "
                        "(default: all in this process; the run folders are the same)")
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="experiments trained at once, each in a worker process with its share of the "
                        "cores (default: 2 on a CPU with 2+ cores, 1 with train.device=cuda); the numbers "
                        "are the same at any value")
    p.add_argument("--plan", action="store_true",
                   help="print members, updates and 5x1000-equivalent member-updates per experiment "
                        "(glorot.plan) and exit without training")
    p.add_argument("--rate", type=positive_float, default=None,
                   help="with --plan: an engine's measured 5x1000-equivalent member-updates/s "
                        "(make bench) to turn the plan into times")
    p.add_argument("--bench", default=None, metavar="JSON",
                   help="with --plan: a `make bench` JSON; each experiment gets the measured rate of its stack size")
    p.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run (e.g. train.device=cuda)")
    a = p.parse_args(argv)

    if a.only:
        a.only = [e for item in a.only for e in item.split(",") if e]  # "table1,relu30" as Hydra writes lists
    unknown = [e for e in (a.only or []) if e not in EXPERIMENTS]
    if unknown:
        print(f"error: unknown experiment(s) {unknown}; valid choices: {', '.join(EXPERIMENTS)}", file=sys.stderr)
        return 2
    todo = a.only or EXPERIMENTS
    if (a.rate or a.bench) and not a.plan:
        # without --plan they did nothing, and the suite trained (for hours at paper) as if unasked
        print(f"error: {'--rate' if a.rate else '--bench'} only sizes the table of --plan, which trains nothing; "
              "add --plan or drop it", file=sys.stderr)
        return 2
    if a.out and not (a.plan or a.skip_plots):  # before hours of training, not when plotting fails
        check_writable(p, "--out", a.out if Path(a.out).is_absolute() else ROOT / a.out)
    if a.bench:
        from glorot.plan import rates_from_bench  # noqa: PLC0415

        try:
            rates_from_bench(a.bench)
        except ValueError as e:
            print(f"error: --bench {e}", file=sys.stderr)
            return 2
    a.jobs = a.jobs or default_jobs(a.overrides)
    pool: list[Workers] = []
    interrupted = False
    import signal  # noqa: PLC0415

    def stop(signum, frame) -> None:
        """SIGTERM (a kill, a time limit) or SIGHUP (a closed terminal): stop as on Ctrl-C. They
        reach this process alone, and its workers trained on without it, at full speed."""
        raise KeyboardInterrupt

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)
                if signal.getsignal(sig) is signal.SIG_DFL}
    try:
        return _main(a, todo, pool)
    except KeyboardInterrupt:
        interrupted = True
        return 130
    finally:
        for sig in handlers:  # a second one while the workers stop would cut that short
            signal.signal(sig, signal.SIG_IGN)
        said = []
        for workers in pool:
            workers.close(grace=5.0 if interrupted else 0.0, interrupt=interrupted)
            said += workers.relayed()
        for sig, old in handlers.items():
            signal.signal(sig, old)
        if said:
            print(file=sys.stderr)  # off the bar's line
        for kind, line in said:
            print(line, file=getattr(sys, kind))
        if interrupted:
            print("\ninterrupted (no experiment starts after an interrupt); run the same command to go on: "
                  "finished runs are skipped, an interrupted one resumes from its last checkpoint",
                  file=sys.stderr)


def _main(a, todo: list[str], pool: list[Workers]) -> int:
    def start_workers() -> None:
        # the workers import torch while the checks compose the other experiments
        if a.jobs > 1 and len(todo) > 1 and not (a.plan or a.subprocess):
            pool.append(Workers(min(a.jobs, len(todo))))

    refusal, cfgs = preflight(todo, a.profile, a.results_dir, a.overrides, start_workers)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    if a.plan:
        return plan(todo, cfgs, a.profile, a.rate, a.bench)
    t_all = time.perf_counter()
    # paths relative to the repository root, as the training runs (started there) see them
    res = Path(a.results_dir) if Path(a.results_dir).is_absolute() else ROOT / a.results_dir
    out = Path(a.out) if a.out else (res / "smoke" if a.profile == "smoke" else res)
    if not out.is_absolute():
        out = ROOT / out
    runs = res / "runs" / a.profile
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    from tqdm.auto import tqdm  # noqa: PLC0415

    import glorot.trainer as trainer  # noqa: PLC0415

    threads.configure()
    planned = planned_updates(todo, cfgs)
    complete = {e: is_complete(runs / e, a.profile, a.overrides) for e in todo}
    left = {e: n for e, n in planned.items() if not complete[e]}
    total_planned = sum(left.values())
    note = gpu_profile_note(a.profile, list(left), cfgs)
    if note:
        print(note, flush=True)
    # on a terminal: one bar over the whole suite (each run's own bar nests below it and goes away)
    bar = tqdm(total=total_planned, unit="upd", unit_scale=True, dynamic_ncols=True, disable=None,
               desc=f"reproduce {a.profile}", position=0,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} member-updates "
                          "[{elapsed}<{remaining}]")
    done = {"n": 0}
    counted_by_exp: dict[str, int] = {}  # member-updates each run reported (hook)

    def hook(n: int, exp: str | None = None) -> None:
        done["n"] += n
        if exp is not None:
            counted_by_exp[exp] = counted_by_exp.get(exp, 0) + n
        bar.update(n)  # a no-op when the bar is disabled (not a terminal): ``done`` counts

    rows: dict[str, dict] = {}
    tags = {exp: f"[{i}/{len(todo)}] {exp} ({a.profile})" for i, exp in enumerate(todo, 1)}
    pending = []
    for exp in todo:
        if complete[exp]:
            bar.write(f"{tags[exp]}: complete, skipped ({runs / exp})")
            rows[exp] = {"experiment": exp, "status": "skipped", "wall_s": None,
                         "earlier_wall_s": previous_walls([exp], summaries(out), a.profile).get(exp),
                         "member_updates": planned[exp], "phases": run_phases(runs / exp, None)}
        else:
            pending.append(exp)
    prev = previous_walls(pending, summaries(out), a.profile)  # for the time left
    t_train = time.perf_counter()

    def started(exp: str) -> None:
        what = f"training {planned[exp]:,} member-updates" if planned[exp] else "recording at initialization (no updates)"
        bar.write(f"{tags[exp]}: {what} -> {runs / exp}")

    def finished(exp: str, rc: int, wall: float) -> bool:
        args = _train_argv(exp, a.profile, a.results_dir, a.overrides)
        if rc != 0:
            bar.write(f"{tags[exp]}: FAILED (exit {rc}); command: {sys.executable} -m glorot.train "
                      f"{' '.join(args)}", file=sys.stderr)
            return False
        hook(max(0, planned[exp] - counted_by_exp.get(exp, 0)))  # what it did not report (subprocess: all)
        rows[exp] = {"experiment": exp, "status": "trained", "wall_s": wall, "member_updates": planned[exp],
                     "phases": run_phases(runs / exp, wall)}
        n, eta = done["n"], ""
        trained = {e for e, r in rows.items() if r["status"] == "trained"}
        f = fraction_done(pending, planned, counted_by_exp, trained, prev)
        if 0 < f < 1:
            basis = "by the last run's times" if prev else "by member-updates"
            eta = f"; about {_fmt_s((time.perf_counter() - t_train) * (1 - f) / f)} of training left, {basis}"
        bar.write(f"{tags[exp]}: done in {_fmt_s(wall)} ({100 * n / max(1, total_planned):.0f}% of the "
                  f"member-updates{eta})")
        return True

    jobs = 1 if a.subprocess else min(a.jobs, max(1, len(pending)))
    if pool and pool[-1].jobs != jobs:  # runs already complete left fewer to train
        pool[-1].close()
        pool.pop()
    if jobs > 1 and not pool:
        pool.append(Workers(jobs))
    if jobs > 1:
        ok = run_parallel(longest_first(pending, planned, summaries(out), a.profile), pool[-1], a, hook,
                          started, finished, echo=lambda line, kind: bar.write(line, file=getattr(sys, kind)))
    else:
        ok = True
        for exp in pending:
            started(exp)
            t0 = time.perf_counter()
            args = _train_argv(exp, a.profile, a.results_dir, a.overrides)
            if a.subprocess:
                rc = train_subprocess(args, env)
            else:
                trainer.progress_hook = lambda n, exp=exp: hook(n, exp)
                try:
                    with lines_above(bar):
                        rc = train_in_process(args)
                finally:
                    trainer.progress_hook = None
            if not finished(exp, rc, time.perf_counter() - t0):
                ok = False
                break
    if not ok:
        bar.close()
        return 1
    rows = [rows[e] for e in todo if e in rows]
    bar.close()
    plot_s = None
    if not a.skip_plots:
        # every profile's runs (each claim from the strongest profile with all its runs, as the
        # committed gallery is drawn), but smoke's gallery from smoke runs only
        plot_runs = runs if a.profile == "smoke" else res / "runs"
        # --only: the claims those experiments feed, redrawn into the gallery that holds the others
        ids = claims_of(todo) if a.only else []
        print(f"plotting {plot_runs} -> {out}" + ("" if a.profile == "smoke" else
              " (each claim from the strongest profile that has all its runs)")
              + (f"; the claims of {' '.join(todo)}: {' '.join(ids)}" if ids else ""), flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "glorot.plot", "--runs", str(plot_runs), "--out", str(out),
               *(["--only", *ids] if ids else [])]
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        if r.returncode != 0:
            print(f"plotting FAILED (exit {r.returncode}); command: {' '.join(cmd)}", file=sys.stderr)
            return r.returncode
        plot_s = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    name = "reproduce_summary" if set(todo) >= set(EXPERIMENTS) else "reproduce_summary_partial"
    write_summary(out, rows, plot_s, total, a, name, jobs)
    trained = [r for r in rows if r["status"] == "trained"]
    print(f"reproduce ({a.profile}) finished in {_fmt_s(total)}; trained: "
          + (", ".join(f"{r['experiment']} {r['wall_s']:.0f} s" for r in trained) or "nothing (all complete)"))
    if not a.skip_plots:
        print(f"open {out / 'index.html'} to see every figure with its verdict")
    return 0


def claims_of(experiments: list[str]) -> list[str]:
    """The ids of the claims that read any of ``experiments`` (glorot.claims), in the claims' order."""
    from glorot import claims, table1  # noqa: PLC0415

    ids = [c.id for c in claims.all_claims() if set(c.experiments) & set(experiments)]
    if set(table1.EXPERIMENTS) & set(experiments) and "table1" not in ids:  # its Shapeset column
        ids.append("table1")
    return ids


def write_summary(out: Path, rows: list[dict], plot_s: float | None, total: float, a,
                  name: str = "reproduce_summary", jobs: int | None = None) -> None:
    """Print the phase table and write it to ``out``/``name``.{json,md}. ``jobs``: the worker
    processes that trained (``a.jobs``, or fewer where fewer runs were left to train)."""
    jobs = a.jobs if jobs is None else jobs
    from glorot.files import write_text  # noqa: PLC0415
    from glorot.trainer import cpu_model  # noqa: PLC0415

    table = summary_table(rows, plot_s, total)
    workers = not a.subprocess and jobs > 1  # the workers' environment (Workers), not this process's
    env = threads.job_env(jobs) if workers else os.environ
    print("time per phase (seconds; skipped runs show their earlier run's phases):")
    print(table)
    info = {"profile": a.profile, "mode": "subprocess" if a.subprocess else
            ("in-process" if jobs == 1 else f"{jobs} worker processes"),
            "cpu": cpu_model(), "threads": threads.wanted_threads(env), "cores": threads.available_cores(),
            "thread_policy": threads.policy(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT"),
            "total_s": round(total, 3), "plot_s": None if plot_s is None else round(plot_s, 3),
            "experiments": [{**r, "wall_s": None if r["wall_s"] is None else round(r["wall_s"], 3),
                             "phases": {k: round(v, 3) for k, v in r["phases"].items()}} for r in rows]}
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / f"{name}.json", json.dumps(info, indent=2) + "\n")
    write_text(out / f"{name}.md",
               f"# make reproduce ({a.profile}{'' if name == 'reproduce_summary' else ', ' + ' '.join(r['experiment'] for r in rows)}): time per phase\n\n{info['mode']}, {info['threads']} thread(s) "
               f"on {info['cores']} core(s) of {info['cpu']}, thread policy {info['thread_policy']} (OMP_WAIT_POLICY="
               f"{info['omp_wait_policy']}, GOMP_SPINCOUNT={info['gomp_spincount']})\n\n{table}\n")
    print(f"time per phase written to {out / name}.md and .json")


def gpu_profile_note(profile: str, pending: list[str], cfgs: dict) -> str | None:
    """A line before a profile sized for a GPU (paper, paper_full) trains on a CPU: its training
    time at the rates of the newest CPU ``make bench`` in results/bench (evaluation and recording
    not counted), and what to do instead. None for the other profiles, on a GPU, or with nothing
    left to train."""
    if profile not in ("paper", "paper_full") or not pending:
        return None
    from glorot.plan import cost, cpu_bench, rates_from_bench  # noqa: PLC0415
    from glorot.trainer import resolve_device  # noqa: PLC0415

    if resolve_device(str(cfgs[pending[0]].train.device)).type != "cpu":
        return None
    costs = [cost(exp, cfgs[exp]) for exp in pending]
    text = (f"note: profile {profile} is sized for a GPU; on this CPU its "
            f"{sum(c.member_updates for c in costs):,} member-updates would take")
    found = cpu_bench(ROOT / "results" / "bench")
    if found:
        path, d = found
        rates = rates_from_bench(path)
        hours = sum(c.seconds(rates) for c in costs) / 3600
        text += (f" at least {hours:,.0f} h at the rates `make bench` measured on {d.get('device_name', 'a CPU')} "
                 f"with {d.get('threads', '?')} threads ({os.path.relpath(path, ROOT)}; `make bench` measures yours)")
    else:
        text += " days"
    return (text + ". Train it on a GPU (train.device=cuda; README: On a GPU) or use PROFILE=quick; Ctrl-C "
            "stops it, and the same command resumes from the last checkpoints.")


def plan(todo: list[str], cfgs: dict, profile: str, rate: float | None, bench: str | None) -> int:
    """Print what each experiment would train at ``profile`` (see glorot.plan), from the configs
    :func:`preflight` composed; trains nothing."""
    from glorot.plan import cost, rates_from_bench, table  # noqa: PLC0415

    costs = [cost(exp, cfgs[exp]) for exp in todo]
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
