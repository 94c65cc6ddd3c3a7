"""Data derived from packaged or imported files, kept under $CDM_AUDIT_HOME/cache and rebuilt when a source changes."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_PACKAGE = Path(__file__).resolve().parent
# The last value of each kind this process built or read, with its key: a server or a batch asks every run.
_HELD: dict[str, tuple[str, object]] = {}


def default_home() -> Path:
    """Return the user data directory ($CDM_AUDIT_HOME or ~/.local/share/cdm-audit)."""
    env = os.environ.get("CDM_AUDIT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "cdm-audit"


def source_key(paths: Iterable[Path], *extra: str) -> str:
    """A digest of what a derived file depends on: each source's path, size and modification time, plus `extra`."""
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode() + b"\x1f")
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
    return digest.hexdigest()[:16]


@functools.cache  # the modules a process runs do not change under it
def code_key(*folders: str) -> str:
    """The stamp of the package's own modules under `folders` (e.g. "engine"): a change to the code that builds
    a derived file makes a new one, so an upgraded or edited install never reads an older build's output."""
    return source_key(p for f in folders for p in (_PACKAGE / f).rglob("*.py"))


def cached(
    kind: str,
    key: str,
    build: Callable[[], T],
    load: Callable[[Path], T],
    dump: Callable[[T, Path], None],
    suffix: str,
    prune: bool = True,
) -> T:
    """`build()`'s result: held in the process, else read from `cache/<kind>/<key><suffix>` when that file
    exists and reads back, else built and stored there.

    A torn, foreign or outdated file is built again; a folder that cannot be written only costs the build on
    the next run. With `prune`, other keys of the same kind are removed once the new file is in place (one
    file per kind); without it, kinds that hold several builds at once (one per release) keep them all.
    """
    held = _HELD.get(kind)
    if held is not None and held[0] == key:
        return held[1]  # type: ignore[return-value]
    value = _read_or_build(_folder(kind), key, build, load, dump, suffix, prune)
    _HELD[kind] = (key, value)
    return value


def is_cached(kind: str, key: str, suffix: str) -> bool:
    """Whether cached() would read `key` rather than build it: held in this process, or stored on disk."""
    held = _HELD.get(kind)
    return (held is not None and held[0] == key) or (_folder(kind) / f"{key}{suffix}").is_file()


def _folder(kind: str) -> Path:
    """Where cached() keeps the files of a kind."""
    return default_home() / "cache" / kind


def _read_or_build(folder: Path, key: str, build, load, dump, suffix: str, prune: bool):
    """cached()'s disk step: the stored file when it reads back, else a fresh build written beside it."""
    path = folder / f"{key}{suffix}"
    if path.is_file():
        try:
            return load(path)
        except Exception:  # noqa: BLE001 - any unreadable cache file (unpickling raises many kinds) is rebuilt
            pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"  # a server builds in threads
        dump(value, tmp)
        os.replace(tmp, path)  # whole or nothing: two runs building at once both end with a good file
        for old in folder.glob(f"*{suffix}") if prune else ():
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    return value
