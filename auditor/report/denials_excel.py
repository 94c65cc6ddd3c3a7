"""denials.xlsx: summary with native charts, one sheet per dimension, denied claims, unjoined and superseded."""

from __future__ import annotations

from pathlib import Path

from auditor.report.denials_html import TABLES
from auditor.report.workbook import Styles, open_workbook, put

# Adjudications not counted: the claim, the payer, why, what superseded it and when.
SUPERSEDED = (
    "claim_id",
    "payer",
    "claim_status",
    "paid_date",
    "superseded",
    "superseded_by",
    "superseded_on",
    "file",
    "row",
)


def _table(ws, styles: Styles, top: int, headers: list[str], rows: list[list]) -> int:
    """Write a header and rows from row `top` (workbook.put: typed, formula-like text quote-prefixed)."""
    for j, h in enumerate(headers):
        put(ws, top, j, h, styles, "header")
    for i, row in enumerate(rows, start=top + 1):
        for j, v in enumerate(row):
            put(ws, i, j, v, styles)
    return top + 1 + len(rows)


def write_denials_excel(doc: dict, out_dir: Path) -> Path:
    """denials.xlsx in `out_dir`: a Summary sheet with a native bar chart per dimension, then the tables."""
    path = out_dir / "denials.xlsx"
    wb = open_workbook(
        path, {"title": "Denials", "comments": "cdm-audit denials"}, rows=0, constant_memory=False
    )
    styles = Styles(wb)
    summary = wb.add_worksheet("Summary")
    summary.set_column(0, 0, 34)
    totals = list(doc["totals"].items())
    end = _table(summary, styles, 0, ["Measure", "Value"], [[k.replace("_", " "), v] for k, v in totals])
    end = _table(
        summary,
        styles,
        end + 1,
        ["Pattern", "Detail", "Claims"],
        [[p["title"], p["detail"], ", ".join(p["claims"])] for p in doc["patterns"]],
    )
    chart_row = end + 2
    for key, title, cols in TABLES:
        rows = doc["rates"][key]
        ws = wb.add_worksheet(title[:31])
        ws.set_column(0, 0, 30)
        _table(
            ws,
            styles,
            0,
            [title, *cols, *(["label"] if key in ("carc", "rarc") else [])],
            [
                [r["key"], *[r[c] for c in cols], *([r["label"]] if key in ("carc", "rarc") else [])]
                for r in rows
            ],
        )
        if key in ("state", "participant", "service", "month") and rows:
            chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
            for col, name, colour in ((2, "denied", "#C0362C"), (4, "pended", "#D08A12")):
                chart.add_series(
                    {
                        "name": name,
                        "categories": [ws.get_name(), 1, 0, len(rows), 0],
                        "values": [ws.get_name(), 1, col, len(rows), col],
                        "fill": {"color": colour},
                    }
                )
            chart.set_title({"name": f"Denied and pended — {title}"})
            chart.set_legend({"position": "bottom"})
            summary.insert_chart(chart_row, 3, chart, {"x_scale": 1.2, "y_scale": 1.0})
            chart_row += 16
    ws = wb.add_worksheet("Denied claims")
    cols = [
        "claim_id",
        "claim_file",
        "state",
        "participant",
        "service",
        "reasons",
        "predicted_by",
        "kind",
        "deadline",
        "send_to",
        "draft",
    ]
    _table(ws, styles, 0, cols, [[d[c] for c in cols] for d in doc["denied_claims"]])
    ws = wb.add_worksheet("Denied lines")
    cols = [
        "claim_id",
        "line",
        "code",
        "modifiers",
        "group_codes",
        "carcs",
        "rarcs",
        "dos",
        "charge",
        "paid",
        "predicted_by",
        "line_predicted_by",
    ]
    _table(ws, styles, 0, cols, [[d[c] for c in cols] for d in doc["denied_lines"]])
    ws = wb.add_worksheet("Not joined")
    cols = ["file", "row", "claim_id", "line", "code", "reason"]
    _table(ws, styles, 0, cols, [[u[c] for c in cols] for u in doc["unjoined"]])
    ws = wb.add_worksheet("Superseded")
    _table(ws, styles, 0, list(SUPERSEDED), [[s[c] for c in SUPERSEDED] for s in doc["superseded"]])
    wb.close()
    return path
