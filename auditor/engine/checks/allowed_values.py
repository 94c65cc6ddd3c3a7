"""allowed-values: a field of the selected rows must take an allowed value (or avoid forbidden ones).

Params: `when` selector; `field`; one of `allowed` (list, or "$config.<key>"), `pattern` (regex the
value must match), `forbidden_tokens` (comma-separated tokens that must not appear, e.g. modifiers).
Empty values pass unless `flag_empty: true`.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError, resolve_selector

KINDS = ("allowed-values",)


def prepare(edit, lists) -> None:
    """Resolve the selector; require exactly one kind of rule."""
    p = edit.params
    if "field" not in p:
        raise CatalogError("allowed-values needs field")
    if sum(k in p for k in ("allowed", "pattern", "forbidden_tokens")) != 1:
        raise CatalogError("allowed-values needs exactly one of allowed, pattern, forbidden_tokens")
    p["_when"] = resolve_selector(p.get("when"), lists)


def columns(edit) -> tuple[str, ...]:
    """The field whose value is not allowed."""
    return (edit.params["field"],)


def allowed_list(ctx, edit) -> list[str]:
    """The allowed values, reading `$config.` references from the facility configuration."""
    allowed = edit.params["allowed"]
    if isinstance(allowed, str) and allowed.startswith("$config."):
        return list(ctx.config.lookup(allowed[len("$config.") :]))
    return [str(a) for a in allowed]


def plan(ctx, edit, eligible: pl.Expr, costly: pl.Expr | None = None) -> pl.LazyFrame:
    """Selected rows whose field breaks the rule (and meet `costly`, a condition asked only of those rows)."""
    p = edit.params
    col = pl.col(p["field"])
    cond = eligible
    if p["_when"] is not None:
        cond = cond & p["_when"].expr()
    if not p.get("flag_empty"):
        cond = cond & col.is_not_null()
    if "allowed" in p:
        allowed = allowed_list(ctx, edit)
        bad = ~col.is_in(allowed).fill_null(False)
        expected = pl.lit(p.get("expected") or ("one of " + ", ".join(allowed)))
    elif "pattern" in p:
        bad = ~col.str.contains(p["pattern"]).fill_null(False)
        expected = pl.lit(p.get("expected") or f"a value matching {p['pattern']}")
    else:
        tokens = [t.upper() for t in p["forbidden_tokens"]]
        bad = col.str.split(",").list.eval(pl.element().is_in(tokens)).list.any().fill_null(False)
        expected = pl.lit(p.get("expected") or ("no " + "/".join(tokens)))
    rows = ctx.frame.lazy().filter(cond & bad)
    if costly is not None:
        # After the cheap filter: polars would otherwise run it (word patterns) over every line.
        rows = rows.filter(costly)
    return rows.select("_rid", expected=expected, v_value=col.fill_null("(blank)"))


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
