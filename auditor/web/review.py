"""Mapping review: per sheet, what the reader made of it (header row, kind, columns) with its first rows, and why."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from auditor.ingest import FileReport, IngestOptions, SheetReport
from auditor.ingest.fields import CHARGEMASTER, norm_header
from auditor.ingest.header import column_letter
from auditor.ingest.raw import RawSheet
from auditor.ingest.reader import AUDITED_KINDS, SheetChoice

PREVIEW_ROWS = 5
NO_TABLE_ROWS = 8
CELL_CHARS = 60
# A sheet set aside (or without a table) is worth a question only when it holds more than a few lines of notes.
NOTE_ROWS = 10
# Below this a role's column is a guess worth showing the analyst (the reader's confidence, 0..1).
SURE = 0.75
# The reader takes a named header row only among a sheet's first 40 rows (reader._locate_header).
HEADER_ROWS = 40
CODE_ROLES = ("cpt", "hcpcs")
# How the page names each sheet kind; price views are only ever detected (they need the sheet they repeat).
KIND_LABELS = {
    "cdm": "chargemaster lines (audited)",
    "pharmacy": "pharmacy lines (audited)",
    "professional_fee": "professional fees (audited)",
    "price_view": "the same items as another sheet with other prices (audited once, through that sheet)",
    "removed": "removed or inactive items (not audited)",
    "summary": "not a chargemaster: summary, notes or form (not audited)",
}
# Short names for reasons and the "Detected: ..." line.
KIND_NAMES = {
    "cdm": "chargemaster",
    "pharmacy": "pharmacy",
    "professional_fee": "professional fees",
    "price_view": "price view",
    "removed": "removed items",
    "summary": "summary",
}
CHOOSABLE_KINDS = ("cdm", "pharmacy", "professional_fee", "removed", "summary")
_COLUMN_REF = re.compile(r"column ([A-Z]{1,3})")


def field_choices() -> list[tuple[str, str]]:
    """(field name, label) for every chargemaster field, in display order."""
    return [(n, CHARGEMASTER.spec(n).label) for n in CHARGEMASTER.names]


def kind_choices(detected: str) -> list[tuple[str, str]]:
    """(kind, label) the analyst may pick for a sheet: the choosable kinds, plus the detected one."""
    kinds = CHOOSABLE_KINDS if detected in CHOOSABLE_KINDS else (detected, *CHOOSABLE_KINDS)
    return [(k, KIND_LABELS[k]) for k in kinds]


def label(fld: str) -> str:
    """A field's label."""
    return CHARGEMASTER.spec(fld).label


def where(file_name: str, sheet_name: str) -> str:
    """How messages name a sheet: the file alone when the sheet is the file (a text file's only sheet)."""
    return file_name if sheet_name == file_name else f"{file_name}, sheet {sheet_name!r}"


def letter_index(letters: str) -> int:
    """'A' -> 0, 'AB' -> 27."""
    idx = 0
    for ch in letters:
        idx = idx * 26 + ord(ch) - 64
    return idx - 1


# ---- why the review stops ---------------------------------------------------------------------------
def unsure_reasons(files: list[tuple[str, FileReport]], options: IngestOptions) -> list[str]:
    """What is doubtful in the reading, in the analyst's words (empty when nothing is)."""
    out = []
    for name, report in files:
        if not any(s.header_row is not None for s in report.sheets):
            out.append(
                f"{name}: no table found in any sheet; set a sheet's header row, or tick "
                "“this sheet has no header row”"
            )
        for s in report.sheets:
            out += sheet_reasons(where(name, s.name), s, options)
    return out


def sheet_reasons(at: str, s: SheetReport, options: IngestOptions) -> list[str]:
    """Doubts about one sheet: no table, set aside while long, read headerless, guessed roles, missing columns."""
    chosen = options.per_sheet.get(s.name) or SheetChoice()
    if s.header_row is None:
        return (
            [f"{at}: {s.rows_read:,} rows but no table found; they would be skipped"]
            if s.rows_read >= NOTE_ROWS
            else []
        )
    if s.kind not in AUDITED_KINDS:
        if s.rows_read >= NOTE_ROWS and not chosen.kind:
            return [
                f"{at}: {s.rows_read:,} rows set aside as {KIND_NAMES.get(s.kind, s.kind)} ({s.kind_reason}); "
                "they will not be audited"
            ]
        return []
    out = []
    if s.header_row == 0 and chosen.header_row != 0 and not options.no_header:
        out.append(f"{at}: read without a header row (every line is data); check the columns")
    out += [_guess(at, s, role, score) for role, score in s.confidence.items() if round(score, 2) < SURE]
    if _decided(chosen, options):
        return (
            out  # the analyst (or a profile) set this reading: a column the file lacks is known, not doubtful
        )
    if not any(r in s.columns for r in CODE_ROLES):
        out.append(f"{at}: no CPT/HCPCS column; edits that need a code will be reported as not evaluable")
    if "charge_code" not in s.columns and not s.code_pairs:
        out.append(f"{at}: no charge code column; edits that need one will be reported as not evaluable")
    return out


def _decided(chosen: SheetChoice, options: IngestOptions) -> bool:
    """Whether the reading of a sheet was set by the analyst: its own choices, or columns or header for all."""
    return bool(chosen.to_dict() or options.overrides or options.no_header or options.header_row is not None)


def _guess(at: str, s: SheetReport, role: str, score: float) -> str:
    """'price from column C “Amount” is a guess (0.62); column D “Charge” came second'."""
    col = s.column_index.get(role)
    text = f"{at}: {label(role)} from {_column_name(col, s.columns.get(role, ''))} is a guess ({score:.2f})"
    runner = (s.evidence.get(role) or {}).get("runner_up")
    if runner:
        text += f"; {_column_name(runner['column_index'], runner['header'])} came second"
    return text


def _column_name(col: int | None, header: str) -> str:
    """'column C “Amount”', or 'column C' for a column without header text."""
    if col is None:
        return repr(header)
    letter = column_letter(col - 1)
    return f"column {letter}" if not header or header == f"column {letter}" else f"column {letter} “{header}”"


def prune_choices(files: list[tuple[str, FileReport]], per_sheet: dict[str, SheetChoice]) -> list[str]:
    """Drop column choices this reading of their sheet no longer has (the header row changed); say which."""
    notes = []
    for name, report in files:
        for s in report.sheets:
            choice = per_sheet.get(s.name)
            if choice is None or s.header_row is None:
                continue
            for role, ref in list(choice.columns.items()):
                if ref in s.missing_overrides:
                    del choice.columns[role]
                    row = f"header row {s.header_row}" if s.header_row else "no header row"
                    notes.append(
                        f"{where(name, s.name)}: your choice of {ref!r} for {label(role)} was dropped: "
                        f"read with {row}, the sheet has no such column"
                    )
    return notes


# ---- the page's model -------------------------------------------------------------------------------
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


def column_fields(s: SheetReport, first_col: int) -> dict[int, str]:
    """Frame column index -> role, from a sheet report (CMS code-pair columns excluded: the format reads them)."""
    out: dict[int, str] = {}
    for role in s.columns:
        if s.code_pairs and role in ("cpt", "code_type"):
            continue
        for idx in _role_columns(s, role, first_col):
            out.setdefault(idx, role)
    return out


def _role_columns(s: SheetReport, role: str, first_col: int) -> list[int]:
    """Frame columns feeding one role: column_index for single roles, the ' + ' joined parts for modifiers."""
    if not CHARGEMASTER.spec(role).multi and role in s.column_index:
        return [s.column_index[role] - 1 - first_col]
    out: list[int] = []
    for part in s.columns[role].split(" + "):
        ref = _COLUMN_REF.fullmatch(part)
        idx = (
            letter_index(ref.group(1)) - first_col
            if ref
            else next((i for i, h in enumerate(s.headers) if h == part and i not in out), None)
        )
        if idx is not None and 0 <= idx < len(s.headers):
            out.append(idx)
    return out


def _cms_columns(s: SheetReport) -> set[int]:
    """Columns carrying CMS code|N pairs: read by the format, not by a field choice."""
    names = {h for pair in s.code_pairs for h in pair}
    return {i for i, h in enumerate(s.headers) if h in names}


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


def build_review(
    files: list[tuple[str, Path, FileReport]], reasons: list[str], options: IngestOptions
) -> dict:
    """The review page's model: per file and sheet, its kind, header row, field per column and first rows."""
    out = []
    for fi, (name, path, report) in enumerate(files):
        raws = {r.name: r for r in raw_sheets(path, options.max_bytes)}
        sheets = [
            sheet_model(si, s, raws.get(s.name), options.per_sheet.get(s.name))
            for si, s in enumerate(report.sheets)
        ]
        out.append({"index": fi, "name": name, "format": report.format, "sheets": sheets})
    return {
        "files": out,
        "reasons": reasons,
        "header_row": options.header_row,
        "no_header": options.no_header,
        "overrides": dict(options.overrides),
    }


def sheet_model(si: int, s: SheetReport, raw: RawSheet | None, choice: SheetChoice | None) -> dict:
    """One sheet of the review: what was read, what the analyst chose, its columns and first rows."""
    sheet: dict[str, Any] = {
        "index": si,
        "name": s.name,
        "kind": s.kind,
        "kind_name": KIND_NAMES.get(s.kind, s.kind),
        "kind_reason": s.kind_reason,
        "linked_to": s.linked_to,
        "kinds": kind_choices(s.kind),
        "audited": s.audited,
        "header_row": s.header_row,
        "note": s.note,
        "rows_read": s.rows_read,
        "rows_audited": s.rows_audited,
        "rows_skipped": s.rows_skipped,
        "hidden": s.hidden,
        "choice": choice.to_dict() if choice else {},
        "first_row": None,
        "last_header_row": None,
        "columns": [],
        "rows": [],
    }
    if raw is None or raw.frame is None:
        return sheet
    frame = raw.frame
    first = _nonblank_rows(frame, 0, 1)
    sheet["first_row"] = raw.first_row + first[0][0] if first else raw.first_row
    sheet["last_header_row"] = raw.first_row + min(frame.height, HEADER_ROWS) - 1
    if s.header_row is None:
        sheet["columns"] = [_column(raw, i, "", "", None, False) for i in range(frame.width)]
        start, limit = 0, NO_TABLE_ROWS
    else:
        fields, cms = column_fields(s, raw.first_col), _cms_columns(s)
        sheet["columns"] = [
            _column(raw, i, h, fields.get(i, ""), s, i in cms) for i, h in enumerate(s.headers)
        ]
        normed = [norm_header(h) for h in s.headers]
        for c in sheet["columns"]:
            # A repeated header names its first column only, so a choice names such a column by letter.
            c["duplicate"] = bool(c["header"]) and normed.count(norm_header(c["header"])) > 1
        start, limit = (s.header_row - raw.first_row + 1 if s.header_row else 0), PREVIEW_ROWS
    sheet["rows"] = [
        {"row": raw.first_row + i, "cells": [_cell(c) for c in cells]}
        for i, cells in _nonblank_rows(frame, start, limit)
    ]
    return sheet


def _column(raw: RawSheet, i: int, header: str, fld: str, s: SheetReport | None, cms: bool) -> dict:
    """One column of the review: letter, header text, role, and how sure the reader was (and why)."""
    ev = (s.evidence.get(fld) or {}) if s is not None and fld else {}
    score = s.confidence.get(fld) if s is not None and fld else None
    return {
        "index": i,
        "letter": column_letter(raw.first_col + i),
        "header": header or "",
        "field": fld,
        "cms": cms,
        "confidence": None if score is None else round(score, 2),
        "evidence": ev.get("content", ""),
        "duplicate": False,
    }
