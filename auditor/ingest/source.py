"""An input file and the name every report and message calls it by (an upload's own name, not its stored path)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class Source(NamedTuple):
    """One file to read: where it is stored, and the name reports, the run record and messages show."""

    path: Path
    name: str

    @classmethod
    def of(cls, value: Path | str | tuple[Path | str, str]) -> Source:
        """A Source from a (path, name) pair, or from a bare path, which is then named by itself."""
        if isinstance(value, tuple):
            return cls(Path(value[0]), str(value[1]))
        path = Path(value)
        return cls(path, str(path))
