"""Mean-field theory beside the measurements: predicted lines for any at-init figure, and the
depth-30 experiment's figures and verdicts (issue 14). Port-ready: every public function takes the
tidy frames of :func:`glorot.results.load` (``stats``: member, step, layer, signal, stat, value and
the member axes activation / init / seed / depth / width / data) and returns frames, figures or
verdict rows shaped like :func:`glorot.judging.row`'s.

* :func:`predicted_for` / :func:`predicted_std`: the predicted per-layer std of ``act``, ``pre`` and
  ``grad_s`` for every (activation, init, depth, width) in a stats frame (glorot.theory.predict);
* :func:`compare`: measured (mean over seeds, first record step) beside predicted, with
  ``ln_err = ln(measured / predicted)``; :func:`error_text` puts it in words for a caption;
* :func:`draw_predicted`: dashed predicted lines on an existing per-layer std axis (Figs. 6-8 at init,
  relu_init / relu30, the pitfalls);
* :func:`depth30_figure` (heat maps of ln(std layer 30 / std layer 1), measured | predicted | error,
  for act and dC/ds) and :func:`depth30_layers_figure` (per-layer measured vs predicted);
* :func:`depth30_verdicts` (the claim ``glorot/claims/depth30.py``'s rows: the summary verdict and one
  context row per activation) and :func:`depth30_cells` (one row per (activation, init, signal) cell);
* :func:`theory_rows` / :func:`context_rows` and :func:`std_theory_panel` / :func:`theory_overlay`: the
  prediction and its error on any at-init claim's figure and, as role=context rows, beside its verdict.

The inputs' second moments q0 default to the data set's own (:func:`inputs_q0`): per example of the
monitor set, what the recorder measures on, and the training set's mean for ``init=critical``
(what the trainer gives it).

**Tolerance (fixed before looking at any depth-30 data).** A cell is judged on
``err = ln(std_L / std_1)_measured - ln(std_L / std_1)_predicted`` (mean over seeds). The mean-field
prediction is the wide-limit value; at width n the log second moment of one input wanders from layer
to layer with variance about kappa / n per layer (kappa = 2 for a linear layer, 5 for relu: Hanin &
Nica 2019), so over L - 1 layers ln(std ratio) has a standard deviation of about
``0.5 sqrt(kappa (L - 1) / n)``. We take kappa = 5 (the largest among the suite's activations) and
allow 3 of these standard deviations, plus 0.05 for what the theory leaves out at finite size:
``TOL = 1.5 sqrt(5 (L - 1) / n) + 0.05`` (0.62 at L = 30, n = 1000: a factor 1.9 in the std ratio,
against predicted ratios from e^-16 to e^+1). A cell is **reproduced** if |err| <= TOL, **not
reproduced** if |err| > TOL, and **inconclusive** where the predicted or measured std at layer 1 or L
is below 1e-17 (its variance under 1e-34 is within a few powers of ten of float32's smallest normal
number, where the recorder's float32 variance loses its digits) or not finite. The summary row is
reproduced when every judged cell is, not reproduced when more than 10% of them are not.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory
from glorot.judging import INCONCLUSIVE, NOT, REPRODUCED, missing, row

#: where the runs' MNIST is (their data.root, "data", relative to the repository root they were trained
#: in): the plot stage reads it from there whatever its working directory (a notebook's is notebooks/)
DATA_ROOT = str(Path(__file__).resolve().parents[2] / "data")

SIGNALS = {"act": "act_std", "pre": "pre_std", "grad_s": "grad_s_std"}
KEYS = ["activation", "init", "depth", "width"]
KAPPA, SIGMAS, FLOOR = 5.0, 3.0, 0.05
TINY = 1e-17  # std below which a float32 recording is not trusted (variance near float32's underflow)
SUMMARY_BAD = 0.10  # summary: not reproduced when more than this share of cells are not
ACTIVATIONS = ["tanh", "sigmoid", "softsign", "relu", "gelu", "silu", "selu"]
INITS = ["standard", "normalized", "he", "lecun", "critical"]
CLAIM = ("Mean-field signal propagation (Poole et al. 2016; Schoenholz et al. 2017) predicts the per-layer std "
         "of activations and back-propagated gradients at init, for any activation and init; He's 2/n is its relu case.")


def tolerance(depth: int, width: int) -> float:
    """The stated tolerance on ln(std ratio layer depth / layer 1) (module docstring)."""
    return SIGMAS * 0.5 * math.sqrt(KAPPA * max(depth - 1, 1) / width) + FLOOR


# --------------------------------------------------------------------------------------------
# Inputs and predictions
# --------------------------------------------------------------------------------------------


def _data_yaml(data: str, root: str, monitor_size: int) -> str:
    """The data config (``DataConfig`` with these fields, the others at their defaults) as YAML text:
    the key of glorot.theory.monitor_set's cache, which loads the data set once."""
    from omegaconf import OmegaConf  # noqa: PLC0415

    from glorot.config import DataConfig  # noqa: PLC0415

    return OmegaConf.to_yaml(OmegaConf.structured(DataConfig(name=str(data), root=str(root),
                                                             monitor_size=int(monitor_size))))


def inputs_q0(data: str = "mnist", root: str = DATA_ROOT, monitor_size: int = 300) -> dict:
    """The data's input second moments: ``monitor`` (per example of the monitor set, [M]), ``train``
    (the training set's mean x^2: init=critical's q0), and ``n_in`` / ``n_out``."""
    mon, tr, n_in, n_out, _ = theory.monitor_set(_data_yaml(data, root, monitor_size))
    return {"monitor": mon, "train": tr, "n_in": n_in, "n_out": n_out}


def monitor_size(runs: pd.DataFrame, default: int = 300) -> int:
    """The monitor set's size the runs recorded on (``data.monitor_size`` of their ``config.yaml``;
    ``default``, the data configs' 300, where no run says); several different sizes are an error."""
    from omegaconf import OmegaConf  # noqa: PLC0415

    sizes = set()
    for d in (runs.run_dir.dropna().unique() if "run_dir" in runs else []):
        cfg = Path(d) / "config.yaml"
        if cfg.exists():
            size = OmegaConf.select(OmegaConf.load(cfg), "data.monitor_size")
            if size is not None:
                sizes.add(int(size))
    if len(sizes) > 1:
        raise ValueError(f"runs recorded on monitor sets of different sizes: {sorted(sizes)}")
    return sizes.pop() if sizes else int(default)


def predicted_dead(depth: int, data: str = "mnist", root: str = DATA_ROOT, monitor_size: int = 300) -> np.ndarray:
    """glorot.theory.dead_share on the data's monitor set (glorot.theory.monitor_dead_share): the
    predicted share of units dead (<= 0 on every monitor example) in hidden layers 1..``depth`` of a
    wide ReLU stack at init, any weight scale."""
    return theory.monitor_dead_share(_data_yaml(data, root, monitor_size), int(depth))


def predicted_std(activation: str, init: str, depth: int, width: int, q0, n_in: int = 784, n_out: int = 10,
                  q0_init: float | None = None) -> pd.DataFrame:
    """Tidy predicted std per layer: columns activation, init, depth, width, layer, signal (act, pre,
    grad_s), predicted. Layers 1..depth (hidden) and depth + 1 (output: pre and grad_s only)."""
    t = theory.predict(activation, init, int(depth), int(width), q0, n_in, n_out, q0_init=q0_init)
    rows = []
    for signal, col in SIGNALS.items():
        d = t[["layer", col]].dropna().rename(columns={col: "predicted"})
        d.insert(1, "signal", signal)
        rows.append(d)
    out = pd.concat(rows, ignore_index=True)
    for k, v in zip(KEYS, (activation, init, int(depth), int(width))):
        out.insert(KEYS.index(k), k, v)
    return out


def predicted_for(stats: pd.DataFrame, q0=None, q0_init: float | None = None, data_root: str = DATA_ROOT,
                  n_in: int | None = None, n_out: int | None = None) -> pd.DataFrame:
    """:func:`predicted_std` for every (activation, init, depth, width) in ``stats``. ``q0``: the
    inputs' second moment(s); default: the data set's monitor set (:func:`inputs_q0`, from the frame's
    ``data`` column, MNIST when absent), with its training-set mean for init=critical."""
    if stats.empty:
        return pd.DataFrame(columns=[*KEYS, "layer", "signal", "predicted"])
    if q0 is None or n_in is None or n_out is None:
        data = str(stats["data"].dropna().iloc[0]) if "data" in stats and stats["data"].notna().any() else "mnist"
        inp = inputs_q0(data, data_root)
        q0 = inp["monitor"] if q0 is None else q0
        q0_init = inp["train"] if q0_init is None else q0_init
        n_in, n_out = n_in or inp["n_in"], n_out or inp["n_out"]
    combos = stats[KEYS].drop_duplicates().itertuples(index=False)
    return pd.concat([_cached_std(a, i, d, w, q0, n_in, n_out, q0_init) for a, i, d, w in combos],
                     ignore_index=True)


_PREDICTED: dict = {}  # the plot stage asks for the same networks' predictions several times (draw, judge)


def _cached_std(activation, init, depth, width, q0, n_in, n_out, q0_init) -> pd.DataFrame:
    q = np.asarray(q0, float)
    key = (str(activation), str(init), int(depth), int(width), q.shape, q.tobytes(), int(n_in), int(n_out),
           None if q0_init is None else float(q0_init))
    if key not in _PREDICTED:
        if len(_PREDICTED) > 256:
            _PREDICTED.clear()
        _PREDICTED[key] = predicted_std(activation, init, depth, width, q0, n_in, n_out, q0_init)
    return _PREDICTED[key].copy()


def measured_std(stats: pd.DataFrame, step: int | None = None) -> pd.DataFrame:
    """Measured std per (activation, init, depth, width, layer, signal) at ``step`` (default: each
    run's first record step), mean / sd / n over seeds."""
    s = stats[(stats.stat == "std") & stats.signal.isin(list(SIGNALS))]
    if s.empty:
        return pd.DataFrame(columns=[*KEYS, "layer", "signal", "measured", "measured_sd", "n"])
    s = s[s.step == (s.step.min() if step is None else step)]
    g = s.groupby([*KEYS, "layer", "signal"]).value
    return g.agg(measured="mean", measured_sd="std", n="count").reset_index()


def compare(stats: pd.DataFrame, predicted: pd.DataFrame | None = None, step: int | None = None, **kw) -> pd.DataFrame:
    """Measured beside predicted, one row per (activation, init, depth, width, layer, signal), with
    ``ln_err = ln(measured / predicted)``. ``kw`` goes to :func:`predicted_for`."""
    m = measured_std(stats, step)
    p = predicted_for(stats, **kw) if predicted is None else predicted
    out = m.merge(p, on=[*KEYS, "layer", "signal"], how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ln_err"] = np.log(out.measured / out.predicted)
    return out


def error_text(comp: pd.DataFrame, hidden_only: bool = True) -> str:
    """Measured-vs-predicted error in words for a caption: per signal, the largest |ln(meas/pred)|
    over layers and configurations, as a percentage of the predicted std."""
    c = comp
    if hidden_only and len(c):
        c = c[c.layer <= c.depth]
    parts = []
    for signal in SIGNALS:
        e = c[c.signal == signal].ln_err.replace([np.inf, -np.inf], np.nan).dropna()
        if len(e):
            worst = float(e.abs().max())
            parts.append(f"{signal} within {100 * (math.exp(worst) - 1):.1f}% (max |ln(meas/pred)| {worst:.3f}, "
                         f"mean {float(e.mean()):+.3f})")
    return ("measured vs mean-field prediction: " + "; ".join(parts)) if parts else "no prediction to compare"


def draw_predicted(ax, predicted: pd.DataFrame, signal: str, colors: dict | None = None, label: bool = True,
                   hidden_only: bool = True, **eq) -> None:
    """Dashed predicted std per layer on ``ax``, one line per (activation, init) in ``predicted``
    (filtered by ``eq``, e.g. init="he"); ``colors`` maps init (or (activation, init)) to a colour."""
    p = predicted[predicted.signal == signal]
    for k, v in eq.items():
        p = p[p[k] == v]
    if hidden_only:
        p = p[p.layer <= p.depth]
    for i, ((act, init), d) in enumerate(p.groupby(["activation", "init"], sort=False)):
        c = (colors or {}).get((act, init), (colors or {}).get(init, plt.get_cmap("tab10")(i)))
        d = d.sort_values("layer")
        ax.plot(d.layer, d.predicted, ls="--", lw=1.1, color=c,
                label=f"{init}: mean-field" if label else None)


# --------------------------------------------------------------------------------------------
# The depth-30 experiment
# --------------------------------------------------------------------------------------------


def log_ratios(comp: pd.DataFrame) -> pd.DataFrame:
    """Per (activation, init, depth, width, signal): ln(std layer depth / std layer 1), measured and
    predicted, their difference err, the tolerance and n (seeds)."""
    c = comp[comp.layer.isin([1]) | (comp.layer == comp.depth)]
    rows = []
    for key, g in c.groupby([*KEYS, "signal"]):
        depth = int(key[2])
        g = g.set_index("layer")
        if 1 not in g.index or depth not in g.index or depth < 2:
            continue
        m1, mL, p1, pL = g.measured[1], g.measured[depth], g.predicted[1], g.predicted[depth]
        with np.errstate(divide="ignore", invalid="ignore"):
            lm = math.log(mL / m1) if m1 > 0 and mL > 0 else float("nan")
            lp = math.log(pL / p1) if p1 > 0 and pL > 0 else float("nan")
        tiny = not all(np.isfinite([m1, mL, p1, pL])) or min(m1, mL, p1, pL) < TINY
        rows.append(dict(zip([*KEYS, "signal"], key), ln_measured=lm, ln_predicted=lp, err=lm - lp,
                         tol=tolerance(depth, int(key[3])), n=int(g.n.min()), judged=not tiny,
                         max_layer_err=float(g.ln_err.abs().max()) if "ln_err" in g else float("nan")))
    return pd.DataFrame(rows)


def cell_verdict(x) -> str:
    """One depth-30 cell's verdict from its :func:`log_ratios` row (module docstring)."""
    if not x.judged:
        return INCONCLUSIVE
    return REPRODUCED if abs(x.err) <= x.tol else NOT


def depth30_cells(stats: pd.DataFrame, comp: pd.DataFrame | None = None, **kw) -> list[dict]:
    """Verdict rows (glorot.judging.row's shape): a summary row (``depth30``), then one per
    (activation, init, signal) cell (``depth30:<activation>/<init>/<signal>``, role context). The
    claim module shows these cells in its heat map and reports them per activation
    (:func:`depth30_verdicts`). Thresholds: module docstring. ``kw`` goes to :func:`predicted_for`."""
    comp = compare(stats, **kw) if comp is None else comp
    r = log_ratios(comp)
    if r.empty:
        return [missing("depth30", "no act/grad_s std statistics at init")]
    cells = []
    for x in r.itertuples(index=False):
        sig = {"act": "activations", "grad_s": "dC/ds", "pre": "pre-activations"}[x.signal]
        v = cell_verdict(x)
        value = (f"measured {x.ln_measured:+.3f}, predicted {x.ln_predicted:+.3f}, error {x.err:+.3f} "
                 f"(tol {x.tol:.2f}); worst layer |ln(meas/pred)| {x.max_layer_err:.3f}; n={x.n}")
        if not x.judged:
            value += f"; std below {TINY:g}: beyond float32's variance"
        cells.append(row(f"depth30:{x.activation}/{x.init}/{x.signal}",
                         f"ln(std layer {x.depth} / std layer 1) of {sig} at init, {x.activation} {x.init}, width {x.width}",
                         value, f"mean-field {x.ln_predicted:+.3f}", v, claim=CLAIM, n=x.n,
                         threshold=f"|error| <= {x.tol:.2f}", role="context"))
    return [summary_row(r), *cells]


def summary_row(r: pd.DataFrame) -> dict:
    """The depth-30 verdict: reproduced when every judged cell is within tolerance, not reproduced when
    more than SUMMARY_BAD of them are not, inconclusive in between or when none is judged."""
    verdicts = [cell_verdict(x) for x in r.itertuples(index=False)]
    judged = [v for v in verdicts if v != INCONCLUSIVE]
    bad = sum(v == NOT for v in judged)
    if not judged:
        sv = INCONCLUSIVE
    else:
        sv = REPRODUCED if bad == 0 else (NOT if bad > SUMMARY_BAD * len(judged) else INCONCLUSIVE)
    worst = r[r.judged].err.abs().max() if r.judged.any() else float("nan")
    tol = float(r.tol.iloc[0])
    return row("depth30", f"cells (activation x init x signal) whose ln(std L / std 1) is within tolerance "
               f"of the mean-field prediction (tol {tol:.2f} at width {int(r.width.iloc[0])})",
               f"{len(judged) - bad}/{len(judged)} within tolerance, {len(verdicts) - len(judged)} inconclusive; "
               f"worst |error| {worst:.3f}; n={int(r.n.min())}", "theory within tolerance in every cell", sv,
               n=int(r.n.min()),
               spread_or_p=f"|error| per cell {r[r.judged].err.abs().min():.3f}..{worst:.3f}" if r.judged.any() else "",
               threshold=f"every cell |error| <= {tol:.2f} (1.5 sqrt(5 (L-1)/n) + 0.05, stated before the results); "
                         f"not reproduced if more than {SUMMARY_BAD:.0%} of the judged cells are outside")


def depth30_verdicts(stats: pd.DataFrame, comp: pd.DataFrame | None = None, **kw) -> list[dict]:
    """The claim's rows, all with id ``depth30``: the summary verdict (:func:`summary_row`), then one
    context row per activation listing its cells (init: act error / dC/ds error, a '!' where outside the
    tolerance, '?' where not judged), its verdict reproduced when all its judged cells are within
    tolerance, not reproduced when one is not. ``kw`` goes to :func:`predicted_for`."""
    comp = compare(stats, **kw) if comp is None else comp
    r = log_ratios(comp)
    if r.empty:
        return [missing("depth30", "no act/grad_s std statistics at init")]
    rows = [summary_row(r)]
    acts = [a for a in ACTIVATIONS if a in set(r.activation)] + sorted(set(r.activation) - set(ACTIVATIONS))
    for act in acts:
        g = r[r.activation == act]
        inits = [i for i in INITS if i in set(g.init)] + sorted(set(g.init) - set(INITS))
        parts, vs = [], []
        for init in inits:
            cell = []
            for x in g[g.init == init].itertuples(index=False):
                v = cell_verdict(x)
                vs.append(v)
                mark = {REPRODUCED: "", NOT: "!", INCONCLUSIVE: "?"}[v]
                cell.append(f"{x.signal} {x.err:+.2f}{mark}" if np.isfinite(x.err) else f"{x.signal} n/a{mark}")
            parts.append(f"{init}: " + ", ".join(cell))
        judged = [v for v in vs if v != INCONCLUSIVE]
        v = INCONCLUSIVE if not judged else (NOT if NOT in judged else REPRODUCED)
        tol = float(g.tol.iloc[0])
        rows.append(row("depth30", f"{act}: error of ln(std layer {int(g.depth.iloc[0])} / std layer 1), measured - "
                                   f"mean-field, per init (act, dC/ds)",
                        "; ".join(parts) + f"; n={int(g.n.min())}",
                        "; ".join(f"{x.init} {x.signal} {x.ln_predicted:+.1f}" for x in g.itertuples(index=False)),
                        v, n=int(g.n.min()),
                        spread_or_p=f"{sum(x == NOT for x in vs)} of {len(judged)} judged cells outside; "
                                    f"{len(vs) - len(judged)} not judged",
                        threshold=f"|error| <= {tol:.2f} per cell ('!' outside, '?' std < {TINY:g}: not judged)",
                        role="context"))
    return rows


def _grid(r: pd.DataFrame, signal: str, col: str) -> pd.DataFrame:
    d = r[r.signal == signal].groupby(["activation", "init"])[col].mean().unstack("init")
    acts = [a for a in ACTIVATIONS if a in d.index] + [a for a in d.index if a not in ACTIVATIONS]
    inits = [i for i in INITS if i in d.columns] + [i for i in d.columns if i not in INITS]
    return d.reindex(index=acts, columns=inits)


def depth30_figure(stats: pd.DataFrame, comp: pd.DataFrame | None = None, caption: str = "", **kw) -> Figure:
    """Heat maps of ln(std layer L / std layer 1) at init, rows act and dC/ds, columns measured |
    mean-field | measured - predicted (cells outside the tolerance outlined)."""
    comp = compare(stats, **kw) if comp is None else comp
    r = log_ratios(comp)
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5), squeeze=False)
    if r.empty:
        for ax in axes.flat:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        return fig
    tol = float(r.tol.iloc[0])
    for i, (signal, what) in enumerate((("act", "activations"), ("grad_s", "dC/ds"))):
        meas, pred, err = (_grid(r, signal, c) for c in ("ln_measured", "ln_predicted", "err"))
        if meas.empty:
            continue
        lim = float(np.nanmax(np.abs(np.concatenate([meas.to_numpy().ravel(), pred.to_numpy().ravel()])))) or 1.0
        for j, (grid, title, vlim, cmap) in enumerate(((meas, "measured", lim, "RdBu_r"),
                                                      (pred, "mean-field prediction", lim, "RdBu_r"),
                                                      (err, f"measured - predicted (tol {tol:.2f})", 2 * tol, "PuOr_r"))):
            ax = axes[i, j]
            im = ax.imshow(grid.to_numpy(float), cmap=cmap, vmin=-vlim, vmax=vlim, aspect="auto")
            ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=30, ha="right")
            ax.set_yticks(range(grid.shape[0]), grid.index)
            for (a, b), v in np.ndenumerate(grid.to_numpy(float)):
                if np.isfinite(v):
                    ax.text(b, a, f"{v:+.2f}" if j == 2 else f"{v:+.1f}", ha="center", va="center", fontsize=7,
                            color="white" if abs(v) > 0.6 * vlim else "black")
                    if j == 2 and abs(v) > tol:
                        ax.add_patch(plt.Rectangle((b - 0.5, a - 0.5), 1, 1, fill=False, ec="red", lw=2))
            ax.set_title(f"{what}: {title}", fontsize=9)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    depth, width = int(r.depth.iloc[0]), int(r.width.iloc[0])
    fig.suptitle(f"ln(std layer {depth} / std layer 1) at init, {depth}x{width}: measured (mean over n={int(r.n.min())} "
                 f"seeds) vs mean-field (red outline: |error| > tol {tol:.2f})" + (f"\n{caption}" if caption else ""),
                 fontsize=10)
    fig.tight_layout()
    return fig


def depth30_layers_figure(stats: pd.DataFrame, comp: pd.DataFrame | None = None, signal: str = "act",
                          caption: str = "", **kw) -> Figure:
    """Per activation one panel: measured std per layer (markers, mean over seeds) and the mean-field
    prediction (dashed), one colour per init, log y; the panel title gives the worst per-layer error."""
    comp = compare(stats, **kw) if comp is None else comp
    c = comp[(comp.signal == signal) & (comp.layer <= comp.depth)]
    acts = [a for a in ACTIVATIONS if a in set(c.activation)] + sorted(set(c.activation) - set(ACTIVATIONS))
    n = max(len(acts), 1)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    inits = [i for i in INITS if i in set(c.init)] + sorted(set(c.init) - set(INITS))
    colors = {i: plt.get_cmap("tab10")(k) for k, i in enumerate(inits)}
    for ax, act in zip(axes.flat, acts):
        d = c[c.activation == act]
        for init in inits:
            e = d[d.init == init].sort_values("layer")
            if e.empty:
                continue
            ax.plot(e.layer, e.measured, "o", ms=2.5, color=colors[init], label=f"{init} (n={int(e.n.min())})")
            ax.plot(e.layer, e.predicted, "--", lw=1, color=colors[init])
        worst = d.ln_err.replace([np.inf, -np.inf], np.nan).abs().max()
        ax.set_title(f"{act}: worst |ln(meas/pred)| {worst:.2f}", fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel("Hidden layer", fontsize=8)
    for ax in list(axes.flat)[len(acts):]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=6, title="markers: measured\ndashed: mean-field", title_fontsize=6)
    what = {"act": "activations", "grad_s": "back-propagated gradients dC/ds", "pre": "pre-activations"}[signal]
    fig.suptitle(f"Std of {what} per layer at init: measured vs mean-field prediction"
                 + (f"\n{caption}" if caption else ""), fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Any at-init figure: one measured-vs-predicted row per (activation, init)
# --------------------------------------------------------------------------------------------


def layer_tolerance(layer, width) -> np.ndarray:
    """Per-layer tolerance on |ln(measured / predicted std)| at hidden layer l: the depth-30 rule with
    the l layers of finite-width wander up to it (``1.5 sqrt(5 l / n) + 0.05``, module docstring)."""
    return SIGMAS * 0.5 * np.sqrt(KAPPA * np.asarray(layer, float) / np.asarray(width, float)) + FLOOR


#: schemes for which the theory's assumptions (iid zero-mean weights) do not hold
NOT_ZERO_MEAN = ("constant",)
SIGNAL_WORDS = {"act": "activations", "pre": "pre-activations s", "grad_s": "dC/ds", "grad_w": "dC/dW"}


def theory_rows(stats: pd.DataFrame, fig: str, signals=("act", "grad_s"), comp: pd.DataFrame | None = None,
                role: str = "verdict", **kw) -> list[dict]:
    """For any at-init experiment (init_tanh's Figs. 6-8, init_relu, relu30, the pitfalls): one verdict
    row per (activation, init): the largest |ln(measured / predicted std)| over hidden layers and
    ``signals``, reproduced if every layer is within :func:`layer_tolerance`, not reproduced otherwise;
    inconclusive where a std is below TINY or not finite (zeros init, float32 underflow), and for
    inits the theory does not cover (a constant, non-zero-mean init). ``fig`` names the rows
    (``f"{fig}:theory:<activation>/<init>"``); with ``role="context"`` (a claim's figure showing the
    theory beside its own verdict) the rows carry the claim's id ``fig`` itself, so that they appear in
    its gallery section, and are not counted in its badge. ``comp`` may hold a ``grad_w`` signal
    (:func:`grad_w_shape`)."""
    from glorot.nn import split_spec  # noqa: PLC0415

    comp = compare(stats, **kw) if comp is None else comp
    c = comp[comp.signal.isin(list(signals)) & (comp.layer <= comp.depth)]
    if c.empty:
        if role == "context":  # a missing context row would count as the claim's 'missing'
            return []
        return [missing(f"{fig}:theory", f"no {'/'.join(signals)} std statistics at init")]
    rows = []
    for (act, init, depth, width), g in c.groupby(KEYS, sort=False):
        tol = layer_tolerance(g.layer, width)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.log(g.measured.to_numpy(float) / g.predicted.to_numpy(float))
        bad_input = split_spec(init)[0] in NOT_ZERO_MEAN
        tiny = (~np.isfinite(e)) | (g.measured.to_numpy() < TINY) | (g.predicted.to_numpy() < TINY)
        ok = ~tiny
        parts, sds = [], []
        for sig in signals:
            m = (g.signal == sig).to_numpy() & ok
            if m.any():
                j = int(np.argmax(np.abs(e[m])))
                parts.append(f"{sig}: worst layer {int(g.layer.to_numpy()[m][j])} ln(meas/pred) {e[m][j]:+.3f} "
                             f"(tol {tol[m][j]:.2f}), mean {np.mean(e[m]):+.3f}")
                if "measured_sd" in g:
                    sd = (g.measured_sd.to_numpy(float) / g.measured.to_numpy(float))[m][j]
                    if np.isfinite(sd):
                        sds.append(f"{sig} {100 * sd:.1f}%")
        if bad_input or not ok.any():
            v = INCONCLUSIVE
        else:
            v = REPRODUCED if np.all(np.abs(e[ok]) <= tol[ok]) else NOT
        n = int(g.n.min())
        value = "; ".join(parts) + f"; n={n}"
        if bad_input:
            value += "; a constant init is not zero-mean: outside the theory"
        elif tiny.any():
            value += f"; {int(tiny.sum())} layer(s) with std < {TINY:g} or not finite left out"
        what = "/".join(signals)
        shape = " (shape: one scale per init fitted)" if "grad_w" in signals else ""
        threshold = (f"every hidden layer l within 1.5 sqrt(5 l / n) + 0.05 of the prediction in |ln(meas/pred)| "
                     f"(n = {int(width)}: {tol.min():.2f} at layer 1 to {tol.max():.2f}); inconclusive where a std "
                     f"< {TINY:g}; stated before the results (glorot.theory_claims)")
        if role == "context":
            fid = fig
            measure = (f"mean-field theory, {act} {init}: measured vs predicted std per hidden layer at init "
                       f"({what}){shape}, {depth}x{width}")
        else:
            fid = f"{fig}:theory:{act}/{init}"
            measure = f"measured vs mean-field std per hidden layer at init ({what}){shape}, {depth}x{width}"
        rows.append(row(fid, measure, value, "mean-field prediction (glorot.theory)", v, claim=CLAIM, n=n,
                        spread_or_p=("seed sd / mean at the worst layer: " + ", ".join(sds)) if sds
                        else f"n={n}: no spread over seeds",
                        threshold=threshold, role=role))
    return rows


# --------------------------------------------------------------------------------------------
# Figures at init: the prediction drawn beside the measurement, the error printed on the panel
# --------------------------------------------------------------------------------------------


def grad_w_shape(comp: pd.DataFrame, stats: pd.DataFrame, q0, act_m2: dict) -> pd.DataFrame:
    """Rows of signal ``grad_w`` to add to :func:`compare`'s frame: the per-layer *shape* of the std of
    dC/dW. Per example, dC_n/dW^l_ij = dC_n/ds^l_i z^{l-1}_j, so the mean field gives
    E[(dC_n/dW^l)^2] = E[(dC_n/ds^l)^2] E[(z^{l-1})^2] (z^0 the input, E[x^2] = q0; the paper's Eq. 6 /
    Eq. 14). The recorder's dC/dW is the gradient of the monitor set's *mean* cost, an average of 300
    correlated per-example gradients whose scale depends on the correlations between examples, which
    the one-input mean field does not compute. So per (activation, init) the prediction is scaled by one
    factor, the geometric mean of measured / per-example prediction over the hidden layers: the line and
    its error test the shape across layers (Eq. 14's claim), not the absolute scale. ``q0``: the inputs'
    second moments; ``act_m2``: (activation, init, depth, width, layer) -> predicted E[z^2]."""
    s = stats[(stats.stat == "std") & (stats.signal == "grad_w")]
    if s.empty or comp.empty:
        return comp.iloc[0:0]
    s = s[s.step == s.step.min()]
    meas = s.groupby([*KEYS, "layer"]).value.agg(measured="mean", measured_sd="std", n="count").reset_index()
    out = []
    for key, m in meas.groupby(KEYS):
        c = comp[(comp[KEYS] == pd.Series(key, index=KEYS)).all(axis=1)]
        g = c[c.signal == "grad_s"].set_index("layer").predicted
        depth = int(key[2])
        if g.empty:
            continue
        m = m[m.layer <= depth].set_index("layer")
        pred = {}
        for l in m.index:
            zz = float(np.mean(np.asarray(q0, float))) if l == 1 else float(act_m2.get((*key, int(l) - 1), np.nan))
            pred[l] = g.get(l, np.nan) * math.sqrt(zz) if np.isfinite(zz) else np.nan
        p = pd.Series(pred, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(m.measured / p)
        r = r[np.isfinite(r)]
        if r.empty:
            continue
        p = p * math.exp(float(r.mean()))
        d = m.reset_index().assign(signal="grad_w", predicted=lambda x: x.layer.map(p))
        for k, v in zip(KEYS, key):
            d[k] = v
        out.append(d)
    if not out:
        return comp.iloc[0:0]
    d = pd.concat(out, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        d["ln_err"] = np.log(d.measured / d.predicted)
    return d[[c for c in comp.columns if c in d.columns]]


def compare_at_init(stats: pd.DataFrame, with_grad_w: bool = False, **kw) -> pd.DataFrame:
    """:func:`compare` for a claim's at-init figure, plus the ``grad_w`` shape rows (:func:`grad_w_shape`)
    when asked; the per-example input second moments and the predicted E[z^2] per layer (mean^2 +
    std^2 of the activations) ride along for the dC/dW shape. An empty frame when there is nothing to
    compare."""
    if stats.empty:
        return pd.DataFrame(columns=[*KEYS, "layer", "signal", "measured", "measured_sd", "n", "predicted", "ln_err"])
    comp = compare(stats, **kw)
    if not with_grad_w:
        return comp
    data = str(stats["data"].dropna().iloc[0]) if "data" in stats and stats["data"].notna().any() else "mnist"
    q0 = kw.get("q0")
    if q0 is None:
        q0 = inputs_q0(data, kw.get("data_root", DATA_ROOT))["monitor"]
    m2 = {}
    for a, i, d, w in stats[KEYS].drop_duplicates().itertuples(index=False):
        inp = inputs_q0(data, kw.get("data_root", DATA_ROOT))
        t = theory.predict(a, i, int(d), int(w), q0, inp["n_in"], inp["n_out"], q0_init=inp["train"])
        for x in t.itertuples():
            if np.isfinite(x.act_std):
                m2[(a, i, int(d), int(w), int(x.layer))] = x.act_std ** 2 + x.act_mean ** 2
    gw = grad_w_shape(comp, stats, q0, m2)
    return pd.concat([comp, gw], ignore_index=True) if len(gw) else comp


def relative_error(comp: pd.DataFrame, signal: str, **eq) -> tuple[float, float]:
    """(largest, mean) |measured / predicted - 1| over the hidden layers of ``signal`` (rows filtered by
    ``eq``), std below TINY left out; NaNs when there is nothing to compare."""
    c = comp[(comp.signal == signal) & (comp.layer <= comp.depth)]
    for k, v in eq.items():
        c = c[c[k] == v]
    c = c[(c.measured >= TINY) & (c.predicted >= TINY)]
    r = (c.measured / c.predicted - 1).abs().replace([np.inf, -np.inf], np.nan).dropna()
    return (float(r.max()), float(r.mean())) if len(r) else (float("nan"), float("nan"))


def theory_overlay(ax, comp: pd.DataFrame, signal: str, inits, colors=None, ls="--", square: bool = False,
                   label_fmt: str = "{init}: mean-field") -> None:
    """On a per-layer axis already showing the measured std (or, with ``square``, the second moment /
    variance): the mean-field prediction per init (``ls`` lines, colour per init as ``colors`` or TAB(i)),
    each labelled with its measured-vs-predicted error (largest and mean |meas/pred - 1| over hidden
    layers)."""
    if comp is None or comp.empty:
        return
    for i, init in enumerate(inits):
        d = comp[(comp.signal == signal) & (comp.init == init) & (comp.layer <= comp.depth)].sort_values("layer")
        if d.empty:
            continue
        c = (colors or {}).get(init, plt.get_cmap("tab10")(i))
        worst, mean = relative_error(comp, signal, init=init)
        y = d.predicted ** 2 if square else d.predicted
        err = f"max {100 * worst:.1f}%, mean {100 * mean:.1f}%" if np.isfinite(worst) else "n/a"
        ax.plot(d.layer, y, ls=ls, lw=1.2, color=c, label=label_fmt.format(init=init) + f" (|meas/pred-1| {err})")


def error_line(comp: pd.DataFrame, signals, width: int | None = None) -> str:
    """One line for a panel or caption: per signal, the largest and mean |measured / predicted - 1|
    over hidden layers and inits."""
    parts = []
    for sig in signals:
        worst, mean = relative_error(comp, sig)
        if np.isfinite(worst):
            parts.append(f"{SIGNAL_WORDS.get(sig, sig)} max {100 * worst:.1f}%, mean {100 * mean:.1f}%")
    return ("mean-field vs measured, |meas/pred - 1| over hidden layers: " + "; ".join(parts)) if parts else \
        "no mean-field prediction to compare"


def safe_compare(stats: pd.DataFrame, **kw) -> pd.DataFrame | None:
    """:func:`compare_at_init`, or None (with a warning) when the prediction cannot be made (no data
    file for the inputs' second moments, an init or activation the theory does not know): a figure then
    draws without its theory lines and a claim gets no context rows, never a changed verdict."""
    import warnings  # noqa: PLC0415

    try:
        return compare_at_init(stats, **kw)
    except Exception as e:  # noqa: BLE001 - the theory is context: it must never break a claim
        warnings.warn(f"mean-field prediction unavailable: {type(e).__name__}: {e}", stacklevel=2)
        return None


def context_rows(stats: pd.DataFrame, fig: str, signals, comp: pd.DataFrame | None = None) -> list[dict]:
    """The measured-vs-predicted rows a claim adds to its verdict, ``role="context"`` (shown, never
    counted in its badge); none when no prediction can be made."""
    comp = safe_compare(stats, with_grad_w="grad_w" in signals) if comp is None else comp
    if comp is None or comp.empty:
        return []
    return theory_rows(stats, fig, signals=tuple(signals), comp=comp, role="context")


def std_theory_panel(ax, stats: pd.DataFrame, comp: pd.DataFrame | None, signal: str, inits, ylabel: str,
                     title: str | None = None) -> None:
    """Measured std per hidden layer at init (markers and band over seeds, one colour per init, log y;
    glorot.plotting.std_per_layer) with the mean-field prediction dashed in the same colour, each
    labelled with its |measured / predicted - 1| over the hidden layers."""
    from glorot.plotting import std_per_layer  # noqa: PLC0415

    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    std_per_layer(ax, stats, signal, list(inits), ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title is None and len(stats):
        title = f"{'/'.join(sorted(set(stats.activation)))} {int(stats.depth.max())}x{int(stats.width.max())}"
    if comp is not None and len(comp):
        theory_overlay(ax, comp, signal, list(inits))
        shape = signal == "grad_w"
        ax.set_title((title + ": " if title else "") + ("dashed: mean-field shape (Eq. 14 per example, one scale "
                                                        "per init fitted)" if shape else "dashed: mean-field prediction"),
                     fontsize=8)
    else:
        ax.set_title((title + ": " if title else "") + "no mean-field prediction (see the log)", fontsize=8)
    ax.legend(fontsize=6.5)


def init_hist_figure(hist: pd.DataFrame, stats: pd.DataFrame | None, signal: str, xlabel: str, std_label: str,
                     fig_title: str, caption: str = "") -> Figure:
    """Figs. 6-8: the histogram rows of standard and normalized init and, below them, the std per
    layer at init with the mean-field prediction beside it (its error printed in the legend)."""
    from glorot.plotting import hist_rows  # noqa: PLC0415

    inits = ["standard", "normalized"]
    extra = None
    if stats is not None and len(stats):
        comp = safe_compare(stats, with_grad_w=signal == "grad_w")
        extra = lambda ax: std_theory_panel(ax, stats, comp, signal, inits, std_label, None)  # noqa: E731
    return hist_rows(hist, "init", inits, ["Standard init", "Normalized init"], signal, xlabel, fig_title, caption,
                     extra=extra)
