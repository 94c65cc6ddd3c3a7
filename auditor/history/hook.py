"""The audit's run history step: apply acknowledged waivers, record the run, compare it, add the history section."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from auditor.audit import AuditResult
from auditor.engine.findings import Finding
from auditor.engine.implied import raise_unimplied
from auditor.errors import InputError
from auditor.history import acks, store
from auditor.history.compare import Comparison, diff, trend
from auditor.history.keys import default_facility, finding_keys, short_id, slug
from auditor.history.options import HistoryOptions
from auditor.history.quarters import code_inventory
from auditor.report.document import AuditDocument

# Each list in the report document stops here (counts stay exact); `cdm-audit compare --json` lists all.
DOC_LIST_LIMIT = 2000


def apply_history(
    result: AuditResult, document: AuditDocument, options: HistoryOptions
) -> tuple[AuditResult, AuditDocument]:
    """The run history step: apply acknowledged waivers, record the run, compare it; new result and document.

    Neither argument changes. When an acknowledged waiver applies, the result gets new findings and the
    document is rebuilt from it (so its counts leave the waived finding out); the document returned carries
    the 'history' section and each finding's history id. Without history (inactive options, or --no-history
    with nothing recorded yet) both come back as they were.
    """
    if not options.active:
        return result, document
    facility = (options.facility or "").strip() or default_facility(document.run.paths("chargemaster"))
    fslug = slug(facility)
    if not fslug:
        raise InputError("--facility", f"{facility!r} has no letters or digits to identify a facility by")
    db = options.database()
    if not options.record and not db.is_file():
        return (
            result,
            document,
        )  # --no-history with nothing recorded yet: nothing to compare, and no file to create
    conn = store.connect(db)
    try:
        return _run_hook(conn, db, result, document, options, facility, fslug)
    except sqlite3.Error as exc:
        raise InputError(str(db), f"history database error: {exc}") from None
    finally:
        conn.close()


def _run_hook(
    conn,
    db: Path,
    result: AuditResult,
    document: AuditDocument,
    options: HistoryOptions,
    facility: str,
    fslug: str,
) -> tuple[AuditResult, AuditDocument]:
    """apply_history's body, with the connection open."""
    # Resolved before recording, so a bad --compare-with fails without leaving a run behind.
    baseline_id = _baseline_id(conn, options.compare_with, fslug)
    keys = finding_keys(fslug, result.findings, {e.code: e.check for e in result.edits.edits})
    waived = _with_waivers(result.findings, keys, acks.active(conn, keys))
    if waived is not None:
        # A finding lowered because a stronger one flags its line speaks again once that one is waived.
        config, edits = result.config, result.edits.edits
        waived = (
            raise_unimplied(waived, {e.code: config.severity.get(e.code, e.severity) for e in edits})
            or waived
        )
        # A waived problem ranks lower: the findings are ranked again, so their keys are taken again in the new order.
        result = result.with_findings(waived).with_lowered_notes()
        keys = finding_keys(fslug, result.findings, {e.code: e.check for e in result.edits.edits})
        document = AuditDocument.of(result, document.run.generated())
    rows = {k: _finding_row(k, f) for k, f in zip(keys, document.findings, strict=False)}
    codes = code_inventory(result.chargemaster.frame, "chargemaster") + code_inventory(
        result.pairing.frame if result.pairing is not None else None,
        "pairing-table",
        ("procedure_code", "linked_code"),
    )
    current = _run_row(document, facility, fslug, options, result)
    if options.record:
        run_id = store.record_run(
            conn,
            current,
            _input_rows(document),
            rows.values(),
            ({**c, "sample": json.dumps(c["sample"], default=str)} for c in codes),
        )
        current = store.get_run(conn, run_id)
        if options.compare_with == "last":
            baseline_id = store.previous_run_id(conn, fslug, run_id)
    else:
        current = {**current, "id": None, "config": document.run.config, "inputs": _input_rows(document)}
    baseline = store.get_run(conn, baseline_id) if baseline_id is not None else None
    base_rows = store.run_findings(conn, baseline_id) if baseline else {}
    cmp = diff(conn, facility, baseline, base_rows, current, rows, codes) if options.compare_with else None
    points = trend(conn, fslug, current["id"], None if options.record else current)
    # Each finding gets its cross-run id (a hash of its key: the same for the same inputs, so findings.json
    # stays byte-stable); its new/open/reappeared status depends on the history and lives in the section.
    status = {rows[k]["fid"]: s for k, s in cmp.status.items()} if cmp else {}
    section = history_section(cmp, facility, fslug, db, current, points, options, status)
    return result, document.with_history(section, tuple(rows[k]["fid"] for k in keys))


def _baseline_id(conn, compare_with: str | None, fslug: str) -> int | None:
    """The run to compare with: None, the facility's last run, or a given run id of the same facility."""
    if not compare_with or compare_with == "last":
        return store.previous_run_id(conn, fslug) if compare_with else None
    try:
        run_id = int(compare_with)
    except ValueError:
        raise InputError("--compare-with", f"{compare_with!r} is neither 'last' nor a run id") from None
    run = store.get_run(conn, run_id)
    if run is None:
        raise InputError("--compare-with", f"run {run_id} is not in the history (see `cdm-audit history`)")
    if run["facility_slug"] != fslug:
        raise InputError(
            "--compare-with",
            f"run {run_id} is facility {run['facility']!r}, this audit is "
            f"{fslug!r}; pass --facility {run['facility']!r} to compare them",
        )
    return run_id


def _with_waivers(
    findings: list[Finding], keys: list[str], acknowledged: dict[str, dict]
) -> list[Finding] | None:
    """The findings with acknowledged waivers applied (new findings), or None when no waiver applies.

    A finding the configuration already waived keeps its own reason.
    """
    out, changed = [], False
    for f, key in zip(findings, keys, strict=False):
        ack = acknowledged.get(key)
        if ack and ack["status"] == "waived" and not f.waived:
            f, changed = f.waived_by(acks.waiver_text(ack)), True
        out.append(f)
    return out if changed else None


def _finding_row(key: str, f: Finding) -> dict:
    """A finding as stored in the history."""
    return {
        "key": key,
        "fid": short_id(key),
        **{
            k: getattr(f, k)
            for k in (
                "edit",
                "name",
                "severity",
                "category",
                "family",
                "message",
                "file",
                "sheet",
                "row",
                "charge_code",
                "code",
                "description",
                "scope",
                "waiver_reason",
            )
        },
        "waived": 1 if f.waived else 0,
    }


def _run_row(document: AuditDocument, facility: str, fslug: str, options: HistoryOptions, result) -> dict:
    """The runs-table row of this audit."""
    run, summ = document.run, document.summary
    request = getattr(result, "request", None)
    chosen = {
        "select": sorted(request.select) if request and request.select else None,
        "ignore": sorted(request.ignore) if request and request.ignore else [],
        "compare_with": options.compare_with,
    }
    return {
        "facility": facility,
        "facility_slug": fslug,
        "recorded_at": acks.now(),
        "generated_at": run.generated_at,
        "as_of": run.as_of,
        "quarter": run.quarter_requested,
        "code_quarter": run.quarter,
        "quarter_stale": 1 if run.quarter_stale else 0,
        "edit_set_version": run.edit_set_version,
        "tool_version": run.tool_version,
        "config_json": json.dumps(run.config, sort_keys=True, default=str),
        "options_json": json.dumps(chosen, sort_keys=True),
        "label": options.label,
        "errors": summ.by_severity["error"],
        "warnings": summ.by_severity["warning"],
        "infos": summ.by_severity["info"],
        "waived": summ.waived,
        "findings": summ.findings,
        "rows_audited": summ.rows_audited,
    }


def _input_rows(document: AuditDocument) -> list[dict]:
    """The inputs-table rows: every input file with its hash and row accounts."""
    return [
        {
            "position": n,
            "role": i.role,
            "path": str(i.path),
            "name": Path(i.path).name,
            "format": i.format,
            "sha256": i.sha256,
            "size": i.size,
            "rows_read": i.rows("rows_read"),
            "rows_audited": i.rows("rows_audited"),
            "rows_skipped": i.rows("rows_skipped"),
        }
        for n, i in enumerate(document.run.inputs)
    ]


def history_section(
    cmp: Comparison | None,
    facility: str,
    fslug: str,
    db: Path,
    current: dict,
    points: list[dict],
    options: HistoryOptions,
    status_by_id: dict[str, str],
) -> dict:
    """The document's 'history': where the run was recorded, the comparison (lists capped), the trend points and
    each finding's status (history id -> new | open | reappeared)."""
    section = {
        "facility": facility,
        "facility_key": fslug,
        "database": str(db),
        "run_id": current.get("id"),
        "recorded": bool(options.record),
        "compare_with": options.compare_with,
        "list_limit": DOC_LIST_LIMIT,
        "trend": [
            {
                k: p.get(k)
                for k in ("id", "quarter", "as_of", "errors", "warnings", "infos", "waived", "findings")
            }
            for p in points
        ],
    }
    if cmp is None:
        return section | {"baseline": None, "counts": None, "status_by_id": status_by_id}
    return section | cmp.to_dict(limit=DOC_LIST_LIMIT) | {"status_by_id": status_by_id}
