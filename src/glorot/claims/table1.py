"""Table 1: softsign and normalized init beat tanh with standard init; sigmoid is worst.

Experiments ``table1`` (MNIST) and, for the Shapeset column of the table, ``shapeset_table1`` (the
table itself is computed by ``glorot.table1``; this module is the claim). Paper numbers:
``table1.rows`` and ``table1.significance_p`` in paper_numbers.yaml.

Verdicts on the MNIST column, each a Welch's t-test at the paper's p < 0.005 over per-seed final
test errors at the chosen lrs (``glorot.judging.pairwise``): Softsign below Tanh, and Tanh N below
Sigmoid. Not reproduced only when the difference is significant in the wrong direction.
"""

from __future__ import annotations

import pandas as pd

from glorot import paper
from glorot import table1 as table
from glorot.claim import Claim
from glorot.judging import missing, pairwise

PAIRS = ((("softsign", "standard"), ("tanh", "standard")),  # (better, worse) as the paper claims
         (("tanh", "normalized"), ("sigmoid", "standard")))


def judge(members: pd.DataFrame) -> list[dict]:
    if members.empty:
        return [missing("table1", "no table1 members")]
    return [pairwise("table1", table.errors_at_chosen(members, *a), table.errors_at_chosen(members, *b),
                     (paper.config_label(*a), paper.config_label(*b)),
                     (paper.table1_value(*a), paper.table1_value(*b))) for a, b in PAIRS]


CLAIM = Claim(id="table1", title="Table 1: test error of 5-layer networks", order=12.5, experiments=("table1",),
              judge=lambda d: judge(d.members), paper_key="table1")
