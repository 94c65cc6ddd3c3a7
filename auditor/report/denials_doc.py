"""The denials JSON document: the contract the HTML, Excel and web views render (documented in the README)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from auditor.denials.run import DenialsResult

SCHEMA_VERSION = "1"


def _denied(lines: pl.DataFrame, claim_key: str) -> pl.DataFrame:
    """The claim's denied lines, by its key (another claim may share its id)."""
    return lines.filter((pl.col("claim_key") == claim_key) & pl.col("denied"))


def _reasons(mine: pl.DataFrame) -> str:
    """The denial CARCs and RARCs of a claim's denied lines, e.g. '50 (15271, 15272); N115'."""
    carcs = sorted({c for v in mine.get_column("carcs").drop_nulls() for c in v.split(",") if c})
    rarcs = sorted({c for v in mine.get_column("rarcs").drop_nulls() for c in v.split(",") if c})
    codes = ", ".join(sorted({c for c in mine.get_column("code").drop_nulls()}))
    text = f"{', '.join(carcs)} ({codes})" if codes else ", ".join(carcs)
    return f"{text}; {', '.join(rarcs)}" if rarcs else text


def _iso(value):
    """Dates as ISO text for JSON."""
    return value.isoformat() if isinstance(value, dt.date) else value


def build_document(result: DenialsResult, drafts: dict[str, str] | None = None) -> dict:
    """The whole denials document; `drafts` maps a claim's identity (DraftClaim.identity) -> its draft file."""
    drafts = drafts or {}
    by_claim = {d.identity(): d for d in result.drafts}
    picked = result.claims.filter(pl.col("denied") | pl.col("non_affirmed")).sort("claim_id", "claim_key")
    denied = []
    for c in picked.to_dicts():
        d = by_claim.get(c["claim_key"])
        mine = _denied(result.lines, c["claim_key"])
        denied.append(
            {
                "claim_id": c["claim_id"],
                "claim_file": c["claim_file"],
                "state": c["state"],
                "participant": c["participant"],
                "service": c["service"],
                "payer": c["payer"],
                # The payer as the run resolved it ("id:<payer id>", else "name:<folded name>"): group by this.
                "payer_key": c["payer_key"],
                "reasons": _reasons(mine),
                "denied_codes": sorted(mine.get_column("code").drop_nulls().unique().to_list()),
                "predicted": c["predicted_by"] is not None,
                "predicted_by": c["predicted_by"],
                "kind": d.kind if d else None,
                "deadline": _iso(d.deadline) if d else None,
                "deadline_text": d.deadline_text if d else None,
                "send_to": d.send_to if d else None,
                "draft": drafts.get(c["claim_key"]),
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
            "claim_file",
            "payer",
            "payer_key",
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
        .sort("claim_id", "claim_file", "line", maintain_order=True)
        .to_dicts(),
        "unjoined": result.unjoined,
        "superseded": result.superseded,
        "notes": result.notes,
    }
