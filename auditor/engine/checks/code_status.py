"""code-valid-in-quarter: a code is deleted, invalid, or unknown to OPPS in the audit quarter.

Params: `statuses` (list of deleted / invalid / unknown_to_opps), optional `when` selector.
The frame carries the quarter's classification (columns `cs_status`, `cs_last_seen`, `cs_first_seen`).
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError, resolve_selector

KINDS = ("code-valid-in-quarter",)
_STATUSES = {"deleted", "invalid", "unknown_to_opps"}


def prepare(edit, lists) -> None:
    """Check the statuses and resolve the optional selector."""
    statuses = set(edit.params.get("statuses", []))
    if not statuses or statuses - _STATUSES:
        raise CatalogError(f"statuses must be among {sorted(_STATUSES)}")
    edit.params["_when"] = resolve_selector(edit.params.get("when"), lists)


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose code has one of the statuses in the audit quarter."""
    cond = eligible & pl.col("cs_status").is_in(list(edit.params["statuses"])).fill_null(False)
    if edit.params["_when"] is not None:
        cond = cond & edit.params["_when"].expr()
    # A code not yet effective gets its start quarter in the message instead of a last-seen one.
    return (
        ctx.frame.lazy()
        .filter(cond)
        .select(
            "_rid",
            v_last_seen=pl.col("cs_last_seen").fill_null("never"),
            v_first_seen=pl.col("cs_first_seen").fill_null("never"),
            v_detail=pl.when(pl.col("cs_status") == "deleted")
            .then(pl.lit("CMS last listed it in ") + pl.col("cs_last_seen").fill_null("an earlier quarter"))
            .when(pl.col("cs_first_seen").is_not_null() & (pl.col("cs_first_seen") > pl.lit(ctx.quarter)))
            .then(pl.lit("it only takes effect in ") + pl.col("cs_first_seen"))
            .when(pl.col("cs_status") == "unknown_to_opps")
            .then(pl.lit("its HCPCS series is not used by Medicare"))
            .otherwise(pl.lit("no CMS Addendum B quarter held lists it")),
            expected=pl.when(pl.col("cs_status") == "deleted")
            .then(pl.lit("a code valid for ") + pl.lit(ctx.quarter) + pl.lit(" dates of service"))
            .when(pl.col("cs_first_seen").is_not_null())
            .then(
                pl.lit("a code in effect in ")
                + pl.lit(ctx.quarter)
                + pl.lit(" (this one starts ")
                + pl.col("cs_first_seen")
                + pl.lit(")")
            )
            .otherwise(pl.lit("a CPT/HCPCS code listed in CMS Addendum B for ") + pl.lit(ctx.quarter)),
        )
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect()
