"""Entry point: ``python -m glorot.train [overrides]`` trains one stack into its run folder.

Examples::

    python -m glorot.train activation=tanh init=normalized model.depth=5
    python -m glorot.train experiment=fig2_sigmoid profile=paper
    python -m glorot.train -m activation=tanh,softsign init=standard,normalized seed=0,1,2

Every refusal (a misspelt key, an unknown choice, a bad value, a repeated seed, a missing or corrupt
data file, an output folder that cannot be written) is one line on stderr starting with
``error:``, exit status 2, and nothing left under ``results/`` (the checks run in
:class:`glorot.config.Preflight`, before Hydra creates the run folder). ``HYDRA_FULL_ERROR=1``
prints the full traceback before that line.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sys
import traceback

from glorot import threads

threads.configure_env()  # before torch starts its OpenMP runtime (glorot.threads: why)

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.errors import HydraException, MissingConfigException  # noqa: E402
from omegaconf import DictConfig  # noqa: E402
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException  # noqa: E402

from glorot.config import ConfigError, Refused, discard_new_run_dir, register, schema_keys, suggest  # noqa: E402
from glorot.data import DataError  # noqa: E402

register()
log = logging.getLogger("glorot")

#: errors of the environment that refuse a run rather than crash it (disk full, read-only, ...)
REFUSED_OS_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def _launcher_cpus() -> int | None:
    """CPUs per job as the Hydra launcher states them (submitit's ``cpus_per_task``), if it does."""
    try:
        cpus = HydraConfig.get().launcher.get("cpus_per_task")
    except (ValueError, AttributeError):
        return None
    return int(cpus) if isinstance(cpus, int) and cpus > 0 else None


#: configs/ of the checkout, as an absolute path: Hydra resolves a relative config_path against the
#: calling module, which works for ``python -m glorot.train`` but not for the ``glorot-train`` script
CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> None:
    threads.configure(_launcher_cpus())
    from glorot.trainer import train  # noqa: PLC0415 - torch: not needed to refuse a run

    run_dir = HydraConfig.get().runtime.output_dir
    try:
        train(cfg, run_dir)
    except (ConfigError, DataError):
        discard_new_run_dir(run_dir)
        raise
    except OSError as e:
        if e.errno not in REFUSED_OS_ERRORS:
            raise
        kept = "nothing was kept" if discard_new_run_dir(run_dir) else \
            f"{run_dir} keeps what it had (run the same command again to resume)"
        raise ConfigError(f"cannot write {e.filename or run_dir}: {e.strerror}; {kept}") from e


def _first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[0] if lines else type(e).__name__


def explain(e: BaseException) -> str | None:
    """One line for a refusal (Hydra's composition errors included), or None for a crash."""
    if isinstance(e, (ConfigError, DataError)):
        return " ".join(str(e).split())
    if isinstance(e, MissingConfigException) and e.missing_cfg_file and e.options is not None:
        group, _, choice = str(e.missing_cfg_file).rpartition("/")
        return (f"{group}={choice} is not a choice; valid choices for {group}: {', '.join(e.options)}"
                if group else _first_line(e))
    if isinstance(e, (HydraException, OmegaConfBaseException)):
        cause = e.__cause__ if isinstance(e.__cause__, OmegaConfBaseException) else None
        full_key = getattr(cause, "full_key", None) or getattr(e, "full_key", None)
        msg = _first_line(e)
        if isinstance(cause, (ConfigKeyError, ConfigAttributeError)) and full_key:
            typ = getattr(cause, "object_type", None)
            siblings = [f.name for f in dataclasses.fields(typ)] if dataclasses.is_dataclass(typ) else None
            return (f"{full_key} is not a setting ({msg.rstrip('.')}); "
                    f"{suggest(full_key, schema_keys(), siblings)}")
        if cause is not None:
            return f"{msg.rstrip('.')}: {_first_line(cause)}"
        return msg
    return None


MULTIRUN_FLAGS = ("-m", "--multirun")


def _one_line_parser():
    """Hydra's argument parser, refusing in one line (an unknown flag was argparse's 20-line usage
    block); hydra-core is pinned (1.3.8), whose ``hydra.main`` calls ``get_args_parser`` by name."""
    import hydra._internal.utils as hydra_utils  # noqa: PLC0415

    parser = hydra_utils.get_args_parser()

    def error(message: str):
        print(f"error: {message} (see python -m glorot.train --help)", file=sys.stderr)
        sys.exit(2)

    parser.error = error
    return parser


def cli() -> None:
    """``python -m glorot.train``: Hydra's main, with every refusal in one line and exit 2. ``-m``
    may stand anywhere on the line (Hydra's parser takes it only before the overrides)."""
    import importlib  # noqa: PLC0415

    # the module hydra.main (the name `hydra.main` is also its decorator, which `import ... as` gives)
    importlib.import_module("hydra.main").get_args_parser = _one_line_parser
    sys.argv[1:] = ([a for a in sys.argv[1:] if a in MULTIRUN_FLAGS]
                    + [a for a in sys.argv[1:] if a not in MULTIRUN_FLAGS])
    full = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra re-raises instead of printing its many lines
    try:
        try:
            main()
        except Refused as r:  # from glorot.config.Preflight, before any run folder exists
            # keep the error's own cause (Hydra's "Could not override" wraps the ConfigKeyError that
            # explain() reads for "did you mean"); `from None` would erase it
            raise r.error from r.error.__cause__
    except KeyboardInterrupt:
        # Ctrl-C: the trainer has said in one line where the run stands and how to resume; the
        # traceback through Hydra's frames (30 lines) said nothing more
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001
        line = explain(e)
        if line is None:
            raise  # a crash, not a refusal: the whole traceback
        if full:
            traceback.print_exc()
        print(f"error: {line}", file=sys.stderr)
        sys.exit(2)
    finally:
        if not full:
            os.environ.pop("HYDRA_FULL_ERROR", None)


if __name__ == "__main__":
    cli()
