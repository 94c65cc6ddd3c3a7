"""Findings that follow from a stronger one on the same line: lowered to info (an info finding says so too),
raised again once it is waived."""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.engine.catalog import EditSet
from auditor.engine.findings import Finding


def _suffix(named: str) -> str:
    """What lowering adds to a finding's message."""
    return f" (follows from {named} on this line)"


def _strong_on_lines(findings: list[Finding], strong: set[str]) -> dict[tuple, set[str]]:
    """(file, sheet, row) -> the unwaived findings' edits among `strong` on that line."""
    on_line: dict[tuple, set[str]] = {}
    for f in findings:
        if f.edit in strong and not f.waived:
            on_line.setdefault((f.file, f.sheet, f.row), set()).add(f.edit)
    return on_line


def lower_implied(findings: list[Finding], edits: EditSet) -> tuple[list[Finding], dict[str, dict[str, int]]]:
    """Lower to info a finding whose line also carries an unwaived finding of an edit that implies it (an info
    finding keeps its severity and says what it follows from too); with the counts per edit and implying edits."""
    implying = {e.code: set(e.implied_by) for e in edits.edits if e.implied_by}
    lowered: dict[str, dict[str, int]] = {}
    if not implying or not findings:
        return findings, lowered
    on_line = _strong_on_lines(findings, set().union(*implying.values()))
    out = []
    for f in findings:
        by = sorted(implying.get(f.edit, set()) & on_line.get((f.file, f.sheet, f.row), set()))
        if by and not f.waived:
            named = " and ".join(by)
            f = replace(
                f, severity="info", message=f.message + _suffix(named), extra={**f.extra, "implied_by": named}
            )
            counts = lowered.setdefault(f.edit, {})
            counts[named] = counts.get(named, 0) + 1
        out.append(f)
    return out, lowered


_LOWERED_NOTE = re.compile(
    r"[0-9,]+ finding\(s\) (lowered to info|marked as following): .+ flags the same line"
)


def note_lowered(summaries: list, lowered: dict[str, dict[str, int]]) -> None:
    """Say in each edit's summary how many of its findings were lowered to info, and by which edits."""
    for s in summaries:
        for named, n in lowered.get(s.code, {}).items():
            # An info edit's findings are not lowered, only told apart from the ones that stand alone.
            how = "marked as following" if s.severity == "info" else "lowered to info"
            note = f"{n:,} finding(s) {how}: {named} flags the same line"
            s.note = "; ".join(x for x in (s.note, note) if x)


def renote_lowered(summaries: list, findings: list[Finding]) -> list:
    """Copies of the summaries whose lowered-to-info notes count the findings as they stand (after an
    acknowledgement raised some of them again)."""
    lowered: dict[str, dict[str, int]] = {}
    for f in findings:
        if (named := f.extra.get("implied_by")) is not None:
            counts = lowered.setdefault(f.edit, {})
            counts[named] = counts.get(named, 0) + 1
    out = []
    for s in summaries:
        kept = [part for part in s.note.split("; ") if not _LOWERED_NOTE.fullmatch(part)] if s.note else []
        s = replace(s, note="; ".join(kept))
        note_lowered([s], lowered)
        out.append(s)
    return out


def raise_unimplied(findings: list[Finding], severities: dict[str, str]) -> list[Finding] | None:
    """After waivers applied later (acknowledgements): a lowered finding whose implying findings on its line
    are all waived now goes back to its edit's severity and own message; None when nothing changes.

    `severities` maps each edit to the severity it runs at (the facility's override, else the edit's)."""
    lowered = [f for f in findings if "implied_by" in f.extra]
    if not lowered:
        return None
    strong = {code for f in lowered for code in f.extra["implied_by"].split(" and ")}
    on_line = _strong_on_lines(findings, strong)
    out, changed = [], False
    for f in findings:
        named = f.extra.get("implied_by")
        if named is not None and f.message.endswith(_suffix(named)):
            left = sorted(set(named.split(" and ")) & on_line.get((f.file, f.sheet, f.row), set()))
            if left != named.split(" and "):
                base = f.message[: -len(_suffix(named))]
                extra = {k: v for k, v in f.extra.items() if k != "implied_by"}
                if left:  # still lowered, by the findings that stand
                    now = " and ".join(left)
                    f = replace(f, message=base + _suffix(now), extra={**extra, "implied_by": now})
                else:
                    f = replace(f, severity=severities.get(f.edit, f.severity), message=base, extra=extra)
                changed = True
        out.append(f)
    return out if changed else None
