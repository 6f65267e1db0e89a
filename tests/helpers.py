"""Shared helpers for the tests: compose the real Hydra config, run the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from glorot.config import register

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
register()


def compose_cfg(*overrides: str):
    """The config `python -m glorot.train <overrides>` would get (without the hydra node)."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def run_train(*overrides: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the real entry point in a subprocess (as a user would)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    r = subprocess.run([sys.executable, "-m", "glorot.train", *overrides], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"glorot.train failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def only_dir(parent: Path) -> Path:
    """The one run folder (the folder holding run.json) below ``parent``."""
    found = [p.parent for p in Path(parent).rglob("run.json")]
    assert len(found) == 1, found
    return found[0]
