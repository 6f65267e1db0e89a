"""Figure functions: tidy frames in, a matplotlib Figure out (paper layout and axis labels).

Every function takes the frames of ``glorot.results.load`` (already restricted to one experiment)
and returns a Figure; none reads files or trains. Curves are the mean over seeds with a band of
+-1 std over seeds; n is stated in every title. ``FIGURES`` lists them with the experiment each one
reads, which is what ``glorot.plot`` and the gallery iterate over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from glorot import paper, surface, table1  # noqa: E402

EPOCH = paper.epoch_updates()  # the paper's "epoch": 20,000 updates


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _layer_colors(n: int):
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]


def hidden(df: pd.DataFrame) -> pd.DataFrame:
    """Hidden layers only (1..depth): the recorder also reports the output layer as depth + 1, which
    none of the paper's per-layer figures shows."""
    if len(df) and "layer" in df and "depth" in df:
        return df[df.layer <= df.depth]
    return df


def n_seeds(df: pd.DataFrame) -> int:
    return int(df.seed.nunique()) if len(df) and "seed" in df else 0


def _stat(stats: pd.DataFrame, signal: str, stat: str, **eq) -> pd.DataFrame:
    s = hidden(stats)
    if s.empty or "signal" not in s:
        return s
    s = s[(s.signal == signal) & (s.stat == stat)]
    for k, v in eq.items():
        s = s[s[k] == v]
    return s


def _over_seeds(df: pd.DataFrame, keys: list[str], value: str = "value") -> pd.DataFrame:
    """Mean, std and n over seeds of ``value`` per ``keys``."""
    g = df.groupby(keys)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def _band(ax, x, mean, std, color, label=None, marker=None, ls="-", lw=1.5, band=True):
    ax.plot(x, mean, color=color, label=label, marker=marker, ls=ls, lw=lw, ms=4)
    if band and np.any(np.asarray(std) > 0):
        ax.fill_between(x, np.asarray(mean) - std, np.asarray(mean) + std, color=color, alpha=0.2, lw=0)


def _title(fig: Figure, text: str, caption: str) -> None:
    fig.suptitle(text + (f"\n{caption}" if caption else ""), fontsize=9)


def _epochs(step) -> np.ndarray:
    return np.asarray(step, float) / EPOCH


def _empty(fig_axes_msg: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.text(0.5, 0.5, fig_axes_msg, ha="center", va="center")
    ax.set_axis_off()
    return fig


# --------------------------------------------------------------------------------------------
# Fig. 1: samples of the data sets (computed here: generating examples is not training)
# --------------------------------------------------------------------------------------------


def _image_grid(sub, images, titles, cols: int, side: int, vmin: float, vmax: float, title: str) -> None:
    rows = int(np.ceil(len(images) / cols))
    axes = np.atleast_1d(sub.subplots(rows, cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < len(images):
            ax.imshow(np.asarray(images[i]).reshape(side, side), cmap="gray", vmin=vmin, vmax=vmax,
                      interpolation="nearest")
            ax.set_title(titles[i], fontsize=6.5)
    sub.suptitle(title, fontsize=8.5)


def mnist_samples(n: int, root: str = "data"):
    """The first ``n`` MNIST test images and labels from the local cache, or None when MNIST is not
    cached (plotting never downloads)."""
    from glorot import data as gdata  # noqa: PLC0415

    rootp = __import__("pathlib").Path(root)
    if not ((rootp / gdata.MNIST_PICKLE).exists() or (rootp / gdata.MNIST_TV_CACHE).exists()):
        return None
    try:
        ds = gdata.load_mnist(rootp)
    except gdata.DataError:
        return None
    return ds.test_x[:n].numpy(), ds.test_y[:n].numpy()


def fig01_samples(caption: str = "", n: int = 24, seed: int = 0, cols: int = 6, mnist_root: str | None = "data",
                  n_mnist: int = 24) -> Figure:
    """Shapeset-3x2 samples with their labels (the fixed test set's generator, ``seed``; the same
    examples as ``shapeset.plot_samples``), and beside them the first MNIST test images when MNIST is
    cached under ``mnist_root``."""
    import torch  # noqa: PLC0415

    from glorot import shapeset  # noqa: PLC0415

    x, y = shapeset.generate(torch.tensor([int(seed)]), 0, n, domain=shapeset.DOMAIN_TEST)
    shapes = [x[0, i].numpy() for i in range(n)]
    names = [shapeset.CLASS_NAMES[int(y[0, i])].replace("+", "+\n") for i in range(n)]
    mn = mnist_samples(n_mnist, mnist_root) if mnist_root else None
    rows = int(np.ceil(n / cols))
    width = 1.35 * cols * (2 if mn is not None else 1) + 0.3
    fig = plt.figure(figsize=(width, 1.6 * rows + 1.0), layout="constrained")
    subs = fig.subfigures(1, 2, wspace=0.03) if mn is not None else [fig]
    _image_grid(subs[0], shapes, names, cols, shapeset.SIZE, -1, 1,
                f"Shapeset-3x2: the first {n} examples of the fixed test set (seed {seed}) with their labels")
    if mn is not None:
        _image_grid(subs[1], mn[0], [f"label {int(v)}" for v in mn[1]], cols, 28, 0, 1,
                    f"MNIST: the first {len(mn[1])} test images")
    if mn is not None:
        _title(fig, "Fig. 1: samples of the data sets", caption)
    else:  # one panel: its own title carries the caption
        subs[0].suptitle(f"Fig. 1: {subs[0]._suptitle.get_text()} (MNIST not cached)" + (f"\n{caption}" if caption
                                                                                          else ""), fontsize=9)
    return fig


# --------------------------------------------------------------------------------------------
# training-time statistics (Figs. 2, 3, 9, 10)
# --------------------------------------------------------------------------------------------


def fig02_sigmoid(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Mean (line) and std (error bars) of sigmoid activations per hidden layer vs epochs."""
    fig, ax = plt.subplots(figsize=(7, 4))
    mean = _over_seeds(_stat(stats, "act", "mean"), ["layer", "step"])
    std = _over_seeds(_stat(stats, "act", "std"), ["layer", "step"])
    layers = sorted(mean.layer.unique())
    for c, l in zip(_layer_colors(len(layers)), layers):
        m = mean[mean.layer == l].sort_values("step")
        s = std[std.layer == l].set_index("step").reindex(m.step)
        x = _epochs(m.step)
        ax.errorbar(x, m["mean"], yerr=s["mean"].to_numpy(), color=c, label=f"Layer {l}", capsize=2, lw=1.2)
        if (m["std"] > 0).any():
            ax.fill_between(x, m["mean"] - m["std"], m["mean"] + m["std"], color=c, alpha=0.2, lw=0)
    ax.set_xlabel(f"Epochs of {EPOCH:,} mini-batch updates")
    ax.set_ylabel("Activation value (mean, std as bars)")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    _title(fig, f"Fig. 2: sigmoid activations per layer, standard init (n={n_seeds(stats)} seeds; band: "
                f"std of the mean over seeds)", caption)
    return fig


def _percentile_panel(ax, stats: pd.DataFrame, label: str) -> None:
    """98th percentile (markers alone) and std (lines with markers) per layer vs epochs (Fig. 3)."""
    p98 = _stat(stats, "act", "p98")
    if p98.empty:
        p98 = _stat(stats, "act", "p98_abs")
    p98 = _over_seeds(p98, ["layer", "step"])
    std = _over_seeds(_stat(stats, "act", "std"), ["layer", "step"])
    layers = sorted(std.layer.unique())
    for c, l in zip(_layer_colors(len(layers)), layers):
        s = std[std.layer == l].sort_values("step")
        _band(ax, _epochs(s.step), s["mean"], s["std"], c, label=f"Layer {l}", marker="o")
        p = p98[p98.layer == l].sort_values("step")
        ax.plot(_epochs(p.step), p["mean"], color=c, marker="^", ls="none", ms=5)
    ax.set_ylabel("Activation value")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"{label} (n={n_seeds(stats)}): 98th percentile (markers), std (lines)", fontsize=9)
    ax.legend(fontsize=7, ncol=len(layers))


def fig03_saturation(stats: pd.DataFrame, caption: str = "") -> Figure:
    """tanh (top) and softsign (bottom), standard init."""
    fig, axes = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for ax, act in zip(axes, ["tanh", "softsign"]):
        _percentile_panel(ax, stats[(stats.activation == act) & (stats.init == "standard")], act.capitalize())
    axes[-1].set_xlabel(f"Epochs of {EPOCH:,} updates")
    _title(fig, "Fig. 3: activation 98th percentiles and std during training, standard init", caption)
    return fig


def fig10_tanh_normalized(stats: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    _percentile_panel(ax, stats[(stats.activation == "tanh") & (stats.init == "normalized")], "Tanh N")
    ax.set_xlabel(f"Epochs of {EPOCH:,} updates")
    _title(fig, "Fig. 10: as Fig. 3, tanh with normalized init", caption)
    return fig


def fig09_grad_w_training(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Std of weight gradients per layer vs training, tanh: standard (top), normalized (bottom)."""
    fig, axes = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    gw = _stat(stats, "grad_w", "std", activation="tanh")
    for ax, init in zip(axes, ["standard", "normalized"]):
        d = _over_seeds(gw[gw.init == init], ["layer", "step"])
        layers = sorted(d.layer.unique())
        for c, l in zip(_layer_colors(len(layers)), layers):
            s = d[d.layer == l].sort_values("step")
            _band(ax, _epochs(s.step), s["mean"], s["std"], c, label=f"Layer {l}", marker="o")
        ax.set_yscale("log")
        ax.set_ylabel("Std of weight gradient dC/dW")
        ax.set_title(f"tanh, {init} init (n={n_seeds(gw[gw.init == init])})", fontsize=9)
        ax.legend(fontsize=7, ncol=max(len(layers), 1))
    axes[-1].set_xlabel(f"Epochs of {EPOCH:,} updates")
    _title(fig, "Fig. 9: weight-gradient std per layer during training", caption)
    return fig


# --------------------------------------------------------------------------------------------
# histograms (Figs. 4, 6, 7, 8)
# --------------------------------------------------------------------------------------------


def _hist_panel(ax, hist: pd.DataFrame, label: str, xlabel: str, logy: bool = False) -> None:
    """Normalized histogram per layer (averaged over seeds); bins of each member are kept as given."""
    layers = sorted(hist.layer.unique())
    for c, l in zip(_layer_colors(len(layers)), layers):
        h = hist[hist.layer == l]
        d = h.groupby(["bin_lo", "bin_hi"]).density.agg(["mean", "std"]).reset_index()
        x = (d.bin_lo + d.bin_hi) / 2
        _band(ax, x, d["mean"], d["std"].fillna(0), c, label=f"Layer {l}", lw=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Normalized density")
    if logy:
        ax.set_yscale("log")
    ax.set_title(f"{label} (n={n_seeds(hist)})", fontsize=9)
    ax.legend(fontsize=7, ncol=max(len(layers), 1))


def _hist_2x1(hist: pd.DataFrame, key: str, rows: list, labels: list, signal: str, xlabel: str,
              title: str, caption: str, step: str = "first") -> Figure:
    fig, axes = plt.subplots(len(rows), 1, figsize=(7, 3.3 * len(rows)))
    h = hidden(hist)
    h = h[h.signal == signal]
    for ax, v, lab in zip(np.atleast_1d(axes), rows, labels):
        g = h[h[key] == v]
        if len(g):
            s = g.step.min() if step == "first" else g.step.max()
            g = g[g.step == s]
            lab = f"{lab}, update {int(s):,}"
        _hist_panel(ax, g, lab, xlabel)
    _title(fig, title, caption)
    fig.tight_layout()
    return fig


def fig04_hist_end(hist: pd.DataFrame, caption: str = "") -> Figure:
    hist = hist[hist.init == "standard"]
    return _hist_2x1(hist, "activation", ["tanh", "softsign"], ["Tanh", "Softsign"], "act", "Activation value",
                     "Fig. 4: activation histograms at the end of training, standard init", caption, step="last")


def fig06_act_init(hist: pd.DataFrame, caption: str = "") -> Figure:
    return _hist_2x1(hist, "init", ["standard", "normalized"], ["Standard init", "Normalized init"], "act",
                     "Activation value", "Fig. 6: activation histograms at initialization (tanh)", caption)


def fig07_grad_s_init(hist: pd.DataFrame, caption: str = "") -> Figure:
    return _hist_2x1(hist, "init", ["standard", "normalized"], ["Standard init", "Normalized init"], "grad_s",
                     "Back-propagated gradient dC/ds", "Fig. 7: back-propagated gradient histograms at init (tanh)",
                     caption)


def fig08_grad_w_init(hist: pd.DataFrame, caption: str = "") -> Figure:
    return _hist_2x1(hist, "init", ["standard", "normalized"], ["Standard init", "Normalized init"], "grad_w",
                     "Weight gradient dC/dW", "Fig. 8: weight gradient histograms just after init (tanh)", caption)


# --------------------------------------------------------------------------------------------
# Fig. 5: cost surface (computed here: evaluating a cost on a grid is not training)
# --------------------------------------------------------------------------------------------


def fig05_cost_surface(surf: surface.Surface | None = None, caption: str = "") -> Figure:
    surf = surf or surface.cost_surface()
    fig = plt.figure(figsize=(7, 5.5))
    ax = fig.add_subplot(projection="3d")
    a, b = np.meshgrid(surf.w1, surf.w2)
    ax.plot_surface(a, b, surf.cross_entropy, color="k", alpha=0.55, lw=0)
    ax.plot_surface(a, b, surf.quadratic, color="r", alpha=0.55, lw=0)
    ax.set_xlabel("W1 (first layer)")
    ax.set_ylabel("W2 (output layer)")
    ax.set_zlabel("Cost")
    ax.plot([], [], color="k", label="cross-entropy")
    ax.plot([], [], color="r", label="quadratic")
    ax.legend(fontsize=8)
    _title(fig, f"Fig. 5: cross-entropy (black) vs quadratic (red) cost, 1 hidden tanh layer of "
                f"{surf.n_hidden}, {surf.n_examples} random examples and targets", caption)
    return fig


# --------------------------------------------------------------------------------------------
# Figs. 11, 12: test error during training (Table 1 runs)
# --------------------------------------------------------------------------------------------


def _error_curves(ax, members: pd.DataFrame, metrics: pd.DataFrame, logy: bool = False) -> None:
    chosen = table1.choose_lr(members)
    m = table1.at_chosen_lr(members, metrics[metrics.split == "test"].assign(
        data=metrics.get("data", "mnist")) if "data" not in metrics else metrics[metrics.split == "test"], chosen)
    finals = (m[m.step == m.step.max()].groupby(["activation", "init"]).error.mean().sort_values(ascending=False))
    colors = plt.get_cmap("tab10")
    for i, (act, init) in enumerate(finals.index):  # legend ordered by final error, worst first (paper)
        g = m[(m.activation == act) & (m.init == init)]
        d = g.groupby("examples_seen").error.agg(["mean", "std", "count"]).reset_index()
        lr = chosen[(chosen.activation == act) & (chosen.init == init)].lr.iloc[0]
        _band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), colors(i),
              label=f"{paper.config_label(act, init)} (lr {lr:g}, n={int(d['count'].max())}): "
                    f"{100 * finals.loc[(act, init)]:.2f}%")
    ax.set_xlabel("Number of examples seen")
    ax.set_ylabel("Test error (%)")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def _chosen_curves(members: pd.DataFrame, metrics: pd.DataFrame) -> list[dict]:
    """Test-error curves per (depth, activation, init), each at its lr chosen on mean final validation
    error (``table1.choose_lr``, one choice per depth: Fig. 11 mixes 4- and 5-layer networks)."""
    out = []
    test = metrics[metrics.split == "test"]
    for depth, mg in (members.groupby("depth") if "depth" in members else [(None, members)]):
        tg = test[test.depth == depth] if depth is not None and "depth" in test else test
        chosen = table1.choose_lr(mg)
        m = table1.at_chosen_lr(mg, tg if "data" in tg else tg.assign(data=mg.get("data", "mnist").iloc[0]), chosen)
        for (act, init), g in m.groupby(["activation", "init"]):
            d = g.groupby("examples_seen").error.agg(["mean", "std", "count"]).reset_index()
            last = g[g.step == g.step.max()]
            out.append(dict(depth=depth, activation=act, init=init, curve=d, final=float(last.error.mean()),
                            lr=float(chosen[(chosen.activation == act) & (chosen.init == init)].lr.iloc[0]),
                            n=int(last.seed.nunique()) if "seed" in last else int(d["count"].max())))
    return sorted(out, key=lambda c: -c["final"])  # worst first: the paper orders its legend by final error


def fig11_label(activation: str, init: str, depth, depths) -> str:
    """The paper's Fig. 11 names: 'Sigmoid depth 5' / 'Sigmoid depth 4' where depths differ."""
    lab = paper.config_label(activation, init)
    if activation == "sigmoid" and init == "standard" and depth is not None and len(depths) > 1:
        lab = f"{lab} depth {int(depth)}"
    elif depth is not None and len(depths) > 1 and depth != max(depths):
        lab = f"{lab} depth {int(depth)}"
    paper_rows = {(r["activation"], r["init"]) for r in paper.table1_rows()}
    return lab if (activation, init) in paper_rows else f"{lab} (extra)"


def fig11_test_error(members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    """Test error vs examples seen on Shapeset-3x2 (the paper's Fig. 11): sigmoid depth 4 and 5, tanh,
    softsign, softsign N, tanh N (and sigmoid N, extra), each at its chosen lr, legend ordered by
    final error (worst first), with the majority-class error as a reference line."""
    from glorot.shapeset import MAJORITY_ERROR  # noqa: PLC0415 - torch only when this figure is drawn

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    curves = _chosen_curves(members, metrics)
    depths = sorted({c["depth"] for c in curves if c["depth"] is not None})
    colors = plt.get_cmap("tab10")
    for i, c in enumerate(curves):
        d = c["curve"]
        lab = fig11_label(c["activation"], c["init"], c["depth"], depths)
        _band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), colors(i),
              ls="--" if lab.endswith("(extra)") else "-",
              label=f"{lab} (lr {c['lr']:g}, n={c['n']}): {100 * c['final']:.2f}%")
    ax.axhline(100 * MAJORITY_ERROR, color="grey", ls=":", lw=1.2,
               label=f"majority-class error ({100 * MAJORITY_ERROR:.1f}%)")
    ax.set_xlabel("Number of examples seen")
    ax.set_ylabel("Test error (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="lower left")
    _title(fig, "Fig. 11: test error on Shapeset-3x2 during training, each configuration at its chosen lr "
                "(legend ordered by final error, worst first)", caption)
    return fig


def fig12_test_error_mnist(members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _error_curves(ax, members, metrics, logy=True)
    _title(fig, "Fig. 12: test error on MNIST during training (log scale), 5 layers", caption)
    return fig


# --------------------------------------------------------------------------------------------
# Extensions: relu (He et al.), 30-layer relu, Jacobian singular values
# --------------------------------------------------------------------------------------------


def _std_per_layer(ax, stats: pd.DataFrame, signal: str, inits: list[str], ylabel: str, step: int | None = None):
    s = _stat(stats, signal, "std")
    if step is None and len(s):
        s = s[s.step == s.step.min()]
    for i, init in enumerate(inits):
        d = _over_seeds(s[s.init == init], ["layer"]).sort_values("layer")
        _band(ax, d.layer, d["mean"], d["std"], plt.get_cmap("tab10")(i), marker="o",
              label=f"{init} (n={n_seeds(s[s.init == init])})")
    ax.set_xlabel("Hidden layer")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")


def ext_relu_init(stats: pd.DataFrame, caption: str = "") -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    _std_per_layer(axes[0], stats, "act", ["normalized", "he"], "Std of activations")
    _std_per_layer(axes[1], stats, "grad_s", ["normalized", "he"], "Std of back-propagated gradient dC/ds")
    axes[0].legend(fontsize=8)
    _title(fig, "relu 5x1000 at init: normalized (Xavier) vs he init", caption)
    fig.tight_layout()
    return fig


def _theory(ax, layers, start, ratio_var, direction, color):
    """Std predicted by a constant per-layer variance ratio, anchored at the first plotted value."""
    layers = np.asarray(layers, float)
    k = (layers - layers[0]) if direction == "up" else (layers[-1] - layers)
    ax.plot(layers, start * np.sqrt(ratio_var) ** k, color=color, ls="--", lw=1,
            label=f"theory: Var ratio {ratio_var:g} per layer")


def ext_relu30_init(stats: pd.DataFrame, caption: str = "") -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    theory = paper.numbers()["theory"]["relu_var_ratio"]
    s0 = stats[stats.step == stats.step.min()] if len(stats) else stats
    for ax, signal, direction, ylabel in ((axes[0], "act", "up", "Std of activations"),
                                          (axes[1], "grad_s", "down", "Std of back-propagated gradient dC/ds")):
        _std_per_layer(ax, s0, signal, ["lecun", "he"], ylabel)
        for i, init in enumerate(["lecun", "he"]):
            d = _over_seeds(_stat(s0, signal, "std", init=init), ["layer"]).sort_values("layer")
            if len(d) and init in theory:
                anchor = d["mean"].iloc[0] if direction == "up" else d["mean"].iloc[-1]
                _theory(ax, d.layer, anchor, theory[init], direction, plt.get_cmap("tab10")(i))
        ax.legend(fontsize=7)
    _title(fig, "relu, 30 layers, at init: Var[W] = 1/n (lecun) vs 2/n (he), against the theory line", caption)
    fig.tight_layout()
    return fig


def ext_relu30_train(members: pd.DataFrame, metrics: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    t = metrics[metrics.split == "test"]
    for i, init in enumerate(sorted(t.init.unique())):
        d = t[t.init == init].groupby("examples_seen").error.agg(["mean", "std"]).reset_index()
        _band(ax, d.examples_seen, 100 * d["mean"], 100 * d["std"].fillna(0), plt.get_cmap("tab10")(i),
              label=f"{init} (n={n_seeds(t[t.init == init])})")
    ax.axhline(90, color="grey", ls=":", lw=1, label="chance (90%)")
    ax.set_xlabel("Number of examples seen")
    ax.set_ylabel("Test error (%)")
    ax.legend(fontsize=8)
    _title(fig, "relu, 30 layers: training with Var[W] = 1/n (lecun) vs 2/n (he)", caption)
    return fig


def ext_jacobian(jacobian: pd.DataFrame, caption: str = "") -> Figure:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    j = hidden(jacobian)
    j = j[j.step == j.step.min()] if len(j) else j
    for i, init in enumerate(["standard", "normalized"]):
        d = _over_seeds(j[j.init == init], ["layer"], "sv_mean").sort_values("layer")
        c = plt.get_cmap("tab10")(i)
        _band(ax, d.layer, d["mean"], d["std"], c, marker="o", label=f"{init} (n={n_seeds(j[j.init == init])})")
        ref = paper.jacobian(init)
        if ref is not None:
            ax.axhline(ref, color=c, ls="--", lw=1, label=f"paper, {init}: {ref:g}")
    ax.set_xlabel("Hidden layer i (Jacobian dz^{i+1}/dz^i)")
    ax.set_ylabel("Mean singular value")
    ax.legend(fontsize=7)
    _title(fig, "Layer-Jacobian mean singular value at init, tanh", caption)
    return fig


# --------------------------------------------------------------------------------------------
# the registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSpec:
    id: str  # "fig06", "relu30_init", ...
    stem: str  # file name without extension
    experiment: str | None  # the experiment (run name) it reads; None: computed here (Fig. 5)
    needs: tuple[str, ...]  # frames that must be non-empty
    draw: Callable[..., Figure]  # draw(d, caption) with d the experiment's frames

    @property
    def claim(self) -> str:
        return paper.claim(self.id)


def _pitfalls():
    """glorot.pitfalls, imported when a pitfall figure is drawn (it imports this module's helpers)."""
    from glorot import pitfalls  # noqa: PLC0415

    return pitfalls


FIGURES: list[FigureSpec] = [
    FigureSpec("fig01", "fig01_shapeset_samples", None, (), lambda d, c: fig01_samples(c)),
    FigureSpec("fig02", "fig02_sigmoid_activations", "fig2_sigmoid", ("stats",),
               lambda d, c: fig02_sigmoid(d.stats, c)),
    FigureSpec("fig03", "fig03_saturation", "saturation", ("stats",), lambda d, c: fig03_saturation(d.stats, c)),
    FigureSpec("fig04", "fig04_hist_end", "saturation", ("hist",), lambda d, c: fig04_hist_end(d.hist, c)),
    FigureSpec("fig05", "fig05_cost_surface", None, (), lambda d, c: fig05_cost_surface(caption=c)),
    FigureSpec("fig06", "fig06_act_hist_init", "init_tanh", ("hist",), lambda d, c: fig06_act_init(d.hist, c)),
    FigureSpec("fig07", "fig07_grad_s_hist_init", "init_tanh", ("hist",), lambda d, c: fig07_grad_s_init(d.hist, c)),
    FigureSpec("fig08", "fig08_grad_w_hist_init", "init_tanh", ("hist",), lambda d, c: fig08_grad_w_init(d.hist, c)),
    FigureSpec("fig09", "fig09_grad_w_training", "saturation", ("stats",),
               lambda d, c: fig09_grad_w_training(d.stats, c)),
    FigureSpec("fig10", "fig10_tanh_normalized", "saturation", ("stats",),
               lambda d, c: fig10_tanh_normalized(d.stats, c)),
    FigureSpec("fig11", "fig11_test_error", "shapeset_table1", ("members", "metrics"),
               lambda d, c: fig11_test_error(d.members, d.metrics, c)),
    FigureSpec("fig12", "fig12_test_error_mnist", "table1", ("members", "metrics"),
               lambda d, c: fig12_test_error_mnist(d.members, d.metrics, c)),
    FigureSpec("relu_init", "ext_relu_init", "init_relu", ("stats",), lambda d, c: ext_relu_init(d.stats, c)),
    FigureSpec("relu30_init", "ext_relu30_init", "relu30", ("stats",), lambda d, c: ext_relu30_init(d.stats, c)),
    FigureSpec("relu30_train", "ext_relu30_train", "relu30", ("members", "metrics"),
               lambda d, c: ext_relu30_train(d.members, d.metrics, c)),
    FigureSpec("jacobian", "ext_jacobian", "init_tanh", ("jacobian",), lambda d, c: ext_jacobian(d.jacobian, c)),
    # the classic initialization pitfalls beside the paper (issue 7; glorot.pitfalls)
    FigureSpec("pitfall_zeros", "pitfall_zeros", "pitfall_zeros", ("stats",),
               lambda d, c: _pitfalls().fig_zeros(d.stats, d.metrics, c)),
    FigureSpec("pitfall_scale", "pitfall_scale", "pitfall_scale", ("stats", "members"),
               lambda d, c: _pitfalls().fig_scale(d.stats, d.members, d.metrics, c)),
    FigureSpec("pitfall_linear", "pitfall_linear", "pitfall_linear", ("stats",),
               lambda d, c: _pitfalls().fig_linear(d.stats, c)),
    FigureSpec("pitfall_leaky", "pitfall_leaky", "pitfall_leaky", ("stats",),
               lambda d, c: _pitfalls().fig_leaky(d.stats, c)),
]


def by_id(fig_id: str) -> FigureSpec:
    for f in FIGURES:
        if f.id == fig_id:
            return f
    raise KeyError(fig_id)
