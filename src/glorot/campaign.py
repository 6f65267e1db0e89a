"""The GPU campaign: the paper-profile experiments cut into chunks that each fit one GPU window.

GPU time comes in 15-minute windows on a machine that keeps nothing (issue 12). So the `paper`
profile is trained chunk by chunk: a chunk is one experiment, or a part of its stack (a subset of
its seeds, then of its learning rates, inits, activations), small enough to train inside one
command at the rate the window's own benchmark just measured. Every chunk writes a complete,
final run folder (``run.json`` says ``complete``; no checkpoint has to travel back), committed under
``results/runs/<profile>/<experiment>/[<part>/]``; the plot stage reads all of them together
(``glorot.results.load`` finds every run folder below a path).

**What is done** is read off the run folders, member by member: a member (activation, init, lr,
seed) of an experiment is done when a complete run of that experiment at the same profile, width,
depth, data and updates holds it. So parts from different windows add up, and a window whose
benchmark measured another rate may cut the rest differently without redoing anything.

**The order** (by value, issue 12): the at-init experiments at width 1000; Fig. 2 (sigmoid) and the
saturation runs of Figs. 3, 4, 9, 10; Table 1's MNIST column; its Shapeset column and Fig. 11;
relu30 and the pitfalls; then the long `paper_full` budget of Fig. 2, the saturation runs and
Table 1.

    python scripts/campaign.py status [--bench results/bench/<gpu>.json]   # the chunk table
    python scripts/campaign.py run --deadline-s 420 --bench <json>         # train the next chunks
    python scripts/campaign.py ingest <records.tar.gz>                     # unpack returned records
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from glorot.nn import Member
from glorot.plan import Cost, cost, newest_bench, rate_at, rates_from_bench
from glorot.record import record_schedule
from glorot.trainer import build_members

ROOT = Path(__file__).resolve().parents[2]

#: the paper-profile experiments in the order of value (issue 12, "What to build", item 2)
PAPER_ORDER = [
    "init_tanh",          # Figs. 6-8 at width 1000, Jacobian singular values
    "init_relu",          # Figs. 6-8 for ReLU
    "pitfall_linear",     # pitfall at init (fixed width 400)
    "pitfall_leaky",      # pitfall at init (fixed width 500, 30 layers)
    "depth30",            # mean-field theory at depth 30, width 1000, at init (~13 GB of weights at 3 seeds)
    "fig2_sigmoid",       # Fig. 2: the escape from saturation, tens of thousands of updates in
    "saturation",         # Figs. 3, 4, 9, 10
    "table1",             # Table 1, MNIST column; Fig. 12
    "shapeset_table1",    # Table 1, Shapeset column; Fig. 11
    "shapeset_sigmoid4",  # Fig. 11's sigmoid depth-4 line
    "relu30",             # He et al. at width 1000
    "pitfall_zeros",
    "pitfall_scale",
]
#: later chunks: the long budget, where the slow effects live
FULL_ORDER = ["fig2_sigmoid", "saturation", "table1"]

#: campaign name -> ordered (profile, experiment) units
CAMPAIGNS: dict[str, list[tuple[str, str]]] = {
    "paper": [("paper", e) for e in PAPER_ORDER] + [("paper_full", e) for e in FULL_ORDER],
    "smoke": [("smoke", e) for e in PAPER_ORDER],  # the same path at seconds of cost (tests, --smoke)
}

#: the axes a stack is cut along, coarsest first: (member attribute, stack list)
SPLIT_AXES = [("seed", "seeds"), ("lr", "lrs"), ("init", "inits"), ("activation", "activations")]

#: rates (5x1000-equivalent member-updates/s by stack size K) used when no bench JSON is at hand:
#: PERFORMANCE.md's H100 measurements of this engine, eager (the conservative choice)
FALLBACK_GPU_RATES = {1: 1125.0, 10: 11390.0, 100: 22527.0, 200: 25703.0}

#: time estimate = training at the measured rate x MARGIN (+ RECORD_MARGIN with the recorder on)
#: + START_S (Python, CUDA and data start-up, evaluation); an at-initialization run: INIT_S
MARGIN, RECORD_MARGIN, START_S, INIT_S = 1.10, 0.15, 25.0, 30.0

#: compressed bytes per row of the recorder's tables and of metrics.csv, measured here: histograms
#: 7.2 B/row while training (saturation, width 200, 2,000 updates: 1.41 MB / 197,200 rows; a
#: saturated sigmoid compresses to 4.5) and 19.8 B/row at initialization (quick init_tanh:
#: 229 kB / 11,600 rows: no empty bins); stats 7.7 B/row; metrics.csv ~55 B/row. They say how
#: large a chunk's committed records will be (within ~20% on the runs measured)
BYTES_PER_HIST_ROW, BYTES_PER_HIST_ROW_INIT, BYTES_PER_STAT_ROW, BYTES_PER_METRIC_ROW = 7.2, 19.8, 7.7, 55.0
STATS_PER_SLOT = 8.4  # stat rows per (layer, signal) and record step: 968 / (4 members x 29 slots)

_COMPOSED: dict[tuple, object] = {}


def compose(profile: str, experiment: str, overrides: list[str] | tuple = ()):
    """The config ``python -m glorot.train experiment=<experiment> profile=<profile>`` gets
    (composed once per process: a campaign plans again after every chunk)."""
    key = (profile, experiment, tuple(overrides))
    if key not in _COMPOSED:
        _COMPOSED[key] = _compose(profile, experiment, overrides)
    return _COMPOSED[key]


def _compose(profile: str, experiment: str, overrides):
    from hydra import compose as hydra_compose  # noqa: PLC0415
    from hydra import initialize_config_dir  # noqa: PLC0415
    from hydra.core.global_hydra import GlobalHydra  # noqa: PLC0415

    from glorot.config import register  # noqa: PLC0415

    register()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return hydra_compose(config_name="config",
                             overrides=[f"experiment={experiment}", f"profile={profile}", *overrides])


def member_key(activation, init, lr, seed) -> tuple:
    return (str(activation), str(init), round(float(lr), 12), int(seed))


def _key(m: Member) -> tuple:
    return member_key(m.activation, m.init, m.lr, m.seed)


def done_members(exp_dir: Path, cfg) -> set[tuple]:
    """Member keys held by complete runs below ``exp_dir`` that match ``cfg``'s budget and shape."""
    done: set[tuple] = set()
    if not exp_dir.exists():
        return done
    for mcsv in sorted(exp_dir.rglob("members.csv")):
        run = mcsv.parent
        try:
            info = json.loads((run / "run.json").read_text())
            members = pd.read_csv(mcsv)
        except (OSError, ValueError):
            continue
        if info.get("status") != "complete" or int(info.get("updates", -1)) != int(cfg.train.updates):
            continue
        for r in members.itertuples():
            if (int(r.width) == int(cfg.model.width) and int(r.depth) == int(cfg.model.depth)
                    and str(r.data) == str(cfg.data.name)):
                done.add(member_key(r.activation, r.init, r.lr, r.seed))
    return done


def experiment_complete(exp_dir: Path, cfg) -> bool:
    """Every member of ``cfg`` is held by a complete run below ``exp_dir``: one run of the whole
    experiment, or chunks from several GPU windows that add up (what ``make reproduce`` skips)."""
    done = done_members(Path(exp_dir), cfg)
    return bool(done) and all(_key(m) in done for m in build_members(cfg))


@dataclass
class Chunk:
    """One command's worth of training: an experiment, or a part of its stack."""

    profile: str
    experiment: str
    restrict: dict[str, list] = field(default_factory=dict)  # stack list -> subset ({} = whole)
    members: list[Member] = field(default_factory=list)
    cost: Cost | None = None
    seconds: float | None = None  # estimated wall time at the given rates
    record_bytes: int = 0  # estimated size of the committed records
    fits: bool = True  # False: even one member exceeds the budget

    @property
    def part(self) -> str:
        """The run folder's name below the experiment's ("" for the whole experiment)."""
        bits = []
        for _, lst in SPLIT_AXES:
            if lst in self.restrict:
                vals = "-".join(f"{v:g}" if isinstance(v, float) else str(v) for v in self.restrict[lst])
                bits.append({"seeds": "seed", "lrs": "lr"}.get(lst, "") + vals)
        return re.sub(r"[^A-Za-z0-9._-]", "~", "_".join(bits))

    def run_dir(self, results_dir: str | Path) -> Path:
        d = Path(results_dir) / "runs" / self.profile / self.experiment
        return d / self.part if self.part else d

    def overrides(self) -> list[str]:
        out = []
        for lst, vals in self.restrict.items():
            items = ",".join(repr(v) if isinstance(v, str) else f"{v!r}" for v in vals)
            out.append(f"stack.{lst}=[{items}]")
        return out

    @property
    def label(self) -> str:
        return f"{self.profile}/{self.experiment}" + (f"/{self.part}" if self.part else "")


def stack_axes(cfg) -> dict[str, list]:
    """The values of each stack list as build_members sees them (an empty list: the single value)."""
    return {"activations": [str(v) for v in (list(cfg.stack.activations) or [cfg.activation.name])],
            "inits": [str(v) for v in (list(cfg.stack.inits) or [cfg.init.name])],
            "lrs": [float(v) for v in (list(cfg.stack.lrs) or [cfg.optim.lr])],
            "seeds": [int(v) for v in (list(cfg.stack.seeds) or [cfg.seed])]}


def _members_of(axes: dict[str, list], restrict: dict[str, list]) -> list[Member]:
    ax = {**axes, **restrict}
    return [Member(a, i, lr, s) for a, i, lr, s in
            itertools.product(ax["activations"], ax["inits"], ax["lrs"], ax["seeds"])]


def record_bytes(cfg, n_members: int) -> int:
    """Estimated size of one run's committed records (metrics.csv + the recorder's parquet files)."""
    total = int(cfg.train.updates)
    evals = 0 if total == 0 else len(range(0, total, max(1, math.ceil(cfg.train.eval_every_examples
                                                                      / cfg.optim.batch_size)))) + 1
    size = n_members * evals * 3 * BYTES_PER_METRIC_ROW
    rec = cfg.record
    if rec.enabled:
        steps = len(record_schedule(total, int(rec.every), int(rec.early)))
        depth = int(cfg.model.depth)
        slots = sum(depth if s == "act" else depth + 1 for s in rec.signals)
        size += n_members * steps * slots * STATS_PER_SLOT * BYTES_PER_STAT_ROW
        if rec.hist:
            per_row = BYTES_PER_HIST_ROW_INIT if total == 0 else BYTES_PER_HIST_ROW
            size += n_members * steps * slots * int(rec.bins) * per_row
        if rec.jacobian:
            size += 1500 * n_members  # jacobian.parquet: a few rows per layer and member
    return int(size) + 4000  # run.json, members.csv, config.yaml, train.log


class Estimator:
    """Wall time of a stack of k members of cfg's network: the engine's measured rate at stack
    size k (5x1000-equivalents, :func:`glorot.plan.rate_at`) with a margin, plus start-up."""

    def __init__(self, rates: dict[int, float] | float | None):
        self.rates = rates

    def seconds(self, c: Cost, recorded: bool) -> float | None:
        if c.updates == 0:
            return INIT_S
        if not self.rates:
            return None
        rate = rate_at(self.rates, c.members) if isinstance(self.rates, dict) else float(self.rates)
        margin = MARGIN + (RECORD_MARGIN if recorded else 0.0)
        return c.equivalents / rate * margin + START_S


def _make_chunk(profile, experiment, cfg, axes, restrict, est: Estimator) -> Chunk:
    members = _members_of(axes, restrict)
    restrict = {lst: v for lst, v in restrict.items() if list(v) != list(axes[lst])}  # no-op cuts: unnamed
    c = cost(experiment, cfg)
    c = Cost(experiment, len(members), c.updates, c.weights)
    secs = est.seconds(c, bool(cfg.record.enabled))
    return Chunk(profile, experiment, dict(restrict), members, c, secs, record_bytes(cfg, len(members)))


def split(profile: str, experiment: str, cfg, remaining: list[Member], est: Estimator,
          budget_s: float | None) -> list[Chunk]:
    """Cut the ``remaining`` members of one experiment into chunks that each fit ``budget_s``
    (estimated with ``est``; None: no limit). The whole stack if it is all remaining and fits;
    else along SPLIT_AXES, coarsest first: at each level the first units (e.g. one seed with all
    its learning rates, inits and activations) that are wholly remaining, packed together while
    they fit. A single member that does not fit still makes a chunk, marked ``fits=False``."""
    axes = stack_axes(cfg)
    left = [m for m in remaining]
    chunks: list[Chunk] = []

    def ok(ch: Chunk) -> bool:
        return budget_s is None or ch.seconds is None or ch.seconds <= budget_s

    all_keys = {_key(m) for m in _members_of(axes, {})}
    if {_key(m) for m in left} == all_keys:
        whole = _make_chunk(profile, experiment, cfg, axes, {}, est)
        if ok(whole):
            return [whole]
    while left:
        left_keys = {_key(m) for m in left}
        chosen = None
        for level in range(1, len(SPLIT_AXES) + 1):
            fixed = [lst for _, lst in SPLIT_AXES[:level]]
            last = fixed[-1]
            # units at this level: one value of each of the first `level` axes, in stack order
            for prefix in itertools.product(*[axes[lst] for lst in fixed[:-1]]):
                base = dict(zip(fixed[:-1], ([v] for v in prefix)))
                group: list = []
                for v in axes[last]:
                    restrict = {**base, last: [v]}
                    unit_keys = {_key(m) for m in _members_of(axes, restrict)}
                    if not unit_keys <= left_keys:
                        if group:
                            break  # keep the packed values contiguous in stack order
                        continue
                    trial = _make_chunk(profile, experiment, cfg, axes, {**base, last: group + [v]}, est)
                    if ok(trial):
                        group.append(v)
                    elif group:
                        break
                    elif level == len(SPLIT_AXES):  # a single member too big: take it anyway
                        chosen = trial
                        chosen.fits = False
                        break
                    else:
                        break  # this unit must be cut finer
                if chosen is None and group:
                    chosen = _make_chunk(profile, experiment, cfg, axes, {**base, last: group}, est)
                if chosen is not None:
                    break
            if chosen is not None:
                break
        if chosen is None:  # cannot happen: a single remaining member is always a unit
            raise AssertionError(f"no chunk found for {experiment}: {left}")
        chunks.append(chosen)
        taken = {_key(m) for m in chosen.members}
        left = [m for m in left if _key(m) not in taken]
    return chunks


@dataclass
class Unit:
    """One (profile, experiment) of a campaign and what is left of it."""

    profile: str
    experiment: str
    n_members: int
    n_done: int
    chunks: list[Chunk]  # the remaining members, cut to the budget

    @property
    def done(self) -> bool:
        return self.n_done >= self.n_members


def plan_campaign(campaign: str, results_dir: str | Path, rates=None, budget_s: float | None = 420.0,
                  overrides: list[str] | tuple = (), first_only: bool = False) -> list[Unit]:
    """Every unit of ``campaign`` with its remaining chunks, read off ``results_dir``/runs
    (with ``first_only``: up to the first unit that is not done)."""
    if campaign not in CAMPAIGNS:
        raise ValueError(f"campaign {campaign!r} is not valid; valid choices: {', '.join(CAMPAIGNS)}")
    est = Estimator(rates)
    units = []
    for profile, exp in CAMPAIGNS[campaign]:
        cfg = compose(profile, exp, overrides)
        members = build_members(cfg)
        done = done_members(Path(results_dir) / "runs" / profile / exp, cfg)
        remaining = [m for m in members if _key(m) not in done]
        chunks = split(profile, exp, cfg, remaining, est, budget_s) if remaining else []
        units.append(Unit(profile, exp, len(members), len(members) - len(remaining), chunks))
        if first_only and chunks:
            break
    return units


def _hms(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 60}:{s % 60:02d}" if s < 3600 else f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def status_table(units: list[Unit]) -> str:
    """The chunk table: one line per remaining chunk (done units in one line each)."""
    head = (f"{'#':>3} {'state':<5} {'chunk':<52} {'members':>7} {'updates':>9} {'5x1000-eq':>11} "
            f"{'est. time':>9} {'records':>8}")
    lines = [head]
    n, first = 0, True
    for u in units:
        if u.done:
            lines.append(f"{'':>3} {'done':<5} {u.profile + '/' + u.experiment:<52} {u.n_members:>7}")
            continue
        for ch in u.chunks:
            n += 1
            state = "next" if first else ""
            first = False
            flag = "" if ch.fits else "  (over budget: one member)"
            lines.append(f"{n:>3} {state:<5} {ch.label:<52} {len(ch.members):>7} {ch.cost.updates:>9,} "
                         f"{ch.cost.equivalents:>11,.0f} {_hms(ch.seconds):>9} "
                         f"{ch.record_bytes / 1e6:>6.2f}MB{flag}")
    left = [ch for u in units for ch in u.chunks]
    secs = [ch.seconds for ch in left]
    total_s = None if any(s is None for s in secs) else sum(secs)
    lines.append(f"{len(left)} chunk(s) left, {sum(u.done for u in units)}/{len(units)} experiments done; "
                 f"est. {_hms(total_s)} of training, {sum(ch.record_bytes for ch in left) / 1e6:.1f} MB of records")
    return "\n".join(lines)


def next_chunks(units: list[Unit]) -> list[Chunk]:
    return [ch for u in units for ch in u.chunks]


def load_rates(bench: str | Path | None, cuda_graph: bool = False, gpu: bool = True):
    """Rates for sizing: from a bench JSON (the CUDA-graph rows with ``cuda_graph``, falling back to
    the eager rows), else PERFORMANCE.md's H100 eager rates on a GPU, else None."""
    if bench:
        if cuda_graph:
            try:
                return rates_from_bench(bench, "stacked_graph"), "stacked_graph"
            except ValueError:
                pass
        return rates_from_bench(bench, "stacked"), "stacked"
    return (dict(FALLBACK_GPU_RATES), "PERFORMANCE.md H100 eager (no bench JSON)") if gpu else (None, "none")


# --------------------------------------------------------------------------------------------
# Running and moving records
# --------------------------------------------------------------------------------------------

#: files of a run folder that are committed and travel back from a GPU window (never checkpoints)
RECORD_FILES = ("run.json", "members.csv", "metrics.csv", "config.yaml", "train.log", "stats.parquet",
                "hist.parquet", "jacobian.parquet", ".hydra/config.yaml", ".hydra/overrides.yaml")


def is_complete(run_dir: Path) -> bool:
    try:
        return (json.loads((run_dir / "run.json").read_text()).get("status") == "complete"
                and (run_dir / "members.csv").exists())
    except (OSError, ValueError):
        return False


def train_chunk(ch: Chunk, results_dir: str | Path, overrides: list[str], timeout_s: float | None,
                log=None) -> int:
    """Train one chunk in a subprocess (``python -m glorot.train``) into its run folder; killed at
    ``timeout_s``. Returns the exit status (124 on timeout)."""
    run_dir = ch.run_dir(results_dir)
    cmd = [sys.executable, "-m", "glorot.train", f"experiment={ch.experiment}", f"profile={ch.profile}",
           f"results_dir={results_dir}", *ch.overrides(), "train.checkpoint_every=0", *overrides,
           f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    print("$ " + " ".join(cmd), file=log or sys.stdout, flush=True)
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout_s, stdout=log, stderr=subprocess.STDOUT)
    except subprocess.TimeoutExpired:
        return 124
    return r.returncode


def pack(run_dirs: list[Path], runs_root: Path, tarball: Path) -> int:
    """Write the compact records of ``run_dirs`` (paths below ``runs_root``) into ``tarball``
    (written to a temporary name, then renamed: a half-written tarball never replaces a whole one).
    Returns its size in bytes."""
    tmp = tarball.with_name(tarball.name + ".part")
    with tarfile.open(tmp, "w:gz") as tf:
        for d in run_dirs:
            for name in RECORD_FILES:
                f = d / name
                if f.is_file():
                    tf.add(f, arcname=f.relative_to(runs_root).as_posix())
    tmp.replace(tarball)
    return tarball.stat().st_size


def ingest(source: Path, runs_root: Path, force: bool = False) -> list[Path]:
    """Unpack returned records (a tarball from :func:`pack`, or a folder of them) into
    ``runs_root`` (results/runs). Refuses members outside it and never overwrites a complete run
    unless ``force``. Returns the run folders written."""
    tarballs = sorted(source.rglob("*.tar.gz")) if source.is_dir() else [source]
    if not tarballs:
        raise FileNotFoundError(f"no *.tar.gz below {source}")
    written = []
    for tb in tarballs:
        with tarfile.open(tb, "r:gz") as tf:
            members = tf.getmembers()
            bad = [m.name for m in members if not m.isfile() or m.name.startswith("/") or ".." in Path(m.name).parts
                   or Path(m.name).name.endswith(".pt")]
            if bad:
                raise ValueError(f"{tb}: refusing entries {bad[:3]} (only plain record files below the runs folder)")
            runs = sorted({Path(m.name).parent.parent if Path(m.name).parent.name == ".hydra" else Path(m.name).parent
                           for m in members})
            for r in runs:
                target = runs_root / r
                if is_complete(target) and not force:
                    raise FileExistsError(f"{target} already holds a complete run; --force to replace it")
            for m in members:
                dest = runs_root / m.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                data = tf.extractfile(m).read()
                tmp = dest.with_name(dest.name + ".part")
                tmp.write_bytes(data)
                tmp.replace(dest)
            written += [runs_root / r for r in runs]
    return written


def ingest_bench(window_dir: Path, bench_dir: Path) -> Path | None:
    """Copy a window's bench.json to ``bench_dir``/<device>-<date>.json (kept if already there)."""
    src = window_dir / "bench.json"
    if not src.is_file():
        return None
    d = json.loads(src.read_text())
    slug = re.sub(r"[^a-z0-9]+", "-", str(d.get("device_name", "unknown")).lower()).strip("-")
    stamp = re.sub(r"[^0-9T]", "", str(d.get("date", "")))[:13].replace("T", "-")
    dest = bench_dir / f"{slug}-{stamp or 'undated'}.json"
    if not dest.exists():
        bench_dir.mkdir(parents=True, exist_ok=True)
        dest.write_text(src.read_text())
    return dest


def bench_for_device(bench_dir: Path, device_name: str | None) -> Path | None:
    """The newest benchmark JSON in ``bench_dir`` measured on a GPU named ``device_name`` with the
    CUDA-graph rows the campaign sizes its chunks by, or None (then a window measures its own)."""
    if not device_name:
        return None
    hit = newest_bench(bench_dir, lambda d: d.get("device_name") == device_name and any(
        r.get("engine") == "stacked_graph" for r in d.get("results", []) if isinstance(r, dict)))
    return hit[0] if hit else None


def run_campaign(campaign: str, results_dir: str | Path, deadline_s: float, rates, chunk_s: float,
                 overrides: list[str], out: Path | None, max_chunks: int | None = None) -> dict:
    """Train the next chunks of ``campaign`` while the next one's estimate fits the time left of
    ``deadline_s``; each is sized to at most ``chunk_s`` (or the time left). After each finished
    chunk the records tarball in ``out`` is rewritten, so a later failure loses nothing."""
    t0 = time.monotonic()
    results_dir = Path(results_dir)
    runs_root = results_dir / "runs"
    finished: list[Path] = []
    summary = {"campaign": campaign, "chunks": [], "stopped": None}
    log = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        log = open(out / "train.log", "a")  # noqa: SIM115
    try:
        while True:
            left = deadline_s - (time.monotonic() - t0)
            units = plan_campaign(campaign, results_dir, rates, budget_s=min(chunk_s, left), first_only=True)
            todo = next_chunks(units)
            if not todo:
                summary["stopped"] = "campaign complete"
                break
            ch = todo[0]
            if max_chunks is not None and len(summary["chunks"]) >= max_chunks:
                summary["stopped"] = f"--max-chunks {max_chunks}"
                break
            if ch.seconds is not None and ch.seconds > left:
                summary["stopped"] = f"next chunk {ch.label} needs ~{ch.seconds:.0f} s, {left:.0f} s left"
                break
            print(f"[campaign] training {ch.label}: {len(ch.members)} member(s) x {ch.cost.updates:,} updates, "
                  f"est. {_hms(ch.seconds)} ({left:.0f} s left)", flush=True)
            t1 = time.monotonic()
            rc = train_chunk(ch, results_dir, overrides, timeout_s=max(1.0, left), log=log)
            wall = time.monotonic() - t1
            run_dir = ch.run_dir(results_dir)
            ok = rc == 0 and is_complete(run_dir)
            summary["chunks"].append({"chunk": ch.label, "members": len(ch.members), "updates": ch.cost.updates,
                                      "est_s": ch.seconds, "wall_s": round(wall, 1), "rc": rc, "complete": ok,
                                      "run_dir": run_dir.relative_to(results_dir).as_posix()})
            print(f"[campaign] {ch.label}: {'complete' if ok else f'FAILED (exit {rc})'} in {wall:.0f} s "
                  f"(estimated {_hms(ch.seconds)})", flush=True)
            if not ok:
                summary["stopped"] = f"{ch.label} failed (exit {rc}{', deadline' if rc == 124 else ''})"
                break
            finished.append(run_dir)
            if out is not None:
                size = pack(finished, runs_root, out / "records.tar.gz")
                summary["records_bytes"] = size
                (out / "campaign.json").write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        if log is not None:
            log.close()
    summary["elapsed_s"] = round(time.monotonic() - t0, 1)
    if out is not None:
        (out / "campaign.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":  # a library module: say where its commands are rather than do nothing
    import sys

    sys.exit("glorot.campaign is a library module; its commands: make campaign (python scripts/campaign.py "
             "status|run|ingest --help), make gpu-window, make ingest WINDOW=...")
