"""Read xlsx, xlsm, xlsb and legacy xls workbooks with calamine, every cell as text."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import fastexcel

from auditor.errors import InputError
from auditor.ingest.raw import RawSheet

_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_REV = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)
_SCAN_LIMIT = 4 * 1024 * 1024


def read_excel(path: Path, kind: str) -> list[RawSheet]:
    """Every sheet of a workbook as a RawSheet; macros are never run (calamine only reads cells)."""
    name = str(path)
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error family; all mean "cannot open"
        raise InputError(name, f"cannot open the workbook: {_short(exc)}") from None
    offsets = _origins(path, kind, reader.sheet_names)
    charts = _chart_sheets(path, kind)
    sheets = []
    for idx, sheet_name in enumerate(reader.sheet_names):
        if sheet_name in charts:
            sheets.append(RawSheet(sheet_name, None, note="chart sheet: it holds a chart, no cells"))
            continue
        try:
            sheet = reader.load_sheet(idx, header_row=None, dtypes="string")
            frame = sheet.to_polars()
        except Exception as exc:
            raise InputError(name, f"cannot read the sheet: {_short(exc)}", sheet=sheet_name) from None
        if frame.width == 0 or frame.height == 0:
            sheets.append(RawSheet(sheet_name, None, note="sheet is empty"))
            continue
        frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
        first_row, first_col = offsets.get(sheet_name, (1, 0))
        sheets.append(RawSheet(sheet_name, frame, first_row, first_col))
    return sheets


def _short(exc: Exception) -> str:
    """First line of an engine error, without Rust backtrace noise."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _origins(path: Path, kind: str, names: list[str]) -> dict[str, tuple[int, int]]:
    """User row/column of each sheet's first used cell; calamine drops leading empty rows and columns."""
    if kind in ("xlsx", "xlsm"):
        try:
            return _xlsx_origins(path)
        except (KeyError, zipfile.BadZipFile, zlib.error, ValueError):
            pass
    try:
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        out = {}
        for n in names:
            start = wb.get_sheet_by_name(n).start
            if start is not None:
                out[n] = (start[0] + 1, start[1])
        return out
    except Exception:
        return {}


def _chart_sheets(path: Path, kind: str) -> set[str]:
    """Names of chart sheets: they hold no cells, and loading one makes calamine print to stderr."""
    try:
        if kind in ("xlsx", "xlsm"):
            with zipfile.ZipFile(path) as zf:
                return {n for n, member in _sheet_members(zf) if "/chartsheets/" in member}
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return {m.name for m in wb.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.ChartSheet}
    except Exception:  # unreadable metadata: let the sheet load report the problem
        return set()


def _sheet_members(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) for every sheet listed in xl/workbook.xml, in workbook order."""
    wb = zf.read("xl/workbook.xml")
    rels_xml = zf.read("xl/_rels/workbook.xml.rels")
    rels = {k: v for k, v in _REL.findall(rels_xml)}
    rels.update({k: v for v, k in _REL_REV.findall(rels_xml) if k not in rels})
    out = []
    for sheet_name, rid in _SHEET.findall(wb):
        target = rels.get(rid)
        if target is None:
            continue
        target = target.decode()
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out.append((_xml_unescape(sheet_name.decode("utf-8")), member))
    return out


def _xlsx_origins(path: Path) -> dict[str, tuple[int, int]]:
    """Stream each sheet's XML just far enough to find its first cell that holds a value."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for sheet_name, member in _sheet_members(zf):
            origin = _first_value_cell(zf, member)
            if origin is not None:
                out[sheet_name] = origin
    return out


def _first_value_cell(zf: zipfile.ZipFile, member: str) -> tuple[int, int] | None:
    """(row, column index) of the first cell with a value, reading at most a few MB of XML."""
    buf = b""
    best_col = None
    first_row = None
    with zf.open(member) as fh:
        while len(buf) < _SCAN_LIMIT:
            chunk = fh.read(65536)
            if not chunk:
                break
            buf += chunk
            for m in _CELL.finditer(buf):
                body = m.group(3) or b""
                if b"<v>" not in body and b"<v " not in body and b"<is>" not in body:
                    continue
                row = int(m.group(2))
                col = _col_index(m.group(1).decode())
                if first_row is None:
                    first_row = row
                best_col = col if best_col is None else min(best_col, col)
            if first_row is not None:
                break
    if first_row is None:
        return None
    return first_row, best_col or 0


def _col_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _xml_unescape(text: str) -> str:
    """Undo the five XML entities in a sheet name."""
    for a, b in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(a, b)
    return text
