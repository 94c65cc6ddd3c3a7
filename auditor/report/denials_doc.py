"""The denials JSON document: the contract the HTML, Excel and web views render (documented in the README)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from auditor.denials.run import DenialsResult

SCHEMA_VERSION = "1"


def _reasons(lines: pl.DataFrame, claim_id: str) -> str:
    """The claim's denial CARCs and RARCs, e.g. '50 (15271, 15272); N115'."""
    mine = lines.filter((pl.col("claim_id") == claim_id) & pl.col("denied"))
    carcs = sorted({c for v in mine.get_column("carcs").drop_nulls() for c in v.split(",") if c})
    rarcs = sorted({c for v in mine.get_column("rarcs").drop_nulls() for c in v.split(",") if c})
    codes = ", ".join(sorted({c for c in mine.get_column("code").drop_nulls()}))
    text = f"{', '.join(carcs)} ({codes})" if codes else ", ".join(carcs)
    return f"{text}; {', '.join(rarcs)}" if rarcs else text


def _iso(value):
    """Dates as ISO text for JSON."""
    return value.isoformat() if isinstance(value, dt.date) else value


def build_document(result: DenialsResult, drafts: dict[str, str] | None = None) -> dict:
    """The whole denials document; `drafts` maps claim id -> the draft file written (relative to the output)."""
    drafts = drafts or {}
    by_claim = {d.claim_id: d for d in result.drafts}
    denied = []
    for c in result.claims.filter(pl.col("denied") | pl.col("non_affirmed")).sort("claim_id").to_dicts():
        d = by_claim.get(c["claim_id"])
        denied.append(
            {
                "claim_id": c["claim_id"],
                "state": c["state"],
                "participant": c["participant"],
                "service": c["service"],
                "reasons": _reasons(result.lines, c["claim_id"]),
                "denied_codes": sorted(
                    result.lines.filter((pl.col("claim_id") == c["claim_id"]) & pl.col("denied"))
                    .get_column("code")
                    .drop_nulls()
                    .unique()
                    .to_list()
                ),
                "predicted": c["predicted_by"] is not None,
                "predicted_by": c["predicted_by"],
                "kind": d.kind if d else None,
                "deadline": _iso(d.deadline) if d else None,
                "deadline_text": d.deadline_text if d else None,
                "send_to": d.send_to if d else None,
                "draft": drafts.get(c["claim_id"]),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "meta": result.meta,
        "inputs": result.inputs,
        "totals": result.analytics["totals"],
        "rates": result.analytics["rates"],
        "patterns": result.analytics["patterns"],
        "denied_claims": denied,
        "denied_lines": result.lines.filter(pl.col("denied"))
        .select(
            "claim_id",
            pl.col("claim_line").alias("line"),
            "code",
            "modifiers",
            "carcs",
            "rarcs",
            "group_codes",
            pl.col("dos").cast(pl.String),
            "charge",
            "paid",
            "predicted_by",
            "line_predicted_by",
        )
        .sort("claim_id", "line")
        .to_dicts(),
        "unjoined": result.unjoined,
        "superseded": result.superseded,
        "notes": result.notes,
    }
