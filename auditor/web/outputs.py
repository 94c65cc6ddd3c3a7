"""A web run's report files: the formats the page offers for download, its report view, and the run-list summary."""

from __future__ import annotations

from pathlib import Path

from auditor.report.html import render_html
from auditor.report.problems_view import problem_counts, top_problems
from auditor.report.renderers import CHARGEMASTER, TEXT, downloads, formats
from auditor.resources import resource_dir
from auditor.session import SessionResult

# Every report file of an audit; the summary is the page itself, not a download.
FORMATS = tuple(f for f in formats(CHARGEMASTER) if f != TEXT)
# Download name -> media type; nothing else in a run's report folder is ever served (history.json only
# exists after an audit that used the run history).
DOWNLOADS = downloads(CHARGEMASTER, FORMATS)
VIEW = "view.html"
TOP_KEYS = ("rank", "id", "edit", "name", "severity", "subject", "lines", "amount", "basis", "message")


def web_report_templates() -> Path:
    """The template folder that adds the web toolbar to the packaged report (extends default:report.html)."""
    return resource_dir("templates") / "web" / "report"


def write_view(outcome: SessionResult, out_dir: Path) -> Path:
    """view.html: the CLI's report itself, extended through the report's own template hook (a toolbar)."""
    path = out_dir / VIEW
    path.write_text(render_html(outcome.context((web_report_templates(),))), encoding="utf-8")
    return path


def run_summary(outcome: SessionResult) -> dict:
    """What the run list and the API show of a finished audit: counts, problems, quarter, the run history's part."""
    doc, problem = outcome.document, outcome.history_error
    return {
        "summary": doc["summary"],
        "problems": problem_counts(doc),
        # The first problem to fix, for a script that polls the API and wants one line to show.
        "top_problem": next(({k: p[k] for k in TOP_KEYS} for p in top_problems(doc, 1)), None),
        "quarter": doc["run"]["quarter"],
        "quarter_message": doc["run"]["quarter_message"],
        "history_run_id": (doc.get("history") or {}).get("run_id"),
        "history_error": f"the run history was not updated: {problem.reason}" if problem else None,
        # Files that could not be read: the audit covers the others only (the report's banner says so).
        "unreadable": outcome.audit.unreadable,
    }
