"""requires-companion / add-on-needs-primary: a trigger code needs a companion code in the same scope.

Params: `when` (trigger selector); then either `companion` (one selector, any row matching it
satisfies the trigger) or `requires_from: {list, column, resolve: {list, column}}` (per-trigger
groups; every group must be satisfied). add-on-needs-primary takes `primary_from: {list, column}`.
Optional `companion_label` names the companion in messages; `expected` overrides the expected text;
`companion_description_not` (regex) discounts companion rows whose description says they are
something else (a PROGRAMMER coded as a generator does not supply the generator).
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks.companions import describe, no_hits, related_rows, trigger_rows, triggers_missing
from auditor.engine.lists import CatalogError, Selector, groups_from, resolve_selector

KINDS = ("requires-companion", "add-on-needs-primary")


def prepare(edit, lists) -> None:
    """Resolve the trigger selector and the companion groups."""
    p = edit.params
    spec = p.get("requires_from") or p.get("primary_from")
    if edit.check == "add-on-needs-primary" and not p.get("primary_from"):
        raise CatalogError("add-on-needs-primary needs primary_from: {list, column}")
    if spec:
        groups = groups_from(spec, lists)
        when = resolve_selector(p.get("when"), lists) or Selector(frozenset(groups))
        p["_groups"] = groups
        p["_static"] = None
    elif "companion" in p:
        when = resolve_selector(p.get("when"), lists)
        p["_groups"] = None
        p["_static"] = resolve_selector(p["companion"], lists)
    else:
        raise CatalogError("requires-companion needs companion or requires_from")
    if when is None:
        raise CatalogError("requires-companion needs when")
    p["_when"] = when


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Trigger rows with a group of companions missing from their scope."""
    p, frame = edit.params, ctx.frame
    triggers = trigger_rows(frame, eligible, p["_when"])
    if triggers.height == 0:
        return no_hits()
    # Discounted rows (companion_description_not) stay triggers above but cannot serve as companions.
    presence = ctx.presence(p.get("companion_description_not"))
    out = []
    if p["_static"] is not None:
        miss = triggers_missing(presence, triggers, p["_static"])
        out.append(
            miss.with_columns(expected=pl.lit(p.get("expected") or p.get("companion_label") or "a companion"))
        )
    else:
        by_group: dict[frozenset, list[str]] = {}
        for code in triggers.get_column("code").unique().to_list():
            for g in p["_groups"].get(code, []):
                by_group.setdefault(g, []).append(code)
        for group, codes in by_group.items():
            subset = triggers.filter(pl.col("code").is_in(codes))
            miss = triggers_missing(presence, subset, Selector(group))
            out.append(miss.with_columns(expected=pl.lit(p.get("expected") or describe(group))))
    result = (
        pl.concat(out)
        if out
        else pl.DataFrame(schema={"_rid": pl.Int64, "_scope": pl.String, "expected": pl.String})
    )
    if ctx.scope_kind != "chargemaster":
        result = related_rows(frame, result)
    return result.drop("_scope")
