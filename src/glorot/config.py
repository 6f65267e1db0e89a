"""Typed config schemas (registered in Hydra's ConfigStore) and the checks that run before training.

The YAML files under ``configs/`` fill these dataclasses; because the primary config starts from
the ``base_config`` schema, a misspelt key or a wrong type fails when the config is composed. A key
added with Hydra's ``+``/``++`` prefixes bypasses that, so :func:`check_keys` compares the composed
config with the schema again ("did you mean model.width?"). Values that a type cannot catch (an
unknown activation, a learning rate <= 0, a repeated seed) are checked by :func:`validate`, which
names the bad value and the valid choices.

:class:`Preflight` (a Hydra callback, ``hydra.callbacks.preflight`` in ``configs/config.yaml``) runs
all of it, plus the data file, the device and the output folder, for every job of a run or a sweep
*before Hydra creates any run folder*: a refused run leaves nothing under ``results/``.
Nothing here imports torch until the last checks (activation/init names, device), so most
refusals come back in about a second.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.experimental.callback import Callback
from omegaconf import II, MISSING, DictConfig, OmegaConf, open_dict, read_write

from glorot.cli import device_problem
from glorot.data import DATASETS
from glorot.files import why_unwritable


@dataclass
class ActivationConfig:
    name: str = "tanh"  # sigmoid | tanh | softsign | relu | leaky_relu | identity ("leaky_relu:0.25")


@dataclass
class InitConfig:
    name: str = "standard"  # standard (Eq. 1) | normalized (Eq. 16) | xavier_normal | he | ... ; "normal:0.01"


@dataclass
class ModelConfig:
    depth: int = 5  # hidden layers (Table 1: 5)
    width: int = 1000  # units per hidden layer (paper Sec. 2.3)


@dataclass
class SyntheticConfig:
    n_in: int = 20
    n_classes: int = 4
    n_train: int = 2000
    n_valid: int = 500
    n_test: int = 500
    seed: int = 0


@dataclass
class ShapesetConfig:
    n_valid: int = 10_000
    n_test: int = 10_000
    seed: int = 0  # seed of the fixed validation and test sets
    n_reference: int = 1000  # fixed sample stored as train_x/train_y (reference only: training is online)


@dataclass
class DataConfig:
    name: str = "mnist"  # mnist | synthetic | shapeset
    root: str = "data"  # local cache folder
    download: bool = True  # fetch MNIST into root if it is missing (false: refuse instead)
    monitor_size: int = 300  # fixed monitor set: the first 300 test examples (paper Sec. 2.3)
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)
    shapeset: ShapesetConfig = field(default_factory=ShapesetConfig)


@dataclass
class OptimConfig:
    lr: float = 0.01  # plain SGD learning rate, chosen on validation error (paper Sec. 2.3)
    batch_size: int = 10  # paper Sec. 2.3: mini-batches of 10


@dataclass
class StackConfig:
    """Members trained in one process: the product of these lists (empty list: the single value
    of the corresponding top-level setting). Order of members: activation, init, lr, seed."""

    activations: list[str] = field(default_factory=list)
    inits: list[str] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)


@dataclass
class TrainConfig:
    updates: int = MISSING  # SGD updates per member (the profile sets it)
    eval_every_examples: int = MISSING  # validation/test error every this many examples seen
    checkpoint_every: int = 20_000  # updates between checkpoints (0: none)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "float32"  # float32 | float64
    tf32: bool = False  # opt-in TF32 matmuls on GPUs (changes results slightly)
    # opt-in: replay the whole update from one CUDA graph (glorot.trainer.GraphedStep); CUDA only.
    # NOT YET RUN ON A GPU: no GPU was lent to the sessions that wrote it (tests/test_graphs.py).
    cuda_graph: bool = False
    progress: bool = True  # progress bar (shown only on a terminal)
    resume: bool = True  # continue from the run folder's last checkpoint if there is one


@dataclass
class RecordConfig:
    enabled: bool = False
    every: int = 20_000  # record every this many updates (the paper's "epoch")
    early: int = 8  # plus this many log-spaced record steps before the first `every`
    signals: list[str] = field(default_factory=lambda: ["act", "pre", "grad_s", "grad_w", "weight"])
    bins: int = 100  # histogram bins
    hist: bool = True
    jacobian: bool = False  # layer-Jacobian singular values (costly: one SVD per example, layer and
    #   member; a 1000x1000 SVD takes 0.1-2.5 s on a shared 2-core CPU)
    jacobian_examples: int = 20  # monitor examples used for the Jacobian
    jacobian_members: list[int] = field(default_factory=list)  # members to use (empty: all)


@dataclass
class ProfileConfig:
    """A budget. Experiments refer to these values (``${profile.updates}``) so that one experiment
    runs at every budget."""

    name: str = MISSING
    updates: int = MISSING  # training budget of training experiments (updates per member)
    #: budget of the experiments whose effect shows early (pitfalls, relu30); default: ``updates``
    short_updates: int = II(".updates")
    eval_every_examples: int = MISSING
    width: int = 1000  # hidden width of the named training experiments (a plain run keeps model.width)
    init_width: int = 1000  # hidden width of the at-initialization experiments (paper: 1000)
    seeds: list[int] = field(default_factory=lambda: [0])
    lr_grid: list[float] = field(default_factory=lambda: [0.003, 0.01, 0.03, 0.1])
    record_every: int = 20_000
    jacobian_examples: int = 20
    description: str = ""


@dataclass
class Config:
    activation: ActivationConfig = field(default_factory=ActivationConfig)
    init: InitConfig = field(default_factory=InitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    stack: StackConfig = field(default_factory=StackConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    record: RecordConfig = field(default_factory=RecordConfig)
    profile: ProfileConfig = field(default_factory=ProfileConfig)
    name: str = "run"  # experiment name: the run folder is results/runs/<profile>/<name>/<overrides>
    seed: int = 0
    results_dir: str = "results"
    claim: str = ""  # the paper's claim this run checks (set by experiment configs)
    extra: dict[str, Any] = field(default_factory=dict)  # free-form settings for experiments


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)


class ConfigError(ValueError):
    """A bad value in the config; the message (one line) names it and the valid choices."""


# --------------------------------------------------------------------------------------------
# Keys: every key of the composed config must be declared by its schema
# --------------------------------------------------------------------------------------------


def _walk(node: DictConfig, prefix: str, known: list[str], bad: list[tuple[str, list[str]]]) -> None:
    typ = OmegaConf.get_type(node)
    fields = {f.name for f in dataclasses.fields(typ)} if dataclasses.is_dataclass(typ) else None
    for k in node.keys():
        full = f"{prefix}{k}"
        if fields is not None and k not in fields:
            bad.append((full, sorted(fields)))
            continue
        known.append(full)
        child = node._get_node(k)
        if isinstance(child, DictConfig) and not (child._is_missing() or child._is_none()
                                                  or child._is_interpolation()):
            _walk(child, full + ".", known, bad)


def _override_of(cfg: DictConfig, key: str) -> str | None:
    """The command-line override that set ``key`` (``+model.widht=10``), if one did."""
    hyd = cfg.get("hydra") if isinstance(cfg, DictConfig) else None
    if hyd is None:
        return None
    for o in [*hyd.overrides.task, *hyd.overrides.hydra]:
        k = str(o).split("=", 1)[0].lstrip("+~")
        if k == key:
            return str(o)
    return None


def suggest(key: str, known: list[str], siblings: list[str] | None = None) -> str:
    """"did you mean model.width?" (difflib: first among the keys beside it, then among all
    ``known`` dotted keys), or the keys beside it."""
    parent, _, leaf = key.rpartition(".")
    if siblings is None:
        siblings = [k.rpartition(".")[2] for k in known if k.rpartition(".")[0] == parent]
    close = [f"{parent}.{s}" if parent else s for s in difflib.get_close_matches(leaf, siblings, n=2, cutoff=0.6)]
    close = close or difflib.get_close_matches(key, known, n=2, cutoff=0.75)
    if close:
        return f"did you mean {' or '.join(close)}?"
    if siblings:
        return f"valid keys in {parent or 'the top level'}: {', '.join(sorted(siblings))}"
    return "see `python -m glorot.train --cfg job` for every key"


def check_keys(cfg: DictConfig) -> None:
    """Refuse a key no schema declares (one added with ``+``/``++``, which Hydra lets through): in the
    task's config and in the launcher's (``hydra.launcher``, a typed node too)."""
    known: list[str] = []
    bad: list[tuple[str, list[str]]] = []
    task = _task(cfg) if "hydra" in cfg else cfg
    _walk(task, "", known, bad)
    launcher = OmegaConf.select(cfg, "hydra.launcher")
    if isinstance(launcher, DictConfig):
        _walk(launcher, "hydra.launcher.", known, bad)
    if bad:
        key, siblings = bad[0]
        ov = _override_of(cfg, key)
        src = f" (from the override {ov})" if ov else ""
        raise ConfigError(f"{key} is not a setting{src}; {suggest(key, known, siblings)}")


def schema_keys() -> list[str]:
    """Every dotted key of :class:`Config` (for suggestions when composition itself failed)."""
    known: list[str] = []
    _walk(OmegaConf.structured(Config), "", known, [])
    return known


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

#: seeds feed torch generators through arithmetic (trainer.epoch_permutation): keep them small
MAX_SEED = 2**31 - 1
SIGNALS = ("act", "pre", "grad_s", "grad_w", "weight")
#: (train, test) sizes of the fixed data sets; synthetic and shapeset come from their config
_SIZES = {"mnist": (50_000, 10_000)}


def _check_choice(what: str, spec: str, valid) -> None:
    from glorot.nn import split_spec  # noqa: PLC0415 - torch: only once the cheap checks passed

    try:
        name, _ = split_spec(spec)
    except ValueError as e:
        raise ConfigError(f"{what}={spec!r}: {e}") from None
    if name not in valid:
        raise ConfigError(f"{what}={spec!r} is not valid; valid choices: {', '.join(valid)}")


def _at_least(cfg, key: str, lo: int) -> None:
    v = OmegaConf.select(cfg, key)
    if v is None or v < lo:
        raise ConfigError(f"{key}={v} is not valid; it must be an integer >= {lo}")


def _no_repeats(key: str, values: list) -> None:
    seen = set()
    for v in values:
        if v in seen:
            raise ConfigError(f"{key}={values} repeats {v!r}: two members would train the same network; "
                              "drop the repeat")
        seen.add(v)


def _seeds(key: str, seeds: list, allow_empty: bool = True) -> None:
    if not seeds and not allow_empty:
        raise ConfigError(f"{key}=[] is empty; it needs at least one seed, e.g. {key}=[0]")
    for s in seeds:
        if not 0 <= s <= MAX_SEED:
            raise ConfigError(f"seed {s} in {key} is not valid; it must be an integer in [0, {MAX_SEED}]")
    _no_repeats(key, seeds)


def _lrs(key: str, lrs: list, allow_empty: bool = True, single: bool = False) -> None:
    if not lrs and not allow_empty:
        raise ConfigError(f"{key}=[] is empty; it needs at least one learning rate, e.g. {key}=[0.01]")
    for lr in lrs:
        if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            what = f"{key}={lr!r}" if single else f"learning rate {lr!r} in {key}"
            raise ConfigError(f"{what} is not valid; it must be a finite number > 0")
    _no_repeats(key, lrs)


def n_members(cfg) -> int:
    s = cfg.stack
    return (max(1, len(s.activations)) * max(1, len(s.inits)) * max(1, len(s.lrs)) * max(1, len(s.seeds)))


def validate(cfg) -> None:
    """Refuse bad values before any training starts (one-line message, names value and choices).
    ``cfg`` is the task config (no ``hydra`` node)."""
    check_values(cfg)
    check_names(cfg)


def check_values(cfg) -> None:
    """Every check of :func:`validate` that does not need torch (all but the activation/init names)."""
    as_list = lambda key: list(OmegaConf.to_container(OmegaConf.select(cfg, key), resolve=True))  # noqa: E731
    # -- names used as folders
    if not re.fullmatch(r"[A-Za-z0-9_.+=,-]+", str(cfg.name)) or str(cfg.name) in (".", ".."):
        raise ConfigError(f"name={cfg.name!r} is not valid; it names a folder: letters, digits and _ . - only")
    if not str(cfg.results_dir).strip():
        raise ConfigError("results_dir='' is not valid; it must name a folder (default: results)")
    # -- data
    if cfg.data.name not in DATASETS:
        raise ConfigError(f"data={cfg.data.name!r} is not valid; valid choices: {', '.join(DATASETS)}")
    for key in ("n_in", "n_train", "n_valid", "n_test"):
        _at_least(cfg, f"data.synthetic.{key}", 1)
    _at_least(cfg, "data.synthetic.n_classes", 2)
    for key in ("n_valid", "n_test", "n_reference"):
        _at_least(cfg, f"data.shapeset.{key}", 1)
    for key in ("data.synthetic.seed", "data.shapeset.seed", "seed"):
        v = OmegaConf.select(cfg, key)
        if not 0 <= v <= MAX_SEED:
            raise ConfigError(f"{key}={v} is not valid; it must be an integer in [0, {MAX_SEED}]")
    n_train, n_test = {"synthetic": (cfg.data.synthetic.n_train, cfg.data.synthetic.n_test),
                       "shapeset": (None, cfg.data.shapeset.n_test)}.get(cfg.data.name) or _SIZES[cfg.data.name]
    _at_least(cfg, "data.monitor_size", 1)
    if cfg.data.monitor_size > n_test:
        raise ConfigError(f"data.monitor_size={cfg.data.monitor_size} is not valid; {cfg.data.name} has "
                          f"{n_test} test examples")
    # -- model and optimizer
    for key in ("depth", "width"):
        _at_least(cfg, f"model.{key}", 1)
    _at_least(cfg, "optim.batch_size", 1)
    if n_train is not None and cfg.optim.batch_size > n_train:
        raise ConfigError(f"optim.batch_size={cfg.optim.batch_size} is not valid; {cfg.data.name} has "
                          f"{n_train} training examples")
    # -- members
    _lrs("stack.lrs", as_list("stack.lrs"))
    _lrs("optim.lr", [cfg.optim.lr], single=True)
    _seeds("stack.seeds", as_list("stack.seeds"))
    _no_repeats("stack.activations", [str(a).strip() for a in cfg.stack.activations])
    _no_repeats("stack.inits", [str(a).strip() for a in cfg.stack.inits])
    # -- training
    _at_least(cfg, "train.updates", 0)
    _at_least(cfg, "train.eval_every_examples", 1)
    _at_least(cfg, "train.checkpoint_every", 0)
    if cfg.train.dtype not in ("float32", "float64"):
        raise ConfigError(f"train.dtype={cfg.train.dtype!r} is not valid; valid choices: float32, float64")
    require_device(str(cfg.train.device), here=False)  # whether it is on this machine: check_device
    # -- recording
    _at_least(cfg, "record.every", 1)
    _at_least(cfg, "record.early", 0)
    _at_least(cfg, "record.bins", 1)
    _at_least(cfg, "record.jacobian_examples", 1)
    signals = as_list("record.signals")
    bad = [s for s in signals if s not in SIGNALS]
    if bad:
        raise ConfigError(f"record.signals has {bad}; valid choices: {', '.join(SIGNALS)}")
    if cfg.record.enabled and not signals:
        raise ConfigError(f"record.signals=[] is empty while record.enabled=true; choose from {', '.join(SIGNALS)}")
    _no_repeats("record.signals", signals)
    k = n_members(cfg)
    jm = as_list("record.jacobian_members")
    if any(not 0 <= m < k for m in jm):
        raise ConfigError(f"record.jacobian_members={jm} is not valid; this stack has {k} member(s): 0..{k - 1}")
    _no_repeats("record.jacobian_members", jm)
    # -- the profile (budgets that experiments refer to)
    for key, lo in (("updates", 0), ("short_updates", 0), ("eval_every_examples", 1), ("width", 1),
                    ("init_width", 1), ("record_every", 1), ("jacobian_examples", 1)):
        _at_least(cfg, f"profile.{key}", lo)
    _seeds("profile.seeds", as_list("profile.seeds"), allow_empty=False)
    _lrs("profile.lr_grid", as_list("profile.lr_grid"), allow_empty=False)


def check_names(cfg) -> None:
    """Activation and init names (and parameters) against glorot.nn's tables (imports torch)."""
    from glorot.nn import ACTIVATIONS, INITS  # noqa: PLC0415

    for a in list(cfg.stack.activations) or [cfg.activation.name]:
        _check_choice("activation", a, ACTIVATIONS)
    for i in list(cfg.stack.inits) or [cfg.init.name]:
        _check_choice("init", i, INITS)


# --------------------------------------------------------------------------------------------
# Preflight: everything a run needs, checked before Hydra creates its folder
# --------------------------------------------------------------------------------------------

#: run folders this process is about to create (absolute path -> the nearest folder above it that
#: existed before, or None if the run folder itself existed), for the cleanup after a refusal
PLANNED: dict[str, str | None] = {}
#: files whose presence means a run folder holds results (never removed on a refusal)
RESULT_FILES = ("checkpoint.pt", "metrics.csv", "members.csv", "run.json")


def require_device(dev: str, here: bool = True) -> None:
    """A ConfigError naming ``train.device`` when ``dev`` names no device (on this machine: ``here``):
    :func:`glorot.cli.device_problem`, worded for the setting."""
    problem = device_problem(dev, "train.device=cpu", here)
    if problem:
        raise ConfigError(f"train.device={problem}")


def check_device(cfg) -> None:
    dev = str(cfg.train.device)
    require_device(dev)
    if cfg.train.cuda_graph:
        import torch  # noqa: PLC0415

        if not (dev.startswith("cuda") or (dev == "auto" and torch.cuda.is_available())):
            raise ConfigError(f"train.cuda_graph=true needs a CUDA device, and train.device={dev} is not one "
                              "(train.device=cuda, or train.cuda_graph=false)")


def check_data(cfg) -> None:
    if cfg.data.name == "mnist":
        from glorot.data import ensure_mnist  # noqa: PLC0415

        ensure_mnist(cfg.data.root, bool(cfg.data.download))


def bytes_needed(cfg) -> int:
    """Disk a run needs at most: two checkpoints (the atomic write keeps the old one until the new one
    is complete) of every member's weights, plus 1 MiB for logs and tables."""
    need = 1 << 20
    if cfg.train.checkpoint_every > 0 and cfg.train.updates >= cfg.train.checkpoint_every:
        if cfg.data.name == "synthetic":
            n_in, n_out = cfg.data.synthetic.n_in, cfg.data.synthetic.n_classes
        elif cfg.data.name == "shapeset":
            n_in, n_out = 32 * 32, 9
        else:
            n_in, n_out = 784, 10
        sizes = [n_in] + [cfg.model.width] * cfg.model.depth + [n_out]
        weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        need += 2 * n_members(cfg) * weights * (8 if cfg.train.dtype == "float64" else 4)
    return need


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def check_output(out_dir: str | Path, need: int) -> None:
    """``out_dir`` can be created and written, with ``need`` bytes free; nothing is left behind."""
    out = Path(out_dir).absolute()
    why = why_unwritable(out)
    if why is not None:
        verb = "create" if why.endswith("is a file") else "write"
        raise ConfigError(f"cannot {verb} the run folder {out}: {why}; "
                          f"choose {'another' if verb == 'create' else 'a writable'} results_dir=...")
    anc = out
    while not anc.exists():
        anc = anc.parent
    free = shutil.disk_usage(anc).free
    if free < need:
        raise ConfigError(f"not enough disk space for {out}: {_mib(free)} free under {anc}, the run needs about "
                          f"{_mib(need)}; free some space or choose another results_dir=...")


def _task(cfg: DictConfig) -> DictConfig:
    task = cfg.copy()
    with read_write(task), open_dict(task):
        task.pop("hydra", None)
    return task


def _job_dir(cfg: DictConfig, dir_key: str, subdir_key: str | None) -> Path:
    from hydra.core.hydra_config import HydraConfig  # noqa: PLC0415

    saved = HydraConfig.instance().cfg
    HydraConfig.instance().set_config(cfg)  # ${hydra:job.override_dirname} resolves for this job
    try:
        d = Path(str(OmegaConf.select(cfg, dir_key)))
        if subdir_key:
            d = d / str(OmegaConf.select(cfg, subdir_key))
    finally:
        HydraConfig.instance().cfg = saved
    return d.absolute()


def preflight_job(cfg: DictConfig, out_dir: Path, need_space: bool = True) -> DictConfig:
    """Every check of one job (``cfg`` with its ``hydra`` node); returns the task config."""
    check_keys(cfg)
    task = _task(cfg)
    check_values(task)
    check_data(task)
    if need_space:
        check_output(out_dir, bytes_needed(task))
    check_names(task)  # the checks that import torch come last: most refusals never wait for it
    check_device(task)
    anc = out_dir
    while not anc.exists():
        anc = anc.parent
    PLANNED[str(out_dir)] = None if anc == out_dir else str(anc)
    return task


def preflight_sweep(cfg: DictConfig) -> None:
    """Every job of a ``-m`` sweep, as the basic sweeper will compose it, before the sweep folder
    exists; also refuses two jobs that would be the same run (``seed=0,0``)."""
    from hydra.core.global_hydra import GlobalHydra  # noqa: PLC0415
    from hydra.core.override_parser.overrides_parser import OverridesParser  # noqa: PLC0415
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # noqa: PLC0415

    if "BasicSweeper" not in str(cfg.hydra.sweeper.get("_target_", "")):
        return  # another sweeper composes its own jobs: the task's checks still run
    loader = GlobalHydra.instance().config_loader()
    params = cfg.hydra.sweeper.get("params") or {}
    args = [f"{k}={v}" for k, v in params.items()] + list(cfg.hydra.overrides.task)
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(args)
    jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    seen_dirs: dict[str, int] = {}
    seen_cfgs: dict[str, int] = {}
    need = 0
    for idx, job in enumerate(jobs):
        sc = loader.load_sweep_config(cfg, list(job))
        with open_dict(sc):
            sc.hydra.job.id = idx
            sc.hydra.job.num = idx
        out = _job_dir(sc, "hydra.sweep.dir", "hydra.sweep.subdir")
        task = preflight_job(sc, out, need_space=False)
        need += bytes_needed(task)
        text = OmegaConf.to_yaml(task, resolve=True)
        for key, seen in ((str(out), seen_dirs), (text, seen_cfgs)):
            if key in seen:
                raise ConfigError(f"jobs #{seen[key]} and #{idx} of the sweep are the same run ({' '.join(job)}): "
                                  "a repeated value in a sweep; drop the repeat")
            seen[key] = idx
    check_output(_job_dir(cfg, "hydra.sweep.dir", None), need)


class Refused(BaseException):
    """Carries a refusal (``.error``) out of a Hydra callback: Hydra turns an ``Exception`` raised by
    a callback into a warning and carries on, so the refusal travels as a BaseException."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class Preflight(Callback):
    """Hydra callback (``hydra.callbacks.preflight``): run :func:`preflight_job` / :func:`preflight_sweep`
    before Hydra creates a run folder. A refusal raises :class:`Refused`; ``glorot.train`` prints it in
    one line and exits 2."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._refuse(lambda: preflight_job(config, _job_dir(config, "hydra.run.dir", None)))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._refuse(lambda: preflight_sweep(config))

    @staticmethod
    def _refuse(check) -> None:
        from hydra.errors import HydraException  # noqa: PLC0415
        from omegaconf.errors import OmegaConfBaseException  # noqa: PLC0415

        from glorot.data import DataError  # noqa: PLC0415

        try:
            check()
        except (ConfigError, DataError, HydraException, OmegaConfBaseException) as e:
            raise Refused(e) from e


def discard_new_run_dir(run_dir: str | Path) -> bool:
    """After a refusal inside the task: remove ``run_dir`` if this process created it (see
    :data:`PLANNED`) and it holds no results yet (only Hydra's ``.hydra/`` and ``train.log``, or a
    config.yaml), then its parents that this leaves empty. An interrupted run, which has a checkpoint
    or tables, is kept as it is."""
    d = Path(run_dir).absolute()
    existing = PLANNED.get(str(d))
    if existing is None or not d.is_dir() or any((d / f).exists() for f in RESULT_FILES):
        return False
    shutil.rmtree(d, ignore_errors=True)
    for parent in d.parents:
        if str(parent) == existing:
            break
        try:
            parent.rmdir()  # only if empty: never anything another run put there
        except OSError:
            break
    return True
