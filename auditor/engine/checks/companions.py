"""Shared machinery for companion checks: which rows of a scope match a group of codes."""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import Selector

MAX_RELATED = 25


def describe(group: frozenset[str], limit: int = 8) -> str:
    """'C1767, C1820 or C1822' (capped) for messages."""
    codes = sorted(group)
    shown = codes[:limit]
    text = ", ".join(shown[:-1]) + (" or " if len(shown) > 1 else "") + shown[-1] if shown else "—"
    return text + (f" (+{len(codes) - limit} more)" if len(codes) > limit else "")


def no_hits() -> pl.DataFrame:
    """A check's answer when no row is flagged."""
    return pl.DataFrame(schema={"_rid": pl.Int64})


def trigger_rows(frame: pl.DataFrame, eligible: pl.Expr, when: Selector) -> pl.DataFrame:
    """Rows (_rid, _scope, code) an edit may flag whose code its trigger selector picks."""
    return (
        frame.lazy()
        .filter(eligible & when.expr())
        .select("_rid", "_scope", "code")
        .collect(engine="in-memory")
    )


def scope_matches(frame: pl.DataFrame, selector: Selector, with_rids: bool) -> pl.DataFrame:
    """Per scope: how many rows match the selector, and (for small scopes) which rows."""
    matched = frame.lazy().filter(selector.expr()).select("_scope", "_rid").collect(engine="in-memory")
    aggs = [pl.len().alias("_n")]
    if with_rids:
        aggs.append(pl.col("_rid").head(MAX_RELATED + 1).alias("_match_rids"))
    return matched.group_by("_scope").agg(aggs)


def triggers_missing(presence: pl.DataFrame, triggers: pl.DataFrame, group: Selector) -> pl.DataFrame:
    """Trigger rows (columns _rid, _scope, code) with no other row of their scope in the group.

    `presence` counts rows per (scope, code) (CheckContext.presence): a few thousand rows instead of
    the whole chargemaster, so each companion group costs almost nothing.
    """
    counts = presence.filter(group.expr()).group_by("_scope").agg(_n=pl.col("_n").sum())
    joined = triggers.join(counts, on="_scope", how="left").with_columns(pl.col("_n").fill_null(0))
    # The trigger row itself never counts as its own companion.
    self_hit = group.expr("code").cast(pl.Int32)
    return joined.filter((pl.col("_n") - self_hit) <= 0).select("_rid", "_scope")


def related_rows(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Attach, for each hit row, the other rows of its scope (capped), as `related`."""
    # Only the hit rows' scopes: on a claims chunk that is a few claims out of tens of thousands.
    members = (
        frame.lazy()
        .filter(pl.col("_scope").is_in(rows.get_column("_scope").unique().implode()))
        .group_by("_scope")
        .agg(pl.col("_rid").head(MAX_RELATED + 1).alias("_members"))
        .collect(engine="in-memory")
    )
    return (
        rows.join(members, on="_scope", how="left")
        .with_columns(
            related=pl.col("_members")
            .list.set_difference(pl.concat_list(pl.col("_rid")))
            .list.head(MAX_RELATED)
        )
        .drop("_members")
    )
