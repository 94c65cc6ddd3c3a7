"""The terminal summary of an audit: counts, then the problems in fix-first order (printed, or summary.txt)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from auditor.problems import INFO_BASIS, TOP
from auditor.report.context import ReportContext
from auditor.report.gaps import by_reason, not_evaluable, partly_seen
from auditor.report.problems_view import (
    amount_text,
    line_places,
    main_file,
    problems_of,
    subject_label,
    top_problems,
)
from auditor.report.sheets import sheet_state

MAX_PER_EDIT = 5  # items of each "since last run" list the terminal shows
TOP_TEXT = TOP  # problems the terminal lists, as the HTML and Excel "Fix first"
LINES_SHOWN = 4  # line locations shown under each problem
# The report files a reader can turn to for everything the terminal leaves out, by format.
FULL_REPORTS = {"html": "report.html", "xlsx": "report.xlsx", "json": "findings.json", "csv": "findings.csv"}


def render_summary(doc: dict, written: Mapping[str, Path] | None = None) -> str:
    """Short, readable text: what was read, the quarter, counts, then the problems in fix-first order.

    `written` (format -> file) names the reports this run wrote, so the text only points at files that exist.
    """
    run, summ = doc["run"], doc["summary"]
    lines = [
        (
            f"cdm-audit {run['tool_version']}  as of {run['as_of']}  quarter {run['quarter']}  "
            f"edit set {run['edit_set_version']}"
        )
    ]
    if run["quarter_message"]:
        lines.append(f"!! {run['quarter_message']}")
    unreadable = [i for i in run["inputs"] if i.get("error")]
    if unreadable:
        lines.append(
            f"!! INCOMPLETE: {len(unreadable)} of {len(run['inputs'])} input files could not be read; "
            "their rows are not audited"
        )
    for i in run["inputs"]:
        if i.get("error"):
            lines.append(f"  {i['role']}: NOT READ: {i['error']}")
            continue
        lines.append(f"  {i['role']}: {i['path']} ({i['format']}, sha256 {i['sha256'][:12]}…)")
        for s in i["sheets"]:
            lines.append(f"    sheet {s['name']!r}: {sheet_state(s)}")
    sev = summ["by_severity"]
    lines.append(
        f"{summ['rows_audited']:,} rows audited, {summ['rows_skipped']:,} skipped; "
        f"{summ['findings']:,} findings on {summ['lines_with_findings']:,} lines: "
        f"{sev['error']:,} errors, {sev['warning']:,} warnings, {sev['info']:,} info"
        + (f", {summ['waived']:,} waived" if summ["waived"] else "")
    )
    lines += render_gaps(run["edits"])
    lines += render_problems(doc, written)
    if doc.get("history"):
        lines.append(render_history(doc["history"]))
    return "\n".join(lines)


def render_problems(doc: dict, written: Mapping[str, Path] | None = None) -> list[str]:
    """The problem counts, the fix-first list (rank, severity, edit, subject, lines, money and its basis)."""
    problems = problems_of(doc)
    if not problems:
        return [] if not doc["findings"] else [f"\n{len(doc['findings']):,} findings (no problems list)"]
    live = [p for p in problems if not p["waived"]]
    by_sev = {s: sum(1 for p in live if p["severity"] == s) for s in ("error", "warning", "info")}
    lines = [
        f"{len(problems):,} problems to fix: {by_sev['error']:,} errors, {by_sev['warning']:,} warnings, "
        f"{by_sev['info']:,} info"
        + (f", {len(problems) - len(live):,} waived" if len(live) < len(problems) else "")
    ]
    top = top_problems(doc, TOP_TEXT)
    if not top:
        return lines + ["Every problem is waived."]
    lines.append(
        f"\nFix first: the top {len(top)} problem{'s' if len(top) != 1 else ''} "
        "(by severity, then money at stake: OPPS payment rate, else the line charge, times the lines, or what the "
        "edit reckons, such as a price spread; none for info)"
    )
    base = main_file(doc)
    for p in top:
        lines.append(
            f"{p['rank']:>4}. {p['severity']:<7} {p['edit']} {subject_label(p, doc)}: {p['lines']:,} "
            f"line{'s' if p['lines'] != 1 else ''}, {_stake(p)}"
        )
        places = line_places(doc, p, LINES_SHOWN, base)
        more = f", … {p['lines'] - len(places):,} more" if p["lines"] > len(places) else ""
        lines.append(f"        {p['message']}")
        lines.append(f"        lines: {', '.join(places)}{more}")
    rest = len(problems) - len(top)
    if rest > 0:
        lines.append(f"  … {rest:,} more problems {_see(written)}")
    return lines


def _see(written: Mapping[str, Path] | None) -> str:
    """Where the rest is: the full reports this run wrote, else how to write one."""
    files = [str(Path(path).name) for fmt, path in (written or {}).items() if fmt in FULL_REPORTS]
    if files:
        return "in " + ", ".join(files)
    return "(write them all with --format html,xlsx,json)"


def write_summary(
    ctx: ReportContext | dict, out_dir: Path, written: Mapping[str, Path] | None = None
) -> Path:
    """summary.txt: the terminal summary as a file (what a scheduled run keeps beside its reports)."""
    path = out_dir / "summary.txt"
    path.write_text(render_summary(ReportContext.of(ctx).doc, written) + "\n", encoding="utf-8")
    return path


def render_gaps(edits: list[dict]) -> list[str]:
    """Lines naming the edits that could not run, or ran on part of the input, and the missing column."""
    lines = []
    blocked = not_evaluable(edits)
    if blocked:
        n = len(blocked)
        lines.append(
            f"!! {n} edit{'s' if n != 1 else ''} could not run (not evaluable, so 0 findings means "
            "nothing was checked):"
        )
        lines += [f"  {reason}: {', '.join(codes)}" for reason, codes in by_reason(edits).items()]
    partial = partly_seen(edits)
    if partial:
        lines.append(f"{len(partial)} edit{'s' if len(partial) != 1 else ''} ran on part of the input only:")
        lines += [f"  {e['code']} {e['note']}" for e in partial]
    return lines


SINCE_LABELS = (
    ("new", "new"),
    ("resolved", "resolved"),
    ("still_open", "still open"),
    ("reappeared", "reappeared"),
    ("implementation_errors", "implementation errors"),
    ("fixes_confirmed", "fixes confirmed"),
    ("waived_by_ack", "waived by acknowledgement"),
)


def render_history(hist: dict, limit: int | None = MAX_PER_EDIT) -> str:
    """The 'since last run' block: counts, what the quarter change broke, then the findings of each list."""
    base, cur = hist.get("baseline"), hist.get("current") or {}
    where = f"run {hist['run_id']}" if hist.get("run_id") else "this audit (not recorded)"
    lines = [
        f"\nSince last run — facility {hist['facility']}, {where}"
        + (f", history {hist['database']}" if hist.get("database") else "")
    ]
    if hist.get("counts") is None:
        lines.append("  no comparison asked (--compare-with none)")
        return "\n".join(lines)
    if base is None:
        # Nothing to compare with: listing every finding as "new" would only repeat the report.
        lines.append(
            f"  first recorded run for this facility: nothing to compare with yet "
            f"({hist['counts']['new']:,} findings recorded as the baseline)"
        )
    else:
        lines.append(
            f"  compared with run {base['id']} (as of {base['as_of']}, quarter {base['quarter']}, "
            f"code set {base['code_quarter']}, edit set {base['edit_set_version']})"
            + ("; same input files" if hist.get("same_inputs") else "")
        )
        if hist.get("edit_set_changed"):
            lines.append(
                f"  note: the edit set changed since run {base['id']} ({base['edit_set_version']} -> "
                f"{cur.get('edit_set_version')}); some differences come from the edits, not the files"
            )
    c = hist["counts"]
    if base is not None:
        lines.append("  " + ", ".join(f"{c[k]} {label}" for k, label in SINCE_LABELS))
    broke = [q for q in hist.get("quarter_changes", []) if q["broken"]]
    if broke or hist.get("quarter_note"):
        frm = broke[0]["before"]["quarter"] if broke else "?"
        to = broke[0]["after"]["quarter"] if broke else cur.get("code_quarter", "?")
        lines.append(f"\n  What the {frm} -> {to} code update broke ({len(broke)} code(s)):")
        for q in broke[:limit] if limit else broke:
            repl = (
                f"; use {'/'.join(q['replaced_by'])}"
                + (" (already on file)" if q["replacement_on_file"] else "")
                if q["replaced_by"]
                else ""
            )
            sample = ", ".join(f"{s['charge_code'] or '-'} row {s['row']}" for s in q["sample"][:3])
            lines.append(
                f"    {q['code']:<6} {q['role']:<13} {q['label']} (SI {q['before']['si'] or '-'} -> "
                f"{q['after']['si'] or 'not listed'}), {q['lines']} line(s): {sample}{repl}"
            )
        if limit and len(broke) > limit:
            lines.append(f"    … {len(broke) - limit} more (`cdm-audit compare --all` lists them all)")
        if hist.get("quarter_note"):
            lines.append(f"    note: {hist['quarter_note']}")
    for key, title in (
        ("implementation_errors", "Implementation errors (fix acknowledged, still in the extract)"),
        ("new", "New" if base is not None else ""),
        ("reappeared", "Reappeared"),
        ("resolved", "Resolved"),
        ("fixes_confirmed", "Fixes confirmed"),
    ):
        items = hist.get(key) or []
        if not items or not title:
            continue
        lines.append(f"\n  {title} ({c[key]}):")
        for f in items[:limit] if limit else items:
            ack = f.get("ack")
            extra = (
                f"  [ack #{ack['id']} {ack['status']} by {ack['who']}: {ack['reason'] or ''}]" if ack else ""
            )
            lines.append(
                f"    {f['fid']}  {f['severity']:<7} {f['edit']}  {f['charge_code'] or '-':<12} "
                f"{f['code'] or '-':<6} {f['message']}{extra}"
            )
        if limit and c[key] > limit:
            lines.append(f"    … {c[key] - limit} more")
    return "\n".join(lines)


def _stake(p: dict) -> str:
    """'$1,200.00 at stake (line charge $600.00 × 2 lines)', or 'information only' for an info problem."""
    if p["basis"] == INFO_BASIS:
        return "information only (no money at stake)"
    return f"{amount_text(p)} at stake ({p['basis']})"
