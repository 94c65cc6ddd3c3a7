"""The report contract: ReportContext fields, the renderer registry, and the JSON writer's byte format."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json

from test_report_fixtures import hostile_cdm


def test_context_fields_are_documented():
    from auditor.report.context import ReportContext

    fields = {f.name: f for f in dataclasses.fields(ReportContext)}
    assert list(fields) == ["doc", "result", "templates", "annotated"]
    for f in fields.values():
        assert f.metadata.get("help"), f"ReportContext.{f.name} has no help"


def test_every_chargemaster_renderer_takes_a_context_or_a_doc(tmp_path):
    from auditor.audit import AuditRequest, run_audit
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document
    from auditor.report.renderers import CHARGEMASTER, formats, renderer, write_reports

    assert formats(CHARGEMASTER) == ("text", "html", "xlsx", "json", "csv", "pdf")
    for fmt in formats(CHARGEMASTER):
        assert list(inspect.signature(renderer(CHARGEMASTER, fmt).write).parameters)[:2] == ["ctx", "out_dir"]
    result = run_audit([hostile_cdm(tmp_path / "h.xlsx")], AuditRequest(as_of=dt.date(2026, 4, 1)))
    doc = build_document(result, dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    asked = ["json", "csv", "html", "xlsx", "json", "text"]
    written = write_reports(CHARGEMASTER, ReportContext(doc, result), asked, tmp_path / "ctx")
    assert {f: p.name for f, p in written.items()} == {  # once each, in the order asked
        "json": "findings.json",
        "csv": "findings.csv",
        "html": "report.html",
        "xlsx": "report.xlsx",
        "text": "summary.txt",
    }
    (tmp_path / "doc").mkdir()
    for fmt in formats(
        CHARGEMASTER
    ):  # a bare document still renders (no annotated sheet, catalogue from package)
        assert renderer(CHARGEMASTER, fmt).write(doc, tmp_path / "doc").stat().st_size > 0, fmt


def test_every_renderer_writes_the_files_it_declares(tmp_path):
    """Each (kind, format) returns its first declared file and writes nothing it does not declare."""
    from test_claims_report import sample_result

    from auditor.audit import AuditRequest, run_audit
    from auditor.report.claims_context import ClaimsContext
    from auditor.report.context import ReportContext
    from auditor.report.document import build_document
    from auditor.report.renderers import CHARGEMASTER, CLAIMS, RENDERERS, formats, write_reports

    result = run_audit([hostile_cdm(tmp_path / "h.xlsx")], AuditRequest(as_of=dt.date(2026, 4, 1)))
    reports = {
        CHARGEMASTER: ReportContext(build_document(result), result),
        CLAIMS: ClaimsContext.of(sample_result()),
    }
    assert {kind for kind, _fmt in RENDERERS} == set(reports)
    for (kind, fmt), r in RENDERERS.items():
        out = tmp_path / kind / fmt
        written = write_reports(kind, reports[kind], [fmt], out)
        assert written[fmt].name == r.files[0], (kind, fmt)
        assert {p.name for p in out.iterdir()} <= set(r.files), (kind, fmt)
    assert formats(CLAIMS) == ("text", "html", "xlsx", "json", "csv", "pdf")
    try:
        write_reports(CLAIMS, reports[CLAIMS], ["docx"], tmp_path / "none")
    except ValueError as exc:
        assert "'docx'" in str(exc) and "text, html, xlsx, json, csv, pdf" in str(exc)
    else:
        raise AssertionError("an unknown format must be refused")


def test_command_line_formats_come_from_the_registry(tmp_path):
    """`--format` help and refusals of `audit` and `claims` list what the registry has for their kind."""
    from click.testing import CliRunner

    from auditor.cli import main
    from auditor.report.renderers import CHARGEMASTER, CLAIMS, formats

    runner = CliRunner()
    for command, kind in (("audit", CHARGEMASTER), ("claims", CLAIMS)):
        listed = ", ".join(formats(kind))
        assert f"Comma-separated: {listed}" in " ".join(
            runner.invoke(main, [command, "--help"]).output.split()
        )
        res = runner.invoke(main, [command, "--format", "html,docx", str(tmp_path / "x.csv")])
        assert res.exit_code == 2 and f"unknown format 'docx'; choose from {listed}" in res.output, res.output


def test_json_writer_is_byte_stable(tmp_path):
    from auditor.report.json_report import write_json

    doc = {
        "run": {"generated_at": "2026-04-01T00:00:00+00:00", "note": "é <tag>"},
        "summary": {"b": 1, "a": 2},
        "findings": [],
        "skipped_rows": [],
    }
    path = write_json(doc, tmp_path)
    assert path.read_bytes() == (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_json_writer_puts_long_lists_one_item_a_line(tmp_path):
    """Lists (and frames) one compact item a line, in blocks; the same bytes whichever way they arrive."""
    import polars as pl

    from auditor.report.json_report import Rows, frame_rows, list_rows, write_document

    items = [{"a": 1, "b": "x"}, {"a": 2, "b": "é"}, {"a": 3, "b": None}]
    expected = (
        '{\n  "meta": {\n    "n": 3\n  },\n  "items": [\n    {"a":1,"b":"x"},\n    {"a":2,"b":"é"},\n'
        '    {"a":3,"b":null}\n  ],\n  "none": []\n}\n'
    )
    for rows in (
        list_rows(items),
        frame_rows(pl.DataFrame(items), chunk=2),
        Rows(['{"a":1,"b":"x"}', '{"a":2,"b":"é"},\n    {"a":3,"b":null}']),
    ):
        path = write_document(
            tmp_path / "d.json", [("meta", {"n": 3}), ("items", rows), ("none", list_rows([]))]
        )
        assert path.read_text(encoding="utf-8") == expected
        assert json.loads(expected)["items"] == items


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
