"""Row conditions shared by edits (`unless`, `only_if`) and check parameters: field has / matches / is blank."""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import CatalogError

_KEYS = {"field", "has_any", "matches", "blank", "filled"}


def row_condition(spec: dict) -> pl.Expr:
    """True where the row meets `{field, has_any | matches | blank | filled}` (nulls never meet has/matches)."""
    if not isinstance(spec, dict) or "field" not in spec or set(spec) - _KEYS:
        raise CatalogError(f"a row condition is {{field, has_any | matches | blank | filled}}, got {spec!r}")
    col = pl.col(spec["field"])
    if "has_any" in spec:
        tokens = [str(t).upper() for t in spec["has_any"]]
        return col.str.split(",").list.eval(pl.element().is_in(tokens)).list.any().fill_null(False)
    if "matches" in spec:
        return col.str.contains(spec["matches"]).fill_null(False)
    if spec.get("blank"):
        return col.is_null()
    return col.is_not_null()


def laterality(mods: pl.Expr) -> pl.Expr:
    """'RT' or 'LT' from a comma-joined modifier list; null for neither, both, or 50."""
    tokens = mods.str.split(",")
    right = tokens.list.contains("RT").fill_null(False)
    left = tokens.list.contains("LT").fill_null(False)
    return pl.when(right & ~left).then(pl.lit("RT")).when(left & ~right).then(pl.lit("LT")).otherwise(None)


def all_of(specs: list[dict]) -> pl.Expr:
    """Conjunction of row conditions (True when there are none)."""
    out = pl.lit(True)
    for s in specs:
        out = out & row_condition(s)
    return out


def none_of(specs: list[dict]) -> pl.Expr:
    """True where no condition holds."""
    out = pl.lit(True)
    for s in specs:
        out = out & ~row_condition(s)
    return out
