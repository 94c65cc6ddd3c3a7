"""Check an xlsx's or xlsb's sheets against Excel's limits and ours before calamine allocates their cell ranges."""

from __future__ import annotations

import re
import zipfile
import zlib

import polars as pl

from auditor.errors import InputError
from auditor.ingest.header import column_letter
from auditor.ingest.workbook_parts import declared_range
from auditor.lean_dataclass import dataclass

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
# calamine holds a sheet as a dense grid from its first to its last used cell (~32 bytes a cell) and aborts
# the whole process when that grid cannot be allocated: one stray far cell must be refused before it reads.
DEFAULT_MAX_CELLS = 40_000_000
DEFAULT_MAX_SHEETS = 500
# A workbook sheet read with more columns in use than this is refused (every column costs the reader work).
MAX_COLUMNS = 2048
# Cells past this many fully empty columns are strays (a typo far right, Ctrl+End junk), when there are few.
STRAY_GAP = 32
MAX_STRAY_CELLS = 20
_CHUNK = 1 << 20
_ROW_TAG = re.compile(rb'row r="([0-9]+)"')  # Excel and every writer seen put r first
# References that can widen the grid past 26 columns or 99,999 rows: two or more letters, or six or more
# digits. A file of 26 columns and fewer than 100,000 rows has none, so the common case costs one search.
_WIDE_REF = re.compile(rb' r="([A-Za-z]{2,})([0-9]+)"| r="([A-Za-z])([0-9]{6,})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?ref="([^"]*)"')
_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


@dataclass(frozen=True)
class Limits:
    """Caps on one workbook: cells a sheet's used range may span, and sheets a workbook may hold."""

    max_cells: int = DEFAULT_MAX_CELLS
    max_sheets: int = DEFAULT_MAX_SHEETS


def check_sheet_count(name: str, count: int, limits: Limits) -> None:
    """Refuse a workbook with more sheets than the limit (each sheet costs a read)."""
    if count > limits.max_sheets:
        raise InputError(
            name,
            f"workbook has {count:,} sheets, over the {limits.max_sheets:,}-sheet limit; "
            "save the chargemaster's sheets in a workbook of their own",
        )


def check_members(name: str, members: list[tuple[str, str]], limits: Limits) -> None:
    """Refuse a workbook whose sheets share a worksheet part, or with more sheets than the limit."""
    seen: dict[str, str] = {}
    for sheet, member in members:
        if member in seen:
            raise InputError(
                name,
                f"sheets {seen[member]!r} and {sheet!r} point to the same worksheet part ({member}); "
                "the workbook is damaged — open it in Excel and save a copy",
            )
        seen[member] = sheet
    check_sheet_count(name, len(members), limits)


def check_sheet_part(
    name: str, zf: zipfile.ZipFile, sheet: str, member: str, limits: Limits, binary: bool = False
) -> None:
    """Refuse one sheet whose cells pass Excel's limits or whose used range passes max_cells: an xlsx sheet's
    XML is scanned, an xlsb sheet's (`binary`) declared range read."""
    if "/chartsheets/" in member:
        return
    try:
        (_check_records if binary else _check_member)(name, sheet, zf, member, limits)
    except KeyError:
        return  # a missing part: calamine's own error names it
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        what = "records" if binary else "XML"
        raise InputError(
            name, f"damaged workbook: the sheet's {what} cannot be unpacked ({exc})", sheet=sheet
        ) from None


def trim_far_columns(
    frame: pl.DataFrame, first_row: int, first_col: int
) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """The frame without a few stray cells far right of the table, and those cells as (reference, text)."""
    if frame.width <= STRAY_GAP:
        return frame, []
    filled = frame.select(pl.all().is_not_null().sum()).row(0)
    cut, last, run = None, None, 0
    for i, n in enumerate(filled):
        if not n:
            run += 1
            continue
        if last is not None and run >= STRAY_GAP:
            cut = last + 1
            break
        last, run = i, 0
    if cut is None or sum(filled[cut:]) > MAX_STRAY_CELLS:
        return frame, []  # no gap, or a real table out there: the table reader decides what it is
    stray = []
    for i in range(cut, frame.width):
        if filled[i]:
            col = frame.get_column(frame.columns[i])
            for r in col.is_not_null().arg_true().to_list():
                stray.append((f"{column_letter(first_col + i)}{first_row + r}", str(col[r])[:200]))
    return frame.select(frame.columns[:cut]), stray


def check_width(name: str, sheet: str, width: int) -> None:
    """Refuse a sheet with more columns in use than MAX_COLUMNS."""
    if width > MAX_COLUMNS:
        raise InputError(
            name,
            f"the sheet has {width:,} columns in use, over the {MAX_COLUMNS:,}-column limit; a chargemaster "
            "has tens. Delete the columns right of the table (or stray cells there) and save",
            sheet=sheet,
        )


def _check_member(name: str, sheet: str, zf: zipfile.ZipFile, member: str, limits: Limits) -> None:
    """Stream one sheet's XML, tracking its last row and widest column, and refuse what passes the limits."""
    grid = _Grid()
    tail = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf, tail = tail + chunk, b""
            if chunk:
                # Hold back an unfinished tag (or, with no tag start, an overlap) so no reference is cut in two.
                cut = buf.rfind(b"<")
                cut = cut if cut > 0 else max(len(buf) - 64, 0)
                buf, tail = buf[:cut], buf[cut:]
            grid.scan(name, sheet, buf)
            if not chunk:
                break
    _check_span(name, sheet, grid.max_row, grid.max_col, grid.far, limits)


def _check_span(name: str, sheet: str, max_row: int, max_col: int, far: str, limits: Limits) -> None:
    """Refuse a sheet whose cells, counted from A1 to its last row and widest column, pass max_cells."""
    cells = max_row * max_col
    if cells > limits.max_cells:
        where = f"A1:{column_letter(max_col - 1)}{max_row}"
        stray = f"; the farthest cell is {far}" if far else ""
        raise InputError(
            name,
            f"the sheet's cells span {where} ({cells:,} cells), over the {limits.max_cells:,}-cell limit"
            f"{stray}. If that cell is a stray, delete it (Ctrl+End in Excel shows the last used cell) "
            "and save; if the sheet really is that large, raise the limit with --max-cells",
            sheet=sheet,
        )


def _check_records(name: str, sheet: str, zf: zipfile.ZipFile, member: str, limits: Limits) -> None:
    """Refuse one xlsb sheet whose declared used range passes Excel's grid or max_cells.

    The range is the sheet's dimension record, which Excel writes to cover every cell (stray ones too);
    walking every cell record in Python would cost seconds on a large sheet.
    """
    found = declared_range(zf, member)
    if found is None:
        return
    _, last_row, _, last_col = found
    if last_row >= EXCEL_ROWS or last_col >= EXCEL_COLUMNS:
        _beyond(name, sheet, f"the sheet's used range (to row {last_row + 1:,}, column {last_col + 1:,})")
    # The range's corner need not be a cell (the last row and the widest column may be two cells): not named.
    _check_span(name, sheet, last_row + 1, last_col + 1, "", limits)


class _Grid:
    """The last row and widest column seen so far in a sheet's XML."""

    def __init__(self) -> None:
        self.max_row, self.max_col, self.far, self.dimension_seen = 0, 1, "", False

    def scan(self, name: str, sheet: str, buf: bytes) -> None:
        """Take in one piece of XML: its dimension, row tags and wide cell references."""
        if not self.dimension_seen:
            dim = _DIMENSION.search(buf)
            if dim:
                self.dimension_seen = True
                _check_dimension(name, sheet, dim.group(1).decode("ascii", "replace"))
        tags = _ROW_TAG.findall(buf)
        if tags:
            row, at = _largest(tags)
            if row > EXCEL_ROWS:
                _beyond(name, sheet, f"row {tags[at][:20].decode()}")
            self.max_row = max(self.max_row, row)
        found = _WIDE_REF.findall(buf)
        if not found:
            return
        refs = [(a or c, b or d) for a, b, c, d in found]
        for letters in {ref[0] for ref in refs}:
            col = _column(letters)
            if col > self.max_col:
                self.max_col, self.far = col, _ref(next(r for r in refs if r[0] == letters))
        if self.max_col > EXCEL_COLUMNS:
            _beyond(name, sheet, f"cell {self.far}")
        row, at = _largest([ref[1] for ref in refs])
        if row > EXCEL_ROWS:
            _beyond(name, sheet, f"cell {_ref(refs[at])}")
        if row > self.max_row:
            self.max_row, self.far = row, _ref(refs[at])


def _largest(digits: list[bytes]) -> tuple[int, int]:
    """The largest of these row numbers (past Excel's last row when absurdly long) and its index."""
    longest = max(map(len, digits))
    if longest > 8:
        return EXCEL_ROWS + 1, next(i for i, d in enumerate(digits) if len(d) == longest)
    rows = list(map(int, digits))  # C-level: a sheet has a row tag per row, tens of thousands per chunk
    row = max(rows)
    return row, rows.index(row)


def _ref(pair: tuple[bytes, bytes]) -> str:
    """(b'xfd', b'5') -> 'XFD5', cut to 20 characters for a message."""
    return (pair[0] + pair[1]).decode("ascii").upper()[:20]


def _check_dimension(name: str, sheet: str, ref: str) -> None:
    """Refuse a <dimension> naming a cell beyond Excel's grid (the file was not written by Excel)."""
    for part in ref.split(":"):
        m = _REF.fullmatch(part.strip())
        if m and (_column(m.group(1).encode()) > EXCEL_COLUMNS or int(m.group(2)[:9]) > EXCEL_ROWS):
            _beyond(name, sheet, f"the sheet's dimension {ref[:40]}")


def _beyond(name: str, sheet: str, what: str) -> None:
    """The clean refusal of a reference Excel itself cannot hold."""
    raise InputError(
        name,
        f"{what} lies beyond Excel's limits ({EXCEL_ROWS:,} rows x {EXCEL_COLUMNS:,} columns, XFD{EXCEL_ROWS}); "
        "the workbook is damaged or was not written by a spreadsheet program — open it in Excel and save a copy",
        sheet=sheet,
    )


def _column(letters: bytes) -> int:
    """b'A' -> 1, b'XFD' -> 16384 (capped past Excel's width so a long run of letters stays cheap)."""
    n = 0
    for ch in letters.upper()[:6]:
        n = n * 26 + (ch - 64)
    return n if len(letters) <= 6 else EXCEL_COLUMNS + 1
