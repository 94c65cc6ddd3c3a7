"""compliance-summary.pdf: the one-to-three-page record a compliance officer files for an audit or claims run."""

from __future__ import annotations

from pathlib import Path

from auditor.lean_dataclass import dataclass
from auditor.report import pdf_doc

DASH = "—"
KINDS = {"chargemaster": "Chargemaster audit", "claims": "Claims run", "denials": "Denials review"}
MAX_PAGES = 3
MAX_COUNT_COLUMNS = 6


@dataclass(frozen=True)
class Limits:
    """How much of each list, and of each cell, the summary shows; the full report lists everything."""

    cell: int  # characters of one cell: a pasted paragraph in a message or reason must not fill a page
    inputs: int
    counts: int
    top: int
    waivers: int


# Tried in order until the summary fits in MAX_PAGES; the last one fits whatever the record holds.
LIMITS = (Limits(240, 12, 16, 10, 20), Limits(120, 6, 10, 10, 10), Limits(60, 3, 6, 10, 4))


def _v(value: object, cell: int = 240) -> str:
    """A value as printed: "—" when missing or empty, counts with thousands separators, long text shortened."""
    if value is None or value == "" or value == []:
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = " ".join(str(value).split())
    return text if len(text) <= cell else text[: cell - 1] + "…"


def _rows(items: object, keys: list[str], cap: int, cell: int) -> tuple[list[list[str]], int]:
    """Table rows of `keys` from a list of dicts (at most `cap`), and how many were left out."""
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    return [[_v(i.get(k), cell) for k in keys] for i in items[:cap]], max(0, len(items) - cap)


def _count_keys(counts: list) -> list[str]:
    """Columns of the counts table: the queue or severity first, problems next, then any others in order."""
    seen: list[str] = []
    for row in counts:
        for k in row if isinstance(row, dict) else ():
            if isinstance(k, str) and k not in seen:
                seen.append(k)
    first = [k for k in ("queue", "severity") if k in seen] or ["queue"]
    first.append("problems")
    return (first + [k for k in seen if k not in first])[:MAX_COUNT_COLUMNS]


def _section(story: list, heading: str, header: list[str], rows: list[list[str]], left_out: int, empty: str):
    """A heading, then a table of `rows` (or one line saying there is nothing), noting rows left out."""
    story.append(pdf_doc.paragraph(heading, "h2"))
    if not rows:
        story.append(pdf_doc.paragraph(empty))
        return
    story.append(pdf_doc.table([header, *rows]))
    if left_out:
        story.append(pdf_doc.paragraph(f"and {left_out} more, listed in the full report", "small"))


def _inputs(story: list, inputs: object, limits: Limits) -> None:
    """Each input file on its own lines (path and rows, then the SHA-256), so a hash is never broken in two."""
    story.append(pdf_doc.paragraph("Inputs", "h2"))
    rows, more = _rows(inputs, ["path", "rows", "sha256"], limits.inputs, limits.cell)
    if not rows:
        story.append(pdf_doc.paragraph(f"{DASH} (no inputs recorded)"))
    for path, n, sha in rows:
        story.append(pdf_doc.paragraph(f"{path} ({n} rows)", "line"))
        story.append(pdf_doc.paragraph(f"SHA-256 {sha}", "hash"))
    if more:
        story.append(pdf_doc.paragraph(f"and {more} more, listed in the full report", "small"))


def _story(record: dict, run: dict, limits: Limits) -> list:
    """The summary's flowables: title, run, inputs, counts, top problems, waivers, a sign-off."""
    kind = record.get("kind")
    story = [
        pdf_doc.paragraph(_v(record.get("title")), "title"),
        pdf_doc.paragraph(KINDS[kind] if isinstance(kind, str) and kind in KINDS else _v(kind)),
        pdf_doc.paragraph("Run", "h2"),
        pdf_doc.table(
            [
                ["Generated at", _v(run.get("generated_at"))],
                ["Tool version", _v(run.get("tool_version"))],
                ["Edit set version", _v(run.get("edit_set_version"))],
                ["As of", _v(run.get("as_of"))],
            ],
            header=False,
        ),
    ]
    _inputs(story, run.get("inputs"), limits)
    counts = record.get("counts") if isinstance(record.get("counts"), list) else []
    keys = _count_keys(counts)
    rows, more = _rows(counts, keys, limits.counts, limits.cell)
    headers = [k.replace("_", " ").capitalize() for k in keys]
    _section(story, "Problem counts", headers, rows, more, f"{DASH} (no counts recorded)")
    keys = ["edit", "severity", "message", "count"]
    rows, more = _rows(record.get("top_problems"), keys, limits.top, limits.cell)
    _section(story, "Top problems", ["Edit", "Severity", "Message", "Count"], rows, more, "None recorded.")
    rows, more = _rows(
        record.get("waivers"), ["edit", "charge_code", "reason", "until"], limits.waivers, limits.cell
    )
    _section(
        story, "Waivers in force", ["Edit", "Charge code", "Reason", "Until"], rows, more, "None recorded."
    )
    return story + [
        pdf_doc.paragraph("Review", "h2"),
        pdf_doc.paragraph("Reviewed by: [name and title]"),
        pdf_doc.paragraph("Signature: [signature]    Date: [date]"),
    ]


def write_compliance_pdf(record: dict, path: Path) -> Path:
    """Write the summary of `record` (title, kind, run, counts, top_problems, waivers) to `path` as a PDF."""
    run = record.get("run") if isinstance(record.get("run"), dict) else {}
    footer = f"cdm-audit {_v(run.get('tool_version'))}, generated {_v(run.get('generated_at'))}"
    for limits in LIMITS:
        # A render takes a few hundredths of a second: measuring the real layout beats estimating row heights.
        if pdf_doc.build(path, _story(record, run, limits), _v(record.get("title")), footer) <= MAX_PAGES:
            break
    return path
