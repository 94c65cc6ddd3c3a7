"""The report contract: ReportContext fields, the WRITERS registry, and the JSON writer's byte format."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json

from test_report_fixtures import hostile_cdm


def test_context_fields_are_documented():
    from auditor.report.context import ReportContext

    fields = {f.name: f for f in dataclasses.fields(ReportContext)}
    assert list(fields) == ["doc", "result", "templates"]
    for f in fields.values():
        assert f.metadata.get("help"), f"ReportContext.{f.name} has no help"


def test_every_writer_takes_a_context_or_a_doc(tmp_path):
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document
    from auditor.report.writers import WRITERS, write_reports

    assert set(WRITERS) == {"json", "csv", "html", "xlsx"}
    for fn in WRITERS.values():
        assert list(inspect.signature(fn).parameters)[:2] == ["ctx", "out_dir"]
    result = run_audit([hostile_cdm(tmp_path / "h.xlsx")], AuditRequest(as_of=dt.date(2026, 4, 1)))
    doc = build_document(result, dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    paths = write_reports(ReportContext(doc, result), list(WRITERS), tmp_path / "ctx")
    assert [p.name for p in paths] == ["findings.json", "findings.csv", "report.html", "report.xlsx"]
    (tmp_path / "doc").mkdir()
    for fmt, fn in WRITERS.items():  # a bare document still renders (no annotated sheet, catalogue from package)
        assert fn(doc, tmp_path / "doc").stat().st_size > 0, fmt


def test_json_writer_is_byte_stable(tmp_path):
    from auditor.report.writers import write_json

    doc = {"run": {"generated_at": "2026-04-01T00:00:00+00:00", "note": "é <tag>"}, "summary": {"b": 1, "a": 2},
           "findings": [], "skipped_rows": []}
    path = write_json(doc, tmp_path)
    assert path.read_bytes() == (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_edit_docs_come_from_the_catalogue(tmp_path):
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext, queue_of
    from auditor.report.document import build_document

    result = run_audit([hostile_cdm(tmp_path / "h.xlsx")], AuditRequest(as_of=dt.date(2026, 4, 1)))
    doc = build_document(result)
    with_result, without = ReportContext(doc, result).edit_docs(), ReportContext(doc).edit_docs()
    assert [e["code"] for e in with_result] == [e["code"] for e in doc["run"]["edits"]]
    assert with_result == without
    cv003 = next(e for e in with_result if e["code"] == "CV003")
    assert cv003["what"] and cv003["why"] and cv003["fix"] and cv003["references"]
    assert cv003["queue"] == queue_of("invalid_code") == "invalid"
