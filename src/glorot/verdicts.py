"""The verdicts, by the names they had before ``glorot.claims`` (kept so that existing callers work).

Each claim's verdict now lives in its module, ``glorot/claims/<id>.py``, with its thresholds and the
reason for each; the row format and the robustness rule are in ``glorot.judging``. ``CHECKS`` and
``COMPANIONS`` are derived from the claims package, never written out.
"""

from __future__ import annotations

from types import SimpleNamespace

from glorot import claims, frames
from glorot.claims import fig02 as c_fig02, fig03 as c_fig03, fig04 as c_fig04, fig05 as c_fig05, fig06 as c_fig06, fig07 as c_fig07
from glorot.claims import fig08 as c_fig08, fig09 as c_fig09, fig10 as c_fig10, fig11 as c_fig11, fig12 as c_fig12
from glorot.claims import jacobian as c_jacobian, relu30_init as c_relu30_init, relu30_train as c_relu30_train, relu_init as c_relu_init, table1 as c_table1
from glorot.judging import (COLUMNS, INCONCLUSIVE, MISSING, NOT, REPRODUCED, VERDICTS, missing,  # noqa: F401
                            row)

#: claim id -> (main experiment, judge(frames))
CHECKS = {c.id: (c.experiment, c.judge) for c in claims.judged()}
#: experiments read together with another one (Fig. 11's sigmoid depth-4 line is its own experiment)
COMPANIONS = {c.experiments[0]: tuple(c.experiments[1:]) for c in claims.all_claims() if len(c.experiments) > 1}

check = claims.check
all_verdicts = claims.all_verdicts
saturation_times = c_fig03.saturation_times
hist_mass = c_fig04.hist_mass
per_layer_var_ratio = c_relu30_init.per_layer_var_ratio


def experiment_frames(data, name: str | None) -> SimpleNamespace:
    """The frames of ``data`` restricted to experiment ``name`` and its ``COMPANIONS``."""
    return frames.experiment_frames(data, None if name is None else [name, *COMPANIONS.get(name, ())])


def fig05(surf=None) -> list[dict]:
    """Fig. 5's verdict rows; with ``surf``, only the former measure on that surface."""
    return [c_fig05.former_row(surf)] if surf is not None else c_fig05.judge()


fig02, fig03, fig04 = c_fig02.judge, c_fig03.judge, c_fig04.judge  # the former function names
fig06, fig07, fig08, fig09, fig10 = c_fig06.judge, c_fig07.judge, c_fig08.judge, c_fig09.judge, c_fig10.judge
fig11, fig12, table1_rows = c_fig11.judge, c_fig12.judge, c_table1.judge
relu_init, relu30_init, relu30_train, jacobian = (c_relu_init.judge, c_relu30_init.judge, c_relu30_train.judge,
                                                  c_jacobian.judge)
