"""Write a claims run in each format (text, html, xlsx, json, csv) and the terse terminal summary."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from auditor.claims.result import ClaimsResult
from auditor.claims.summary import build_summary, meta_text
from auditor.report.cells import FORMULA_STARTS

FORMATS = ("text", "html", "xlsx", "json", "csv")
FILE_NAMES = {"text": "claims-summary.txt", "html": "claims-report.html", "xlsx": "claims-report.xlsx",
              "json": "claims.json", "csv": "claims.csv"}
FINDINGS_CSV = "claim-findings.csv"
TOP_CATEGORIES = 8
# cells.formula_like() as a regex: a formula start, possibly after leading spaces, newlines or NBSPs.
_FORMULA = "^[\\x{20}\\x{A}\\x{A0}]*[" + "".join(f"\\x{{{ord(c):X}}}" for c in FORMULA_STARTS) + "]"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column quote-prefixed where a spreadsheet could read a formula; booleans as yes/no."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            quoted = pl.when(col.str.contains(_FORMULA)).then(pl.lit("'") + col).otherwise(col)
            exprs.append(quoted.alias(name))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("yes")).when(col.not_()).then(pl.lit("no")).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM (Excel reads accents) and CRLF rows, like findings.csv."""
    neutralised(frame).write_csv(path, include_bom=True, line_terminator="\r\n", date_format="%Y-%m-%d")
    return path


def write_claims_csv(result: ClaimsResult, out_dir: Path) -> Path:
    """claims.csv (one row per claim) and claim-findings.csv (one row per finding) in `out_dir`."""
    _write_csv(result.findings, out_dir / FINDINGS_CSV)
    return _write_csv(result.claims, out_dir / FILE_NAMES["csv"])


def _write_items(fh, key: str, frame: pl.DataFrame, chunk: int = 50_000) -> None:
    """`"key": [...]`, one object per line, written in slices: a 1M-row frame never sits in memory as text."""
    fh.write(f"  {json.dumps(key)}: [")
    for start in range(0, frame.height, chunk):
        body = frame.slice(start, chunk).write_ndjson().rstrip("\n").replace("\n", ",\n    ")
        fh.write(("\n    " if start == 0 else ",\n    ") + body)
    fh.write("\n  ]" if frame.height else "]")


def write_claims_json(result: ClaimsResult, summary: dict, out_dir: Path) -> Path:
    """claims.json: meta, summary, files, skipped, notes, services, edits; then a claim or finding a line."""
    head = {"meta": result.meta, "summary": summary, "files": result.files, "skipped": result.skipped,
            "notes": result.notes, "services": result.services, "edits": result.edits}
    path = out_dir / FILE_NAMES["json"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("{\n")
        for k, v in head.items():
            text = json.dumps(v, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  ")
            fh.write(f"  {json.dumps(k)}: {text},\n")
        _write_items(fh, "claims", result.claims)
        fh.write(",\n")
        _write_items(fh, "findings", result.findings)
        fh.write("\n}\n")
    return path


def text_summary(result: ClaimsResult, summary: dict, written: dict[str, Path] | None = None) -> str:
    """A terse terminal summary: inputs, readiness counts, top finding categories, where the reports went."""
    t, meta = summary["totals"], result.meta
    version, generated = meta.get("tool_version") or "", meta.get("generated_at") or "?"
    lines = [f"cdm-audit claims {version}  generated {generated}",
             f"  diagnoses checked against {meta_text(meta.get('icd_code_set'))}; "
             f"WISeR scope {meta_text(meta.get('wiser'))}"]
    for f in result.files:
        sha = (f.get("sha256") or "")[:12]
        lines.append(f"  {f.get('path')} ({f.get('format') or '?'}{', sha256 ' + sha + '…' if sha else ''}): "
                     f"{f.get('rows_audited') or 0:,} lines audited, {f.get('rows_skipped') or 0:,} skipped")
    lines += [f"!! {n}" for n in result.notes]
    lines.append(f"{t['claims']:,} claims ({t['lines']:,} lines), {t['in_scope']:,} in WISeR scope: "
                 f"{t['ready']:,} ready, {t['needs_attention']:,} need attention, "
                 f"{t['out_of_scope']:,} out of scope")
    lines.append(f"{t['errors']:,} errors, {t['warnings']:,} warnings, {t['infos']:,} info"
                 + (f", {t['waived']:,} waived" if t["waived"] else "")
                 + f"; {t['unspecified_dx']:,} claims with an unspecified diagnosis, "
                   f"{t['broken_pairs']:,} with a broken pair")
    if summary["by_category"]:
        lines.append("Top categories:")
        for row in summary["by_category"][:TOP_CATEGORIES]:
            lines.append(f"  {row['total']:>8,}  {row['category']} ({row['claims']:,} claim(s))")
    if summary["top_reasons"]:
        lines.append("Out of scope because:")
        lines += [f"  {r['claims']:>8,}  {r['reason']}" for r in summary["top_reasons"][:5]]
    if written:
        lines.append("Reports: " + ", ".join(str(p) for p in written.values()))
    return "\n".join(lines)


def write_claims_report(result: ClaimsResult, out_dir: Path, formats: list[str]) -> dict[str, Path]:
    """Write each format into `out_dir` (created if needed); format -> its main file.

    csv also writes claim-findings.csv beside claims.csv; text is written last and lists the other files.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = build_summary(result)
    written: dict[str, Path] = {}
    for fmt in dict.fromkeys(formats):
        if fmt == "html":
            from auditor.claims.report_html import write_claims_html  # on use: jinja2 only for HTML

            written[fmt] = write_claims_html(result, summary, out_dir)
        elif fmt == "xlsx":
            from auditor.claims.report_excel import write_claims_xlsx  # on use: xlsxwriter only for xlsx

            written[fmt] = write_claims_xlsx(result, summary, out_dir / FILE_NAMES["xlsx"])
        elif fmt == "json":
            written[fmt] = write_claims_json(result, summary, out_dir)
        elif fmt == "csv":
            written[fmt] = write_claims_csv(result, out_dir)
    if "text" in formats:  # last, so it can say where the other reports went
        path = out_dir / FILE_NAMES["text"]
        path.write_text(text_summary(result, summary, {**written, "text": path}) + "\n", encoding="utf-8")
        written["text"] = path
    return written
