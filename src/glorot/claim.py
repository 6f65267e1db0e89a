"""The ``Claim`` type: everything about one paper claim, defined in one module of ``glorot.claims``.

A claim module ends with ``CLAIM = Claim(...)``; ``glorot.claims.all_claims()`` finds it by
iterating the package, so nothing else has to be told that the claim exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from glorot import paper


@dataclass(frozen=True)
class Claim:
    id: str  # "fig02", "table1", "relu30_init", ...: the verdict rows' ``figure`` column
    title: str  # the gallery section's title: "Fig. 2: sigmoid saturation of the top layer"
    order: float  # position in the gallery and verdicts.csv (the paper's order; extensions after)
    experiments: tuple[str, ...] = ()  # experiment configs it reads (configs/experiment/<name>.yaml)
    needs: tuple[str, ...] = ()  # frames that must be non-empty to draw the figure
    stem: str | None = None  # figure file name without extension; None: no figure (Table 1)
    draw: Callable | None = None  # draw(d, caption) -> matplotlib Figure, d: the claim's frames
    judge: Callable | None = None  # judge(d) -> list of verdict rows (glorot.judging.row)
    paper_key: str = ""  # where its numbers live in paper_numbers.yaml (default: claims.<id>)

    @property
    def experiment(self) -> str | None:
        """The main experiment (the first), or None when the claim is computed on the fly."""
        return self.experiments[0] if self.experiments else None

    @property
    def claim(self) -> str:
        """The paper's claim in words (paper_numbers.yaml, ``claims.<id>``)."""
        return paper.claim(self.id)
