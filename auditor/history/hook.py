"""The audit command's history step: apply waivers, record the run, compare with a baseline, extend the document."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import InputError
from auditor.history import acks, store
from auditor.history.compare import Comparison, diff, trend
from auditor.history.keys import default_facility, finding_keys, short_id, slug
from auditor.history.quarters import code_inventory

# Each list in the report document stops here (counts stay exact); `cdm-audit compare --json` lists all.
DOC_LIST_LIMIT = 2000


@dataclass
class HistoryOptions:
    """What an audit asks of the run history."""

    db: Path | None = None          # None: $CDM_AUDIT_HOME/history.sqlite
    record: bool = True             # False: --no-history (still compares when compare_with is set)
    compare_with: str | None = "last"  # "last", a run id, or None for no comparison
    facility: str | None = None     # None: guessed from the chargemaster file names
    label: str | None = None        # e.g. the recurring-run file that asked for this audit

    @property
    def active(self) -> bool:
        """Whether the history is touched at all."""
        return self.record or bool(self.compare_with)


def audit_hook(result, doc: dict, options: HistoryOptions) -> dict:
    """Apply waivers acknowledged in the history, record the run, compare it and add doc['history'].

    Call it right after build_document(result): when an acknowledged waiver applies, the document is
    rebuilt from `result` (so its counts leave the waived finding out), and the new one is returned.
    """
    if not options.active:
        return doc
    chargemasters = [i["path"] for i in doc["run"]["inputs"] if i["role"] == "chargemaster"]
    facility = (options.facility or "").strip() or default_facility(chargemasters)
    fslug = slug(facility)
    if not fslug:
        raise InputError("--facility", f"{facility!r} has no letters or digits to identify a facility by")
    db = Path(options.db).expanduser() if options.db else store.default_path()
    if not options.record and not db.is_file():
        return doc  # --no-history with nothing recorded yet: nothing to compare, and no file to create
    conn = store.connect(db)
    try:
        return _run_hook(conn, db, result, doc, options, facility, fslug)
    except sqlite3.Error as exc:
        raise InputError(str(db), f"history database error: {exc}") from None
    finally:
        conn.close()


def _run_hook(conn, db: Path, result, doc: dict, options: HistoryOptions, facility: str, fslug: str) -> dict:
    """audit_hook's body, with the connection open."""
    # Resolved before recording, so a bad --compare-with fails without leaving a run behind.
    baseline_id = _baseline_id(conn, options.compare_with, fslug)
    keys = finding_keys(fslug, result.findings, {e.code: e.check for e in result.edits.edits})
    acknowledged = acks.active(conn, keys)
    if _apply_waivers(result.findings, keys, acknowledged):
        from auditor.report.document import build_document

        doc = build_document(result, dt.datetime.fromisoformat(doc["run"]["generated_at"]))
    rows = {k: _finding_row(k, f) for k, f in zip(keys, doc["findings"])}
    codes = (code_inventory(result.chargemaster.frame, "chargemaster")
             + code_inventory(result.pairing.frame if result.pairing is not None else None, "pairing-table",
                              ("procedure_code", "linked_code")))
    current = _run_row(doc, facility, fslug, options, result)
    if options.record:
        run_id = store.record_run(conn, current, _input_rows(doc), rows.values(),
                                  ({**c, "sample": json.dumps(c["sample"], default=str)} for c in codes))
        current = store.get_run(conn, run_id)
        if options.compare_with == "last":
            baseline_id = store.previous_run_id(conn, fslug, run_id)
    else:
        current = {**current, "id": None, "config": doc["run"]["config"], "inputs": _input_rows(doc)}
    baseline = store.get_run(conn, baseline_id) if baseline_id is not None else None
    base_rows = store.run_findings(conn, baseline_id) if baseline else {}
    cmp = diff(conn, facility, baseline, base_rows, current, rows, codes) if options.compare_with else None
    points = trend(conn, fslug, current["id"], None if options.record else current)
    doc["history"] = history_section(cmp, facility, fslug, db, current, points, options)
    # Each finding gets its cross-run id (a hash of its key: the same for the same inputs, so findings.json
    # stays byte-stable); its new/open/reappeared status depends on the history and lives in doc["history"].
    for f, key in zip(doc["findings"], keys):
        f["history_id"] = rows[key]["fid"]
    doc["history"]["status_by_id"] = {rows[k]["fid"]: s for k, s in cmp.status.items()} if cmp else {}
    return doc


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
        raise InputError("--compare-with", f"run {run_id} is facility {run['facility']!r}, this audit is "
                                           f"{fslug!r}; pass --facility {run['facility']!r} to compare them")
    return run_id


def _apply_waivers(findings, keys: list[str], acknowledged: dict[str, dict]) -> bool:
    """Mark findings waived by an acknowledgement (configuration waivers keep their own reason)."""
    changed = False
    for f, key in zip(findings, keys):
        ack = acknowledged.get(key)
        if ack and ack["status"] == "waived" and not f.waived:
            f.waived, f.waiver_reason, changed = True, acks.waiver_text(ack), True
    return changed


def _finding_row(key: str, f: dict) -> dict:
    """A document finding as stored in the history."""
    return {"key": key, "fid": short_id(key), **{k: f.get(k) for k in (
        "edit", "name", "severity", "category", "family", "message", "file", "sheet", "row", "charge_code", "code",
        "description", "scope", "waiver_reason")}, "waived": 1 if f.get("waived") else 0}


def _run_row(doc: dict, facility: str, fslug: str, options: HistoryOptions, result) -> dict:
    """The runs-table row of this audit."""
    run, summ = doc["run"], doc["summary"]
    request = getattr(result, "request", None)
    chosen = {"select": sorted(request.select) if request and request.select else None,
              "ignore": sorted(request.ignore) if request and request.ignore else [],
              "compare_with": options.compare_with}
    return {
        "facility": facility, "facility_slug": fslug, "recorded_at": acks.now(), "generated_at": run["generated_at"],
        "as_of": run["as_of"], "quarter": run["quarter_requested"], "code_quarter": run["quarter"],
        "quarter_stale": 1 if run["quarter_stale"] else 0, "edit_set_version": run["edit_set_version"],
        "tool_version": run["tool_version"], "config_json": json.dumps(run["config"], sort_keys=True, default=str),
        "options_json": json.dumps(chosen, sort_keys=True), "label": options.label,
        "errors": summ["by_severity"]["error"], "warnings": summ["by_severity"]["warning"],
        "infos": summ["by_severity"]["info"], "waived": summ["waived"], "findings": summ["findings"],
        "rows_audited": summ["rows_audited"],
    }


def _input_rows(doc: dict) -> list[dict]:
    """The inputs-table rows: every input file with its hash and row accounts."""
    return [{"position": n, "role": i["role"], "path": str(i["path"]), "name": Path(i["path"]).name,
             "format": i["format"], "sha256": i["sha256"], "size": i["size"],
             "rows_read": sum(s["rows_read"] for s in i["sheets"]),
             "rows_audited": sum(s["rows_audited"] for s in i["sheets"]),
             "rows_skipped": sum(s["rows_skipped"] for s in i["sheets"])}
            for n, i in enumerate(doc["run"]["inputs"])]


def history_section(cmp: Comparison | None, facility: str, fslug: str, db: Path, current: dict, points: list[dict],
                    options: HistoryOptions) -> dict:
    """doc['history']: where the run was recorded, the comparison (lists capped) and the trend points."""
    section = {
        "facility": facility, "facility_key": fslug, "database": str(db), "run_id": current.get("id"),
        "recorded": bool(options.record), "compare_with": options.compare_with, "list_limit": DOC_LIST_LIMIT,
        "trend": [{k: p.get(k) for k in ("id", "quarter", "as_of", "errors", "warnings", "infos", "waived",
                                         "findings")} for p in points],
    }
    if cmp is None:
        return section | {"baseline": None, "counts": None}
    return section | cmp.to_dict(limit=DOC_LIST_LIMIT)
