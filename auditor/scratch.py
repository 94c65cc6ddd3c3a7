"""Temporary folders named with their process id, so the next run removes what a killed one left behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, it is not ours
        return True
    return True


def _pid_of(folder: Path, prefix: str) -> int | None:
    """The process id in a scratch folder's name ("<prefix><pid>-<random>"), when it is one of ours."""
    head = folder.name[len(prefix) :].partition("-")[0]
    try:
        if not head.isdigit() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    return int(head)


def sweep(prefix: str, temp: Path | None = None) -> list[Path]:
    """Remove the scratch folders with this prefix whose process is gone (killed before it could); return them.

    A reused process id keeps its folder until that process ends too (the safe mistake).
    """
    temp = temp or Path(tempfile.gettempdir())
    gone = []
    for folder in sorted(temp.glob(f"{prefix}*")):
        pid = _pid_of(folder, prefix)
        if pid is None or pid == os.getpid() or alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        gone.append(folder)
    return gone


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A private temporary folder for this process, removed on the way out; first, those of dead processes."""
    sweep(prefix)
    # mkdtemp makes the folder 0700; the pid in the name is what lets a later run tell it is left over.
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
