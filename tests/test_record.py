"""The recorder against oracles: an independent autograd computation on plain nn.Sequential copies of
each member (exact, float64), the paper's linear-regime formulas (Sec. 4.2), the Jacobian singular
values of Sec. 4.2.1, He et al.'s ReLU second-moment argument, and the trainer's wiring (files,
resume)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from glorot.kinds import RECTIFIERS
from glorot.nn import Member, StackedMLP, get_activation, init_variance, sequential_from_stack
from glorot.record import Recorder, percentiles, record_schedule

from helpers import ROOT, compose_cfg

MIXED = ["tanh", "sigmoid", "relu", "softsign", "leaky_relu:0.2"]


# --------------------------------------------------------------------------------------------
# Independent oracle: plain autograd with retain_grad on one member as an nn.Sequential
# --------------------------------------------------------------------------------------------


def oracle_signals(seq: torch.nn.Sequential, x, y, depth: int) -> dict:
    """signal -> layer -> numpy array, from plain autograd (retain_grad) on one member."""
    h = x
    pre, act = {}, {}
    for i, mod in enumerate(seq):
        h = mod(h)
        layer = i // 2 + 1
        if i % 2 == 0:
            h.retain_grad()
            pre[layer] = h
        else:
            act[layer] = h
    nll = torch.nn.functional.cross_entropy(h, y)  # mean NLL over the monitor set
    nll.backward()
    m = len(y)
    lins = [mod for mod in seq if isinstance(mod, torch.nn.Linear)]
    return {
        "pre": {l: t.detach().numpy() for l, t in pre.items()},
        "act": {l: t.detach().numpy() for l, t in act.items()},
        "grad_s": {l: (t.grad * m).numpy() for l, t in pre.items()},  # per example: x M
        "grad_w": {l: lin.weight.grad.numpy() for l, lin in enumerate(lins, start=1)},
        "weight": {l: lin.weight.detach().numpy() for l, lin in enumerate(lins, start=1)},
    }


def oracle_stats(v: np.ndarray, act=None) -> dict:
    spread = v.std(axis=-1).mean()  # for act [M, width]: std across units per example, mean over examples
    units = v
    v = v.ravel()
    out = {"mean": v.mean(), "var": v.var(), "std": v.std(), "p02": np.percentile(v, 2),
           "p50": np.percentile(v, 50), "p98": np.percentile(v, 98), "p98_abs": np.percentile(np.abs(v), 98)}
    if act is not None:
        out["sat"] = act.saturated(torch.from_numpy(v)).double().mean().item()
        out["unit_spread"] = spread
        if act.name in RECTIFIERS:
            out["dead"] = (units <= 0).all(axis=0).mean()  # units never positive on the monitor set
    return out


def oracle_range(v: np.ndarray, act=None) -> tuple[float, float]:
    """The documented rule: the activation's fixed range, else [0, max] or [-max|v|, max|v|]."""
    if act is not None and act.hist_range is not None:
        return act.hist_range
    amax = np.abs(v).max()
    return (0.0, amax) if v.min() >= 0 else (-amax, amax)


def test_stats_and_histograms_match_autograd_oracle():
    torch.manual_seed(0)
    members = [Member(a, "standard", 0.1, 0) for a in MIXED]
    depth, width, n_in, n_out, m, bins = 3, 16, 8, 5, 50, 20
    model = StackedMLP(members, n_in, width, depth, n_out, dtype=torch.float64)
    x = torch.randn(m, n_in, dtype=torch.float64) * 2
    y = torch.randint(0, n_out, (m,))
    rec = Recorder(model, x, y, {"bins": bins, "jacobian": True, "jacobian_examples": 4})
    ranges = {}
    for step in (0, 7):
        if step == 7:  # change the weights: step 7's values leave step 0's ranges (clamped bins)
            with torch.no_grad():
                for lin in model.linears:
                    lin.weight.mul_(1.7).add_(0.05)
                    lin.bias.add_(0.1)
        rec.record(step, step * 10)
        rec.record(step, step * 10)  # a second call at the same step is a no-op
        tabs = rec.tables()
        st = tabs["stats"].query("step == @step").set_index(["member", "layer", "signal", "stat"]).value
        hist = tabs["hist"].query("step == @step")
        jac = tabs["jacobian"].query("step == @step").set_index(["member", "layer"])
        assert st.index.is_unique and len(tabs["stats"].query("step == @step")) == len(st)
        for k, mem in enumerate(members):
            a = get_activation(mem.activation)
            seq = sequential_from_stack(model, k)
            sig = oracle_signals(seq, x, y, depth)
            for signal, per_layer in sig.items():
                for layer, v in per_layer.items():
                    is_act = signal == "act"
                    want = oracle_stats(v, a if is_act else None)
                    for stat, val in want.items():
                        assert st[(k, layer, signal, stat)] == pytest.approx(val, rel=1e-9, abs=1e-12), \
                            (step, k, mem.activation, layer, signal, stat)
                    if not is_act:
                        assert (k, layer, signal, "sat") not in st.index
                        assert (k, layer, signal, "unit_spread") not in st.index
                    assert ((k, layer, signal, "dead") in st.index) == (is_act and a.name in RECTIFIERS)
                    # histogram: range fixed at step 0, values outside clamped into the edge bins
                    key = (k, layer, signal)
                    if step == 0:
                        ranges[key] = oracle_range(v, a if is_act else None)
                    lo, hi = ranges[key]
                    # explicit edges (a value on an edge goes to the upper bin; numpy's own
                    # linspace edges may put the middle edge a rounding error off 0, where the
                    # exact zeros of ReLU gradients sit)
                    edges = lo + (hi - lo) * np.arange(bins + 1) / bins
                    edges[-1] = hi
                    dens, _ = np.histogram(np.clip(v.ravel(), lo, hi), bins=edges, density=True)
                    h = hist[(hist.member == k) & (hist.layer == layer) & (hist.signal == signal)]
                    np.testing.assert_allclose(h.bin_lo.to_numpy(), edges[:-1], rtol=1e-12, atol=1e-15)
                    np.testing.assert_allclose(h.bin_hi.to_numpy(), edges[1:], rtol=1e-12, atol=1e-15)
                    np.testing.assert_allclose(h.density.to_numpy(), dens, rtol=1e-9, atol=1e-12,
                                               err_msg=str((step, k, layer, signal)))
                    integral = (h.density * (h.bin_hi - h.bin_lo)).sum()
                    assert integral == pytest.approx(1.0, abs=1e-12)
                    out = ((v < lo) | (v > hi)).mean()
                    assert st[(k, layer, signal, "hist_out")] == pytest.approx(out, abs=1e-12)
                    if step == 0 and not is_act:
                        assert out == 0  # the range was fitted to these values
            # Jacobian dz^{l+1}/dz^l per example, by autograd on the plain copy, vs the recorder
            lins = [mod for mod in seq if isinstance(mod, torch.nn.Linear)]
            for layer in range(1, depth):
                svs = []
                for n in range(4):
                    zl = torch.from_numpy(sig["act"][layer][n])
                    f = lambda z: a.fn(lins[layer](z))  # noqa: E731  (layer l+1, 0-based index l)
                    j = torch.autograd.functional.jacobian(f, zl)
                    svs.append(np.linalg.svd(j.numpy(), compute_uv=False))
                svs = np.concatenate(svs)
                row = jac.loc[(k, layer)]
                for name, val in [("sv_mean", svs.mean()), ("sv_std", svs.std()), ("sv_min", svs.min()),
                                  ("sv_max", svs.max())]:
                    assert row[name] == pytest.approx(val, rel=1e-8, abs=1e-12), (k, layer, name)
    assert rec.steps == [0, 7]
    # leaves no gradients behind on the model (the trainer's update does not use .grad)
    assert all(p.grad is None for p in model.parameters())


def test_dead_units_known_share_and_old_checkpoints_load():
    """``dead``: in a ReLU member whose first-layer units 0..4 get zero weights and bias -1 (never
    positive) and unit 5 bias -100 (never positive either) the share is 6 / width exactly at layer 1;
    the tanh member beside it gets no ``dead`` row. A recorder state written before ``dead`` existed
    (one statistic fewer per slot) loads with NaN for it and the other statistics where they were."""
    torch.manual_seed(0)
    members = [Member("relu", "he", 0.1, 0), Member("tanh", "normalized", 0.1, 0)]
    width = 20
    model = StackedMLP(members, 8, width, 2, 3)
    with torch.no_grad():
        model.linears[0].weight[0, :5] = 0
        model.linears[0].bias[0, :5] = -1
        model.linears[0].bias[0, 5] = -100
    x, y = torch.randn(40, 8), torch.randint(0, 3, (40,))
    rec = Recorder(model, x, y, {"bins": 5})
    rec.record(0)
    st = rec.tables()["stats"]
    dead = st[st.stat == "dead"].set_index(["member", "layer"]).value
    assert sorted(dead.index) == [(0, 1), (0, 2)]  # the ReLU member's two hidden layers only
    want = (torch.relu(x @ model.linears[0].weight[0].T + model.linears[0].bias[0]) <= 0).all(0)
    assert dead[(0, 1)] == pytest.approx(want.double().mean().item(), abs=0) and want[:6].all()
    assert dead[(0, 1)] >= 6 / width

    old = rec.state_dict()  # as the previous recorder wrote it: no "dead" column in the stats part
    n_s, k, n_stats = len(rec.slots), rec.k, len(rec._stats[0, 0])
    cut = old["sizes"][0]
    old["host"] = [np.concatenate([h[:cut].reshape(n_s, k, n_stats)[..., :-1].ravel(), h[cut:]]) for h in old["host"]]
    old["sizes"] = [n_s * k * (n_stats - 1), *old["sizes"][1:]]
    again = Recorder(model, x, y, {"bins": 5})
    again.load_state_dict(old)
    st2 = again.tables()["stats"]
    assert st2[st2.stat == "dead"].value.isna().all() and len(st2) == len(st)
    pd.testing.assert_frame_equal(st2[st2.stat != "dead"], st[st.stat != "dead"])
    old["sizes"][1] += 1  # any other mismatch is still refused
    with pytest.raises(ValueError, match="does not match"):
        Recorder(model, x, y, {"bins": 5}).load_state_dict(old)


def test_percentiles_exact_on_both_paths():
    v = torch.randn(3, 1001, dtype=torch.float64)
    qs = [0.02, 0.5, 0.98, 0.0, 1.0]
    want = np.percentile(v.numpy(), [q * 100 for q in qs], axis=1).T
    for use_numpy in (True, False):  # numpy.partition (CPU path) and kthvalue (CUDA path)
        np.testing.assert_allclose(percentiles(v, qs, use_numpy).numpy(), want, rtol=0, atol=1e-14)


@pytest.mark.parametrize("case", ["normal", "positive", "negative", "relu_zeros", "skewed", "ties", "tiny"])
@pytest.mark.parametrize("n", [1, 2, 3, 49, 50, 51, 1001])
def test_abs_percentile_from_the_partition_ends(case, n):
    """The |v| quantile read off the two ends of the signed partition (CPU path) equals numpy's
    percentile of |v| (the oracle), and the kthvalue path, on distributions where the m largest
    |v| come from one end, both, or ties across the boundary."""
    g = torch.Generator().manual_seed(n)
    v = torch.randn(4, n, generator=g, dtype=torch.float64)
    v = {"normal": v, "positive": v.abs() + 1, "negative": -v.abs() - 1,
         "relu_zeros": v.clamp(min=0), "skewed": torch.where(v > 0, 3 * v, 0.2 * v),
         "ties": v.round(), "tiny": v * 1e-30}[case]
    for q in (0.98, 0.5, 0.9):
        want = np.percentile(np.abs(v.numpy()), 100 * q, axis=1)
        for use_numpy in (True, False):
            got = percentiles(v, [0.02, 0.98], use_numpy, abs_q=q)
            np.testing.assert_allclose(got[:, 2].numpy(), want, rtol=0, atol=1e-14 * max(1, abs(want).max()))
            np.testing.assert_allclose(got[:, :2].numpy(), np.percentile(v.numpy(), [2, 98], axis=1).T,
                                       rtol=0, atol=1e-14 * max(1, abs(want).max()))


def test_schedule():
    s = record_schedule(100_000, 20_000, 8)
    assert s[:9] == [0, 1, 3, 12, 41, 141, 488, 1682, 5800]  # round(20000 ** (i / 8))
    assert s[9:] == [20_000, 40_000, 60_000, 80_000, 100_000]
    assert record_schedule(30, 20, 0) == [0, 20, 30]
    assert record_schedule(0, 20, 8) == [0]


# --------------------------------------------------------------------------------------------
# The paper's theory (Sec. 4.2) at init, in the linear regime
# --------------------------------------------------------------------------------------------


def test_linear_regime_variances_follow_paper_formulas():
    """tanh, tiny inputs (Var[x] = 0.0025, so Var[s] <= 0.0025 and tanh(s) = s to < 1%), width 400:
    - forward: Var[z^{l+1}] / Var[z^l] = n Var[W] (1/3 standard, 1 normalized). Tolerance 5%: the
      realized factor ||W z||^2/||z||^2 over 300 examples fluctuates by ~1% at n = 400, and tanh's
      curvature takes off up to ~1.5% at Var[s] = 0.0025 (observed within 1.5%);
    - backward: Var[dC/ds^l] / Var[dC/ds^{l+1}] = n Var[W^{l+1}]. Tolerance 10%: the back-propagated
      gradients of 300 examples span only the <= 9 directions of the softmax error, so the factor
      averages over few directions (std ~ sqrt(2/(9 n))... plus example mix; observed within 4%);
    - weight gradients (Eq. 14): the same variance in every hidden layer. max/min over layers 1..5
      < 1.15 (observed 1.06), while for standard init dC/ds varies 3^4 = 81x over the same layers.
    """
    g = torch.Generator().manual_seed(0)
    n, depth = 400, 5
    members = [Member("tanh", i, 0.1, 0) for i in ("standard", "normalized")]
    model = StackedMLP(members, n, n, depth, 10, dtype=torch.float64)
    x = torch.randn(300, n, generator=g, dtype=torch.float64) * 0.05
    y = torch.randint(0, 10, (300,), generator=g)
    rec = Recorder(model, x, y, {"hist": False, "signals": ["act", "grad_s", "grad_w"]})
    rec.record(0)
    st = rec.tables()["stats"]
    var = st[st.stat == "var"].set_index(["member", "signal", "layer"]).value
    for k, mem in enumerate(members):
        nvar = n * init_variance(mem.init, n, n)  # 1/3 or 1
        assert var[(k, "act", 1)] == pytest.approx(0.0025 * nvar, rel=0.05)
        for l in range(1, depth):
            assert var[(k, "act", l + 1)] / var[(k, "act", l)] == pytest.approx(nvar, rel=0.05), (k, l)
            assert var[(k, "grad_s", l)] / var[(k, "grad_s", l + 1)] == pytest.approx(nvar, rel=0.10), (k, l)
        gw = np.array([var[(k, "grad_w", l)] for l in range(1, depth + 1)])
        assert gw.max() / gw.min() < 1.15, (mem.init, gw)
    gs = np.array([var[(0, "grad_s", l)] for l in range(1, depth + 1)])
    assert gs[-1] / gs[0] == pytest.approx(3.0 ** 4, rel=0.25)  # standard: shrinks ~3x per layer down


def monitor_examples(m: int, n_in: int = 784):
    """The paper's monitor set (first test examples of MNIST) if data/ has it, else random
    MNIST-like inputs: for the Jacobian at init only the scale of the inputs matters (they enter
    through f'(s), ~1 in the linear regime), and pixel-like values in [0, 1] give that scale."""
    if (ROOT / "data" / "mnist.pkl.gz").exists():
        from glorot.data import load_mnist  # noqa: PLC0415

        ds = load_mnist(ROOT / "data")
        return ds.monitor(m)
    g = torch.Generator().manual_seed(0)
    return (torch.rand(m, n_in, generator=g) < 0.19).float() * torch.rand(m, n_in, generator=g), \
        torch.randint(0, 10, (m,), generator=g)


def test_jacobian_singular_values_tanh_5x1000():
    """Sec. 4.2.1: mean singular value of J = dz^{l+1}/dz^l ~0.5 (standard) and ~0.8 (normalized).

    Theory: W n x n with iid entries of variance v has singular values on the quarter circle
    [0, 2 sqrt(n v)], mean (8 / 3 pi) sqrt(n v): 0.490 for standard (n v = 1/3) and 0.849 for
    normalized (n v = 1); f'(s) <= 1 lowers it by the few % of tanh's curvature at MNIST scale.
    One example x 4 layers pools 4000 singular values per member (a 1000x1000 SVD takes ~2 s on
    this CPU); their mean is within ~1% of the law's. Tolerance: within 0.06 of the paper's
    "about 0.5 / 0.8" and within 8% of the law, well apart (0.49 vs 0.85)."""
    x, y = monitor_examples(20)
    members = [Member("tanh", i, 0.1, 0) for i in ("standard", "normalized")]
    model = StackedMLP(members, 784, 1000, 5, 10)
    rec = Recorder(model, x, y, {"hist": False, "signals": ["act"], "jacobian": True, "jacobian_examples": 1})
    rec.record(0)
    jac = rec.tables()["jacobian"]
    assert sorted(jac.layer.unique()) == [1, 2, 3, 4]
    sv = jac.groupby("member").sv_mean.mean()
    law = 8 / (3 * math.pi)
    assert sv[0] == pytest.approx(0.5, abs=0.06) and sv[0] == pytest.approx(law / math.sqrt(3), rel=0.08)
    assert sv[1] == pytest.approx(0.8, abs=0.06) and sv[1] == pytest.approx(law, rel=0.08)
    assert (jac.sv_min >= 0).all() and (jac.sv_max > jac.sv_mean).all()


def test_relu_depth30_second_moment():
    """He et al. 2015: with ReLU, E[z^2] is multiplied by n Var[W] / 2 per layer: 1/2 for lecun
    (Var = 1/n), 1 for He (Var = 2/n). Width 256: one layer's realized factor fluctuates by ~14%
    (observed), so the geometric mean over 29 layers has a std of ~0.14/sqrt(29) = 2.6% in log; a
    10% tolerance is ~4 sigma. End to end after 30 layers, lecun is ~2^-29 of layer 1 (factor 3)."""
    g = torch.Generator().manual_seed(0)
    n, depth = 256, 30
    members = [Member("relu", i, 0.1, 0) for i in ("lecun", "he")]
    model = StackedMLP(members, n, n, depth, 10)
    x = torch.randn(200, n, generator=g)
    y = torch.randint(0, 10, (200,), generator=g)
    rec = Recorder(model, x, y, {"hist": False, "signals": ["act"]})
    rec.record(0)
    st = rec.tables()["stats"].pivot_table(index="layer", columns=["member", "stat"], values="value")
    for k, want in [(0, 0.5), (1, 1.0)]:
        m2 = (st[(k, "var")] + st[(k, "mean")] ** 2).to_numpy()  # second moment per layer
        assert len(m2) == depth
        geo = (m2[-1] / m2[0]) ** (1 / (depth - 1))
        assert geo == pytest.approx(want, rel=0.10), (members[k].init, geo)
    m2 = (st[(0, "var")] + st[(0, "mean")] ** 2).to_numpy()
    assert 2.0 ** -29 / 3 < m2[-1] / m2[0] < 3 * 2.0 ** -29


# --------------------------------------------------------------------------------------------
# Wiring: the trainer writes the tables, a resumed run keeps what was recorded
# --------------------------------------------------------------------------------------------


def _cfg(tmp_path):
    return compose_cfg("data=synthetic", "model=tiny", "profile=smoke", "record=init", "train.updates=60",
                       "record.every=20", "record.early=3", "train.checkpoint_every=20",
                       "train.progress=false", "stack.activations=[tanh,relu]", f"results_dir={tmp_path}")


def test_trainer_writes_tables_and_resume_keeps_rows(tmp_path, monkeypatch):
    from glorot.trainer import train  # noqa: PLC0415

    cfg = _cfg(tmp_path)
    full = tmp_path / "full"
    train(cfg, full)
    for name in ("stats", "hist", "jacobian"):
        assert (full / f"{name}.parquet").exists(), name
    stats = pd.read_parquet(full / "stats.parquet")
    assert sorted(stats.step.unique()) == [0, 1, 3, 7, 20, 40, 60]
    assert set(stats.member) == {0, 1}
    assert list(stats.columns) == ["member", "step", "examples_seen", "layer", "signal", "stat", "value"]
    assert (stats.examples_seen == stats.step * 10).all()
    hist = pd.read_parquet(full / "hist.parquet")
    integral = (hist.density * (hist.bin_hi - hist.bin_lo)).groupby(
        [hist.member, hist.step, hist.layer, hist.signal]).sum()
    np.testing.assert_allclose(integral.to_numpy(), 1.0, atol=1e-5)

    # interrupt a second run after update 45 (last checkpoint: 40), then resume it
    part = tmp_path / "part"
    calls = {"n": 0}
    original = StackedMLP.sgd_step

    def flaky(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] > 45:
            raise KeyboardInterrupt
        return original(self, *a, **kw)

    monkeypatch.setattr(StackedMLP, "sgd_step", flaky)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, part)
    assert (part / "checkpoint.pt").exists() and not (part / "stats.parquet").exists()
    monkeypatch.setattr(StackedMLP, "sgd_step", original)
    train(cfg, part)
    for name in ("stats", "hist", "jacobian"):
        a = pd.read_parquet(full / f"{name}.parquet")
        b = pd.read_parquet(part / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=1e-7)


def test_context_manager_around_a_plain_loop(tmp_path):
    """Around any training loop: hooks live for the block (and see only the recorder's own passes),
    scheduled steps are recorded, the tables are saved on exit."""
    torch.manual_seed(0)
    model = StackedMLP([Member("tanh", "normalized", 0.1, 0)], 6, 8, 2, 3)
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    with Recorder(model, x[:20], y[:20], {"every": 5, "early": 2, "jacobian": True, "jacobian_examples": 2},
                  run_dir=tmp_path) as rec:
        assert rec._handles
        for step in range(11):
            rec.maybe_record(step, step * 4, total=10)
            model(x)  # an outside forward pass is not captured
            if step < 10:
                model.sgd_step(x[None, :4], y[None, :4], torch.ones(1, dtype=torch.bool))
    assert not rec._handles
    assert rec.steps == [0, 1, 2, 5, 10]
    for name in ("stats", "hist", "jacobian"):
        assert (tmp_path / f"{name}.parquet").exists()
    stats = pd.read_parquet(tmp_path / "stats.parquet")
    assert sorted(stats.examples_seen.unique()) == [0, 4, 8, 20, 40]


def test_threaded_partition_gives_numpy_percentiles():
    """The CPU percentile path spreads rows over threads for large inputs: same numbers as numpy."""
    import numpy as np

    from glorot.record import percentiles

    v = torch.randn(4, 300_000, generator=torch.Generator().manual_seed(0))  # > 2^20 values in all
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        got = percentiles(v, [0.02, 0.5, 0.98])
    finally:
        torch.set_num_threads(before)
    ref = np.percentile(v.numpy().astype(np.float64), [2, 50, 98], axis=-1).T
    assert np.allclose(got.double().numpy(), ref, rtol=0, atol=1e-6)


def test_grad_s_same_bits_without_grad_w():
    """A record step without ``grad_w`` leaves the weights out of the backward pass: dC/ds must be
    the same bits as with them (the same product grad_out @ W), every statistic and histogram of
    ``act`` and ``grad_s`` the same, and the weights must come back trainable with their old .grad."""
    torch.manual_seed(0)
    members = [Member(a, "normalized", 0.1, s) for s, a in enumerate(MIXED)]
    model = StackedMLP(members, 20, 16, 4, 5)
    x, y = torch.randn(40, 20), torch.randint(0, 5, (40,))
    marker = [torch.full_like(lin.weight, 7.0) for lin in model.linears]
    for lin, g in zip(model.linears, marker):
        lin.weight.grad = g
    sigs = {}
    tables = {}
    for signals in (["act", "grad_s", "grad_w"], ["act", "grad_s"]):
        rec = Recorder(model, x, y, {"signals": signals, "bins": 10})
        sigs[len(signals)] = rec._capture()["grad_s"]
        rec.record(0, 0)
        stats = rec.tables()["stats"]
        tables[len(signals)] = stats[stats.signal.isin(["act", "grad_s"])].reset_index(drop=True)
        assert all(lin.weight.requires_grad for lin in model.linears)
        assert all(lin.weight.grad is g for lin, g in zip(model.linears, marker))
    assert sigs[3].keys() == sigs[2].keys()
    for layer in sigs[3]:
        assert torch.equal(sigs[3][layer], sigs[2][layer]), layer
        assert sigs[3][layer].abs().sum() > 0
    pd.testing.assert_frame_equal(tables[3], tables[2], check_exact=True)


@pytest.mark.parametrize("case", ["normal", "relu_zeros", "signed_zeros", "ties", "nan_tail", "all_nan", "inf"])
@pytest.mark.parametrize("n", [2, 3, 51, 1001, 60_000])
def test_upper_neighbour_by_segment_min_same_bits(case, n):
    """The CPU path reads each interpolation's upper order statistic as the minimum of its segment
    (:func:`glorot.record._segment_min`) instead of partitioning there too: float32 percentiles
    must be the same bits as with a partition at every neighbour (the oracle: what the recorder did
    before, :func:`glorot.record._partition` at every neighbour too), with ties, zeros of both signs,
    NaN (sorted last) and inf; n = 3 and 51 put the median exactly on an order statistic."""
    from glorot.record import QUANTILES, _partition, _positions

    g = torch.Generator().manual_seed(n)
    v = torch.randn(3, n, generator=g)
    if case == "relu_zeros":
        v = v.clamp(min=0)
    elif case == "signed_zeros":
        v = torch.where(v.abs() < 0.8, torch.where(v > 0, 0.0, -0.0), v)
    elif case == "ties":
        v = v.round()
    elif case == "nan_tail":
        v[:, : max(1, n // 40)] = float("nan")
    elif case == "all_nan":
        v[1] = float("nan")
        v[2, : n // 2 + 1] = float("nan")
    elif case == "inf":
        v[:, 0], v[:, -1] = float("inf"), -float("inf")
    qs = list(QUANTILES.values())
    got = percentiles(v, qs, use_numpy=True, abs_q=0.98)
    pos = _positions(n, qs)
    (r, _), = _positions(n, [0.98])
    tails = {n - r - 1, r} if 0 < n - r and 2 * (n - r) <= n else set()  # the |v| quantile's two ends
    kth = sorted({j for lo, _ in pos for j in (lo, min(lo + 1, n - 1))} | tails)
    part = torch.from_numpy(_partition(v.numpy(), kth))
    for c, (lo, frac) in enumerate(pos):
        a = part[:, lo]
        want = a if frac == 0.0 else a + frac * (part[:, lo + 1] - a)
        nan = torch.isnan(want)  # NaN in the same places; every other value the same bits
        assert torch.equal(torch.isnan(got[:, c]), nan), (case, n, c)
        assert torch.equal(got[:, c][~nan].view(torch.int32), want[~nan].view(torch.int32)), (case, n, c)


@pytest.mark.parametrize("case", ["normal", "relu_zeros", "signed_zeros", "ties", "negative_zeros",
                                  "nan_tail", "all_nan", "inf", "all_zero", "one_nonzero"])
@pytest.mark.parametrize("n", [2, 3, 50, 1001, 60_000])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_percentiles_around_zero_same_bits(monkeypatch, case, n, dtype):
    """Rows with many exact zeros take :func:`glorot.record._percentiles_around_zero` (order statistics
    of the negatives and of the rest, the zeros counted): the percentiles and the |v| quantile must be
    the same bits as the partition path's (the oracle: ``ZERO_SHARE`` above 1 forces that path), with
    zeros of both signs at and across the interpolation's ends, NaN, inf and all-zero rows; n = 3
    puts the median on an order statistic, where the partition path is kept."""
    from glorot import record

    g = torch.Generator().manual_seed(n)
    v = torch.randn(3, n, generator=g, dtype=dtype)
    zero = v.abs() < 0.7
    if case == "relu_zeros":
        v = v.clamp(min=0)
    elif case == "signed_zeros":
        v = torch.where(zero, torch.where(v > 0, 0.0, -0.0).to(dtype), v)
    elif case == "ties":
        v = v.round()
    elif case == "negative_zeros":  # the p02 and p50 neighbours in the zeros, p98 among the negatives
        v = torch.where(zero, -0.0, -v.abs())
    elif case == "nan_tail":
        v = torch.where(zero, 0.0, v)
        v[:, : max(1, n // 40)] = float("nan")
    elif case == "all_nan":
        v = torch.where(zero, 0.0, v)
        v[1] = float("nan")
        v[2, : n // 2 + 1] = float("nan")
    elif case == "inf":
        v = torch.where(zero, -0.0, v)
        v[:, 0], v[:, -1] = float("inf"), -float("inf")
    elif case == "all_zero":
        v = torch.where(v > 0, 0.0, -0.0).to(dtype)
    elif case == "one_nonzero":
        v = torch.zeros_like(v)
        v[:, n // 2] = torch.tensor([-1.0, 2.0, float("nan")], dtype=dtype)
    qs = [0.02, 0.5, 0.98]
    got = {}
    for share in (0.0, 2.0):  # 0: every input around the zeros; 2: never
        monkeypatch.setattr(record, "ZERO_SHARE", share)
        got[share] = percentiles(v, qs, use_numpy=True, abs_q=0.98)
    bits = torch.int32 if dtype == torch.float32 else torch.int64
    nan = torch.isnan(got[2.0])
    assert torch.equal(torch.isnan(got[0.0]), nan), (case, n)
    assert torch.equal(got[0.0][~nan].view(bits), got[2.0][~nan].view(bits)), (case, n)
    if case in ("relu_zeros", "signed_zeros", "ties"):
        want = np.percentile(v.double().numpy(), [2, 50, 98], axis=1).T  # numpy's own interpolation
        np.testing.assert_allclose(got[0.0][:, :3].double().numpy(), want, rtol=0, atol=1e-6 * float(v.abs().max()))


def test_percentiles_around_zero_threaded_same_bits():
    """Large zero-heavy inputs spread their rows over threads (:func:`glorot.record._order_stats`):
    the same bits on 2 threads as on 1, and numpy's percentiles."""
    v = torch.randn(4, 300_000, generator=torch.Generator().manual_seed(1)).clamp(min=0)  # > 2^20 values
    before = torch.get_num_threads()
    got = {}
    try:
        for t in (1, 2):
            torch.set_num_threads(t)
            got[t] = percentiles(v, [0.02, 0.5, 0.98], abs_q=0.98)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(got[1].view(torch.int32), got[2].view(torch.int32))
    ref = np.percentile(v.numpy().astype(np.float64), [2, 50, 98], axis=-1).T
    np.testing.assert_allclose(got[2][:, :3].double().numpy(), ref, rtol=0, atol=1e-6)
