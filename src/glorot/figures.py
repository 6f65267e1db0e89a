"""The figures, by the names they had before ``glorot.claims`` (kept so that existing callers work).

Each figure now lives in its claim's module, ``glorot/claims/<id>.py``, beside its verdict; this
module only re-exports. ``FIGURES`` is derived from the claims package (``glorot.claims.figures()``),
never written out.
"""

from __future__ import annotations

from glorot import claims
from glorot.claims import (fig01, fig02, fig03, fig04, fig05, fig06, fig07, fig08, fig09, fig10, fig11, fig12,
                           jacobian, pitfall_leaky, pitfall_linear, pitfall_scale, pitfall_zeros, relu30_init,
                           relu30_train, relu_init)
from glorot.claim import Claim as FigureSpec  # noqa: F401 - the former name of a figure's entry
from glorot.plotting import EPOCH, hidden, n_seeds  # noqa: F401

FIGURES = claims.figures()
by_id = claims.by_id

mnist_samples = fig01.mnist_samples
fig01_samples = fig01.draw
fig02_sigmoid = fig02.draw
fig03_saturation = fig03.draw
fig04_hist_end = fig04.draw
fig05_cost_surface = fig05.draw
fig06_act_init = fig06.draw
fig07_grad_s_init = fig07.draw
fig08_grad_w_init = fig08.draw
fig09_grad_w_training = fig09.draw
fig10_tanh_normalized = fig10.draw
fig11_test_error = fig11.draw
fig11_label = fig11.label
fig12_test_error_mnist = fig12.draw
ext_relu_init = relu_init.draw
ext_relu30_init = relu30_init.draw
ext_relu30_train = relu30_train.draw
ext_jacobian = jacobian.draw
pitfall_figures = {"pitfall_zeros": pitfall_zeros.draw, "pitfall_scale": pitfall_scale.draw,
                   "pitfall_linear": pitfall_linear.draw, "pitfall_leaky": pitfall_leaky.draw}
