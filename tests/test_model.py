"""The model pieces: init schemes against their formulas, zero biases, activations, and the
hand-written stacked SGD step against K plain nn.Sequential models trained with torch.optim.SGD."""

from __future__ import annotations

import math

import pytest
import torch

from glorot.nn import ACTIVATIONS, INITS, Member, StackedMLP, get_activation, init_variance, init_weight, \
    sequential_from_stack
from glorot.activations import softsign_fn
from glorot.trainer import BatchSampler


@pytest.mark.parametrize("scheme", ["standard", "normalized", "xavier_normal", "he", "he_fan_out", "lecun",
                                    "orthogonal", "normal:0.01", "normal:1.0", "he:0.25"])
def test_init_variance_matches_formula(scheme):
    # 784 -> 1000 (fan-in 784, fan-out 1000) and a square 1000x1000 layer: ~1e6 draws each.
    # The sample variance of N draws has relative standard error sqrt(Var[w^2])/(Var[w] sqrt(N)):
    # sqrt(2/N) = 0.14% for a normal, sqrt(0.8/N) = 0.09% for a uniform. A 1% tolerance is > 7 sigma,
    # yet catches any wrong formula (the closest pair of schemes differs by far more than 1%).
    for n_out, n_in in [(1000, 784), (1000, 1000)]:
        w = init_weight(scheme, n_out, n_in, seed=3, layer=1)
        assert w.shape == (n_out, n_in)
        expected = init_variance(scheme, n_in, n_out)
        assert w.var().item() == pytest.approx(expected, rel=0.01), (scheme, n_out, n_in)
        assert abs(w.mean().item()) < 5 * math.sqrt(expected / w.numel())


def test_uniform_bounds_and_orthogonality():
    w = init_weight("standard", 1000, 784, 0, 1)
    assert w.abs().max() <= 1 / math.sqrt(784)
    assert w.abs().max() > 0.999 / math.sqrt(784)
    w = init_weight("normalized", 1000, 784, 0, 1)
    assert w.abs().max() <= math.sqrt(6 / 1784)
    q = init_weight("orthogonal", 300, 200, 0, 1)  # tall: orthonormal columns
    assert torch.allclose(q.T @ q, torch.eye(200, dtype=q.dtype), atol=1e-10)


def test_zeros_and_constant_and_determinism():
    assert init_weight("zeros", 5, 4, 0, 1).abs().sum() == 0
    assert torch.all(init_weight("constant:0.5", 5, 4, 0, 1) == 0.5)
    a, b = init_weight("he", 50, 40, 7, 2), init_weight("he", 50, 40, 7, 2)
    assert torch.equal(a, b)
    assert not torch.equal(a, init_weight("he", 50, 40, 8, 2))  # seed matters
    assert not torch.equal(a, init_weight("he", 50, 40, 7, 3))  # layer matters


def test_biases_start_at_zero_and_weights_follow_member_scheme():
    members = [Member("tanh", "standard", 0.1, 0), Member("relu", "he", 0.1, 1)]
    m = StackedMLP(members, 20, 30, 3, 4)
    for layer, lin in enumerate(m.linears, start=1):
        assert torch.count_nonzero(lin.bias) == 0
        assert torch.equal(lin.weight[1], init_weight("he", lin.n_out, lin.n_in, 1, layer).float())
    # PyTorch's own nn.Linear bias is NOT zero by default: the paper's b = 0 must be ours
    assert torch.count_nonzero(torch.nn.Linear(20, 30).bias) > 0


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_autograd(name):
    a = get_activation(name)
    s = torch.linspace(-4, 4, 101, dtype=torch.float64).requires_grad_()
    z = a.fn(s)
    (g,) = torch.autograd.grad(z.sum(), s)
    assert torch.allclose(a.grad(s.detach(), z.detach()), g, atol=1e-12)


def train_side_by_side(stack, members, x, y, b, steps):
    """Train ``stack`` and one nn.Sequential copy per member (torch.optim.SGD) on the same batches;
    return the copies. No member may diverge."""
    plain = [sequential_from_stack(stack, k) for k in range(len(members))]
    opts = [torch.optim.SGD(p.parameters(), lr=m.lr) for p, m in zip(plain, members)]
    sampler = BatchSampler([m.seed for m in members], len(x), b, "cpu")
    alive = torch.ones(len(members), dtype=torch.bool)
    for step in range(steps):
        idx = sampler.indices(step)
        stack.sgd_step(x[idx], y[idx], alive)
        for k, (p, opt) in enumerate(zip(plain, opts)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(p(x[idx[k]]), y[idx[k]]).backward()
            opt.step()
    assert alive.all()
    return plain


def test_stack_equals_separate_sequential_models():
    """K members trained as one stack == K nn.Sequential models trained with torch.optim.SGD on the
    same batches from the same inits (float64, so the tolerance can be tight)."""
    torch.manual_seed(0)
    members = [Member("tanh", "standard", 0.05, 0), Member("softsign", "normalized", 0.1, 1),
               Member("relu", "he", 0.02, 2), Member("sigmoid", "standard", 0.5, 3)]
    n, n_in, n_cls, b, steps = 500, 12, 5, 10, 60
    x = torch.randn(n, n_in, dtype=torch.float64)
    y = torch.randint(0, n_cls, (n,))
    stack = StackedMLP(members, n_in, 16, 3, n_cls, dtype=torch.float64)
    plain = train_side_by_side(stack, members, x, y, b, steps)  # 60 x 10 over 500: crosses an epoch
    for k, p in enumerate(plain):
        linears = [m for m in p if isinstance(m, torch.nn.Linear)]
        for lin, slin in zip(linears, stack.linears):
            assert torch.allclose(slin.weight[k], lin.weight, atol=1e-12, rtol=0), k
            assert torch.allclose(slin.bias[k], lin.bias, atol=1e-12, rtol=0), k
        # and the stack's autograd forward agrees with the plain model
        assert torch.allclose(stack(x[:7])[k], p(x[:7]), atol=1e-12)


def test_diverging_member_is_frozen_and_neighbours_unaffected():
    members = [Member("relu", "normal:3.0", 1e4, 0), Member("tanh", "normalized", 0.1, 1)]
    x = torch.randn(200, 8, dtype=torch.float64)
    y = torch.randint(0, 3, (200,))
    both = StackedMLP(members, 8, 16, 4, 3, dtype=torch.float64)
    alone = StackedMLP(members[1:], 8, 16, 4, 3, dtype=torch.float64)
    alive2, alive1 = torch.ones(2, dtype=torch.bool), torch.ones(1, dtype=torch.bool)
    for step in range(40):
        idx = torch.randint(0, 200, (10,))
        both.sgd_step(x[idx].expand(2, -1, -1), y[idx].expand(2, -1), alive2)
        alone.sgd_step(x[idx].unsqueeze(0), y[idx].unsqueeze(0), alive1)
    assert alive2.tolist() == [False, True]
    for a, b in zip(both.linears, alone.linears):
        assert torch.equal(a.weight[1], b.weight[0])
    frozen = [lin.weight[0].clone() for lin in both.linears]
    idx = torch.arange(10)
    both.sgd_step(x[idx].expand(2, -1, -1), y[idx].expand(2, -1), alive2)
    for f, lin in zip(frozen, both.linears):  # a dead member gets no more updates
        w = lin.weight[0]
        assert torch.equal(torch.isfinite(f), torch.isfinite(w))
        assert torch.equal(f[torch.isfinite(f)], w[torch.isfinite(w)])


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="valid choices"):
        get_activation("swish")
    with pytest.raises(ValueError, match="valid choices: standard"):
        init_weight("glorot", 3, 3, 0, 1)
    assert set(INITS) >= {"standard", "normalized", "xavier_normal", "he", "he_fan_out", "lecun",
                          "orthogonal", "zeros", "normal"}


# --------------------------------------------------------------------------------------------
# The modern activations (gelu, silu, elu, selu) and init=critical (issue 14)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["gelu", "silu", "elu", "elu:0.5", "selu"])
def test_new_activation_derivatives_including_the_kink(spec):
    # dense grid through 0 (where elu/selu's f' has its kink) and far tails
    a = get_activation(spec)
    s = torch.cat([torch.linspace(-30, 30, 601), torch.tensor([0.0, 1e-9, -1e-9])]).double().requires_grad_()
    z = a.fn(s)
    (g,) = torch.autograd.grad(z.sum(), s)
    assert torch.allclose(a.grad(s.detach(), z.detach()), g, atol=1e-12, rtol=0), spec


def test_new_activations_stack_equals_separate_sequential_models():
    """As test_stack_equals_separate_sequential_models, for the new activations and init=critical."""
    torch.manual_seed(1)
    members = [Member("gelu", "normalized", 0.05, 0), Member("silu", "he", 0.1, 1),
               Member("elu", "lecun", 0.05, 2), Member("selu", "lecun", 0.02, 3),
               Member("tanh", "critical", 0.05, 4), Member("gelu", "critical:0.5", 0.05, 5)]
    n, n_in, n_cls, b, steps = 300, 12, 5, 10, 35
    x = torch.randn(n, n_in, dtype=torch.float64)
    y = torch.randint(0, n_cls, (n,))
    stack = StackedMLP(members, n_in, 16, 3, n_cls, dtype=torch.float64, q0=1.0)
    plain = train_side_by_side(stack, members, x, y, b, steps)
    for k, p in enumerate(plain):
        linears = [m for m in p if isinstance(m, torch.nn.Linear)]
        for lin, slin in zip(linears, stack.linears):
            assert torch.allclose(slin.weight[k], lin.weight, atol=1e-12, rtol=0), members[k]
        assert torch.allclose(stack(x[:7])[k], p(x[:7]), atol=1e-12)


def test_critical_init_variances_and_errors():
    from glorot.theory import critical_sigma_w2

    # relu: chi = 1 is He's 2/n at every layer, so the draws are bit-identical to init=he
    for layer, (n_out, n_in) in enumerate([(300, 784), (300, 300), (10, 300)], start=1):
        assert torch.equal(init_weight("critical", n_out, n_in, 3, layer, "relu", 0.1),
                           init_weight("he", n_out, n_in, 3, layer))
    # tanh: Var[W] = sigma_w2[l] / n_in with the propagated q; the sample variance of 1e6 draws
    # within 1% (> 7 standard errors, see test_init_variance_matches_formula)
    sw = critical_sigma_w2("tanh", 0.1, 3)
    for layer in (1, 3):
        w = init_weight("critical", 1000, 1000, 0, layer, "tanh", 0.1)
        assert w.var().item() == pytest.approx(sw[layer - 1] / 1000, rel=0.01)
        assert init_variance("critical", 1000, 1000, layer=layer, activation="tanh", q0=0.1) == sw[layer - 1] / 1000
    assert torch.equal(init_weight("critical:0.1", 50, 40, 0, 2, "tanh"), init_weight("critical", 50, 40, 0, 2, "tanh", 0.1))
    with pytest.raises(ValueError, match="needs the activation, the layer and the input second moment q0"):
        StackedMLP([Member("tanh", "critical", 0.1, 0)], 8, 16, 3, 4)  # no q0 given


def _grad_s_std(members, x, y, depth, width, q0):
    from glorot.record import record_once

    model = StackedMLP(members, x.shape[1], width, depth, 10, q0=q0)
    st = record_once(model, x, y, {"signals": ["act", "grad_s"], "hist": False})["stats"]
    st = st[(st.stat == "std") & (st.layer <= depth)]
    return {(sig, m.init): st[(st.signal == sig) & (st.member == k)].set_index("layer").value.sort_index()
            for k, m in enumerate(members) for sig in ("act", "grad_s")}


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_critical_init_keeps_grad_s_level(act):
    """Measured dC/ds std at init (recorder, float32, MNIST-like inputs: Gaussian with q0 = 0.1),
    20 layers of 400. Finite-width noise of ln(std ratio) over 19 layers: ~ 0.5 sqrt(5 * 19 / 400) = 0.24
    (relu; less for tanh): tolerance |ln(std layer 1 / std layer 20)| < 0.5 for critical. Normalized
    (Xavier) is the contrast the test must see: predicted ln ratio -0.45 (tanh) and -9.7 (relu: 1/n halves)."""
    from glorot.theory import predict

    depth, width, m, q0 = 20, 400, 200, 0.1
    g = torch.Generator().manual_seed(2)
    x = torch.randn(m, 784, generator=g) * math.sqrt(q0)
    y = torch.randint(0, 10, (m,), generator=g)
    members = [Member(act, i, 0.1, 0) for i in ("critical", "normalized", "he")]
    got = _grad_s_std(members, x, y, depth, width, q0)
    crit = got[("grad_s", "critical")]
    assert abs(math.log(crit.iloc[0] / crit.iloc[-1])) < 0.5, crit.to_numpy()
    norm = got[("grad_s", "normalized")]
    pred = predict(act, "normalized", depth, width, q0)
    p_ln = math.log(pred.grad_s_std.iloc[0] / pred.grad_s_std.iloc[depth - 1])
    assert p_ln < -0.4
    assert math.log(norm.iloc[0] / norm.iloc[-1]) == pytest.approx(p_ln, abs=0.5)
    if act == "relu":  # critical == he, the very same weights
        assert torch.allclose(torch.tensor(crit.to_numpy()), torch.tensor(got[("grad_s", "he")].to_numpy()))


def test_selu_with_lecun_is_self_normalizing():
    """SELU + N(0, 1/n_in) at depth 30, width 1000, inputs of mean 0 / variance 1 (Klambauer et al.):
    the activation std stays at its fixed point 1 at every layer, which is also the mean-field
    prediction (glorot.theory: q = 1 is a fixed point of q -> E[selu^2], and attracting, so the
    finite-width noise does not accumulate). Tolerance: every layer's std in [0.9, 1.1] and the
    mean within 0.1 of 0. The contrast: selu with he (2/n) leaves the fixed point."""
    from glorot.record import record_once

    depth, width, m = 30, 1000, 100
    g = torch.Generator().manual_seed(3)
    x = torch.randn(m, width, generator=g)
    y = torch.randint(0, 10, (m,), generator=g)
    model = StackedMLP([Member("selu", "lecun", 0.1, 0), Member("selu", "he", 0.1, 0)], width, width, depth, 10)
    st = record_once(model, x, y, {"signals": ["act"], "hist": False})["stats"]
    st = st[st.layer <= depth].set_index(["member", "stat", "layer"]).value.sort_index()
    std, mean = st[(0, "std")], st[(0, "mean")]
    assert len(std) == depth
    assert std.between(0.9, 1.1).all(), std.to_numpy()
    assert mean.abs().max() < 0.1
    assert st[(1, "std")].iloc[-1] > 1.3  # he's 2/n: far from the fixed point


def test_stacked_activation_written_in_place_equals_the_groups_concatenated():
    """Without autograd, a stack of several activations writes each group's z (and multiplies each
    group's g by f'(s)) in place; the bits equal those of the groups computed apart and concatenated."""
    from glorot.nn import StackedActivation, get_activation

    names = ["tanh", "tanh", "relu", "softsign", "sigmoid", "sigmoid", "leaky_relu", "tanh"]
    act = StackedActivation([get_activation(n) for n in names])
    assert len(act.groups) == 6
    s = torch.randn(len(names), 10, 33) * 3
    s[2, 0, :3] = torch.tensor([0.0, -0.0, float("nan")])
    z = act(s)
    pieces = [act.groups[i][0].fn(s[lo:hi]) for i, (_, lo, hi) in enumerate(act.groups)]
    assert torch.equal(z.view(torch.int32), torch.cat(pieces).view(torch.int32))  # NaN and -0.0 too
    g = torch.randn_like(s)
    assert torch.equal(act.mul_grad_(g.clone(), s, z), g * act.grad(s, z))
    with torch.enable_grad():  # and under autograd (the recorder's pass) it still differentiates
        s2 = s.clone().requires_grad_()
        act(s2).sum().backward()
    assert torch.allclose(s2.grad[~s.isnan()], act.grad(s, z)[~s.isnan()], atol=1e-6)


@pytest.mark.parametrize("name,fn,grad", [
    ("sigmoid", torch.sigmoid, lambda s, z: z * (1 - z)),
    ("tanh", torch.tanh, lambda s, z: 1 - z * z),
    ("softsign", torch.nn.functional.softsign, lambda s, z: (1 - z.abs()).square()),
    ("relu", torch.relu, lambda s, z: (s > 0).to(s.dtype)),
])
def test_activation_ops_give_the_textbook_expressions_bits(name, fn, grad):
    """The activations' forward and derivative are written with in-place steps (fewer small ops per
    training step); they must give the bits of the plain expressions, -0.0 included (a NaN may
    differ in its sign bit only)."""
    g = torch.Generator().manual_seed(0)
    s = torch.cat([torch.randn(50000, generator=g) * 10, torch.randn(50000, generator=g) * 1e-3,
                   torch.tensor([0.0, -0.0, 1e-40, -1e-40, 88.0, -88.0, 1e30, -1e30, float("inf"), float("nan")])])
    a = get_activation(name)
    z = fn(s)
    for mine, ref in ((a.fn(s), z), (a.grad(s, z), grad(s, z))):
        nan = ref.isnan()
        assert torch.equal(mine.isnan(), nan)
        assert torch.equal(mine[~nan].view(torch.int32), ref[~nan].view(torch.int32))
    if name == "softsign":  # written into a slice of a larger tensor, as StackedActivation does
        out = torch.empty(2, len(s))
        softsign_fn(s, out=out[1])
        assert torch.equal(out[1].view(torch.int32)[~z.isnan()], z.view(torch.int32)[~z.isnan()])
