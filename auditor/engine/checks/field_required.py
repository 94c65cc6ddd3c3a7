"""field-required: selected rows must have a non-empty field (e.g. a narrative for NOS codes).

Params: `when` selector, `field`, optional `expected`.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError, resolve_selector

KINDS = ("field-required",)


def prepare(edit, lists) -> None:
    """Resolve the selector."""
    if "field" not in edit.params:
        raise CatalogError("field-required needs field")
    edit.params["_when"] = resolve_selector(edit.params.get("when"), lists)


def columns(edit) -> tuple[str, ...]:
    """The blank field, and the code that requires it (a column blank on every line may not be shown at all)."""
    return (edit.params["field"], "code")


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Selected rows with the field blank."""
    p = edit.params
    cond = eligible & pl.col(p["field"]).is_null()
    if p["_when"] is not None:
        cond = cond & p["_when"].expr()
    return (
        ctx.frame.lazy().filter(cond).select("_rid", expected=pl.lit(p.get("expected") or f"a {p['field']}"))
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
