"""Fig. 5: the quadratic cost has more severe plateaus than the cross-entropy cost.

The paper (Sec. 4.1 and Fig. 5): "the plateaus in the training criterion (as a function of the
parameters) are less present with the log-likelihood cost function. We can see this on Figure 5,
which plots the training criterion as a function of two weights for a two-layer network (one hidden
layer) with hyperbolic tangent units, and a random input and target signal. There are clearly more
severe plateaus with the quadratic cost." The figure's axes: W1 (first layer) and W2 (second,
output layer) in [-4, 4], cost from 0 to 5. Reads no runs: a cost evaluated on a grid is not
training. Paper text: ``claims.fig05``.

Decided before any number of this measure was computed (the measure, the network and the
thresholds are fixed here; whatever the data then give is the verdict):

(a) **The network and the two weights.** In the paper's surface each swept weight changes the
    cost over the whole range of its axis. The former surface (``glorot.surface.cost_surface``: 10
    inputs, 10 hidden tanh units, 2 outputs) sweeps one of 100 first-layer weights and one of 20
    output weights while the others stay fixed, so W1 moves a tenth of one hidden unit's input and
    the surface is shaped mostly by weights nobody sweeps. Here every layer is one weight: **1
    input -> 1 hidden tanh unit -> softmax over 2 classes**, W1 the input -> hidden weight, W2 the
    hidden -> output-0 weight; the hidden -> output-1 weight is 0 (as the biases, which start at 0
    in this suite), so p(class 0) = sigmoid(W2 tanh(W1 x)). No biases. Random input and target
    signal: ``N_EXAMPLES = 100`` inputs x ~ U[-1, 1] and targets drawn uniformly from the 2 classes,
    independent of x. Grid: W1, W2 in [-4, 4] (the paper's axes), 81 x 81 points (step 0.1).
    ``SEEDS = 5`` draws of (x, y) (seeds 0..4): n = 5.
    Costs, means over the examples: cross-entropy -log p_y; quadratic sum_k (p_k - t_k)^2 with t
    the one-hot target.

(b) **A plateau measure that fits gradient descent.** Both costs are descended with the same
    learning rate, so the step is lr |grad C| for both alike, in the same weight units. A grid point
    is a *plateau point* when
    (i)  the step is small: |grad C| < ``G_FLAT = 0.01`` (exact gradient with respect to (W1, W2),
         computed analytically, not from grid differences). At lr 0.1, the larger rate of the
         suite's Table 1 grid, that is < 1e-3 per update: crossing one unit of weight (an eighth
         of the axis) takes more than 1,000 updates;
    (ii) the cost is still far above its minimum: C - C_min > ``FAR = 0.5`` (C_max - C_min), with
         C_min, C_max over the grid: more than half of that surface's own descent is still ahead
         (relative, because the two costs have different units; the step in (i) is absolute,
         because the learning rate is shared).
    The *plateau share* of a surface is the fraction of its grid points that are plateau points.

Verdict: reproduced if the quadratic cost's plateau share exceeds the cross-entropy's in every
seed; not reproduced if the cross-entropy's exceeds the quadratic's in every seed (the robustness
rule's "beyond the seeds' spread"); otherwise inconclusive.

Second row, for the reader: the former measure on the former surface (share of the grid with
|grad| < 0.1 x that surface's median |grad|; scale-free, so it does not see what a shared learning
rate sees), seed 0 only; its row has role "context": shown, not counted in the claim's verdict.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glorot import surface
from glorot.claim import Claim
from glorot.judging import NOT, REPRODUCED, decide, row
from glorot.plotting import title


def former_row(surf: surface.Surface | None = None) -> dict:
    """The former measure: plateau share (gradient < 0.1 x median gradient) of each former surface."""
    surf = surf or surface.cost_surface()
    ce = surface.plateau_fraction(surf.cross_entropy, surf.w1, surf.w2)
    qu = surface.plateau_fraction(surf.quadratic, surf.w1, surf.w2)
    return row("fig05", f"share of the grid with |grad| < {surface.PLATEAU_TOL} x median |grad| "
                        f"({len(surf.w1)}x{len(surf.w2)} grid, 1 seed)",
               f"quadratic {qu:.3f} vs cross-entropy {ce:.3f}", "quadratic has more plateaus",
               REPRODUCED if qu > ce else NOT, n=1, spread_or_p="one surface (seed 0)",
               threshold="former measure, scale-free: quadratic share > cross-entropy share", role="context")


SEEDS = 5


def plateau_row(seeds: int = SEEDS) -> dict:
    """The claim's measure (module docstring), over ``seeds`` draws of the random input and target."""
    qu, ce, gq, gc = [], [], [], []
    for seed in range(seeds):
        s = surface.chain_surface(seed)
        qu.append(surface.plateau_share(s.quadratic, s.grad_quadratic))
        ce.append(surface.plateau_share(s.cross_entropy, s.grad_cross_entropy))
        for cost, grad, acc in ((s.quadratic, s.grad_quadratic, gq), (s.cross_entropy, s.grad_cross_entropy, gc)):
            far = cost - cost.min() > surface.FAR * (cost.max() - cost.min())
            acc.append(float(np.median(grad[far])))
    qu, ce = np.array(qu), np.array(ce)
    v = decide(bool(np.all(qu > ce)), bool(np.all(ce > qu)))
    return row("fig05", f"plateau share: grid points with |grad| < {surface.G_FLAT} (a small step at a shared lr) "
                        f"while cost - min > {surface.FAR} x (max - min); 1-1-2 tanh net, W1, W2 in [-4, 4], 81x81",
               f"quadratic {qu.mean():.3f} vs cross-entropy {ce.mean():.3f} (mean over seeds); median |grad| where "
               f"far above the minimum: quadratic {np.mean(gq):.3f} vs cross-entropy {np.mean(gc):.3f}; n={seeds}",
               "clearly more severe plateaus with the quadratic cost", v, n=seeds,
               spread_or_p=f"quadratic seeds {qu.min():.3f}..{qu.max():.3f}, cross-entropy {ce.min():.3f}..{ce.max():.3f}",
               threshold="reproduced if quadratic > cross-entropy in every seed; not reproduced if cross-entropy > "
                         "quadratic in every seed")


def draw(caption: str = "", seed: int = 0) -> Figure:
    """Left: both costs over (W1, W2) (seed 0), the paper's view. Right: |grad| of each cost, log
    colour scale, with the far-above-the-minimum region outlined and plateau points marked."""
    s = surface.chain_surface(seed)
    fig = plt.figure(figsize=(12, 4.8))
    ax = fig.add_subplot(1, 3, 1, projection="3d")
    a, b = np.meshgrid(s.w1, s.w2)
    ax.plot_surface(a, b, s.cross_entropy, color="k", alpha=0.55, lw=0)
    ax.plot_surface(a, b, s.quadratic, color="r", alpha=0.55, lw=0)
    ax.set_xlabel("W1 (first layer)")
    ax.set_ylabel("W2 (output layer)")
    ax.set_zlabel("Cost")
    ax.plot([], [], color="k", label="cross-entropy")
    ax.plot([], [], color="r", label="quadratic")
    ax.legend(fontsize=8)
    ext = [s.w1[0], s.w1[-1], s.w2[0], s.w2[-1]]
    for k, (name, cost, grad) in enumerate((("quadratic", s.quadratic, s.grad_quadratic),
                                            ("cross-entropy", s.cross_entropy, s.grad_cross_entropy))):
        axk = fig.add_subplot(1, 3, 2 + k)
        im = axk.imshow(np.log10(np.maximum(grad, 1e-6)), origin="lower", extent=ext, aspect="auto",
                        cmap="viridis", vmin=-3, vmax=0)
        far = cost - cost.min() > surface.FAR * (cost.max() - cost.min())
        axk.contour(s.w1, s.w2, far.astype(float), levels=[0.5], colors="w", linewidths=1)
        axk.contour(s.w1, s.w2, grad, levels=[surface.G_FLAT], colors="r", linewidths=1, linestyles="--")
        share = surface.plateau_share(cost, grad)
        axk.set_title(f"{name}: log10 |grad|; white: far above min;\nred dashed: |grad| = {surface.G_FLAT}; "
                      f"plateau share {share:.3f}", fontsize=8)
        axk.set_xlabel("W1")
        axk.set_ylabel("W2")
        fig.colorbar(im, ax=axk, shrink=0.8)
    title(fig, f"Fig. 5: cross-entropy (black) vs quadratic (red) cost over one weight per layer, 1 input -> 1 tanh "
               f"unit -> 2 softmax outputs, {s.n_examples} random inputs and targets (seed {seed})", caption)
    fig.tight_layout()
    return fig


def judge() -> list[dict]:
    return [plateau_row(), former_row()]


CLAIM = Claim(id="fig05", title="Fig. 5: the quadratic cost has more severe plateaus than cross-entropy", order=5,
              stem="fig05_cost_surface", draw=lambda d, c: draw(caption=c), judge=lambda d: judge())
