"""Shared machinery for companion checks: which rows of a scope match a group of codes."""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import Selector
from auditor.lean_dataclass import dataclass

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


def trigger_rows(ctx, eligible: pl.Expr, when: Selector) -> pl.DataFrame:
    """Rows (_rid, _scope, code) an edit may flag whose code its trigger selector picks."""
    columns = ("_rid", "_scope", "code")
    if not ctx.picks(when):  # most files hold none of most edits' triggers: no query over no rows
        return pl.DataFrame(schema={c: ctx.frame.schema[c] for c in columns})
    return ctx.picked(when).filter(eligible).select(columns).collect(engine="in-memory")


def scope_matches(ctx, selector: Selector, with_rids: bool) -> pl.DataFrame:
    """Per scope: how many rows match the selector, and (for small scopes) which rows."""
    aggs = [pl.len().alias("_n")]
    if with_rids:
        aggs.append(pl.col("_rid").head(MAX_RELATED + 1).alias("_match_rids"))
    matched = ctx.picked(selector).select("_scope", "_rid")
    return matched.group_by("_scope").agg(aggs).collect(engine="in-memory")


def triggers_missing(presence: pl.DataFrame, triggers: pl.DataFrame, group: Selector) -> pl.DataFrame:
    """Trigger rows (columns _rid, _scope, code) with no other row of their scope in the group.

    `presence` counts rows per (scope, code) (CheckContext.presence): a few thousand rows instead of
    the whole chargemaster, so each companion group costs almost nothing.
    """
    counts = _in_scopes(presence, triggers).filter(group.expr()).group_by("_scope").agg(_n=pl.col("_n").sum())
    # The trigger row itself never counts as its own companion.
    self_hit = group.expr("code").cast(pl.Int32)
    return (
        triggers.lazy()
        .join(counts, on="_scope", how="left")
        .filter((pl.col("_n").fill_null(0) - self_hit) <= 0)
        .select("_rid", "_scope")
        .collect(engine="in-memory")
    )


def _in_scopes(presence: pl.DataFrame, triggers: pl.DataFrame) -> pl.LazyFrame:
    """The presence counts of the triggers' scopes only: on a claims chunk, a few claims of a hundred thousand."""
    return presence.lazy().join(triggers.lazy().select("_scope").unique(), on="_scope", how="semi")


@dataclass(frozen=True)
class GroupTable:
    """Per-trigger companion groups as plain rows (kept picklable with the catalogue): which groups each trigger
    code needs, which codes make up each group, and each group's text for messages."""

    needs: tuple[tuple[str, int], ...]  # (trigger code, group id)
    members: tuple[tuple[int, str], ...]  # (group id, companion code)
    labels: tuple[tuple[int, str], ...]  # (group id, expected text)


def group_table(groups: dict[str, list[frozenset[str]]], expected: str | None = None) -> GroupTable:
    """Number the distinct groups (in a fixed order) and lay out who needs which (requires_from)."""
    ids = {g: i for i, g in enumerate(sorted({g for gs in groups.values() for g in gs}, key=sorted))}
    return GroupTable(
        needs=tuple((code, ids[g]) for code, gs in sorted(groups.items()) for g in dict.fromkeys(gs)),
        members=tuple((i, c) for g, i in ids.items() for c in sorted(g)),
        labels=tuple((i, expected or describe(g)) for g, i in ids.items()),
    )


def groups_missing(presence: pl.DataFrame, triggers: pl.DataFrame, table: GroupTable) -> pl.DataFrame:
    """Trigger rows (_rid, _scope, expected) once per group of theirs with no other row of the scope in it.

    One query for every group at once: a loop over groups cost half a dozen small queries each.
    """
    needs = pl.LazyFrame(table.needs, schema={"code": pl.String, "_gid": pl.Int32}, orient="row")
    members = pl.LazyFrame(table.members, schema={"_gid": pl.Int32, "code": pl.String}, orient="row")
    labels = pl.LazyFrame(table.labels, schema={"_gid": pl.Int32, "expected": pl.String}, orient="row")
    have = (
        _in_scopes(presence, triggers)
        .join(members, on="code")
        .group_by("_scope", "_gid")
        .agg(_n=pl.col("_n").sum())
    )
    # The trigger row itself never counts as its own companion.
    own = members.with_columns(_self=pl.lit(1, pl.Int64))
    return (
        triggers.lazy()
        .with_row_index("_t")
        .join(needs, on="code")
        .join(have, on=["_scope", "_gid"], how="left")
        .join(own, on=["_gid", "code"], how="left")
        .filter(pl.col("_n").fill_null(0).cast(pl.Int64) - pl.col("_self").fill_null(0) <= 0)
        .join(labels, on="_gid", how="left")
        .sort("_gid", "_t")
        .select("_rid", "_scope", "expected")
        .collect(engine="in-memory")
    )


def related_rows(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Attach, for each hit row, the other rows of its scope (capped), as `related`."""
    # Only the hit rows' scopes: on a claims chunk that is a few claims out of tens of thousands.
    members = (
        frame.lazy()
        .filter(pl.col("_scope").is_in(rows.get_column("_scope").unique().implode()))
        .group_by("_scope")
        .agg(pl.col("_rid").head(MAX_RELATED + 1).alias("_members"))
    )
    return (
        rows.lazy()
        .join(members, on="_scope", how="left")
        .with_columns(
            related=pl.col("_members")
            .list.set_difference(pl.concat_list(pl.col("_rid")))
            .list.head(MAX_RELATED)
        )
        .drop("_members")
        .collect(engine="in-memory")
    )
