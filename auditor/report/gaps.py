"""Edits the run could not evaluate (a needed column is missing), grouped the way every report shows them."""

from __future__ import annotations

from auditor.engine.needs import NOT_EVALUABLE, UNSEEN


def not_evaluable(edits: list[dict]) -> list[dict]:
    """Run-record edits with status not-evaluable."""
    return [e for e in edits if e["status"] == "not-evaluable"]


def partly_seen(edits: list[dict]) -> list[dict]:
    """Edits that ran but not on every input (a sheet or the chargemaster lacked a needed column)."""
    return [e for e in edits if e["status"] == "ran" and UNSEEN in (e.get("note") or "")]


def by_reason(edits: list[dict]) -> dict[str, list[str]]:
    """'no description column' -> edit codes, for not-evaluable edits, in first-seen order."""
    out: dict[str, list[str]] = {}
    for e in not_evaluable(edits):
        out.setdefault(e["note"].removeprefix(NOT_EVALUABLE), []).append(e["code"])
    return out
