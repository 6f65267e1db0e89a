"""glorot.watch against oracles: plain autograd with retain_grad on a conv + linear model (float64),
bit-identical training with and without watch, the trainer's own recorder on the same MLP, and the
recorder's histogram rule. All smoke-size."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from glorot import watch
from glorot.nn import Member, StackedMLP
from glorot.record import Recorder, data_range, histogram
from glorot.watch import Watch


def conv_net(dtype=torch.float64, inplace=True):
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.ReLU(inplace=inplace), nn.Conv2d(3, 4, 3, stride=2), nn.Tanh(),
        nn.Flatten(), nn.Linear(4 * 2 * 2, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3),
    ).to(dtype)


def oracle(model, x, y):
    """signal -> module index -> array, by plain autograd with retain_grad (no hooks)."""
    pre, act, h = {}, {}, x
    for i, mod in enumerate(model):
        h = mod(h.clone() if isinstance(mod, nn.ReLU) else h)  # keep s intact under inplace ReLU
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            h.retain_grad()
            pre[str(i)] = h
        elif not isinstance(mod, nn.Flatten):
            act[str(i)] = h
    loss = nn.functional.cross_entropy(h, y)
    loss.backward()
    m = len(y)
    w = {str(i): mod for i, mod in enumerate(model) if isinstance(mod, (nn.Conv2d, nn.Linear))}
    out = {"pre": {k: t.detach().numpy() for k, t in pre.items()},
           "act": {k: t.detach().numpy() for k, t in act.items()},
           "grad_s": {k: (t.grad * m).numpy() for k, t in pre.items()},
           "grad_w": {k: mod.weight.grad.numpy().copy() for k, mod in w.items()},
           "weight": {k: mod.weight.detach().numpy().copy() for k, mod in w.items()}}
    model.zero_grad(set_to_none=True)
    return out


SAT = {"act": None}


def test_hooks_match_plain_autograd_conv_and_linear():
    model = conv_net()
    x = torch.randn(12, 1, 7, 7, dtype=torch.float64)
    y = torch.randint(0, 3, (12,))
    w = watch(model, (x, y), nn.functional.cross_entropy, bins=10, jacobian=True, jacobian_examples=3)
    w.record(0)
    tabs = w.tables()
    st = tabs["stats"].set_index(["layer", "signal", "stat"]).value
    assert st.index.is_unique
    want = oracle(model, x, y)
    kinds = {c.key: c.kind for c in w.calls}
    assert kinds == {"0": "conv2d", "1": "relu", "2": "conv2d", "3": "tanh", "5": "linear", "6": "sigmoid",
                     "7": "linear", "8": "tanh", "9": "linear"}
    assert [c.depth for c in w.calls] == list(range(1, 10))  # forward order
    n_checked = 0
    for signal, per in want.items():
        for layer, v in per.items():
            flat = v.ravel()
            exp = {"mean": flat.mean(), "std": flat.std(), "var": flat.var(), "p02": np.percentile(flat, 2),
                   "p50": np.percentile(flat, 50), "p98": np.percentile(flat, 98),
                   "p98_abs": np.percentile(np.abs(flat), 98)}
            if signal == "act":
                per_ex = v.reshape(len(v), -1)
                exp["unit_spread"] = per_ex.std(axis=1).mean()
                if kinds[layer] == "tanh":
                    exp["sat"] = (np.abs(flat) > 0.99).mean()
                if kinds[layer] == "sigmoid":
                    exp["sat"] = ((flat < 0.01) | (flat > 0.99)).mean()
                if kinds[layer] == "relu":
                    exp["sat"] = (flat == 0).mean()
                    exp["dead"] = (per_ex <= 0).all(0).mean()
            for stat, val in exp.items():
                assert st[(layer, signal, stat)] == pytest.approx(val, rel=1e-10, abs=1e-13), (layer, signal, stat)
                n_checked += 1
            # histogram on the recorder's data-driven range (act of tanh/sigmoid: fixed)
            h = tabs["hist"].query("layer == @layer and signal == @signal")
            lo, hi = h.bin_lo.iloc[0], h.bin_hi.iloc[-1]
            if signal == "act" and kinds[layer] in ("tanh", "sigmoid"):
                assert (lo, hi) == ((-1.0, 1.0) if kinds[layer] == "tanh" else (0.0, 1.0))
            else:
                amax = np.abs(flat).max()
                assert (lo, hi) == pytest.approx((0.0, amax) if flat.min() >= 0 else (-amax, amax), rel=1e-12)
            edges = np.r_[h.bin_lo.to_numpy(), hi]
            dens, _ = np.histogram(flat, bins=edges, density=True)
            np.testing.assert_allclose(h.density.to_numpy(), dens, rtol=1e-9, atol=1e-12)
    assert n_checked > 100
    # no grad_w / weight rows for activations, no act rows for layers
    assert set(tabs["stats"].query("layer == '1'").signal) == {"act"}
    assert set(tabs["stats"].query("layer == '0'").signal) == {"pre", "grad_s", "grad_w", "weight"}
    # the Jacobian: 5 (linear 16->8) -> 6 (sigmoid) -> 7 (square linear) -> 8 (tanh); by autograd
    jac = tabs["jacobian"]
    assert list(jac.layer) == ["5"]
    lin, act = model[7], model[8]
    svs = []
    for n in range(3):
        z = torch.from_numpy(want["act"]["6"][n])
        j = torch.autograd.functional.jacobian(lambda z: act(lin(z)), z)
        svs.append(np.linalg.svd(j.numpy(), compute_uv=False))
    svs = np.concatenate(svs)
    row = jac.iloc[0]
    for name, val in [("sv_mean", svs.mean()), ("sv_std", svs.std()), ("sv_min", svs.min()), ("sv_max", svs.max())]:
        assert row[name] == pytest.approx(val, rel=1e-9), name


def _state(model):
    return {"params": [p.detach().clone() for p in model.parameters()],
            "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
            "buffers": [b.clone() for b in model.buffers()],
            "modes": [m.training for m in model.modules()],
            "rng": (torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())}


def _same(a, b):
    for k in ("params", "grads", "buffers"):
        assert len(a[k]) == len(b[k])
        for u, v in zip(a[k], b[k]):
            assert (u is None) == (v is None)
            if u is not None:
                assert torch.equal(u, v), k
    assert a["modes"] == b["modes"]
    assert torch.equal(a["rng"][0], b["rng"][0]) and a["rng"][1] == b["rng"][1]
    assert np.array_equal(a["rng"][2], b["rng"][2])


def _train(use_watch: bool, tmp_path, steps=7):
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(inplace=True), nn.Dropout(0.3),
                          nn.Flatten(), nn.Linear(3 * 5 * 5, 6), nn.Tanh(), nn.Linear(6, 3))
    data = torch.randn(40, 1, 7, 7)
    labels = torch.randint(0, 3, (40,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    w = watch(model, (data[:10], labels[:10]), out=tmp_path / "run", every=3, early=2, jacobian=True)
    states = []
    with w if use_watch else _Null():
        for step in range(steps):
            if step == 3:
                model.eval()  # the user's own mode switch must survive a record step
            if use_watch:
                before = _state(model)
                recorded = w.maybe_record(step)
                _same(before, _state(model))  # nothing changed, including .grad, BN buffers, RNG
                assert recorded == (step in (0, 1, 2, 3, 6))
            idx = torch.randint(0, 40, (8,))
            opt.zero_grad(set_to_none=step % 2 == 0)
            nn.functional.cross_entropy(model(data[idx]), labels[idx]).backward()
            if step % 3 == 2:
                states.append(_state(model))  # .grad still there while the watch records next
            opt.step()
            if step == 3:
                model.train()
        states.append(_state(model))
    return states


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return None


def test_training_is_bit_identical_with_and_without_watch(tmp_path):
    plain = _train(False, tmp_path / "a")
    watched = _train(True, tmp_path / "b")
    assert len(plain) == len(watched)
    for a, b in zip(plain, watched):
        _same(a, b)
    assert (tmp_path / "b" / "run" / "stats.parquet").exists()
    info = json.loads((tmp_path / "b" / "run" / "run.json").read_text())
    assert info["steps"] == [0, 1, 2, 3, 6]
    assert [l["kind"] for l in info["layers"]] == ["conv2d", "relu", "linear", "tanh", "linear"]


def test_watch_agrees_with_the_trainers_recorder():
    """The same MLP (same weights, same monitor set): StackedMLP K=1 + glorot.record vs an
    nn.Sequential of nn.Linear + nn.Tanh + glorot.watch. Every stat, histogram and Jacobian row."""
    depth, width, n_in, n_out, m = 3, 12, 6, 4, 40
    stack = StackedMLP([Member("tanh", "standard", 0.1, 3)], n_in, width, depth, n_out, dtype=torch.float64)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(m, n_in, generator=g, dtype=torch.float64) * 2
    y = torch.randint(0, n_out, (m,), generator=g)
    seq = []
    for i, lin in enumerate(stack.linears):
        plain = nn.Linear(lin.n_in, lin.n_out, dtype=torch.float64)
        with torch.no_grad():
            plain.weight.copy_(lin.weight[0])
            plain.bias.copy_(lin.bias[0])
        seq.append(plain)
        if i < depth:
            seq.append(nn.Tanh())
    seq = nn.Sequential(*seq)
    cfg = {"bins": 16, "jacobian": True, "jacobian_examples": 5}
    rec = Recorder(stack, x, y, cfg)
    w = Watch(seq, (x, y), bins=16, jacobian=True, jacobian_examples=5)
    for step in (0, 3):
        if step == 3:
            with torch.no_grad():
                for lin, plain in zip(stack.linears, [mm for mm in seq if isinstance(mm, nn.Linear)]):
                    lin.weight.mul_(1.5)
                    plain.weight.mul_(1.5)
        rec.record(step)
        w.record(step)
    tr, wt = rec.tables(), w.tables()
    # trainer layer l <-> the l-th Linear (module 2(l-1)) for pre/grad_s/grad_w/weight, the l-th Tanh for act
    name = lambda layer, signal: str(2 * (layer - 1) + (1 if signal == "act" else 0))  # noqa: E731
    a = tr["stats"].assign(layer=[name(l, s) for l, s in zip(tr["stats"].layer, tr["stats"].signal)])
    key = ["step", "layer", "signal", "stat"]
    both = a.merge(wt["stats"], on=key, how="outer", suffixes=("_rec", "_watch"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"][key]
    np.testing.assert_allclose(both.value_watch, both.value_rec, rtol=1e-12, atol=1e-15)
    ha = tr["hist"].assign(layer=[name(l, s) for l, s in zip(tr["hist"].layer, tr["hist"].signal)])
    hw = wt["hist"]
    ha["bin"] = ha.groupby(["step", "layer", "signal"]).cumcount()
    hw = hw.assign(bin=hw.groupby(["step", "layer", "signal"]).cumcount())
    hb = ha.merge(hw, on=["step", "layer", "signal", "bin"], suffixes=("_rec", "_watch"))
    assert len(hb) == len(ha) == len(hw)
    for c in ("bin_lo", "bin_hi", "density"):
        np.testing.assert_allclose(hb[f"{c}_watch"], hb[f"{c}_rec"], rtol=1e-12, atol=1e-12)
    ja = tr["jacobian"].assign(layer=[name(l, "pre") for l in tr["jacobian"].layer])
    jb = ja.merge(wt["jacobian"], on=["step", "layer"], suffixes=("_rec", "_watch"))
    assert len(jb) == len(ja) == 2 * (depth - 1)
    for s in ("sv_mean", "sv_std", "sv_min", "sv_max"):
        np.testing.assert_allclose(jb[f"{s}_watch"], jb[f"{s}_rec"], rtol=1e-10)


def test_public_histogram_is_the_recorders():
    """record.histogram / data_range (used by watch) give the Recorder's own histograms."""
    stack = StackedMLP([Member("relu", "he", 0.1, 0), Member("tanh", "standard", 0.1, 1)], 5, 9, 2, 3,
                       dtype=torch.float64)
    x = torch.randn(30, 5, dtype=torch.float64)
    y = torch.randint(0, 3, (30,))
    rec = Recorder(stack, x, y, {"bins": 13, "signals": ["pre", "grad_s"]})
    rec.record(0)
    h = rec.tables()["hist"]
    with torch.no_grad():
        s1 = stack.linears[0](x.unsqueeze(0).expand(2, -1, -1)).reshape(2, -1)
    dens, out = histogram(s1, data_range(s1), 13)
    got = h.query("layer == 1 and signal == 'pre'").sort_values(["member", "bin_lo"]).density.to_numpy()
    np.testing.assert_allclose(dens.numpy().ravel(), got, rtol=1e-12)
    assert out.tolist() == [0.0, 0.0]
    # out-of-range share and clamping: a range half as wide puts the tails in the edge bins
    rng = data_range(s1) / 2
    dens, out = histogram(s1, rng, 13)
    v = s1.numpy()
    for k in range(2):
        lo, hi = rng[k].tolist()
        assert out[k].item() == pytest.approx(((v[k] < lo) | (v[k] > hi)).mean())
        e = lo + (hi - lo) * np.arange(14) / 13
        np.testing.assert_allclose(dens[k].numpy(), np.histogram(np.clip(v[k], lo, hi), e, density=True)[0])


def test_bad_input_one_clear_line():
    model = nn.Sequential(nn.Linear(3, 2))
    x, y = torch.randn(4, 3), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="layers=\\['nope'\\].*valid names: 0"):
        watch(model, (x, y), layers=["nope"])
    with pytest.raises(ValueError, match="unknown signals \\['acts'\\]; valid choices: act, pre"):
        watch(model, (x, y), signals=["acts"])
    with pytest.raises(ValueError, match="mode='test'; valid choices"):
        watch(model, (x, y), mode="test")
    with pytest.raises(ValueError, match="no nn.Linear"):
        watch(nn.Sequential(nn.Flatten()), (x, y))
    w = watch(model, (x, y), loss=lambda o, t: nn.functional.cross_entropy(o, t, reduction="none"))
    with pytest.raises(ValueError, match="must return the mean"):
        w.record(0)
    assert all(p.grad is None for p in model.parameters())


def test_custom_layers_and_repeated_calls():
    """A module named in layers= (kind given) is an activation; one module called twice gives two
    layers (name, name#2)."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(4, 4), nn.Linear(4, 2)
            self.relu = nn.ReLU()
            self.squash = Squash()

        def forward(self, x):
            return self.fc2(self.relu(self.squash(self.relu(self.fc1(x)))))

    class Squash(nn.Module):
        def forward(self, x):
            return torch.tanh(x)

    model = Block()
    x, y = torch.randn(6, 4), torch.randint(0, 2, (6,))
    w = watch(model, (x, y), layers={"squash": "tanh"}, hist=False)
    w.record(0)
    assert [(c.key, c.kind, c.depth) for c in w.calls] == [
        ("fc1", "linear", 1), ("relu", "relu", 2), ("squash", "tanh", 3), ("relu#2", "relu", 4), ("fc2", "linear", 5)]
    st = w.tables()["stats"].set_index(["layer", "signal", "stat"]).value
    z = torch.tanh(torch.relu(model.fc1(x))).detach()
    assert st[("squash", "act", "mean")] == pytest.approx(z.mean().item(), rel=1e-6)
    assert st[("relu#2", "act", "mean")] == pytest.approx(z.mean().item(), rel=1e-6)  # tanh >= 0 here
    assert ("squash", "act", "sat") in st.index and ("fc1", "pre", "hist_out") not in st.index
