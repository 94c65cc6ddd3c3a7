"""Write the audit in each format; the registry maps a format name to its writer fn(ctx, out_dir) -> Path."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from auditor.report.context import ReportContext


def write_json(ctx: ReportContext | dict, out_dir: Path) -> Path:
    """findings.json: the whole document, keys in a fixed order, UTF-8 (plus history.json after a recorded run)."""
    doc = ReportContext.of(ctx).doc
    path = out_dir / "findings.json"
    if "history" in doc:
        # The comparison with earlier runs changes with the history, not with the inputs: kept apart so
        # findings.json stays byte-identical for the same inputs and as-of date.
        doc = {k: v for k, v in doc.items() if k != "history"}
        (out_dir / "history.json").write_text(json.dumps(ReportContext.of(ctx).doc["history"], indent=2,
                                                         ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    # Run record and summary indented for reading; one finding (or skipped row) per line, which is
    # 3x faster to write than indenting everything and still diffs line by line.
    parts = []
    for key, value in doc.items():
        if isinstance(value, list):
            # orjson writes the (many) finding lines ~10x faster than json; same compact JSON text.
            items = ",\n    ".join(orjson.dumps(v, default=str).decode() for v in value)
            body = f"[\n    {items}\n  ]" if value else "[]"
        else:
            body = json.dumps(value, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {body}")
    path.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    return path


def _html(ctx, out_dir):
    """report.html (imported on use: jinja2 is only loaded when HTML is asked for)."""
    from auditor.report.html import write_html

    return write_html(ctx, out_dir)


def _xlsx(ctx, out_dir):
    """report.xlsx (imported on use)."""
    from auditor.report.excel import write_xlsx

    return write_xlsx(ctx, out_dir)


def _csv(ctx, out_dir):
    """findings.csv and findings-run.csv (imported on use)."""
    from auditor.report.csv_report import write_csv

    return write_csv(ctx, out_dir)


# format -> writer(ctx: ReportContext | doc dict, out_dir: Path) -> Path of the main file written.
WRITERS = {"json": write_json, "csv": _csv, "html": _html, "xlsx": _xlsx}


def write_reports(ctx: ReportContext, formats: list[str], out_dir: Path) -> list[Path]:
    """Write each requested format into `out_dir` (created if needed); unknown formats raise KeyError."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [WRITERS[fmt](ctx, out_dir) for fmt in formats]
