"""Mapping review: when header detection is unsure, the proposed mapping with the first rows, and its corrections."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest import FileReport, IngestOptions
from auditor.ingest.fields import CHARGEMASTER
from auditor.ingest.raw import RawSheet

PREVIEW_ROWS = 5
NO_HEADER_ROWS = 8
CELL_CHARS = 60
# A sheet without a header is worth a question only when it holds more than a few lines of notes.
NOTE_ROWS = 10
CODE_FIELDS = ("cpt", "hcpcs")
CMS_KEY = "code (CMS code|N pairs)"


def field_choices() -> list[tuple[str, str]]:
    """(field name, label) for every chargemaster field, in display order."""
    return [(n, CHARGEMASTER.spec(n).label) for n in CHARGEMASTER.names]


def unsure_reasons(files: list[tuple[str, FileReport]]) -> list[str]:
    """Why the detected mapping needs a look (empty when every sheet was read with certainty)."""
    out = []
    for name, report in files:
        tabled = [s for s in report.sheets if s.header_row is not None]
        if not tabled:
            out.append(f"{name}: no header row was found in any sheet; set the header row below")
        for s in report.sheets:
            where = f"{name}, sheet {s.name!r}"
            if s.header_row is None:
                if tabled and s.rows_read >= NOTE_ROWS:
                    out.append(f"{where}: {s.rows_read:,} rows but no header row found; they would be skipped")
                continue
            for fld, score in s.confidence.items():
                if score < 1.0:
                    out.append(f"{where}: {CHARGEMASTER.spec(fld).label} taken from column {s.columns[fld]!r} "
                               f"by a partial match (confidence {score:.2f})")
            cms = CMS_KEY in s.columns
            if not cms and not any(f in s.columns for f in CODE_FIELDS):
                out.append(f"{where}: no CPT/HCPCS column found; codes would be guessed from the descriptions")
            if not cms and "charge_code" not in s.columns:
                out.append(f"{where}: no charge code column found")
    return out


def raw_sheets(path: Path, max_bytes: int) -> list[RawSheet]:
    """Every sheet's cells as the ingest reads them (same readers as read_file, so the preview matches)."""
    from auditor.ingest.cms_json import read_cms_json
    from auditor.ingest.excel import read_excel
    from auditor.ingest.sniff import sniff
    from auditor.ingest.text import read_text

    kind = sniff(path, max_bytes).kind
    if kind in ("xlsx", "xlsm", "xlsb", "xls"):
        return read_excel(path, kind)
    if kind == "json":
        return read_cms_json(path)
    return read_text(path)[0]


def column_fields(report_columns: dict[str, str], headers: list[str]) -> dict[int, str]:
    """Column index -> field, recovered from a sheet report's {field: header text (' + ' joined)}."""
    out: dict[int, str] = {}
    for fld, text in report_columns.items():
        if fld == CMS_KEY:
            continue
        parts = [text] if text in headers else text.split(" + ")
        for part in parts:
            idx = next((i for i, h in enumerate(headers) if h == part and i not in out), None)
            if idx is not None:
                out[idx] = fld
    return out


def _cms_columns(report_columns: dict[str, str], headers: list[str]) -> set[int]:
    """Columns carrying CMS code|N pairs: read by the format, not by a field choice."""
    text = report_columns.get(CMS_KEY)
    if not text:
        return set()
    names = set(text.split(", "))
    return {i for i, h in enumerate(headers) if h in names}


def _cell(value) -> str:
    """A preview cell: text, shortened."""
    s = "" if value is None else str(value).strip()
    return s if len(s) <= CELL_CHARS else s[: CELL_CHARS - 1] + "…"


def _nonblank_rows(frame: pl.DataFrame, start: int, limit: int) -> list[tuple[int, list]]:
    """(frame index, cells) of the first `limit` non-blank rows from `start`."""
    out = []
    for offset, row in enumerate(frame.slice(start, 2000).iter_rows()):
        if any(c is not None and str(c).strip() for c in row):
            out.append((start + offset, list(row)))
            if len(out) >= limit:
                break
    return out


def build_review(files: list[tuple[str, Path, FileReport]], reasons: list[str], options: IngestOptions) -> dict:
    """The review page's model: per file and sheet, the header cells, detected field per column, first rows."""
    out = []
    for fi, (name, path, report) in enumerate(files):
        raws = {r.name: r for r in raw_sheets(path, options.max_bytes)}
        sheets = []
        for si, s in enumerate(report.sheets):
            raw = raws.get(s.name)
            sheet = {"index": si, "name": s.name, "header_row": s.header_row, "note": s.note,
                     "rows_read": s.rows_read, "columns": [], "rows": []}
            if raw is None or raw.frame is None:
                sheets.append(sheet)
                continue
            if s.header_row is None:
                sheet["columns"] = [{"index": i, "header": _letters(raw.first_col + i)} for i in range(raw.frame.width)]
                sheet["rows"] = [{"row": raw.first_row + i, "cells": [_cell(c) for c in cells]}
                                 for i, cells in _nonblank_rows(raw.frame, 0, NO_HEADER_ROWS)]
            else:
                fields = column_fields(s.columns, s.headers)
                cms = _cms_columns(s.columns, s.headers)
                sheet["columns"] = [{"index": i, "header": h, "field": fields.get(i, ""), "cms": i in cms,
                                     "confidence": s.confidence.get(fields.get(i, ""))}
                                    for i, h in enumerate(s.headers)]
                start = s.header_row - raw.first_row + 1
                sheet["rows"] = [{"row": raw.first_row + i, "cells": [_cell(c) for c in cells]}
                                 for i, cells in _nonblank_rows(raw.frame, start, PREVIEW_ROWS)]
            sheets.append(sheet)
        out.append({"index": fi, "name": name, "sheets": sheets})
    return {"files": out, "reasons": reasons, "header_row": options.header_row,
            "overrides": dict(options.overrides)}


def _letters(i: int) -> str:
    """0 -> 'A', 27 -> 'AB' (column names for sheets without a header)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def corrections(review: dict, chosen: dict[tuple[int, int, int], str]) -> tuple[dict[str, str], dict[str, str]]:
    """(overrides, full mapping) from the analyst's choice per (file, sheet, column); InputError on a conflict.

    Only changes become overrides: the reader already maps the rest, and a field on several columns
    (modifiers) cannot be expressed as one override. The full mapping (single-column fields) is what a
    saved profile holds, so next quarter's file needs no detection at all.
    """
    known = set(CHARGEMASTER.names)
    overrides: dict[str, str] = {}
    full: dict[str, str] = {}
    for f in review["files"]:
        for s in f["sheets"]:
            if s["header_row"] is None or not s["columns"]:
                continue
            where = f"{f['name']}, sheet {s['name']!r}"
            headers = {c["index"]: c["header"] for c in s["columns"]}
            detected: dict[str, set[int]] = {}
            picked: dict[str, set[int]] = {}
            for c in s["columns"]:
                if c.get("cms"):
                    continue
                if c["field"]:
                    detected.setdefault(c["field"], set()).add(c["index"])
                value = chosen.get((f["index"], s["index"], c["index"]), c["field"])
                if value and value not in known:
                    raise InputError(where, f"unknown field {value!r}")
                if value:
                    if not headers[c["index"]].strip():
                        raise InputError(where, f"column {c['index'] + 1} has no header text, so it cannot be "
                                         f"chosen for {_label(value)}; set the header row instead")
                    picked.setdefault(value, set()).add(c["index"])
            for fld in sorted(set(detected) | set(picked), key=CHARGEMASTER.names.index):
                cols, was = picked.get(fld, set()), detected.get(fld, set())
                if len(cols) == 1:
                    _put(full, fld, headers[next(iter(cols))], where, strict=False)
                if cols == was:
                    continue
                if len(cols) > 1:
                    raise InputError(where, f"{_label(fld)} is chosen for {len(cols)} columns "
                                     f"({', '.join(repr(headers[i]) for i in sorted(cols))}); choose one")
                if not cols:
                    loose = [i for i in was if not any(i in v for v in picked.values())]
                    if loose:
                        raise InputError(where, f"column {headers[loose[0]]!r} cannot be left unused while it is "
                                         f"the only {_label(fld)} column: the reader finds {_label(fld)} by its "
                                         "header. Choose another field or column for it, or keep it")
                    continue
                _put(overrides, fld, headers[next(iter(cols))], where, strict=True)
    return overrides, full


def _put(target: dict[str, str], fld: str, header: str, where: str, strict: bool) -> None:
    """Add field -> header; two different headers for one field across sheets is a conflict when strict."""
    have = target.get(fld)
    if have is None:
        target[fld] = header
    elif strict and have != header:
        raise InputError(where, f"{_label(fld)} is set to {have!r} in one sheet and {header!r} in another; "
                         "a mapping applies to every sheet, so choose one")


def _label(fld: str) -> str:
    """A field's label."""
    return CHARGEMASTER.spec(fld).label
