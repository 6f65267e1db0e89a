"""The paper's numbers and claims, loaded from ``paper_numbers.yaml`` (the one place they live).

Everything that shows a paper number beside ours (figures, verdicts, Table 1, gallery) reads it
from here, so that no paper number is typed into plotting or verdict code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PATH = Path(__file__).with_name("paper_numbers.yaml")


@lru_cache(maxsize=1)
def numbers() -> dict:
    return yaml.safe_load(PATH.read_text())


def claim(fig: str) -> str:
    return numbers()["claims"].get(fig, "")


def table1_rows() -> list[dict]:
    return list(numbers()["table1"]["rows"])


def table1_value(activation: str, init: str, dataset: str = "MNIST") -> float | None:
    for r in table1_rows():
        if r["activation"] == activation and r["init"] == init:
            return r.get(dataset)
    return None


def table1_label(activation: str, init: str) -> str:
    for r in table1_rows():
        if r["activation"] == activation and r["init"] == init:
            return r["label"]
    return config_label(activation, init)


def config_label(activation: str, init: str) -> str:
    """The paper's naming: 'Tanh' (standard init), 'Tanh N' (normalized), 'Tanh he' otherwise."""
    a = activation.capitalize()
    if init == "standard":
        return a
    if init == "normalized":
        return f"{a} N"
    return f"{a} {init}"


def significance_p() -> float:
    return float(numbers()["table1"]["significance_p"])


def jacobian(init: str) -> float | None:
    return numbers()["jacobian"].get(init)


def epoch_updates() -> int:
    return int(numbers()["epoch_updates"])
