"""The renderer registry: each (result kind, format) with the files it writes; fronts and the session use it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from auditor.lean_dataclass import dataclass

CHARGEMASTER, CLAIMS = (
    "chargemaster",
    "claims",
)  # result kinds; the report a kind takes is noted per kind below
ANNOTATED = ("flagged", "full", "none")  # the Excel report's annotated copy: flagged rows, every row, none
TEXT = "text"  # the terminal summary: printed by the command line, a file when a front asks for one
MEDIA_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}


@dataclass(frozen=True)
class Renderer:
    """One format of one kind: the files it writes and the function that writes them, write(report, out_dir)."""

    kind: str
    format: str
    files: tuple[str, ...]  # every file it may write into the folder, the main one (its return value) first
    # "module:function" of the writer in auditor.report, imported when first used: the Excel, HTML and PDF
    # writers and their libraries are a fifth of a small audit's start-up, and a JSON run never needs them.
    target: str
    # Written after the others and given them as written={format: path}: a summary that says where they went.
    last: bool = False

    @property
    def write(self) -> Callable[..., Path]:
        """The function that writes this format."""
        module, name = self.target.split(":")
        return getattr(importlib.import_module(f"auditor.report.{module}"), name)


# Adding a kind (denials next) or a format means adding its rows here, nothing else: formats, --format help and
# checks, the session's files and the web's downloads all follow. Rows are in each kind's --format help order.
# The report handed to write() is a ReportContext (or document dict) for the chargemaster, a ClaimsContext
# for claims.
RENDERERS: dict[tuple[str, str], Renderer] = {
    (r.kind, r.format): r
    for r in (
        Renderer(CHARGEMASTER, TEXT, ("summary.txt",), "summary:write_summary", last=True),
        Renderer(CHARGEMASTER, "html", ("report.html",), "html:write_html"),
        Renderer(CHARGEMASTER, "xlsx", ("report.xlsx",), "excel:write_xlsx"),
        Renderer(CHARGEMASTER, "json", ("findings.json", "history.json"), "json_report:write_json"),
        Renderer(CHARGEMASTER, "csv", ("findings.csv", "findings-run.csv"), "csv_report:write_csv"),
        Renderer(
            CHARGEMASTER,
            "pdf",
            ("compliance-summary.pdf",),
            "compliance:write_chargemaster_compliance",
        ),
        Renderer(CLAIMS, TEXT, ("claims-summary.txt",), "claims_text:write_claims_text", last=True),
        Renderer(CLAIMS, "html", ("claims-report.html",), "claims_html:write_claims_html"),
        Renderer(CLAIMS, "xlsx", ("claims-report.xlsx",), "claims_excel:write_claims_xlsx"),
        Renderer(CLAIMS, "json", ("claims.json",), "json_report:write_claims_json"),
        Renderer(CLAIMS, "csv", ("claims.csv", "claim-findings.csv"), "csv_report:write_claims_csv"),
        Renderer(CLAIMS, "pdf", ("compliance-summary.pdf",), "compliance:write_claims_compliance"),
    )
}


def formats(kind: str) -> tuple[str, ...]:
    """The formats a kind of result can be written in, in registry order."""
    return tuple(fmt for k, fmt in RENDERERS if k == kind)


def renderer(kind: str, fmt: str) -> Renderer:
    """The renderer of one format of a kind; ValueError naming the choices for a format it does not have."""
    try:
        return RENDERERS[(kind, fmt)]
    except KeyError:
        raise ValueError(
            f"unknown {kind} report format {fmt!r}; choose from {', '.join(formats(kind))}"
        ) from None


def downloads(kind: str, fmts: Iterable[str]) -> dict[str, str]:
    """File name -> media type of every file these formats may write (what a web front may serve)."""
    return {name: MEDIA_TYPES[Path(name).suffix] for fmt in fmts for name in renderer(kind, fmt).files}


def write_reports(kind: str, report, fmts: Iterable[str], out_dir: Path) -> dict[str, Path]:
    """Write each format (once, in the order asked, summaries last) into `out_dir`, created; format -> main file."""
    chosen = [renderer(kind, fmt) for fmt in dict.fromkeys(fmts)]
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for r in sorted(chosen, key=lambda r: r.last):
        written[r.format] = (
            r.write(report, out_dir, written=dict(written)) if r.last else r.write(report, out_dir)
        )
    return written
