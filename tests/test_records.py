"""Typed records: frozen findings, the run record and summary behind findings.json, and a history step that
builds new values instead of changing the audit's."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.report.document import AuditDocument, build_document

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AT = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
# findings.json keys, in order, as recorded before the records were typed.
RUN_KEYS = [
    "tool",
    "tool_version",
    "generated_at",
    "as_of",
    "quarter",
    "quarter_requested",
    "quarter_stale",
    "quarter_message",
    "edit_set_version",
    "inputs",
    "config",
    "edits",
]
INPUT_KEYS = ["path", "role", "format", "sha256", "size", "sheets", "error"]
SHEET_KEYS = [
    "name",
    "header_row",
    "rows_read",
    "rows_audited",
    "rows_skipped",
    "note",
    "columns",
    "kind",
    "kind_reason",
    "linked_to",
    "column_index",
]
SUMMARY_KEYS = [
    "rows_read",
    "rows_audited",
    "rows_skipped",
    "findings",
    "waived",
    "by_severity",
    "by_category",
    "by_family",
    "by_edit",
    "lines_with_findings",
]
FINDING_TO_DICT = [
    "edit",
    "name",
    "family",
    "category",
    "severity",
    "message",
    "file",
    "sheet",
    "row",
    "charge_code",
    "code",
    "revenue_code",
    "description",
    "expected",
    "reference",
    "related_rows",
    "waived",
    "waiver_reason",
    "scope",
    "extra",
]


@pytest.fixture(scope="module")
def result():
    return run_audit(
        [SAMPLES / "chargemaster.xlsx"],
        AuditRequest(as_of=dt.date(2026, 4, 1), pairing_tables=[SAMPLES / "pairing_table.csv"]),
    )


def test_findings_are_frozen_and_waived_by_replacement(result):
    f = result.findings[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.waived = True
    waived = f.waived_by("approved by compliance")
    assert (waived.waived, waived.waiver_reason) == (True, "approved by compliance")
    assert (f.waived, f.waiver_reason) == (False, None)
    assert dataclasses.replace(waived, waived=False, waiver_reason=None) == f


def test_finding_json_keeps_its_keys(result):
    assert all(f.columns for f in result.findings)
    assert list(result.findings[0].to_dict()) == FINDING_TO_DICT  # no `columns` on the wire


def test_document_keys_are_the_json_contract(result):
    doc = build_document(result, AT)
    assert list(doc) == ["run", "summary", "problems", "findings", "skipped_rows"]
    assert list(doc["run"]) == RUN_KEYS and list(doc["summary"]) == SUMMARY_KEYS
    assert (
        list(doc["run"]["inputs"][0]) == INPUT_KEYS
        and list(doc["run"]["inputs"][0]["sheets"][0]) == SHEET_KEYS
    )
    assert list(doc["run"]["edits"][0]) == ["code", "name", "severity", "status", "findings", "note"]
    assert doc["summary"]["findings"] == len(result.findings) and doc["run"]["generated_at"] == AT.isoformat()


def test_to_dict_hands_out_fresh_dicts(result):
    document = AuditDocument.of(result, AT)
    first = document.to_dict()
    first["run"]["inputs"][0]["sheets"][0]["columns"]["x"] = "changed"
    first["summary"]["by_severity"]["error"] = -1
    first["run"]["config"]["disabled"] = ["XX999"]
    assert document.to_dict() == build_document(result, AT)


def test_with_history_is_a_new_document(result):
    document = AuditDocument.of(result, AT)
    ids = tuple(f"id{n}" for n in range(len(document.findings)))
    later = document.with_history({"run_id": 7}, ids)
    assert document.history is None and "history" not in document.to_dict()
    doc = later.to_dict()
    assert doc["history"] == {"run_id": 7} and list(doc)[-1] == "history"
    assert [f["history_id"] for f in doc["findings"]] == list(ids)
    with pytest.raises(ValueError):
        document.with_history({}, ids[1:])


def test_history_waivers_build_a_new_result(result, tmp_path):
    from auditor.history import HistoryOptions, acks, apply_history, store
    from auditor.history.keys import finding_keys, short_id

    db = tmp_path / "h.sqlite"
    options = HistoryOptions(db=db, facility="Sample Hospital")
    first, document = apply_history(result, AuditDocument.of(result, AT), options)
    assert first is result  # nothing acknowledged yet
    target = next(i for i, f in enumerate(result.findings) if not f.waived)
    keys = finding_keys("sample-hospital", result.findings, {e.code: e.check for e in result.edits.edits})
    fid = document.to_dict()["findings"][target]["history_id"]
    assert fid == short_id(keys[target])
    conn = store.connect(db)
    try:
        acks.acknowledge(conn, [fid], "waived", "R. Diaz", "IDE device")
    finally:
        conn.close()
    before = AuditDocument.of(result, AT)
    after_result, after = apply_history(result, before, options)
    assert not result.findings[target].waived and before.summary.waived == after.summary.waived - 1
    # A waived problem ranks lower, so the finding is looked up by where it is, not by its old index.
    place = _place(result.findings[target])
    waived = next(f for f in after_result.findings if _place(f) == place)
    assert waived.waived and "IDE device" in waived.waiver_reason
    assert after_result.problems[-1].waived  # wholly waived problems go last
    assert after.findings == tuple(after_result.findings) and after.run == before.run
    assert before.to_dict() == build_document(result, AT)  # the document handed in is unchanged


def _place(f) -> tuple:
    """A finding's edit and line: what stays the same when findings are ranked again."""
    return (f.edit, f.file, f.sheet, f.row, f.charge_code)
