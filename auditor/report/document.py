"""The audit document: run record, summary, findings and skipped rows, as plain data every renderer shares."""

from __future__ import annotations

import datetime as dt

from auditor.audit import AuditResult, tool_version

FINDING_KEYS = ("edit", "name", "family", "category", "severity", "message", "file", "sheet", "row", "charge_code",
                "code", "revenue_code", "description", "related_rows", "expected", "reference", "waived",
                "waiver_reason", "scope")


def _inputs(ingested, role: str) -> list[dict]:
    """Input files with hashes and per-sheet row accounts."""
    return [{
        "path": f.path, "role": role, "format": f.format, "sha256": f.sha256, "size": f.size,
        "sheets": [{"name": s.name, "header_row": s.header_row, "rows_read": s.rows_read,
                    "rows_audited": s.rows_audited, "rows_skipped": s.rows_skipped, "note": s.note,
                    "columns": s.columns, "kind": getattr(s, "kind", "cdm"),
                    "kind_reason": getattr(s, "kind_reason", ""), "linked_to": getattr(s, "linked_to", None),
                    "column_index": getattr(s, "column_index", {})} for s in f.sheets],
    } for f in ingested.files]


def build_document(result: AuditResult, generated_at: dt.datetime | None = None) -> dict:
    """Everything a report shows, deterministic for the same inputs apart from `run.generated_at`."""
    q = result.quarter
    inputs = _inputs(result.chargemaster, "chargemaster")
    if result.pairing is not None:
        inputs += _inputs(result.pairing, "pairing-table")
    skipped = result.chargemaster.skipped_rows() + (result.pairing.skipped_rows() if result.pairing else [])
    live = [f for f in result.findings if not f.waived]
    counts = {
        "rows_read": sum(s["rows_read"] for i in inputs for s in i["sheets"]),
        "rows_audited": sum(s["rows_audited"] for i in inputs for s in i["sheets"]),
        "rows_skipped": sum(s["rows_skipped"] for i in inputs for s in i["sheets"]),
        "findings": len(result.findings),
        "waived": len(result.findings) - len(live),
        "by_severity": {s: sum(1 for f in live if f.severity == s) for s in ("error", "warning", "info")},
        "by_category": _count(live, "category"),
        "by_family": _count(live, "family"),
        "by_edit": _count(live, "edit"),
        "lines_with_findings": len({(f.file, f.sheet, f.row) for f in live}),
    }
    return {
        "run": {
            "tool": "cdm-audit", "tool_version": tool_version(),
            "generated_at": (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat(),
            "as_of": result.request.as_of.isoformat(),
            "quarter": q.used, "quarter_requested": q.requested, "quarter_stale": q.stale,
            "quarter_message": q.message,
            "edit_set_version": result.edits.version,
            "inputs": inputs,
            "config": result.config.to_dict(),
            "edits": [{"code": s.code, "name": s.name, "severity": s.severity, "status": s.status,
                       "findings": s.findings, "note": s.note} for s in result.summaries()],
        },
        "summary": counts,
        "findings": [_finding(f) for f in result.findings],
        "skipped_rows": skipped,
    }


def _finding(f) -> dict:
    """One finding in the document's key order (related rows and reference are shared, read-only dicts)."""
    d = {k: getattr(f, k) for k in FINDING_KEYS}
    d["related_rows"] = list(f.related_rows)
    return d


def _count(findings, key: str) -> dict[str, int]:
    """Counts by one attribute, sorted by key for stable output."""
    out: dict[str, int] = {}
    for f in findings:
        out[getattr(f, key)] = out.get(getattr(f, key), 0) + 1
    return dict(sorted(out.items()))
