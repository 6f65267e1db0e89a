"""The plotting stage: ``python -m glorot.plot --runs results/runs/<profile> --out <dir>``.

Reads recorded run folders (through ``glorot.results``), never trains, and for every claim of
``glorot.claims`` (one module per claim: its experiments, figure and verdict) draws and judges it from
the strongest profile that has all its runs (paper_full > paper > quick > smoke; ``--runs
results/runs`` reads them all). It writes:

* ``<out>/figures/<stem>.png`` and ``.pdf`` for every figure whose runs exist (a figure whose runs
  are absent is skipped with a warning and gets a ``missing`` verdict);
* ``<out>/table1.csv``, ``<out>/table1.md``;
* ``<out>/verdicts.csv``;
* ``<out>/index.html`` (the gallery) and ``<out>/gallery.md`` (README rows).

Examples::

    python -m glorot.plot                                   # results/runs/quick -> results/
    python -m glorot.plot --runs results/runs/paper --out results
    python -m glorot.plot --runs results/runs/smoke --out /tmp/out --only fig06 fig07
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from glorot.data import DATASETS
from glorot.files import write_csv

log = logging.getLogger("glorot.plot")

from glorot.frames import FRAMES  # noqa: E402 - the frame names, shared with glorot.frames


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def load(runs_dir: str | Path) -> SimpleNamespace:
    """All runs under ``runs_dir`` as frames (members, metrics, stats, hist, jacobian, runs),
    read by the project's loader, ``glorot.results.load``."""
    from glorot.results import load as results_load  # noqa: PLC0415

    r = results_load(runs_dir)
    return SimpleNamespace(**{k: _frame(getattr(r, k, None)) for k in FRAMES})


def restrict_data(data: SimpleNamespace, name: str) -> SimpleNamespace:
    """Only the members (and their runs' rows) trained on data set ``name``: e.g. the Shapeset
    versions of Figs. 2-10 (``python -m glorot.train experiment=saturation data=shapeset``) live in
    the same experiment folders as the MNIST ones, and must not be drawn together."""
    m = data.members
    runs = set(m.loc[m["data"] == name, "run"]) if "data" in m else set()
    out = {}
    for k in FRAMES:
        f = getattr(data, k)
        if not f.empty and "data" in f:
            f = f[f["data"] == name]
        elif not f.empty and "run" in f:
            f = f[f["run"].isin(runs)]
        out[k] = f.reset_index(drop=True)
    return SimpleNamespace(**out)


def _frame(x) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame()


# --------------------------------------------------------------------------------------------
# captions
# --------------------------------------------------------------------------------------------


def budget(d: SimpleNamespace) -> str:
    """'profile quick: 3,000 updates of 10, width 200, n=2 seeds; device cpu (...)' for one claim's frames."""
    from glorot.frames import caption  # noqa: PLC0415

    return caption(d)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


_FIG_ID = re.compile(r"fig(?:ure)?0*(\d+)", flags=re.IGNORECASE)


def figure_id(name: str) -> str:
    """``fig6``, ``Fig6``, ``figure6`` and ``fig006`` -> ``fig06`` (a claim id); any other name as it is."""
    m = _FIG_ID.fullmatch(name)
    return f"fig{int(m[1]):02d}" if m else name


def claim_names() -> list[str]:
    """The ids of the claims that are not a paper figure (fig01 ... fig12), for ``--help``: the
    modules of glorot/claims/, each named by its claim's id, read without importing them."""
    here = Path(__file__).resolve().parent / "claims"
    return sorted(p.stem for p in here.glob("*.py") if p.stem != "__init__" and not _FIG_ID.fullmatch(p.stem))


def select(only: list[str] | None):
    """The claims with a figure, all or those named by ``only``: claim ids (a figure's number as
    ``fig6`` or ``fig06``, which names that figure alone: ``fig1`` is not ``fig10``) or parts of
    file names (``relu30``, ``saturation``)."""
    from glorot import claims  # noqa: PLC0415

    figs = claims.figures()
    if not only:
        return figs
    ids = {figure_id(o) for o in only}
    parts = [o for o in only if not _FIG_ID.fullmatch(o)]
    return [f for f in figs if f.id in ids or any(o in f.stem for o in parts)]


def claim_ids(only: list[str] | None) -> list[str]:
    """The claims to judge or draw: every figure's ``only`` selects, and Table 1's unless ``only``
    leaves it out."""
    return [s.id for s in select(only)] + (["table1"] if not only or "table1" in only else [])


def _with_kept_verdicts(out: Path, v: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """``v`` (the verdicts of claims ``ids``) with the rows of every other claim kept from
    ``out/verdicts.csv``, in the claims' order."""
    from glorot import claims, judging  # noqa: PLC0415

    path = out / "verdicts.csv"
    if not path.exists():
        return v
    old = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    old = old[~old["figure"].isin(ids)].reindex(columns=judging.COLUMNS)
    order = {c.id: i for i, c in enumerate(claims.all_claims())}
    both = pd.concat([old.astype(object), v.astype(object)], ignore_index=True)
    return both.iloc[both["figure"].map(order).fillna(len(order)).argsort(kind="stable")].reset_index(drop=True)


def lacking_runs(data, only: list[str] | None) -> dict[str, tuple[str, ...]]:
    """The claims ``only`` selects (Table 1's included) whose experiments have no runs in ``data``:
    claim id -> its experiments. These would be written as "missing"."""
    from glorot import claims  # noqa: PLC0415

    m = data.members
    present = set(m["name"]) if not m.empty and "name" in m.columns else set()
    ids = claim_ids(only)
    return {c.id: c.experiments for c in claims.all_claims()
            if c.id in ids and c.experiments and not set(c.experiments) <= present}


def _old_verdicts(out: Path, columns: list[str]) -> pd.DataFrame | None:
    """``columns`` of the ``out/verdicts.csv`` a drawing would replace, as strings; None without a
    readable one (nothing there to protect)."""
    path = Path(out) / "verdicts.csv"
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, usecols=columns, dtype=str)
    except (ValueError, OSError, pd.errors.ParserError):
        return None


def would_lose(out: Path, lacking: dict[str, tuple[str, ...]]) -> list[str]:
    """Of ``lacking``, the claims that ``out/verdicts.csv`` already holds a verdict of (not
    "missing"): drawing without their runs would replace those verdicts, and the gallery's rows,
    with "missing"."""
    old = _old_verdicts(out, ["figure", "verdict"]) if lacking else None
    if old is None:
        return []
    return sorted(set(old.loc[old.verdict != "missing", "figure"]) & set(lacking))


def would_weaken(data, out: Path, only: list[str] | None) -> dict[str, tuple[str, str]]:
    """Of the claims ``only`` selects, those whose rows in ``out/verdicts.csv`` came from a stronger
    profile (``frames.PROFILES``) than the runs in ``data`` they would now be drawn from: claim id
    -> (the stronger profile, the weaker one). On a fresh clone after ``make reproduce
    PROFILE=smoke``, ``make figures`` turned the committed quick verdicts into smoke ones."""
    from glorot import claims, frames  # noqa: PLC0415

    old = _old_verdicts(out, ["figure", "profile"])
    if old is None:
        return {}
    rank = {p: i for i, p in enumerate(frames.PROFILES)}  # 0 = strongest
    ids = claim_ids(only)
    weaker = {}
    for c in claims.all_claims():
        if c.id not in ids or not c.experiments:
            continue
        was = [p for p in old.loc[old.figure == c.id, "profile"].dropna() if p in rank]
        now = frames.choose_profile(data, list(c.experiments))
        if was and now in rank and rank[now] > min(rank[p] for p in was):
            weaker[c.id] = (min(was, key=rank.get), now)
    return weaker


def table1_members(data) -> pd.DataFrame:
    """Members of Table 1's experiments, each at the strongest profile that has it (the MNIST column
    may come from GPU records while Shapeset's is still quick)."""
    from glorot import frames, table1  # noqa: PLC0415

    parts = []
    for exp in table1.EXPERIMENTS:
        d = frames.experiment_frames(data, [exp], frames.choose_profile(data, (exp,)))
        if len(d.members):
            parts.append(d.members)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def table1_caption(data) -> str:
    """Profile, budget and device of each Table 1 experiment, for the table's heading."""
    from glorot import frames, table1  # noqa: PLC0415

    out = []
    for exp in table1.EXPERIMENTS:
        d = frames.experiment_frames(data, [exp], frames.choose_profile(data, (exp,)))
        if len(d.members):
            out.append(f"{exp}: {frames.caption(d)}")
    return "; ".join(out)


def with_provenance(t: pd.DataFrame, members: pd.DataFrame, data) -> pd.DataFrame:
    """Table 1 with, per data set column, the profile and device of the runs it comes from."""
    runs = getattr(data, "runs", pd.DataFrame())
    prof, dev = {}, {}
    for d, g in members.assign(data=members.get("data", "mnist")).groupby("data"):
        prof[d] = ", ".join(sorted({str(x) for x in g.get("profile", pd.Series(dtype=str)).dropna()}))
        if len(runs) and {"run", "device_name"} <= set(runs.columns):
            dev[d] = ", ".join(sorted({str(x) for x in runs[runs.run.isin(set(g.run))].device_name.dropna()}))
    return t.assign(profile=t.data.map(prof).fillna(""), device=t.data.map(dev).fillna(""))


#: what the figure workers read: set by :func:`make_all` before it forks them (nothing is pickled)
_JOB: dict = {}


def _draw(i: int) -> tuple[str, list[Path], str] | None:
    """Draw and save claim ``i`` of ``_JOB["specs"]``: (id, paths, caption), or None when its runs
    are absent (with a warning)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from glorot import frames  # noqa: PLC0415

    spec, data, out = _JOB["specs"][i], _JOB["data"], _JOB["out"]
    d = frames.claim_frames(data, spec)
    if any(getattr(d, k).empty for k in spec.needs):
        log.warning("skipping %s: no %s for experiment '%s' under %s", spec.stem,
                    "/".join(k for k in spec.needs if getattr(d, k).empty), spec.experiment, _JOB["label"])
        return None
    cap = budget(d) if spec.experiments else "computed on the fly (no training): fixed seed 0"
    fig = spec.draw(d, cap)
    paths = []
    for fmt in _JOB["formats"]:
        p = out / "figures" / f"{spec.stem}.{fmt}"
        # no creation date in PDFs: redrawing unchanged data leaves the committed files unchanged
        fig.savefig(p, dpi=_JOB["dpi"], bbox_inches="tight", metadata={"CreationDate": None} if fmt == "pdf" else None)
        paths.append(p)
    plt.close(fig)
    log.info("wrote %s", paths[0])
    return spec.id, paths, cap


def _claim_result(claim_id: str) -> tuple[list[dict], tuple[str, list[Path], str] | None]:
    """Claim ``claim_id``'s verdict rows (none unless it is judged) and its drawing (None unless it
    is one of ``_JOB["specs"]`` and its runs exist)."""
    from glorot import claims  # noqa: PLC0415

    c = claims.by_id(claim_id)
    rows = claims.check(c, _JOB["data"]) if c.judge is not None else []
    figs = [s.id for s in _JOB["specs"]]
    return rows, (_draw(figs.index(claim_id)) if claim_id in figs else None)


def _claim_task(claim_ids: list[str]) -> list[tuple[str, tuple]]:
    """A figure worker's task: :func:`_claim_result` of each claim, in order."""
    return [(cid, _claim_result(cid)) for cid in claim_ids]


def _records_size(data: SimpleNamespace, experiments: tuple[str, ...]) -> int:
    """Rows of ``stats`` and ``hist`` of these experiments: how long their claims take, roughly."""
    n = 0
    for k in ("stats", "hist"):
        f = getattr(data, k)
        if not f.empty and "name" in f:
            n += int(f["name"].isin(experiments).sum())
    return n


def _warm_theory(data: SimpleNamespace) -> None:
    """Load the MNIST inputs' second moments the theory lines need (``theory_claims.inputs_q0``,
    cached) here, before the figure workers are forked, instead of once in each. Only from a cache
    that is already there (never downloads); any failure is left to the claims, which report it as
    before."""
    from glorot import theory_claims  # noqa: PLC0415
    from glorot.data import ensure_mnist  # noqa: PLC0415

    s = data.stats
    if s.empty or "data" not in s or not (s["data"] == "mnist").any():
        return
    try:
        ensure_mnist(theory_claims.DATA_ROOT, download=False)
        theory_claims.inputs_q0("mnist")
    except Exception:  # noqa: BLE001 - an optimization only
        pass


def default_jobs() -> int:
    """Figure workers: one per core (at most 4), where processes can be forked (Linux); else 1."""
    import multiprocessing as mp  # noqa: PLC0415

    from glorot.threads import available_cores  # noqa: PLC0415

    return min(4, available_cores()) if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() else 1


def make_all(data: SimpleNamespace, out: Path, only: list[str] | None = None, runs_label: str = "",
             formats=("png", "pdf"), dpi: int = 120, jobs: int = 1) -> dict:
    """Figures, Table 1, verdicts and the gallery from loaded frames. Returns what was written.

    ``jobs`` > 1 judges and draws the claims in that many forked worker processes, one task per
    set of experiments (the claims that cut the same frames and theory lines); the files are the
    same as with one (each claim is judged and drawn from the same frames by the same code). The
    caller must not have used an OpenMP thread pool before (``main`` keeps torch to one thread): a
    fork after one can hang."""
    from glorot import claims, gallery, judging, table1  # noqa: PLC0415

    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    written, captions = {}, {}
    specs = select(only)
    m = data.members
    if not m.empty and {"name", "data"} <= set(m.columns):
        mixed = m.groupby("name")["data"].nunique()
        for name in mixed[mixed > 1].index:
            log.warning("experiment '%s' has runs on several data sets (%s): its figures mix them; "
                        "choose one with --data", name, ", ".join(sorted(m[m.name == name].data.unique())))
    ids = claim_ids(only)
    _JOB.update(specs=specs, data=data, out=out, label=runs_label, formats=tuple(formats), dpi=dpi)
    jobs = max(1, min(int(jobs), len(specs)))
    try:
        if jobs > 1:
            import multiprocessing as mp  # noqa: PLC0415

            # Each task judges and draws the claims of one set of experiments (they cut the same
            # frames and theory lines, kept in the worker that computed them). One worker starts
            # at once on the claims computed on the fly (they read no records) while this process
            # loads the inputs' second moments the theory lines need; then `jobs` forked workers,
            # which inherit those, take the rest, the largest records first.
            ctx = mp.get_context("fork")
            groups: dict[tuple[str, ...], list[str]] = {}
            for c in claims.all_claims():
                if c.id in ids:
                    groups.setdefault(c.experiments, []).append(c.id)
            free = groups.pop((), [])
            order = sorted(groups, key=lambda e: -_records_size(data, e))
            with ctx.Pool(1) as early:
                first = early.map_async(_claim_task, [[c] for c in free], chunksize=1)
                _warm_theory(data)
                with ctx.Pool(jobs) as pool:
                    later = pool.map(_claim_task, [groups[e] for e in order], chunksize=1)
                done = {cid: r for part in first.get() + later for cid, r in part}
        else:
            done = {c.id: _claim_result(c.id) for c in claims.all_claims() if c.id in ids}
        drawn = [done[s.id][1] for s in specs]
        v = pd.DataFrame([r for c in claims.judged() if c.id in ids for r in done[c.id][0]],
                         columns=judging.COLUMNS)
    finally:
        _JOB.clear()
    for r in drawn:
        if r is not None:
            written[r[0]], captions[r[0]] = r[1], r[2]
    t = None
    if only:
        # --only redraws some claims into a gallery that holds the others: their verdicts, figure
        # files and Table 1 stay as they are (before, the call wrote a gallery of those claims alone)
        v = _with_kept_verdicts(out, v, ids)
        kept = gallery.captions(out)
        for c in claims.figures():
            png = out / "figures" / f"{c.stem}.png"
            if c.id not in ids and png.exists():
                written[c.id] = png
                if c.title in kept:
                    captions[c.id] = kept[c.title]
        if "table1" not in ids and (out / "table1.csv").exists():
            t = pd.read_csv(out / "table1.csv")
    write_csv(out / "verdicts.csv", v)
    if "table1" in ids:
        t1_members = table1_members(data)  # experiments table1 (MNIST) and shapeset_table1
        t = table1.table1(t1_members) if not t1_members.empty else None
        if t is not None:
            t = with_provenance(t, t1_members, data)
            table1.write(t, out, table1_caption(data))
        else:
            log.warning("skipping Table 1: no runs of experiments %s under %s", "/".join(table1.EXPERIMENTS),
                        runs_label)
    gallery.write(out, data, v, t, written, captions, runs_label, table1_caption(data),
                  redrawn=ids if only else None)
    for verdict, n in v.verdict.value_counts().items():
        log.info("verdicts: %d %s", n, verdict)
    return {"figures": written, "verdicts": v, "table1": t}


def main(argv: list[str] | None = None) -> int:
    from matplotlib.backend_bases import FigureCanvasBase  # noqa: PLC0415

    from glorot.cli import Parser, check_writable, choices_list, positive_int  # noqa: PLC0415

    formats = tuple(sorted(FigureCanvasBase.get_supported_filetypes()))
    ap = Parser(
        prog="python -m glorot.plot",
        description="Plotting stage: read recorded run folders (never trains) and write the paper's figures, "
                    "Table 1, verdicts.csv and the gallery (index.html, gallery.md).",
        epilog="Example: python -m glorot.plot --runs results/runs/paper --out results --only fig06 fig07")
    ap.add_argument("--runs", default="results/runs/quick",
                    help="folder of run folders: results/runs/<profile>, or results/runs to read every profile and "
                         "draw each figure from the strongest one (paper_full > paper > quick > smoke) that has all "
                         "its runs (default: %(default)s)")
    ap.add_argument("--out", help="output folder (default: results; for a glorot.watch run, RUN/diagnosis)")
    ap.add_argument("--only", nargs="+", metavar="FIG", help="only these claims: ids (fig01 ... fig12, or fig1 ... fig12; "
                    f"{', '.join(claim_names())}; see glorot/claims/) "
                    "or parts of file names (relu30, saturation); a comma list works too")
    ap.add_argument("--data", choices=DATASETS, help="only runs on this data set (e.g. the Shapeset versions "
                    "of Figs. 2-10: --data shapeset --out results/shapeset)")
    ap.add_argument("--formats", nargs="+", type=choices_list(formats, "formats"), default=[["png", "pdf"]],
                    help="image formats, png among them (the gallery shows png): any of "
                         f"{', '.join(formats)} (default: png pdf)")
    ap.add_argument("--dpi", type=positive_int, default=120, help="dots per inch of the raster images (default: 120)")
    ap.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                    help="figures drawn at once by forked workers (default: one per core, at most 4, on Linux; "
                         "1 elsewhere); the files do not depend on it")
    ap.add_argument("--allow-missing", action="store_true",
                    help="draw even where --out holds verdicts of claims whose runs are not under --runs "
                         "(they become \"missing\"); without it such a call is refused and writes nothing")
    ap.add_argument("--allow-weaker", action="store_true",
                    help="draw even where --out holds verdicts from a stronger profile (paper_full > paper > quick > "
                         "smoke) than the runs under --runs give (say, smoke runs over the committed quick verdicts); "
                         "without it such a call is refused and writes nothing")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    a.formats = list(dict.fromkeys(f for item in a.formats for f in item))  # "png,svg" as Hydra writes lists
    if "png" not in a.formats:  # index.html and gallery.md would show older png files, or none
        ap.error(f"argument --formats: {' '.join(a.formats)} lacks png, which the gallery shows; "
                 f"add it (--formats png {' '.join(a.formats)})")
    check_writable(ap, "--out", a.out)
    logging.basicConfig(level=logging.WARNING if a.quiet else logging.INFO, format="%(levelname)s %(message)s")
    runs = Path(a.runs)
    from glorot.diagnose import is_watch_run  # noqa: PLC0415

    if is_watch_run(runs):  # a glorot.watch run: its figures and diagnosis are glorot.diagnose's
        from glorot.diagnose import main as diagnose_main  # noqa: PLC0415

        return diagnose_main([str(runs)] + (["--out", a.out] if a.out else []))
    a.out = a.out or "results"
    if a.only:
        a.only = [o for item in a.only for o in item.split(",") if o]  # "fig06,fig07" as Hydra writes lists
        unknown = [o for o in a.only if o != "table1" and not select([o])]
        if unknown:
            from glorot import claims  # noqa: PLC0415

            ids = [f.id for f in claims.figures()] + ["table1"]
            print(f"error: --only {' '.join(unknown)}: no such claim or figure file; valid choices: "
                  f"{', '.join(ids)} (fig6 for fig06; or part of a figure's file name)", file=sys.stderr)
            return 2
    if not runs.exists():
        # only the claims computed on the fly (Figs. 1 and 5) can be drawn without runs; anything else
        # would overwrite --out's gallery and verdicts with "missing" (a misspelt --runs did)
        if not a.only or "table1" in a.only or any(f.experiments for f in select(a.only)):
            here = sorted(str(d) for d in runs.parent.glob("*") if d.is_dir()) if runs.parent.is_dir() else []
            print(f"error: --runs {runs}: no such folder" + (f"; folders there: {', '.join(here)}" if here else "")
                  + " (without runs only the claims computed on the fly can be drawn: --only "
                  + " ".join(f.id for f in select(None) if not f.experiments) + ")", file=sys.stderr)
            return 2
    data = drop_watch_runs(load(runs)) if runs.exists() else SimpleNamespace(**{k: pd.DataFrame() for k in FRAMES})
    if a.data:
        data = restrict_data(data, a.data)
    lacking = lacking_runs(data, a.only)
    lose = [] if a.allow_missing else would_lose(Path(a.out), lacking)
    if lose:
        exps = sorted({e for c in lose for e in lacking[c]})
        print(f"error: --runs {runs} has no runs of {', '.join(exps)}, and {Path(a.out) / 'verdicts.csv'} holds "
              f"verdicts from them ({', '.join(lose)}) that drawing would replace with \"missing\": train them "
              f"first (make reproduce), draw the others (--only), write elsewhere (--out) or pass --allow-missing",
              file=sys.stderr)
        return 2
    weaker = {} if a.allow_weaker else would_weaken(data, Path(a.out), a.only)
    if weaker:
        pairs = set(weaker.values())
        print(f"error: {Path(a.out) / 'verdicts.csv'} holds verdicts of {', '.join(weaker)} from profile "
              f"{'/'.join(sorted({old for old, _ in pairs}))}, and --runs {runs} would redraw them from profile "
              f"{'/'.join(sorted({new for _, new in pairs}))}: train them at the stronger profile first "
              f"(make reproduce), draw the others (--only), write elsewhere (--out) or pass --allow-weaker",
              file=sys.stderr)
        return 2
    label = runs.resolve()
    try:  # the gallery's commands name the runs as a user in the repository types them
        label = label.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    jobs = default_jobs() if a.jobs is None else a.jobs
    # one torch thread whatever --jobs: no OpenMP pool may exist when the figure workers are forked,
    # and the few torch reductions of the theory lines then give the same bits at any --jobs
    import torch  # noqa: PLC0415

    torch.set_num_threads(1)
    make_all(data, Path(a.out), a.only, str(label), formats=a.formats, dpi=a.dpi, jobs=jobs)
    own_runs_hint(data)
    return 0


def drop_watch_runs(data):
    """``data`` without the glorot.watch runs a folder may hold beside the suite's: they are models
    of the user's own, with layers named by module (glorot.diagnose draws them), and mixed into the
    suite's frames they broke every figure (a TypeError comparing their layer names with depths)."""
    r = data.runs
    if r.empty or "kind" not in r.columns:
        return data
    watch = set(r.loc[r["kind"] == "watch", "run"])
    if watch:
        for k in ("members", "metrics", "stats", "hist", "jacobian"):
            f = getattr(data, k)
            if not f.empty and "run" in f.columns:
                setattr(data, k, f[~f["run"].isin(watch)].reset_index(drop=True))
    return data


def own_runs_hint(data) -> None:
    """Runs of no experiment of the suite (a sweep of the user's own) are in no figure of the paper's:
    say so, and where their per-layer figures are (glorot.diagnose)."""
    from glorot import claims  # noqa: PLC0415

    r = getattr(data, "runs", None)
    if r is None or r.empty or "name" not in r.columns:
        return
    known = {e for c in claims.all_claims() for e in c.experiments}
    own = r[~r["name"].isin(known)]
    if own.empty:
        return
    dirs = [Path(d) for d in own["run_dir"] if (Path(d) / "stats.parquet").exists()]
    # one run: its folder; several: the folder holding them all (glorot.diagnose takes a sweep)
    target = (dirs[0] if len(dirs) == 1 else Path(os.path.commonpath(dirs))) if dirs else None
    if target is not None and target.is_relative_to(Path.cwd()):
        target = target.relative_to(Path.cwd())
    log.warning("%d run(s) under --runs belong to no experiment of the suite (%s) and are in none of these "
                "figures; for their per-layer figures and diagnosis: python -m glorot.diagnose %s; their tables: "
                "glorot.results.load", len(own), ", ".join(sorted(set(own["name"].astype(str)))),
                shlex.quote(str(target)) if target is not None
                else "<run folder> (of a run trained with record=paper or record=init)")


if __name__ == "__main__":
    sys.exit(main())
