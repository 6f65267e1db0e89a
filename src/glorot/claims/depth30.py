"""Mean-field theory at depth 30 (issue 14; beside the paper): for every activation (tanh, sigmoid,
softsign, relu, gelu, silu, selu) and init (standard, normalized, he, lecun, critical), how the std of
the activations (going up) and of dC/ds (going down) changes from layer 1 to layer 30 at init, measured
against glorot.theory's prediction.

Experiment ``depth30`` (one stacked run, 30 hidden layers, the profile's width: 200 at quick, 1000 at
paper; act and grad_s std at init). Paper text: ``claims.depth30`` (the prediction is computed, never
typed in: glorot.theory.predict for each member's activation, init, depth and width, with the monitor
set's own input second moments).

Verdict (glorot.theory_claims, the tolerance written down before any depth-30 data was looked at): per
(activation, init, signal) cell, err = ln(std_30 / std_1) measured (mean over seeds) - predicted;
within tolerance if |err| <= TOL = 1.5 sqrt(5 (L - 1) / n) + 0.05 (3 standard deviations of the
finite-width wander of ln(std ratio) over L - 1 layers, plus 0.05: 0.62 at n = 1000, 1.33 at n = 200);
not judged (inconclusive) where a std at layer 1 or 30 is below 1e-17 (float32's variance underflows).
The claim's verdict: reproduced if every judged cell is within tolerance, not reproduced if more than
10% are outside, otherwise inconclusive. One context row per activation lists its cells.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from glorot import theory_claims as TC
from glorot.claim import Claim
from glorot.judging import missing


def draw(stats: pd.DataFrame, caption: str = "") -> Figure:
    """Heat maps of ln(std layer 30 / std layer 1) at init per (activation, init): rows activations and
    dC/ds; columns measured | mean-field | measured - predicted (red outline: outside the tolerance)."""
    return TC.depth30_figure(stats, caption=caption)


def judge(stats: pd.DataFrame) -> list[dict]:
    if stats.empty or not {"act", "grad_s"} & set(stats.signal):
        return [missing("depth30", "no act/grad_s std statistics at init")]
    return TC.depth30_verdicts(stats)


CLAIM = Claim(id="depth30", title="Mean-field theory at depth 30: every activation x init, measured vs predicted",
              order=21, experiments=("depth30",), needs=("stats",), stem="ext_depth30",
              draw=lambda d, c: draw(d.stats, c), judge=lambda d: judge(d.stats))
