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


def device(parser: argparse.ArgumentParser, flag: str, text: str):
    """The ``torch.device`` that ``text`` (auto | cpu | cuda | cuda:N) names on this machine, or a
    refusal (one line, exit 2) saying why it cannot be used here."""
    import re  # noqa: PLC0415

    import torch  # noqa: PLC0415

    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        parser.error(f"argument {flag}: {text!r} is not valid; valid: auto, cpu, cuda, cuda:N")
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(text)
    if dev.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"argument {flag}: {text}, but CUDA is not available here; use {flag} cpu")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        parser.error(f"argument {flag}: {text}, but this machine has {torch.cuda.device_count()} CUDA device(s)")
    return dev
