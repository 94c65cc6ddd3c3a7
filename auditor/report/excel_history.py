"""The report.xlsx 'Since last run' sheet: comparison counts, trend table and chart, code changes, finding lists."""

from __future__ import annotations

from auditor.report.workbook import Styles, facts, header_cells, put, widths

COUNTS = (
    ("new", "New"),
    ("resolved", "Resolved"),
    ("still_open", "Still open"),
    ("reappeared", "Reappeared"),
    ("implementation_errors", "Implementation errors"),
    ("fixes_confirmed", "Fixes confirmed"),
    ("waived_by_ack", "Waived by acknowledgement"),
)
LIST_COLUMNS = ("Id", "Severity", "Edit", "Sheet", "Row", "Charge code", "Code", "Description", "Message")
WIDTHS = (30, 16, 16, 14, 12, 14, 14, 40, 70, 50)


def history_sheet(wb, ws, hist: dict, styles: Styles) -> None:
    """Write the sheet top to bottom (constant_memory workbooks need rows in order)."""
    widths(ws, WIDTHS)
    put(ws, 0, 0, "Since last run", styles, "title")
    r = 2
    base = hist.get("baseline")
    about = [
        ("Facility", hist["facility"]),
        ("Facility key", hist["facility_key"]),
        ("Recorded as run", hist["run_id"] if hist.get("run_id") else "not recorded"),
        ("History database", hist["database"]),
    ]
    if hist.get("counts") is None:
        about.append(("Compared with", "no comparison asked"))
    elif base is None:
        about.append(("Compared with", "first recorded run for this facility: every finding is new"))
    else:
        about += [
            ("Compared with run", base["id"]),
            ("Its as-of date", base["as_of"]),
            ("Its code set quarter", base["code_quarter"]),
            ("Its edit set", base["edit_set_version"]),
            ("Its inputs", ", ".join(i["name"] for i in base["inputs"])),
            ("Same input files", "yes" if hist.get("same_inputs") else "no"),
        ]
    r = facts(ws, r, about, styles)
    if hist.get("counts") is not None:
        r += 1
        put(ws, r, 0, "Counts", styles, "section")
        r += 1
        r = facts(ws, r, [(label, hist["counts"][key]) for key, label in COUNTS], styles, "int")
    r = _trend(wb, ws, hist.get("trend") or [], styles, r + 1)
    if hist.get("counts") is None:
        return
    r = _finding_list(
        ws,
        "Implementation errors (fix acknowledged on an earlier run, still in this extract)",
        hist["implementation_errors"],
        hist["counts"]["implementation_errors"],
        styles,
        r,
        ack=True,
    )
    r = _quarter_changes(ws, hist, styles, r)
    for key, title in (
        ("new", "New findings"),
        ("reappeared", "Reappeared"),
        ("resolved", "Resolved"),
        ("fixes_confirmed", "Fixes confirmed"),
        ("waived_by_ack", "Waived by acknowledgement"),
    ):
        r = _finding_list(
            ws,
            title,
            hist[key],
            hist["counts"][key],
            styles,
            r,
            ack=key in ("fixes_confirmed", "waived_by_ack"),
        )


def _trend(wb, ws, points: list[dict], styles: Styles, r: int) -> int:
    """Quarter-by-quarter counts and a native stacked column chart beside them; returns the next free row."""
    if not points:
        return r
    put(ws, r, 0, "Trend across quarters (latest run of each quarter, not waived)", styles, "section")
    r += 1
    header_cells(ws, r, ("Quarter", "Run", "As of", "Errors", "Warnings", "Info"), styles)
    first = r + 1
    for p in points:
        r += 1
        for c, v in enumerate(
            (p["quarter"], p.get("id") or "this audit", p["as_of"], p["errors"], p["warnings"], p["infos"])
        ):
            put(ws, r, c, v, styles, "int" if c >= 3 else None)
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, (name, colour) in enumerate(
        (("Errors", "#C0362C"), ("Warnings", "#D08A12"), ("Info", "#2F6FBA")), start=3
    ):
        chart.add_series(
            {
                "name": name,
                "categories": [ws.name, first, 0, r, 0],
                "values": [ws.name, first, c, r, c],
                "fill": {"color": colour},
                "gap": 80,
            }
        )
    chart.set_title({"name": "Findings per quarter", "name_font": {"size": 12}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 300})
    ws.insert_chart(first - 1, 7, chart, {"x_offset": 10})
    return max(r + 2, first + 16)  # leave the chart's height free before the next table


def _finding_list(
    ws, title: str, items: list[dict], total: int, styles: Styles, r: int, ack: bool = False
) -> int:
    """A titled table of findings (capped lists say so); returns the next free row."""
    if not items and not total:
        return r
    put(
        ws,
        r,
        0,
        f"{title}: {total}"
        + (
            f" (first {len(items)} listed; findings.json holds the lists, "
            "`cdm-audit compare --all` every finding)"
            if len(items) < total
            else ""
        ),
        styles,
        "section",
    )
    r += 1
    header_cells(ws, r, LIST_COLUMNS + (("Acknowledgement",) if ack else ()), styles)
    for f in items:
        r += 1
        values = [
            f["fid"],
            f["severity"],
            f["edit"],
            f["sheet"],
            f["row"],
            f["charge_code"],
            f["code"],
            f["description"],
            f["message"],
        ]
        if ack and f.get("ack"):
            a = f["ack"]
            values.append(
                f"{a['status']} by {a['who']} on {a['at'][:10]}" + (f": {a['reason']}" if a["reason"] else "")
            )
        for c, v in enumerate(values):
            put(ws, r, c, v, styles, f"sev_{v}" if c == 1 else "mono" if c == 0 else None)
    return r + 2


def _quarter_changes(ws, hist: dict, styles: Styles, r: int) -> int:
    """Codes the code-set update broke (then the other code changes); returns the next free row."""
    changes = hist.get("quarter_changes") or []
    if not changes and not hist.get("quarter_note"):
        return r
    put(ws, r, 0, "What the code-set update broke", styles, "section")
    r += 1
    if hist.get("quarter_note"):
        put(ws, r, 0, "Note", styles, "label")
        put(ws, r, 1, hist["quarter_note"], styles, "wrap")
        r += 1
    header_cells(
        ws,
        r,
        (
            "Code",
            "File",
            "Change",
            "SI before",
            "SI after",
            "Lines",
            "Replaced by",
            "Descriptor",
            "Charge codes (rows)",
            "Replacement on file",
        ),
        styles,
    )
    for q in sorted(changes, key=lambda q: not q["broken"]):  # broken first, order kept within each group
        r += 1
        sample = ", ".join(f"{s['charge_code'] or '-'} ({s['row']})" for s in q["sample"])
        values = (
            q["code"],
            q["role"],
            q["label"],
            q["before"]["si"] or "-",
            q["after"]["si"] or "not listed",
            q["lines"],
            ", ".join(q["replaced_by"]),
            q["descriptor"],
            sample,
            ", ".join(q["replacement_on_file"]),
        )
        for c, v in enumerate(values):
            put(ws, r, c, v, styles, "alert" if c == 2 and q["broken"] else None)
    return r + 2
