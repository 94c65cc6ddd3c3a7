"""status-indicator: the code's OPPS status indicator in the audit quarter is one of `si`.

Params: `si` (list), optional `when` / `exclude` selectors, optional `suggest: {list, column}`
naming the code to use instead.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError, list_rows, resolve_selector

KINDS = ("status-indicator",)


def prepare(edit, lists) -> None:
    """Resolve selectors and the suggestion map."""
    if not edit.params.get("si"):
        raise CatalogError("status-indicator needs si: [..]")
    edit.params["_when"] = resolve_selector(edit.params.get("when"), lists)
    edit.params["_exclude"] = resolve_selector(edit.params.get("exclude"), lists)
    sug = edit.params.get("suggest")
    edit.params["_suggest"] = (
        {r["code"].upper(): r[sug["column"]] for r in list_rows(sug["list"], None, lists)} if sug else {}
    )


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose code carries a listed status indicator this quarter."""
    p = edit.params
    cond = eligible & pl.col("cs_si").is_in(list(p["si"])).fill_null(False)
    if p["_when"] is not None:
        cond = cond & p["_when"].expr()
    if p["_exclude"] is not None:
        cond = cond & ~p["_exclude"].expr()
    default = p.get("expected", "a code payable under OPPS")
    suggested = (
        pl.col("code").replace_strict(p["_suggest"], default=None, return_dtype=pl.String)
        if p["_suggest"]
        else pl.lit(None, dtype=pl.String)
    )
    return (
        ctx.frame.lazy()
        .filter(cond)
        .select(
            "_rid",
            v_si=pl.col("cs_si"),
            expected=suggested.fill_null(default),
            v_use_instead=suggested.fill_null("—"),
        )
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
