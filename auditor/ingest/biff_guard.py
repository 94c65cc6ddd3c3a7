"""Check a legacy .xls's cell records against the format's grid before calamine allocates a sheet's cells.

Excel's .xls holds at most 65,536 rows x 256 columns, but a record's column is a 16-bit number: a damaged or
crafted file naming column 65,000 makes calamine allocate a 137 GB grid and abort the process. Each sheet's
records are walked once for the farthest cell (a 12,000-row sheet in ~30 ms), before calamine opens the file.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

from auditor.errors import InputError

XLS_ROWS = 65_536
XLS_COLUMNS = 256
_BOUNDSHEET = 0x0085  # a sheet in the workbook globals: the stream offset of its BOF, its kind and name
_EOF = 0x000A
_BOF = 0x0809  # BIFF5-8; its version word is 0x0600 in BIFF8
# Records whose payload opens with the cell's row and column (u16 each): LABELSST, NUMBER, RK, BLANK, LABEL,
# BOOLERR, FORMULA, RSTRING; MULRK and MULBLANK also end with their last column.
_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0201, 0x0204, 0x0205, 0x0006, 0x00D6})
_MULTI = frozenset({0x00BD, 0x00BE})
_HEAD = struct.Struct("<HHHH")  # record type, size, then a cell's row and column
_HEAD_ONLY = struct.Struct("<HH")


def workbook_stream(path: Path) -> bytes | None:
    """The BIFF Workbook (or BIFF5 Book) stream of an .xls, or None when it cannot be found."""
    from xlrd import compdoc  # on use: only a legacy .xls is read through it

    try:
        # xlrd writes its warnings to `logfile`: kept off the user's terminal, as biff.read_xls does.
        doc = compdoc.CompDoc(path.read_bytes(), logfile=io.StringIO())
        return doc.get_named_stream("Workbook") or doc.get_named_stream("Book")
    except Exception:  # CompDocError, struct.error, IndexError ...: calamine's own error says what is wrong
        return None


def sheet_offsets(stream: bytes) -> list[tuple[str, int]]:
    """(sheet name, stream offset of its BOF) of every sheet the workbook globals list; none unless BIFF8."""
    if len(stream) < 6 or _HEAD_ONLY.unpack_from(stream, 0)[0] != _BOF or stream[4:6] != b"\x00\x06":
        return []
    out, pos, end = [], 0, len(stream)
    while pos + 4 <= end:
        kind, size = _HEAD_ONLY.unpack_from(stream, pos)
        body = stream[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if kind == _EOF:
            break
        if kind != _BOUNDSHEET or len(body) < 8:
            continue
        offset, count, wide = struct.unpack_from("<I", body)[0], body[6], body[7] & 1
        raw = body[8 : 8 + count * (2 if wide else 1)]
        out.append((raw.decode("utf-16-le" if wide else "latin-1", "replace"), offset))
    return out


def farthest_cell(stream: bytes, offset: int) -> tuple[int, int]:
    """(last row, last column), 0-based, of the cell records of the sheet whose BOF is at `offset`."""
    max_row = max_col = 0
    pos, end, length = offset, len(stream) - 8, len(stream)
    unpack, cells, multi = _HEAD.unpack_from, _CELLS, _MULTI
    # One record a turn and plain comparisons: a 12,000-row sheet's 60,000 cells in ~30 ms.
    while pos <= end:
        kind, size, row, col = unpack(stream, pos)
        if pos + 4 + size > length:
            break  # a record running past the stream: calamine's own error says the file is damaged
        if kind in cells:
            if col > max_col:
                max_col = col
            if row > max_row:
                max_row = row
        elif kind in multi and size >= 6:
            # The run's last column ends the record.
            (last,) = struct.unpack_from("<H", stream, pos + 2 + size)
            if last > max_col:
                max_col = last
            if row > max_row:
                max_row = row
        elif kind == _EOF and pos > offset:
            break
        pos += 4 + size
    return max_row, max_col


def check_sheet_biff(name: str, stream: bytes, sheet: str, offset: int, max_cells: int) -> None:
    """Refuse a sheet with a cell past the .xls grid or a used range past max_cells."""
    last_row, last_col = farthest_cell(stream, offset)
    if last_col >= XLS_COLUMNS:
        raise InputError(
            name,
            f"a cell on row {last_row + 1:,} names column {last_col + 1:,}, beyond the .xls format's limits "
            f"({XLS_ROWS:,} rows x {XLS_COLUMNS} columns); the workbook is damaged or was not written by a "
            "spreadsheet program — open it in Excel and save a copy",
            sheet=sheet,
        )
    cells = (last_row + 1) * (last_col + 1)
    if cells > max_cells:
        raise InputError(
            name,
            f"the sheet's cells span {cells:,} cells (to row {last_row + 1:,}, column {last_col + 1}), over the "
            f"{max_cells:,}-cell limit; if the sheet really is that large, raise the limit with --max-cells",
            sheet=sheet,
        )
