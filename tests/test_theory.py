"""glorot.theory against independent oracles.

* Every activation's Gaussian moments E[f], E[f^2], E[f'^2] from the module's split Gauss-Legendre
  rule against ``scipy.integrate.quad`` (adaptive QUADPACK, a different algorithm), and a few against a
  4M-sample Monte Carlo.
* Every closed form (relu, leaky_relu, identity, elu, selu, gelu) against the rule. The GELU forms
  come from Stein's lemma E[s h(s)] = q E[h'(s)] for s ~ N(0, q):
  E[s Phi(s)] = q E[phi(s)] = q / sqrt(2 pi (1 + q));
  E[Phi(s)^2] = P(X1 < s, X2 < s) = 1/4 + asin(q / (1 + q)) / (2 pi) (orthant probability, corr q/(1+q));
  E[s Phi phi] = q E[phi^2 - s Phi phi] => = q E[phi^2] / (1 + q), E[phi(s)^2] = 1 / (2 pi sqrt(1 + 2 q));
  E[s^2 Phi^2] = q (E[Phi^2] + 2 E[s Phi phi]); E[s^2 phi^2] = q / (2 pi (1 + 2 q)^1.5).
* Known values (SELU's fixed point mean 0 / second moment 1 at q = 1; sigmoid's mean 1/2) and the
  recursions against hand-computed cases (linear network, relu).
* The predicted per-layer std against a measured network (glorot.record on a real StackedMLP).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from glorot import theory as T
from glorot.theory import __main__ as TM
from glorot.nn import ACTIVATIONS, Member, StackedMLP, get_activation
from glorot.record import record_once

SPECS = [*ACTIVATIONS, "leaky_relu:0.25", "elu:0.5"]
QS = [1e-4, 0.01, 0.3, 1.0, 5.0, 50.0, 1e3]


def quad_expect(g, q: float) -> float:
    """E[g(s)], s ~ N(0, q), by scipy.integrate.quad, split at s = 0 (where the kinks are). In u = s/sqrt(q)
    for q <= 1 (the density has scale 1, g varies on the scale 1/sqrt(q) >= 1), in s for q > 1."""
    opts = dict(epsabs=1e-13, epsrel=1e-11, limit=500)
    if q <= 1:
        r = math.sqrt(q)
        h = lambda u: g(r * u) * math.exp(-u * u / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    else:
        c = 1 / math.sqrt(2 * math.pi * q)
        h = lambda s: g(s) * c * math.exp(-s * s / (2 * q))  # noqa: E731
    return integrate.quad(h, -np.inf, 0, **opts)[0] + integrate.quad(h, 0, np.inf, **opts)[0]


def scalar_fns(spec):
    a = get_activation(spec)

    def f(s):
        return float(a.fn(torch.tensor([s], dtype=torch.float64))[0])

    def d(s):
        t = torch.tensor([s], dtype=torch.float64)
        return float(a.grad(t, a.fn(t))[0])

    return f, d


@pytest.mark.parametrize("spec", SPECS)
def test_rule_matches_quad_for_every_activation(spec):
    # The issue asks for 1e-3; the rule does far better, so the test holds it to 1e-7 relative
    # (+1e-10 absolute): a wrong panel layout, a missed kink or a wrong derivative fails by orders more.
    f, d = scalar_fns(spec)
    got = T.moments(spec, np.array(QS), numerical=True)
    for i, q in enumerate(QS):
        for name, g in (("mean", f), ("m2", lambda s: f(s) ** 2), ("d2", lambda s: d(s) ** 2)):
            ref = quad_expect(g, q)
            val = float(getattr(got, name)[i])
            assert val == pytest.approx(ref, rel=1e-7, abs=1e-10), (spec, q, name, val, ref)


@pytest.mark.parametrize("spec", ["relu", "leaky_relu", "leaky_relu:0.25", "identity", "elu", "elu:0.5", "selu", "gelu"])
def test_closed_forms_match_the_rule(spec):
    assert get_activation(spec).name in T.CLOSED
    q = np.logspace(-5, 3, 33)
    a, b = T.moments(spec, q), T.moments(spec, q, numerical=True)
    for name in ("mean", "m2", "d2"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-13, err_msg=f"{spec} {name}")


@pytest.mark.parametrize("spec", ["tanh", "gelu", "softsign", "sigmoid", "silu", "selu"])
def test_rule_matches_monte_carlo(spec):
    """A third, independent estimate: 4M samples at q = 1.3; tolerance 5 standard errors."""
    a = get_activation(spec)
    g = torch.Generator().manual_seed(1)
    s = torch.randn(4_000_000, generator=g, dtype=torch.float64) * math.sqrt(1.3)
    z = a.fn(s)
    d = a.grad(s, z)
    m = T.moments(spec, 1.3)
    for name, v in (("mean", z), ("m2", z * z), ("d2", d * d)):
        se = float(v.std()) / math.sqrt(len(v))
        assert abs(float(v.mean()) - float(getattr(m, name))) < 5 * se + 1e-12, (spec, name)


def test_known_values():
    m = T.moments("selu", 1.0)  # Klambauer et al.: mean 0, second moment 1 at N(0, 1) is SELU's design
    assert float(m.mean) == pytest.approx(0, abs=1e-6) and float(m.m2) == pytest.approx(1, abs=1e-6)
    q = np.array([0.01, 1.0, 100.0])
    np.testing.assert_allclose(T.moments("sigmoid", q).mean, 0.5, atol=1e-12)  # sigmoid - 1/2 is odd
    np.testing.assert_allclose(T.moments("tanh", q).mean, 0.0, atol=1e-12)
    assert float(T.moments("relu", 3.0).m2) == 1.5 and float(T.moments("relu", 3.0).d2) == 0.5
    # tanh near 0: tanh^2 = s^2 - 2 s^4 / 3 + ..., tanh'^2 = (1 - tanh^2)^2 = 1 - 2 s^2 + ...; E s^4 = 3 q^2
    assert float(T.moments("tanh", 1e-4).m2) == pytest.approx(1e-4 - 2e-8, rel=1e-6)
    assert float(T.moments("tanh", 1e-4).d2) == pytest.approx(1 - 2e-4, rel=1e-6)
    # q = 0 (a zeros init): everything at s = 0
    m0 = T.moments("tanh", 0.0)
    assert float(m0.m2) == 0 and float(m0.d2) == pytest.approx(1)


def test_forward_q_and_chi_recursions():
    # linear network: q^l = q0 prod sigma_w2; chi = sigma_w2
    sw = [0.5, 2.0, 3.0, 1.0]
    np.testing.assert_allclose(T.forward_q("identity", sw, 0.2, 4), 0.2 * np.cumprod(sw))
    np.testing.assert_allclose(T.chi("identity", 3.0, [0.1, 5.0]), [3.0, 3.0])
    # relu: q^{l+1} = sigma_w2 q^l / 2, so sigma_w2 = 2 (He) keeps it, 1 (1/n) halves it
    np.testing.assert_allclose(T.forward_q("relu", 2.0, 0.1, 30), 0.2)
    np.testing.assert_allclose(T.forward_q("relu", 1.0, 0.1, 5), 0.1 * 0.5 ** np.arange(5))
    np.testing.assert_allclose(T.chi("relu", 2.0, [0.01, 1, 100]), 1.0)
    # tanh step by hand, and per-example q0 (shape [depth, n])
    q1 = 1.5 * 0.3
    assert T.forward_q("tanh", 1.5, 0.3, 2)[1] == pytest.approx(1.5 * quad_expect(lambda s: math.tanh(s) ** 2, q1), rel=1e-9)
    q = T.forward_q("tanh", 1.0, np.array([0.1, 0.2, 0.4]), 6)
    assert q.shape == (6, 3)
    assert q[-1, 0] == pytest.approx(T.forward_q("tanh", 1.0, 0.1, 6)[-1])
    with pytest.raises(ValueError, match="sigma_w2 has 2 values for 5 layers"):
        T.forward_q("tanh", [1, 2], 0.1, 5)


def test_critical_variances():
    np.testing.assert_array_equal(T.critical_sigma_w2("relu", 0.1, 10), 2.0)  # He
    np.testing.assert_allclose(T.critical_sigma_w2("leaky_relu:0.25", 0.3, 4), 2 / (1 + 0.25 ** 2))
    np.testing.assert_array_equal(T.critical_sigma_w2("identity", 0.7, 3), 1.0)
    sw = T.critical_sigma_w2("tanh", 0.1, 12)
    assert np.all(sw > 1)  # tanh' < 1 away from 0: critical weights are larger than Xavier's
    t = T.predict("tanh", "critical", 12, 500, 0.1)
    np.testing.assert_allclose(t.chi.iloc[:11], 1.0, rtol=1e-12)  # chi = 1 between hidden layers
    g = t.grad_s_std.iloc[:12].to_numpy()
    np.testing.assert_allclose(g, g[-1], rtol=1e-12)  # so the predicted dC/ds std is level
    tn = T.predict("tanh", "normalized", 12, 500, 0.1)
    assert tn.grad_s_std.iloc[0] < 0.8 * tn.grad_s_std.iloc[11]  # normalized: shrinks going down
    with pytest.raises(ValueError, match="q0"):
        T.sigma_w2_per_layer("critical", [10, 5, 5, 2], "tanh", None)


def test_depth_scales_and_critical_points():
    assert T.depth_scales("relu", 2.0, 0.1)["forward"] is None  # level for ever
    d = T.depth_scales("relu", 1.0, 0.1)
    # q halves per layer: |ln q^l/q^1| = (l-1) ln 2 >= 1 first at l - 1 = 2 (0-based index 2)
    assert d["forward"] == 2 and d["backward"] == 2
    (q, s), = T.critical_points("relu")
    assert s == 2.0
    pts = T.critical_points("tanh")
    assert pts[0][0] == 0.0 and pts[0][1] == pytest.approx(1.0, abs=1e-5)
    for q, s in T.critical_points("sigmoid"):  # chi = 1 at a true fixed point
        assert s * float(T.moments("sigmoid", q).m2) == pytest.approx(q, rel=1e-8)
        assert float(T.chi("sigmoid", s, q)) == pytest.approx(1.0, rel=1e-8)


def test_softmax_grad_sq():
    # q_out = 0: p uniform, ||p - e_y||^2 = 1 - 1/C exactly
    assert T.softmax_grad_sq(0.0, 10) == pytest.approx(0.9, abs=1e-12)
    # large logits: p -> one-hot at a random class, E = 2 (1 - 1/C)
    assert T.softmax_grad_sq(1e6, 10) == pytest.approx(1.8, abs=0.01)
    # against a direct Monte Carlo with other random numbers (3e5 samples): the interpolated table is
    # within its stated ~1e-3
    g = np.random.default_rng(7)
    for q in (0.05, 0.7, 3.3):
        z = g.standard_normal((300_000, 10)) * math.sqrt(q)
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        assert T.softmax_grad_sq(q, 10) == pytest.approx((p * p).sum(1).mean() - 0.2 + 1, rel=4e-3)


@pytest.mark.parametrize("n_classes", [2, 7, 8, 10, 17])
def test_softmax_table_by_class_rows_is_the_plain_formula_to_the_bit(n_classes):
    """The table's fast path (classes as contiguous rows, sums over classes in numpy's pairwise
    order) against the plain (n, C) formula: the same float, so the committed verdicts keep their bits;
    and the sum helper against numpy's own row sum."""
    for k in (-90, -17, 0, 5, 23, 60):
        assert T._softmax_at.__wrapped__(k, n_classes, 5_000, 3) == T._softmax_at_rows(k, n_classes, 5_000, 3), k
    a = np.random.default_rng(n_classes).standard_normal((n_classes, 1_000)) * 1e3
    assert np.array_equal(T._sum_classes(a), np.ascontiguousarray(a.T).sum(1))
    if n_classes >= 8:  # where the order is not plain left to right, the check can tell orders apart
        assert not np.array_equal(np.add.reduce(a, axis=0), np.ascontiguousarray(a.T).sum(1))


@pytest.mark.parametrize("act,init", [("tanh", "standard"), ("tanh", "normalized"), ("sigmoid", "normalized"),
                                      ("relu", "he"), ("gelu", "lecun"), ("softsign", "standard"),
                                      ("tanh", "critical")])
def test_prediction_matches_a_measured_network(act, init):
    """The recorder's per-layer std on a real (finite) network vs the prediction: 6 layers of 400,
    300 Gaussian inputs of second moment q0 = 0.25, mean over 3 seeds. Finite-width noise of ln(std)
    is ~ 0.5 sqrt(5 l / n) at layer l (<= 0.14 here for one seed): tolerance 12% for act and pre,
    25% for dC/ds (which also carries the output layer's 10-unit noise)."""
    depth, width, n_in, m, q0 = 6, 400, 200, 300, 0.25
    g = torch.Generator().manual_seed(5)
    x = torch.randn(m, n_in, generator=g, dtype=torch.float64) * math.sqrt(q0)
    y = torch.randint(0, 10, (m,), generator=g)
    members = [Member(act, init, 0.1, s) for s in range(3)]
    model = StackedMLP(members, n_in, width, depth, 10, dtype=torch.float64, q0=q0)
    st = record_once(model, x, y, {"signals": ["act", "pre", "grad_s"], "hist": False})["stats"]
    st = st[(st.stat == "std") & (st.layer <= depth)]
    meas = st.groupby(["signal", "layer"]).value.mean()
    pred = T.predict(act, init, depth, width, x.square().mean(1).numpy(), n_in=n_in, n_out=10).set_index("layer")
    for signal, col, tol in (("act", "act_std", 0.12), ("pre", "pre_std", 0.12), ("grad_s", "grad_s_std", 0.25)):
        for layer in range(1, depth + 1):
            mv, pv = meas[(signal, layer)], pred.loc[layer, col]
            assert abs(mv / pv - 1) < tol, (act, init, signal, layer, mv, pv)


def test_cli(capsys):
    assert TM.main(["activation=gelu", "init=normalized", "model.depth=4", "model.width=100", "--q0", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "gelu, init=normalized" in out and "depth scales" in out and "chi = 1" in out
    assert TM.main(["activation=tanh", "init=critical", "model.depth=3", "--q0", "0.1"]) == 0
    assert TM.main(["activation=nope", "--q0", "0.1"]) == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        TM.main(["--help"])
    assert e.value.code == 0
    # relu on the data's monitor set: the dead-unit share per layer, once for both inits (any scale)
    capsys.readouterr()
    assert TM.main(["data=synthetic", "activation=relu", "stack.inits=[he,lecun,zeros]", "model.depth=14"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("dead units")]  # none for zero weights
    assert "init=zeros gives weights of variance 0" in out  # (it raised ZeroDivisionError)
    from glorot.data import load_dataset  # noqa: PLC0415

    cfg = TM._compose(["data=synthetic"])
    x = load_dataset(cfg.data).monitor(int(cfg.data.monitor_size))[0].double().numpy()
    want = T.dead_share(x, 14)
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].endswith(", ".join(f"{v:.1%}" for v in want[:12]) + f" ... {want[-1]:.1%} at layer 14"), lines[0]
    # with --q0 there are no inputs to predict it from: one line says so (it said nothing)
    assert TM.main(["activation=relu", "init=he", "model.depth=4", "--q0", "0.1"]) == 0
    out = capsys.readouterr().out
    assert [ln for ln in out.splitlines() if ln.startswith("dead units")] == [
        "dead units: not predicted from --q0 (the share needs the inputs themselves, not their mean square); "
        "leave out --q0 for the data set's monitor set"]


def test_interpolated_moments_for_many_examples():
    q = np.random.default_rng(0).uniform(0.02, 0.6, 300)
    for spec in ("tanh", "sigmoid", "silu", "softsign"):
        a, b = T._moments_many(spec, q), T.moments(spec, q)
        for name in ("mean", "m2", "d2"):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-6, atol=1e-12)


def test_relu_kernel_against_monte_carlo():
    """E[relu(u_a) relu(u_b)] for u ~ N(0, K), a 3 x 3 K with unequal variances and a negative
    correlation, against 2M draws."""
    a = np.array([[1.2, 0.5, 0.3], [0.4, 0.8, 0.0], [-0.6, 0.2, 0.3]])
    k = a @ a.T  # variances 1.78, 0.8, 0.49; the first and last inputs negatively correlated
    u = np.random.default_rng(1).multivariate_normal(np.zeros(3), k, size=2_000_000)
    r = np.maximum(u, 0)
    np.testing.assert_allclose(T.relu_kernel(k), r.T @ r / len(r), atol=4e-3)
    np.testing.assert_allclose(np.diag(T.relu_kernel(k)), np.diag(k) / 2, rtol=1e-12)  # E[relu(u)^2] = q / 2


def test_dead_share_two_inputs_is_sheppards_orthant_probability():
    """For two inputs at angle t the share of first-layer units <= 0 on both is P(u <= 0, v <= 0) =
    1/4 + asin(rho) / (2 pi) with rho = cos t (Sheppard); one layer up, the same with the arc-cosine
    map's correlation (sqrt(1 - rho^2) + (pi - acos rho) rho) / pi; one input alone: 1/2."""
    x = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])  # rho = 0.6
    p = T.dead_share(x, 3, n_samples=400_000, seed=2)
    rho = [0.6]
    for _ in range(2):
        r = rho[-1]
        rho.append((math.sqrt(1 - r * r) + (math.pi - math.acos(r)) * r) / math.pi)
    np.testing.assert_allclose(p, [0.25 + math.asin(r) / (2 * math.pi) for r in rho], atol=3e-3)
    np.testing.assert_allclose(T.dead_share(x[:1], 2, n_samples=400_000), 0.5, atol=3e-3)


def test_dead_share_matches_a_measured_relu_stack():
    """The recorder's dead-unit share on real ReLU stacks (8 layers of 2,000, 60 correlated Gaussian
    inputs; He's 2/n and LeCun's 1/n from the same seed) against the prediction: the two inits give
    the same shares (the scale changes no sign), within binomial noise (sd <= 0.011 per layer) of it."""
    depth, width, n_in, m = 8, 2000, 100, 60
    g = torch.Generator().manual_seed(3)
    x = 0.7 * torch.randn(1, n_in, generator=g, dtype=torch.float64) + torch.randn(m, n_in, generator=g,
                                                                                   dtype=torch.float64)
    y = torch.randint(0, 10, (m,), generator=g)
    model = StackedMLP([Member("relu", "he", 0.1, 0), Member("relu", "lecun", 0.1, 0)], n_in, width, depth, 10,
                       dtype=torch.float64)
    st = record_once(model, x, y, {"signals": ["act"], "hist": False})["stats"]
    dead = st[st.stat == "dead"].pivot_table(index="layer", columns="member", values="value")
    np.testing.assert_array_equal(dead[0], dead[1])
    pred = T.dead_share(x.numpy(), depth, n_samples=20_000)
    assert pred[-1] > 0.1 and np.all(np.diff(pred) > -0.01)  # it grows with depth
    np.testing.assert_allclose(dead[0].to_numpy(), pred, atol=0.035)
    assert abs(float(np.mean(dead[0].to_numpy() - pred))) < 0.02
