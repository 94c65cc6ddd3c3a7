"""code-crosswalk: a code not payable in the setting (by status indicator), with the code to use read from the description.

Params: `si` (status indicators that make the code unpayable, e.g. [E1]); `when` (selector of the codes
judged); `crosswalk: {list, column}` (each code's default replacement); `by_description` (ordered rules
`{pattern, unless?, codes?, means, use_instead?}`: the first rule whose regex matches the upper-cased
description, on a code among `codes` when given, names what the line really is; with `use_instead` the
suggestion follows it, without it the code does not fit the item at all and no replacement is offered).
`expected_unfit` is the expected text when the code does not fit the item. Hit variables: `si`, `use_instead`, `advice` (the sentence to act on), `means`.
"""

from __future__ import annotations

import re

import polars as pl

from auditor.engine.lists import CatalogError, expand_codes, list_rows, resolve_selector

KINDS = ("code-crosswalk",)
_RULE_KEYS = {"pattern", "unless", "codes", "means", "use_instead"}


def prepare(edit, lists) -> None:
    """Resolve the selector, the default crosswalk and the description rules."""
    p = edit.params
    if not p.get("si"):
        raise CatalogError("code-crosswalk needs si: [..]")
    p["_when"] = resolve_selector(p.get("when"), lists)
    spec = p.get("crosswalk")
    if not spec or "list" not in spec or "column" not in spec:
        raise CatalogError("code-crosswalk needs crosswalk: {list, column}")
    p["_default"] = {
        r["code"].strip().upper(): r[spec["column"]].strip() for r in list_rows(spec["list"], None, lists)
    }
    rules = []
    for rule in p.get("by_description") or []:
        if (
            not isinstance(rule, dict)
            or "pattern" not in rule
            or "means" not in rule
            or set(rule) - _RULE_KEYS
        ):
            raise CatalogError(
                f"a by_description rule is {{pattern, means, unless?, codes?, use_instead?}}, got {rule!r}"
            )
        for key in ("pattern", "unless"):
            if rule.get(key):
                re.compile(rule[key])
        rules.append({**rule, "codes": sorted(expand_codes(rule.get("codes") or []))})
    p["_rules"] = rules


def columns(edit) -> tuple[str, ...]:
    """The code that is not payable (and, for a wrong item, does not fit)."""
    return ("code",)


def _rule_hits(rule: dict) -> pl.Expr:
    """Rows the rule's description pattern (and code restriction) picks."""
    desc = pl.col("description").str.to_uppercase()
    hit = desc.str.contains(rule["pattern"]).fill_null(False)
    if rule.get("unless"):
        hit = hit & ~desc.str.contains(rule["unless"]).fill_null(False)
    if rule["codes"]:
        hit = hit & pl.col("code").is_in(rule["codes"])
    return hit


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows whose code carries a listed status indicator, with the replacement their description calls for."""
    p = edit.params
    cond = eligible & pl.col("cs_si").is_in(list(p["si"])).fill_null(False)
    if p["_when"] is not None:
        cond = cond & p["_when"].expr()
    default = pl.col("code").replace_strict(p["_default"], default=None, return_dtype=pl.String)
    use, means = default, pl.lit(None, dtype=pl.String)
    if p["_rules"] and "description" in ctx.frame.columns:
        # Built from the last rule back, so the first matching rule wins.
        for rule in reversed(p["_rules"]):
            hit = _rule_hits(rule)
            use = pl.when(hit).then(pl.lit(rule.get("use_instead"), dtype=pl.String)).otherwise(use)
            means = pl.when(hit).then(pl.lit(rule["means"])).otherwise(means)
    fits = use.is_not_null()
    advice = (
        pl.when(fits & means.is_not_null())
        .then(pl.concat_str([pl.lit("the description reads as "), means, pl.lit(", so report it as "), use]))
        .when(fits)
        .then(pl.concat_str([pl.lit("hospital outpatient claims report the device as "), use]))
        .when(means.is_not_null())
        .then(
            pl.concat_str(
                [
                    pl.col("code"),
                    pl.lit(" does not fit the item: the description reads as "),
                    means,
                    pl.lit("; code what the item is"),
                ]
            )
        )
        .otherwise(pl.lit("report the device with its OPPS device code"))
    )
    return (
        ctx.frame.lazy()
        .filter(cond)
        .select(
            "_rid",
            v_si=pl.col("cs_si"),
            v_use_instead=use.fill_null("—"),
            v_means=means.fill_null(""),
            v_advice=advice,
            expected=use.fill_null(pl.lit(p.get("expected_unfit", "a code that fits the item"))),
        )
    )


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected (the runner batches plans of many edits into one collect_all)."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
