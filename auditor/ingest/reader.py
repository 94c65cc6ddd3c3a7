"""Read chargemaster-like files into one canonical polars frame, accounting for every row."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import field, replace
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest import normalize as nz
from auditor.ingest import standard_charges
from auditor.ingest.cms_json import read_cms_json
from auditor.ingest.codetypes import code_kind, code_type_counts, declared_type, route
from auditor.ingest.content import filled_count, live_columns
from auditor.ingest.fields import CHARGEMASTER, TableKind, norm_header
from auditor.ingest.guards import DEFAULT_MAX_CELLS, Limits
from auditor.ingest.header import (
    HeaderMatch,
    apply_overrides,
    column_letter,
    holds_named,
    locate,
    named_header_row,
    refine,
)
from auditor.ingest.kinds import carry_view_prices, decide_kinds, sheet_signature
from auditor.ingest.line_status import retired_reason
from auditor.ingest.mend import mend_shifted
from auditor.ingest.probe import probe_workbook
from auditor.ingest.raw import RawSheet, SheetStream
from auditor.ingest.shapes import EXCEL_SCIENTIFIC, RULE_LINE
from auditor.ingest.sniff import DEFAULT_MAX_BYTES, sniff
from auditor.ingest.source import Source
from auditor.ingest.tables import Below, OtherTable, cell_range, split_beside, tables_below
from auditor.ingest.text import read_text
from auditor.lean_dataclass import dataclass

# Canonical chargemaster columns, in order; every value is text except `row` and `price`.
CANONICAL = (
    "file",
    "sheet",
    "row",
    "charge_code",
    "description",
    "revenue_code",
    "revenue_code_raw",
    "code",
    "code_raw",
    "code_source",
    "alt_code",
    "modifiers",
    "modifiers_raw",
    "units",
    "price",
    "price_raw",
    "department",
    "status",
    "effective_from",
    "effective_to",
    "narrative",
    "ndc",
    "setting",
    "code_type",
    "other_code",
    "sheet_kind",
    "other_prices",
)
SCHEMA = {c: pl.String for c in CANONICAL} | {"row": pl.Int64, "price": pl.Float64}
_KEY_FIELDS = ("charge_code", "description", "code", "revenue_code")
# A report's sum row: 'Total', 'Grand Total', 'Subtotal:', 'Total Charges' as the whole cell.
_TOTAL_LINE = r"(?i)^\s*(?:grand\s+|sub\s*-?\s*)?totals?(?:\s+(?:charges|lines|items|amount|count))?\s*:?\s*$"
_TOTAL_FIELDS = ("charge_code", "description")
SHEET_KINDS = ("cdm", "pharmacy", "price_view", "professional_fee", "removed", "summary")
AUDITED_KINDS = ("cdm", "pharmacy", "professional_fee")
SET_ASIDE_KINDS = ("price_view", "removed", "summary")


@dataclass
class SheetChoice:
    """What the user said of one sheet: its header row (0: it has none), its kind, and column overrides."""

    header_row: int | None = None
    kind: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Only what was set, for profiles and the web page."""
        out: dict = {}
        if self.header_row is not None:
            out["header_row"] = self.header_row
        if self.kind:
            out["kind"] = self.kind
        if self.columns:
            out["columns"] = dict(self.columns)
        return out


@dataclass
class IngestOptions:
    """How to read: column overrides (field -> header), a forced header row, sheets to read, a size cap.

    `header_row`, `no_header` and `overrides` apply to every sheet; `per_sheet` refines them sheet by sheet
    (a sheet's own header row, kind and columns win).
    """

    overrides: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None
    sheets: list[str] | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_cells: int = DEFAULT_MAX_CELLS  # a sheet's used range, first to last cell (calamine holds it whole)
    # MB of a child process that reads each workbook first (None: no child), so a workbook that makes the
    # native reader abort or run away fails alone: batch and scheduled runs, the web app.
    reader_memory_mb: int | None = None
    kind: TableKind = CHARGEMASTER
    no_header: bool = False  # every row is data; roles come from content (and --column letters)
    per_sheet: dict[str, SheetChoice] = field(default_factory=dict)

    def for_sheet(self, name: str) -> IngestOptions:
        """These options as they apply to one sheet."""
        choice = self.per_sheet.get(name)
        if choice is None:
            return self
        header_row, no_header = self.header_row, self.no_header
        if choice.header_row is not None:
            header_row, no_header = (None, True) if choice.header_row == 0 else (choice.header_row, False)
        return replace(
            self, header_row=header_row, no_header=no_header, overrides={**self.overrides, **choice.columns}
        )

    def kinds(self) -> dict[str, str]:
        """Sheet name -> kind the user set."""
        return {n: c.kind for n, c in self.per_sheet.items() if c.kind}


@dataclass
class SheetReport:
    """What happened to one sheet: header found, mapping, and the fate of every row."""

    name: str
    header_row: int | None
    columns: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    rows_read: int = 0
    rows_audited: int = 0
    rows_skipped: int = 0
    skipped: list[dict] = field(default_factory=list)
    note: str | None = None
    unmapped: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list, repr=False)
    missing_overrides: list[str] = field(default_factory=list, repr=False)
    kind: str = "cdm"
    kind_reason: str = ""
    linked_to: str | None = None
    column_index: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, dict] = field(default_factory=dict)
    code_types: dict[str, int] = field(default_factory=dict)
    code_pairs: list[list[str]] = field(default_factory=list)  # CMS files: every [code|N, code|N|type] pair
    hidden: bool = False
    # What the sheet's rows say of themselves, for the kind decision (charge codes, descriptions, ...).
    signature: dict = field(default_factory=dict, repr=False)
    tables: list[OtherTable] = field(default_factory=list)  # tables beside or below the main one
    # Stray cells far right of the table, past many empty columns, not read: (cell reference, text).
    stray_cells: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, rows: pl.DataFrame) -> None:
        """Move audited rows (`row`, `reason`) to skipped, each with its reason, in row order."""
        self.rows_audited -= rows.height
        self.rows_skipped += rows.height
        more = [{"row": r, "reason": why} for r, why in rows.select("row", "reason").iter_rows()]
        self.skipped = sorted(self.skipped + more, key=lambda item: item["row"])

    @property
    def audited(self) -> bool:
        """Whether the sheet's rows are audited as live lines (cdm, pharmacy, professional fees; pairing, claims)."""
        return self.header_row is not None and self.kind not in SET_ASIDE_KINDS

    def to_dict(self) -> dict:
        """JSON shape used by `inspect --json` and the audit run record."""
        out = {
            "name": self.name,
            "kind": self.kind,
            "header_row": self.header_row,
            "columns": self.columns,
            "column_index": self.column_index,
            "confidence": {k: round(v, 2) for k, v in self.confidence.items()},
            "rows_read": self.rows_read,
            "rows_audited": self.rows_audited,
            "rows_skipped": self.rows_skipped,
            "skipped": self.skipped,
            "note": self.note,
            "unmapped_headers": self.unmapped,
            "evidence": self.evidence,
            "code_types": self.code_types,
        }
        if self.kind_reason:
            out["kind_reason"] = self.kind_reason
        if self.linked_to is not None:
            out["linked_to"] = self.linked_to
        if self.hidden:
            out["hidden"] = True
        if self.code_pairs:
            out["code_pairs"] = self.code_pairs
        if self.tables:
            out["tables"] = [t.to_dict() for t in self.tables]
        if self.stray_cells:
            out["stray_cells"] = [{"cell": c, "text": t} for c, t in self.stray_cells]
        return out


@dataclass
class FileReport:
    """One input file: its format, hash and sheets."""

    path: str
    format: str
    sha256: str
    size: int
    sheets: list[SheetReport] = field(default_factory=list)
    error: str | None = None  # why the file could not be read at all (its InputError), when it could not

    @classmethod
    def unreadable(cls, source: Source, exc: InputError) -> FileReport:
        """The account of a file that could not be read: its hash and size when it exists, and the error."""
        path, digest, size = Path(source.path), "", 0
        try:
            size = path.stat().st_size if path.is_file() else 0
            digest = file_sha256(path) if 0 < size <= UNREADABLE_HASH_BYTES else ""
        except OSError:
            pass  # no permission or gone: the error already says why it was not read
        return cls(source.name, "unreadable", digest, size, error=str(exc))

    def to_dict(self) -> dict:
        """JSON shape used by `inspect --json`."""
        return {
            "path": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "size": self.size,
            "sheets": [s.to_dict() for s in self.sheets],
            "error": self.error,
        }


# Sheets read at once (see _each_sheet): one more than the cores, as each is partly Python waiting on the GIL.
SHEET_WORKERS = min(3, 1 + (os.cpu_count() or 1))
UNREADABLE_HASH_BYTES = 2 * 1024**3  # an unreadable file is still hashed for the record, unless huge


@dataclass
class Ingested:
    """All audited rows of all inputs in one canonical frame, plus per-file accounts."""

    frame: pl.DataFrame
    files: list[FileReport]

    @property
    def errors(self) -> list[str]:
        """One line per file that could not be read ("FILE: reason")."""
        return [f.error for f in self.files if f.error]

    def skipped_rows(self) -> list[dict]:
        """Every skipped row as {file, sheet, row, reason}."""
        return [
            {"file": f.path, "sheet": s.name, **r} for f in self.files for s in f.sheets for r in s.skipped
        ]


def read_inputs(paths: list[Path | str | Source], options: IngestOptions | None = None) -> Ingested:
    """Read every file (a path, or a Source naming it); each unreadable file fails alone.

    A file that cannot be read, or holds nothing to audit, is kept as a FileReport with its `error` while
    the others are read; when no file can be read, the first file's InputError is raised.
    """
    options = options or IngestOptions()
    frames, reports, failures = [], [], []
    for p in paths:
        source = Source.of(p)
        try:
            frame, report = _read_one(source, options)
        except InputError as exc:
            failures.append(exc)
            reports.append(FileReport.unreadable(source, exc))
            continue
        frames.append(frame)
        reports.append(report)
    if failures and not frames:
        raise failures[0]
    seen = {s.name for r in reports for s in r.sheets}
    for name in options.per_sheet:
        if name not in seen:
            raise InputError(
                "--sheet-kind" if options.per_sheet[name].kind else "profile",
                f"no sheet named {name!r} in the files; sheets are: {', '.join(sorted(seen))}",
            )
    frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=SCHEMA)
    return Ingested(frame, reports)


def _read_one(source: Source, options: IngestOptions) -> tuple[pl.DataFrame, FileReport]:
    """One file read, refused when it holds nothing to audit (that must not pass for a clean audit)."""
    frame, report = read_file(source, options)
    tables = [
        s
        for s in report.sheets
        if s.header_row is not None and (s.kind in AUDITED_KINDS or options.kind is not CHARGEMASTER)
    ]
    if not tables:
        raise InputError(
            source.name,
            f"no table found in {Path(source.name).name} to audit as {_TABLE_NAMES.get(options.kind.name, 'a table')} "
            f"({_why_nothing(report)})",
        )
    if not any(s.rows_read for s in tables):
        # A header and nothing under it (an export cut off, an empty query) must not pass for a clean audit.
        where = "; ".join(f"sheet {s.name!r}, header on row {s.header_row}" for s in tables)
        raise InputError(source.name, f"the table has a header but no rows under it ({where})")
    return frame, report


# What a file was read as, in a refusal.
_TABLE_NAMES = {"chargemaster": "a chargemaster", "pairing": "a pairing table", "claim": "claim lines"}
# How a refusal names the kind of a sheet set aside ('is a removed' read badly).
_KIND_WORDS = {
    "removed": "lists removed or inactive items",
    "summary": "is a summary",
    "price_view": "is a price view of another sheet",
}


def _why_nothing(report: FileReport) -> str:
    """Per sheet, why it holds nothing to audit."""
    notes = []
    for s in report.sheets:
        if s.header_row is None:
            notes.append(f"sheet {s.name!r}: {s.note}" if s.note else f"sheet {s.name!r}: empty")
        else:
            notes.append(f"sheet {s.name!r} {_KIND_WORDS.get(s.kind, 'is a ' + s.kind)}: {s.kind_reason}")
    return "; ".join(notes) or "it has no sheets"


def read_file(path: Path | Source, options: IngestOptions) -> tuple[pl.DataFrame, FileReport]:
    """Read one file into canonical rows and its report; rows, report and messages carry the Source's name."""
    path, name = Source.of(path)
    sniffed = sniff(path, options.max_bytes, name)
    digest = file_sha256(path)
    with _raw_sheets(path, sniffed.kind, name, options) as book:
        raws = book.sheets
        if options.sheets:
            for wanted in options.sheets:
                if wanted not in book.names:
                    raise InputError(
                        name, f"no sheet named {wanted!r}; sheets are: {', '.join(sorted(set(book.names)))}"
                    )
            raws = (r for r in raws if r.name in options.sheets)
        report = FileReport(name, book.format, digest, sniffed.size)
        frames = []
        for frame, sheet_report in _each_sheet(name, raws, options):
            report.sheets.append(sheet_report)
            frames.append(frame)
    if options.kind is CHARGEMASTER:
        decide_kinds(report.sheets, options.kinds())
        frames = carry_view_prices(frames, report.sheets)
        frames = [_set_aside(f, rep) for f, rep in zip(frames, report.sheets, strict=False)]
    frames = [f for f in frames if f is not None]
    tabled = [s for s in report.sheets if s.header_row is not None]
    for wanted in options.overrides.values():
        if tabled and all(wanted in s.missing_overrides for s in tabled):
            first = tabled[0]
            raise InputError(
                name,
                f"no column headed {wanted!r}; headers are: "
                + ", ".join(repr(h) for h in first.headers if h),
                sheet=first.name,
                row=first.header_row,
            )
    heads = {norm_header(h) for s in report.sheets for h in s.headers}
    if "CODE 1" in heads and report.format != "cms-json":
        report.format = f"cms-{report.format}-" + ("tall" if standard_charges.TALL in heads else "wide")
    frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=SCHEMA)
    return frame, report  # an empty frame keeps the chargemaster schema; callers check the sheet reports


def _each_sheet(
    name: str, raws: Iterator[RawSheet], options: IngestOptions
) -> Iterator[tuple[pl.DataFrame | None, SheetReport]]:
    """read_sheet of each raw sheet, in sheet order, a few at a time: the header search and projection are half
    polars work outside the GIL, so one sheet's Python overlaps another's queries (a 12-sheet workbook)."""
    with ThreadPoolExecutor(SHEET_WORKERS, thread_name_prefix="cdm-audit-sheet") as pool:
        pending: list = []
        try:
            for raw in raws:
                pending.append(pool.submit(read_sheet, name, raw, options.for_sheet(raw.name)))
                while pending and pending[0].done():
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for job in pending:  # a failure (or a caller that stops) leaves no sheet queued
                job.cancel()


@contextmanager
def _raw_sheets(path: Path, kind: str, name: str, options: IngestOptions) -> Iterator[SheetStream]:
    """The file's raw sheets: a workbook's as calamine loads them (the next loads while one is read), a text
    or CMS JSON file's read whole."""
    if kind in ("xlsx", "xlsm", "xlsb", "xls"):
        if options.reader_memory_mb:
            probe_workbook(path, kind, name, options.max_cells, options.reader_memory_mb)
        from auditor.ingest.excel import stream_excel  # on use: a text file needs no workbook reader

        with stream_excel(path, kind, name, Limits(max_cells=options.max_cells)) as book:
            yield book
    elif kind == "json":
        yield SheetStream.of("cms-json", read_cms_json(path, name))
    else:
        sheets, fmt = read_text(path, name)
        yield SheetStream.of(fmt, sheets)


def _set_aside(frame: pl.DataFrame | None, rep: SheetReport) -> pl.DataFrame | None:
    """Keep a live sheet's rows (tagged with its kind); list the rows of any other sheet as skipped, with why."""
    if frame is None:
        return None
    if rep.kind in AUDITED_KINDS:
        return frame.with_columns(sheet_kind=pl.lit(rep.kind))
    why = {
        "price_view": f"price view of sheet {rep.linked_to!r} (the same items with other prices): audited once, "
        "through that sheet",
        "removed": "the sheet lists removed or inactive items: not audited as live lines",
        "summary": f"the sheet is not a list of line items ({rep.kind_reason}): not audited",
    }[rep.kind]
    rep.skipped = [{"row": r, "reason": why} for r in frame.get_column("row").to_list()] + rep.skipped
    rep.skipped.sort(key=lambda item: item["row"])
    rep.rows_skipped += rep.rows_audited
    rep.rows_audited = 0
    return None


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file bytes, for the compliance record."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sheet(path: str, raw: RawSheet, options: IngestOptions) -> tuple[pl.DataFrame | None, SheetReport]:
    """Find the header, map columns, normalise, and sort rows into audited and skipped."""
    kind = options.kind
    if raw.frame is None:
        return None, SheetReport(
            raw.name,
            None,
            note=raw.note or "sheet is empty",
            kind="summary",
            kind_reason=raw.note or "sheet is empty",
            hidden=raw.hidden,
        )
    frame = raw.frame
    # A streamed chunk carries its own row numbers (its rows are not contiguous from first_row).
    row_numbers = frame.get_column("_row") if "_row" in frame.columns else None
    if row_numbers is not None:
        frame = frame.drop("_row")
    others: list[OtherTable] = []
    aside = standard_charges.SetAside(frame)
    if kind is CHARGEMASTER and row_numbers is None:
        aside = standard_charges.set_aside(frame, options.overrides.values())
        frame, raw = aside.frame, replace(raw, frame=aside.frame) if aside.note else raw
    if kind is CHARGEMASTER and row_numbers is None and options.header_row is None and not options.no_header:
        # A table beside the main one (past blank columns) is set apart, never read with the main columns.
        # The emptied payer columns part no tables: they are the same table's columns, only not read.
        raw, others = split_beside(raw, frame, kind, bridge=aside.columns)
        frame = raw.frame
    match = _locate_header(path, raw, frame, options)
    if match is None:
        return None, _no_table(raw, frame.select(filled_count(frame)).to_series() > 0, options.kind)
    # An override naming a header this sheet lacks is fine while another sheet has it; read_file
    # refuses only overrides that match no sheet at all.
    absent = apply_overrides(match, options.overrides, kind, raw.first_col)
    marks = _row_marks(frame, match, [norm_header(h) for h in match.headers])
    below = (
        tables_below(frame, marks.get_column("filled"), match, kind)
        if kind is CHARGEMASTER and row_numbers is None and not match.headerless
        else []
    )
    split = next((t.header for t in below if not t.same), None)
    if split is not None and (alone := _locate_header(path, raw, frame.head(split), options)) is not None:
        # The main table's roles from its own rows, not from those of another table under it.
        match = alone
        absent = apply_overrides(match, options.overrides, kind, raw.first_col)
        marks = _row_marks(frame, match, [norm_header(h) for h in match.headers])
        below = tables_below(frame, marks.get_column("filled"), match, kind)
    stop = below[0].header if below else frame.height
    parts = [_read_rows(path, raw, frame, row_numbers, match, marks, match.index + 1, stop, kind)]
    for t in below:
        parts.append(_read_below(path, raw, frame, match, marks, t, options, others))
    canon = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
    extra = [(r, o.reason) for o in others for r in o.rows]
    extra += [(raw.first_row + i, standard_charges.ONLY_PAYER_RATES) for i in aside.rows]
    skipped = canon.filter(pl.col("_skip").is_not_null())
    audited = canon.filter(pl.col("_skip").is_null()).drop("_skip")
    folded, tall_note = [], None
    if (
        kind is CHARGEMASTER
        and match.cms_codes
        and standard_charges.TALL in {norm_header(h) for h in match.headers}
    ):
        audited, folded, tall_note = standard_charges.fold_payer_rows(audited)
    skips = [{"row": r, "reason": why} for r, why in skipped.select("row", "_skip").iter_rows()]
    if extra or folded:
        more = [{"row": r, "reason": why} for r, why in (*extra, *folded)]
        skips = sorted(skips + more, key=lambda item: item["row"])
    order = _field_order(match, kind)
    rep = SheetReport(
        raw.name,
        header_row=0 if match.headerless else raw.first_row + match.index,
        columns={k: match.header_of(k, raw.first_col) for k in order},
        confidence={k: match.confidence.get(k, 1.0) for k in order},
        rows_read=canon.height + len(extra),
        rows_audited=audited.height,
        rows_skipped=skipped.height + len(extra) + len(folded),
        skipped=skips,
        unmapped=[
            h
            for i, h in enumerate(match.headers)
            if h
            and not any(i in cols for cols in match.mapping.values())
            and not any(i in pair for pair in match.cms_codes)
        ],
        headers=match.headers,
        column_index={k: raw.first_col + match.mapping[k][0] + 1 for k in order},
        evidence=_evidence(match, order, raw.first_col),
        hidden=raw.hidden,
        # Pairing tables and claim lines are their own kind of table; sheet kinds sort chargemasters.
        kind="cdm" if kind is CHARGEMASTER else kind.name,
        tables=others,
        stray_cells=list(raw.stray),
    )
    if match.cms_codes:
        # The first code|N / code|N|type pair stands for the code and code-type roles; every pair is read.
        code_col, type_col = match.cms_codes[0]
        rep.columns |= {"cpt": match.headers[code_col], "code_type": match.headers[type_col]}
        rep.column_index |= {"cpt": raw.first_col + code_col + 1, "code_type": raw.first_col + type_col + 1}
        rep.code_pairs = [[match.headers[c], match.headers[t]] for c, t in match.cms_codes]
    if kind is CHARGEMASTER:
        audited, moved = _revenue_in_code(audited)  # first: the code types count what is audited
        rep.code_types = code_type_counts(audited)
        if match.cms_codes and (ndcs := audited.get_column("ndc").is_not_null().sum()):
            rep.code_types["NDC"] = int(ndcs)  # an NDC rides in a code pair beside the line's code
        retired = (
            skipped.select((pl.col("_skip") == retired_reason(match)).sum()).item() if skipped.height else 0
        )
        rep.signature = sheet_signature(audited, match, retired)
        notes = (_unread_prices(audited), _rounded_codes(audited), moved, aside.note, tall_note)
        rep.note = "; ".join(n for n in notes if n) or rep.note
    rep.missing_overrides = absent
    return audited, rep


def _read_below(
    path: str,
    raw: RawSheet,
    frame: pl.DataFrame,
    match: HeaderMatch,
    marks: pl.DataFrame,
    t: Below,
    options: IngestOptions,
    others: list[OtherTable],
) -> pl.DataFrame:
    """Rows of a table below the main one: read with the main columns when it repeats them, else with its own.

    Its header row, and every row of a table that is no chargemaster, go on `others` to be listed as skipped.
    """
    header = raw.first_row + t.header
    if t.same:
        # The main table's header again after blank rows: the main table goes on, as after a page break.
        canon = _read_rows(path, raw, frame, None, match, marks, t.header, t.stop, options.kind)
        again = (pl.col("row") == header) & pl.col("_skip").is_null()
        return canon.with_columns(
            pl.when(again).then(pl.lit("repeated header row")).otherwise("_skip").alias("_skip")
        )
    rng = cell_range(raw, frame, marks.get_column("filled"), t.header, t.stop)
    if t.match is None:
        reason = (
            f"second table at {rng} below the main table (header on row {header}): not read; it is not a "
            "chargemaster (no charge code, CPT/HCPCS or description column)"
        )
        rows = (marks.get_column("filled").slice(t.header, t.stop - t.header) > 0).arg_true()
        others.append(OtherTable("below", rng, header, reason, rows=[header + int(i) for i in rows]))
        return _read_rows(path, raw, frame, None, match, marks, t.header, t.header, options.kind)
    own = t.match
    apply_overrides(own, options.overrides, options.kind, raw.first_col)
    part = frame.slice(t.header, t.stop - t.header)
    sub = replace(raw, frame=part, first_row=header)
    own_marks = _row_marks(part, own, [norm_header(h) for h in own.headers])
    canon = _read_rows(path, sub, part, None, own, own_marks, 1, part.height, options.kind)
    reason = f"header row of a second table at {rng} below the main table, read with its own columns"
    others.append(_read_table("below", rng, header, reason, own, canon, options.kind, raw.first_col))
    return canon


def _read_table(
    where: str,
    rng: str,
    header: int,
    reason: str,
    match: HeaderMatch,
    canon: pl.DataFrame,
    kind: TableKind,
    first_col: int = 0,
) -> OtherTable:
    """A further table whose rows were read: its header row listed as skipped, its roles and row counts."""
    skipped = canon.filter(pl.col("_skip").is_not_null()).height
    return OtherTable(
        where,
        rng,
        header,
        reason,
        rows=[header],
        read=True,
        columns={k: match.header_of(k, first_col) for k in _field_order(match, kind)},
        rows_audited=canon.height - skipped,
        rows_skipped=skipped,
    )


def _read_rows(
    path: str,
    raw: RawSheet,
    frame: pl.DataFrame,
    row_numbers: pl.Series | None,
    match: HeaderMatch,
    marks: pl.DataFrame,
    start: int,
    stop: int,
    kind: TableKind,
) -> pl.DataFrame:
    """Canonical rows of frame rows start..stop-1 read with `match`'s roles, each with why it is skipped or null."""
    header_norm = [norm_header(h) for h in match.headers]
    marks = marks.slice(start, stop - start)
    filled = marks.get_column("filled")
    nonblank = filled > 0
    numbers = (
        row_numbers.slice(start, stop - start).cast(pl.Int64)
        if row_numbers is not None
        else pl.int_range(raw.first_row + start, raw.first_row + stop, dtype=pl.Int64)
    )
    data = (
        frame.lazy()
        .slice(start, stop - start)
        .with_columns(numbers.alias("_row"))
        .filter(nonblank)
        .collect(engine="in-memory")
    )
    shifted = None
    if raw.delimited:
        data, shifted = mend_shifted(data, match, raw.delimiter)
    maybe = marks.filter(nonblank)
    repeated = _confirm(
        data, maybe.get_column("repeat"), lambda part: _repeated_header(part, match, header_norm)
    )
    rule = _confirm(data, maybe.get_column("rule"), lambda part: _rule_lines(part.select(frame.columns)))
    if kind is CHARGEMASTER:
        canon = _canonical(path, raw.name, data, match)
        no_key = pl.all_horizontal([pl.col(f).is_null() for f in _KEY_FIELDS + ("other_code",)])
        missing = "charge code, description, CPT/HCPCS or revenue code"
        # "Total lines: 3" or "End of report" under the charge code column would otherwise pass as a charge code.
        lone = (
            pl.lit(filled.filter(nonblank) == 1)
            & pl.col("code").is_null()
            & pl.col("revenue_code").is_null()
            & pl.col("price").is_null()
        )
        # "Grand Total" under the charge code or description, no code or revenue code: a report's sum, no item.
        total = (
            pl.col("code").is_null()
            & pl.col("revenue_code").is_null()
            & pl.any_horizontal(pl.col(f).str.contains(_TOTAL_LINE).fill_null(False) for f in _TOTAL_FIELDS)
        )
        # A line the sheet's own status column retires is not charged: neither flagged nor counted as the
        # companion another line needs.
        retired = retired_reason(match)
    else:
        canon = kind.extra.get("project", _generic)(path, raw.name, data, match, kind)
        no_key = pl.all_horizontal([pl.col(f).is_null() for f in kind.extra["key_fields"]])
        missing = " or ".join(kind.spec(f).label for f in kind.extra["key_fields"])
        lone = total = pl.lit(False)
        retired = pl.lit(None, dtype=pl.String)
    shifted_reason = shifted if shifted is not None else pl.Series([None] * data.height, dtype=pl.String)
    return canon.with_columns(
        pl.when(shifted_reason.is_not_null())
        .then(shifted_reason)
        .when(repeated)
        .then(pl.lit("repeated header row"))
        .when(rule)
        .then(pl.lit("a rule line (dashes), not data"))
        .when(no_key)
        .then(pl.lit(f"no {missing} on this row"))
        .when(lone)
        .then(pl.lit("only one cell filled and no code, revenue code or price (a note or footer line)"))
        .when(total)
        .then(pl.lit("a total line (no code or revenue code), not an item"))
        .otherwise(retired)
        .alias("_skip")
    )


def _quoted(values: pl.Series, most: int = 3) -> str:
    """The first `most` distinct values, quoted, as a sheet note's examples."""
    return ", ".join(f"'{v}'" for v in values.unique(maintain_order=True).head(most))


def _unread_prices(rows: pl.DataFrame) -> str | None:
    """Why some rows have no price although their price cell holds digits (a range, two amounts), or None.

    Text without a digit ('Varies', 'N/A') plainly is no price; digits that read as no amount are said, so
    that nobody takes the price checks' silence on those rows for a pass.
    """
    lost = rows.filter(pl.col("price").is_null() & pl.col("price_raw").str.contains(r"[0-9]"))
    if lost.height == 0:
        return None
    shown = _quoted(lost.get_column("price_raw"))
    many = lost.height > 1
    return (
        f"{lost.height:,} price cell{'s' if many else ''} not read as one amount (e.g. {shown}): "
        f"{'those rows are' if many else 'that row is'} audited without a price"
    )


def _revenue_in_code(rows: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    """Lines whose CPT/HCPCS cell holds their own revenue code ('0278', or '278' from a number column), read as
    lines without a CPT/HCPCS code, and the sheet's note saying how many, or None.

    An export that fills the code column of supply lines this way made each a code error: '278' padded to
    '00278' read as a deleted anesthesia code, '0278' as a malformed one, hundreds of lines at a time.
    """
    raw = pl.col("code_raw").str.strip_chars().str.replace(r"\.0+$", "")
    hit = (
        pl.col("code").is_not_null()
        & raw.str.contains(r"^[0-9]{3,4}$")
        & (raw.str.zfill(4) == pl.col("revenue_code")).fill_null(False)
    )
    shown = rows.filter(hit).get_column("code_raw")
    if not shown.len():
        return rows, None
    blank = [
        pl.when(hit).then(None).otherwise(pl.col(c)).alias(c) for c in ("code", "code_type", "code_source")
    ]
    note = (
        f"{shown.len():,} line{'s' if shown.len() > 1 else ''} carry their own revenue code in the CPT/HCPCS "
        f"column ({_quoted(shown)}): read as lines without a CPT/HCPCS code"
    )
    return rows.with_columns(blank), note


def _rounded_codes(rows: pl.DataFrame) -> str | None:
    """Charge codes or NDCs Excel saved in scientific notation ('1.23457E+13'), said with examples, or None.

    Their digits are gone: the lines stay audited, but no two of them can be told apart by their code.
    """
    said = []
    for name, label in (("charge_code", "charge code"), ("ndc", "NDC")):
        values = rows.get_column(name).drop_nulls()
        hit = values.filter(values.str.contains(EXCEL_SCIENTIFIC))
        if hit.len():
            said.append(
                f"{hit.len():,} {label}{'s' if hit.len() > 1 else ''} in Excel's scientific notation "
                f"({_quoted(hit, 2)})"
            )
    if not said:
        return None
    return (
        f"{' and '.join(said)}: Excel rounded them when the file was saved, so their digits are lost; "
        "export the column as text (duplicate-charge-code checks leave them out)"
    )


def _no_table(raw: RawSheet, nonblank: pl.Series, kind: TableKind = CHARGEMASTER) -> SheetReport:
    """A sheet without a table: every non-blank row listed as skipped, the sheet called a summary."""
    rows = [raw.first_row + i for i in nonblank.arg_true().to_list()]
    if kind is CHARGEMASTER:
        reason = (
            "no table found in the first 30 rows (no header naming a charge code, CPT/HCPCS or description "
            "column, and no columns whose content is clearly codes, descriptions and prices), so it is "
            "treated as notes; if it does hold charges, name its header row and columns (--header-row, "
            "--no-header, --column, or the mapping review on the web page)"
        )
    else:
        # A pairing table or claim lines: say what that kind's header must name, not a chargemaster's.
        named = " or ".join(f"a {kind.spec(a).label} column" for a in kind.anchors)
        like = ", ".join(f"'{kind.spec(a).aliases[0].title()}'" for a in kind.anchors)
        reason = (
            f"no table found in the first 30 rows (no header naming {named}, such as {like}), so it is "
            "treated as notes"
        )
    return SheetReport(
        raw.name,
        None,
        note=reason,
        rows_read=len(rows),
        rows_skipped=len(rows),
        skipped=[{"row": r, "reason": "sheet has no recognisable table"} for r in rows],
        kind="summary",
        kind_reason="no table of line items",
        hidden=raw.hidden,
    )


def _evidence(match: HeaderMatch, order: list[str], first_col: int) -> dict[str, dict]:
    """Per role: the header and content facts behind the choice, and the runner-up column when it was close."""
    out = {}
    for k in order:
        ev = match.evidence.get(k)
        if ev is None:
            continue
        item = {
            "score": round(ev.score, 2),
            "header": "exact" if ev.header >= 1 else ("partial" if ev.header > 0 else "none"),
            "content": ev.content,
        }
        if ev.runner_up is not None:
            col, score = ev.runner_up
            item["runner_up"] = {
                "column_index": first_col + col + 1,
                "header": match.headers[col] or f"column {column_letter(first_col + col)}",
                "score": round(score, 2),
            }
        out[k] = item
    return out


def _field_order(match: HeaderMatch, kind: TableKind) -> list[str]:
    """Mapped fields in the table kind's display order."""
    return [n for n in kind.names if n in match.mapping]


def _locate_header(
    path: str, raw: RawSheet, frame: pl.DataFrame, options: IngestOptions
) -> HeaderMatch | None:
    """Auto-detect the header (or a headerless table), or use the row the user named."""
    if options.header_row is not None:
        idx = options.header_row - raw.first_row
        if idx < 0 or idx >= min(frame.height, 40):
            raise InputError(
                path,
                f"--header-row {options.header_row} is outside the first rows of the sheet",
                sheet=raw.name,
            )
        return locate(frame, options.kind, header_row=idx)
    if options.no_header:
        return locate(frame, options.kind, no_header=True)
    found = locate(frame, options.kind)
    if options.overrides and not holds_named(found, options.overrides.values()):
        # The user named columns by their header text (--column claim_id="Hospital Account"): the row holding
        # those texts is the header, though its other words name no role the search knows.
        named = named_header_row(frame, options.overrides.values())
        if named is not None:
            return locate(frame, options.kind, header_row=named)
    return refine(frame, found, options.kind) if found is not None else None


def _row_marks(frame: pl.DataFrame, match: HeaderMatch, header_norm: list[str]) -> pl.DataFrame:
    """One pass over every row: filled cells, and cheap hints of a rule line or a repeated header."""
    live = live_columns(frame)
    filled = filled_count(frame, live)
    rule = pl.any_horizontal(
        [pl.col(c).str.contains(r"^\s*[\-=_~\*]{3}").fill_null(False) for c in live]
        or [pl.repeat(False, pl.len())]
    )
    cols = [i for cols in match.mapping.values() for i in cols if header_norm[i]][:4]
    # Only rows whose cells contain a header word can repeat the header.
    # A case-blind regex of the literal word: half the cost of upper-casing every cell first.
    repeat = (
        pl.any_horizontal(
            [
                pl.col(f"c{i}").str.contains("(?i)" + re.escape(header_norm[i].split()[0])).fill_null(False)
                for i in cols
            ]
        )
        if cols
        else pl.lit(False)
    )
    return frame.select(filled.alias("filled"), rule.alias("rule"), repeat.alias("repeat"))


def _confirm(data: pl.DataFrame, maybe: pl.Series, check) -> pl.Series:
    """Run an exact row check only on the rows a cheap hint marked; False elsewhere."""
    out = pl.Series([False] * data.height, dtype=pl.Boolean)
    if not maybe.any():
        return out
    return out.scatter(maybe.arg_true(), check(data.filter(maybe)))


def _rule_lines(frame: pl.DataFrame) -> pl.Series:
    """Rows whose every filled cell is a rule of dashes or equals signs (printed reports pasted into a sheet)."""
    rule = [pl.col(c).str.contains(RULE_LINE).fill_null(False) for c in frame.columns]
    return frame.select(
        pl.any_horizontal(rule) & (filled_count(frame) == pl.sum_horizontal(rule))
    ).to_series()


def _repeated_header(data: pl.DataFrame, match: HeaderMatch, header_norm: list[str]) -> pl.Series:
    """Rows that repeat the header text (page breaks in exported reports)."""
    cols = [i for cols in match.mapping.values() for i in cols if header_norm[i]][:4]
    if not cols:
        return pl.Series([False] * data.height, dtype=pl.Boolean)
    hits = [
        (
            pl.col(f"c{i}").str.to_uppercase().str.replace_all(r"[^A-Z0-9]+", " ").str.strip_chars()
            == header_norm[i]
        )
        .fill_null(False)
        .cast(pl.Int8)
        for i in cols
    ]
    return data.select(pl.sum_horizontal(hits) >= max(2, len(cols) // 2 + 1)).to_series()


def _col(match: HeaderMatch, name: str) -> str | None:
    """Frame column feeding a single-valued field, or None."""
    cols = match.mapping.get(name)
    return f"c{cols[0]}" if cols else None


def _canonical(path: str, sheet: str, data: pl.DataFrame, match: HeaderMatch) -> pl.DataFrame:
    """Project mapped columns onto the canonical schema with normalised values beside the raw ones."""

    def text(name: str) -> pl.Expr:
        cols = match.mapping.get(name)
        if cols and len(cols) > 1:  # a description split over columns ('Description 1', 'Description 2')
            return nz.clean_text(
                pl.concat_str(
                    [pl.col(f"c{i}").str.strip_chars() for i in cols], separator=" ", ignore_nulls=True
                )
            )
        return nz.clean_text(f"c{cols[0]}") if cols else pl.lit(None, dtype=pl.String)

    mod_cols = [f"c{i}" for i in match.mapping.get("modifiers", [])]
    cheap: dict[str, pl.Expr] = {
        "file": pl.lit(path),
        "sheet": pl.lit(sheet),
        "row": pl.col("_row"),
        "charge_code": text("charge_code"),
        "description": text("description"),
        "units": text("units"),
        "department": text("department"),
        "status": text("status"),
        "narrative": text("narrative"),
        "ndc": text("ndc"),
        "setting": text("setting"),
        "modifiers_raw": (
            pl.concat_str([pl.col(c) for c in mod_cols], separator=" ", ignore_nulls=True)
            if mod_cols
            else pl.lit(None, dtype=pl.String)
        ),
    }
    price = _col(match, "price")
    cheap["price_raw"] = nz.clean_text(price) if price else pl.lit(None, dtype=pl.String)
    cheap["price"] = nz.money(price) if price else pl.lit(None, dtype=pl.Float64)
    stages, codes = _codes(match)
    revenue = ("revenue_code", "revenue_code_raw")
    # Regex-heavy normalisation runs once per distinct raw value: a 100k-row chargemaster holds a few
    # thousand distinct codes, a few dozen revenue codes and modifier sets.
    groups = [
        ({k: v for k, v in codes.items() if k not in revenue}, stages),
        ({k: codes[k] for k in revenue}, []),
        ({"_mods": nz.modifiers(mod_cols)}, []),
    ]
    for name in ("effective_from", "effective_to"):
        c = _col(match, name)
        groups.append(({name: nz.iso_date(c) if c else pl.lit(None, dtype=pl.String)}, []))
    overridden = {k for g, _ in groups for k in g}  # CMS files take charge code and NDC from code pairs
    # The plain columns and every group's distinct-value plan run as one collect_all: each group is half a
    # dozen small steps, and a small sheet paid for them one query at a time.
    lazy = data.lazy()
    plain, *parts = pl.collect_all(
        [
            lazy.select(**{k: v for k, v in cheap.items() if k not in overridden}),
            *(nz.by_distinct(lazy, g, st) for g, st in groups),
        ],
        engine="in-memory",
    )
    out = plain.hstack([s for part in parts for s in part.get_columns()])
    merged = nz.by_distinct(out.lazy(), {"modifiers": nz.merge_modifiers(pl.col("_mods"), pl.col("_glued"))})
    return (
        out.hstack(merged.collect(engine="in-memory").get_columns())
        .lazy()
        .with_columns(
            modifiers_raw=pl.col("modifiers_raw").str.strip_chars().replace("", None),
            # An NDC in the code column is the line's NDC when no NDC column says otherwise.
            ndc=pl.coalesce(pl.col("ndc"), pl.when(pl.col("code_type") == "NDC").then(pl.col("other_code"))),
            sheet_kind=pl.lit("cdm"),
            other_prices=pl.lit(None, dtype=pl.String),
        )
        .select([pl.col(c).cast(SCHEMA[c]) for c in CANONICAL])
        .collect(engine="in-memory")
    )


def _generic(path: str, sheet: str, data: pl.DataFrame, match: HeaderMatch, kind: TableKind) -> pl.DataFrame:
    """Project a non-chargemaster table (pairing table, claim lines): codes normalised, the rest trimmed text."""
    exprs = {"file": pl.lit(path), "sheet": pl.lit(sheet), "row": pl.col("_row")}
    for spec in kind.fields:
        c = _col(match, spec.name)
        if c is None:
            exprs[spec.name] = pl.lit(None, dtype=pl.String)
        elif spec.name in kind.extra.get("code_fields", ()):
            # A multi-column role ('Device 1', 'Device 2') holds its codes comma-joined, in sheet order. Only
            # code-shaped values join: beside 'Device HCPCS', a 'Device Code' column of charge numbers is no
            # second link (a row with no code-shaped value keeps its first column's, as a single column does).
            # A cell of such a role may list several codes itself ('C1767 or C1820'): each is a link.
            cols = sorted(match.mapping[spec.name]) if spec.multi else [match.mapping[spec.name][0]]
            codes = [nz.code_parts(f"c{i}")[0] for i in cols]
            if spec.multi:
                codes = [pl.coalesce(nz.code_list(f"c{i}"), c) for i, c in zip(cols, codes, strict=True)]
            shaped = [pl.when(c.str.contains(nz.ANY_CODES_SHAPE)).then(c) for c in codes]
            exprs[spec.name] = (
                codes[0]
                if len(codes) == 1
                else pl.coalesce(
                    pl.concat_str(shaped, separator=",", ignore_nulls=True).replace("", None), codes[0]
                )
            )
        else:
            exprs[spec.name] = nz.clean_text(c)
    return data.select(**exprs)


def _codes(match: HeaderMatch) -> tuple[list[dict[str, pl.Expr]], dict[str, pl.Expr]]:
    """Expressions for code, code type, other code, code_raw, code_source, revenue codes and glued modifiers,
    after the helper stages they read (see normalize.by_distinct)."""
    none = pl.lit(None, dtype=pl.String)
    rev = _col(match, "revenue_code")
    out = {
        "revenue_code_raw": nz.clean_text(rev) if rev else none,
        "revenue_code": nz.revenue_code(rev) if rev else none,
    }
    if match.cms_codes:
        return [], out | _cms_codes(match)
    cpt, hcpcs = _col(match, "cpt"), _col(match, "hcpcs")
    if not (cpt or hcpcs):
        return [], out | {
            "code": none,
            "alt_code": none,
            "code_raw": none,
            "code_source": none,
            "_glued": none,
            "code_type": none,
            "other_code": none,
        }
    c_code, c_mod = nz.code_parts(cpt) if cpt else (none, none)
    h_code, h_mod = nz.code_parts(hcpcs) if hcpcs else (none, none)
    raw_h = nz.clean_text(hcpcs) if hcpcs else none
    raw_c = nz.clean_text(cpt) if cpt else none
    declared = _col(match, "code_type")
    h, c, raw = pl.col("_h"), pl.col("_c"), pl.col("_raw")
    # HCPCS Level II wins where both are filled: OPPS bills the C-/Q-code for devices and products.
    code = pl.coalesce(h, c)
    # Staged: each part is computed once into a helper column and read by name, not recomputed per use.
    stages = [
        {"_h": h_code, "_c": c_code, "_raw": pl.coalesce(raw_h, raw_c), "_mod": pl.coalesce(h_mod, c_mod)},
        {"_kind": code_kind(code, raw, declared_type(declared) if declared else None)},
    ]
    routed = route(code, raw, pl.col("_kind"))
    ndc_like = raw.str.contains(r"^[0-9]{10,11}$|^[0-9]{4,5}-[0-9]{3,4}-[0-9]{1,2}$").fill_null(False)
    return stages, out | routed | {
        "alt_code": pl.when(h.is_not_null() & c.is_not_null() & (h != c)).then(c).otherwise(None),
        "code_raw": raw,
        "code_source": pl.when(routed["code"].is_not_null()).then(pl.lit("column")).otherwise(None),
        # An NDC such as 00409116202 is not a code with modifiers glued on.
        "_glued": pl.when(ndc_like).then(None).otherwise(pl.col("_mod")),
    }


def _cms_codes(match: HeaderMatch) -> dict[str, pl.Expr]:
    """Pick charge code, CPT/HCPCS and revenue code out of CMS `code|N` / `code|N|type` pairs."""

    def first_of(types: tuple[str, ...], skip: int = 0) -> pl.Expr:
        picks = [
            pl.when(pl.col(f"c{t}").str.strip_chars().str.to_uppercase().is_in(types))
            .then(pl.col(f"c{c}"))
            .otherwise(None)
            for c, t in match.cms_codes
        ]
        if skip:
            picks = picks[skip:]
        return pl.coalesce(picks) if picks else pl.lit(None, dtype=pl.String)

    codes = [
        (pl.col(f"c{t}").str.strip_chars().str.to_uppercase().is_in(("CPT", "HCPCS")), f"c{c}")
        for c, t in match.cms_codes
    ]
    tmp_cols = [pl.when(flag).then(pl.col(c)).otherwise(None) for flag, c in codes]
    code_raw = pl.coalesce(tmp_cols) if tmp_cols else pl.lit(None, dtype=pl.String)
    code = code_raw.str.strip_chars().str.to_uppercase().str.replace(r"\.0+$", "")
    alt = (
        pl.concat_list(tmp_cols).list.drop_nulls().list.get(1, null_on_oob=True)
        if len(tmp_cols) > 1
        else pl.lit(None, dtype=pl.String)
    )
    charge = first_of(("CDM", "LOCAL"))
    rev_raw = first_of(("RC",))
    return {
        "charge_code": nz.clean_text(charge),
        "code": pl.when(code == "").then(None).otherwise(code),
        "alt_code": alt,
        "code_raw": code_raw,
        "code_source": pl.when(code_raw.is_not_null()).then(pl.lit("column")).otherwise(None),
        "revenue_code_raw": rev_raw,
        "revenue_code": nz.revenue_code(rev_raw),
        "ndc": nz.clean_text(first_of(("NDC",))),
        "_glued": pl.lit(None, dtype=pl.String),
        "code_type": pl.when(code_raw.is_not_null())
        .then(
            pl.coalesce(
                [
                    pl.when(flag).then(pl.col(f"c{t}").str.strip_chars().str.to_uppercase())
                    for (flag, _), (_, t) in zip(codes, match.cms_codes, strict=False)
                ]
            )
        )
        .otherwise(None)
        if codes
        else pl.lit(None, dtype=pl.String),
        "other_code": pl.lit(None, dtype=pl.String),
    }
