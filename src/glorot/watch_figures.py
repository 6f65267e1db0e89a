"""Figures of a :mod:`glorot.watch` run, in the paper's style, drawn from its recorded tables.

Every function takes the frames of one run (``stats`` / ``hist`` as written by
:meth:`glorot.watch.Watch.save`, one member), the run's ``layers`` list from run.json, and a path
stem; it writes ``<stem>.png`` and returns the path. Curves are coloured by depth (dark: first
layer, light: last), as the paper's per-layer figures.

* :func:`histograms_per_layer` (Figs. 3, 4, 6, 7): normalized histograms of one signal, one curve
  per layer, one panel per chosen step (init and later);
* :func:`std_over_time` (Figs. 2, 9 and 10's question): std of act, dC/ds and dC/dW per layer over training;
* :func:`act_over_time` (Fig. 2): mean and the 2-98 percentile band of each activation layer over training;
* :func:`depth_profile` (Sec. 4.2's argument): std of act and dC/ds against depth at init and at the
  last step, with the fitted per-layer factor (the number the diagnosis reports);
* :func:`jacobian_over_time` (Sec. 4.2.1): mean singular value of the layer Jacobians.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, MaxNLocator  # noqa: E402

from glorot.kinds import share_stat  # noqa: E402

LABELS = {"act": "activation value z", "pre": "s (pre-activation)", "grad_s": "back-propagated gradient dC/ds",
          "grad_w": "weight gradient dC/dW", "weight": "weight W"}
SHORT = {"act": "act", "pre": "s", "grad_s": "dC/ds", "grad_w": "dC/dW", "weight": "W"}


class _PlainLog(LogFormatterSciNotation):
    """Log-axis labels where matplotlib puts them, written as plain numbers (1.5, not 1.5 x 10^0)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def _log_y(ax) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_PlainLog())
    ax.yaxis.set_minor_formatter(_PlainLog(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    ax.tick_params(axis="y", which="minor", labelsize=7)


def _kinds(layers: list[dict]) -> dict[str, str]:
    return {d["layer"]: d["kind"] for d in layers}


def _colors(keys: list[str]):
    cmap = plt.get_cmap("viridis")
    n = max(len(keys) - 1, 1)
    return {k: cmap(0.9 * i / n) for i, k in enumerate(keys)}


def _order(df: pd.DataFrame) -> list[str]:
    """Layer names in depth order."""
    return list(df.drop_duplicates("layer").sort_values("depth").layer)


def _save(fig, stem: Path) -> Path:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend(ax, n: int):
    if n <= 12:
        ax.legend(fontsize=7, frameon=False)
    else:
        ax.text(0.99, 0.98, f"{n} layers, dark = first", transform=ax.transAxes, ha="right", va="top", fontsize=7)


#: share of a layer's values beyond its histogram range above which its edge bins are not drawn
OUT_SHARE = 0.005


def histograms_per_layer(hist: pd.DataFrame, layers: list[dict], signal: str, steps: list[int], stem,
                         title: str = "", exclude=(), xlim: float | None = None,
                         stats: pd.DataFrame | None = None) -> Path | None:
    """One panel per step, one normalized histogram per layer (x: value, y: density), without the
    layers in ``exclude``; ``xlim``: show [-xlim, xlim] (or [0, xlim] for non-negative values).

    A histogram's range is fixed at the first record step and later values beyond it are counted in
    its edge bins (the recorder's rule), which drawn as they are look like spikes at the edges. With
    ``stats`` (the run's tidy stats, for their ``hist_out`` share), a curve whose share beyond the
    range is above ``OUT_SHARE`` is drawn without its two edge bins and the panel says the largest
    share and its layer."""
    if hist is None or hist.empty or "signal" not in hist:  # recorded without histograms (hist=False)
        return None
    h = hist[(hist.signal == signal) & ~hist.layer.isin(list(exclude))]
    if h.empty:
        return None
    out_share: dict = {}
    if stats is not None and not stats.empty and "stat" in stats:
        o = stats[(stats.signal == signal) & (stats.stat == "hist_out")]
        out_share = o.groupby(["layer", "step"]).value.max().to_dict()
    keys = _order(h)
    col = _colors(keys)
    kinds = _kinds(layers)
    fig, axes = plt.subplots(1, len(steps), figsize=(4.2 * len(steps), 3.2), squeeze=False, sharey=False)
    for ax, step in zip(axes[0], steps):
        hs = h[h.step == step]
        worst = (0.0, None)
        for k in keys:
            d = hs[hs.layer == k]
            if d.empty or not np.isfinite(d.density).any():
                continue
            mid = (d.bin_lo.to_numpy() + d.bin_hi.to_numpy()) / 2
            dens = d.density.to_numpy()
            share = float(out_share.get((k, step), 0.0))
            if share > OUT_SHARE and len(mid) > 2:
                mid, dens = mid[1:-1], dens[1:-1]
                worst = max(worst, (share, k), key=lambda t: t[0])
            ax.plot(mid, dens, color=col[k], lw=1.2, label=f"{k} ({kinds.get(k, '?')})")
        if worst[1] is not None:
            ax.text(0.02, 0.98, f"edge bins left out: up to {worst[0]:.0%} of values\n(layer '{worst[1]}') beyond "
                    "the range fixed at the first record", transform=ax.transAxes, ha="left", va="top", fontsize=6.5,
                    color="0.3")
        if xlim is not None and np.isfinite(xlim) and xlim > 0:
            ax.set_xlim(0 if (h.bin_lo >= 0).all() else -xlim, xlim)
        ax.set_title(f"step {step}" + (" (init)" if step == min(h.step) else ""), fontsize=9)
        ax.set_xlabel(LABELS[signal], fontsize=8)
        ax.tick_params(which="both", labelsize=7)
    axes[0][0].set_ylabel("density", fontsize=8)
    _legend(axes[0][-1], len(keys))
    fig.suptitle(title or f"{LABELS[signal]}: normalized histogram per layer", fontsize=10)
    return _save(fig, stem)


def std_over_time(stats: pd.DataFrame, layers: list[dict], stem, signals=("act", "grad_s", "grad_w")) -> Path | None:
    """Std of each signal per layer against the training step (log y)."""
    st = stats[(stats.stat == "std") & stats.signal.isin(signals)]
    sigs = [s for s in signals if (st.signal == s).any()]
    if not sigs:
        return None
    fig, axes = plt.subplots(1, len(sigs), figsize=(4.6 * len(sigs), 3.2), squeeze=False, layout="constrained")
    for ax, sig in zip(axes[0], sigs):
        d = st[st.signal == sig]
        keys = _order(d)
        col = _colors(keys)
        for k in keys:
            e = d[d.layer == k].sort_values("step")
            ax.plot(e.step, e.value, color=col[k], lw=1.2, marker=".", ms=3, label=k)
        _log_y(ax)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(left=0)
        ax.set_title(f"std of {SHORT[sig]} per layer", fontsize=9)
        ax.set_xlabel("update step", fontsize=8)
        ax.tick_params(which="both", labelsize=7)
        _legend(ax, len(keys))
    fig.suptitle("Spread of activations and gradients over training", fontsize=10)
    return _save(fig, stem)


def act_over_time(stats: pd.DataFrame, layers: list[dict], stem) -> Path | None:
    """Fig. 2's view: mean (line) and 2-98 percentile band of each activation layer over training."""
    st = stats[stats.signal == "act"]
    if st.empty:
        return None
    w = st.pivot_table(index=["layer", "depth", "step"], columns="stat", values="value").reset_index()
    keys = _order(w)
    col = _colors(keys)
    kinds = _kinds(layers)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for k in keys:
        e = w[w.layer == k].sort_values("step")
        ax.plot(e.step, e["mean"], color=col[k], lw=1.3, label=f"{k} ({kinds.get(k, '?')})")
        ax.fill_between(e.step, e["p02"], e["p98"], color=col[k], alpha=0.12)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.set_xlabel("update step", fontsize=8)
    ax.set_ylabel("activation: mean, 2-98 percentiles", fontsize=8)
    ax.tick_params(which="both", labelsize=7)
    _legend(ax, len(keys))
    fig.suptitle("Activation values per layer over training (Fig. 2 style)", fontsize=10)
    return _save(fig, stem)


def shares_over_time(stats: pd.DataFrame, layers: list[dict], stem) -> Path | None:
    """Per activation layer (rows, input at the bottom) and recorded step (columns), the share of
    saturated values (tanh, sigmoid, softsign, ...) or of dead units (ReLU and other rectifiers), as
    a heat map: Fig. 3's saturation story, or He et al.'s dead ReLU units, in one picture."""
    kinds = _kinds(layers)
    panels = []
    for stat, title in (("sat", "saturated share of the values"),
                        ("dead", "dead units (never positive on the monitor set)")):
        keys = [d["layer"] for d in layers if d["role"] == "act" and share_stat(d["kind"]) == stat]
        st = stats[(stats.signal == "act") & (stats.stat == stat) & stats.layer.isin(keys)]
        if not st.empty:
            panels.append((st.pivot_table(index="layer", columns="step", values="value", dropna=False), keys, title))
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 3.6), squeeze=False, layout="constrained")
    for ax, (grid, keys, title) in zip(axes[0], panels):
        grid = grid.reindex([k for k in keys if k in grid.index])
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", vmin=0, vmax=1, cmap="magma_r",
                       interpolation="nearest")
        steps = list(grid.columns)
        at = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), 8)).round().astype(int))
        ax.set_xticks(at, [f"{int(steps[i]):,}" for i in at], fontsize=7)
        every = max(1, len(grid.index) // 15)
        ax.set_yticks(range(0, len(grid.index), every), [f"{grid.index[i]} ({kinds.get(grid.index[i], '?')})"
                                                           for i in range(0, len(grid.index), every)], fontsize=7)
        ax.set_xlabel("update step (one column per recorded step: not to scale)", fontsize=8)
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.9).ax.tick_params(labelsize=7)
    fig.suptitle("Saturated values and dead units per layer over training", fontsize=10)
    return _save(fig, stem)


def fit_factor(values) -> float:
    """The per-layer factor of a geometric trend: exp of the least-squares slope of log(values)
    against the layer index (nan with fewer than two positive finite values)."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        return float("nan")
    i = np.arange(len(v))[ok]
    return float(np.exp(np.polyfit(i, np.log(v[ok]), 1)[0]))


def depth_profile(stats: pd.DataFrame, layers: list[dict], stem, steps: list[int], exclude=(),
                  theory: dict | None = None) -> Path | None:
    """Std of act and dC/ds against depth at the given steps (log y), with the factor fitted without
    the layers in ``exclude`` (the output layer, drawn hollow). ``theory``: signal -> {layer: predicted
    std at init}, drawn dashed beside step 0, anchored at the first layer's measured value (the
    prediction's shape: its per-layer ratios)."""
    st = stats[(stats.stat == "std") & stats.signal.isin(["act", "grad_s"])]
    if st.empty:
        return None
    sigs = [s for s in ("act", "grad_s") if (st.signal == s).any()]  # a record of some signals has fewer panels
    fig, axes = plt.subplots(1, len(sigs), figsize=(4.5 * len(sigs), 3.3), squeeze=False)
    for ax, sig in zip(axes[0], sigs):
        d = st[st.signal == sig]
        keys = _order(d)
        for j, step in enumerate(steps):
            e = d[d.step == step].set_index("layer").reindex(keys)
            fit = [k for k in keys if k not in exclude]
            f = fit_factor(e.value.reindex(fit).to_numpy())
            c = plt.get_cmap("plasma")(0.8 * j / max(len(steps) - 1, 1))
            xs = np.arange(1, len(keys) + 1)
            inner = np.array([k not in exclude for k in keys])
            ax.plot(xs[inner], e.value.to_numpy()[inner], marker="o", ms=3, color=c,
                    label=f"step {step}: x{f:.2f} per layer")
            if (~inner).any():
                ax.plot(xs[~inner], e.value.to_numpy()[~inner], marker="o", ms=5, mfc="none", ls="none", color=c,
                        label="output layer (not fitted)" if j == 0 else None)
            pred = (theory or {}).get(sig)
            if step == 0 and pred and keys and keys[0] in pred and np.isfinite(e.value.iloc[0]):
                ks = [k for k in keys if k in pred]
                v = np.array([pred[k] for k in ks]) / pred[keys[0]] * float(e.value.iloc[0])
                ax.plot([xs[keys.index(k)] for k in ks], v, ls="--", lw=1.2, color="0.35",
                        label=f"mean-field at init: x{fit_factor(v):.2f} per layer")
        _log_y(ax)
        ax.set_xticks(range(1, len(keys) + 1))
        ax.set_xticklabels(keys, rotation=60 if len(keys) > 6 else 0, fontsize=6 if len(keys) > 12 else 7)
        ax.set_title(f"std of {SHORT[sig]} by depth (input -> output)", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Depth profile: a straight line on this log scale is a geometric trend", fontsize=10)
    return _save(fig, stem)


def compare_profiles(entries: list[tuple[str, pd.DataFrame, list[str]]], stem, title: str) -> Path | None:
    """Several runs' depth profiles in one figure: the std of act and of dC/ds per layer (input ->
    output), each line divided by its run's first layer, so that lines of differently scaled nets
    compare by their trend; the legend gives the factor per layer fitted without the layers listed
    (the output layer). Row 1 at each run's first recorded step, row 2 (when some run has more) at
    its last. ``entries``: (label, stats, layers left out of the fit) per run."""
    sigs = [s for s in ("act", "grad_s") if any(((st.signal == s) & (st.stat == "std")).any() for _, st, _ in entries)]
    if not sigs:
        return None
    rows = ["first"] + (["last"] if any(st.step.nunique() > 1 for _, st, _ in entries) else [])
    fig, axes = plt.subplots(len(rows), len(sigs), figsize=(5.2 * len(sigs), 3.4 * len(rows)), squeeze=False,
                             layout="constrained")
    cmap = plt.get_cmap("tab10" if len(entries) <= 10 else "tab20")
    for r, which in enumerate(rows):
        for c, sig in enumerate(sigs):
            ax = axes[r][c]
            for i, (label, st, exclude) in enumerate(entries):
                d = st[(st.signal == sig) & (st.stat == "std")]
                if d.empty:
                    continue
                step = d.step.min() if which == "first" else d.step.max()
                keys = _order(d)
                v = d[d.step == step].set_index("layer").value.reindex(keys).to_numpy(dtype=float)
                if not (np.isfinite(v[0]) and v[0] > 0):
                    continue
                fit = np.array([k not in exclude for k in keys])
                xs, col = np.arange(1, len(keys) + 1), cmap(i % cmap.N)
                ax.plot(xs[fit], v[fit] / v[0], marker="o", ms=2.5, lw=1.2, color=col,
                        label=f"{label}: x{fit_factor(v[fit]):.2f} per layer"
                        + (f" (step {step})" if which == "last" else ""))
                if (~fit).any():  # the output layer: hollow, apart from the trend
                    ax.plot(xs[~fit], v[~fit] / v[0], marker="o", ms=4, mfc="none", ls="none", color=col)
            _log_y(ax)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.axhline(1.0, color="0.6", lw=0.7, ls=":")
            ax.set_xlabel("layer (input -> output; hollow: the output layer, not fitted)"
                          if sig == "grad_s" else "layer (input -> output)", fontsize=8)
            ax.set_title(f"std of {SHORT[sig]} / its first layer's, "
                         + f"at the {which} recorded step", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6.5, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, stem)


def compare_curves(entries: list[tuple[str, np.ndarray, np.ndarray, bool]], stem, title: str) -> Path | None:
    """Test error (%) against examples seen, one line per member: ``entries`` (label, examples
    seen, error in [0, 1], diverged); a diverged member's line ends with an x at its last finite point.
    The legend is ordered as Fig. 11's: diverged members, then by final error, highest first."""
    if not entries:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    cmap = plt.get_cmap("tab10" if len(entries) <= 10 else "tab20")

    def worst_first(e):  # the legend in Fig. 11's order: diverged, then by final error, highest first
        err = e[2][np.isfinite(e[2])]
        return (not e[3], -(err[-1] if len(err) else np.inf))

    for i, (label, x, err, diverged) in enumerate(sorted(entries, key=worst_first)):
        ok = np.isfinite(err)
        final = f"{100 * err[ok][-1]:.2f}%" if ok.any() else "no test error"
        col = cmap(i % cmap.N)
        ax.plot(x[ok], 100 * err[ok], lw=1.3, marker="o", ms=2, color=col,
                label=f"{label}: {'diverged' if diverged else final}")
        if diverged and ok.any():
            ax.plot(x[ok][-1], 100 * err[ok][-1], marker="x", ms=7, color=col, ls="none")
    ax.set_xlabel("examples seen", fontsize=8)
    ax.set_ylabel("test error (%)", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6.5, frameon=False)
    fig.suptitle(title, fontsize=10)
    return _save(fig, stem)


def jacobian_over_time(jac: pd.DataFrame, stem) -> Path | None:
    if jac is None or jac.empty:
        return None
    keys = _order(jac)
    col = _colors(keys)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for k in keys:
        e = jac[jac.layer == k].sort_values("step")
        ax.plot(e.step, e.sv_mean, color=col[k], marker=".", label=f"{k}: mean singular value")
        ax.fill_between(e.step, e.sv_mean - e.sv_std, e.sv_mean + e.sv_std, color=col[k], alpha=0.12)
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.set_xlabel("update step", fontsize=8)
    ax.tick_params(which="both", labelsize=7)
    _legend(ax, len(keys))
    fig.suptitle("Singular values of the layer Jacobians dz(l+1)/dz(l) (Sec. 4.2.1)", fontsize=10)
    return _save(fig, stem)


__all__ = ("histograms_per_layer", "std_over_time", "act_over_time", "depth_profile", "jacobian_over_time",
           "fit_factor")
