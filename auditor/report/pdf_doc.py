"""The PDF writer shared by appeal drafts and compliance summaries: reportlab platypus with its core fonts.

Library choice (benchmarks/pdf_libraries.py, best of 5, same content, Helvetica, letter, 18 mm margins):
reportlab 5.1.0 took 0.016-0.027 s for a 2-page draft and 0.024-0.025 s for a 3-page summary; fpdf2 2.8.9
took 0.058-0.098 s and 0.082-0.088 s. Both are well under a second; reportlab is about 3.5 times faster and
its Table flowable sizes rows to wrapped cell text and splits long tables across pages by itself.

Text is drawn with the 14 core PDF fonts (nothing to find on the system, nothing to embed). They cover
Windows-1252 only, so every other character is transliterated where it has a plain form (accents dropped:
"ź" -> "z"; a few symbols given stand-ins: "☑" -> "[x]", "Ł" -> "L") and otherwise shown as "?".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

FONT, BOLD = "Helvetica", "Helvetica-Bold"
MARGIN_MM = 18
PLACEHOLDER_BG = "#FFF2A8"  # a fill-in placeholder stands out on screen and in print
# Characters outside Windows-1252 that have a plain stand-in worth keeping.
STAND_INS = {
    "\u2610": "[ ]",
    "\u2611": "[x]",
    "\u2612": "[x]",
    "\u2713": "v",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def core_text(text: object) -> str:
    """`text` as a string the core fonts can draw: control characters dropped, the rest Windows-1252."""
    out = []
    for ch in CONTROL.sub("", "" if text is None else str(text)):
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        if ch in STAND_INS:
            out.append(STAND_INS[ch])
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            out.append(plain.encode("cp1252").decode("cp1252") if plain else "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def markup(text: object, placeholders: list[tuple[str, bool]] | None = None) -> str:
    """Paragraph markup of plain text (escaped: input files may hold <, & or quotes); placeholders highlighted."""
    pieces = placeholders if placeholders is not None else [(str(text), False)]
    return "".join(
        f'<span backColor="{PLACEHOLDER_BG}">{escape(core_text(p))}</span>' if fill else escape(core_text(p))
        for p, fill in pieces
    )


@functools.lru_cache(maxsize=1)
def styles() -> dict:
    """Paragraph styles by name: title, h1, h2, body, line (no space after), cell, head, small, hash."""
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13, spaceAfter=5)
    return {
        "title": ParagraphStyle("title", body, fontName=BOLD, fontSize=16, leading=20, spaceAfter=8),
        "h1": ParagraphStyle("h1", body, fontName=BOLD, fontSize=14, leading=18, spaceBefore=4, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", body, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "body": body,
        "line": ParagraphStyle("line", body, spaceAfter=0),
        "cell": ParagraphStyle("cell", body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "head": ParagraphStyle("head", body, fontName=BOLD, fontSize=8.5, leading=10.5, spaceAfter=0),
        "small": ParagraphStyle("small", body, fontSize=8, leading=10, spaceAfter=0),
        "hash": ParagraphStyle("hash", body, fontName="Courier", fontSize=7.5, leading=10, spaceAfter=4),
    }


def paragraph(text: object, style: str = "body", placeholders: list[tuple[str, bool]] | None = None):
    """One reportlab Paragraph of plain text."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup(text, placeholders), styles()[style])


def content_width() -> float:
    """Usable width of a letter page between the margins, in points."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import mm

    return letter[0] - 2 * MARGIN_MM * mm


def column_widths(rows: list[list[str]], width: float) -> list[float]:
    """Widths that fill `width`: short columns keep their text on one line, long ones wrap between words."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pad = 7.0  # cell padding both sides plus a hair, so measured text does not wrap by rounding
    n = max(len(r) for r in rows)
    natural, least = [pad] * n, [pad] * n
    for r, row in enumerate(rows):
        font = BOLD if r == 0 else FONT
        for i, cell in enumerate(row):
            text = core_text(cell)
            natural[i] = max(natural[i], stringWidth(text, font, 8.5) + pad)
            words = text.split() or [""]
            least[i] = max(least[i], max(stringWidth(w, font, 8.5) for w in words) + pad)
    if sum(natural) <= width:
        spare = width - sum(natural)
        return [w + spare * w / sum(natural) for w in natural]
    if sum(least) >= width:  # even single words do not fit: level the widest columns down, they split words
        return [min(w, _level(least, width)) for w in least]
    # Give each column its longest word, then share what is left by how much more each one would take.
    spare, want = width - sum(least), [nat - lo for nat, lo in zip(natural, least, strict=True)]
    return [lo + spare * w / sum(want) for lo, w in zip(least, want, strict=True)]


def _level(widths: list[float], total: float) -> float:
    """The cap L with sum(min(w, L)) == total: the narrow columns keep their width, the widest share the rest."""
    ordered = sorted(widths, reverse=True)
    for k in range(1, len(ordered) + 1):
        cap = (total - sum(ordered[k:])) / k
        if k == len(ordered) or cap >= ordered[k]:
            return max(cap, total / len(ordered) / 4)  # never a sliver, even if the page then overflows a bit
    return total / len(ordered)


def table(rows: list[list[object]], width: float | None = None, header: bool = True):
    """A grid Table of wrapped text cells that fits `width` (the page by default); the header repeats."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    text = [["—" if c is None or c == "" else str(c) for c in row] for row in rows]
    n = max(len(r) for r in text)
    text = [r + [""] * (n - len(r)) for r in text]
    cells = [[paragraph(c, "head" if header and i == 0 else "cell") for c in r] for i, r in enumerate(text)]
    grid = Table(
        cells, colWidths=column_widths(text, width or content_width()), repeatRows=1 if header else 0
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9A9A9A")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")))
    grid.setStyle(TableStyle(style))
    return grid


def build(path: Path, story: list, title: str, footer: str = "") -> int:
    """Write the flowables to `path` as a letter-size PDF, page numbers (and `footer`) at the bottom; the page count."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    margin = MARGIN_MM * mm
    foot = core_text(footer)

    def number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.drawString(margin, margin / 2, foot[:120])
        canvas.drawRightString(letter[0] - margin, margin / 2, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=letter,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=core_text(title),
        author="cdm-audit",
    )
    doc.build(story, onFirstPage=number, onLaterPages=number)
    return doc.page
