"""Write a finished audit's reports (the CLI's writers) with display names instead of private upload paths."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import polars as pl

from auditor.audit import AuditResult
from auditor.engine.resources import resource_dir
from auditor.ingest import Ingested
from auditor.report.context import ReportContext
from auditor.report.document import build_document
from auditor.report.html import render_html
from auditor.report.writers import write_reports

log = logging.getLogger("auditor.web")

FORMATS = ("json", "csv", "xlsx", "html")
# Download name -> media type; nothing else in a run's report folder is ever served.
DOWNLOADS = {
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "findings.json": "application/json",
    "findings.csv": "text/csv; charset=utf-8",
    "findings-run.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
    "history.json": "application/json",  # only after an audit that used the run history
}
VIEW = "view.html"


def web_report_templates() -> Path:
    """The template folder that adds the web toolbar to the packaged report (extends default:report.html)."""
    return resource_dir("templates") / "web" / "report"


def relabel(result: AuditResult, names: dict[str, str]) -> tuple[dict, AuditResult]:
    """The report document and a result whose file paths read as the uploaded names, not private paths."""
    return relabel_document(build_document(result), names), relabel_result(result, names)


def _labels(names: dict[str, str]):
    """(file, sheet) relabelling functions: private upload path -> display name."""
    # Text files have one "sheet" named after the file. Uploads are stored under their (cleaned) uploaded
    # names, so this maps a name to itself; it stays so that a stored name can never leak into a report.
    sheets = {Path(p).name: shown for p, shown in names.items()}

    def name(path):
        return names.get(path, path)

    def sheet(value):
        return sheets.get(value, value) if isinstance(value, str) else value

    return name, sheet


def relabel_document(doc: dict, names: dict[str, str]) -> dict:
    """The report document with its file paths (and text files' sheet names) read as the uploaded names."""
    name, sheet = _labels(names)
    for item in doc["run"]["inputs"]:
        item["path"] = name(item["path"])
        for s in item["sheets"]:
            s["name"] = sheet(s["name"])
    for f in doc["findings"]:
        f["file"], f["sheet"] = name(f["file"]), sheet(f["sheet"])
        f["related_rows"] = [{**r, "file": name(r.get("file")), "sheet": sheet(r.get("sheet"))} for r in f["related_rows"]]
    for s in doc["skipped_rows"]:
        s["file"], s["sheet"] = name(s["file"]), sheet(s["sheet"])
    return doc


def relabel_result(result: AuditResult, names: dict[str, str]) -> AuditResult:
    """A result whose ingested files and frames read as the uploaded names (the findings are shared)."""
    name, sheet = _labels(names)
    sheets = {Path(p).name: shown for p, shown in names.items()}

    def ingested(ing: Ingested | None) -> Ingested | None:
        if ing is None:
            return None
        frame = ing.frame
        if frame.height:
            frame = frame.with_columns(pl.col("file").replace(names), pl.col("sheet").replace(sheets))
        files = [dataclasses.replace(f, path=name(f.path), sheets=[dataclasses.replace(s, name=sheet(s.name))
                                                                   for s in f.sheets]) for f in ing.files]
        return Ingested(frame, files)

    def finding(f):
        return dataclasses.replace(f, file=name(f.file), sheet=sheet(f.sheet), related_rows=tuple(
            {**r, "file": name(r.get("file")), "sheet": sheet(r.get("sheet"))} for r in f.related_rows))

    return dataclasses.replace(result, findings=[finding(f) for f in result.findings],
                               chargemaster=ingested(result.chargemaster), pairing=ingested(result.pairing))


def with_history(labelled: AuditResult, doc: dict, history) -> dict:
    """Run the CLI's history step (waivers, record, 'since last run') on the relabelled document and result.

    Both already read as the uploaded names, so the run history records those names (never the private
    upload paths), also when an acknowledged waiver makes the hook rebuild the document from `labelled`.
    """
    from auditor.history import audit_hook

    return audit_hook(labelled, doc, history)


def write_all(result: AuditResult, names: dict[str, str], out_dir: Path, history=None) -> dict:
    """Every report format plus the web view; returns the document's summary and title for the run list.

    `history` (HistoryOptions, or None for none): record the run in the run history like `cdm-audit audit`
    and add its "Since last run" section; a history failure is logged and the reports are written without it.
    """
    doc, labelled = relabel(result, names)
    history_id, history_error = None, None
    if history is not None and history.active:
        from auditor.errors import InputError

        try:
            doc = with_history(labelled, doc, history)
            history_id = (doc.get("history") or {}).get("run_id")
        except InputError as exc:
            log.warning("run history not updated: %s", exc)
            history_error = f"the run history was not updated: {exc.reason}"
            doc, labelled = relabel(result, names)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_reports(ReportContext(doc, labelled), list(FORMATS), out_dir)
    # The page is the CLI report itself, extended through the report's own template hook (a toolbar).
    view = render_html(ReportContext(doc, labelled, (web_report_templates(),)))
    (out_dir / VIEW).write_text(view, encoding="utf-8")
    return {"summary": doc["summary"], "quarter": doc["run"]["quarter"],
            "quarter_message": doc["run"]["quarter_message"], "history_run_id": history_id,
            "history_error": history_error}
