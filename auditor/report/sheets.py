"""One line per input sheet for every report: how it was read, its kind, and what became of its rows."""

from __future__ import annotations

KIND_LABELS = {
    "cdm": "chargemaster",
    "pharmacy": "pharmacy",
    "professional_fee": "professional fees",
    "price_view": "price view",
    "removed": "removed items",
    "summary": "summary",
    "pairing": "pairing table",
    "claim": "claim lines",
}


def sheet_state(s: dict) -> str:
    """'chargemaster, header on row 1: 120 audited, 0 skipped', 'price view of 'CDM': not audited', ..."""
    if s.get("header_row") is None:
        return f"not audited: {s.get('note') or 'no table'}"
    kind = s.get("kind", "cdm")
    label = KIND_LABELS.get(kind, kind)
    if kind == "price_view" and s.get("linked_to"):
        label += f" of {s['linked_to']!r}"
    where = "no header row" if s["header_row"] == 0 else f"header on row {s['header_row']}"
    if kind in ("price_view", "removed", "summary"):
        why = f" ({s['kind_reason']})" if s.get("kind_reason") and kind != "price_view" else ""
        return f"{label}{why}, not audited: {s['rows_skipped']:,} rows listed as skipped"
    state = f"{label}, {where}: {s['rows_audited']:,} audited, {s['rows_skipped']:,} skipped"
    # What reading left unsaid on audited rows (price cells that are no amount) goes with the counts.
    return f"{state}; {s['note']}" if s.get("note") else state
