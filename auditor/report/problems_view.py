"""How every report shows a problem: its subject, its lines, its money at stake, the fix-first list."""

from __future__ import annotations

from pathlib import Path

from auditor.problems import TOP, dollars, related_lines
from auditor.report.cells import where


def problems_of(doc: dict) -> list[dict]:
    """The document's problems in fix-first order (none for a document written before problems existed)."""
    return list(doc.get("problems") or [])


def top_problems(doc: dict, n: int = TOP) -> list[dict]:
    """The first `n` problems that are not wholly waived: the "Fix first" list."""
    return [p for p in problems_of(doc) if not p["waived"]][:n]


def subject_label(p: dict, doc: dict) -> str:
    """'code C1764', 'charge code 27801020', 'item HC SCS GENERATOR' (no charge code), or 'file cdm.xlsx'."""
    if p["group"] == "code":
        return f"code {p['subject'] or '(none)'}"
    if p["group"] == "file":
        return f"file {Path(p['subject']).name}"
    first = doc["findings"][p["findings"][0]] if p["findings"] else {}
    if first.get("charge_code"):
        return f"charge code {p['subject']}"
    # Grouped by description when the line has no charge code; a line with neither stands alone.
    return "one line" if not first.get("description") else f"item {p['subject']}"


def amount_text(p: dict) -> str:
    """The money at stake, '$52,000.00', or '–' when no line has a rate or a charge (or for an info problem)."""
    return dollars(p["amount"])


def main_file(doc: dict) -> str | None:
    """The chargemaster file most findings are on (locations in it are shown without the file name)."""
    counts: dict[str, int] = {}
    for f in doc["findings"]:
        counts[f["file"]] = counts.get(f["file"], 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def line_places(doc: dict, p: dict, limit: int | None = None, base_file: str | None = None) -> list[str]:
    """'CDM!12' for each line of a problem, in file, sheet, row order (the first `limit` of them)."""
    return [where(f, s, r, base_file) for f, s, r in problem_lines(doc, p, limit)]


def problem_lines(doc: dict, p: dict, limit: int | None = None) -> list[tuple]:
    """A problem's lines as (file, sheet, row) in that order (the first `limit`): its findings' lines, and their
    related rows when those are lines of the problem too (a duplicate group's other lines)."""
    related = p.get("related_lines", False)
    seen: dict[tuple, None] = {}
    for i in p["findings"]:
        f = doc["findings"][i]
        seen[(f["file"], f["sheet"], f["row"])] = None
        if related:
            seen.update(dict.fromkeys(related_lines(f["file"], f.get("related_rows") or ())))
        elif limit is not None and len(seen) >= limit:
            break  # findings are in file, sheet, row order already: the rest cannot come first
    keys = list(seen)
    if related:
        keys.sort(key=lambda k: (k[0] or "", k[1] or "", k[2] or 0))
    return keys[:limit]


def problem_counts(doc: dict) -> dict[str, int]:
    """Problems by severity (not waived), with `total` and `waived`."""
    problems = problems_of(doc)
    live = [p for p in problems if not p["waived"]]
    counts = {s: sum(1 for p in live if p["severity"] == s) for s in ("error", "warning", "info")}
    return {"total": len(problems), "waived": len(problems) - len(live), **counts}


def finding_ranks(doc: dict) -> list[int | None]:
    """For each finding (by index), the rank of the problem it belongs to (None before problems existed)."""
    ranks: list[int | None] = [None] * len(doc["findings"])
    for p in problems_of(doc):
        for i in p["findings"]:
            ranks[i] = p["rank"]
    return ranks


def finding_problem_ids(doc: dict) -> list[str | None]:
    """For each finding (by index), the id of the problem it belongs to."""
    ids: list[str | None] = [None] * len(doc["findings"])
    for p in problems_of(doc):
        for i in p["findings"]:
            ids[i] = p["id"]
    return ids
