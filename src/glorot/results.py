"""Read run folders into tidy pandas frames (training never plots, plotting never trains).

``load(path)`` accepts one run folder, a multirun folder, or a whole results tree: every folder
below ``path`` holding a ``members.csv`` is a run. Each frame gets a ``run`` column (the run folder
relative to ``path``, ``"."`` when ``path`` is the run itself), and the per-member frames
(``metrics``, ``stats``, ``hist``, ``jacobian``) are joined with the member's axes from
``members.csv`` (activation, init, depth, width, lr, seed, data) and the run's identity from
``run.json`` (``name``: the experiment name, ``profile``)::

    from glorot.results import load
    r = load("results/runs/paper/init_tanh")
    act = r.stats.query("signal == 'act' and stat == 'std' and step == 0")
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

#: member axes copied onto every per-member frame (the ones members.csv has)
AXES = ("activation", "init", "depth", "width", "lr", "seed", "data")
#: run identity copied onto every frame
RUN_COLS = ("name", "profile")
TABLES = ("metrics", "stats", "hist", "jacobian")


@dataclass
class Results:
    """Tidy frames of one or many runs; every frame has a ``run`` column."""

    root: Path
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per run: run.json
    members: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per (run, member)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # (run, member, step, split)
    stats: pd.DataFrame = field(default_factory=pd.DataFrame)  # (run, member, step, layer, signal, stat)
    hist: pd.DataFrame = field(default_factory=pd.DataFrame)  # (run, member, step, layer, signal, bin)
    jacobian: pd.DataFrame = field(default_factory=pd.DataFrame)  # (run, member, step, layer)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(getattr(self, n))}" for n in ("runs", "members", *TABLES))
        return f"Results({self.root}: {sizes})"


def find_runs(path: str | Path) -> list[Path]:
    """Every folder at or below ``path`` with a ``members.csv``, sorted."""
    path = Path(path)
    if (path / "members.csv").exists():
        return [path]
    return sorted(p.parent for p in path.rglob("members.csv"))


def _read(path: Path, name: str, columns=None) -> pd.DataFrame | None:
    p = path / name
    if not p.exists():
        return None
    if p.suffix == ".csv":
        return pd.read_csv(p)
    return pd.read_parquet(p, columns=columns)


def load(path: str | Path, tables=TABLES) -> Results:
    """Load every run at or below ``path``. ``tables``: which per-step tables to read (the
    histograms are the big one: leave ``"hist"`` out when a figure does not need it)."""
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"no results at {root}")
    runs, members = [], []
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for run_dir in find_runs(root):
        rel = run_dir.relative_to(root).as_posix() if run_dir != root else "."
        info = {}
        if (run_dir / "run.json").exists():
            try:
                info = json.loads((run_dir / "run.json").read_text())
            except json.JSONDecodeError:
                log.warning("unreadable run.json in %s", run_dir)
        ident = {"run": rel, "run_dir": str(run_dir.resolve()), **{c: info.get(c) for c in RUN_COLS}}
        runs.append({**ident, **{k: v for k, v in info.items() if k not in ident}})
        mem = pd.read_csv(run_dir / "members.csv")
        for c, v in reversed(ident.items()):
            if c not in mem.columns:
                mem.insert(0, c, v)
        members.append(mem)
        keep = ["run", "member", *[a for a in AXES if a in mem.columns], *RUN_COLS]
        for t in tables:
            df = _read(run_dir, f"{t}.csv" if t == "metrics" else f"{t}.parquet")
            if df is None or df.empty:
                continue
            df.insert(0, "run", rel)
            frames[t].append(df.merge(mem[keep], on=["run", "member"], how="left"))

    def cat(dfs):
        return pd.concat(dfs, ignore_index=True) if dfs else pd.DataFrame()

    return Results(root=root, runs=pd.DataFrame(runs), members=cat(members),
                   **{t: cat(frames[t]) for t in TABLES})
