"""Errors that reach the user as one line and exit code 2."""

from __future__ import annotations

from auditor.lean_dataclass import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


@dataclass
class InputError(Exception):
    """Bad input the user must fix: names the file and, where known, sheet, row and column."""

    path: str
    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.path]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.reason}"
