"""What every command line of the suite shares: a bad argument is one line, ``error: ...``, naming
the value and what would be valid, and exit status 2 (as ``glorot.train``'s refusals), not
argparse's usage block and not a traceback from deep inside.

``Parser`` is argparse's parser with that error line; the ``type=`` functions below check a number's
range when the arguments are parsed, before anything is read, drawn or written.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable


class Parser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose refusals are one line and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _number(kind: type, lo: float, strict: bool, what: str) -> Callable[[str], float]:
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not valid; it must be {what}") from None
        if not math.isfinite(v) or (v <= lo if strict else v < lo):
            raise argparse.ArgumentTypeError(f"{text} is not valid; it must be {what}")
        return v

    parse.__name__ = what  # argparse names a type by its __name__ in some messages
    return parse


#: ``type=`` for arguments that count something (layers, repeats, workers, dpi, ...)
positive_int = _number(int, 0, True, "an integer >= 1")
nonnegative_int = _number(int, 0, False, "an integer >= 0")
#: ``type=`` for rates, times, learning rates and the like: finite and above zero
positive_float = _number(float, 0.0, True, "a finite number > 0")
nonnegative_float = _number(float, 0.0, False, "a finite number >= 0")


def choices_list(valid: tuple[str, ...] | list[str], what: str = "choices") -> Callable[[str], list[str]]:
    """``type=`` for a value that may be a comma list (``png,pdf``, as Hydra writes lists): every
    item must be one of ``valid``; gives the list (use with ``nargs="+"`` and flatten)."""

    def parse(text: str) -> list[str]:
        items = [t for t in text.split(",") if t]
        bad = [t for t in items if t not in valid]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"{', '.join(map(repr, bad or [text]))} is not valid; "
                                             f"valid {what}: {', '.join(valid)}")
        return items

    return parse


def check_writable(parser: argparse.ArgumentParser, flag: str, folder) -> None:
    """Refuse (``parser.error``: one line, exit 2) an output folder that cannot be created and
    written, before anything is drawn or trained into it."""
    from glorot.files import why_unwritable  # noqa: PLC0415

    why = why_unwritable(folder) if folder is not None else None
    if why is not None:
        parser.error(f"argument {flag}: cannot write {folder}: {why}")


#: what a device may be called: ``--device`` of the tools and ``train.device`` of the trainer
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N"


def device_problem(text: str, use_cpu: str, here: bool = True) -> str | None:
    """Why ``text`` cannot name a device (on this machine: ``here``), or None when it can: "'gpu' is
    not valid; valid choices: ...", or "cuda:7 is not available: ...; use <use_cpu> (or auto)". The
    caller puts its flag in front (``train.device=``, ``argument --device: ``). Imports torch only to
    look for a CUDA device."""
    import re  # noqa: PLC0415

    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        return f"{text!r} is not valid; valid choices: {DEVICE_CHOICES}"
    if here and text.startswith("cuda"):
        import torch  # noqa: PLC0415

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if int(text.partition(":")[2] or 0) >= n:
            have = f"{n} CUDA device(s)" if n else "no CUDA device"
            return f"{text} is not available: this machine has {have}; use {use_cpu} (or auto)"
    return None


def resolve_device(text: str):
    """The ``torch.device`` of a name that :func:`device_problem` accepts (``auto``: CUDA if any)."""
    import torch  # noqa: PLC0415

    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(text)


def device(parser: argparse.ArgumentParser, flag: str, text: str):
    """The ``torch.device`` that ``text`` (auto | cpu | cuda | cuda:N) names on this machine, or a
    refusal (one line, exit 2) saying why it cannot be used here."""
    problem = device_problem(text, f"{flag} cpu")
    if problem:
        parser.error(f"argument {flag}: {problem}")
    return resolve_device(text)
