"""Whole-row writes of typed cells: XML streamed straight to a constant_memory sheet, else cell by cell."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from auditor.report.cells import FORMULA_STARTS, formula_like
from auditor.report.workbook import MAX_CELL, Styles

# The streamed path writes the <row> XML XlsxWriter itself writes in constant_memory mode (3.3.1's
# _write_single_row/_write_cell): checked against it by tests/test_excel_annotated.py. Any other version
# takes the cell-by-cell path, which is only slower.
STREAMED_VERSIONS = ("3.3.1",)
# Text that needs more than a plain <t>: XML specials, control characters (written as _xHHHH_), a literal
# _xHHHH_ (escaped so Excel does not decode it), non-characters, or edge whitespace (xml:space="preserve").
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
# First characters that may make text formula-like (formula_like() also looks past leading blanks).
_RISKY = frozenset(FORMULA_STARTS) | {" ", "\n", "\u00a0"}
Style = tuple[str, ...] | None  # names for Styles.get(), e.g. ("hl_error",); None: no format


def cell_value(value):
    """The value a cell holds: numbers stay numbers, text is cut to Excel's limit, None/'' is empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        # NaN and infinities have no cell form: written as their text rather than failing the report.
        return value if math.isfinite(value) else str(value)
    return str(value)[:MAX_CELL]


class RowWriter:
    """Writes rows of one worksheet: values with a style each, text never a formula (quote-prefixed if formula-like)."""

    def __init__(self, ws, styles: Styles, blanks: bool = True):
        # blanks: an empty cell with a style is written as a styled blank (a highlight must show).
        import xlsxwriter  # on use, like open_workbook(): only a run that writes a workbook loads it

        self.ws, self.styles, self.blanks = ws, styles, blanks
        self.streamed = bool(ws.constant_memory) and xlsxwriter.__version__ in STREAMED_VERSIONS
        self.formats: dict[Style, tuple] = {}  # style -> (format, quoted format, ' s="n"', quoted ' s="n"')
        self.letters: list[str] = []
        self._internal = None
        if self.streamed:
            from xlsxwriter.url import Url

            self._internal = Url("internal:'Sheet1'!A1")  # the parsed link that link() copies

    def _format(self, style: Style) -> tuple:
        """Format, formula-safe twin and their XML style attributes, built once per style."""
        got = self.formats.get(style)
        if got is None:
            names = style or ()
            fmt, quoted = self.styles.get(*names), self.styles.get(*names, "quote")
            got = (fmt, quoted, _attr(fmt), _attr(quoted))
            self.formats[style] = got
        return got

    def row(self, r: int, values: Sequence, styles: Sequence[Style], first_col: int = 0) -> None:
        """Write `values` from column `first_col` of row `r`, each with the style at the same place."""
        ws = self.ws
        # Streamed only while XlsxWriter holds no cell of this row and no row settings for it.
        if self.streamed and r >= ws.previous_row and not ws.table.get(r) and r not in ws.row_info:
            self._stream(r, values, styles, first_col)
            return
        for c, (value, style) in enumerate(zip(values, styles, strict=True), start=first_col):
            v = cell_value(value)
            fmt, quoted, _, _ = self._format(style)
            if v is None:
                if fmt is not None and self.blanks:
                    ws.write_blank(r, c, None, fmt)
            elif isinstance(v, str):
                ws.write_string(r, c, v, quoted if formula_like(v) else fmt)
            else:
                ws.write_number(r, c, v, fmt)

    def link(self, r: int, c: int, url: str, text: str, style: Style, tip: str | None = None) -> None:
        """A hyperlink cell; streamed rows must call it before row() writes the same row."""
        fmt = self._format(style)[0]
        if not self.streamed:
            self.ws.write_url(r, c, url, fmt, string=text, tip=tip)
            return
        # Only the link is stored now; row() streams its text with the rest of the row.
        self._advance(r)
        if url.startswith("internal:") and self._internal is not None and self.ws.hlink_count < 65_530:
            # Tens of thousands of in-workbook links: a copy of one parsed link with its own place, as
            # XlsxWriter's parse makes it (an internal link is not escaped), for a tenth of the time.
            link = object.__new__(type(self._internal))
            link.__dict__.update(self._internal.__dict__)
            place = url[len("internal:") :]
            link._original_url, link._link, link._anchor = url, place, place
            link._relationship_link, link._text = "#" + place, text
            if tip is not None:
                link.tip = tip
            self.ws.hyperlinks[r][c] = link
            self.ws.hlink_count += 1
            return
        self.ws.ignore_write_string = True
        try:
            self.ws.write_url(r, c, url, fmt, string=text, tip=tip)
        finally:
            self.ws.ignore_write_string = False

    def _advance(self, r: int) -> None:
        """Let XlsxWriter write out any row it still holds, and take `r` as the current row."""
        ws = self.ws
        if r > ws.previous_row:
            ws._write_single_row(r)

    def _stream(self, r: int, values: Sequence, styles: Sequence[Style], first_col: int) -> None:
        """One row's XML, as XlsxWriter's constant_memory mode writes it, in one write."""
        ws, formats, blanks = self.ws, self.formats, self.blanks
        self._advance(r)
        letters = self._letters(first_col + len(values))
        n = r + 1
        parts = [f'<row r="{n}">']
        lo = hi = None
        # The innermost loop of every large sheet: plain text, ints and floats take no function call.
        for c, value, style in zip(range(first_col, first_col + len(values)), values, styles, strict=True):
            got = formats.get(style) or self._format(style)
            t = type(value)
            if t is not str and t is not int and t is not float:
                value = cell_value(value)
                t = type(value)
            if value is None or value == "":
                if got[0] is None or not blanks:
                    continue
                parts.append(f'<c r="{letters[c]}{n}"{got[2]}/>')
            elif t is str:
                if len(value) > MAX_CELL:
                    value = value[:MAX_CELL]
                s = got[3] if value[0] in _RISKY and formula_like(value) else got[2]
                if _SPECIAL.search(value):
                    value = _escape(value)
                t_tag = (
                    "<t>" if not (value[0].isspace() or value[-1].isspace()) else '<t xml:space="preserve">'
                )
                parts.append(f'<c r="{letters[c]}{n}"{s} t="inlineStr"><is>{t_tag}{value}</t></is></c>')
            elif t is float and not math.isfinite(value):
                s = got[2]
                parts.append(f'<c r="{letters[c]}{n}"{s} t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                parts.append(f'<c r="{letters[c]}{n}"{got[2]}><v>{value:.16G}</v></c>')
            if lo is None:
                lo = c
            hi = c
        if lo is None:
            return
        parts.append("</row>")
        ws.fh.write("".join(parts))
        streamed_rows(ws, r, r, lo, hi)

    def _letters(self, width: int) -> list[str]:
        """Column letters A, B, ... for the first `width` columns."""
        from xlsxwriter.utility import xl_col_to_name

        while len(self.letters) < width:
            self.letters.append(xl_col_to_name(len(self.letters)))
        return self.letters


def streamed_rows(ws, first: int, last: int, lo: int, hi: int) -> None:
    """Record rows first..last, columns lo..hi, as written: the used range and current row XlsxWriter keeps."""
    ws.dim_rowmin = first if ws.dim_rowmin is None else min(ws.dim_rowmin, first)
    ws.dim_rowmax = last if ws.dim_rowmax is None else max(ws.dim_rowmax, last)
    ws.dim_colmin = lo if ws.dim_colmin is None else min(ws.dim_colmin, lo)
    ws.dim_colmax = hi if ws.dim_colmax is None else max(ws.dim_colmax, hi)
    ws.previous_row = last


def _attr(fmt) -> str:
    """The cell's style attribute for a format (' s="3"'), empty for none."""
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


def _escape(v: str) -> str:
    """Inline text escaped as XlsxWriter escapes it: _xHHHH_ for control characters, then XML entities."""
    v = _LITERAL_ESCAPE.sub(r"_x005F\1", v)
    v = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", v)
    v = v.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
