"""glorot.results.load reads one run, a multirun folder or a whole tree into joined tidy frames."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from glorot.results import load

from helpers import compose_cfg


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    from glorot.trainer import train  # noqa: PLC0415

    root = tmp_path_factory.mktemp("results")
    cfg = compose_cfg("data=synthetic", "model=tiny", "profile=smoke", "record=init", "train.updates=20",
                      "record.every=10", "record.early=0", "train.progress=false", "name=exp_a",
                      "stack.activations=[tanh,relu]", "stack.seeds=[0,1]")
    train(cfg, root / "runs" / "smoke" / "exp_a" / "x")
    cfg2 = compose_cfg("data=synthetic", "model=tiny", "profile=smoke", "train.updates=20",
                       "train.progress=false", "name=exp_b", "init=normalized")
    train(cfg2, root / "runs" / "smoke" / "exp_b" / "y")  # no recorder: no parquet files
    return root


def test_load_tree(tree):
    r = load(tree)
    assert set(r.runs.run) == {"runs/smoke/exp_a/x", "runs/smoke/exp_b/y"}
    assert set(r.runs.name) == {"exp_a", "exp_b"} and set(r.runs.profile) == {"smoke"}
    assert len(r.members) == 4 + 1
    for t in ("metrics", "stats", "hist", "jacobian"):
        df = getattr(r, t)
        assert not df.empty, t
        for c in ("run", "member", "activation", "init", "depth", "width", "lr", "seed", "name", "profile"):
            assert c in df.columns, (t, c)
        assert df[["activation", "init", "seed"]].notna().all().all(), t
    # members' axes joined correctly: member 2 of exp_a is (relu, seed 0)
    st = r.stats[(r.stats.run == "runs/smoke/exp_a/x") & (r.stats.member == 2)]
    assert set(st.activation) == {"relu"} and set(st.seed) == {0}
    assert set(r.stats.run) == {"runs/smoke/exp_a/x"}  # exp_b recorded nothing
    assert set(r.metrics.name) == {"exp_a", "exp_b"}


def test_load_one_run_and_missing_files(tree, tmp_path):
    one = load(tree / "runs" / "smoke" / "exp_a" / "x")
    assert set(one.runs.run) == {"."} and set(one.stats.run) == {"."}
    none = load(tree / "runs" / "smoke" / "exp_b" / "y", tables=("metrics", "stats"))
    assert none.stats.empty and none.hist.empty and not none.metrics.empty
    # a run folder without its recorder files still loads
    cp = tmp_path / "copy"
    shutil.copytree(tree / "runs" / "smoke" / "exp_a" / "x", cp)
    (cp / "hist.parquet").unlink()
    r = load(cp)
    assert r.hist.empty and not r.stats.empty
    assert isinstance(r.jacobian, pd.DataFrame) and not r.jacobian.empty
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nowhere")
