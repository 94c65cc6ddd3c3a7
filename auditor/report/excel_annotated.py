"""The annotated sheets of report.xlsx: audited rows with their findings, the cells they concern highlighted."""

from __future__ import annotations

import polars as pl

from auditor.report.charts import humanise
from auditor.report.context import SEVERITY_ORDER
from auditor.report.excel_frame import SEP, write_frame
from auditor.report.excel_rows import RowWriter
from auditor.report.renderers import ANNOTATED
from auditor.report.workbook import Styles, header

# What the annotated sheets hold: the flagged rows and the other rows of their charge codes (the default),
# every audited row, or no annotated sheet at all.
LABELS = {
    "charge_code": "Charge code",
    "revenue_code": "Rev code",
    "revenue_code_raw": "Rev code (as read)",
    "code": "CPT/HCPCS",
    "code_raw": "CPT/HCPCS (as read)",
    "code_source": "Code source",
    "alt_code": "Alternate code",
    "modifiers_raw": "Modifiers (as read)",
    "price_raw": "Price (as read)",
    "effective_from": "Effective from",
    "effective_to": "Effective to",
    "ndc": "NDC",
}
RAW_PAIRS = {
    "revenue_code_raw": "revenue_code",
    "code_raw": "code",
    "modifiers_raw": "modifiers",
    "price_raw": "price",
}
KEY = ("file", "sheet", "row")


def check_mode(mode: str) -> str:
    """The annotated mode, or ValueError naming the choices."""
    if mode not in ANNOTATED:
        raise ValueError(f"unknown annotated mode {mode!r}; choose from {', '.join(ANNOTATED)}")
    return mode


def annotated_tables(tables, doc: dict, mode: str) -> list[tuple]:
    """(title, frame) of each annotated sheet: every row ('full'), flagged rows and their charge codes, or none."""
    if check_mode(mode) == "none":
        return []
    if mode == "full":
        return list(tables)
    return [(title, flagged_rows(frame, doc["findings"])) for title, frame in tables]


def flagged_rows(frame, findings: list[dict]):
    """The rows of `frame` a finding points at, with every other row of their charge codes, in file order."""
    # A charge code is what an analyst fixes in the billing system: its other lines (effective-dated versions,
    # a second sheet, a duplicate) are read with the flagged one. Neighbours in file order are not: an
    # export's order says little, and at 100k rows with 22% flagged, two either side would triple the sheet.
    if not findings or frame.height == 0:
        return frame.clear()
    schema = {k: frame.schema[k] for k in KEY}
    found = pl.DataFrame({k: [f[k] for f in findings] for k in KEY}, schema=schema, strict=False).unique()
    hit = frame.select(KEY).with_row_index("_i").join(found, on=list(KEY), how="semi").get_column("_i")
    mask = pl.int_range(pl.len(), dtype=hit.dtype).is_in(hit.implode())
    if "charge_code" in frame.columns:
        codes = frame[hit].get_column("charge_code").drop_nulls().unique()
        mask = mask | pl.col("charge_code").is_in(codes.implode())
    return frame.filter(mask)


def findings_by_row(doc: dict, result) -> dict[tuple, list[tuple[dict, tuple[str, ...]]]]:
    """(file, sheet, row) -> (finding, the fields it concerns) on that row, in document order.

    The document is built from `result.findings` in order, so the two line up; a document without its
    result has no annotated sheets, and its findings point at no cells.
    """
    found = getattr(result, "findings", None) or []
    concerns = (
        [f.columns for f in found] if len(found) == len(doc["findings"]) else [()] * len(doc["findings"])
    )
    out: dict[tuple, list[tuple[dict, tuple[str, ...]]]] = {}
    for f, columns in zip(doc["findings"], concerns, strict=False):
        out.setdefault((f["file"], f["sheet"], f["row"]), []).append((f, columns))
    return out


def annotated_columns(frame) -> list[str]:
    """Columns worth showing: every field that has a value, raw twins only where they differ from the normalised."""
    nonnull = {c: frame.get_column(c).null_count() < frame.height for c in frame.columns}
    cols = []
    for c in frame.columns:
        if c == "code_source" or (c == "file" and frame.get_column("file").n_unique() < 2):
            continue
        if not nonnull[c] and c not in ("sheet", "row", "charge_code", "description", "code", "revenue_code"):
            continue
        if c in RAW_PAIRS and RAW_PAIRS[c] in frame.columns:
            norm = frame.get_column(RAW_PAIRS[c]).cast(pl.String)
            if not frame.select((pl.col(c).fill_null("") != norm.fill_null("")).any()).item():
                continue
        cols.append(c)
    return cols


def annotated_sheet(ws, frame, by_row: dict, styles: Styles) -> None:
    """The frame's rows, with a Findings column first and the cells each finding points at highlighted."""
    cols = annotated_columns(frame)
    headers = [("Findings", 60), ("Severity", 10)] + [
        (LABELS.get(c, humanise(c)), 40 if c == "description" else 16 if c.endswith("_raw") else 12)
        for c in cols
    ]
    header(ws, headers, styles)
    pos = {c: i + 2 for i, c in enumerate(cols)}
    code_like = [
        c for c in cols if c == "code" or c.endswith("_code") and c not in ("charge_code", "revenue_code")
    ]
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    h = frame.height
    texts: list[str | None] = [None] * h
    tops: list[str | None] = [None] * h
    # Style keys by column (excel_frame.SEP joins names): only the price has a number format on a clean row.
    keys = [[None] * h, [None] * h] + [["money"] * h if c == "price" else [None] * h for c in cols]
    codes = {c: frame.get_column(c).to_list() for c in code_like}
    lines = zip(*(frame.get_column(k).to_list() for k in KEY), strict=True)
    for i, key in enumerate(lines):
        found = by_row.get(key)
        if not found:
            continue
        live = [(f, cs) for f, cs in found if not f["waived"]] or found
        top = min((f["severity"] for f, _ in live), key=lambda s: rank.get(s, 9))
        texts[i] = "; ".join(
            f"{f['edit']} {f['severity']}{' (waived)' if f['waived'] else ''}: {f['message']}"
            for f, _ in found
        )
        tops[i] = top
        keys[0][i], keys[1][i] = f"hl_{top}", f"sev_{top}"
        for f, concerns in sorted(live, key=lambda fc: -rank.get(fc[0]["severity"], 9)):  # most severe wins
            for field in concerns:  # the cells the finding's check kind says it concerns
                if field in pos:
                    keys[pos[field]][i] = _with(f"hl_{f['severity']}", field)
                elif field == "code":  # a pairing table holds its codes as procedure_code, linked_code ...
                    for c in code_like:
                        if f["code"] and codes[c][i] == f["code"]:
                            keys[pos[c]][i] = _with(f"hl_{f['severity']}", c)
    values = pl.DataFrame(
        {"_findings": texts, "_severity": tops}, schema={"_findings": pl.String, "_severity": pl.String}
    )
    values = values.hstack(frame.select(cols))
    names = [str(i) for i in range(len(keys))]
    style_keys = pl.DataFrame(dict(zip(names, keys, strict=True)), schema=dict.fromkeys(names, pl.String))
    write_frame(RowWriter(ws, styles), 1, values, style_keys)
    ws.autofilter(0, 0, max(frame.height, 1), len(headers) - 1)


def _with(highlight: str, column: str) -> str:
    """A highlight's style key, keeping the price's number format."""
    return f"{highlight}{SEP}money" if column == "price" else highlight
