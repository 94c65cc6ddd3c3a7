"""forbids-companion: a trigger code must not share its scope (claim, pairing) with a forbidden code.

Params: `when` (trigger selector); `forbidden` (selector) or `forbids_from: {list, column, resolve}`
(per-trigger forbidden groups). `expected` describes what should be there instead.
`same_side: true` (claims) ignores a forbidden line whose RT/LT modifier names the other side.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks.companions import MAX_RELATED, describe, no_hits, scope_matches, trigger_rows
from auditor.engine.conditions import laterality
from auditor.engine.lists import CatalogError, Selector, groups_from, resolve_selector

KINDS = ("forbids-companion",)


def prepare(edit, lists) -> None:
    """Resolve trigger and forbidden selectors."""
    p = edit.params
    if "forbids_from" in p:
        groups = groups_from(p["forbids_from"], lists)
        p["_groups"] = {k: frozenset().union(*v) for k, v in groups.items()}
        p["_when"] = resolve_selector(p.get("when"), lists) or Selector(frozenset(groups))
        p["_static"] = None
    elif "forbidden" in p:
        p["_groups"] = None
        p["_static"] = resolve_selector(p["forbidden"], lists)
        p["_when"] = resolve_selector(p.get("when"), lists)
    else:
        raise CatalogError("forbids-companion needs forbidden or forbids_from")
    if p["_when"] is None:
        raise CatalogError("forbids-companion needs when")


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Trigger rows whose scope also holds a forbidden code; the forbidden rows are the related rows."""
    p, frame = edit.params, ctx.frame
    triggers = trigger_rows(ctx, eligible, p["_when"])
    if triggers.height == 0:
        return no_hits()
    if p["_static"] is not None:
        plan = [(p["_static"], triggers)]
    else:
        by_set: dict[frozenset, list[str]] = {}
        for code in triggers.get_column("code").unique().to_list():
            if code in p["_groups"]:
                by_set.setdefault(p["_groups"][code], []).append(code)
        plan = [(Selector(s), triggers.filter(pl.col("code").is_in(c))) for s, c in by_set.items()]
    out = []
    for selector, subset in plan:
        found = scope_matches(ctx, selector, with_rids=True)
        joined = subset.join(found, on="_scope", how="inner")
        if p.get("same_side") and ctx.scope_kind == "claim":
            joined = _same_side(frame, joined)
        joined = joined.with_columns(
            related=pl.col("_match_rids")
            .list.set_difference(pl.concat_list(pl.col("_rid")))
            .list.head(MAX_RELATED)
        )
        joined = joined.filter(pl.col("related").list.len() > 0)
        what = describe(selector.codes) if selector.codes else "forbidden code"
        expected = p.get("expected") or f"no {what} in the same {ctx.scope_kind}"
        out.append(joined.select("_rid", "related", expected=pl.lit(expected)))
    return pl.concat(out) if out else pl.DataFrame(schema={"_rid": pl.Int64})


def _same_side(frame: pl.DataFrame, joined: pl.DataFrame) -> pl.DataFrame:
    """Keep only forbidden matches on the trigger's side (a line without a side matches either)."""
    # Sides of the rows in question only (_rid is the row's position): laterality splits every modifier list.
    rids = (
        pl.concat([joined.get_column("_rid"), joined.get_column("_match_rids").explode()])
        .drop_nulls()
        .unique()
    )
    sides = frame.select("_rid", "modifiers").gather(rids).select("_rid", _s=laterality(pl.col("modifiers")))
    pairs = (
        joined.select("_rid", "_match_rids")
        .explode("_match_rids")
        .join(sides, on="_rid", how="left")
        .join(sides.rename({"_rid": "_match_rids", "_s": "_ms"}), on="_match_rids", how="left")
        .filter(pl.col("_s").is_null() | pl.col("_ms").is_null() | (pl.col("_s") == pl.col("_ms")))
        .group_by("_rid")
        .agg(pl.col("_match_rids"))
    )
    return joined.drop("_match_rids").join(pairs, on="_rid", how="inner")
