"""A sheet as read: every cell text, positioned as the user sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

import polars as pl

from auditor.lean_dataclass import dataclass


@dataclass
class RawSheet:
    """Cells of one sheet as strings; frame row i is the user's row `first_row + i`."""

    name: str
    frame: pl.DataFrame | None
    first_row: int = 1
    first_col: int = 0
    note: str | None = None  # why a sheet holds no table (empty, chart sheet, ...)
    # Delimited text: a value right of the header's last column means a delimiter shifted that record.
    delimited: bool = False
    delimiter: str = ","
    hidden: bool = False  # a hidden workbook sheet (often an older or other price view of a visible one)
    # Cells far right of the table, past a run of empty columns, left out of the frame: (cell, text).
    stray: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SheetStream:
    """A file's sheets as they come: the format label, every sheet name, and the RawSheets in order."""

    format: str
    names: list[str]
    sheets: Iterator[RawSheet]

    @classmethod
    def of(cls, fmt: str, sheets: list[RawSheet]) -> SheetStream:
        """Sheets already read, as a stream."""
        return cls(fmt, [s.name for s in sheets], iter(sheets))
