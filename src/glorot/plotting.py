"""Shared plotting helpers with public names: bands over seeds, per-layer colours, titles that say
profile / budget / device, the statistic selection every per-layer figure starts from.

Every claim module (``glorot.claims.*``) draws with these; none of them reads files or trains.
Curves are the mean over seeds with a band of +-1 std over seeds; n is stated in every title.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from glorot import paper  # noqa: E402

EPOCH = paper.epoch_updates()  # the paper's "epoch": 20,000 updates
TAB = plt.get_cmap("tab10")  # one colour per configuration
FLOOR = 1e-12  # exact zeros are drawn at this height on log axes (and said so)


def layer_colors(n: int) -> list:
    """n colours from dark (layer 1) to light (top layer), viridis."""
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]


def hidden_mask(df: pd.DataFrame):
    """The rows of the hidden layers (1..depth) as a boolean array, or None when ``df`` has no
    per-layer rows: the recorder also reports the output layer as depth + 1, which none of the
    paper's per-layer figures shows."""
    if len(df) and "layer" in df and "depth" in df:
        return (df.layer <= df.depth).to_numpy(bool)
    return None


def hidden(df: pd.DataFrame) -> pd.DataFrame:
    """Hidden layers only (:func:`hidden_mask`)."""
    mask = hidden_mask(df)
    return df if mask is None else df[mask]


def n_seeds(df: pd.DataFrame) -> int:
    return int(df.seed.nunique()) if len(df) and "seed" in df else 0


def stat(stats: pd.DataFrame, signal: str, name: str, **eq) -> pd.DataFrame:
    """Rows of one recorded statistic (``signal``/``name``, e.g. act/std) of the hidden layers,
    further restricted by ``column=value`` pairs."""
    s = hidden(stats)
    if s.empty or "signal" not in s:
        return s
    s = s[(s.signal == signal) & (s.stat == name)]
    for k, v in eq.items():
        s = s[s[k] == v]
    return s


def over_seeds(df: pd.DataFrame, keys: list[str], value: str = "value") -> pd.DataFrame:
    """Mean, std and n (``count``) over seeds of ``value`` per ``keys``."""
    g = df.groupby(keys)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def per_layer_at(stats: pd.DataFrame, signal: str, name: str, step: str = "first") -> pd.DataFrame:
    """Seed mean/std/count per (activation, init, layer) at the first (init) or last record step."""
    s = stat(stats, signal, name)
    if s.empty:
        return pd.DataFrame(columns=["activation", "init", "layer", "mean", "std", "count"])
    s = s[s.step == (s.step.min() if step == "first" else s.step.max())]
    return over_seeds(s, ["activation", "init", "layer"])


def band(ax, x, mean, std, color, label=None, marker=None, ls="-", lw=1.5, show_band=True):
    """A line at ``mean`` with a +-``std`` band (drawn only where the std is non-zero)."""
    ax.plot(x, mean, color=color, label=label, marker=marker, ls=ls, lw=lw, ms=4)
    if show_band and np.any(np.asarray(std) > 0):
        ax.fill_between(x, np.asarray(mean) - std, np.asarray(mean) + std, color=color, alpha=0.2, lw=0)


def title(fig: Figure, text: str, caption: str) -> None:
    """The figure's title, and under it the caption (profile, budget, device of its runs)."""
    fig.suptitle(text + (f"\n{caption}" if caption else ""), fontsize=9)


def epochs(step) -> np.ndarray:
    """Updates in the paper's epochs of ``EPOCH`` updates."""
    return np.asarray(step, float) / EPOCH


def empty(message: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


# ---------------------------------------------------------------------------------------------
# panels more than one claim draws
# ---------------------------------------------------------------------------------------------


def percentile_panel(ax, stats: pd.DataFrame, label: str) -> None:
    """98th percentile (markers alone) and std (lines with markers) per layer vs epochs (Figs. 3, 10)."""
    p98 = stat(stats, "act", "p98")
    if p98.empty:
        p98 = stat(stats, "act", "p98_abs")
    p98 = over_seeds(p98, ["layer", "step"])
    std = over_seeds(stat(stats, "act", "std"), ["layer", "step"])
    layers = sorted(std.layer.unique())
    for c, l in zip(layer_colors(len(layers)), layers):
        s = std[std.layer == l].sort_values("step")
        band(ax, epochs(s.step), s["mean"], s["std"], c, label=f"Layer {l}", marker="o")
        p = p98[p98.layer == l].sort_values("step")
        ax.plot(epochs(p.step), p["mean"], color=c, marker="^", ls="none", ms=5)
    ax.set_ylabel("Activation value")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"{label} (n={n_seeds(stats)}): 98th percentile (markers), std (lines)", fontsize=9)
    ax.legend(fontsize=7, ncol=max(len(layers), 1))


def hist_panel(ax, hist: pd.DataFrame, label: str, xlabel: str, logy: bool = False) -> None:
    """Normalized histogram per layer (averaged over seeds); bins of each member are kept as given."""
    layers = sorted(hist.layer.unique())
    for c, l in zip(layer_colors(len(layers)), layers):
        h = hist[hist.layer == l]
        d = h.groupby(["bin_lo", "bin_hi"]).density.agg(["mean", "std"]).reset_index()
        x = (d.bin_lo + d.bin_hi) / 2
        band(ax, x, d["mean"], d["std"].fillna(0), c, label=f"Layer {l}", lw=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Normalized density")
    if logy:
        ax.set_yscale("log")
    ax.set_title(f"{label} (n={n_seeds(hist)})", fontsize=9)
    ax.legend(fontsize=7, ncol=max(len(layers), 1))


def hist_rows(hist: pd.DataFrame, key: str, rows: list, labels: list, signal: str, xlabel: str,
              text: str, caption: str, step: str = "first", extra=None) -> Figure:
    """One histogram panel per value of ``key`` (e.g. init), at the first or last record step
    (Figs. 4, 6, 7, 8). ``extra(ax)``, when given, draws one more panel below them (Figs. 6-8: the std
    per layer beside the mean-field prediction)."""
    n = len(rows) + (extra is not None)
    fig, axes = plt.subplots(n, 1, figsize=(7, 3.3 * n))
    if extra is not None:
        extra(np.atleast_1d(axes)[-1])
        axes = np.atleast_1d(axes)[:-1]
    h = hidden(hist)
    h = h[h.signal == signal]
    for ax, v, lab in zip(np.atleast_1d(axes), rows, labels):
        g = h[h[key] == v]
        if len(g):
            s = g.step.min() if step == "first" else g.step.max()
            g = g[g.step == s]
            lab = f"{lab}, update {int(s):,}"
        hist_panel(ax, g, lab, xlabel)
    title(fig, text, caption)
    fig.tight_layout()
    return fig


def std_per_layer(ax, stats: pd.DataFrame, signal: str, inits: list[str], ylabel: str) -> None:
    """Std of ``signal`` per hidden layer at the first record step, one line per init (log y)."""
    s = stat(stats, signal, "std")
    if len(s):
        s = s[s.step == s.step.min()]
    for i, init in enumerate(inits):
        d = over_seeds(s[s.init == init], ["layer"]).sort_values("layer")
        band(ax, d.layer, d["mean"], d["std"], TAB(i), marker="o", label=f"{init} (n={n_seeds(s[s.init == init])})")
    ax.set_xlabel("Hidden layer")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")


def theory_line(ax, layers, start, ratio_var, direction, color, label=None):
    """Std predicted by a constant per-layer variance ratio, anchored at the first (``up``) or last
    (``down``) plotted value."""
    layers = np.asarray(layers, float)
    k = (layers - layers[0]) if direction == "up" else (layers[-1] - layers)
    ax.plot(layers, start * np.sqrt(ratio_var) ** k, color=color, ls="--", lw=1,
            label=label if label is not None else f"theory: Var ratio {ratio_var:g} per layer")


def title_with_n(fig: Figure, text: str, caption: str, df: pd.DataFrame) -> None:
    """``title`` with the number of seeds of ``df`` appended."""
    title(fig, f"{text} (n={n_seeds(df)} seeds)", caption)
