"""The claims package: the registry is the package's contents, each claim's verdict reads the
strongest complete profile, and the robustness rule ("not reproduced" only when the data contradict
the claim) on cases whose answer is known."""

from __future__ import annotations

import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fixtures_tables import make_data

from glorot import claims, frames, judging, surface
from glorot.claims import relu30_train, table1


def relabel(data, profile: str, status: str = "complete") -> SimpleNamespace:
    """The same frames as another profile's records (run folders results/runs/<profile>/...)."""
    out = {}
    for k in frames.FRAMES:
        f = getattr(data, k).copy()
        if len(f):
            f["profile"] = profile
            if "run" in f:
                f["run"] = f["run"].str.replace("/smoke/", f"/{profile}/")
            if k == "runs":
                f["status"] = status
                f["device_name"] = "NVIDIA H200"
        out[k] = f
    return SimpleNamespace(**out)


def combine(*parts) -> SimpleNamespace:
    return SimpleNamespace(**{k: pd.concat([getattr(p, k) for p in parts], ignore_index=True) for k in frames.FRAMES})


def test_registry_is_the_package():
    ids = [c.id for c in claims.all_claims()]
    assert ids[:5] == ["fig01", "fig02", "fig03", "fig04", "fig05"] and "table1" in ids and "pitfall_leaky" in ids
    for c in claims.all_claims():  # every claim says what it reads and carries its paper text
        assert c.title and c.claim, c.id
        assert (c.draw is None) == (c.stem is None), c.id
    assert claims.by_id("fig11").experiments == ("shapeset_table1", "shapeset_sigmoid4")
    with pytest.raises(KeyError, match="valid: fig01"):
        claims.by_id("fig99")


def test_a_new_claim_is_one_new_module(tmp_path, monkeypatch):
    """Drop a module with a CLAIM into the package and it is drawn and judged: nothing else to edit."""
    (tmp_path / "zz_example.py").write_text(textwrap.dedent('''
        from glorot.claim import Claim
        from glorot.judging import REPRODUCED, row

        def judge(d):
            n = int(d.members.seed.nunique())
            return [row("zz_example", "members seen", f"{len(d.members)} members", "any", REPRODUCED, n=n)]

        CLAIM = Claim(id="zz_example", title="Example: a contributor's claim", order=99,
                      experiments=("init_tanh",), judge=judge)
    '''))
    monkeypatch.setattr(claims, "__path__", [*claims.__path__, str(tmp_path)])  # as if saved in glorot/claims/
    claims.all_claims.cache_clear()
    try:
        assert claims.all_claims()[-1].id == "zz_example"
        v = claims.all_verdicts(make_data(seeds=(0, 1), only=["init_tanh"]), only=["zz_example"])
        assert v.verdict.tolist() == ["reproduced"] and v.profile.iloc[0] == "smoke"
        assert v.device.iloc[0] == "cpu (fixture)" and "n=2 seeds" in v.budget.iloc[0]
    finally:
        sys.modules.pop("glorot.claims.zz_example", None)
        claims.all_claims.cache_clear()


def test_each_claim_reads_its_strongest_complete_profile():
    quick = make_data(reproduce=True, seeds=(0, 1, 2))
    paper = relabel(make_data(reproduce=False, seeds=(0, 1, 2), only=["init_tanh"]), "paper")
    running = relabel(make_data(reproduce=False, seeds=(0, 1, 2), only=["fig2_sigmoid"]), "paper_full", "running")
    data = combine(quick, paper, running)
    assert frames.choose_profile(data, ("init_tanh",)) == "paper"
    assert frames.choose_profile(data, ("fig2_sigmoid",)) == "smoke"  # a running run is not a record yet
    assert frames.choose_profile(data, ("shapeset_table1", "shapeset_sigmoid4")) == "smoke"
    v = claims.all_verdicts(data, only=["fig07", "fig02"])
    v = v[v.role != "context"]  # the mean-field rows beside fig07's verdict are not counted
    f7, f2 = v[v.figure == "fig07"], v[v.figure == "fig02"]
    assert (f7.verdict == "not reproduced").all() and (f7.profile == "paper").all()
    assert (f7.device == "NVIDIA H200").all()
    assert (f2.verdict == "reproduced").all() and (f2.profile == "smoke").all()


def test_every_row_carries_its_uncertainty():
    for reproduce in (True, False):
        v = claims.all_verdicts(make_data(reproduce=reproduce, seeds=(0, 1, 2)))
        judged = v[v.verdict != "missing"]
        assert len(judged) > 20
        for col in ("n", "spread_or_p", "threshold", "profile"):
            assert judged[col].astype(str).str.len().gt(0).all(), (col, judged[judged[col].astype(str) == ""].figure)


# ----------------------------------------------------------------------------------------------
# the robustness rule
# ----------------------------------------------------------------------------------------------


def test_welch_pairs_need_significance_either_way():
    thr = judging.significance_p()
    a, b = np.array([0.0512, 0.0515]), np.array([0.0504, 0.0520])  # wrong sign, p ~ 0.9
    r = judging.pairwise("table1", a, b, ("Softsign", "Tanh"), (1.64, 1.76))
    assert r["verdict"] == "inconclusive" and r["n"] == "2,2" and r["spread_or_p"].startswith("p = 0.")
    hi, lo = np.array([0.30, 0.31, 0.30, 0.31]), np.array([0.10, 0.11, 0.10, 0.11])
    assert judging.welch_p(hi, lo) < thr
    assert judging.pairwise("table1", hi, lo, ("A", "B"), (1, 2))["verdict"] == "not reproduced"
    assert judging.pairwise("table1", lo, hi, ("A", "B"), (1, 2))["verdict"] == "reproduced"
    assert not judging.contradicts([], hi) and judging.contradicts(hi, lo) and not judging.contradicts(lo, hi)


def test_threshold_claims_need_every_seed_against_them():
    def members(lecun, he):
        rows = [dict(init="lecun", seed=s, final_test_error=e) for s, e in enumerate(lecun)]
        rows += [dict(init="he", seed=s, final_test_error=e) for s, e in enumerate(he)]
        return pd.DataFrame(rows)

    # one lecun seed escaped, the other stalled: mean 46%, "learns" by the mean; seeds disagree
    assert relu30_train.judge(members([0.03, 0.89], [0.06, 0.06]))[0]["verdict"] == "inconclusive"
    assert relu30_train.judge(members([0.03, 0.04], [0.06, 0.06]))[0]["verdict"] == "not reproduced"
    # neither stalled (the quick profile's 42.8% and 50.0%): against "1/n stalls" on every kernel
    assert relu30_train.judge(members([0.428, 0.500], [0.05, 0.07]))[0]["verdict"] == "not reproduced"
    assert relu30_train.judge(members([0.40, 0.49], [0.05, 0.07]))[0]["verdict"] == "not reproduced"
    assert relu30_train.judge(members([0.89, 0.90], [0.55, 0.60]))[0]["verdict"] == "not reproduced"
    assert relu30_train.judge(members([0.89, 0.90], [0.06, 0.06]))[0]["verdict"] == "reproduced"
    assert judging.all_seeds([0.1, 0.2], lambda x: x < 0.5) and not judging.all_seeds([], lambda x: True)


def test_table1_claim_wrong_sign_not_significant_is_inconclusive():
    rows = []
    for act, errs in (("softsign", (0.0512, 0.0512)), ("tanh", (0.0504, 0.0520))):
        rows += [dict(activation=act, init="standard", lr=0.1, seed=s, final_valid_error=e, final_test_error=e,
                      status="ok", data="mnist") for s, e in enumerate(errs)]
    rows += [dict(activation=a, init=i, lr=0.1, seed=s, final_valid_error=e, final_test_error=e, status="ok",
                  data="mnist") for a, i, e in (("tanh", "normalized", 0.05), ("sigmoid", "standard", 0.89))
             for s in (0, 1)]
    v = table1.judge(pd.DataFrame(rows))
    assert v[0]["verdict"] == "inconclusive"  # Softsign 5.12% vs Tanh 5.12%: not a contradiction
    assert v[1]["verdict"] == "reproduced"


# ----------------------------------------------------------------------------------------------
# Fig. 5
# ----------------------------------------------------------------------------------------------


def test_fig05_gradient_is_exact():
    """Oracle: the analytic |grad| against central differences of the cost on the grid."""
    s = surface.chain_surface(0, n_examples=40, points=161)
    for cost, grad in ((s.cross_entropy, s.grad_cross_entropy), (s.quadratic, s.grad_quadratic)):
        d2, d1 = np.gradient(cost, s.w2, s.w1)
        fd = np.hypot(d1, d2)[2:-2, 2:-2]
        assert np.abs(fd - grad[2:-2, 2:-2]).max() < 0.01 * grad.max()
    assert s.cross_entropy.min() == pytest.approx(np.log(2), abs=0.05)  # random targets: about log 2 at best


def test_fig05_plateau_share_counts_flat_and_high_points():
    cost = np.array([[0.0, 1.0], [1.0, 0.4]])
    grad = np.array([[0.0, 0.001], [0.5, 0.001]])
    # flat and far above the minimum: only (0, 1); (1, 1) is flat but below half the range
    assert surface.plateau_share(cost, grad, g_flat=0.01, far=0.5) == pytest.approx(0.25)
