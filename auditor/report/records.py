"""The run record and summary of findings.json as frozen dataclasses; to_dict() gives the JSON contract's shape."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

from auditor.lean_dataclass import dataclass

SEVERITIES = ("error", "warning", "info")


def plain(value):
    """Records, tuples and dicts as fresh JSON-ready dicts and lists, keys in field order (no record shared)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class SheetRecord:
    """One sheet of an input file: where its header was, how its rows were accounted for, how it was read."""

    name: str
    header_row: int | None
    rows_read: int
    rows_audited: int
    rows_skipped: int
    note: str | None
    columns: dict
    kind: str
    kind_reason: str
    linked_to: str | None
    column_index: dict

    @classmethod
    def of(cls, sheet) -> SheetRecord:
        """The record of an ingest sheet report."""
        return cls(
            sheet.name,
            sheet.header_row,
            sheet.rows_read,
            sheet.rows_audited,
            sheet.rows_skipped,
            sheet.note,
            dict(sheet.columns),
            getattr(sheet, "kind", "cdm"),
            getattr(sheet, "kind_reason", ""),
            getattr(sheet, "linked_to", None),
            dict(getattr(sheet, "column_index", {})),
        )


@dataclass(frozen=True)
class InputRecord:
    """One input file as the run record names it: role, format, SHA-256, size and its sheets."""

    path: str
    role: str
    format: str
    sha256: str
    size: int
    sheets: tuple[SheetRecord, ...]
    error: str | None = None  # the file could not be read at all: why (its rows are in no count)

    def rows(self, key: str) -> int:
        """A row count ('rows_read', 'rows_audited', 'rows_skipped') summed over the file's sheets."""
        return sum(getattr(s, key) for s in self.sheets)


def input_records(ingested, role: str) -> tuple[InputRecord, ...]:
    """Every file of an ingest result, with hashes and per-sheet row accounts."""
    return tuple(
        InputRecord(
            f.path, role, f.format, f.sha256, f.size, tuple(SheetRecord.of(s) for s in f.sheets), f.error
        )
        for f in ingested.files
    )


@dataclass(frozen=True)
class EditRecord:
    """How one edit went in the run: status, findings raised, note."""

    code: str
    name: str
    severity: str
    status: str
    findings: int
    note: str


@dataclass(frozen=True)
class RunRecord:
    """findings.json `run`: tool, when, as-of and code-set quarter, edit set, inputs, configuration, edits."""

    tool: str
    tool_version: str
    generated_at: str
    as_of: str
    quarter: str
    quarter_requested: str
    quarter_stale: bool
    quarter_message: str | None
    edit_set_version: str
    inputs: tuple[InputRecord, ...]
    config: dict
    edits: tuple[EditRecord, ...]

    def to_dict(self) -> dict:
        """The JSON shape (a fresh dict every call)."""
        return plain(self)

    def generated(self) -> dt.datetime:
        """generated_at as a datetime."""
        return dt.datetime.fromisoformat(self.generated_at)

    def paths(self, role: str) -> list[str]:
        """Paths of the inputs with this role ('chargemaster', 'pairing-table'), in order."""
        return [i.path for i in self.inputs if i.role == role]


@dataclass(frozen=True)
class Summary:
    """findings.json `summary`: row accounts and counts of findings (by severity, category, family, edit)."""

    rows_read: int
    rows_audited: int
    rows_skipped: int
    findings: int
    waived: int
    by_severity: dict
    by_category: dict
    by_family: dict
    by_edit: dict
    lines_with_findings: int

    @classmethod
    def of(cls, inputs: Sequence[InputRecord], findings: Iterable) -> Summary:
        """Counts over the inputs' sheets and the findings; waived findings count only as waived."""
        findings = list(findings)
        live = [f for f in findings if not f.waived]
        return cls(
            rows_read=sum(i.rows("rows_read") for i in inputs),
            rows_audited=sum(i.rows("rows_audited") for i in inputs),
            rows_skipped=sum(i.rows("rows_skipped") for i in inputs),
            findings=len(findings),
            waived=len(findings) - len(live),
            by_severity={s: sum(1 for f in live if f.severity == s) for s in SEVERITIES},
            by_category=_count(f.category for f in live),
            by_family=_count(f.family for f in live),
            by_edit=_count(f.edit for f in live),
            lines_with_findings=len({(f.file, f.sheet, f.row) for f in live}),
        )

    def to_dict(self) -> dict:
        """The JSON shape (a fresh dict every call)."""
        return plain(self)


def _count(values: Iterable[str]) -> dict[str, int]:
    """Counts by value, sorted by value for stable output."""
    return dict(sorted(Counter(values).items()))
