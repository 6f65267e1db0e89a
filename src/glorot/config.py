"""Typed config schemas (registered in Hydra's ConfigStore) and the checks that run before training.

The YAML files under ``configs/`` fill these dataclasses; because the primary config starts from
the ``base_config`` schema, a misspelt key or a wrong type fails when the config is composed. Values
that a type cannot catch (an unknown activation, a learning rate <= 0) are checked by
:func:`validate`, which names the bad value and the valid choices before any training starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

from glorot.data import DATASETS
from glorot.nn import ACTIVATIONS, INITS, split_spec


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
    width: int = 1000  # hidden width used by training experiments
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
    """A bad value in the config; the message names it and the valid choices."""


def _check_choice(what: str, spec: str, valid) -> None:
    try:
        name, _ = split_spec(spec)
    except ValueError as e:
        raise ConfigError(f"{what}={spec!r}: {e}") from None
    if name not in valid:
        raise ConfigError(f"{what}={spec!r} is not valid; valid choices: {', '.join(valid)}")


def validate(cfg) -> None:
    """Refuse bad values before any training starts (one-line message, names value and choices)."""
    acts = list(cfg.stack.activations) or [cfg.activation.name]
    for a in acts:
        _check_choice("activation", a, ACTIVATIONS)
    for i in list(cfg.stack.inits) or [cfg.init.name]:
        _check_choice("init", i, INITS)
    if cfg.data.name not in DATASETS:
        raise ConfigError(f"data={cfg.data.name!r} is not valid; valid choices: {', '.join(DATASETS)}")
    for key in ("depth", "width"):
        v = cfg.model[key]
        if v < 1:
            raise ConfigError(f"model.{key}={v} is not valid; it must be an integer >= 1")
    for lr in list(cfg.stack.lrs) or [cfg.optim.lr]:
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ConfigError(f"learning rate {lr!r} is not valid; it must be a finite number > 0")
    if cfg.optim.batch_size < 1:
        raise ConfigError(f"optim.batch_size={cfg.optim.batch_size} is not valid; it must be >= 1")
    if cfg.train.updates < 0:
        raise ConfigError(f"train.updates={cfg.train.updates} is not valid; it must be >= 0")
    if cfg.train.eval_every_examples < 1:
        raise ConfigError(f"train.eval_every_examples={cfg.train.eval_every_examples} must be >= 1")
    if cfg.train.dtype not in ("float32", "float64"):
        raise ConfigError(f"train.dtype={cfg.train.dtype!r} is not valid; valid choices: float32, float64")
    dev = str(cfg.train.device)
    if not (dev in ("auto", "cpu", "cuda") or dev.startswith("cuda:")):
        raise ConfigError(f"train.device={dev!r} is not valid; valid choices: auto, cpu, cuda, cuda:N")
    if cfg.record.every < 1:
        raise ConfigError(f"record.every={cfg.record.every} is not valid; it must be >= 1")
    bad = [s for s in cfg.record.signals if s not in ("act", "pre", "grad_s", "grad_w", "weight")]
    if bad:
        raise ConfigError(f"record.signals has {bad}; valid choices: act, pre, grad_s, grad_w, weight")
    for key in ("bins", "jacobian_examples"):
        if cfg.record[key] < 1:
            raise ConfigError(f"record.{key}={cfg.record[key]} is not valid; it must be >= 1")
    if cfg.record.early < 0:
        raise ConfigError(f"record.early={cfg.record.early} is not valid; it must be >= 0")
