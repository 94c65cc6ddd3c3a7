"""A code's Addendum B status without polars: a per-code index kept beside the code table's cache, for `codes status`."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from auditor.codeset.quarters import (
    LEVEL2_PATTERN,
    SUMMARY_COLUMNS,
    TABLE_PATH,
    CodeStatus,
    CodeTableError,
    table_key,
    user_quarters,
)
from auditor.derived_cache import cached
from auditor.lean_dataclass import dataclass

_LEVEL2 = re.compile(LEVEL2_PATTERN)


@dataclass(frozen=True)
class CodeIndex:
    """Every code of the merged code table: its status indicator per quarter held, then SUMMARY_COLUMNS, as one
    tab-separated text per code (unpickled in a few milliseconds, where a tuple per code took forty)."""

    quarters: tuple[str, ...]
    unlisted: str  # Level II series letters no Addendum B held lists (CodeTable.unlisted_series)
    rows: dict[str, str]

    def status(self, code: str | None, quarter: str) -> CodeStatus:
        """Classify one code for a held quarter, as CodeTable.classify does (a test holds the two together)."""
        if quarter not in self.quarters:
            held = f"{self.quarters[0]}..{self.quarters[-1]}"
            raise CodeTableError(f"quarter {quarter} is not held (held: {held}); use resolve_quarter first")
        key = (code or "").strip().upper() or None
        if key is None:
            return CodeStatus(None, None, None, None, None, None, None)
        text = self.rows.get(key)
        row = [v or None for v in text.split("\t")] if text is not None else [None] * (len(self.quarters) + 4)
        si = row[self.quarters.index(quarter)]
        first_seen, last_seen, last_si, descriptor = row[len(self.quarters) :]
        if si == "D":  # SI D = discontinued code
            status = "deleted"
        elif si is not None:
            status = "active"
        elif first_seen is not None and first_seen < quarter:
            status = "deleted"
        elif first_seen is None and _LEVEL2.match(key) and key[0] in self.unlisted:
            status = "unknown_to_opps"
        else:
            status = "invalid"
        return CodeStatus(key, status, si, first_seen, last_seen, last_si, descriptor)


def load_index(home: Path | None = None) -> CodeIndex:
    """The index of the code table `CodeTable.load(home)` would give: read from the cache in milliseconds, or built
    once from the table (which needs polars) and stored."""
    user = user_quarters(home)
    if not TABLE_PATH.is_file():
        return _build(home)  # CodeTable.load says what is missing and how to rebuild it
    return cached("code-index", table_key(user), lambda: _build(home), _read, _write, ".pickle")


def _build(home: Path | None) -> CodeIndex:
    """The index from the merged code table."""
    from auditor.codeset.table import CodeTable  # on a cache miss only: it imports polars

    table = CodeTable.load(home)
    frame = table.frame.select("code", *table.quarters, *SUMMARY_COLUMNS)
    rows = {row[0]: "\t".join(v or "" for v in row[1:]) for row in frame.iter_rows()}
    return CodeIndex(tuple(table.quarters), table.unlisted_series, rows)


def _read(path: Path) -> CodeIndex:
    with path.open("rb") as fh:
        index = pickle.load(fh)
    if not isinstance(index, CodeIndex):
        raise TypeError(f"{path} holds no code index")  # cached() builds it again
    return index


def _write(index: CodeIndex, path: Path) -> None:
    with path.open("wb") as fh:
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
