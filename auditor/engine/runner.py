"""Run an edit set over a prepared frame and turn hits into findings."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from auditor.codeset import CodeTable, QuarterChoice
from auditor.engine.catalog import Edit, EditSet
from auditor.engine.checks import CheckContext, check_module
from auditor.engine.conditions import all_of, none_of
from auditor.engine.config import FacilityConfig
from auditor.engine.findings import SEVERITY_RANK, Finding

_ROW_FIELDS = ("file", "sheet", "row", "charge_code", "code", "revenue_code", "description")


@dataclass
class EditSummary:
    """How one edit went: in force or not, rows flagged, time taken."""

    code: str
    name: str
    severity: str
    status: str  # ran | not-in-force | disabled | not-for-scope
    findings: int = 0
    seconds: float = 0.0
    note: str = ""


@dataclass
class AuditRun:
    """Findings of one run plus what ran and against which quarter."""

    findings: list[Finding]
    summaries: list[EditSummary]
    quarter: QuarterChoice
    as_of: dt.date
    scope_kind: str
    rows_audited: int
    edit_set_version: str
    config: FacilityConfig = field(default_factory=FacilityConfig)

    def counts(self) -> dict:
        """Counts of unwaived findings by severity, category and family, plus waived."""
        live = [f for f in self.findings if not f.waived]
        return {
            "findings": len(self.findings),
            "waived": len(self.findings) - len(live),
            "by_severity": {s: sum(1 for f in live if f.severity == s) for s in ("error", "warning", "info")},
            "by_category": dict(sorted(Counter(f.category for f in live).items())),
            "by_family": dict(sorted(Counter(f.family for f in live).items())),
            "by_edit": dict(sorted(Counter(f.edit for f in live).items())),
        }

    def worst(self) -> str | None:
        """Highest severity among unwaived findings."""
        live = [f.severity for f in self.findings if not f.waived]
        return max(live, key=SEVERITY_RANK.get) if live else None


class _Blank(dict):
    """format_map dict that renders unknown placeholders as '?' instead of raising."""

    def __missing__(self, key):
        return "?"


def prepare_frame(frame: pl.DataFrame, table: CodeTable, quarter: str, scope: pl.Expr | None = None) -> pl.DataFrame:
    """Add row ids, the pairing scope and the quarter's code classification."""
    frame = frame.with_row_index("_rid").with_columns(pl.col("_rid").cast(pl.Int64))
    frame = frame.with_columns((scope if scope is not None else pl.col("file")).alias("_scope"))
    cls = table.classify(frame.get_column("code"), quarter)
    return frame.with_columns(
        cs_status=cls.get_column("status"), cs_si=cls.get_column("si"), cs_first_seen=cls.get_column("first_seen"),
        cs_last_seen=cls.get_column("last_seen"), cs_descriptor=cls.get_column("descriptor"))


def _eligible(edit: Edit, frame: pl.DataFrame) -> pl.Expr:
    """Rows an edit may flag: `only_if` holds, `unless` does not, and (for dated rows) the edit is in force."""
    cond = all_of(edit.only_if) & none_of(edit.unless)
    if "_dos" in frame.columns:
        if edit.effective_from:
            cond = cond & (pl.col("_dos") >= edit.effective_from).fill_null(True)
        if edit.effective_to:
            cond = cond & (pl.col("_dos") <= edit.effective_to).fill_null(True)
    return cond


def run_edits(frame: pl.DataFrame, edits: EditSet, config: FacilityConfig, as_of: dt.date, table: CodeTable,
              scope_kind: str = "chargemaster", scope: pl.Expr | None = None,
              select: set[str] | None = None) -> AuditRun:
    """Apply every edit in force on `as_of` to the frame; return findings with severities and waivers applied."""
    choice = table.resolve_quarter(as_of)
    prepared = prepare_frame(frame, table, choice.used, scope)
    ctx = CheckContext(prepared, edits.lists, config, choice.used, scope_kind)
    lookup = {c: prepared.get_column(c).to_list() for c in _ROW_FIELDS}
    findings: list[Finding] = []
    summaries: list[EditSummary] = []
    dated = "_dos" in prepared.columns
    for edit in edits.edits:
        severity = config.severity.get(edit.code, edit.severity)
        summary = EditSummary(edit.code, edit.name, severity, "ran")
        summaries.append(summary)
        if select is not None and edit.code not in select:
            summary.status, summary.note = "disabled", "not selected"
            continue
        if edit.code in config.disabled:
            summary.status, summary.note = "disabled", "disabled in the facility configuration"
            continue
        if scope_kind not in edit.scopes:
            summary.status, summary.note = "not-for-scope", f"applies to {', '.join(edit.scopes)}"
            continue
        if not dated and not edit.in_force(as_of):
            summary.status, summary.note = "not-in-force", f"in force {edit.period()}"
            continue
        started = time.perf_counter()
        hits = check_module(edit.check).evaluate(ctx, edit, _eligible(edit, prepared))
        findings.extend(_to_findings(edit, severity, hits, lookup, choice.used, config, as_of, scope_kind))
        summary.findings = hits.height
        summary.seconds = round(time.perf_counter() - started, 4)
    findings.sort(key=lambda f: f.sort_key)
    return AuditRun(findings, summaries, choice, as_of, scope_kind, prepared.height, edits.version, config)


SCOPE_LABELS = {"chargemaster": "chargemaster", "pairing": "procedure's pairing links", "claim": "claim"}


def _to_findings(edit: Edit, severity: str, hits: pl.DataFrame, lookup: dict, quarter: str,
                 config: FacilityConfig, today: dt.date, scope_kind: str) -> list[Finding]:
    """Fill the edit's message for each hit and attach related rows, reference and waivers."""
    if hits.height == 0:
        return []
    scope_label = SCOPE_LABELS.get(scope_kind, scope_kind)
    reference = {"text": edit.reference_text(), "urls": [r.url for r in edit.references],
                 "basis": "verified" if edit.verified else "inferred"}
    out = []
    var_cols = [c for c in hits.columns if c.startswith("v_")]
    for rec in hits.iter_rows(named=True):
        i = rec["_rid"]
        row = {k: lookup[k][i] for k in _ROW_FIELDS}
        values = _Blank({k: ("" if v is None else v) for k, v in row.items()})
        values.update({c[2:]: rec[c] for c in var_cols})
        values.update(expected=rec.get("expected") or "", quarter=quarter, scope_kind_label=scope_label)
        related = tuple({k: lookup[k][j] for k in _ROW_FIELDS} for j in (rec.get("related") or []))
        waiver = next((w for w in config.waivers if w.covers(edit.code, row["charge_code"], today)), None)
        out.append(Finding(
            edit=edit.code, name=edit.name, family=edit.family, category=edit.category, severity=severity,
            message=edit.message.format_map(values), file=row["file"], sheet=row["sheet"], row=row["row"],
            charge_code=row["charge_code"], code=row["code"], revenue_code=row["revenue_code"],
            description=row["description"], expected=rec.get("expected"), reference=reference,
            related_rows=related, waived=waiver is not None, waiver_reason=waiver.reason if waiver else None,
            scope=scope_kind, extra={c[2:]: rec[c] for c in var_cols},
        ))
    return out
