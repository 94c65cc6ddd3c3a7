"""claims-report.xlsx: Summary (native chart), Claims, Findings, Documentation, Skipped lines, About."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

import polars as pl

from auditor.claims.result import READINESS, READINESS_LABELS, ClaimsResult
from auditor.claims.summary import NO_VALUE, TABLE_COUNTS, meta_text, service_rows
from auditor.report import workbook
from auditor.report.cells import formula_like
from auditor.report.charts import humanise
from auditor.report.claims_context import ClaimsContext
from auditor.report.excel_frame import write_frame
from auditor.report.excel_rows import RowWriter
from auditor.report.workbook import MAX_CELL, MAX_ROWS, Styles, header, put

READINESS_FILL = {"ready": "#DDF0E3", "needs_attention": "#FCE8C3", "out_of_scope": "#E7EAEE"}
READINESS_FONT = {"ready": "#1E6B3A", "needs_attention": "#7A4B00", "out_of_scope": "#4A5563"}
EXCEL_EPOCH = date(1899, 12, 30)
CHART_FILL = {"ready": "#2E7D4F", "needs_attention": "#D08A12", "out_of_scope": "#8A94A3"}
CLAIM_COLUMNS = (
    ("Claim ID", 20, "claim_id"),
    ("Readiness", 16, "readiness"),
    ("File", 22, "file"),
    ("First row", 9, "first_row"),
    ("Last row", 9, "last_row"),
    ("Lines", 7, "lines"),
    ("DOS from", 11, "dos_from"),
    ("DOS to", 11, "dos_to"),
    ("State", 7, "state"),
    ("Participant", 18, "participant"),
    ("Payer", 18, "payer"),
    ("Payer class", 14, "payer_class"),
    ("Setting", 12, "setting"),
    ("WISeR status", 13, "wiser_status"),
    ("WISeR reason", 36, "wiser_reason"),
    ("WISeR services", 24, "wiser_categories"),
    ("UTN", 17, "utn"),
    ("Diagnoses", 24, "diagnoses"),
    ("Errors", 7, "errors"),
    ("Warnings", 9, "warnings"),
    ("Info", 6, "infos"),
    ("Blocking", 9, "blocking"),
)
FINDING_COLUMNS = (
    ("Claim ID", 20, "claim_id"),
    ("Line", 6, "line"),
    ("File", 22, "file"),
    ("Sheet", 10, "sheet"),
    ("Row", 7, "row"),
    ("DOS", 11, "dos"),
    ("Code", 9, "code"),
    ("Modifiers", 10, "modifiers"),
    ("Rev code", 9, "revenue_code"),
    ("Edit", 8, "edit"),
    ("Name", 26, "name"),
    ("Category", 24, "category"),
    ("Severity", 10, "severity"),
    ("Blocks", 8, "blocks"),
    ("Waived", 8, "waived"),
    ("Message", 60, "message"),
    ("Expected", 36, "expected"),
    ("Reference", 40, "reference"),
    ("Basis", 10, "basis"),
)
DOC_COLUMNS = (
    ("Claim ID", 20),
    ("State", 7),
    ("Participant", 18),
    ("DOS from", 11),
    ("Service", 26),
    ("Policy", 14),
    ("Basis", 10),
    ("#", 4),
    ("What the policy asks the record to show", 70),
    ("Confirmed?", 12),
    ("Analyst note", 40),
)
TOTAL_LABELS = (
    ("Claims", "claims"),
    ("Claim lines", "lines"),
    ("In WISeR scope", "in_scope"),
    ("Ready", "ready"),
    ("Needs attention", "needs_attention"),
    ("Out of scope", "out_of_scope"),
    ("Errors (not waived)", "errors"),
    ("Warnings (not waived)", "warnings"),
    ("Info (not waived)", "infos"),
    ("Findings blocking approval", "blocking"),
    ("Waived findings", "waived"),
    ("Claims with an unspecified diagnosis", "unspecified_dx"),
    ("Claims with a diagnosis that does not fit", "not_fit"),
    ("Claims with a broken pair", "broken_pairs"),
    ("Claims with a prior-auth finding", "prior_auth"),
    ("Lines skipped", "lines_skipped"),
)
ABOUT_FACTS = (
    ("Generated at", "generated_at"),
    ("Tool version", "tool_version"),
    ("Edit set version", "edit_set_version"),
    ("ICD-10-CM code set", "icd_code_set"),
    ("WISeR scope", "wiser"),
)
INPUT_FIELDS = ("path", "format", "size", "rows_read", "rows_audited", "rows_skipped", "sha256")
INPUT_HEADERS = ("Path", "Format", "Size (bytes)", "Lines read", "Audited", "Skipped", "SHA-256")
EDIT_FIELDS = ("code", "name", "category", "severity", "status", "findings", "basis")
EDIT_HEADERS = ("Code", "Name", "Category", "Severity", "Status", "Findings", "Basis")
SEVERITIES = ("error", "warning", "info")
SERVICE_HEADERS = ("Service", "Policy", "Basis", "Delayed", "Codes", "Checklist items", "Policy URL")
CATEGORY_HEADERS = ("Category", "Errors", "Warnings", "Info", "Total", "Blocking", "Claims")
TABLE_HEADERS = (
    "Claims",
    "In WISeR scope",
    "Ready",
    "Needs attention",
    "Out of scope",
    "Unspecified dx",
    "Dx not fit",
    "Broken pair",
    "Prior auth",
)


class ClaimStyles(Styles):
    """The chargemaster report's styles plus readiness colours and a date format."""

    BASE: ClassVar[dict[str, dict]] = {
        **Styles.BASE,
        "date": {"num_format": "yyyy-mm-dd"},
        **{
            f"rd_{k}": {"bold": True, "bg_color": c, "font_color": READINESS_FONT[k]}
            for k, c in READINESS_FILL.items()
        },
        "input": {"bg_color": "#FFFBE6", "border": 1, "border_color": "#D9D9D9"},
    }


def write_claims_xlsx(ctx: ClaimsContext, out_dir: Path, constant_memory: bool | None = None) -> Path:
    """claims-report.xlsx in `out_dir`; streams rows (constant_memory) when claims + findings pass ~50k rows."""
    result, summary, path = ctx.result, ctx.summary, out_dir / "claims-report.xlsx"
    meta = result.meta
    properties = {
        "title": "Claims readiness report",
        "author": f"cdm-audit {meta.get('tool_version') or ''}",
        "comments": f"generated {meta.get('generated_at') or ''}",
    }
    wb = workbook.open_workbook(
        path, properties, result.claims.height + result.findings.height, constant_memory
    )
    styles = ClaimStyles(wb)
    sheets = {
        name: wb.add_worksheet(name)
        for name in ("Summary", "Claims", "Findings", "Documentation", "Skipped lines", "About")
    }
    capped = {}
    capped["Claims"] = _frame_sheet(sheets["Claims"], result.claims, CLAIM_COLUMNS, styles, "readiness")
    capped["Findings"] = _frame_sheet(
        sheets["Findings"], result.findings, FINDING_COLUMNS, styles, "severity"
    )
    capped["Documentation"] = _documentation_sheet(sheets["Documentation"], result, styles)
    capped["Skipped lines"] = workbook.skipped_sheet(sheets["Skipped lines"], result.skipped, styles, 16)
    _summary_sheet(wb, sheets["Summary"], result, summary, styles, capped)
    _about_sheet(sheets["About"], result, styles, capped)
    sheets["Summary"].activate()
    wb.close()
    return path


def _frame_sheet(ws, frame: pl.DataFrame, columns, styles: Styles, coloured: str) -> tuple[int, int]:
    """One row per frame row in `columns` order; returns (rows written, rows in the frame)."""
    # Built column-wise and streamed by write_frame: 250k claims plus their findings are millions of cells.
    header(ws, columns, styles)
    rows = frame.select([f for _n, _w, f in columns]).head(MAX_ROWS)
    values, keys = [], []
    for name, dtype in rows.schema.items():
        col = pl.col(name)
        key = pl.lit(None, dtype=pl.String)
        if name == coloured:
            prefix = "rd_" if coloured == "readiness" else "sev_"
            known = READINESS if coloured == "readiness" else SEVERITIES
            key = pl.when(col.is_in(list(known))).then(pl.lit(prefix) + col)
            if coloured == "readiness":
                col = col.replace(READINESS_LABELS)
        elif dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
            # An Excel date: days since 1899-12-30, shown with the date format.
            col = (col.cast(pl.Date) - pl.lit(EXCEL_EPOCH)).dt.total_days()
            key = pl.when(col.is_not_null()).then(pl.lit("date"))
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("yes")).when(~col).then(pl.lit("no"))
        elif not (dtype.is_integer() or dtype == pl.String):
            col = col.cast(pl.String)
        values.append(col.alias(name))
        keys.append(key.alias(name))
    write_frame(RowWriter(ws, styles, blanks=False), 1, rows.select(values), rows.select(keys))
    ws.autofilter(0, 0, max(rows.height, 1), len(columns) - 1)
    return rows.height, frame.height


def _documentation_frame(result: ClaimsResult) -> pl.DataFrame:
    """One row per in-scope claim, WISeR service and checklist item, in claim order."""
    items = [
        {
            "wiser_categories": sid,
            "service": s.get("title") or humanise(sid),
            "policy": s.get("policy") or "",
            "basis": s.get("basis") or "inferred",
            "item_no": i,
            "item": item,
        }
        for sid, s in sorted(result.services.items())
        for i, item in enumerate(s.get("checklist") or [], 1)
    ]
    if not items:
        return pl.DataFrame()
    checklist = pl.DataFrame(
        items,
        schema={
            "wiser_categories": pl.String,
            "service": pl.String,
            "policy": pl.String,
            "basis": pl.String,
            "item_no": pl.Int64,
            "item": pl.String,
        },
    )
    in_scope = result.claims.filter(pl.col("wiser_status") == "in_scope").with_row_index("_order")
    return (
        service_rows(in_scope)
        .join(checklist, on="wiser_categories", how="inner")
        .sort(["_order", "wiser_categories", "item_no"])
        .select(
            "claim_id", "state", "participant", "dos_from", "service", "policy", "basis", "item_no", "item"
        )
    )


def _documentation_sheet(ws, result: ClaimsResult, styles: Styles) -> tuple[int, int]:
    """Checklist items of every in-scope claim's services, with empty 'confirmed?' and note columns."""
    header(ws, DOC_COLUMNS, styles)
    frame = _documentation_frame(result)
    rows = frame.head(MAX_ROWS) if frame.height else frame
    date_fmt, quote, wrap = styles.get("date"), styles.get("quote"), styles.get("wrap")
    for r, row in enumerate(rows.iter_rows(), start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, int):
                ws.write_number(r, c, v)
            elif isinstance(v, date):
                ws.write_datetime(r, c, v, date_fmt)
            else:
                v = v[:MAX_CELL]
                ws.write_string(r, c, v, quote if formula_like(v) else wrap if c == 8 else None)
    if rows.height:
        ws.data_validation(
            1,
            9,
            rows.height,
            9,
            {"validate": "list", "ignore_blank": True, "source": ["yes", "no", "not applicable"]},
        )
        ws.conditional_format(1, 9, rows.height, 10, {"type": "blanks", "format": styles.get("input")})
    ws.autofilter(0, 0, max(rows.height, 1), len(DOC_COLUMNS) - 1)
    return rows.height, frame.height


def _summary_sheet(wb, ws, result: ClaimsResult, summary: dict, styles: Styles, capped: dict) -> None:
    """Totals, tables by state / participant / service, categories, reasons, a readiness-by-state chart."""
    totals = summary["totals"]
    workbook.widths(ws, (34, 14, 14, 12, 16, 13, 14, 12, 12, 11))
    r = 0
    put(ws, r, 0, "Claims readiness report", styles, "title")
    r += 1
    meta = result.meta
    put(
        ws,
        r,
        0,
        f"Generated {meta_text(meta.get('generated_at'))}; diagnoses checked against "
        f"{meta_text(meta.get('icd_code_set'))}; WISeR scope {meta_text(meta.get('wiser'))}",
        styles,
    )
    r += 2
    for note in result.notes:
        put(ws, r, 0, "Note", styles, "alert")
        put(ws, r, 1, note, styles, "alert")
        r += 1
    for sheet, (written, total) in capped.items():
        if written < total:
            put(ws, r, 0, "Note", styles, "alert")
            put(
                ws,
                r,
                1,
                f"The {sheet} sheet holds {written:,} of {total:,} rows (Excel's limit); "
                "the CSV and JSON reports hold all.",
                styles,
                "alert",
            )
            r += 1
    r += bool(result.notes) or any(w < t for w, t in capped.values())
    put(ws, r, 0, "Totals", styles, "section")
    r += 1
    r = workbook.facts(ws, r, [(label, totals[key]) for label, key in TOTAL_LABELS], styles, "int")
    chart_at = None
    for key, title, first in (
        ("by_state", "By state", "State"),
        ("by_participant", "By WISeR participant", "Participant"),
        ("by_service", "By WISeR service", "Service"),
    ):
        r += 1
        put(ws, r, 0, title, styles, "section")
        r += 1
        workbook.header_cells(ws, r, (first,) + TABLE_HEADERS, styles)
        start = r + 1
        for row in summary[key]:
            r += 1
            put(ws, r, 0, row["label"] or NO_VALUE[key], styles)
            for c, k in enumerate(TABLE_COUNTS, start=1):
                put(ws, r, c, row[k], styles, "int")
        if key == "by_state" and summary[key]:
            chart_at = (start, r)
    r += 2
    put(ws, r, 0, "Findings by category (not waived)", styles, "section")
    r += 1
    workbook.header_cells(ws, r, CATEGORY_HEADERS, styles)
    for row in summary["by_category"]:
        r += 1
        put(ws, r, 0, humanise(row["category"] or ""), styles)
        for c, k in enumerate(("error", "warning", "info", "total", "blocking", "claims"), start=1):
            put(ws, r, c, row[k], styles, "int")
    r += 2
    put(ws, r, 0, "Why claims are out of scope", styles, "section")
    r += 1
    workbook.header_cells(ws, r, ("Reason", "Claims"), styles)
    for row in summary["top_reasons"]:
        r += 1
        put(ws, r, 0, row["reason"], styles)
        put(ws, r, 1, row["claims"], styles, "int")
    if chart_at:
        first, last = chart_at
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for i, key in enumerate(READINESS):
            col = 3 + i  # Ready, Needs attention, Out of scope columns of the by-state table
            chart.add_series(
                {
                    "name": ["Summary", first - 1, col],
                    "gap": 60,
                    "categories": ["Summary", first, 0, last, 0],
                    "values": ["Summary", first, col, last, col],
                    "fill": {"color": CHART_FILL[key]},
                }
            )
        chart.set_title({"name": "Readiness by state", "name_font": {"size": 12}})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 620, "height": max(260, 26 * (last - first + 1) + 110)})
        ws.insert_chart(2, 3, chart, {"x_offset": 20})


def _about_sheet(ws, result: ClaimsResult, styles: Styles, capped: dict) -> None:
    """Inputs with hashes, code set, WISeR scope, notes, sheet row counts, services and the edits run."""
    workbook.widths(ws, (30, 52, 12, 12, 12, 12, 68))
    meta, r = result.meta, 0
    put(ws, r, 0, "About this report", styles, "title")
    r += 2
    about = [(label, meta_text(meta.get(key))) for label, key in ABOUT_FACTS]
    r = workbook.facts(ws, r, about + [("Note", note) for note in result.notes], styles, "wrap") + 1
    inputs = [[f.get(k) for k in INPUT_FIELDS] for f in result.files]
    r = workbook.table(
        ws,
        r,
        "Inputs",
        INPUT_HEADERS,
        inputs,
        styles,
        lambda c, v: "mono" if INPUT_FIELDS[c] == "sha256" else None,
    )
    sheets = [[sheet, written, total] for sheet, (written, total) in capped.items()]
    r = workbook.table(
        ws,
        r,
        "Sheets",
        ("Sheet", "Rows written", "Rows in the run"),
        sheets,
        styles,
        lambda c, v: "int" if c else None,
    )
    services = [
        [
            s.get("title") or sid,
            s.get("policy"),
            s.get("basis"),
            s.get("delayed"),
            ", ".join(s.get("codes") or []),
            len(s.get("checklist") or []),
            s.get("policy_url"),
        ]
        for sid, s in sorted(result.services.items())
    ]
    r = workbook.table(ws, r, "WISeR services", SERVICE_HEADERS, services, styles)
    edits = [[e.get(k) for k in EDIT_FIELDS] for e in result.edits]
    workbook.table(
        ws,
        r,
        "Edits run",
        EDIT_HEADERS,
        edits,
        styles,
        lambda c, v: f"sev_{v}" if EDIT_FIELDS[c] == "severity" and v in SEVERITIES else None,
    )
