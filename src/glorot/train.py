"""Entry point: ``python -m glorot.train [overrides]`` trains one stack into its run folder.

Examples::

    python -m glorot.train activation=tanh init=normalized model.depth=5
    python -m glorot.train experiment=fig2_sigmoid profile=paper
    python -m glorot.train -m activation=tanh,softsign init=standard,normalized seed=0,1,2
"""

from __future__ import annotations

import logging
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from glorot.config import ConfigError, register
from glorot.trainer import train

register()
log = logging.getLogger("glorot")


@hydra.main(version_base="1.3", config_path="../../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    try:
        train(cfg, HydraConfig.get().runtime.output_dir)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
