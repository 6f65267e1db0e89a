"""Fig. 1: samples of the two data sets (an illustration: no claim to judge).

Reads no runs: the Shapeset-3x2 examples are generated here from the fixed test set's seed
(generating examples is not training) and MNIST comes from the local cache when present (plotting
never downloads). Paper text: ``claims.fig01`` in paper_numbers.yaml.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glorot.claim import Claim
from glorot.plotting import title


def image_grid(sub, images, titles, cols: int, side: int, vmin: float, vmax: float, heading: str) -> None:
    rows = int(np.ceil(len(images) / cols))
    axes = np.atleast_1d(sub.subplots(rows, cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < len(images):
            ax.imshow(np.asarray(images[i]).reshape(side, side), cmap="gray", vmin=vmin, vmax=vmax,
                      interpolation="nearest")
            ax.set_title(titles[i], fontsize=6.5)
    sub.suptitle(heading, fontsize=8.5)


def mnist_samples(n: int, root: str = "data"):
    """The first ``n`` MNIST test images and labels from the local cache, or None when MNIST is not
    cached (plotting never downloads)."""
    from glorot import data as gdata  # noqa: PLC0415 - torch only when this figure is drawn

    rootp = Path(root)
    if not ((rootp / gdata.MNIST_PICKLE).exists() or (rootp / gdata.MNIST_TV_CACHE).exists()):
        return None
    try:
        ds = gdata.load_mnist(rootp)
    except gdata.DataError:
        return None
    return ds.test_x[:n].numpy(), ds.test_y[:n].numpy()


def draw(caption: str = "", n: int = 24, seed: int = 0, cols: int = 6, mnist_root: str | None = "data",
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
    heading = f"Shapeset-3x2: the first {n} examples of the fixed test set (seed {seed}) with their labels"
    image_grid(subs[0], shapes, names, cols, shapeset.SIZE, -1, 1, heading)
    if mn is not None:
        image_grid(subs[1], mn[0], [f"label {int(v)}" for v in mn[1]], cols, 28, 0, 1,
                   f"MNIST: the first {len(mn[1])} test images")
        title(fig, "Fig. 1: samples of the data sets", caption)
    else:  # one panel: its own title carries the caption
        subs[0].suptitle(f"Fig. 1: {heading} (MNIST not cached)" + (f"\n{caption}" if caption else ""), fontsize=9)
    return fig


CLAIM = Claim(id="fig01", title="Fig. 1: samples of Shapeset-3x2 and MNIST", order=1, stem="fig01_shapeset_samples",
              draw=lambda d, c: draw(c))
