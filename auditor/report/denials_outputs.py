"""Write a denials run: denials.json / .html / .xlsx and the appeal drafts under appeals/ (with one zip)."""

from __future__ import annotations

from pathlib import Path

import orjson

from auditor.denials.appeals import write_drafts
from auditor.denials.run import DenialsResult
from auditor.report.denials_doc import build_document
from auditor.report.denials_excel import write_denials_excel
from auditor.report.denials_html import write_denials_html

FORMATS = ("json", "html", "xlsx")


def write_denials(
    result: DenialsResult, out_dir: Path, formats: tuple[str, ...] = FORMATS, templates: Path | None = None
) -> dict[str, Path]:
    """Every asked output in `out_dir` (created); drafts first, so the reports can link them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    files = write_drafts(result.drafts, out_dir / "appeals", templates) if result.drafts else {}
    links = {key: f.docx.relative_to(out_dir).as_posix() for key, f in files.items()}
    if files:
        written["appeals"] = out_dir / "appeals"
    doc = build_document(result, links)
    if "json" in formats:
        written["json"] = out_dir / "denials.json"
        written["json"].write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    if "html" in formats:
        written["html"] = write_denials_html(doc, out_dir)
    if "xlsx" in formats:
        written["xlsx"] = write_denials_excel(doc, out_dir)
    return written
