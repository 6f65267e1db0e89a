"""Table 1 (Shapeset and MNIST columns, and any other data set the runs hold): test error of 5-layer
networks. The rows come from the experiments in :data:`EXPERIMENTS` (``table1``: MNIST,
``shapeset_table1``: Shapeset-3x2); members keep their ``data`` column, so every choice below is
made per data set.

Per (data, activation, init) the learning rate is the one with the lowest **mean final validation
error over seeds** (paper Sec. 2.3: lr chosen on validation error). A diverged member counts as
100% validation error in that mean, so a rate that blows up some seeds is not chosen. At the
chosen rate we report the test error's mean, standard deviation and n over seeds (diverged members
are left out of the mean and counted apart), beside the paper's value.

Significance: **Welch's two-sample t-test** (unequal variances, ``scipy.stats.ttest_ind(...,
equal_var=False)``) of each row's per-seed test errors against the best row's, at the paper's
threshold p < 0.005 (its bold entries). With fewer than 2 seeds per row the test is not defined and
the p-value is left empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glorot import paper
from glorot.files import write_csv, write_text
from glorot.judging import welch_p

DATA_LABELS = {"mnist": "MNIST", "shapeset": "Shapeset", "cifar10": "CIFAR-10"}
DATA_ORDER = ["shapeset", "mnist", "cifar10"]  # the paper's column order
EXPERIMENTS = ("table1", "shapeset_table1")  # the experiments whose members make the table
DEPTH = 5  # Table 1 is of 5-hidden-layer networks


def members_of(data) -> pd.DataFrame:
    """Members of every Table 1 experiment in loaded frames (``glorot.plot.load``), all data sets."""
    m = getattr(data, "members", None)
    if m is None or m.empty or "name" not in m:
        return pd.DataFrame()
    return m[m["name"].isin(EXPERIMENTS)].reset_index(drop=True)
COLUMNS = ["data", "activation", "init", "config", "lr", "lr_grid", "n", "n_diverged", "test_error_mean",
           "test_error_std", "valid_error_mean", "paper_test_error", "p_vs_best", "different_from_best",
           "best", "test", "p_threshold"]


def choose_lr(members: pd.DataFrame) -> pd.DataFrame:
    """One row per (data, activation, init): the lr with the lowest mean final validation error."""
    m = members.copy()
    if "data" not in m:
        m["data"] = "mnist"
    diverged = m.get("status", pd.Series("ok", index=m.index)).ne("ok") | m.final_valid_error.isna()
    m["sel_valid"] = np.where(diverged, 1.0, m.final_valid_error)
    g = m.groupby(["data", "activation", "init", "lr"], as_index=False).sel_valid.mean()
    idx = g.groupby(["data", "activation", "init"]).sel_valid.idxmin()
    best = g.loc[idx].rename(columns={"sel_valid": "valid_error_mean"})
    grids = m.groupby(["data", "activation", "init"]).lr.agg(lambda s: sorted(set(s)))
    best["lr_grid"] = [grids.loc[(r.data, r.activation, r.init)] for r in best.itertuples()]
    return best.reset_index(drop=True)


def at_chosen_lr(members: pd.DataFrame, frame: pd.DataFrame, chosen: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``frame`` (members, metrics, ...) belonging to each configuration's chosen lr."""
    chosen = choose_lr(members) if chosen is None else chosen
    keys = ["activation", "init", "lr"] + (["data"] if "data" in frame and "data" in chosen else [])
    return frame.merge(chosen[keys], on=keys)


def table1(members: pd.DataFrame) -> pd.DataFrame:
    """The table (errors as fractions; the .md rendering shows %)."""
    if members.empty:
        return pd.DataFrame(columns=COLUMNS)
    if "depth" in members and members.depth.nunique() > 1 and (members.depth == DEPTH).any():
        members = members[members.depth == DEPTH]  # e.g. Fig. 11's sigmoid depth-4 runs: not Table 1
    chosen = choose_lr(members)
    m = at_chosen_lr(members, members.assign(data=members.get("data", "mnist")), chosen)
    rows = []
    for (data, act, init), g in m.groupby(["data", "activation", "init"]):
        ok = g[(g.get("status", "ok") == "ok") & g.final_test_error.notna()]
        c = chosen[(chosen.data == data) & (chosen.activation == act) & (chosen.init == init)].iloc[0]
        rows.append(dict(data=data, activation=act, init=init, config=paper.table1_label(act, init), lr=c.lr,
                         lr_grid=" ".join(f"{x:g}" for x in c.lr_grid), n=len(ok), n_diverged=len(g) - len(ok),
                         test_error_mean=ok.final_test_error.mean(),
                         test_error_std=ok.final_test_error.std(ddof=1) if len(ok) > 1 else np.nan,
                         valid_error_mean=c.valid_error_mean,
                         paper_test_error=_paper_value(act, init, data), _errors=ok.final_test_error.to_numpy()))
    t = pd.DataFrame(rows)
    p_thr = paper.significance_p()
    t["p_vs_best"], t["different_from_best"], t["best"] = np.nan, False, False
    for data, g in t.groupby("data"):
        b = g.test_error_mean.idxmin()
        t.loc[b, "best"] = True
        for i in g.index:
            if i == b:
                continue
            p = welch_p(t.at[i, "_errors"], t.at[b, "_errors"])
            t.at[i, "p_vs_best"] = p
            t.at[i, "different_from_best"] = bool(np.isfinite(p) and p < p_thr)
    t["test"] = "Welch's t-test vs best row"
    t["p_threshold"] = p_thr
    t = t.drop(columns="_errors").sort_values(["data", "test_error_mean"]).reset_index(drop=True)
    return t[COLUMNS]


def errors_at_chosen(members: pd.DataFrame, activation: str, init: str) -> np.ndarray:
    """Per-seed final test errors of one configuration at its chosen lr (diverged members left out)."""
    m = at_chosen_lr(members, members)
    m = m[(m.activation == activation) & (m.init == init) & m.final_test_error.notna()]
    return m.final_test_error.to_numpy()


def _paper_value(act, init, data) -> float:
    v = paper.table1_value(act, init, DATA_LABELS.get(data, data))
    return np.nan if v is None else v / 100.0


def to_markdown(t: pd.DataFrame, profile: str = "") -> str:
    """Table 1 as markdown, errors in %, ours (mean ± std, n) beside the paper's."""
    lines = side_by_side(t, profile) if t.data.nunique() > 1 else []
    for data, g in t.groupby("data", sort=False):
        label = DATA_LABELS.get(data, data)
        lines += [f"**Table 1, {label}** (test error %, 5 hidden layers{'; ' + profile if profile else ''}; "
                  f"lr chosen per row on mean validation error; p: Welch's t-test vs the best row, "
                  f"* = different at p < {g.p_threshold.iloc[0]:g})", "",
                  "| configuration | ours: test error % (mean ± std, n) | paper | chosen lr (grid) | p vs best |",
                  "|---|---|---|---|---|"]
        for r in g.itertuples():
            ours = _pct(r.test_error_mean)
            if np.isfinite(r.test_error_std):
                ours += f" ± {100 * r.test_error_std:.2f}"
            ours += f" (n={r.n}" + (f", {r.n_diverged} diverged" if r.n_diverged else "") + ")"
            pv = "best" if r.best else ("n/a (n<2)" if not np.isfinite(r.p_vs_best) else
                                         f"{r.p_vs_best:.3g}{' *' if r.different_from_best else ''}")
            lines.append(f"| {r.config} | {ours} | {_pct(r.paper_test_error)} | {r.lr:g} ({r.lr_grid}) | {pv} |")
        lines.append("")
    return "\n".join(lines)


def side_by_side(t: pd.DataFrame, profile: str = "") -> list[str]:
    """One markdown table, a row per configuration and per data set a column pair (ours, paper), in
    the paper's column order (Shapeset, MNIST, ...); * = different from that column's best row."""
    datas = sorted(t.data.unique(), key=lambda d: (DATA_ORDER.index(d) if d in DATA_ORDER else 99, d))
    head = "| configuration | " + " | ".join(f"{DATA_LABELS.get(d, d)}: ours | {DATA_LABELS.get(d, d)}: paper"
                                             for d in datas) + " |"
    lines = [f"**Table 1** (test error %, 5 hidden layers{'; ' + profile if profile else ''}; ours: "
             f"mean ± std over n seeds at the lr chosen per data set and row on validation error; "
             f"best = lowest in its column, * = different from it by Welch's t-test at p < "
             f"{t.p_threshold.iloc[0]:g}; details per data set below)", "", head,
             "|---|" + "---|---|" * len(datas)]
    order = {(r["activation"], r["init"]): i for i, r in enumerate(paper.table1_rows())}
    configs = sorted({(r.activation, r.init, r.config) for r in t.itertuples()},
                     key=lambda c: (order.get(c[:2], 99), c[2]))
    for act, init, label in configs:
        cells = []
        for d in datas:
            r = t[(t.data == d) & (t.activation == act) & (t.init == init)]
            if r.empty:
                cells += ["n/a", "n/a"]
                continue
            r = r.iloc[0]
            ours = _pct(r.test_error_mean) + (f" ± {100 * r.test_error_std:.2f}" if np.isfinite(r.test_error_std)
                                              else "") + f" (n={r.n})"
            ours += " best" if r.best else (" *" if r.different_from_best else "")
            cells += [ours, _pct(r.paper_test_error)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines + [""]


def _pct(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.2f}"


def write(t: pd.DataFrame, out_dir, profile: str = "") -> None:
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "table1.csv", t)
    write_text(out / "table1.md", to_markdown(t, profile) + "\n")
