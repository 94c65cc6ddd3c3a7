"""description-vs-code: the description names another kind of item than the code (or modifier) bills.

Params: `when` selector, or `blank_code: true` for rows with no code at all; optional
`code_label_from: {list, column}` naming what the code bills; `says`: list of {pattern, means,
unless, is_type, when_field, known_code, expected}, checked in order. A pattern flags the row when it
matches, its `unless` does not, the code is not already of type `is_type`, its `when_field` row
condition holds and, with `known_code: true`, its first group is a code the tool knows (an Addendum B
quarter held or the imported HCPCS file lists it). The first regex group of the matching pattern, if
any, is offered as `{named}`.
"""

from __future__ import annotations

import re

import polars as pl

from auditor.codeset.known import known_codes
from auditor.engine.conditions import row_condition
from auditor.engine.lists import CatalogError, list_rows, resolve_selector

KINDS = ("description-vs-code",)


def prepare(edit, lists) -> None:
    """Compile patterns and resolve the selector."""
    p = edit.params
    if not p.get("says"):
        raise CatalogError("description-vs-code needs says: [{pattern, means}]")
    for s in p["says"]:
        if "pattern" not in s or "means" not in s:
            raise CatalogError("each says entry needs pattern and means")
        re.compile(s["pattern"])
        if s.get("unless"):
            re.compile(s["unless"])
        if s.get("when_field"):
            row_condition(s["when_field"])
        if s.get("known_code") and not re.compile(s["pattern"]).groups:
            raise CatalogError("known_code needs a pattern whose first group is the code")
    if p.get("when") is None and not p.get("blank_code"):
        raise CatalogError("description-vs-code needs when, or blank_code: true")
    p["_when"] = resolve_selector(p.get("when"), lists)
    spec = p.get("code_label_from")
    p["_labels"] = (
        {r["code"].upper(): r[spec["column"]] for r in list_rows(spec["list"], None, lists)} if spec else {}
    )


def columns(edit) -> tuple[str, ...]:
    """The description and the code it contradicts, plus any field a `says` entry's `when_field` reads."""
    extra = [s["when_field"]["field"] for s in edit.params["says"] if s.get("when_field")]
    return tuple(dict.fromkeys(["description", "code", *extra]))


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose description says something the code does not bill."""
    p = edit.params
    # The upper-cased description and each pattern's hit are columns, worked out once: polars evaluates a
    # sub-expression once per use, and each hit is read by three columns below.
    desc = pl.col("_desc")
    label = pl.col("code").replace_strict(p["_labels"], default="different item", return_dtype=pl.String)
    hits = {}
    for i, s in enumerate(p["says"]):
        hit = desc.str.contains(s["pattern"])
        if s.get("unless"):
            hit = hit & ~desc.str.contains(s["unless"])
        if s.get("is_type"):
            # An extension described as an extension is fine: only a different type is a mismatch.
            hit = hit & (pl.col("v_code_type") != s["is_type"])
        if s.get("when_field"):
            hit = hit & row_condition(s["when_field"])
        if s.get("known_code"):
            # Catalogue numbers and test standards look like HCPCS codes (C4001, F1671): name real codes only.
            hit = hit & desc.str.extract(s["pattern"], 1).is_in(_known(ctx).implode())
        hits[f"_hit{i}"] = hit.fill_null(False)
    means = pl.lit(None, dtype=pl.String)
    expected = pl.lit(None, dtype=pl.String)
    named = pl.lit(None, dtype=pl.String)
    for i, s in reversed(list(enumerate(p["says"]))):
        hit = pl.col(f"_hit{i}")
        if re.compile(s["pattern"]).groups:
            named = pl.when(hit).then(desc.str.extract(s["pattern"], 1)).otherwise(named)
        means = pl.when(hit).then(pl.lit(s["means"])).otherwise(means)
        expected = (
            pl.when(hit).then(pl.lit(s.get("expected", f"the code for a {s['means']}"))).otherwise(expected)
        )
    cond = eligible & pl.col("description").is_not_null()
    if p.get("blank_code"):
        cond = cond & pl.col("code").is_null()
    if p["_when"] is not None:
        cond = cond & p["_when"].expr()
    out = (
        ctx.frame.lazy()
        .filter(cond)
        .with_columns(_desc=pl.col("description").str.to_uppercase(), v_code_type=label)
        .with_columns(**hits)
        .select(
            "_rid", v_means=means, expected=expected, v_named=named.fill_null(""), v_code_type="v_code_type"
        )
    )
    return out.filter(pl.col("v_means").is_not_null())


def _known(ctx) -> pl.Series:
    """Codes the tool knows, loaded once per audit context."""
    return ctx.memo("known_codes", known_codes)


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
