"""fpdf2 vs reportlab: seconds per document (best of N) for a 2-page appeal draft and a 3-page summary.

Usage:
  python benchmarks/pdf_libraries.py            # best of 5
  python benchmarks/pdf_libraries.py --runs 9

Both libraries lay out the same content with their core Helvetica font: headings, wrapped paragraphs, a
bordered table with wrapping cells and checklist lines. Each prints its page count so the sizes can be
compared (the point is one and the same document, not each library's fastest trick).
"""

from __future__ import annotations

import argparse
import io
import time

MARGIN_MM = 18
PARAGRAPH = (
    "This request concerns the service lines listed below. The remittance shows the determination date and "
    "the adjustment reason codes as received; the items that follow are what the provider attaches. "
)


def draft_content() -> dict:
    """About two pages of letter: paragraphs, a 12-row lines table, a checklist."""
    return {
        "title": "Request for redetermination",
        "paragraphs": [PARAGRAPH * 3] * 6,
        "table": [["Line", "Code", "Modifiers", "Units", "DOS", "Denied", "CARC / RARC"]]
        + [
            [str(i), "15275", "RT, JW", "4", "2026-03-02", "yes", "CO-50 not medically necessary"]
            for i in range(12)
        ],
        "checklist": [
            f"[ ] documentation item {i}: wound size, depth and location per application" for i in range(8)
        ],
    }


def summary_content() -> dict:
    """About three pages of summary: a short run block, then long tables."""
    return {
        "title": "Compliance summary",
        "paragraphs": [PARAGRAPH] * 2,
        "table": [["Edit", "Severity", "Message", "Count"]]
        + [
            [
                f"E{i:03d}",
                "error",
                "device C1820 has no paired procedure line in the chargemaster " * 2,
                str(i),
            ]
            for i in range(18)
        ],
        "checklist": [],
    }


def with_fpdf2(doc: dict) -> tuple[bytes, int]:
    """The document through fpdf2 (FPDF.multi_cell and FPDF.table)."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_margins(MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, doc["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for p in doc["paragraphs"]:
        pdf.multi_cell(0, 5, p, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    with pdf.table(first_row_as_headings=True, line_height=5) as table:
        for row in doc["table"]:
            r = table.row()
            for cell in row:
                r.cell(cell)
    for item in doc["checklist"]:
        pdf.multi_cell(0, 5, item, new_x="LMARGIN", new_y="NEXT")
    data = bytes(pdf.output())
    return data, pdf.pages_count


def with_reportlab(doc: dict) -> tuple[bytes, int]:
    """The document through reportlab's platypus (Paragraph, Table)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    story = [Paragraph(doc["title"], styles["Heading1"])]
    for p in doc["paragraphs"]:
        story += [Paragraph(p, styles["BodyText"]), Spacer(1, 4)]
    cells = [[Paragraph(c, styles["BodyText"]) for c in row] for row in doc["table"]]
    table = Table(cells, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story.append(table)
    story += [Paragraph(item, styles["BodyText"]) for item in doc["checklist"]]
    margin = MARGIN_MM * mm
    template = SimpleDocTemplate(
        buf, pagesize=letter, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin
    )
    template.build(story)
    return buf.getvalue(), template.page


def best_of(fn, doc: dict, runs: int) -> tuple[float, int]:
    """Fastest wall time of `runs` renders, and the page count."""
    times, pages = [], 0
    fn(doc)  # warm-up: imports and font metrics load once per process
    for _ in range(runs):
        t0 = time.perf_counter()
        _, pages = fn(doc)
        times.append(time.perf_counter() - t0)
    return min(times), pages


def main() -> None:
    """Print seconds per document for each library and document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'document':<12} {'library':<10} {'pages':>5} {'best s':>8}")
    for name, doc in (("draft", draft_content()), ("summary", summary_content())):
        for lib, fn in (("fpdf2", with_fpdf2), ("reportlab", with_reportlab)):
            seconds, pages = best_of(fn, doc, args.runs)
            print(f"{name:<12} {lib:<10} {pages:>5} {seconds:>8.4f}")


if __name__ == "__main__":
    main()
