"""Every config group composes against the typed schema; typos and bad values are refused with a
message that names the value and the valid choices, before any training starts."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigKeyError, ValidationError

from glorot.config import ConfigError, validate
from glorot.trainer import build_members
from helpers import CONFIGS, compose_cfg, run_train

GROUPS = ["activation", "init", "model", "data", "optim", "record", "profile"]


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_of_every_group_composes(group):
    options = sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
    assert options
    for opt in options:
        cfg = compose_cfg(f"{group}={opt}")
        validate(cfg)


@pytest.mark.parametrize("experiment", sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml")))
@pytest.mark.parametrize("profile", sorted(p.stem for p in (CONFIGS / "profile").glob("*.yaml")))
def test_every_experiment_composes_at_every_profile(experiment, profile):
    cfg = compose_cfg(f"experiment={experiment}", f"profile={profile}")
    validate(cfg)
    assert cfg.name == experiment and cfg.claim
    assert len(build_members(cfg)) >= 1


def test_typo_in_a_key_fails_at_composition():
    with pytest.raises(ConfigCompositionException):
        compose_cfg("model.dept=3")
    with pytest.raises((ConfigCompositionException, ValidationError, ConfigKeyError)):
        compose_cfg("model.depth=three")


def test_stack_lists_make_the_product_with_seed_last():
    cfg = compose_cfg("stack.activations=[tanh,relu]", "stack.lrs=[0.1,0.01]", "stack.seeds=[0,1,2]")
    members = build_members(cfg)
    assert len(members) == 12
    assert [m.seed for m in members[:3]] == [0, 1, 2]
    assert {m.activation for m in members} == {"tanh", "relu"}
    assert all(m.init == "standard" for m in members)  # the single top-level value


BAD = [
    ("stack.activations=[tanh,swish]", "swish", "sigmoid, tanh, softsign"),
    ("init.name=glorot", "glorot", "standard, normalized"),
    ("stack.inits=[he,xavier]", "xavier", "standard, normalized"),
    ("data.name=cifar", "cifar", "mnist, synthetic"),
    ("model.depth=0", "model.depth=0", ">= 1"),
    ("model.width=-3", "model.width=-3", ">= 1"),
    ("optim.lr=0", "0", "> 0"),
    ("optim.lr=-0.1", "-0.1", "> 0"),
    ("optim.lr=nan", "nan", "finite"),
    ("stack.lrs=[0.1,inf]", "inf", "finite"),
    ("optim.batch_size=0", "batch_size=0", ">= 1"),
    ("init.name=normal:abc", "abc", "number"),
]


@pytest.mark.parametrize("override,value,choices", BAD)
def test_bad_values_are_refused_with_names_and_choices(override, value, choices):
    cfg = compose_cfg(override)
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    msg = str(e.value)
    assert value in msg and choices in msg and "\n" not in msg


def test_bad_value_exits_nonzero_through_the_entry_point_before_training(tmp_path):
    r = run_train("activation=swish", f"results_dir={tmp_path}", check=False)
    assert r.returncode != 0
    assert "swish" in r.stderr and "tanh" in r.stderr  # Hydra lists the available options
    r = run_train("data=synthetic", "model=tiny", "optim.lr=-1", f"results_dir={tmp_path}", check=False)
    assert r.returncode == 2
    assert "error: optim.lr=-1.0 is not valid" in r.stderr
    assert not list(tmp_path.rglob("metrics.csv"))  # nothing trained


def test_every_experiment_named_in_the_docs_exists():
    """Examples in --help, docstrings and the README name real experiments (one once did not)."""
    import re

    known = {p.stem for p in (CONFIGS / "experiment").glob("*.yaml")}
    root = CONFIGS.parent
    files = [root / "README.md", root / "Makefile", *(root / "configs").rglob("*.yaml"),
             *(root / "src").rglob("*.py"), *(root / "scripts").glob("*.py")]
    named = {(f.name, m) for f in files for m in re.findall(r"experiment=([a-z0-9_]+)(?![a-z0-9_*])", f.read_text())}
    assert named, "the pattern found nothing: the test would pass vacuously"
    assert {(f, m) for f, m in named if m not in known} == set()


def test_the_readme_profile_table_states_each_profiles_budget():
    """README's Profiles table gives, per profile, the updates, width, seeds and lr grid that
    configs/profile/<p>.yaml sets (the paper row once kept an old 50,000-update budget)."""
    import re

    import yaml

    root = CONFIGS.parent
    readme = (root / "README.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)`[^|]*\| ([^|]*) \|", readme, re.M)}
    for path in sorted((CONFIGS / "profile").glob("*.yaml")):
        p = yaml.safe_load(path.read_text())
        row = rows.get(p["name"])
        assert row is not None, f"no README profile row for {p['name']}"
        lrs = "{" + ", ".join(str(x) for x in p["lr_grid"]) + "}"
        n = len(p["seeds"])
        for want in (f"{p['updates']:,} updates", f"width {p['width']}", f"{n} seed", lrs if n > 1 else ""):
            assert want in row, f"README's {p['name']} row lacks {want!r}: {row}"
