#!/usr/bin/env python
"""Diff two trees of run folders, file by file and column by column (the "numbers unchanged" check).

    python scripts/compare_runs.py results/runs/quick /tmp/new/runs/quick
    python scripts/compare_runs.py A B --only relu30 table1 --tol 1e-12

A run folder is any folder holding ``members.csv``; folders are matched by their path relative to
each root. For every ``members.csv``, ``metrics.csv`` and ``*.parquet`` in a matched pair it
reports, per column, whether the values are bit-for-bit identical (NaN equals NaN) and otherwise
the largest absolute difference (numeric columns) or the number of differing cells (others).
``run.json``, logs and ``.hydra/`` are not compared (timings, paths and commands differ by design).

Exit status: 0 when every compared column differs by at most ``--tol`` (default 0: bit-for-bit),
1 otherwise (or when a run folder or file is missing on one side), 2 on a bad argument.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from glorot.cli import Parser, nonnegative_float

COMPARED = ("members.csv", "metrics.csv")


def run_folders(root: Path) -> dict[str, Path]:
    """Relative path -> run folder, for every folder under ``root`` holding members.csv."""
    return {str(p.parent.relative_to(root)): p.parent for p in sorted(root.rglob("members.csv"))
            if ".stacked" not in p.parts}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _same_bits(x: np.ndarray, y: np.ndarray, both_nan: np.ndarray) -> bool:
    """Bit for bit, NaN equal to NaN (whatever its payload): so 0.0 and -0.0 differ, which ``==``
    and ``np.array_equal`` do not see. Arrays of different dtypes compare by value."""
    if x.dtype != y.dtype or x.dtype.kind != "f":
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f" or y.dtype.kind == "f"))
    u = np.dtype(f"u{x.dtype.itemsize}")
    return bool(((x.view(u) == y.view(u)) | both_nan).all())


def compare_frames(a: pd.DataFrame, b: pd.DataFrame) -> list[dict]:
    """One row per column: name, kind, identical, max_abs (numeric) or n_diff (other)."""
    rows = []
    if a.shape[0] != b.shape[0]:
        return [{"column": "<rows>", "identical": False, "detail": f"{a.shape[0]} vs {b.shape[0]} rows"}]
    cols = list(dict.fromkeys([*a.columns, *b.columns]))
    for c in cols:
        if c not in a.columns or c not in b.columns:
            rows.append({"column": c, "identical": False, "detail": "missing on one side"})
            continue
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number):
            xf, yf = x.astype(np.float64), y.astype(np.float64)
            nan_x, nan_y = np.isnan(xf), np.isnan(yf)
            same = _same_bits(x, y, nan_x & nan_y)
            if (nan_x != nan_y).any():
                rows.append({"column": c, "identical": False, "max_abs": float("inf"),
                             "detail": f"NaN in different places ({int((nan_x != nan_y).sum())} cells)"})
                continue
            ok = ~nan_x
            with np.errstate(invalid="ignore"):  # inf - inf: equal infinities differ by 0
                d = np.where(xf[ok] == yf[ok], 0.0, np.abs(xf[ok] - yf[ok]))
            rows.append({"column": c, "identical": bool(same), "max_abs": float(d.max()) if d.size else 0.0,
                         "n_diff": int((d > 0).sum())})
        else:
            n = int((a[c].astype(str).to_numpy() != b[c].astype(str).to_numpy()).sum())
            rows.append({"column": c, "identical": n == 0, "n_diff": n})
    return rows


def compare_trees(a: Path, b: Path, only: list[str] | None = None) -> list[dict]:
    """Every difference found between the run trees ``a`` and ``b`` (one dict per file/column)."""
    fa, fb = run_folders(a), run_folders(b)
    keys = sorted(set(fa) | set(fb))
    if only:
        keys = [k for k in keys if k.split("/")[0] in only]
    out = []
    for k in keys:
        if k not in fa or k not in fb:
            out.append({"run": k, "file": "-", "column": "-", "identical": False,
                        "detail": f"run folder only in {'B' if k not in fa else 'A'}"})
            continue
        names = sorted({p.name for d in (fa[k], fb[k]) for p in d.iterdir()
                        if p.name in COMPARED or p.suffix == ".parquet"})
        for name in names:
            pa, pb = fa[k] / name, fb[k] / name
            if not pa.exists() or not pb.exists():
                out.append({"run": k, "file": name, "column": "-", "identical": False,
                            "detail": f"only in {'A' if pa.exists() else 'B'}"})
                continue
            for r in compare_frames(_read(pa), _read(pb)):
                out.append({"run": k, "file": name, **r})
    return out


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", type=Path, help="first run tree (e.g. results/runs/quick)")
    p.add_argument("b", type=Path, help="second run tree")
    p.add_argument("--only", nargs="*", default=None, metavar="EXPERIMENT", help="compare only these runs")
    p.add_argument("--tol", type=nonnegative_float, default=0.0, help="largest absolute difference accepted (default 0)")
    p.add_argument("--all", action="store_true", help="list identical columns too")
    a = p.parse_args(argv)
    for root in (a.a, a.b):
        if not root.is_dir():
            print(f"error: {root} is not a folder", file=sys.stderr)
            return 2
    rows = compare_trees(a.a, a.b, a.only)
    if not rows:
        print(f"error: no run folders (members.csv) under {a.a} or {a.b}", file=sys.stderr)
        return 1
    bad = [r for r in rows if not r["identical"] and not (a.tol > 0 and r.get("max_abs", float("inf")) <= a.tol
                                                           and "detail" not in r)]  # tol 0: bit for bit
    runs = sorted({r["run"] for r in rows})
    for run in runs:
        mine = [r for r in rows if r["run"] == run]
        files = sorted({r["file"] for r in mine})
        worst = [r for r in mine if not r["identical"]]
        status = "identical" if not worst else ("within tol" if all(r not in bad for r in worst) else "DIFFERENT")
        print(f"{run}: {status} ({len(files)} file(s), {len(mine)} column(s) compared)")
        for r in mine if a.all else worst:
            extra = (f"max |diff| {r['max_abs']:.3g} in {r.get('n_diff', 0)} cell(s)" if "max_abs" in r
                     else r.get("detail") or f"{r.get('n_diff', 0)} cell(s) differ")
            print(f"    {r['file']:<18} {r['column']:<22} {'identical' if r['identical'] else extra}")
    print(f"{len(runs)} run(s): " + ("all identical" if not [r for r in rows if not r["identical"]]
                                   else f"{len(bad)} column(s) differ beyond tol {a.tol:g}"
                                   if bad else f"differences all within tol {a.tol:g}"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
