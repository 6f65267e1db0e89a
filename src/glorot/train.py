"""Entry point: ``python -m glorot.train [overrides]`` trains one stack into its run folder.

Examples::

    python -m glorot.train activation=tanh init=normalized model.depth=5
    python -m glorot.train experiment=fig2_sigmoid profile=paper
    python -m glorot.train -m activation=tanh,softsign init=standard,normalized seed=0,1,2
"""

from __future__ import annotations

import logging
import sys

from glorot import threads

threads.configure_env()  # before torch starts its OpenMP runtime (glorot.threads: why)

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from glorot.config import ConfigError, register  # noqa: E402
from glorot.trainer import train  # noqa: E402

register()
log = logging.getLogger("glorot")


def _launcher_cpus() -> int | None:
    """CPUs per job as the Hydra launcher states them (submitit's ``cpus_per_task``), if it does."""
    try:
        cpus = HydraConfig.get().launcher.get("cpus_per_task")
    except (ValueError, AttributeError):
        return None
    return int(cpus) if isinstance(cpus, int) and cpus > 0 else None


@hydra.main(version_base="1.3", config_path="../../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    threads.configure(_launcher_cpus())
    try:
        train(cfg, HydraConfig.get().runtime.output_dir)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
