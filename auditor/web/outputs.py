"""Write a finished audit's reports (the CLI's writers) with display names instead of private upload paths."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl

from auditor.audit import AuditResult
from auditor.engine.resources import resource_dir
from auditor.ingest import Ingested
from auditor.report.context import ReportContext
from auditor.report.document import build_document
from auditor.report.html import render_html
from auditor.report.writers import write_reports

FORMATS = ("json", "csv", "xlsx", "html")
# Download name -> media type; nothing else in a run's report folder is ever served.
DOWNLOADS = {
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "findings.json": "application/json",
    "findings.csv": "text/csv; charset=utf-8",
    "findings-run.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
}
VIEW = "view.html"


def web_report_templates() -> Path:
    """The template folder that adds the web toolbar to the packaged report (extends default:report.html)."""
    return resource_dir("templates") / "web" / "report"


def relabel(result: AuditResult, names: dict[str, str]) -> tuple[dict, AuditResult]:
    """The report document and a result whose file paths read as the uploaded names, not private paths."""
    doc = build_document(result)
    # Text files have one "sheet" named after the file: input-2.csv must read as the uploaded name too.
    sheets = {Path(p).name: shown for p, shown in names.items()}

    def name(path):
        return names.get(path, path)

    def sheet(value):
        return sheets.get(value, value) if isinstance(value, str) else value

    for item in doc["run"]["inputs"]:
        item["path"] = name(item["path"])
        for s in item["sheets"]:
            s["name"] = sheet(s["name"])
    for f in doc["findings"]:
        f["file"], f["sheet"] = name(f["file"]), sheet(f["sheet"])
        f["related_rows"] = [{**r, "file": name(r.get("file")), "sheet": sheet(r.get("sheet"))} for r in f["related_rows"]]
    for s in doc["skipped_rows"]:
        s["file"], s["sheet"] = name(s["file"]), sheet(s["sheet"])

    def ingested(ing: Ingested | None) -> Ingested | None:
        if ing is None:
            return None
        frame = ing.frame
        if frame.height:
            frame = frame.with_columns(pl.col("file").replace(names), pl.col("sheet").replace(sheets))
        files = [dataclasses.replace(f, path=name(f.path), sheets=[dataclasses.replace(s, name=sheet(s.name))
                                                                   for s in f.sheets]) for f in ing.files]
        return Ingested(frame, files)

    result = dataclasses.replace(result, chargemaster=ingested(result.chargemaster), pairing=ingested(result.pairing))
    return doc, result


def write_all(result: AuditResult, names: dict[str, str], out_dir: Path) -> dict:
    """Every report format plus the web view; returns the document's summary and title for the run list."""
    doc, labelled = relabel(result, names)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_reports(ReportContext(doc, labelled), list(FORMATS), out_dir)
    # The page is the CLI report itself, extended through the report's own template hook (a toolbar).
    view = render_html(ReportContext(doc, labelled, (web_report_templates(),)))
    (out_dir / VIEW).write_text(view, encoding="utf-8")
    return {"summary": doc["summary"], "quarter": doc["run"]["quarter"],
            "quarter_message": doc["run"]["quarter_message"]}
