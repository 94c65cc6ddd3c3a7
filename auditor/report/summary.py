"""The terminal summary of an audit: counts, then the findings grouped by edit."""

from __future__ import annotations

MAX_PER_EDIT = 5


def render_summary(doc: dict) -> str:
    """Short, readable text: what was read, the quarter, counts, and a few findings per edit."""
    run, summ = doc["run"], doc["summary"]
    lines = [(f"cdm-audit {run['tool_version']}  as of {run['as_of']}  quarter {run['quarter']}  "
              f"edit set {run['edit_set_version']}")]
    if run["quarter_message"]:
        lines.append(f"!! {run['quarter_message']}")
    for i in run["inputs"]:
        lines.append(f"  {i['role']}: {i['path']} ({i['format']}, sha256 {i['sha256'][:12]}…)")
        for s in i["sheets"]:
            state = (f"{s['rows_audited']:,} audited, {s['rows_skipped']:,} skipped" if s["header_row"] is not None
                     else f"not audited: {s['note']}")
            lines.append(f"    sheet {s['name']!r}: {state}")
    sev = summ["by_severity"]
    lines.append(f"{summ['rows_audited']:,} rows audited, {summ['rows_skipped']:,} skipped; "
                 f"{sev['error']} errors, {sev['warning']} warnings, {sev['info']} info"
                 + (f", {summ['waived']} waived" if summ["waived"] else ""))
    by_edit: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        by_edit.setdefault(f["edit"], []).append(f)
    for code in sorted(by_edit, key=lambda c: ({"error": 0, "warning": 1, "info": 2}[by_edit[c][0]["severity"]], c)):
        items = by_edit[code]
        lines.append(f"\n{code} {items[0]['name']} [{items[0]['severity']}] — {len(items)} finding(s)")
        for f in items[:MAX_PER_EDIT]:
            where = f"{f['sheet']}!{f['row']}" if f["sheet"] else f"row {f['row']}"
            waived = "  (waived)" if f["waived"] else ""
            lines.append(f"  {where:<28} {f['charge_code'] or '-':<14} {f['message']}{waived}")
        if len(items) > MAX_PER_EDIT:
            lines.append(f"  … {len(items) - MAX_PER_EDIT} more (see the JSON/HTML/Excel report)")
    return "\n".join(lines)
