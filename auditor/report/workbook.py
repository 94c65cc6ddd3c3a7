"""Workbook parts shared by report.xlsx and claims-report.xlsx: named formats, typed cells, headers, blocks, sheets."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from auditor.report.cells import formula_like
from auditor.report.runs import row_runs

if TYPE_CHECKING:
    import xlsxwriter

# Above this many written rows (findings + audited rows) the workbook streams rows to disk (constant_memory):
# ~3x less memory for ~14% more time (perf-notes §3).
CONSTANT_MEMORY_ROWS = 50_000
MAX_CELL = 32_767  # Excel's limit of characters per cell
MAX_ROWS = 1_048_575  # Excel's rows per sheet, less the header
TMP_SUFFIX = ".tmp"  # the private folder of a workbook's temporary files: .report.xlsx-XXXX.tmp
SEV_FILL = {"error": "#F8D7D3", "warning": "#FCE8C3", "info": "#DCE8F8"}
SEV_FONT = {"error": "#9B1C14", "warning": "#7A4B00", "info": "#1F4F8F"}


def open_workbook(
    path: Path, properties: dict, rows: int, constant_memory: bool | None = None
) -> xlsxwriter.Workbook:
    """A workbook that keeps text as text, streaming rows past CONSTANT_MEMORY_ROWS unless told either way."""
    # No formula, link or number is ever made of a string; `properties`: the file's title, author, comments.
    import xlsxwriter  # on use: only a run that writes a workbook loads it

    if constant_memory is None:
        constant_memory = rows > CONSTANT_MEMORY_ROWS
    # XlsxWriter's temporary files (streamed rows, the parts zipped on close) go to a private folder beside
    # the report, not the system temp folder: a run that is stopped leaves them inside its own folder.
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name}-", suffix=TMP_SUFFIX, dir=path.parent))
    # The workbook is zipped inside that folder and moved into place whole: a stopped run leaves no
    # half-written report.xlsx that could pass for a finished one.
    partial = tmpdir / path.name
    wb = xlsxwriter.Workbook(
        str(partial),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "constant_memory": constant_memory,
            "tmpdir": str(tmpdir),
        },
    )
    # Removed after close(), or when the workbook is dropped unclosed (an error while writing), or at exit.
    cleanup = weakref.finalize(wb, shutil.rmtree, tmpdir, True)
    close = wb.close

    def close_and_clean() -> None:
        try:
            close()
            os.replace(partial, path)
        finally:
            cleanup()

    wb.close = close_and_clean  # type: ignore[method-assign]
    wb.set_properties(properties)
    return wb


class Styles:
    """Cached XlsxWriter formats built from named property sets (quote-prefix added for formula-like text)."""

    BASE: ClassVar[dict[str, dict]] = {
        "header": {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": "#1F4E79",
            "border": 1,
            "valign": "top",
            "text_wrap": True,
        },
        "title": {"bold": True, "font_size": 16, "font_color": "#1F4E79"},
        "section": {"bold": True, "font_size": 12, "font_color": "#1F4E79", "bottom": 2},
        "label": {"bold": True, "font_color": "#44546A", "valign": "top"},
        "alert": {"bold": True, "font_color": "#9B1C14", "bg_color": "#FCE8C3", "text_wrap": True},
        "wrap": {"text_wrap": True, "valign": "top"},
        "top": {"valign": "top"},
        "link": {"font_color": "#1F4E79", "underline": 1},
        "money": {"num_format": "#,##0.00"},
        "int": {"num_format": "#,##0"},
        "mono": {"font_name": "Consolas"},
        "waived": {"italic": True, "font_color": "#6B6480"},
        "quote": {"quote_prefix": True},
        **{f"sev_{s}": {"bold": True, "bg_color": c, "font_color": SEV_FONT[s]} for s, c in SEV_FILL.items()},
        **{f"hl_{s}": {"bg_color": c} for s, c in SEV_FILL.items()},
    }

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb, self.cache = wb, {}

    def get(self, *names: str | None):
        """The format combining these named styles (None entries ignored); None when no style applies."""
        key = tuple(n for n in names if n)
        if not key:
            return None
        if key not in self.cache:
            props: dict = {}
            for n in key:
                props.update(self.BASE[n])
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def put(ws, r: int, c: int, value, styles: Styles, *style: str | None) -> None:
    """Write one typed cell: numbers as numbers, text always as text (quote-prefixed when formula-like)."""
    if value is None or value == "":
        fmt = styles.get(*style)
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
        return
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, (int, float)):
        ws.write_number(r, c, value, styles.get(*style))
        return
    text = str(value)[:MAX_CELL]
    if ws.constant_memory and text.startswith("<r>") and text.endswith("</r>"):
        # Streamed sheets write text shaped like <r>...</r> as raw rich-string XML: hand it over as one
        # escaped run instead, so input text shows as written and never becomes markup.
        text = f'<r><t xml:space="preserve">{_xml_text(text)}</t></r>'
    ws.write_string(r, c, text, styles.get(*style, "quote" if formula_like(text) else None))


def header(ws, columns, styles: Styles, row: int = 0) -> None:
    """A styled header row with column widths (from (name, width, ...) tuples), frozen below it."""
    for c, (name, width, *_rest) in enumerate(columns):
        ws.set_column(c, c, width)
        ws.write_string(row, c, name, styles.get("header"))
    ws.freeze_panes(row + 1, 0)


def widths(ws, column_widths) -> None:
    """Column widths from the first column on."""
    for c, width in enumerate(column_widths):
        ws.set_column(c, c, width)


def header_cells(ws, r: int, names, styles: Styles) -> None:
    """One styled header row at row `r` inside a sheet (a table's column names)."""
    for c, name in enumerate(names):
        put(ws, r, c, name, styles, "header")


def facts(ws, r: int, pairs, styles: Styles, value_style: str | None = "top") -> int:
    """(label, value) rows, labels bold in column A; returns the next free row."""
    for label, value in pairs:
        put(ws, r, 0, label, styles, "label")
        put(ws, r, 1, value, styles, value_style)
        r += 1
    return r


def table(ws, r: int, title: str, names, rows, styles: Styles, style_of=None) -> int:
    """A titled block: section line, header row, one row per item (style_of(column, value)); returns the next free row."""
    put(ws, r, 0, title, styles, "section")
    header_cells(ws, r + 1, names, styles)
    r += 1
    for values in rows:
        r += 1
        for c, v in enumerate(values):
            put(ws, r, c, v, styles, style_of(c, v) if style_of else None)
    return r + 2


def skipped_sheet(ws, skipped: list[dict], styles: Styles, sheet_width: int = 20) -> tuple[int, int]:
    """File, sheet, rows and reason of every row read but not audited, one line per run of consecutive rows skipped
    for one reason; returns (rows listed, rows skipped)."""
    header(
        ws,
        (("File", 40), ("Sheet", sheet_width), ("Row", 8), ("To row", 8), ("Rows", 8), ("Reason", 80)),
        styles,
    )
    # A tall standard-charges file skips every payer plan's repeat of an item: 285,000 rows as 15,000 runs, each
    # 'rows 5 to 23' with its reason: read at a glance, and written in a fraction of the ~6 s the cells took.
    runs = skipped_runs(skipped)[:MAX_ROWS]
    for r, run in enumerate(runs, start=1):
        for c, value in enumerate(run):
            put(ws, r, c, value, styles)
    ws.autofilter(0, 0, max(len(runs), 1), 5)
    return sum(run[4] for run in runs), len(skipped)


def skipped_runs(skipped: list[dict]) -> list[tuple]:
    """(file, sheet, first row, last row, rows, reason) for each run of consecutive rows of one sheet skipped for
    one reason, in the order listed; a row without a number is a run of its own."""

    def place(s: dict) -> tuple:
        return s.get("file"), s.get("sheet"), s.get("reason")

    return [
        (file, sheet, first, last, n, reason)
        for (file, sheet, reason), block in itertools.groupby(skipped, key=place)
        for first, last, n in row_runs(s.get("row") for s in block)
    ]


def _xml_text(text: str) -> str:
    """Text escaped for an XML element (what xml.sax.saxutils.escape does, without its urllib import)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
