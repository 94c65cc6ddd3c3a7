"""The structured text of an appeal draft read into blocks (headings, paragraphs, bullets, checklist, tables)."""

from __future__ import annotations

import re
from dataclasses import field

from auditor.lean_dataclass import dataclass

CHECK = re.compile(r"^- \[([ xX])\] (.*)$")
# A row separator like |---|:--:| carries no text; it only tells a reader of the raw text where the header ends.
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")
# A pipe inside a value is written "\|" by the templates' `cell` filter, so only bare pipes split cells.
CELL_SPLIT = re.compile(r"(?<!\\)\|")
# What a person must fill in: "[attach: ...]", "[physician signature]"; not the "[ ]" / "[x]" of a checklist.
PLACEHOLDER = re.compile(r"\[[a-z][^\[\]]{3,}\]")


@dataclass
class Block:
    """One block of the draft: kind is heading, paragraph, bullet, check or table."""

    kind: str
    text: str = ""
    level: int = 0  # heading level (1, 2)
    checked: bool = False
    lines: list[str] = field(default_factory=list)  # paragraph lines, kept as the template broke them
    rows: list[list[str]] = field(default_factory=list)  # table rows, the first is the header


def _cells(line: str) -> list[str]:
    """The cells of one "| a | b |" row, escaped pipes restored."""
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in CELL_SPLIT.split(inner)]


def parse(text: str) -> list[Block]:
    """Blocks in reading order; consecutive plain lines form one paragraph, consecutive rows one table."""
    blocks: list[Block] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        last = blocks[-1] if blocks else None
        if not line.strip():
            blocks.append(Block("blank"))
        elif line.startswith("## ") or line.startswith("# "):
            level = 2 if line.startswith("## ") else 1
            blocks.append(Block("heading", line[level + 1 :].strip(), level=level))
        elif m := CHECK.match(line):
            blocks.append(Block("check", m.group(2).strip(), checked=m.group(1) != " "))
        elif line.startswith("- "):
            blocks.append(Block("bullet", line[2:].strip()))
        elif line.startswith("|") and line.endswith("|") and len(line) > 1:
            if SEPARATOR.match(line):
                continue
            if last is not None and last.kind == "table":
                last.rows.append(_cells(line))
            else:
                blocks.append(Block("table", rows=[_cells(line)]))
        elif last is not None and last.kind == "paragraph":
            last.lines.append(line.strip())
        else:
            blocks.append(Block("paragraph", lines=[line.strip()]))
    return [b for b in blocks if b.kind != "blank"]


def split_placeholders(text: str) -> list[tuple[str, bool]]:
    """(piece, is_placeholder) pieces of a line, so writers can highlight what a person must fill in."""
    out, at = [], 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > at:
            out.append((text[at : m.start()], False))
        out.append((m.group(0), True))
        at = m.end()
    if at < len(text):
        out.append((text[at:], False))
    return out
