"""report.xlsx: Fix first, Problems, Summary (native charts), Findings, annotated rows, Edits and Skipped rows."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import polars as pl

from auditor.report.cells import related_text, where
from auditor.report.charts import humanise
from auditor.report.context import SEVERITY_ORDER, ReportContext, queue_of, queue_titles
from auditor.report.excel_annotated import annotated_sheet, annotated_tables, findings_by_row
from auditor.report.excel_frame import write_frame
from auditor.report.excel_history import history_sheet
from auditor.report.excel_rows import RowWriter
from auditor.report.gaps import by_reason
from auditor.report.problems_view import (
    finding_ranks,
    line_places,
    main_file,
    problems_of,
    subject_label,
    top_problems,
)
from auditor.report.sheets import sheet_state
from auditor.report.workbook import (
    Styles,
    facts,
    header,
    header_cells,
    open_workbook,
    put,
    skipped_sheet,
    widths,
)

MAX_LINKS = 65_530  # Excel's limit of hyperlinks per worksheet
PLACES_SHOWN = 10  # line locations listed in a problem's "Where" cell; its findings hold every line
FINDING_COLUMNS = (
    ("Problem", 9),
    ("Severity", 10),
    ("Edit", 8),
    ("Name", 26),
    ("Queue", 22),
    ("Category", 20),
    ("Family", 16),
    ("Go to row", 14),
    ("File", 24),
    ("Sheet", 12),
    ("Row", 7),
    ("Charge code", 13),
    ("Code", 9),
    ("Rev code", 9),
    ("Description", 40),
    ("Message", 60),
    ("Expected", 40),
    ("Related rows", 50),
    ("Waived", 8),
    ("Waiver reason", 30),
    ("Scope", 12),
)
PROBLEM_COLUMNS = (
    ("Rank", 6),
    ("Severity", 10),
    ("Edit", 8),
    ("Name", 26),
    ("Subject", 30),
    ("Lines", 7),
    ("Amount at stake", 15),
    ("OPPS rate", 12),
    ("Rate quarter", 10),
    ("Basis", 44),
    ("Message", 60),
    ("Where (first lines)", 44),
    ("Waived", 8),
    ("Problem id", 14),
)
GO_TO = [name for name, _w in FINDING_COLUMNS].index("Go to row")
# Appended to the Findings sheet when the audit used the run history.
HISTORY_COLUMNS = (("History id", 14), ("Since last run", 13))


def write_xlsx(
    ctx: ReportContext | dict,
    out_dir: Path,
    constant_memory: bool | None = None,
    annotated: str | None = None,
) -> Path:
    """report.xlsx in `out_dir`, its annotated rows as `annotated` (else the context's) says; rows streamed."""
    # The document and audit hold millions of objects that every full garbage collection walks, while the
    # writer makes millions of short-lived strings and tuples and no cycles: ~10% of the time at 100k rows.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write(ReportContext.of(ctx), out_dir, constant_memory, annotated)
    finally:
        if collecting:
            gc.enable()


def _write(ctx: ReportContext, out_dir: Path, constant_memory: bool | None, annotated: str | None) -> Path:
    """write_xlsx() with the garbage collector paused."""
    doc, audited = ctx.doc, ctx.audited_tables()
    mode = annotated or getattr(ctx, "annotated", None) or "flagged"
    tables = annotated_tables(audited, doc, mode)
    path = out_dir / "report.xlsx"
    wb = open_workbook(
        path,
        {
            "title": "Chargemaster audit report",
            "author": f"cdm-audit {doc['run']['tool_version']}",
            "comments": f"as of {doc['run']['as_of']}, edit set {doc['run']['edit_set_version']}",
        },
        len(doc["findings"]) + sum(t.height for _, t in tables),
        # Streamed at any size: RowWriter's whole-row XML is faster than XlsxWriter's cell table, and smaller.
        True if constant_memory is None else constant_memory,
    )
    styles = Styles(wb)
    targets = _row_targets(tables)
    fix_first, problems = wb.add_worksheet("Fix first"), wb.add_worksheet("Problems")
    summary = wb.add_worksheet("Summary")
    since = wb.add_worksheet("Since last run") if doc.get("history") else None
    findings = wb.add_worksheet("Findings")
    annotated_ws = [(title, frame, wb.add_worksheet(title)) for title, frame in tables]
    edits_ws, skipped_ws = wb.add_worksheet("Edits"), wb.add_worksheet("Skipped rows")
    top = top_problems(doc)
    _problems_sheet(fix_first, doc, top, styles, targets, note=_fix_first_note(doc, top))
    _problems_sheet(problems, doc, problems_of(doc), styles, targets)
    links = _findings_sheet(findings, doc, styles, targets)
    note = _annotated_note(mode, audited, tables)
    _summary_sheet(wb, summary, doc, styles, links if tables or not audited else None, note)
    if since is not None:
        history_sheet(wb, since, doc["history"], styles)
    by_row = findings_by_row(doc, ctx.result)
    for _title, frame, ws in annotated_ws:
        annotated_sheet(ws, frame, by_row, styles)
    _edits_sheet(edits_ws, ctx.edit_docs(), styles)
    skipped_sheet(skipped_ws, doc["skipped_rows"], styles)
    fix_first.activate()
    wb.close()
    return path


def _annotated_note(mode: str, audited, tables) -> str | None:
    """What the annotated sheets hold when they are not every audited row (None when they are)."""
    if not audited or mode == "full":
        return None
    if mode == "none":
        return "No annotated sheets (--annotated none); 'Go to row' names each finding's row in its file."
    shown = ", ".join(
        f"{title}: {frame.height:,} of {whole.height:,} rows"
        for (title, frame), (_t, whole) in zip(tables, audited, strict=True)
    )
    return (
        f"The annotated sheets hold the rows with findings and the other rows of their charge codes ({shown}); "
        "--annotated full writes every audited row."
    )


def _row_targets(tables) -> dict[tuple, tuple[str, int]]:
    """(file, sheet, row) -> (annotated sheet title, 1-based Excel row) for every audited row."""
    out: dict[tuple, tuple[str, int]] = {}
    for title, frame in tables:
        keys = zip(*(frame.get_column(k).to_list() for k in ("file", "sheet", "row")), strict=True)
        for i, key in enumerate(keys, start=2):
            out.setdefault(key, (title, i))
    return out


def _fix_first_note(doc: dict, top: list[dict]) -> str:
    """The line above the Fix first table: what a problem is, how they are ranked, where the rest are."""
    n = len(problems_of(doc))
    return (
        f"The top {len(top)} of {n:,} problems (one edit on one code or charge code), by severity, then money at "
        "stake: the code's OPPS payment rate for the quarter times its lines, else the line charge, or what the edit "
        "reckons (a price spread, a shortfall under the rate; none for an info problem). Every problem is on the "
        "Problems sheet; its lines are on the Findings sheet (filter the Problem column on its rank)."
    )


def _problems_sheet(
    ws, doc: dict, problems: list[dict], styles: Styles, targets: dict, note: str = ""
) -> None:
    """One row per problem: rank, severity, edit, subject, lines, money at stake and its basis, where the lines are."""
    top = 1 if note else 0
    if note:
        # One wrapped line across the table, so the sheet reads on its own when the workbook opens on it.
        ws.set_row(0, 45)
        ws.merge_range(0, 0, 0, len(PROBLEM_COLUMNS) - 1, note, styles.get("label", "wrap"))
    header(ws, PROBLEM_COLUMNS, styles, row=top)
    base = main_file(doc)
    out = RowWriter(ws, styles)
    for r, p in enumerate(problems, start=top + 1):
        places = line_places(doc, p, PLACES_SHOWN, base)
        more = p["lines"] - len(places)
        values = (
            p["rank"],
            p["severity"],
            p["edit"],
            p["name"],
            subject_label(p, doc),
            p["lines"],
            p["amount"],
            p["rate"],
            p["rate_quarter"],
            p["basis"],
            p["message"],
            ", ".join(places) + (f", … {more:,} more" if more > 0 else ""),
            "yes" if p["waived"] else "no",
            p["id"],
        )
        rest = ("waived",) if p["waived"] else None
        style: list = [rest, (f"sev_{p['severity']}",), *[rest] * 4, ("money",), ("money",), *[rest] * 6]
        first = doc["findings"][p["findings"][0]] if p["findings"] else None
        target = targets.get((first["file"], first["sheet"], first["row"])) if first else None
        if target and r <= MAX_LINKS:
            # The cell links to the problem's first line on the annotated sheet.
            style[11] = ("link",)
            out.link(r, 11, f"internal:'{target[0]}'!A{target[1]}", values[11], style[11])
        out.row(r, values, style)
    ws.autofilter(top, 0, top + max(len(problems), 1), len(PROBLEM_COLUMNS) - 1)


def _findings_sheet(ws, doc: dict, styles: Styles, targets: dict) -> int:
    """One row per finding, fix-first, with its problem's rank and a link to its row; returns the links written."""
    history = doc.get("history")
    status = (history or {}).get("status_by_id") or {}
    columns = FINDING_COLUMNS + (HISTORY_COLUMNS if history else ())
    header(ws, columns, styles)
    titles, links = queue_titles(), 0
    ranks = finding_ranks(doc)
    found = doc["findings"]
    # Column by column: ~2M cells for 100k findings, the sheet's cost, built as XML by polars (excel_frame).
    human = {k: humanise(k) for k in {f[c] for f in found for c in ("category", "family")}}
    queues = {c: titles[queue_of(c)] for c in {f["category"] for f in found}}
    places = [where(None, f["sheet"], f["row"]) for f in found]
    cols = [
        ranks,
        [f["severity"] for f in found],
        [f["edit"] for f in found],
        [f["name"] for f in found],
        [queues[f["category"]] for f in found],
        [human[f["category"]] for f in found],
        [human[f["family"]] for f in found],
        places,
        *([f[k] for f in found] for k in ("file", "sheet", "row", "charge_code", "code", "revenue_code")),
        *([f[k] for f in found] for k in ("description", "message", "expected")),
        [related_text(f["related_rows"], f["file"]) for f in found],
        ["yes" if f["waived"] else "no" for f in found],
        [f["waiver_reason"] for f in found],
        [f["scope"] for f in found],
    ]
    if history:
        cols.append([f.get("history_id") for f in found])
        cols.append([status.get(f.get("history_id")) for f in found])
    rest = ["waived" if f["waived"] else None for f in found]
    keys = [rest] * len(columns)
    keys[1] = [f"sev_{f['severity']}" if f["severity"] in SEVERITY_ORDER else None for f in found]
    go_to, hyperlinks = rest.copy(), {}
    for r, f in enumerate(found, start=1):
        target = targets.get((f["file"], f["sheet"], f["row"]))
        if target and links < MAX_LINKS:
            go_to[r - 1] = "link"
            url = f"internal:'{target[0]}'!A{target[1]}"
            hyperlinks[r] = (GO_TO, url, f"Go to this row on the {target[0]} sheet")
            links += 1
    keys[GO_TO] = go_to
    ints = {0, [n for n, _w in columns].index("Row")}
    names = [str(i) for i in range(len(cols))]
    values = pl.DataFrame(
        dict(zip(names, cols, strict=True)),
        schema={n: pl.Int64 if i in ints else pl.String for i, n in enumerate(names)},
        strict=False,
    )
    style_keys = pl.DataFrame(dict(zip(names, keys, strict=True)), schema=dict.fromkeys(names, pl.String))
    write_frame(RowWriter(ws, styles, blanks=False), 1, values, style_keys, hyperlinks)
    ws.autofilter(0, 0, max(len(doc["findings"]), 1), len(columns) - 1)
    return links


def _summary_sheet(wb, ws, doc: dict, styles: Styles, links: int | None, annotated: str | None) -> None:
    """Run record, inputs with hashes, counts, tables by category/family/edit, and two native bar charts.

    `links`: the 'Go to row' links written (None: no annotated sheet to link to); `annotated`: a note on
    what the annotated sheets hold, when they are not every audited row.
    """
    run, summ = doc["run"], doc["summary"]
    widths(ws, (30, 52, 14, 12, 68, 50))
    r = 0
    put(ws, r, 0, "Chargemaster audit report", styles, "title")
    r += 2
    for i in (i for i in run["inputs"] if i.get("error")):
        # First, so nobody reads the counts below as the whole audit.
        put(ws, r, 0, "Input not read (incomplete audit)", styles, "alert")
        put(ws, r, 1, i["error"], styles, "alert")
        r += 2
    if run["quarter_message"]:
        put(ws, r, 0, "Code set warning", styles, "alert")
        put(ws, r, 1, run["quarter_message"], styles, "alert")
        r += 2
    reasons = by_reason(run["edits"])
    if reasons:
        # At the top, so nobody reads these edits' 0 findings as "checked and clean".
        put(ws, r, 0, "Edits not evaluable", styles, "alert")
        n = sum(map(len, reasons.values()))
        said = (
            "1 edit could not run, a column it needs"
            if n == 1
            else f"{n} edits could not run, a column they need"
        )
        put(
            ws,
            r,
            1,
            f"{said} is missing: "
            + "; ".join(f"{reason} ({', '.join(codes)})" for reason, codes in reasons.items()),
            styles,
            "alert",
        )
        r += 2
    put(ws, r, 0, "Run", styles, "section")
    r += 1
    cfg = run["config"]
    run_facts = [
        ("Tool", f"{run['tool']} {run['tool_version']}"),
        ("Generated at", run["generated_at"]),
        ("As of", run["as_of"]),
        ("Code set quarter", run["quarter"]),
        ("Quarter requested", run["quarter_requested"]),
        ("Quarter stale", run["quarter_stale"]),
        ("Edit set version", run["edit_set_version"]),
        ("Configuration file", cfg.get("path") or "none (packaged defaults)"),
        ("Disabled edits", ", ".join(cfg.get("disabled", [])) or "none"),
        (
            "Severity overrides",
            "; ".join(f"{k} -> {v}" for k, v in cfg.get("severity", {}).items()) or "none",
        ),
        ("Settings", json.dumps(cfg.get("values", {}), sort_keys=True)),
        (
            "Facility code lists",
            "; ".join(f"{k}: {v}" for k, v in cfg.get("extra_lists", {}).items()) or "none",
        ),
        ("Waivers applied", len(cfg.get("waivers", []))),
    ]
    r = facts(ws, r, run_facts, styles) + 1
    put(ws, r, 0, "Inputs", styles, "section")
    r += 1
    header_cells(ws, r, ("Role", "Path", "Format", "Size (bytes)", "SHA-256", "Sheets"), styles)
    r += 1
    for i in run["inputs"]:
        sheets = "; ".join(f"{s['name']}: {sheet_state(s)}" for s in i["sheets"])
        sheets = f"NOT READ: {i['error']}" if i.get("error") else sheets
        for c, v in enumerate((i["role"], i["path"], i["format"], i["size"], i["sha256"], sheets)):
            put(ws, r, c, v, styles, "mono" if c == 4 else None)
        r += 1
    r += 1
    put(ws, r, 0, "Counts", styles, "section")
    charts_at = r
    r += 1
    counts = [
        ("Rows read", summ["rows_read"]),
        ("Rows audited", summ["rows_audited"]),
        ("Rows skipped", summ["rows_skipped"]),
        ("Findings", summ["findings"]),
        ("Waived", summ["waived"]),
        ("Lines with findings", summ["lines_with_findings"]),
    ]
    counts += [
        (f"{label} (not waived)", summ["by_severity"].get(s, 0))
        for s, label in zip(SEVERITY_ORDER, ("Errors", "Warnings", "Info"), strict=False)
    ]
    r = facts(ws, r, counts, styles, "int")
    if links is not None and links < len(doc["findings"]):
        put(ws, r, 0, "Note", styles, "label")
        put(
            ws,
            r,
            1,
            f"'Go to row' links on {links:,} of {len(doc['findings']):,} findings "
            f"(Excel allows {MAX_LINKS:,} links per sheet, and pairing-table rows are only linked "
            "when that table was audited)",
            styles,
            "wrap",
        )
        r += 1
    if annotated:
        put(ws, r, 0, "Annotated rows", styles, "label")
        put(ws, r, 1, annotated, styles, "wrap")
        r += 1
    r += 1
    anchors = []
    for key, title in (("by_category", "Findings by category"), ("by_family", "Findings by family")):
        put(ws, r, 0, title, styles, "section")
        r += 1
        put(ws, r, 0, title.split(" by ")[1].capitalize(), styles, "header")
        put(ws, r, 1, "Findings (not waived)", styles, "header")
        first = r + 1
        for k, n in summ[key].items():
            r += 1
            put(ws, r, 0, humanise(k), styles)
            put(ws, r, 1, n, styles, "int")
        anchors.append((title, first, r))
        r += 2
    heights = [max(260, 22 * (last - first + 1) + 90) for _, first, last in anchors if last >= first]
    r = max(
        r, charts_at + (sum(heights) + 20 * len(heights)) // 20 + 1
    )  # start the next table below the charts
    put(ws, r, 0, "Edits run", styles, "section")
    r += 1
    header_cells(ws, r, ("Code", "Name", "Severity", "Findings", "Status", "Note"), styles)
    for e in run["edits"]:
        r += 1
        for c, v in enumerate((e["code"], e["name"], e["severity"], e["findings"], e["status"], e["note"])):
            put(ws, r, c, v, styles, f"sev_{e['severity']}" if c == 2 else None)
    waivers = cfg.get("waivers", [])
    if waivers:
        r += 2
        put(ws, r, 0, "Waivers", styles, "section")
        r += 1
        header_cells(ws, r, ("Charge code", "Edit", "Reason", "Until"), styles)
        for w in waivers:
            r += 1
            for c, v in enumerate(
                (w["charge_code"], w["edit"] or "all edits", w["reason"], w["until"] or "open")
            ):
                put(ws, r, c, v, styles)
    y = charts_at
    for title, first, last in anchors:
        if last < first:
            continue
        height = max(260, 22 * (last - first + 1) + 90)
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": title,
                "categories": ["Summary", first, 0, last, 0],
                "values": ["Summary", first, 1, last, 1],
                "fill": {"color": "#1F4E79"},
                "data_labels": {"value": True},
                "gap": 60,
            }
        )
        chart.set_title({"name": title, "name_font": {"size": 12}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        chart.set_size({"width": 640, "height": height})
        ws.insert_chart(y, 2, chart, {"x_offset": 16})
        y += height // 20 + 1


def _edits_sheet(ws, edits: list[dict], styles: Styles) -> None:
    """Code, name, severity, what, why, fix and references of every edit in the run."""
    columns = (
        ("Code", 8),
        ("Name", 28),
        ("Family", 16),
        ("Category", 20),
        ("Severity", 10),
        ("Status", 14),
        ("Note", 36),
        ("Findings", 9),
        ("In force", 18),
        ("What", 60),
        ("Why", 60),
        ("Fix", 60),
        ("References", 60),
    )
    header(ws, columns, styles)
    for r, e in enumerate(edits, start=1):
        refs = "\n".join(
            f"{x['url']} ({x['basis']}{': ' + x['note'] if x['note'] else ''})" for x in e["references"]
        )
        values = (
            e["code"],
            e["name"],
            humanise(e["family"]),
            humanise(e["category"]),
            e["severity"],
            e["status"],
            e["note"],
            e["findings"],
            e["effective"],
            e["what"],
            e["why"],
            e["fix"],
            refs,
        )
        for c, v in enumerate(values):
            put(
                ws,
                r,
                c,
                v,
                styles,
                f"sev_{e['severity']}" if c == 4 else "wrap" if c == 6 or c >= 9 else "top",
            )
    ws.autofilter(0, 0, max(len(edits), 1), len(columns) - 1)
