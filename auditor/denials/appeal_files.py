"""An appeal draft's blocks written as an editable DOCX (python-docx) and as a PDF (auditor.report.pdf_doc)."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.denials.letter import Block, split_placeholders
from auditor.report import pdf_doc

UNTICKED, TICKED = "\u2610", "\u2611"  # ☐ ☑
# Word rejects XML 1.0's forbidden characters; the template data is cleaned already, this guards user templates.
XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _docx_runs(paragraph, text: str) -> None:
    """Add `text` to a Word paragraph, fill-in placeholders highlighted so a person finds them."""
    from docx.enum.text import WD_COLOR_INDEX

    for piece, fill in split_placeholders(XML_FORBIDDEN.sub("", text)):
        run = paragraph.add_run(piece)
        if fill:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def write_docx(blocks: list[Block], path: Path, title: str) -> Path:
    """The draft as a Word document: real headings, a real table for lines, ☐/☑ checklist paragraphs."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = XML_FORBIDDEN.sub("", title)
    doc.core_properties.author = "cdm-audit"
    doc.styles["Normal"].font.size = Pt(10.5)
    for b in blocks:
        if b.kind == "heading":
            doc.add_heading(XML_FORBIDDEN.sub("", b.text), level=b.level)
        elif b.kind == "paragraph":
            p = doc.add_paragraph()
            for i, line in enumerate(b.lines):
                if i:
                    p.add_run().add_break()
                _docx_runs(p, line)
        elif b.kind == "bullet":
            _docx_runs(doc.add_paragraph(style="List Bullet"), b.text)
        elif b.kind == "check":
            _docx_runs(doc.add_paragraph(), f"{TICKED if b.checked else UNTICKED} {b.text}")
        elif b.kind == "table":
            width = max(len(r) for r in b.rows)
            grid = doc.add_table(rows=len(b.rows), cols=width, style="Table Grid")
            for r, row in enumerate(b.rows):
                for c in range(width):
                    cell = grid.cell(r, c)
                    cell.text = XML_FORBIDDEN.sub("", row[c] if c < len(row) else "")
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
    doc.save(str(path))
    return path


def write_pdf(blocks: list[Block], path: Path, title: str, footer: str = "") -> Path:
    """The same draft as a PDF; checklist items read "[x]" (confirmed) or "[ ]" in the core fonts."""
    story = []
    for b in blocks:
        if b.kind == "heading":
            story.append(pdf_doc.paragraph(b.text, "h1" if b.level == 1 else "h2"))
        elif b.kind == "paragraph":
            # One Paragraph per line keeps the address block's line breaks without markup in the text.
            for i, line in enumerate(b.lines):
                last = i == len(b.lines) - 1
                story.append(pdf_doc.paragraph(line, "body" if last else "line", split_placeholders(line)))
        elif b.kind == "bullet":
            story.append(
                pdf_doc.paragraph(f"\u2022 {b.text}", "body", split_placeholders(f"\u2022 {b.text}"))
            )
        elif b.kind == "check":
            text = f"{'[x]' if b.checked else '[ ]'} {b.text}"
            story.append(pdf_doc.paragraph(text, "body", split_placeholders(text)))
        elif b.kind == "table":
            story.append(pdf_doc.table(b.rows))
            story.append(pdf_doc.paragraph("", "body"))
    pdf_doc.build(path, story, title, footer)
    return path
