"""price-below-rate: a line charged below the OPPS payment rate of its code in the audit quarter.

Params: `ratio` (number or "$config.<key>": a charge below ratio x rate is flagged), `status_indicators`
(the OPPS status indicators judged: only those whose Addendum B rate pays for the same unit the line
charges), `surgical` (selector of procedure codes whose cost sits on room-time lines) with `room_time`
(regex: a file with such a description prices surgery by the minute, so its surgical code lines are not
judged), `skip` (selector of codes never judged), `skip_modifiers` (lines with one of these modifiers,
e.g. 26 or 52, charge a part of the service), `skip_description` (regex of lines left out) and
`min_price` (lower prices are open-price placeholders, not prices). Professional-fee and inpatient lines are
never judged: the OPPS rate is the hospital outpatient payment.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import price_lines
from auditor.engine.lists import resolve_selector

KINDS = ("price-below-rate",)


def prepare(edit, lists) -> None:
    """Resolve the skipped and surgical code selectors."""
    edit.params["_skip"] = resolve_selector(edit.params.get("skip"), lists)
    edit.params["_surgical"] = resolve_selector(edit.params.get("surgical"), lists)


def columns(edit) -> tuple[str, ...]:
    """The price cell."""
    return ("price",)


def _selected(edit, name: str) -> pl.Expr:
    """Lines whose code a resolved selector param names (none when the param is absent)."""
    selector = edit.params.get(name)
    return selector.expr() if selector is not None else pl.lit(False)


def _modifier_skipped(edit, frame: pl.DataFrame) -> pl.Expr:
    """Lines carrying one of the `skip_modifiers` (a component or a reduced service)."""
    wanted = [str(m).upper() for m in edit.params.get("skip_modifiers", [])]
    if not wanted or "modifiers" not in frame.columns:
        return pl.lit(False)
    mods = pl.col("modifiers").cast(pl.String).fill_null("").str.to_uppercase()
    return mods.str.extract_all(r"[A-Z0-9]{2}").list.eval(pl.element().is_in(wanted)).list.any()


def _timed_scopes(edit, frame: pl.DataFrame) -> pl.Expr:
    """Lines of a file (scope) that prices surgery by room time: some description matches `room_time`."""
    pattern = edit.params.get("room_time")
    if not pattern or "description" not in frame.columns:
        return pl.lit(False)
    return pl.col("description").str.contains(pattern).fill_null(False).any().over("_scope")


def _judged(ctx, edit) -> pl.Expr:
    """Lines whose charge and rate price the same service: a judged status indicator, none of the exclusions."""
    frame = ctx.frame
    statuses = [str(s) for s in edit.params.get("status_indicators", [])]
    min_price = float(price_lines.value(ctx, edit.params.get("min_price", 0)) or 0)
    cond = pl.col("cs_rate").is_not_null() & (pl.col("cs_rate") > 0) & (pl.col("price") >= min_price)
    cond = cond & pl.col("cs_si").is_in(statuses) & (pl.col("price") > 0)
    cond = cond & ~_selected(edit, "_skip") & ~_modifier_skipped(edit, frame)
    cond = cond & ~(_selected(edit, "_surgical") & _timed_scopes(edit, frame))
    skip_description = edit.params.get("skip_description")
    if skip_description and "description" in frame.columns:
        cond = cond & ~pl.col("description").str.contains(skip_description).fill_null(False)
    # The OPPS rate pays the hospital for an outpatient: a professional fee or an inpatient price is another price.
    return cond & (price_lines.fee_type(frame) != "PRO") & (price_lines.setting(frame) != "IP")


def unevaluable(ctx, edit, eligible: pl.Expr) -> str | None:
    """Why no line can be judged: the quarter was imported without OPPS rates, or none of the codes has one."""
    frame = ctx.frame
    if frame.get_column("code").null_count() == frame.height:
        return None  # no codes at all: the code edits say so
    if "cs_rate" not in frame.columns:
        return f"the code table holds no OPPS payment rates for {ctx.quarter}"
    if frame.get_column("cs_rate").null_count() == frame.height:
        return f"none of the file's codes has an OPPS payment rate in {ctx.quarter}"
    return None


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Lines charged below `ratio` times the OPPS payment rate of their code."""
    ratio = float(price_lines.value(ctx, edit.params.get("ratio", 1.0)))
    if "cs_rate" not in ctx.frame.columns:
        return pl.DataFrame(schema={"_rid": pl.Int64})
    out = (
        ctx.frame.lazy()
        .filter(eligible & _judged(ctx, edit) & (pl.col("price") < ratio * pl.col("cs_rate")))
        .select("_rid", "price", "cs_rate")
        .collect(engine="in-memory")
    )
    share = (pl.col("price") / pl.col("cs_rate") * 100).round(0).cast(pl.Int64).cast(pl.String)
    return out.select(
        "_rid",
        v_price=pl.col("price").round(2).cast(pl.String),
        v_rate=pl.col("cs_rate").round(2).cast(pl.String),
        v_share=share,
        expected=pl.lit("a charge at or above the OPPS payment rate (")
        + pl.col("cs_rate").round(2).cast(pl.String)
        + pl.lit(")"),
    )
