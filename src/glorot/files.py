"""Atomic writes: every result file goes to a temporary name in its folder and is renamed into
place, so an interrupted run or download never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, write) -> None:
    """Write through ``write(tmp_path)`` to a temporary file, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda p: Path(p).write_text(text))


def write_csv(path: str | Path, df) -> None:
    """``df`` is a pandas DataFrame, written without its index."""
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def why_unwritable(folder: str | Path) -> str | None:
    """Why ``folder`` (which may not exist yet) could not be created and written, or None when it
    can: its nearest existing ancestor is a file, or creating a file there fails (a read-only or
    foreign folder). Probes with a temporary file it removes; creates nothing else."""
    anc = Path(folder).absolute()
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        return f"{anc} is a file"
    try:
        fd, probe = tempfile.mkstemp(dir=anc, prefix=".glorot-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return f"{anc} is not writable (creating a file in it failed: {e.strerror})"
    return None
