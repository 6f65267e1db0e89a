"""The gallery: ``<out>/index.html`` (a static page, no scripts, no network) and ``<out>/gallery.md``.

It reads like the paper, claim by claim (``glorot.claims``): an overview table first (claim, its
verdict as a coloured badge, the profile / budget / device of its runs, a link to its section),
then one section per claim titled by the claim ("Fig. 2: sigmoid saturation of the top layer"):
the figure, its caption, the paper's claim, our verdict rows with the paper's number beside ours
and each row's n, spread or p and threshold, the commands that made it, and the provenance of its
runs (run folder, git commit, device, wall time from run.json). Then Table 1 and every verdict.
"""

from __future__ import annotations

import html
import math
import os
import re
from pathlib import Path

import pandas as pd

from glorot import claims, frames, paper
from glorot.files import write_text

COLORS = {"reproduced": "#1a7f37", "not reproduced": "#cf222e", "inconclusive": "#9a6700", "missing": "#6e7781",
          "illustration": "#0969da"}
SEVERITY = ["not reproduced", "missing", "inconclusive", "reproduced"]  # a claim's badge: its worst row

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1f2328}
h1{font-size:1.6em} h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:2em}
.fig{border:1px solid #d0d7de;border-radius:6px;padding:1em;margin:1.5em 0}
.fig img{max-width:100%;height:auto;display:block;margin:.5em auto}
.v{font-weight:600} code,pre{background:#f6f8fa;border-radius:4px;padding:.1em .3em;font-size:.85em}
pre{padding:.6em;white-space:pre-wrap} table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
.badge{display:inline-block;color:#fff;border-radius:1em;padding:.1em .7em;font-size:.85em;font-weight:600;
white-space:nowrap}
.small{font-size:.85em;color:#57606a}
"""


def _e(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x))


def badge(verdict: str) -> str:
    return f"<span class='badge' style='background:{COLORS.get(verdict, '#000')}'>{_e(verdict)}</span>"


def claim_verdict(rows: pd.DataFrame, judged: bool = True) -> str:
    """One word per claim for the overview: its worst row (not reproduced > missing > inconclusive >
    reproduced), context rows aside; 'illustration' for a claim with no verdict (Fig. 1)."""
    if not judged:
        return "illustration"
    if "role" in rows:
        rows = rows[rows.role.fillna("verdict") != "context"]
    if rows.empty:
        return "missing"
    return min(rows.verdict, key=lambda v: SEVERITY.index(v) if v in SEVERITY else 0)


def commands(experiments, profile: str, runs_label: str, out: str, fig_id: str) -> list[str]:
    """The commands that train a claim's experiments and draw it."""
    plot = f"python -m glorot.plot --runs {runs_label or f'results/runs/{profile}'} --out {out} --only {fig_id}"
    if isinstance(experiments, str):
        experiments = [experiments]
    return [f"python -m glorot.train experiment={e} profile={profile}" for e in experiments or ()] + [plot]


def provenance(runs: pd.DataFrame, experiments) -> list[dict]:
    """One row per run a claim reads (``runs``: that claim's runs, at its chosen profile)."""
    if isinstance(experiments, str):
        experiments = [experiments]
    if not experiments or runs.empty or "name" not in runs:
        return []
    out = []
    for r in runs[runs["name"].isin(list(experiments))].to_dict("records"):
        wall = r.get("wall_time_s")
        out.append({"run folder": r.get("run", ""), "git commit": str(r.get("git_commit") or "")[:12]
                    + (" (dirty)" if r.get("git_dirty") is True else ""),
                    "profile": r.get("profile", ""), "device": r.get("device_name", ""), "wall time": "" if wall is None or pd.isna(wall)
                    else f"{float(wall):.1f} s", "status": r.get("status", "")})
    return out


def _verdict_html(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "<p class='small'>no verdict</p>"
    parts = ["<table><tr><th>verdict</th><th>measure</th><th>ours</th><th>paper</th><th>n</th>"
             "<th>spread or p</th><th>threshold</th></tr>"]
    for r in rows.itertuples():
        ctx = "<br><span class='small'>context, not counted</span>" if getattr(r, "role", "") == "context" else ""
        parts.append(f"<tr><td>{badge(r.verdict)}{ctx}</td><td>{_e(r.measure)}</td><td>{_e(r.value)}</td>"
                     f"<td>{_e(r.paper)}</td><td>{_e(getattr(r, 'n', ''))}</td>"
                     f"<td>{_e(getattr(r, 'spread_or_p', ''))}</td><td>{_e(getattr(r, 'threshold', ''))}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _table1_html(t: pd.DataFrame | None, caption: str = "") -> str:
    if t is None or t.empty:
        return "<p>Table 1: <b>missing</b> (no runs of experiment <code>table1</code>).</p>"
    from glorot.table1 import DATA_LABELS  # noqa: PLC0415

    parts = [f"<p class='small'>{_e(caption)}</p>"] if caption else []
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


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split(" | ")]


def _md_rows(out) -> dict[str, list[str]]:
    """Claim title -> the cells of its row in the ``out/gallery.md`` that :func:`write` wrote ({}
    without one)."""
    path = Path(out) / "gallery.md"
    rows = [_cells(line) for line in path.read_text().splitlines()[2:]] if path.exists() else []
    return {cells[0]: cells for cells in rows if len(cells) == len(_MD_HEAD)}


def captions(out) -> dict[str, str]:
    """Claim title -> the runs' caption ("profile, budget, device") in the ``out/gallery.md`` that
    :func:`write` wrote ({} without one): what the last drawing of each claim said of its runs."""
    return {title: cells[2] for title, cells in _md_rows(out).items()}


_MD_HEAD = ("claim", "verdict", "profile, budget, device", "ours vs paper", "command", "image")
_OUT = re.compile(r"(glorot\.plot --runs \S+ --out )\S+( --only )")
_SECTION = re.compile(r"^<div class='fig' id='([^']+)'>.*?</div>$", flags=re.DOTALL | re.MULTILINE)


def sections(out) -> dict[str, str]:
    """Claim id -> its section of the ``out/index.html`` that :func:`write` wrote ({} without one)."""
    path = Path(out) / "index.html"
    return {m[1]: m[0] for m in _SECTION.finditer(path.read_text())} if path.exists() else {}


def write(out, data, verdicts: pd.DataFrame, table1: pd.DataFrame | None, written: dict, captions: dict,
          runs_label: str = "", table1_caption: str = "", redrawn: list[str] | None = None) -> Path:
    """Write ``out/index.html`` and ``out/gallery.md``. With ``redrawn`` (the claims this drawing
    judged and drew, ``--only``), every other claim keeps the section and row the last drawing
    wrote (its commands, provenance and runs' caption came from runs that may not be here now)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    old_sections, old_rows = (sections(out), _md_rows(out)) if redrawn is not None else ({}, {})
    out_label = os.path.relpath(out) if not os.path.relpath(out).startswith("..") else str(out)
    counts = verdicts.verdict.value_counts().to_dict() if len(verdicts) else {}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    overview = ["<table><tr><th>claim</th><th>verdict</th><th>profile, budget, device</th></tr>"]
    blocks = []
    md = ["| " + " | ".join(_MD_HEAD) + " |", "|" + "---|" * len(_MD_HEAD)]
    shown = [c for c in claims.all_claims() if c.draw is not None or c.id == "table1"]
    for c in shown:
        v = verdicts[verdicts.figure == c.id] if len(verdicts) else verdicts
        word = claim_verdict(v, c.judge is not None)
        if redrawn is not None and c.id not in redrawn and c.id in old_sections and c.title in old_rows:
            # as the last drawing wrote it, drawing into this --out (a copied results folder names its own)
            where, cmd = old_rows[c.title][2], _OUT.sub(lambda m: m[1] + out_label + m[2], old_rows[c.title][4])
            blocks.append(_OUT.sub(lambda m: m[1] + _e(out_label) + m[2], old_sections[c.id]))
        else:
            where, cmds, block = _section(c, data, v, word, table1, table1_caption, written, captions, runs_label,
                                          out_label)
            cmd = f"`{' && '.join(cmds)}`"
            blocks.append(block)
        overview.append(f"<tr><td><a href='#{_e(c.id)}'>{_e(c.title)}</a></td><td>{badge(word)}</td>"
                        f"<td class='small'>{_e(where)}</td></tr>")
        ours = "; ".join(f"{r.value} (paper: {r.paper})" if r.value else r.measure for r in v.itertuples())
        img = (f"![{c.id}]({os.path.relpath(out / 'figures' / (c.stem + '.png'))})" if c.id in written else
               (f"[table1.md]({os.path.relpath(out / 'table1.md')})" if c.id == "table1" else "missing"))
        md.append(f"| {c.title} | {word} | {where} | {ours.replace('|', '/') or 'n/a'} | {cmd} | {img} |")
    overview.append("</table>")
    body = ["<h1>Glorot &amp; Bengio (2010), reproduced</h1>",
            f"<p>{_e(paper.numbers()['source'])}. Runs: <code>{_e(runs_label)}</code>. Verdict rows: {_e(summary)}.</p>",
            "<p class='small'>Curves: mean over seeds, band = ±1 std over seeds; n is stated in each title. Each "
            "claim's measure and thresholds are fixed in its module <code>glorot/claims/&lt;id&gt;.py</code>; "
            "\"not reproduced\" means the data contradict the claim (significantly, or in every seed), a "
            "non-significant difference of the wrong sign is \"inconclusive\" (<code>glorot/judging.py</code>). "
            "A claim's badge is its worst row (rows marked context are shown, not counted).</p>",
            "<h2>Overview</h2>", "".join(overview), *blocks,
            "<h2>All verdicts</h2>" + _all_verdicts_html(verdicts)]
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>glorot: figures and verdicts</title>"
            f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n")
    write_text(out / "index.html", page)
    write_text(out / "gallery.md", "\n".join(md) + "\n")
    return out / "index.html"


def _section(c, data, v, word, table1, table1_caption, written, captions, runs_label, out_label):
    """Claim ``c``'s section of index.html, drawn from ``data``: (runs' caption, commands, html)."""
    d = frames.claim_frames(data, c)
    prof = frames.profile_of(d) or "smoke"
    where = captions.get(c.id) or frames.caption(d) or ("computed on the fly (no training)" if not c.experiments
                                                        else "no runs")
    cmds = commands(list(c.experiments), prof, runs_label, out_label, c.id)
    body = [f"<div class='fig' id='{_e(c.id)}'><h2>{_e(c.title)} {badge(word)}</h2>",
            f"<p><b>Paper's claim.</b> {_e(c.claim)}</p>",
            f"<p class='small'>Runs: {_e(where)}. Claim module: <code>glorot/claims/{_e(c.id)}.py</code>; "
            f"paper numbers: <code>paper_numbers.yaml</code> ({_e(c.paper_key or 'claims.' + c.id)}).</p>"]
    if c.id == "table1":
        body.append(_table1_html(table1, table1_caption))
    elif c.id in written:
        body.append(f"<img src='figures/{_e(c.stem)}.png' alt='{_e(c.title)}'>"
                    f"<p class='small'>Caption: {_e(captions.get(c.id, ''))}. "
                    f"<a href='figures/{_e(c.stem)}.pdf'>PDF</a></p>")
    else:
        body.append(f"<p><b>missing</b>: no runs of experiment <code>{_e(c.experiment)}</code>.</p>")
    body.append("<p><b>Our verdict, beside the paper's number.</b></p>" + _verdict_html(v) if c.judge else
                "<p class='small'>An illustration: no claim to judge.</p>")
    if c.id == "table1":
        cmds = commands(["table1", "shapeset_table1"], prof, runs_label, out_label, "table1")
    body.append("<p><b>Commands.</b></p><pre>" + _e("\n".join(cmds)) + "</pre>")
    prov = provenance(d.runs, c.experiments) if c.id != "table1" else []
    if prov:
        body.append("<p><b>Provenance.</b></p><table><tr>" + "".join(f"<th>{_e(k)}</th>" for k in prov[0])
                    + "</tr>" + "".join("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in p.values()) + "</tr>"
                                        for p in prov) + "</table>")
    body.append("</div>")
    return where, cmds, "".join(body)


def _all_verdicts_html(v: pd.DataFrame) -> str:
    if v.empty:
        return "<p>none</p>"
    rows = "".join(f"<tr><td><a href='#{_e(r.figure)}'>{_e(r.figure)}</a></td><td>{_e(r.measure)}</td>"
                   f"<td>{_e(r.value)}</td><td>{_e(r.paper)}</td><td>{badge(r.verdict)}</td>"
                   f"<td>{_e(getattr(r, 'n', ''))}</td><td>{_e(getattr(r, 'spread_or_p', ''))}</td>"
                   f"<td class='small'>{_e(getattr(r, 'profile', ''))}; {_e(getattr(r, 'device', ''))}</td></tr>"
                   for r in v.itertuples())
    return ("<table><tr><th>claim</th><th>measure</th><th>ours</th><th>paper</th><th>verdict</th><th>n</th>"
            "<th>spread or p</th><th>profile; device</th></tr>" + rows + "</table>")
