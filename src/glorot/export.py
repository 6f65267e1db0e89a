"""Export recorded runs as TensorBoard events: ``python -m glorot.export RUN_DIR --tensorboard DIR``.

Works on a :mod:`glorot.watch` run and on the suite's own run folders (one member or many). Every
(layer, signal, stat) of ``stats.parquet`` becomes a scalar ``<signal>/<layer>/<stat>`` over the
recorded steps, every (layer, signal) of ``hist.parquet`` a histogram ``<signal>/<layer>`` (its bins
as recorded; counts are the bins' shares of the values, summing to 1) and every Jacobian row the
scalars ``jacobian/<layer>/<sv_stat>``. A run with several members gets one TensorBoard run per
member (``DIR/member<k>``); a folder of runs (a sweep) gets one folder per run, ``DIR/<its path
below the folder>``. Needs the ``tensorboard`` package: ``pip install glorot[tensorboard]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def check_tensorboard() -> None:
    try:
        import tensorboard  # noqa: F401, PLC0415
    except ImportError:
        raise ImportError("TensorBoard export needs the tensorboard package: pip install 'glorot[tensorboard]' "
                          "(or pip install tensorboard)") from None


def _read(run_dir: Path, name: str) -> pd.DataFrame:
    p = run_dir / f"{name}.parquet"
    return pd.read_parquet(p) if p.exists() else pd.DataFrame()


def export_tensorboard(run_dir: str | Path, logdir: str | Path) -> dict[str, int]:
    """Write the run's records as TensorBoard events under ``logdir``; returns how many scalars
    and histograms were written."""
    check_tensorboard()
    from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415

    run_dir, logdir = Path(run_dir), Path(logdir)
    stats, hist, jac = _read(run_dir, "stats"), _read(run_dir, "hist"), _read(run_dir, "jacobian")
    if stats.empty:
        raise FileNotFoundError(f"{run_dir} has no stats.parquet to export")
    members = sorted(stats.member.unique())
    n = {"scalars": 0, "histograms": 0}
    for m in members:
        w = SummaryWriter(str(logdir if len(members) == 1 else logdir / f"member{m}"))
        try:
            s = stats[stats.member == m].dropna(subset=["value"])
            for (sig, layer, stat), d in s.groupby(["signal", "layer", "stat"], sort=False):
                for step, v in zip(d.step, d.value):
                    w.add_scalar(f"{sig}/{layer}/{stat}", float(v), int(step))
                    n["scalars"] += 1
            if not hist.empty:
                mv = s[s.stat.isin(["mean", "var"])].pivot_table(index=["signal", "layer", "step"], columns="stat",
                                                                 values="value")
                h = hist[hist.member == m]
                for (sig, layer, step), d in h.groupby(["signal", "layer", "step"], sort=False):
                    share = (d.density * (d.bin_hi - d.bin_lo)).to_numpy(dtype=float)
                    if not np.isfinite(share).all():
                        continue
                    mean, var = (mv.loc[(sig, layer, step), ["mean", "var"]].to_numpy(dtype=float)
                                 if (sig, layer, step) in mv.index else (0.0, 0.0))
                    w.add_histogram_raw(f"{sig}/{layer}", min=float(d.bin_lo.iloc[0]), max=float(d.bin_hi.iloc[-1]),
                                        num=1.0, sum=float(mean), sum_squares=float(var + mean * mean),
                                        bucket_limits=d.bin_hi.astype(float).tolist(),
                                        bucket_counts=share.tolist(), global_step=int(step))
                    n["histograms"] += 1
            if not jac.empty:
                for (layer,), d in jac[jac.member == m].groupby(["layer"], sort=False):
                    for c in ("sv_mean", "sv_std", "sv_min", "sv_max"):
                        for step, v in zip(d.step, d[c]):
                            w.add_scalar(f"jacobian/{layer}/{c}", float(v), int(step))
                            n["scalars"] += 1
        finally:
            w.close()
    return n


def main(argv: list[str] | None = None) -> int:
    from glorot.cli import Parser, check_writable  # noqa: PLC0415

    p = Parser(prog="python -m glorot.export", description="Export a run folder's records as TensorBoard events.")
    p.add_argument("run", help="a run folder (glorot.watch or the suite's trainer), or a folder of them (a sweep)")
    p.add_argument("--tensorboard", required=True, metavar="DIR", help="the TensorBoard log folder to write")
    a = p.parse_args(argv)
    check_writable(p, "--tensorboard", a.tensorboard)
    root = Path(a.run)
    if (root / "stats.parquet").exists():
        todo = [(root, Path(a.tensorboard))]
    else:  # a folder of runs (a sweep): each recorded run into DIR/<its path below the folder>
        from glorot.results import find_runs  # noqa: PLC0415

        todo = [(d, Path(a.tensorboard) / d.relative_to(root)) for d in find_runs(root) if d != root
                and (d / "stats.parquet").exists()] if root.is_dir() else []
        if not todo:
            print(f"error: {a.run} has no stats.parquet and holds no recorded run folder (runs recorded with "
                  "record=paper or record=init, or glorot.watch runs)", file=sys.stderr)
            return 2
    try:
        check_tensorboard()
        n = {"scalars": 0, "histograms": 0}
        for run_dir, logdir in todo:
            for k, v in export_tensorboard(run_dir, logdir).items():
                n[k] += v
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    runs = f" of {len(todo)} runs" if len(todo) > 1 or todo[0][0] != root else ""
    print(f"wrote {n['scalars']} scalars and {n['histograms']} histograms{runs} to {a.tensorboard} "
          f"(view: tensorboard --logdir {a.tensorboard})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
