"""The sweep launchers: ``hydra/launcher=stacked`` gives the basic launcher's run folders and numbers
while training as few stacks as the shapes allow; ``hydra/launcher=submitit_local`` runs the app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import compose_cfg, run_train

SWEEP = ["data=synthetic", "model=tiny", "profile=smoke", "train.updates=30", "train.dtype=float64",
         "activation=tanh,relu", "seed=0,1", "model.depth=2,3"]  # 8 jobs, 2 shapes


def job_dirs(results: Path) -> dict[str, Path]:
    return {p.parent.name: p.parent for p in results.rglob("members.csv")}


def assert_same_numbers(a: Path, b: Path, f: str) -> None:
    x, y = pd.read_csv(a / f), pd.read_csv(b / f)
    assert list(x.columns) == list(y.columns) and len(x) == len(y), f
    num = x.select_dtypes("number").columns
    pd.testing.assert_frame_equal(x.drop(columns=num), y.drop(columns=num))
    pd.testing.assert_frame_equal(x[num], y[num], check_exact=False, rtol=1e-12, atol=1e-12)


def test_group_key_separates_shapes_and_merges_member_axes():
    from hydra_plugins.glorot_stacked_launcher.stacked_launcher import group_key

    base = ["data=synthetic", "model=tiny", "profile=smoke"]
    key = group_key(compose_cfg(*base))
    for same in ("activation=relu", "init=normalized", "optim.lr=0.1", "seed=3", "stack.seeds=[0,1]",
                 "train.progress=false"):
        assert group_key(compose_cfg(*base, same)) == key, same
    for other in ("model.width=16", "model.depth=2", "optim.batch_size=5", "train.updates=7",
                  "data.synthetic.n_train=100", "record=paper", "train.dtype=float64"):
        assert group_key(compose_cfg(*base, other)) != key, other


def test_stacked_launcher_equals_basic_launcher(tmp_path):
    basic = run_train("-m", *SWEEP, f"results_dir={tmp_path / 'basic'}")
    stacked = run_train("-m", *SWEEP, "hydra/launcher=stacked", f"results_dir={tmp_path / 'stacked'}")
    assert "Launching 8 jobs as 2 stack(s)" in stacked.stdout + stacked.stderr
    a, b = job_dirs(tmp_path / "basic"), job_dirs(tmp_path / "stacked")
    assert len(a) == 8 and sorted(a) == sorted(b)
    for name in a:
        files = {p.name for p in a[name].iterdir()}
        assert files == {p.name for p in b[name].iterdir()}, name
        cfg_a, cfg_b = (yaml.safe_load((d / "config.yaml").read_text()) for d in (a[name], b[name]))
        assert cfg_a.pop("results_dir") != cfg_b.pop("results_dir") and cfg_a == cfg_b
        for f in ("members.csv", "metrics.csv"):
            assert_same_numbers(a[name], b[name], f)
        info = json.loads((b[name] / "run.json").read_text())
        assert info["status"] == "complete" and info["members"] == 1
        assert info["stacked"]["group_members"] == 4
    assert not list((tmp_path / "stacked").rglob(".stacked")), "group folders are cleaned up"
    assert basic.returncode == 0

    again = run_train("-m", *SWEEP, "hydra/launcher=stacked", f"results_dir={tmp_path / 'stacked'}")
    assert "as 0 stack(s) (8 already complete)" in again.stdout + again.stderr


def test_stacked_launcher_max_members_splits_a_group(tmp_path):
    r = run_train("-m", "data=synthetic", "model=tiny", "profile=smoke", "train.updates=5", "seed=0,1,2",
                  "hydra/launcher=stacked", "hydra.launcher.max_members=2", f"results_dir={tmp_path}")
    assert "Launching 3 jobs as 2 stack(s)" in r.stdout + r.stderr
    assert len(job_dirs(tmp_path)) == 3


@pytest.mark.slow
def test_submitit_local_launcher_runs_the_app(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    run_train("-m", "data=synthetic", "model=tiny", "profile=smoke", "train.updates=10", "seed=0,1",
              "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5", f"results_dir={tmp_path}")
    dirs = job_dirs(tmp_path)
    assert sorted(dirs) == [f"data=synthetic,model=tiny,seed={s},train.updates=10" for s in (0, 1)]
    for d in dirs.values():
        assert json.loads((d / "run.json").read_text())["status"] == "complete"
        assert len(pd.read_csv(d / "metrics.csv")) > 0
