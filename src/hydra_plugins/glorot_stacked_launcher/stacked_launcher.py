"""A Hydra launcher that trains a sweep as stacks: ``hydra/launcher=stacked``.

``python -m glorot.train -m activation=tanh,softsign init=standard,normalized seed=0,1,2
hydra/launcher=stacked`` composes the 12 jobs as the basic launcher would, then groups them: jobs
whose resolved configs differ only in the member axes of :class:`glorot.nn.Member` (``activation``,
``init``, ``optim.lr``, ``seed`` and the ``stack.*`` lists) share depth, width, data, batch size,
budget and recording, so their members are trained together as one :class:`glorot.nn.StackedMLP`
by :func:`glorot.trainer.Run` (here: one stack of 12 members instead of 12 processes). Jobs that
differ in anything else go to different stacks.

Every job still gets its own run folder (``hydra.sweep.dir/hydra.sweep.subdir``, with the
``.hydra/`` files written by Hydra's ``run_job``), holding the files a basic-launcher job writes:
``config.yaml`` (that job's resolved config), ``run.json``, ``members.csv`` and ``metrics.csv``
with the job's own members renumbered from 0, and the recorder's tables (any ``*.parquet`` / ``*.csv``
with a ``member`` column) filtered the same way. ``run.json`` adds a ``stacked`` entry naming the
group; its wall time and member-updates/s are the group's.

Results equal the basic launcher's because a member's computation never depends on its
neighbours in a stack: the weight draw depends only on (init, seed, layer), the batch order only on
the seed, and every op is per member (``tests/test_launcher.py`` checks it).

The group trains in ``<sweep dir>/.stacked/<group id>/`` (a function of the group's jobs, so running
the same command again resumes from its checkpoint), which is removed once every job folder is
written. Jobs whose run folder is already complete are not trained again.

``hydra.launcher.max_members`` (0: no limit) splits a large group into stacks of at most that many
members, e.g. to bound GPU memory or, on a CPU, to keep a stack's weights in cache.
"""

# no `from __future__ import annotations`: Hydra execs plugin modules outside sys.modules, and
# dataclasses then cannot resolve string annotations

import copy
import hashlib
import json
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

log = logging.getLogger(__name__)

#: settings along which jobs may differ and still share a stack (the axes of glorot.nn.Member),
#: plus settings that do not change the numbers (progress bar)
MEMBER_KEYS = ("activation", "init", "optim.lr", "seed", "stack.activations", "stack.inits",
               "stack.lrs", "stack.seeds", "train.progress")
#: files of a run folder that the launcher writes itself for each job
OWN_FILES = ("config.yaml", "run.json", "members.csv", "metrics.csv", "checkpoint.pt")


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.glorot_stacked_launcher.stacked_launcher.StackedLauncher"
    max_members: int = 0  # most members in one stack (0: no limit)
    keep_group_dirs: bool = False  # keep <sweep dir>/.stacked/<group>/ after splitting (debugging)


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf,
                             provider="glorot")


@dataclass
class _Job:
    idx: int
    overrides: list[str]
    sweep_config: DictConfig
    task_cfg: DictConfig
    out_dir: Path
    members: list  # list[glorot.nn.Member]
    key: str


def _drop(container: dict, dotted: str) -> None:
    *path, last = dotted.split(".")
    node = container
    for p in path:
        node = node.get(p)
        if not isinstance(node, dict):
            return
    node.pop(last, None)


def group_key(task_cfg: DictConfig) -> str:
    """What must be equal for two jobs to share a stack: the resolved config minus the member axes."""
    c = OmegaConf.to_container(task_cfg, resolve=True)
    for k in MEMBER_KEYS:
        _drop(c, k)
    rec = c.get("record") or {}
    if rec.get("jacobian_members"):
        # member indices refer to the job's own stack; such a job is not merged with others
        c["_unstackable"] = True
    return json.dumps(c, sort_keys=True, default=str)


def _split_table(df, positions: list[int]):
    """Rows of the group's members at ``positions`` (the job's members in its own order), with
    ``member`` renumbered 0..len(positions)-1 and the job's own row order (step, then member)."""
    remap = {p: i for i, p in enumerate(positions)}
    out = df[df["member"].isin(remap)].copy()
    out["member"] = out["member"].map(remap).astype(df["member"].dtype)
    if positions != sorted(positions):
        by = ["step", "member"] if "step" in out.columns else ["member"]
        out = out.sort_values(by, kind="mergesort")
    return out.reset_index(drop=True)


class StackedLauncher(Launcher):
    def __init__(self, max_members: int = 0, keep_group_dirs: bool = False) -> None:
        super().__init__()
        self.max_members = int(max_members)
        self.keep_group_dirs = bool(keep_group_dirs)
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    # -- composing the jobs -----------------------------------------------------------------
    def _compose(self, overrides: Sequence[str], idx: int) -> _Job:
        from glorot.trainer import build_members  # noqa: PLC0415 - keep plugin discovery light

        assert self.hydra_context is not None and self.config is not None
        sc = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(sc):
            sc.hydra.job.id = idx
            sc.hydra.job.num = idx
        saved = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(sc)  # ${hydra:...} in the sweep dir resolves per job
        try:
            out_dir = Path(str(OmegaConf.select(sc, "hydra.sweep.dir"))) / str(
                OmegaConf.select(sc, "hydra.sweep.subdir"))
            task_cfg = copy.deepcopy(sc)
            with read_write(task_cfg), open_dict(task_cfg):
                del task_cfg["hydra"]
            key = group_key(task_cfg)
            members = build_members(task_cfg)
        finally:
            HydraConfig.instance().cfg = saved
        return _Job(idx, list(overrides), sc, task_cfg, out_dir.absolute(), members, key)

    def _groups(self, jobs: list[_Job]) -> list[list[_Job]]:
        by_key: dict[str, list[_Job]] = {}
        for j in jobs:
            by_key.setdefault(j.key, []).append(j)
        groups = []
        for js in by_key.values():
            cur: list[_Job] = []
            n = 0
            for j in js:
                if cur and self.max_members and n + len(j.members) > self.max_members:
                    groups.append(cur)
                    cur, n = [], 0
                cur.append(j)
                n += len(j.members)
            if cur:
                groups.append(cur)
        return groups

    # -- training one group -----------------------------------------------------------------
    def _train_group(self, group: list[_Job], sweep_dir: Path) -> tuple[Path, list[list[int]]]:
        """Train the members of ``group`` as one stack; returns the group folder and, per job, the
        positions of its members in the stack."""
        from glorot.trainer import Run  # noqa: PLC0415

        flat = [(jn, m) for jn, j in enumerate(group) for m in j.members]
        # members sharing an activation sit next to each other (one activation op per group)
        order = {a: i for i, a in enumerate(dict.fromkeys(m.activation for _, m in flat))}
        ranked = sorted(range(len(flat)), key=lambda i: order[flat[i][1].activation])
        members = [flat[i][1] for i in ranked]
        pos_of = {orig: new for new, orig in enumerate(ranked)}
        positions: list[list[int]] = [[] for _ in group]
        for orig, (jn, _) in enumerate(flat):
            positions[jn].append(pos_of[orig])

        ident = hashlib.sha1("\n".join([group[0].key] + [str(j.out_dir) for j in group]).encode()).hexdigest()[:12]
        gdir = sweep_dir / ".stacked" / ident
        cfg = copy.deepcopy(group[0].task_cfg)
        log.info("stack %s: %d job(s), %d member(s) -> %s", ident, len(group), len(members), gdir)
        run = Run(cfg, gdir)
        run.members = members  # the group's members replace the first job's own
        run.run()
        return gdir, positions

    def _split(self, gdir: Path, positions: list[int], job: _Job, group_size: int) -> None:
        """Write ``job``'s run folder from the group folder (called inside Hydra's run_job)."""
        import pandas as pd  # noqa: PLC0415 - Hydra imports every plugin at start-up: keep this one light

        from glorot.files import atomic_write, write_csv, write_text  # noqa: PLC0415

        out = job.out_dir
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "config.yaml", OmegaConf.to_yaml(job.task_cfg, resolve=True))
        members = _split_table(pd.read_csv(gdir / "members.csv"), positions)
        metrics = _split_table(pd.read_csv(gdir / "metrics.csv"), positions)
        write_csv(out / "metrics.csv", metrics)
        for f in sorted(gdir.iterdir()):
            if f.name in OWN_FILES or f.name.startswith(".") or not f.is_file():
                continue
            if f.suffix == ".parquet":
                df = pd.read_parquet(f)
                if "member" in df.columns:
                    df = _split_table(df, positions)
                atomic_write(out / f.name, lambda p, df=df: df.to_parquet(p, index=False))
            elif f.suffix == ".csv":
                df = pd.read_csv(f)
                write_csv(out / f.name, _split_table(df, positions) if "member" in df.columns else df)
            else:
                shutil.copy2(f, out / f.name)
        info = json.loads((gdir / "run.json").read_text())
        info.update({
            "name": job.task_cfg.name, "members": len(positions),
            "diverged": int((members["status"] != "ok").sum()),
            "command": " ".join(sys.argv),
            "stacked": {"group": gdir.name, "group_members": group_size, "member_positions": positions,
                        "note": "wall_time_s and member_updates_per_s are the whole stack's"},
        })
        write_text(out / "run.json", json.dumps(info, indent=2, default=str) + "\n")
        write_csv(out / "members.csv", members)  # last: its presence marks the folder complete

    # -- the launcher interface -------------------------------------------------------------
    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from glorot.config import ConfigError  # noqa: PLC0415
        from glorot.trainer import Run  # noqa: PLC0415

        setup_globals()
        assert self.hydra_context is not None and self.config is not None and self.task_function is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir)).absolute()
        sweep_dir.mkdir(parents=True, exist_ok=True)

        jobs = [self._compose(o, initial_job_idx + i) for i, o in enumerate(job_overrides)]
        done = {j.idx for j in jobs if j.task_cfg.train.resume and Run.is_complete(_Probe(j.out_dir))}
        todo = [j for j in jobs if j.idx not in done]
        groups = self._groups(todo)
        log.info("Launching %d jobs as %d stack(s)%s", len(jobs), len(groups),
                 f" ({len(done)} already complete)" if done else "")
        for j in jobs:
            log.info("\t#%d : %s", j.idx, " ".join(filter_overrides(j.overrides)))

        results: dict[int, JobReturn] = {}
        for j in jobs:
            if j.idx in done:  # the app itself sees the finished folder and skips it
                results[j.idx] = self._run_job(j, self.task_function)
        for group in groups:
            try:
                gdir, positions = self._train_group(group, sweep_dir)
            except ConfigError as e:
                print(f"error: {e}", file=sys.stderr)
                sys.exit(2)
            size = sum(len(p) for p in positions)
            for j, pos in zip(group, positions):
                results[j.idx] = self._run_job(
                    j, lambda _cfg, j=j, pos=pos: self._split(gdir, pos, j, size))
            if not self.keep_group_dirs and all(
                    r.status.name == "COMPLETED" for r in (results[j.idx] for j in group)):
                shutil.rmtree(gdir, ignore_errors=True)
                try:
                    gdir.parent.rmdir()  # .stacked/, once empty
                except OSError:
                    pass
        return [results[j.idx] for j in jobs]

    def _run_job(self, job: _Job, fn: TaskFunction) -> JobReturn:
        assert self.hydra_context is not None and self.config is not None
        ret = run_job(hydra_context=self.hydra_context, task_function=fn, config=job.sweep_config,
                      job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        return ret


class _Probe:
    """Just enough of a Run for ``Run.is_complete``."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir


__all__: List[Any] = ["StackedLauncher", "StackedLauncherConf"]
