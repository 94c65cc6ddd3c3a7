"""Find a stray quote that swallowed whole records: one quoted cell spanning lines that read as records."""

from __future__ import annotations

import polars as pl

from auditor.errors import InputError
from auditor.ingest.header import column_letter

# Delimiters a multi-line cell may hold before it reads as records (a record's worth, less the few columns a
# stray quote can sit right of); never fewer than this, so a short legitimate "A, B,\nC" is not taken for one.
# Line breaks alone prove nothing: a multi-line note or description is a cell, and a swallowed record always
# brings its delimiters along.
MIN_DELIMS = 4


def refuse_swallowed(name: str, frame: pl.DataFrame, data: bytes, delim: str) -> None:
    """Refuse a file where a stray quote, closed by another far down, merged whole lines into one cell."""
    hit = swallowed_cell(frame, data, delim)
    if hit is not None:
        index, col, opens, closes = hit
        raise swallowed_error(name, index + 1, col, opens, closes)


def swallowed_cell(frame: pl.DataFrame, data: bytes, delim: str) -> tuple[int, int, int, int] | None:
    """(frame row, column index, first line, last line) of a cell holding swallowed lines of `data`, or None."""
    inside = line_count(data) - frame.height  # line breaks inside cells (each blank line is a row of its own)
    if inside <= 0:
        return None  # every record is one line, so no cell holds a line break: a byte count, no look at the cells
    hit = first_swallowed(frame, delim, inside)
    if hit is None:
        return None
    index, col = hit
    return (index, col, *_lines_of(frame, index, col))


def swallowed_error(name: str, row: int, col: int, opens: int, closes: int) -> InputError:
    """The one message for a stray quote pair: the row and column, and the lines it would merge."""
    return InputError(
        name,
        f'a stray quote (") opens this cell on line {opens} and only another quote on line {closes} closes it, '
        f"so the {closes - opens + 1} lines {opens} to {closes} would be read as one cell (their rows lost in it); "
        'remove the stray quotes, or double each quote meant as text (""), and export again',
        row=row,
        column=column_letter(col),
    )


def line_count(data: bytes) -> int:
    """Lines in LF or CRLF text, a last line without a line end included."""
    return data.count(b"\n") + (bool(data) and not data.endswith(b"\n"))


def first_swallowed(frame: pl.DataFrame, delim: str, inside: int) -> tuple[int, int] | None:
    """(frame row, column index) of the first cell that holds swallowed lines, or None.

    Columns are searched left to right only until the `inside` line breaks are all found.
    """
    limit = max(MIN_DELIMS, frame.width - 2)
    hits, found = [], 0
    for col, name in enumerate(frame.columns):
        breaks = frame.get_column(name).str.count_matches("\n", literal=True).fill_null(0)
        total = int(breaks.sum())
        if not total:
            continue
        found += total
        multi = (
            pl.DataFrame({"breaks": breaks, "cell": frame.get_column(name)})
            .with_row_index()
            .filter(pl.col("breaks") > 0)
        )
        swallowed = multi.filter(pl.col("cell").str.count_matches(delim, literal=True) >= limit)
        if swallowed.height:
            hits.append((int(swallowed.item(0, "index")), col))
        if found >= inside:
            break
    return min(hits, default=None)


def _lines_of(frame: pl.DataFrame, index: int, col: int) -> tuple[int, int]:
    """The lines a cell starts and ends on, counting the line breaks inside every cell before it."""
    breaks = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns
    )
    before = frame.head(index).select(breaks.sum()).item() if index else 0
    cells = frame.row(index)
    within = sum((cells[c] or "").count("\n") for c in range(col))
    opens = index + 1 + int(before or 0) + within
    return opens, opens + (cells[col] or "").count("\n")
