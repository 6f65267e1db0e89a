"""Synthetic result tables with a known answer (owned by the plotting tests).

``make_data(reproduce=True)`` builds frames in the schema of ``glorot.results.load`` (members,
metrics, stats, hist, jacobian, runs; each row joined with its member's axes) for every experiment,
shaped so that every paper claim holds; ``reproduce=False`` flips each effect so that every claim
fails. Figures must render from both; verdicts must read "reproduced" from the first and "not
reproduced" from the second.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd

AXES = ["activation", "init", "lr", "seed", "depth", "width"]
BINS = np.linspace(-1, 1, 41)


def _members(name, acts, inits, lrs, seeds, depth, width=64):
    rows = [dict(member=k, activation=a, init=i, lr=lr, seed=s, depth=depth, width=width, data="mnist",
                 status="ok", diverged_at_update=None)
            for k, (a, i, lr, s) in enumerate(itertools.product(acts, inits, lrs, seeds))]
    m = pd.DataFrame(rows)
    m["run"] = f"/tmp/fixture/runs/smoke/{name}"
    m["name"] = name
    m["profile"] = "smoke"
    return m


def _join(rows: list[dict], members: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    return df.merge(members[["member", "run", "name", "profile", *AXES]], on="member")


def _gauss_hist(member, step, layer, signal, std, mean=0.0, lo=-1.0, hi=1.0, mix=None):
    edges = np.linspace(lo, hi, 41)
    c = (edges[:-1] + edges[1:]) / 2
    if mix is None:
        d = np.exp(-0.5 * ((c - mean) / std) ** 2)
    else:  # mixture: list of (weight, mean, std)
        d = sum(w * np.exp(-0.5 * ((c - mu) / sd) ** 2) for w, mu, sd in mix)
    d = d / (d.sum() * (edges[1] - edges[0]))
    return [dict(member=member, step=step, layer=layer, signal=signal, bin_lo=a, bin_hi=b, density=v)
            for a, b, v in zip(edges[:-1], edges[1:], d)]


def _stat_rows(member, step, layer, signal, **stats):
    return [dict(member=member, step=step, examples_seen=step * 10, layer=layer, signal=signal, stat=k,
                 value=float(v)) for k, v in stats.items()]


def _init_tanh(ok: bool, seeds):
    m = _members("init_tanh", ["tanh"], ["standard", "normalized"], [0.01], seeds, 5, 1000)
    st, hi, jac = [], [], []
    rng = np.random.default_rng(0)
    for r in m.itertuples():
        std_init = r.init == "standard"
        for l in range(1, 6):
            noise = 1 + 0.01 * rng.standard_normal()
            if std_init:
                a = 0.6 * (0.8 ** (l - 1) if ok else 1.1 ** (l - 1))
                gs = 1e-2 * (3 ** ((l - 5) / 2) if ok else 3 ** ((5 - l) / 2))
                gw = 1e-3 * (1.0 if ok else 3 ** (l - 5))
            else:
                a = 0.6 * (0.97 ** (l - 1) if ok else 0.6 ** (l - 1))
                gs = 1e-2 * (1.0 if ok else 4 ** ((l - 5) / 2))
                gw = 1e-3
            a, gs, gw = a * noise, gs * noise, gw * noise
            st += _stat_rows(r.member, 0, l, "act", std=a, mean=0.0, p98=2 * a, sat=0.0)
            st += _stat_rows(r.member, 0, l, "grad_s", std=gs, mean=0.0)
            st += _stat_rows(r.member, 0, l, "grad_w", std=gw, mean=0.0)
            hi += _gauss_hist(r.member, 0, l, "act", a)
            hi += _gauss_hist(r.member, 0, l, "grad_s", gs, lo=-5 * 1e-2, hi=5 * 1e-2)
            hi += _gauss_hist(r.member, 0, l, "grad_w", gw, lo=-5e-3, hi=5e-3)
            sv = (0.5 if std_init else 0.8) if ok else (0.8 if std_init else 0.5)
            jac.append(dict(member=r.member, step=0, layer=l, sv_mean=sv * noise, sv_std=0.1, sv_min=0.0,
                            sv_max=2.0))
    return m, st, hi, jac, []


def _saturation(ok: bool, seeds):
    m = _members("saturation", ["tanh", "softsign"], ["standard", "normalized"], [0.01], seeds, 5)
    steps = [0, 100, 200, 300, 400, 500, 600, 700]
    st, hi = [], []
    for r in m.itertuples():
        for step in steps:
            for l in range(1, 6):
                if r.activation == "tanh" and (r.init == "standard" or not ok):
                    t_l = 100 * l if ok else 100 * (6 - l)  # layer 1 first (paper) or layer 5 first
                    p98 = 0.995 if step >= t_l else 0.5
                    sat = 0.3 if step >= t_l else 0.0
                elif r.activation == "tanh":
                    p98, sat = 0.7, 0.0
                else:  # softsign: all layers together, less saturated (or, flipped, the most)
                    p98 = 0.8 if ok else 0.999
                    sat = 0.02 if ok else 0.6
                gw = 1e-3 * (2.0 ** l if (r.init == "standard") == ok else 1.0)
                st += _stat_rows(r.member, step, l, "act", p98=p98, p02=-p98, std=p98 / 2, mean=0.0, sat=sat)
                st += _stat_rows(r.member, step, l, "grad_w", std=gw, mean=0.0)
                if step == steps[-1]:
                    if (r.activation == "tanh") == ok:  # at the asymptotes and 0
                        mix = [(1, -0.98, 0.03), (1, 0.98, 0.03), (1, 0.0, 0.1)]
                    else:  # at the knees
                        mix = [(1, -0.6, 0.15), (1, 0.6, 0.15)]
                    hi += _gauss_hist(r.member, step, l, "act", 0, mix=mix)
    return m, st, hi, [], []


def _fig2(ok: bool, seeds):
    m = _members("fig2_sigmoid", ["sigmoid"], ["standard"], [0.1], seeds, 4)
    st = []
    for r in m.itertuples():
        for step in [0, 1000, 5000, 20000, 40000, 80000, 160000]:
            for l in range(1, 5):
                mean = 0.5
                if l == 4 and ok:
                    mean = 0.02 if 1000 <= step <= 40000 else (0.5 if step == 0 else 0.3)
                st += _stat_rows(r.member, step, l, "act", mean=mean, std=0.1)
    return m, st, [], [], []


TABLE1_FINAL = {  # (activation, init) -> final test error, reproducing the paper's ordering
    ("softsign", "standard"): 0.0164, ("softsign", "normalized"): 0.0172, ("tanh", "standard"): 0.0176,
    ("tanh", "normalized"): 0.0150, ("sigmoid", "standard"): 0.0221, ("sigmoid", "normalized"): 0.0200,
}


def _table1(ok: bool, seeds):
    lrs = [0.01, 0.1]
    m = _members("table1", ["softsign", "tanh", "sigmoid"], ["standard", "normalized"], lrs, seeds, 5)
    final = dict(TABLE1_FINAL)
    if not ok:  # tanh standard best, sigmoid best of all, tanh N worst
        final[("tanh", "standard")], final[("tanh", "normalized")] = 0.0150, 0.0250
        final[("sigmoid", "standard")] = 0.0100
        final[("softsign", "standard")] = 0.0200
    rng = np.random.default_rng(1)
    mt = []
    fv, ft = [], []
    for r in m.itertuples():
        good_lr = 0.1 if r.activation == "sigmoid" else 0.01  # the lr the selection must find
        f = final[(r.activation, r.init)] * (1.0 if r.lr == good_lr else 2.0) + 2e-5 * rng.standard_normal()
        fv.append(f + 0.001)
        ft.append(f)
        for step in range(0, 1001, 100):
            e = f + (0.9 - f) * np.exp(-step / 150)
            for split in ("train", "valid", "test"):
                mt.append(dict(member=r.member, step=step, examples_seen=step * 10, split=split,
                               loss=-np.log(1 - e) if split != "train" else e,
                               error=np.nan if split == "train" else (e + 0.001 if split == "valid" else e)))
    m["final_valid_error"], m["final_test_error"] = fv, ft
    m["best_valid_error"], m["final_valid_loss"] = fv, 0.1
    return m, [], [], [], mt


SHAPESET_FINAL = {  # (activation, init) -> final test error on Shapeset, the paper's Table 1 column
    ("softsign", "standard"): 0.1627, ("softsign", "normalized"): 0.1606, ("tanh", "standard"): 0.2715,
    ("tanh", "normalized"): 0.1560, ("sigmoid", "standard"): 0.8261, ("sigmoid", "normalized"): 0.5000,
}


def _shapeset(name: str, ok: bool, seeds):
    """Fig. 11 / Table 1 on Shapeset: ``shapeset_table1`` (5 layers) or ``shapeset_sigmoid4``. Flipped:
    sigmoid depth 5 learns (20%), Tanh N (40%) is the worst and worse than Tanh."""
    lrs = [0.01, 0.1]
    if name == "shapeset_sigmoid4":
        m = _members(name, ["sigmoid"], ["standard"], lrs, seeds, 4)
        final = {("sigmoid", "standard"): 0.60}
    else:
        m = _members(name, ["softsign", "tanh", "sigmoid"], ["standard", "normalized"], lrs, seeds, 5)
        final = dict(SHAPESET_FINAL)
        if not ok:
            final[("sigmoid", "standard")], final[("tanh", "normalized")] = 0.20, 0.40
    m["data"] = "shapeset"
    rng = np.random.default_rng(2)
    mt, fv, ft = [], [], []
    for r in m.itertuples():
        f = final[(r.activation, r.init)] * (1.0 if r.lr == 0.1 else 1.05) + 0.002 * rng.standard_normal()
        fv.append(f + 0.002)
        ft.append(f)
        for step in range(0, 1001, 100):
            e = f + (0.87 - f) * np.exp(-step / 150)
            for split in ("valid", "test"):
                mt.append(dict(member=r.member, step=step, examples_seen=step * 10, split=split, loss=1.0,
                               error=e + 0.002 if split == "valid" else e))
    m["final_valid_error"], m["final_test_error"] = fv, ft
    m["best_valid_error"], m["final_valid_loss"] = fv, 1.0
    return m, [], [], [], mt


def _relu(name, inits, depth, ok, seeds, train):
    m = _members(name, ["relu"], inits, [0.01], seeds, depth, 200 if name == "relu30" else 1000)
    st, mt = [], []
    dead = None
    if name == "relu30":  # the dead-unit share at init: as predicted (glorot.theory_claims.predicted_dead,
        from glorot import theory_claims as TC  # noqa: PLC0415 - MNIST's monitor set); flipped: he
        dead = TC.predicted_dead(depth)  # keeps every unit alive, lecun's share does not rise with depth
    for r in m.itertuples():
        shrink = r.init in ("normalized", "lecun")
        ratio = (0.5 if shrink else 1.0) if ok else (1.0 if shrink else 0.5)  # Var ratio per layer
        for l in range(1, depth + 1):
            a = 0.8 * ratio ** ((l - 1) / 2)
            gs = 1e-2 * ratio ** ((depth - l) / 2)
            extra = {}
            if dead is not None:
                extra["dead"] = dead[l - 1] if ok else (0.0 if r.init == "he" else 0.5)
            st += _stat_rows(r.member, 0, l, "act", std=a, mean=a / 2, **extra)
            st += _stat_rows(r.member, 0, l, "grad_s", std=gs, mean=0.0)
        if train:
            f = (0.887 if shrink else 0.08) if ok else (0.08 if shrink else 0.887)
            for step in range(0, 1001, 100):
                e = f + (0.9 - f) * np.exp(-step / 200)
                for split in ("valid", "test"):
                    mt.append(dict(member=r.member, step=step, examples_seen=step * 10, split=split, loss=1.0,
                                   error=e))
    if train:
        fin = {k: v for k, v in pd.DataFrame(mt).query("step == 1000 and split == 'test'")
               .set_index("member").error.items()}
        m["final_test_error"] = m.member.map(fin)
        m["final_valid_error"] = m["final_test_error"]
    return m, st, [], [], mt


DEPTH30_ACTS, DEPTH30_INITS = ["tanh", "relu"], ["normalized", "he", "lecun"]


def _depth30(ok: bool, seeds, acts=DEPTH30_ACTS, inits=DEPTH30_INITS, width=1000, off=None):
    """The depth-30 experiment at init: each member's act and grad_s std exactly the mean-field
    prediction (glorot.theory_claims.predicted_std, MNIST's monitor set) times a per-seed wobble of
    1%; flipped (``ok`` False), the top layer's std is off by e^(2 tol) (``off``: that factor's
    exponent), outside the tolerance in every cell."""
    from glorot import theory_claims as TC  # noqa: PLC0415

    m = _members("depth30", acts, inits, [0.01], seeds, 30, width)
    tol = TC.tolerance(30, width)
    off = (0.0 if ok else 2 * tol) if off is None else off
    inp = TC.inputs_q0("mnist", "data")
    pred = {(a, i): TC.predicted_std(a, i, 30, width, inp["monitor"], q0_init=inp["train"]).set_index(
        ["signal", "layer"]).predicted for a in acts for i in inits}
    st = []
    for r in m.itertuples():
        p = pred[(r.activation, r.init)]
        wob = 1.0 + 0.01 * (r.seed - 0.5)
        for sig in ("act", "grad_s"):
            for l in range(1, 31):
                top = np.exp(off * (1 if sig == "act" else -1)) if l == 30 else 1.0
                st += _stat_rows(r.member, 0, l, sig, std=p[(sig, l)] * wob * top)
    return m, st, [], [], []


def make_data(reproduce: bool = True, seeds=(0, 1, 2), only: list[str] | None = None) -> SimpleNamespace:
    """Every experiment's tables, concatenated like glorot.results.load(...) returns them."""
    builders = {
        "init_tanh": lambda: _init_tanh(reproduce, seeds),
        "saturation": lambda: _saturation(reproduce, seeds),
        "fig2_sigmoid": lambda: _fig2(reproduce, seeds),
        "table1": lambda: _table1(reproduce, seeds),
        "init_relu": lambda: _relu("init_relu", ["normalized", "he"], 5, reproduce, seeds, False),
        "relu30": lambda: _relu("relu30", ["lecun", "he"], 30, reproduce, seeds, True),
        "shapeset_table1": lambda: _shapeset("shapeset_table1", reproduce, seeds),
        "shapeset_sigmoid4": lambda: _shapeset("shapeset_sigmoid4", reproduce, seeds),
        "depth30": lambda: _depth30(reproduce, seeds),
    }
    from fixtures_pitfalls import builders as pitfall_builders  # noqa: PLC0415 (issue 7; imports us)

    builders.update(pitfall_builders(reproduce, seeds))
    parts = {k: [] for k in ("members", "stats", "hist", "jacobian", "metrics")}
    runs = []
    for name, build in builders.items():
        if only is not None and name not in only:
            continue
        m, st, hi, jac, mt = build()
        parts["members"].append(m)
        for key, rows in (("stats", st), ("hist", hi), ("jacobian", jac), ("metrics", mt)):
            if rows:
                parts[key].append(_join(rows, m))
        runs.append(dict(run=m.run.iloc[0], name=name, profile="smoke", git_commit="0123456789abcdef",
                         device_name="cpu (fixture)", wall_time_s=1.5, status="complete", updates=1000,
                         members=len(m)))
    out = {k: (pd.concat(v, ignore_index=True) if v else pd.DataFrame()) for k, v in parts.items()}
    out["runs"] = pd.DataFrame(runs)
    return SimpleNamespace(**out)
