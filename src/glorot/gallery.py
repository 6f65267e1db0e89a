"""The gallery: ``<out>/index.html`` (a static page, no scripts, no network) and ``<out>/gallery.md``.

Per figure: the image (``figures/<stem>.png``, a relative path), its caption, the paper's claim,
our verdict(s) with the measured number, the commands that made it, and the provenance of its runs
(run folder, git commit, device, wall time from run.json). Then Table 1 and every verdict.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import pandas as pd

from glorot import paper
from glorot import verdicts as verdicts_mod
from glorot.figures import FIGURES
from glorot.files import write_text

COLORS = {"reproduced": "#1a7f37", "not reproduced": "#cf222e", "inconclusive": "#9a6700", "missing": "#6e7781"}

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1f2328}
h1{font-size:1.6em} h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:2em}
.fig{border:1px solid #d0d7de;border-radius:6px;padding:1em;margin:1.5em 0}
.fig img{max-width:100%;height:auto;display:block;margin:.5em auto}
.v{font-weight:600} code,pre{background:#f6f8fa;border-radius:4px;padding:.1em .3em;font-size:.85em}
pre{padding:.6em;white-space:pre-wrap} table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
.small{font-size:.85em;color:#57606a}
"""


def _e(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x))


def commands(experiment: str | None, profile: str, runs_label: str, out: str, fig_id: str) -> list[str]:
    plot = f"python -m glorot.plot --runs {runs_label or f'results/runs/{profile}'} --out {out} --only {fig_id}"
    if experiment is None:
        return [plot]
    from glorot.verdicts import COMPANIONS  # noqa: PLC0415

    names = [experiment, *COMPANIONS.get(experiment, ())]
    return [f"python -m glorot.train experiment={e} profile={profile}" for e in names] + [plot]


def provenance(runs: pd.DataFrame, experiment: str | None) -> list[dict]:
    if experiment is None or runs.empty or "name" not in runs:
        return []
    from glorot.verdicts import COMPANIONS  # noqa: PLC0415

    out = []
    for r in runs[runs["name"].isin([experiment, *COMPANIONS.get(experiment, ())])].to_dict("records"):
        wall = r.get("wall_time_s")
        out.append({"run folder": r.get("run", ""), "git commit": str(r.get("git_commit") or "")[:12]
                    + (" (dirty)" if r.get("git_dirty") is True else ""),
                    "device": r.get("device_name", ""), "wall time": "" if wall is None or pd.isna(wall)
                    else f"{float(wall):.1f} s", "status": r.get("status", "")})
    return out


def _profile(data, experiment) -> str:
    runs = getattr(data, "runs", pd.DataFrame())
    if experiment and not runs.empty and "name" in runs and "profile" in runs:
        p = runs[runs["name"] == experiment].profile.dropna()
        if len(p):
            return str(p.iloc[0])
    if not runs.empty and "profile" in runs and runs.profile.notna().any():
        return str(runs.profile.dropna().iloc[0])
    return "quick"


def _verdict_html(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "<p class='small'>no verdict</p>"
    parts = ["<table><tr><th>verdict</th><th>measure</th><th>ours</th><th>paper</th></tr>"]
    for r in rows.itertuples():
        parts.append(f"<tr><td class='v' style='color:{COLORS.get(r.verdict, '#000')}'>{_e(r.verdict)}</td>"
                     f"<td>{_e(r.measure)}</td><td>{_e(r.value)}</td><td>{_e(r.paper)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _table1_html(t: pd.DataFrame | None) -> str:
    if t is None or t.empty:
        return "<p>Table 1: <b>missing</b> (no runs of experiment <code>table1</code>).</p>"
    from glorot.table1 import DATA_LABELS  # noqa: PLC0415

    parts = []
    for data, g in t.groupby("data", sort=False):
        parts.append(f"<p>{_e(DATA_LABELS.get(data, data))}: test error (%), 5 hidden layers; lr chosen per row on "
                     f"mean validation error; p: Welch's t-test vs the best row; * = different at "
                     f"p &lt; {g.p_threshold.iloc[0]:g}.</p><table><tr><th>configuration</th><th>ours (mean ± std, n)"
                     "</th><th>paper</th><th>chosen lr (grid)</th><th>p vs best</th></tr>")
        for r in g.itertuples():
            std = f" ± {100 * r.test_error_std:.2f}" if pd.notna(r.test_error_std) else ""
            div = f", {r.n_diverged} diverged" if r.n_diverged else ""
            pv = ("best" if r.best else "n/a (n&lt;2)" if pd.isna(r.p_vs_best) else
                  f"{r.p_vs_best:.3g}{' *' if r.different_from_best else ''}")
            paper_v = "n/a" if pd.isna(r.paper_test_error) else f"{100 * r.paper_test_error:.2f}"
            parts.append(f"<tr><td>{_e(r.config)}</td><td>{100 * r.test_error_mean:.2f}{std} (n={r.n}{div})</td>"
                         f"<td>{paper_v}</td><td>{r.lr:g} ({_e(r.lr_grid)})</td><td>{pv}</td></tr>")
        parts.append("</table>")
    return "".join(parts)


def write(out, data, verdicts: pd.DataFrame, table1: pd.DataFrame | None, written: dict, captions: dict,
          runs_label: str = "") -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = getattr(data, "runs", pd.DataFrame())
    out_label = os.path.relpath(out) if not os.path.relpath(out).startswith("..") else str(out)
    counts = verdicts.verdict.value_counts().to_dict() if len(verdicts) else {}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    body = [f"<h1>Glorot &amp; Bengio (2010), reproduced</h1>",
            f"<p>{_e(paper.numbers()['source'])}. Runs: <code>{_e(runs_label)}</code>. Verdicts: {_e(summary)}.</p>",
            "<p class='small'>Curves: mean over seeds, band = ±1 std over seeds; n is stated in each title. "
            "Every verdict's measure and threshold is fixed in <code>glorot/verdicts.py</code>; claims that fail "
            "are reported as such.</p>"]
    md = ["| figure | claim | verdict | command | image |", "|---|---|---|---|---|"]
    for spec in FIGURES:
        prof = _profile(data, spec.experiment)
        cmds = commands(spec.experiment, prof, runs_label, out_label, spec.id)
        v = verdicts[verdicts.figure == spec.id] if len(verdicts) else verdicts
        body.append(f"<div class='fig' id='{spec.id}'><h2>{_e(spec.id)}: {_e(spec.stem)}</h2>")
        body.append(f"<p><b>Paper's claim.</b> {_e(spec.claim)}</p>")
        if spec.id in written:
            body.append(f"<img src='figures/{_e(spec.stem)}.png' alt='{_e(spec.stem)}'>"
                        f"<p class='small'>Caption: {_e(captions.get(spec.id, ''))}. "
                        f"<a href='figures/{_e(spec.stem)}.pdf'>PDF</a></p>")
        else:
            body.append(f"<p><b>missing</b>: no runs of experiment <code>{_e(spec.experiment)}</code>.</p>")
        body.append("<p><b>Our verdict.</b></p>" + _verdict_html(v))
        body.append("<p><b>Commands.</b></p><pre>" + _e("\n".join(cmds)) + "</pre>")
        prov = provenance(runs, spec.experiment)
        if prov:
            body.append("<p><b>Provenance.</b></p><table><tr>" + "".join(f"<th>{_e(k)}</th>" for k in prov[0])
                        + "</tr>" + "".join("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in p.values()) + "</tr>"
                                            for p in prov) + "</table>")
        body.append("</div>")
        verdict_md = "; ".join(f"{r.verdict} ({r.value})" if r.value else r.verdict for r in v.itertuples()) or (
            "missing" if spec.id in verdicts_mod.CHECKS else "illustration (no claim to check)")
        img = (f"![{spec.id}]({os.path.relpath(out / 'figures' / (spec.stem + '.png'))})"
               if spec.id in written else "missing")
        md.append(f"| {spec.id} | {spec.claim} | {verdict_md.replace('|', '/')} | `{' && '.join(cmds)}` | {img} |")
    t1v = verdicts[verdicts.figure == "table1"] if len(verdicts) else verdicts
    body.append("<div class='fig' id='table1'><h2>Table 1</h2>"
                f"<p><b>Paper's claim.</b> {_e(paper.claim('table1'))}</p>" + _table1_html(table1)
                + "<p><b>Our verdict.</b></p>" + _verdict_html(t1v) + "<pre>"
                + _e("\n".join(commands("table1", _profile(data, "table1"), runs_label, out_label, "table1")[:1]
                          + commands("shapeset_table1", _profile(data, "table1"), runs_label, out_label,
                                     "table1")))
                + "</pre></div>")
    body.append("<h2>All verdicts</h2>" + _all_verdicts_html(verdicts))
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>glorot: figures and verdicts</title>"
            f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n")
    write_text(out / "index.html", page)
    write_text(out / "gallery.md", "\n".join(md) + "\n")
    return out / "index.html"


def _all_verdicts_html(v: pd.DataFrame) -> str:
    if v.empty:
        return "<p>none</p>"
    rows = "".join(f"<tr><td><a href='#{_e(r.figure)}'>{_e(r.figure)}</a></td><td>{_e(r.measure)}</td>"
                   f"<td>{_e(r.value)}</td><td>{_e(r.paper)}</td>"
                   f"<td class='v' style='color:{COLORS.get(r.verdict, '#000')}'>{_e(r.verdict)}</td></tr>"
                   for r in v.itertuples())
    return ("<table><tr><th>figure</th><th>measure</th><th>ours</th><th>paper</th><th>verdict</th></tr>"
            + rows + "</table>")
