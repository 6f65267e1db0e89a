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
* :func:`depth30_verdicts`: one row per (activation, init, signal) cell plus a summary row.

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
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from glorot import theory
from glorot.judging import INCONCLUSIVE, NOT, REPRODUCED, missing, row

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


@lru_cache(maxsize=8)
def _inputs(data: str, root: str, monitor_size: int):
    from omegaconf import OmegaConf  # noqa: PLC0415

    from glorot.config import DataConfig  # noqa: PLC0415
    from glorot.data import load_dataset  # noqa: PLC0415

    ds = load_dataset(OmegaConf.structured(DataConfig(name=data, root=root, monitor_size=monitor_size)))
    x, _ = ds.monitor(monitor_size)
    mon = x.double().square().mean(1).numpy()
    return mon, float(ds.train_x.double().square().mean()), ds.n_in, ds.n_classes


def inputs_q0(data: str = "mnist", root: str = "data", monitor_size: int = 300) -> dict:
    """The data's input second moments: ``monitor`` (per example of the monitor set, [M]), ``train``
    (the training set's mean x^2: init=critical's q0), and ``n_in`` / ``n_out``."""
    mon, tr, n_in, n_out = _inputs(str(data), str(root), int(monitor_size))
    return {"monitor": mon, "train": tr, "n_in": n_in, "n_out": n_out}


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


def predicted_for(stats: pd.DataFrame, q0=None, q0_init: float | None = None, data_root: str = "data",
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
    return pd.concat([predicted_std(a, i, d, w, q0, n_in, n_out, q0_init) for a, i, d, w in combos],
                     ignore_index=True)


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


def depth30_verdicts(stats: pd.DataFrame, comp: pd.DataFrame | None = None, **kw) -> list[dict]:
    """Verdict rows (glorot.judging.row's shape): a summary row, then one per (activation, init,
    signal). Thresholds: module docstring. ``kw`` goes to :func:`predicted_for`."""
    comp = compare(stats, **kw) if comp is None else comp
    r = log_ratios(comp)
    if r.empty:
        return [missing("depth30", "no act/grad_s std statistics at init")]
    cells = []
    for x in r.itertuples(index=False):
        sig = {"act": "activations", "grad_s": "dC/ds", "pre": "pre-activations"}[x.signal]
        if not x.judged:
            v = INCONCLUSIVE
        else:
            v = REPRODUCED if abs(x.err) <= x.tol else NOT
        value = (f"measured {x.ln_measured:+.3f}, predicted {x.ln_predicted:+.3f}, error {x.err:+.3f} "
                 f"(tol {x.tol:.2f}); worst layer |ln(meas/pred)| {x.max_layer_err:.3f}; n={x.n}")
        if not x.judged:
            value += f"; std below {TINY:g}: beyond float32's variance"
        cells.append(row(f"depth30:{x.activation}/{x.init}/{x.signal}",
                         f"ln(std layer {x.depth} / std layer 1) of {sig} at init, {x.activation} {x.init}, width {x.width}",
                         value, f"mean-field {x.ln_predicted:+.3f}", v, claim=CLAIM))
    judged = [c for c in cells if c["verdict"] != INCONCLUSIVE]
    bad = sum(c["verdict"] == NOT for c in judged)
    if not judged:
        sv = INCONCLUSIVE
    else:
        sv = REPRODUCED if bad == 0 else (NOT if bad > SUMMARY_BAD * len(judged) else INCONCLUSIVE)
    worst = r[r.judged].err.abs().max() if r.judged.any() else float("nan")
    summary = row("depth30", f"cells (activation x init x signal) whose ln(std L / std 1) is within tolerance "
                  f"of the mean-field prediction (tol {r.tol.iloc[0]:.2f} at width {int(r.width.iloc[0])})",
                  f"{len(judged) - bad}/{len(judged)} within tolerance, {len(cells) - len(judged)} inconclusive; "
                  f"worst |error| {worst:.3f}", "theory within tolerance in every cell", sv, claim=CLAIM)
    return [summary, *cells]


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
    fig.suptitle(f"ln(std layer {depth} / std layer 1) at init, {depth}x{width}: measured vs mean-field "
                 f"(red outline: |error| > tol {tol:.2f})" + (f"\n{caption}" if caption else ""), fontsize=10)
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


def theory_rows(stats: pd.DataFrame, fig: str, signals=("act", "grad_s"), comp: pd.DataFrame | None = None,
                **kw) -> list[dict]:
    """For any at-init experiment (init_tanh's Figs. 6-8, init_relu, relu30, the pitfalls): one verdict
    row per (activation, init): the largest |ln(measured / predicted std)| over hidden layers and
    ``signals``, reproduced if every layer is within :func:`layer_tolerance`, not reproduced otherwise;
    inconclusive where a std is below TINY or not finite (zeros init, float32 underflow), and for
    inits the theory does not cover (a constant, non-zero-mean init). ``fig`` names the rows
    (``f"{fig}:theory:<activation>/<init>"``)."""
    from glorot.nn import split_spec  # noqa: PLC0415

    comp = compare(stats, **kw) if comp is None else comp
    c = comp[comp.signal.isin(list(signals)) & (comp.layer <= comp.depth)]
    if c.empty:
        return [missing(f"{fig}:theory", f"no {'/'.join(signals)} std statistics at init")]
    rows = []
    for (act, init, depth, width), g in c.groupby(KEYS, sort=False):
        tol = layer_tolerance(g.layer, width)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.log(g.measured.to_numpy(float) / g.predicted.to_numpy(float))
        bad_input = split_spec(init)[0] in NOT_ZERO_MEAN
        tiny = (~np.isfinite(e)) | (g.measured.to_numpy() < TINY) | (g.predicted.to_numpy() < TINY)
        ok = ~tiny
        parts = []
        for sig in signals:
            m = (g.signal == sig).to_numpy() & ok
            if m.any():
                j = int(np.argmax(np.abs(e[m])))
                parts.append(f"{sig}: worst layer {int(g.layer.to_numpy()[m][j])} ln(meas/pred) {e[m][j]:+.3f} "
                             f"(tol {tol[m][j]:.2f}), mean {np.mean(e[m]):+.3f}")
        if bad_input or not ok.any():
            v = INCONCLUSIVE
        else:
            v = REPRODUCED if np.all(np.abs(e[ok]) <= tol[ok]) else NOT
        value = "; ".join(parts) + f"; n={int(g.n.min())}"
        if bad_input:
            value += "; a constant init is not zero-mean: outside the theory"
        elif tiny.any():
            value += f"; {int(tiny.sum())} layer(s) with std < {TINY:g} or not finite left out"
        rows.append(row(f"{fig}:theory:{act}/{init}",
                        f"measured vs mean-field std per hidden layer at init ({'/'.join(signals)}), {depth}x{width}",
                        value, "mean-field prediction (glorot.theory)", v, claim=CLAIM))
    return rows
