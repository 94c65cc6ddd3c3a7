"""Read legacy .xls workbooks with xlrd, cells rendered as text exactly as the calamine path renders them."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import xlrd
from xlrd.xldate import XLDateError, xldate_as_datetime

from auditor.errors import InputError
from auditor.ingest.raw import RawSheet

# xlrd's Book.biff_version -> the name Excel users know.
BIFF_NAMES = {21: "BIFF2", 30: "BIFF3", 40: "BIFF4", 45: "BIFF4W", 50: "BIFF5", 70: "BIFF7", 80: "BIFF8"}


def read_xls(path: Path, name: str | None = None) -> tuple[list[RawSheet], str]:
    """Every worksheet of a BIFF2-BIFF8 .xls as a RawSheet, plus its BIFF version ("BIFF5"); errors name `name`."""
    name = name or str(path)
    try:
        # xlrd writes its warnings to `logfile` (stdout by default): keep them off the user's terminal.
        book = xlrd.open_workbook(str(path), logfile=io.StringIO(), on_demand=True)
    except Exception as exc:  # XLRDError, CompDocError, struct.error, ...: all mean "cannot open"
        raise InputError(name, f"xlrd cannot open the workbook: {_first_line(exc)}") from None
    try:
        sheets = [_sheet(name, book, i) for i in range(book.nsheets)]
    finally:
        book.release_resources()
    return sheets, BIFF_NAMES.get(book.biff_version, f"BIFF{book.biff_version}")


def _sheet(name: str, book: xlrd.Book, index: int) -> RawSheet:
    """One worksheet trimmed to its used cells, so first_row/first_col are the user's row and column."""
    sheet_name = book.sheet_names()[index]
    try:
        sheet = book.sheet_by_index(index)
        rows = [
            [
                cell_text(t, v, book.datemode)
                for t, v in zip(sheet.row_types(r), sheet.row_values(r), strict=False)
            ]
            for r in range(sheet.nrows)
        ]
    except Exception as exc:
        raise InputError(name, f"xlrd cannot read the sheet: {_first_line(exc)}", sheet=sheet_name) from None
    box = _used_box(rows)
    hidden = bool(getattr(sheet, "visibility", 0))  # 0 visible, 1 hidden, 2 very hidden
    if box is None:
        return RawSheet(sheet_name, None, note="sheet is empty", hidden=hidden)
    top, bottom, left, right = box
    columns = {
        f"c{j}": [row[left + j] if left + j < len(row) else None for row in rows[top : bottom + 1]]
        for j in range(right - left + 1)
    }
    frame = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    return RawSheet(sheet_name, frame, first_row=top + 1, first_col=left, hidden=hidden)


def cell_text(ctype: int, value: object, datemode: int) -> str | None:
    """A cell as calamine renders it: whole numbers "278", dates "2026-04-01 00:00:00", booleans "true"."""
    if ctype == xlrd.XL_CELL_TEXT:
        return value or None
    if ctype == xlrd.XL_CELL_NUMBER:
        return number_text(value)
    if ctype == xlrd.XL_CELL_DATE:
        return _date_text(value, datemode)
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return "true" if value else "false"
    return None  # empty, blank and error cells: calamine gives no text for them either


def number_text(value: float) -> str:
    """Nine decimals with trailing zeros cut, which is what fastexcel does: 137.5, 278, 0.333333333."""
    return f"{value:.9f}".rstrip("0").rstrip(".")


def _date_text(value: float, datemode: int) -> str:
    """ISO date and time; milliseconds only when there are some; the number itself if it is no valid date."""
    try:
        when = xldate_as_datetime(value, datemode)
    except (XLDateError, ValueError, OverflowError):
        return number_text(value)
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{when.microsecond // 1000:03d}" if when.microsecond else text


def _used_box(rows: list[list[str | None]]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) 0-based bounds of the non-empty cells, or None for an empty sheet."""
    used = [r for r, row in enumerate(rows) if any(v is not None for v in row)]
    if not used:
        return None
    cols = [c for row in rows for c, v in enumerate(row) if v is not None]
    return used[0], used[-1], min(cols), max(cols)


def _first_line(exc: Exception) -> str:
    """First line of an xlrd error, or its type when it has no text."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
