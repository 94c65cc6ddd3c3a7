"""Rows from a polars frame: each row's XML built column-wise by polars and streamed in one write."""

from __future__ import annotations

import polars as pl

from auditor.report.cells import FORMULA_PATTERN
from auditor.report.excel_rows import (
    _CONTROL,
    _LITERAL_ESCAPE,
    MAX_CELL,
    RowWriter,
    _escape,
    cell_value,
    streamed_rows,
)

SEP = "+"  # joins style names in a style frame's keys: "waived+quote" is Styles.get("waived", "quote")
_EDGE_SPACE = r"^\s|\s$"
# Text XlsxWriter writes as an _xHHHH_ escape: control characters, a literal _xHHHH_, non-characters.
_RARE = _CONTROL.pattern + "|" + _LITERAL_ESCAPE.pattern + "|[\ufffe\uffff]"
BATCH_ROWS = 20_000  # rows turned into XML per step
SHARED_REPEATS = 20  # a text column goes to the shared strings when its values repeat this often on average


def write_frame(
    out: RowWriter, r0: int, values: pl.DataFrame, styles: pl.DataFrame, links: dict | None = None
) -> None:
    """Rows r0, r0+1 ... from `values`, styled by `styles` and typed as RowWriter.row() types them."""
    # styles: String keys of style names joined by SEP (null: none), one per cell of `values`.
    # links: sheet row -> (column, url, tip) of a hyperlink cell, its text and style those of that cell.
    if values.height == 0:
        return
    links = links or {}
    if values.height > BATCH_ROWS:
        # Slices keep the XML built at once bounded: a 250k-row sheet is not one 300 MB string.
        for start in range(0, values.height, BATCH_ROWS):
            lo, hi = r0 + start, r0 + start + BATCH_ROWS
            part = {r: link for r, link in links.items() if lo <= r < hi}
            write_frame(out, lo, values.slice(start, BATCH_ROWS), styles.slice(start, BATCH_ROWS), part)
        return
    columns = _typed(values) if out.streamed else None
    if columns is None or r0 < out.ws.previous_row or out.ws.table.get(r0):
        for r, (vals, keys) in enumerate(zip(values.iter_rows(), styles.iter_rows(), strict=True), start=r0):
            style = [tuple(k.split(SEP)) if k else None for k in keys]
            if r in links:
                c, url, tip = links[r]
                out.link(r, c, url, vals[c], style[c], tip)
            out.row(r, vals, style)
        return
    out._advance(r0)
    linked = {c for c, _url, _tip in links.values()}
    texts = {c: columns[c][1].to_list() for c in linked}
    link_keys = {c: styles.get_column(styles.columns[c]).to_list() for c in linked}
    for r, (c, url, tip) in sorted(links.items()):  # stored now, their text streamed with the rows
        key = link_keys[c][r - r0]
        out.link(r, c, url, texts[c][r - r0], tuple(key.split(SEP)) if key else None, tip)
    letters = out._letters(values.width)
    attrs: dict[str, str] = {}
    quoted: dict[str, str] = {}
    keys = [styles.get_column(c).fill_null("").alias(f"k{i}") for i, c in enumerate(styles.columns)]
    for key in pl.concat(keys).unique().to_list():  # "": no style, still quote-prefixed when formula-like
        got = out._format(tuple(key.split(SEP)) if key else None)
        attrs[key], quoted[key] = got[2], got[3]
    # One frame and one query for every cell: polars runs the columns together.
    data = pl.DataFrame([v.alias(f"v{i}") for i, (_kind, v) in enumerate(columns)] + keys)
    number = pl.int_range(r0 + 1, r0 + 1 + values.height).cast(pl.String)
    cells, filled = [], []
    for i, (kind, series) in enumerate(columns):
        v, key = pl.col(f"v{i}"), pl.col(f"k{i}")
        attr = key.replace_strict(attrs, return_dtype=pl.String)
        ref = [pl.lit(f'<c r="{letters[i]}'), number, pl.lit('"')]
        text_attr = (
            pl.when(v.str.contains(FORMULA_PATTERN))
            .then(key.replace_strict(quoted, return_dtype=pl.String))
            .otherwise(attr)
        )
        shared = _shared(out.ws, series) if kind == "text" else None
        if shared is not None:
            cell = pl.concat_str(
                *ref,
                text_attr,
                pl.lit(' t="s"><v>'),
                v.replace_strict(shared, default=None),
                pl.lit("</v></c>"),
            )
        elif kind == "text":
            text = _escaped(series, v)
            cell = pl.concat_str(
                *ref,
                text_attr,
                pl.lit(' t="inlineStr"><is>'),
                pl.when(text.str.contains(_EDGE_SPACE))
                .then(pl.lit('<t xml:space="preserve">'))
                .otherwise(pl.lit("<t>")),
                text,
                pl.lit("</t></is></c>"),
            )
        else:
            cell = pl.concat_str(*ref, attr, pl.lit("><v>"), v, pl.lit("</v></c>"))
        empty = v.is_null() | (v == "")
        # An empty cell is written only as a styled blank (a highlight must show), as RowWriter.row() does.
        blank = pl.concat_str(*ref, attr, pl.lit("/>")) if out.blanks else pl.lit("")
        cells.append(pl.when(~empty).then(cell).when(key != "").then(blank).otherwise(pl.lit("")))
        filled.append((~empty | ((key != "") & out.blanks)).any().alias(f"f{i}"))
    rows = data.select(
        pl.concat_str(pl.lit('<row r="'), number, pl.lit('">'), *cells, pl.lit("</row>")).alias("xml")
    ).get_column("xml")
    out.ws.fh.write("".join(rows.to_list()))
    used = [i for i, f in enumerate(data.select(filled).row(0)) if f]
    streamed_rows(out.ws, r0, r0 + values.height - 1, min(used, default=0), max(used, default=0))


def _typed(values: pl.DataFrame) -> list[tuple[str, pl.Series]] | None:
    """Each column as ("text" | "number", what RowWriter.row() writes as a String series); None: row by row."""
    # None when a float is not finite: row() writes it as text, which a number column cannot hold.
    out: list[tuple[str, pl.Series]] = []
    for name, dtype in values.schema.items():
        col = values.get_column(name)
        if dtype == pl.String:
            out.append(("text", col.str.slice(0, MAX_CELL)))
        elif dtype.is_integer() and col.abs().max() is not None and col.abs().max() < 10**15:
            out.append(("number", col.cast(pl.String)))  # what {:.16G} writes for these integers
        elif dtype.is_integer() and col.null_count() == col.len():
            out.append(("number", pl.Series(name, [None] * col.len(), pl.String)))
        elif dtype.is_float() or dtype.is_integer():
            if dtype.is_float() and not col.drop_nulls().is_finite().all():
                return None
            out.append(
                ("number", pl.Series(name, [None if x is None else f"{x:.16G}" for x in col], pl.String))
            )
        else:  # dates, booleans ...: the text cell_value() makes of them
            out.append(("text", pl.Series(name, [cell_value(x) for x in col], pl.String)))
    return out


def _shared(ws, text: pl.Series) -> dict[str, str] | None:
    """Text -> shared-string index for a column of few distinct values (a severity, an edit); None: inline."""
    # A value repeated down a column is then stored once: the Findings sheet's XML, and the time to compress
    # it, shrink by over a quarter. Text XlsxWriter would write raw as rich text (<r>...</r>) stays inline.
    distinct = text.drop_nulls().unique()
    if distinct.len() * SHARED_REPEATS > text.len() or distinct.str.starts_with("<r>").any():
        return None
    table = ws.str_table
    index = {t: str(table._get_shared_string_index(t)) for t in distinct.to_list() if t}
    # The table counts every use, as XlsxWriter's own string writes do (the <sst count=...> it writes).
    table.count += int((text.is_not_null() & (text != "")).sum()) - len(index)
    return index


def _escaped(text: pl.Series, column: pl.Expr) -> pl.Expr:
    """The column's text escaped as XlsxWriter escapes it (control characters as _xHHHH_)."""
    if text.str.contains(_RARE).any():  # rare: the whole column escaped cell by cell, as RowWriter.row() does
        return pl.lit(pl.Series([None if t is None else _escape(t) for t in text.to_list()], dtype=pl.String))
    return (
        column.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
